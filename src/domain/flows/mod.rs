//! The account flows: one place, called alike by the JSON API, the HTML pages and the CLI.
//! Each flow is one or a few transactions; emails are queued inside them and the outbox worker
//! is woken after they commit.

mod admin;
mod session;
mod signup;

pub use admin::{Cursor, NewAccount, OutboxStatus, Page, PageSize, SeedUser, UserPatch};
pub use session::{Principal, TokenPair};
pub use signup::Registration;

use std::{sync::Arc, time::Duration};

use serde_json::{Map, Value as Json};

use super::{access::AccessTokens, email::EmailAddress, password::PasswordHasher};
use crate::{
    configuration::Settings,
    error::Error,
    mail::{
        EmailKind,
        outbox::{Outbox, OutgoingEmail},
    },
    storage::{Conn, Store, ms},
};

pub struct Flows {
    pub store: Store,
    pub hasher: PasswordHasher,
    pub access: AccessTokens,
    pub outbox: Outbox,
    pub settings: Arc<Settings>,
}

impl Flows {
    /// `{link_base}/{page}?token=T` (contract §5): never from request headers.
    fn link(&self, page: &str, token: &str) -> String {
        format!(
            "{}/{page}?token={token}",
            self.settings.link_base_url.as_str().trim_end_matches('/')
        )
    }

    /// A page of the link base without a token (log-in, forgot password).
    fn page(&self, page: &str) -> String {
        format!(
            "{}/{page}",
            self.settings.link_base_url.as_str().trim_end_matches('/')
        )
    }

    /// Queues an email unless one of the same kind went to the same address within the cooldown.
    /// Returns whether it was queued.
    async fn send(
        &self,
        conn: &mut Conn,
        email: OutgoingEmail<'_>,
        now: i64,
    ) -> Result<bool, Error> {
        if !self.take_cooldown(conn, email.kind, email.to, now).await? {
            return Ok(false);
        }
        self.outbox.enqueue(conn, email, now).await?;
        Ok(true)
    }

    /// Records an email of `kind` to `to` now, unless one went within the cooldown (then false).
    async fn take_cooldown(
        &self,
        conn: &mut Conn,
        kind: EmailKind,
        to: &EmailAddress,
        now: i64,
    ) -> Result<bool, Error> {
        let cooldown = ms(self.settings.mail_cooldown);
        let free = conn
            .take_mail_cooldown(kind.as_str(), to.normalized(), now, cooldown)
            .await?;
        if !free {
            tracing::debug!(%kind, "mail cooldown: not sending");
        }
        Ok(free)
    }
}

/// Template values for a link that expires: `expires_in` in words.
fn expiring(ttl: Duration) -> Map<String, Json> {
    let mut values = Map::new();
    values.insert("expires_in".into(), human_duration(ttl).into());
    values
}

/// `24 hours`, `15 minutes`, `7 days`: for emails.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        s if s >= 86_400 && s % 86_400 == 0 => (s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s.max(1), "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_secs(86_400)), "1 day");
        assert_eq!(human_duration(Duration::from_secs(7 * 86_400)), "7 days");
        assert_eq!(human_duration(Duration::from_secs(3_600)), "1 hour");
        assert_eq!(human_duration(Duration::from_secs(36 * 3_600)), "36 hours");
        assert_eq!(human_duration(Duration::from_secs(900)), "15 minutes");
        assert_eq!(human_duration(Duration::from_secs(2)), "2 seconds");
    }
}
