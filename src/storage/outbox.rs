use std::time::Duration;

use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Channel, Conn, OutboxKind, on_db};
use crate::error::Error;

pub struct NewOutboxMessage<'a> {
    pub id: Uuid,
    pub kind: OutboxKind,
    pub recipient: &'a str,
    pub payload: &'a str,
    pub sealed_link: Option<&'a [u8]>,
    pub now: Millis,
}

/// A message this worker holds the lease of.
#[derive(Debug, sqlx::FromRow)]
pub struct ClaimedMessage {
    pub id: Uuid,
    pub channel: Channel,
    pub kind: OutboxKind,
    pub recipient: String,
    pub payload: String,
    pub sealed_link: Option<Vec<u8>>,
    /// Attempts including the one this claim starts.
    pub attempts: i64,
}

impl Conn {
    /// Queues a message. This process's workers are woken when (and only if) it is committed
    /// (`Conn::queued_message`). On PostgreSQL the same transaction notifies every worker's
    /// listener, which hears it on commit too: a worker in any process sends it at once.
    pub async fn insert_outbox(&mut self, m: &NewOutboxMessage<'_>) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO outbox (id, channel, kind, recipient, payload, sealed_link, status, attempts, next_attempt_at, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7)";
        const NOTIFY: &str = "SELECT pg_notify($1, '')";
        let channel = m.kind.channel().ok_or_else(|| {
            Error::internal(format!("cannot queue a message of unknown kind {}", m.kind))
        })?;
        on_db!(self, c => sqlx::query(SQL)
            .bind(m.id).bind(channel).bind(&m.kind).bind(m.recipient).bind(m.payload).bind(m.sealed_link).bind(m.now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if let super::Db::Postgres(c) = self.db() {
            // Notifications with the same payload in one transaction are delivered once.
            sqlx::query(NOTIFY)
                .bind(super::OUTBOX_CHANNEL)
                .execute(c)
                .await?;
        }
        self.queued_message(channel);
        Ok(())
    }

    /// Leases up to `limit` due messages, including those whose lease ran out because the
    /// process holding them died. The lease, not a row lock, keeps other workers off while
    /// the SMTP conversation runs. On PostgreSQL, workers claiming at the same moment skip the
    /// rows another claim has locked (`FOR UPDATE SKIP LOCKED`) and so take disjoint messages
    /// without waiting for each other; SQLite's single writer claims one at a time anyway.
    pub async fn claim_due_messages(
        &mut self,
        channel: Channel,
        owner: Uuid,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>, Error> {
        const SQLITE: &str = "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
            WHERE id IN (SELECT id FROM outbox \
                         WHERE status IN ('queued', 'retrying') AND next_attempt_at <= $3 \
                           AND (lease_until IS NULL OR lease_until <= $3) \
                           AND channel = $5 \
                         ORDER BY next_attempt_at LIMIT $4) \
              AND (lease_until IS NULL OR lease_until <= $3) \
            RETURNING id, channel, kind, recipient, payload, sealed_link, attempts";
        const POSTGRES: &str = "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
            WHERE id IN (SELECT id FROM outbox \
                         WHERE status IN ('queued', 'retrying') AND next_attempt_at <= $3 \
                           AND (lease_until IS NULL OR lease_until <= $3) \
                           AND channel = $5 \
                         ORDER BY next_attempt_at LIMIT $4 \
                         FOR UPDATE SKIP LOCKED) \
              AND (lease_until IS NULL OR lease_until <= $3) \
            RETURNING id, channel, kind, recipient, payload, sealed_link, attempts";
        let sql = if self.is_postgres() { POSTGRES } else { SQLITE };
        Ok(on_db!(self, c => sqlx::query_as(sql)
            .bind(owner).bind(lease_until).bind(now).bind(limit).bind(channel)
            .fetch_all(c).await)?)
    }

    /// Extends the lease of a message whose send is still running (the heartbeat); false if
    /// the lease is no longer this claim's.
    pub async fn renew_lease(
        &mut self,
        id: Uuid,
        owner: Uuid,
        lease_until: Millis,
    ) -> Result<bool, Error> {
        const SQL: &str = "UPDATE outbox SET lease_until = $3 \
            WHERE id = $1 AND lease_owner = $2 AND status IN ('queued', 'retrying')";
        let done = on_db!(self, c => sqlx::query(SQL).bind(id).bind(owner).bind(lease_until).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Marks a message sent and erases its link; ignored if the lease passed to another worker.
    pub async fn mark_sent(&mut self, id: Uuid, owner: Uuid, now: Millis) -> Result<(), Error> {
        const SQL: &str = "UPDATE outbox SET status = 'sent', sent_at = $3, sealed_link = NULL, last_error = NULL, \
                lease_owner = NULL, lease_until = NULL \
            WHERE id = $1 AND lease_owner = $2";
        on_db!(self, c => sqlx::query(SQL).bind(id).bind(owner).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records a failed attempt: retry at `retry_at`, or, with `None`, the message is dead and
    /// its link erased.
    pub async fn mark_failed(
        &mut self,
        id: Uuid,
        owner: Uuid,
        error: &str,
        retry_at: Option<Millis>,
    ) -> Result<(), Error> {
        const RETRY: &str = "UPDATE outbox SET status = 'retrying', next_attempt_at = $3, last_error = $4, \
                lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2";
        const DEAD: &str = "UPDATE outbox SET status = 'dead', sealed_link = NULL, last_error = $3, \
                lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2";
        match retry_at {
            Some(at) => {
                on_db!(self, c => sqlx::query(RETRY).bind(id).bind(owner).bind(at).bind(error).execute(c).await.map(|r| r.rows_affected()))?
            }
            None => {
                on_db!(self, c => sqlx::query(DEAD).bind(id).bind(owner).bind(error).execute(c).await.map(|r| r.rows_affected()))?
            }
        };
        Ok(())
    }

    /// When the next queued or retrying message falls due (or its lease runs out).
    pub async fn next_due_at(&mut self, channel: Channel) -> Result<Option<Millis>, Error> {
        const SQL: &str = "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at \
                                      THEN lease_until ELSE next_attempt_at END) \
            FROM outbox WHERE status IN ('queued', 'retrying') AND channel = $1";
        Ok(
            on_db!(self, c => sqlx::query_scalar::<_, Option<Millis>>(SQL).bind(channel).fetch_one(c).await)?,
        )
    }

    /// Takes the mail cooldown for (kind, address): true when no email of this kind went to the
    /// address since `now - cooldown`, and records `now`. Atomic in one upsert.
    pub async fn take_mail_cooldown(
        &mut self,
        kind: &str,
        address: &str,
        now: Millis,
        cooldown: Duration,
    ) -> Result<bool, Error> {
        if cooldown.is_zero() {
            return Ok(true);
        }
        const SQL: &str = "INSERT INTO mail_cooldowns (kind, address, last_at) VALUES ($1, $2, $3) \
            ON CONFLICT (kind, address) DO UPDATE SET last_at = excluded.last_at WHERE mail_cooldowns.last_at <= $4 \
            RETURNING last_at";
        let row: Option<Millis> = on_db!(self, c => sqlx::query_scalar(SQL)
            .bind(kind).bind(address).bind(now).bind(now - cooldown)
            .fetch_optional(c).await)?;
        Ok(row.is_some())
    }

    /// When an email of `kind` last went to `address` (under the cooldown), if it is known.
    pub async fn mail_cooldown_since(
        &mut self,
        kind: &str,
        address: &str,
    ) -> Result<Option<Millis>, Error> {
        const SQL: &str = "SELECT last_at FROM mail_cooldowns WHERE kind = $1 AND address = $2";
        Ok(
            on_db!(self, c => sqlx::query_scalar(SQL).bind(kind).bind(address).fetch_optional(c).await)?,
        )
    }

    /// Forgets cooldowns that ended before `before`: forgot and resend take one for every
    /// address named, with or without an account, and none of them need outlive it.
    pub async fn sweep_mail_cooldowns(&mut self, before: Millis) -> Result<u64, Error> {
        const SQL: &str = "DELETE FROM mail_cooldowns WHERE last_at <= $1";
        Ok(
            on_db!(self, c => sqlx::query(SQL).bind(before).execute(c).await.map(|r| r.rows_affected()))?,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        configuration::DatabaseUrl,
        domain::email_kind::EmailKind,
        storage::{
            OpenOptions, ScratchDatabase, Store, test_options, test_postgres_url, transaction,
        },
    };

    fn message(now: Millis) -> NewOutboxMessage<'static> {
        NewOutboxMessage {
            id: Uuid::now_v7(),
            kind: OutboxKind::Email(EmailKind::AccountDeleted),
            recipient: "ann@example.com",
            payload: r#"{"kind":"account_deleted","locale":"en","register_url":"https://x.test/register"}"#,
            sealed_link: None,
            now,
        }
    }

    async fn queued(store: &Store) -> Result<i64, Error> {
        const SQL: &str = "SELECT COUNT(*) FROM outbox";
        let mut conn = store.read().await?;
        Ok(on_db!(conn, c => sqlx::query_scalar(SQL).fetch_one(c).await)?)
    }

    /// A message queued in a transaction wakes this process's workers when the transaction
    /// commits (its lane only), one queued in a transaction that rolls back wakes nothing and
    /// leaves nothing to send, and one written without a transaction wakes them at once. On
    /// PostgreSQL the other processes' workers hear of it the same way: the `NOTIFY` rides the
    /// transaction, so a listener hears the commits and never the rollback.
    async fn only_a_committed_message_wakes(store: &Store) -> Result<(), Error> {
        store.migrate().await.map_err(Error::internal)?;
        let wake = store.outbox_wake();
        // A wake-up given while no lane waits is kept for the next wait, as a busy lane's is.
        let woken = async |channel| {
            tokio::time::timeout(Duration::from_millis(300), wake.of(channel).notified())
                .await
                .is_ok()
        };
        let mut listener = store.outbox_listener().await.transpose()?;
        let mut notified = async |within: Duration| match &mut listener {
            Some(listener) => Some(
                tokio::time::timeout(within, listener.recv())
                    .await
                    .is_ok_and(|n| n.is_ok()),
            ),
            None => None,
        };
        let now = Millis(1_764_440_366_123);

        let rolled_back: Result<(), Error> = transaction!(store, |tx| {
            tx.insert_outbox(&message(now)).await?;
            Err(Error::NotFound)
        });
        assert!(matches!(rolled_back, Err(Error::NotFound)));
        assert!(
            !woken(Channel::Email).await,
            "a rolled back message woke the worker"
        );
        assert!(!woken(Channel::Webhook).await);
        assert_ne!(
            notified(Duration::from_millis(300)).await,
            Some(true),
            "a rolled back message notified the other processes"
        );
        assert_eq!(queued(store).await?, 0, "nothing left to send");

        transaction!(store, |tx| { tx.insert_outbox(&message(now)).await })?;
        assert!(
            woken(Channel::Email).await,
            "a committed message wakes its lane"
        );
        assert!(!woken(Channel::Webhook).await, "and only its lane");
        assert_ne!(
            notified(Duration::from_secs(5)).await,
            Some(false),
            "a committed message notifies the other processes"
        );
        assert_eq!(queued(store).await?, 1);

        store
            .autocommit()
            .await?
            .insert_outbox(&message(now))
            .await?;
        assert!(
            woken(Channel::Email).await,
            "a message written on its own wakes at once"
        );
        assert_ne!(notified(Duration::from_secs(5)).await, Some(false));
        assert_eq!(queued(store).await?, 2);
        Ok(())
    }

    #[tokio::test]
    async fn only_a_committed_message_wakes_the_worker_on_sqlite() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(Error::internal)?;
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db"));
        let store = Store::open(&test_options(&url))
            .await
            .map_err(Error::internal)?;
        let outcome = only_a_committed_message_wakes(&store).await;
        store.close().await;
        outcome
    }

    #[tokio::test]
    async fn only_a_committed_message_wakes_the_worker_on_postgres() -> Result<(), Error> {
        let Some(admin) = test_postgres_url("the outbox wake-up test") else {
            return Ok(());
        };
        let scratch = ScratchDatabase::create(&admin).await?;
        // One connection more than `test_options` gives, for the listener.
        let options = OpenOptions {
            max_connections: 3,
            ..test_options(&scratch.url)
        };
        let store = Store::open(&options).await.map_err(Error::internal)?;
        let outcome = only_a_committed_message_wakes(&store).await;
        store.close().await;
        scratch.drop_now().await?;
        outcome
    }
}
