//! What operators see of the outbox, through the admin API and the CLI alike.

use super::{Cursor, Flows, Page, PageSize};
pub use crate::storage::OutboxStatus;
use crate::{error::Error, storage::OutboxEntry};

impl Flows {
    /// Outbox messages, newest first, without payloads or links.
    pub async fn outbox_messages(
        &self,
        status: Option<OutboxStatus>,
        size: PageSize,
        after: Option<Cursor>,
    ) -> Result<Page<OutboxEntry>, Error> {
        let fetched = self
            .store
            .read()
            .await?
            .list_outbox(status, after.map(|c| c.0), i64::from(size.get()) + 1)
            .await?;
        Ok(Page::of(fetched, size, |m| m.id))
    }

    /// Messages per status, every status present (zero when none).
    pub async fn outbox_counts(&self) -> Result<Vec<(OutboxStatus, i64)>, Error> {
        let counts = self.store.read().await?.outbox_counts().await?;
        Ok(OutboxStatus::ALL
            .into_iter()
            .map(|status| {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or(0, |(_, n)| *n);
                (status, n)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_or_say_why() {
        assert!("dead".parse::<OutboxStatus>().is_ok());
        assert!("lost".parse::<OutboxStatus>().is_err());
    }
}
