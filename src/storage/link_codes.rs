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
            .bind(email_norm).bind(purpose).bind(&candidates[0].0[..]).bind(&candidates[1].0[..])
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        configuration::DatabaseUrl,
        domain::{
            codes::{CodeKeys, MAX_FAILED_ATTEMPTS, OneTimeCode},
            tokens::LinkToken,
        },
        storage::{NewLinkToken, NewUser, Store},
    };

    const PURPOSE: Purpose = Purpose::ResetPassword;
    const ANN: &str = "ann@example.com";

    fn keys() -> CodeKeys {
        CodeKeys::new([3; 32], None)
    }

    async fn new_code(conn: &mut Conn, user: Uuid) -> Result<(TokenHash, OneTimeCode), Error> {
        let token = LinkToken::generate()?;
        let code = OneTimeCode::generate()?;
        conn.insert_link_token(&NewLinkToken {
            hash: token.hash(),
            user_id: user,
            purpose: PURPOSE,
            account_email: ANN,
            change_id: None,
            now: Millis(1),
            expires_at: Millis::MAX,
        })
        .await?;
        let hash = keys().hash(PURPOSE, ANN, &code);
        conn.put_link_code(user, PURPOSE, token.hash(), hash, Millis(1))
            .await?;
        Ok((token.hash(), code))
    }

    async fn attempt(
        conn: &mut Conn,
        email: &str,
        code: &OneTimeCode,
    ) -> Result<Option<CodeTry>, Error> {
        let candidates = keys().candidates(PURPOSE, email, code);
        conn.try_link_code(email, PURPOSE, candidates, MAX_FAILED_ATTEMPTS)
            .await
    }

    async fn failed(conn: &mut Conn) -> Result<i64, Error> {
        const SQL: &str = "SELECT failed_attempts FROM link_codes";
        Ok(on_db!(conn, c => sqlx::query_scalar(SQL).fetch_one(c).await)?)
    }

    /// The attempt limit on a real (temporary) database: wrong codes count up to 5 and no
    /// further, a right code counts nothing, the sixth try finds no code even when right, and a
    /// new code starts afresh.
    #[tokio::test]
    async fn wrong_tries_stop_at_the_limit_and_a_new_code_starts_afresh() -> Result<(), Error> {
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
        let (link, code) = new_code(&mut conn, user).await?;
        let n: u32 = code.as_str().parse().map_err(Error::internal)?;
        let wrong = OneTimeCode::parse(&format!("{:06}", (n + 1) % 1_000_000))?;

        let right = attempt(&mut conn, ANN, &code).await?;
        assert!(right.is_some_and(|t| t.matched && t.link == link));
        assert_eq!(failed(&mut conn).await?, 0, "a right code counts nothing");
        assert!(
            attempt(&mut conn, "bob@example.com", &code)
                .await?
                .is_none()
        );
        for n in 1..=MAX_FAILED_ATTEMPTS {
            let t = attempt(&mut conn, ANN, &wrong).await?;
            assert!(t.is_some_and(|t| !t.matched), "wrong try {n}");
            assert_eq!(failed(&mut conn).await?, n);
        }
        assert!(attempt(&mut conn, ANN, &wrong).await?.is_none());
        assert!(attempt(&mut conn, ANN, &code).await?.is_none());
        assert_eq!(
            failed(&mut conn).await?,
            MAX_FAILED_ATTEMPTS,
            "never past the limit"
        );

        let (link, code) = new_code(&mut conn, user).await?;
        assert_eq!(failed(&mut conn).await?, 0);
        let t = attempt(&mut conn, ANN, &code).await?;
        assert!(t.is_some_and(|t| t.matched && t.link == link));
        drop(conn);
        store.close().await;
        Ok(())
    }
}
