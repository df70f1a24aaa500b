//! Passwords: the policy a new password must pass (contract §2) and Argon2id hashing, which runs
//! on the blocking pool with at most one hash per core in flight so that a burst of log-ins
//! queues instead of starving the async runtime.

use std::{collections::HashSet, fmt, str::FromStr, sync::Arc, sync::LazyLock, time::Duration};

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::Semaphore;

use crate::error::Error;

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 1024;

/// The zxcvbn crate's ranked password list (from Xato's 10 million leaked passwords), keeping
/// the entries of 8 characters or more: shorter ones are refused by length anyway.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .collect()
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("a password needs at least {MIN_CHARS} characters")]
    TooShort,
    #[error("a password has at most {MAX_CHARS} characters")]
    TooLong,
    #[error("this password is too common; choose one that is harder to guess")]
    Common,
}

/// A password that passed the policy; the only input `PasswordHasher::hash` takes.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: String) -> Result<Self, WeakPassword> {
        let chars = input.chars().count();
        if chars < MIN_CHARS {
            return Err(WeakPassword::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(WeakPassword::TooLong);
        }
        if COMMON.contains(input.to_lowercase().as_str()) {
            return Err(WeakPassword::Common);
        }
        Ok(Self(input))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

impl From<WeakPassword> for Error {
    fn from(e: WeakPassword) -> Self {
        Error::invalid("weak_password", "password", e.to_string())
    }
}

/// `LATCHKEY_PASSWORD_HASH`, like `argon2id:m=19456,t=2,p=1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub m_cost: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl FromStr for HashParams {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected argon2id:m=KIB,t=N,p=N, got {s:?}");
        let rest = s.trim().strip_prefix("argon2id:").ok_or_else(bad)?;
        let (mut m, mut t, mut p) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(bad)?;
            let v: u32 = v.trim().parse().map_err(|_| bad())?;
            match k.trim() {
                "m" => m = Some(v),
                "t" => t = Some(v),
                "p" => p = Some(v),
                _ => return Err(bad()),
            }
        }
        let params = Self {
            m_cost: m.ok_or_else(bad)?,
            t_cost: t.ok_or_else(bad)?,
            p_cost: p.ok_or_else(bad)?,
        };
        params
            .argon2_params()
            .map_err(|e| format!("{e} in {s:?}"))?;
        Ok(params)
    }
}

impl HashParams {
    fn argon2_params(&self) -> Result<Params, argon2::Error> {
        Params::new(self.m_cost, self.t_cost, self.p_cost, None)
    }
}

/// Hashes and verifies passwords off the async runtime, a bounded number at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<HasherInner>,
}

struct HasherInner {
    argon2: Argon2<'static>,
    slots: Semaphore,
    /// Verified against when an address has no account, so that the time a log-in takes does
    /// not tell whether the address exists.
    dummy_hash: String,
}

impl PasswordHasher {
    pub fn new(params: HashParams) -> Result<Self, Error> {
        let argon2 = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            params.argon2_params().map_err(Error::internal)?,
        );
        let dummy_hash = argon2
            .hash_password(b"latchkey-dummy-password")
            .map_err(Error::internal)?
            .to_string();
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Self {
            inner: Arc::new(HasherInner {
                argon2,
                slots: Semaphore::new(cores),
                dummy_hash,
            }),
        })
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, Error> {
        let password = password.expose().to_owned();
        self.run(move |inner| {
            inner
                .argon2
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(Error::internal)
        })
        .await
    }

    /// True when `password` matches `stored`. `None` for `stored` spends the same time on the
    /// dummy hash and answers false.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, Error> {
        let password = password.to_owned();
        self.run(move |inner| {
            let (hash, real) = match &stored {
                Some(h) => (h.as_str(), true),
                None => (inner.dummy_hash.as_str(), false),
            };
            Ok(inner
                .argon2
                .verify_password(password.as_bytes(), hash)
                .is_ok()
                && real)
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&HasherInner) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let started = std::time::Instant::now();
        let _permit = self.inner.slots.acquire().await.map_err(Error::internal)?;
        record_slot_wait(started.elapsed());
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(Error::internal)?
    }
}

fn record_slot_wait(waited: Duration) {
    crate::telemetry::password_slot_wait(waited);
    tracing::trace!(
        waited_us = waited.as_micros() as u64,
        "password hashing slot acquired"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds_and_common_list() {
        assert_eq!(
            NewPassword::parse("short".into()).err(),
            Some(WeakPassword::TooShort)
        );
        assert_eq!(
            NewPassword::parse("x".repeat(1025)).err(),
            Some(WeakPassword::TooLong)
        );
        assert!(NewPassword::parse("x".repeat(1024)).is_ok());
        assert_eq!(
            NewPassword::parse("password1".into()).err(),
            Some(WeakPassword::Common)
        );
        assert_eq!(
            NewPassword::parse("PassWord1".into()).err(),
            Some(WeakPassword::Common)
        );
        assert_eq!(
            NewPassword::parse("qwertyuiop".into()).err(),
            Some(WeakPassword::Common)
        );
        assert!(NewPassword::parse("correct horse battery".into()).is_ok());
        // Eight characters, not eight bytes.
        assert!(NewPassword::parse("ééééèèèè".into()).is_ok());
    }

    #[test]
    fn the_list_is_real_and_large() {
        assert!(COMMON.len() >= 10_000, "{} entries", COMMON.len());
    }

    #[test]
    fn hash_params_parse() {
        assert_eq!(
            "argon2id:m=19456,t=2,p=1".parse::<HashParams>(),
            Ok(HashParams {
                m_cost: 19456,
                t_cost: 2,
                p_cost: 1
            })
        );
        for bad in [
            "",
            "bcrypt:m=1",
            "argon2id:m=19456,t=2",
            "argon2id:m=1,t=2,p=1",
            "argon2id:m=x,t=2,p=1",
        ] {
            assert!(bad.parse::<HashParams>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() -> Result<(), Error> {
        let hasher = PasswordHasher::new(HashParams {
            m_cost: 1024,
            t_cost: 1,
            p_cost: 1,
        })?;
        let pw = NewPassword::parse("a long enough secret".into()).map_err(Error::from)?;
        let stored = hasher.hash(&pw).await?;
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            hasher
                .verify("a long enough secret", Some(stored.clone()))
                .await?
        );
        assert!(!hasher.verify("another secret", Some(stored)).await?);
        assert!(!hasher.verify("latchkey-dummy-password", None).await?);
        Ok(())
    }
}
