use std::time::Duration;

use super::{Conn, on_db};
use crate::domain::time::Millis;
use crate::error::Error;

impl Conn {
    /// Counts one attempt for `subject` if fewer than `limit` were counted within the window
    /// ending now; otherwise counts nothing and returns how long until the oldest of them
    /// leaves the window. Run in a write transaction: on PostgreSQL (SERIALIZABLE) two
    /// processes counting the same subject at once cannot both take the last place; one is
    /// run again and sees the other's row.
    pub async fn take_rate_limit_hit(
        &mut self,
        subject: &[u8],
        now: Millis,
        window: Duration,
        limit: i64,
    ) -> Result<Option<Duration>, Error> {
        const PRUNE: &str = "DELETE FROM rate_limit_hits WHERE subject = $1 AND at <= $2";
        const COUNT: &str =
            "SELECT COUNT(*), MIN(at) FROM rate_limit_hits WHERE subject = $1 AND at > $2";
        const INSERT: &str = "INSERT INTO rate_limit_hits (subject, at) VALUES ($1, $2)";
        let since = now - window;
        on_db!(self, c => sqlx::query(PRUNE).bind(subject).bind(since).execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let (count, oldest): (i64, Option<Millis>) =
            on_db!(self, c => sqlx::query_as(COUNT).bind(subject).bind(since).fetch_one(c).await)?;
        if count >= limit {
            let wait = (oldest.unwrap_or(now) + window).remaining_at(now);
            return Ok(Some(wait.max(Duration::from_millis(1))));
        }
        on_db!(self, c => sqlx::query(INSERT).bind(subject).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(None)
    }

    /// Forgets attempts older than `before` whatever their subject (subjects that were never
    /// tried again).
    pub async fn sweep_rate_limit_hits(&mut self, before: Millis) -> Result<u64, Error> {
        const SQL: &str = "DELETE FROM rate_limit_hits WHERE at <= $1";
        Ok(
            on_db!(self, c => sqlx::query(SQL).bind(before).execute(c).await.map(|r| r.rows_affected()))?,
        )
    }
}
