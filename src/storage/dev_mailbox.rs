use super::{Conn, on_db};
use crate::domain::time::Millis;
use crate::error::Error;

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct StoredMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// JSON array of the links in the message.
    #[serde(skip)]
    pub links: String,
    pub created_at: Millis,
}

impl Conn {
    pub async fn insert_dev_mail(&mut self, m: &StoredMail) -> Result<i64, Error> {
        const SQL: &str = "INSERT INTO dev_mailbox (recipient, subject, html, text, links, created_at) \
                           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        Ok(on_db!(self, c => sqlx::query_scalar(SQL)
            .bind(&m.recipient).bind(&m.subject).bind(&m.html).bind(&m.text).bind(&m.links).bind(m.created_at)
            .fetch_one(c).await)?)
    }

    /// Newest first.
    pub async fn list_dev_mail(&mut self, limit: i64) -> Result<Vec<StoredMail>, Error> {
        const SQL: &str = "SELECT id, recipient, subject, html, text, links, created_at FROM dev_mailbox ORDER BY id DESC LIMIT $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(limit).fetch_all(c).await)?)
    }

    pub async fn dev_mail(&mut self, id: i64) -> Result<Option<StoredMail>, Error> {
        const SQL: &str = "SELECT id, recipient, subject, html, text, links, created_at FROM dev_mailbox WHERE id = $1";
        Ok(on_db!(self, c => sqlx::query_as(SQL).bind(id).fetch_optional(c).await)?)
    }
}
