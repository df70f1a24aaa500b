use uuid::Uuid;

use super::{Conn, on_db};
use crate::{
    domain::{
        codes::CodeHash,
        tokens::{Purpose, TokenHash},
    },
    error::Error,
};

/// The outcome of presenting a code for an address and purpose that has a live one.
#[derive(Debug)]
pub struct CodeTry {
    /// The link the code belongs to (whether it is still usable is the link's business).
    pub link: TokenHash,
    /// Whether the code was right; a wrong one was counted.
    pub matched: bool,
}

impl Conn {
    /// Stores the code sent with a link, replacing the account's earlier code for the purpose
    /// (only the newest code works) and starting its count of wrong tries afresh.
    pub async fn put_link_code(
        &mut self,
        user_id: Uuid,
        purpose: Purpose,
        link: TokenHash,
        code: CodeHash,
        now: i64,
    ) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO link_codes (user_id, purpose, link_hash, code_hash, failed_attempts, created_at) \
            VALUES ($1, $2, $3, $4, 0, $5) \
            ON CONFLICT (user_id, purpose) DO UPDATE SET link_hash = excluded.link_hash, \
                code_hash = excluded.code_hash, failed_attempts = 0, created_at = excluded.created_at";
        on_db!(self, c => sqlx::query(SQL)
            .bind(user_id).bind(purpose.as_str()).bind(&link.0[..]).bind(&code.0[..]).bind(now)
            .execute(c).await)?;
        Ok(())
    }

    /// Tries a code for the account at `email_norm`: in one conditional statement, the code
    /// counts as wrong (unless it matches one of `candidates`) only while fewer than
    /// `max_failed` wrong ones were tried, so no number of concurrent tries gets past the limit.
    /// `None`: no such account, no code, or the code is spent by wrong tries.
    pub async fn try_link_code(
        &mut self,
        email_norm: &str,
        purpose: Purpose,
        candidates: [CodeHash; 2],
        max_failed: i64,
    ) -> Result<Option<CodeTry>, Error> {
        const SQL: &str = "UPDATE link_codes \
            SET failed_attempts = failed_attempts + CASE WHEN code_hash IN ($3, $4) THEN 0 ELSE 1 END \
            WHERE user_id = (SELECT id FROM users WHERE email_norm = $1) AND purpose = $2 \
              AND failed_attempts < $5 \
            RETURNING link_hash, code_hash IN ($3, $4) AS matched";
        let row: Option<(Vec<u8>, bool)> = on_db!(self, c => sqlx::query_as(SQL)
            .bind(email_norm).bind(purpose.as_str()).bind(&candidates[0].0[..]).bind(&candidates[1].0[..])
            .bind(max_failed)
            .fetch_optional(c).await)?;
        Ok(row.and_then(|(link, matched)| {
            let link: [u8; 32] = link.try_into().ok()?;
            Some(CodeTry {
                link: TokenHash(link),
                matched,
            })
        }))
    }
}
