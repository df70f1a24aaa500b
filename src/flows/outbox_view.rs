//! What operators see of the outbox, through the admin API and the CLI alike.

use std::str::FromStr;

use super::{Cursor, Flows, Page, PageSize};
use crate::{error::Error, storage::OutboxEntry};

/// The outbox states of contract §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Queued,
    Retrying,
    Sent,
    Dead,
}

impl OutboxStatus {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Retrying, Self::Sent, Self::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Dead => "dead",
        }
    }
}

impl FromStr for OutboxStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(
                    "validation_failed",
                    "status",
                    "status is one of queued, retrying, sent, dead",
                )
            })
    }
}

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
            .list_outbox(
                status.map(OutboxStatus::as_str),
                after.map(|c| c.0),
                i64::from(size.get()) + 1,
            )
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
                    .find(|(s, _)| s == status.as_str())
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
