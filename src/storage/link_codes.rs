use crate::domain::time::Millis;
use uuid::Uuid;

use super::{Conn, on_db};
use crate::{
    domain::{
        codes::CodeHash,
        tokens::{Purpose, TokenHash},
    },
    error::Error,
};

/// A right code, presented within the limits.
#[derive(Debug)]
pub struct CodeTry {
    /// The link the code belongs to (whether it is still usable is the link's business).
    pub link: TokenHash,
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
        now: Millis,
    ) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO link_codes (user_id, purpose, link_hash, code_hash, failed_attempts, created_at) \
            VALUES ($1, $2, $3, $4, 0, $5) \
            ON CONFLICT (user_id, purpose) DO UPDATE SET link_hash = excluded.link_hash, \
                code_hash = excluded.code_hash, failed_attempts = 0, created_at = excluded.created_at";
        on_db!(self, c => sqlx::query(SQL)
            .bind(user_id).bind(purpose).bind(&link.0[..]).bind(&code.0[..]).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Tries a code for the account at `email_norm`, counting a wrong one under `subject`
    /// (the address and purpose, contract §4). The same statements run for every address,
    /// with or without an account, and a failure is the same one-row insert for both, so
    /// neither the answer nor its time (the write included) tells them apart.
    ///
    /// A code matches only while fewer than `limits.per_code` wrong ones were counted since it
    /// was made, and while fewer than `limits.per_window` were counted within
    /// `limits.window` for the address and purpose; past the latter nothing more is counted.
    /// In a write transaction: on PostgreSQL (SERIALIZABLE) two tries that count at once
    /// cannot both take the last place; one runs again and sees the other's row.
    /// `None`: no match (counted if below the cap).
    pub async fn try_link_code(
        &mut self,
        email_norm: &str,
        purpose: Purpose,
        subject: &[u8; 32],
        candidates: [CodeHash; 2],
        limits: CodeLimits,
        now: Millis,
    ) -> Result<Option<CodeTry>, Error> {
        const PRUNE: &str = "DELETE FROM code_failures WHERE subject = $1 AND at <= $2";
        // One row whatever the address: the account and its code are left-joined.
        const LOOK: &str = "SELECT \
                (SELECT COUNT(*) FROM code_failures f WHERE f.subject = $1) AS in_window, \
                (SELECT COUNT(*) FROM code_failures f WHERE f.subject = $1 AND f.at >= lc.created_at) AS on_code, \
                lc.link_hash, lc.code_hash IN ($4, $5) AS matched \
            FROM (SELECT 1 AS one) AS one \
            LEFT JOIN users u ON u.email_norm = $2 \
            LEFT JOIN link_codes lc ON lc.user_id = u.id AND lc.purpose = $3";
        const COUNT: &str = "INSERT INTO code_failures (subject, at) VALUES ($1, $2)";
        let since = now - limits.window;
        on_db!(self, c => sqlx::query(PRUNE).bind(&subject[..]).bind(since)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
        let (in_window, on_code, link, matched): (i64, i64, Option<Vec<u8>>, Option<bool>) = on_db!(self, c => sqlx::query_as(LOOK)
                .bind(&subject[..]).bind(email_norm).bind(purpose)
                .bind(&candidates[0].0[..]).bind(&candidates[1].0[..])
                .fetch_one(&mut *c).await)?;
        if in_window >= limits.per_window {
            return Ok(None);
        }
        let link = link.and_then(|l| <[u8; 32]>::try_from(l).ok());
        if let (Some(link), Some(true)) = (link, matched)
            && on_code < limits.per_code
        {
            return Ok(Some(CodeTry {
                link: TokenHash(link),
            }));
        }
        on_db!(self, c => sqlx::query(COUNT).bind(&subject[..]).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(None)
    }

    /// Forgets wrong codes counted before `before` whatever their address (addresses never
    /// tried again).
    pub async fn sweep_code_failures(&mut self, before: Millis) -> Result<u64, Error> {
        const SQL: &str = "DELETE FROM code_failures WHERE at <= $1";
        Ok(
            on_db!(self, c => sqlx::query(SQL).bind(before).execute(c).await.map(|r| r.rows_affected()))?,
        )
    }
}

/// How many wrong codes an address may try for a purpose (contract §4).
#[derive(Debug, Clone, Copy)]
pub struct CodeLimits {
    /// On one code, since it was made.
    pub per_code: i64,
    /// Across all codes, within `window`.
    pub per_window: i64,
    pub window: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        configuration::DatabaseUrl,
        domain::{
            codes::{
                CodeKeys, FAILURE_WINDOW, MAX_FAILED_ATTEMPTS, MAX_FAILURES_PER_WINDOW, OneTimeCode,
            },
            tokens::LinkToken,
        },
        storage::{NewLinkToken, NewUser, Store},
    };

    const PURPOSE: Purpose = Purpose::ResetPassword;
    const ANN: &str = "ann@example.com";

    fn keys() -> CodeKeys {
        CodeKeys::new([3; 32], None)
    }

    async fn new_code(
        conn: &mut Conn,
        user: Uuid,
        now: Millis,
    ) -> Result<(TokenHash, OneTimeCode), Error> {
        let token = LinkToken::generate()?;
        let code = OneTimeCode::generate()?;
        conn.insert_link_token(&NewLinkToken {
            hash: token.hash(),
            user_id: user,
            purpose: PURPOSE,
            account_email: ANN,
            change_id: None,
            now,
            expires_at: Millis::MAX,
        })
        .await?;
        let hash = keys().hash(PURPOSE, ANN, &code);
        conn.put_link_code(user, PURPOSE, token.hash(), hash, now)
            .await?;
        Ok((token.hash(), code))
    }

    const LIMITS: CodeLimits = CodeLimits {
        per_code: MAX_FAILED_ATTEMPTS,
        per_window: MAX_FAILURES_PER_WINDOW,
        window: FAILURE_WINDOW,
    };

    async fn attempt(
        conn: &mut Conn,
        email: &str,
        code: &OneTimeCode,
        now: Millis,
    ) -> Result<Option<CodeTry>, Error> {
        let candidates = keys().candidates(PURPOSE, email, code);
        let subject = keys().failure_subject(PURPOSE, email);
        conn.try_link_code(email, PURPOSE, &subject, candidates, LIMITS, now)
            .await
    }

    async fn failed(conn: &mut Conn) -> Result<i64, Error> {
        const SQL: &str = "SELECT COUNT(*) FROM code_failures";
        Ok(on_db!(conn, c => sqlx::query_scalar(SQL).fetch_one(c).await)?)
    }

    /// The limits on a real (temporary) database: wrong codes count, a right code counts
    /// nothing, after 5 wrong ones the code is refused even when right, a new code starts
    /// afresh, and across codes the address gets 10 wrong ones in a day, then none until the
    /// day has passed. An address without an account is counted alike.
    #[tokio::test]
    async fn wrong_tries_stop_at_the_limits() -> Result<(), Error> {
        let dir = tempfile::tempdir().map_err(Error::internal)?;
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db"));
        let store = Store::open(&crate::storage::test_options(&url))
            .await
            .map_err(Error::internal)?;
        store.migrate().await.map_err(Error::internal)?;
        let user = Uuid::now_v7();
        let mut conn = store.autocommit().await?;
        conn.insert_user(&NewUser {
            id: user,
            email: ANN,
            email_norm: ANN,
            password_hash: None,
            name: None,
            email_verified: true,
            is_admin: false,
            locale: None,
            now: Millis(1),
        })
        .await?;
        let (link, code) = new_code(&mut conn, user, Millis(1)).await?;
        let wrong = wrong_for(&code)?;
        let t = Millis(2);

        let right = attempt(&mut conn, ANN, &code, t).await?;
        assert!(right.is_some_and(|t| t.link == link));
        assert_eq!(failed(&mut conn).await?, 0, "a right code counts nothing");
        assert!(
            attempt(&mut conn, "bob@example.com", &code, t)
                .await?
                .is_none()
        );
        assert_eq!(
            failed(&mut conn).await?,
            1,
            "counted alike without an account"
        );
        for n in 1..=MAX_FAILED_ATTEMPTS {
            assert!(
                attempt(&mut conn, ANN, &wrong, t).await?.is_none(),
                "wrong try {n}"
            );
        }
        assert!(
            attempt(&mut conn, ANN, &code, t).await?.is_none(),
            "the code is spent"
        );

        // A new code works again, but the address has only 10 wrong ones a day in all.
        let (link, code) = new_code(&mut conn, user, Millis(3)).await?;
        let wrong = wrong_for(&code)?;
        let t = Millis(4);
        let t2 = attempt(&mut conn, ANN, &code, t).await?;
        assert!(t2.is_some_and(|t| t.link == link));
        for _ in 0..4 {
            assert!(attempt(&mut conn, ANN, &wrong, t).await?.is_none());
        }
        let counted = failed(&mut conn).await?;
        assert!(
            attempt(&mut conn, ANN, &code, t).await?.is_none(),
            "10 in a day"
        );
        assert!(attempt(&mut conn, ANN, &wrong, t).await?.is_none());
        assert_eq!(
            failed(&mut conn).await?,
            counted,
            "nothing counted past the cap"
        );

        // A day later, a new code works.
        let later = t + FAILURE_WINDOW;
        let (link, code) = new_code(&mut conn, user, later).await?;
        let t3 = attempt(&mut conn, ANN, &code, later).await?;
        assert!(t3.is_some_and(|t| t.link == link));
        drop(conn);
        store.close().await;
        Ok(())
    }

    fn wrong_for(code: &OneTimeCode) -> Result<OneTimeCode, Error> {
        let n: u32 = code.as_str().parse().map_err(Error::internal)?;
        Ok(OneTimeCode::parse(&format!("{:06}", (n + 1) % 1_000_000))?)
    }
}
