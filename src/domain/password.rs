//! Passwords: the policy a new password must pass (contract §2) and Argon2id hashing, which runs
//! on the blocking pool with at most one hash per core in flight so that a burst of log-ins
//! queues instead of starving the async runtime.

use std::{
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use tokio::sync::Semaphore;

pub use super::new_password::{MAX_CHARS, MIN_CHARS, NewPassword, WeakPassword};
use super::{
    fault::{BoxError, Fault},
    tokens::random_bytes,
};

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
    /// Told how long each hash waited for a slot (the application counts it in a metric; the
    /// domain records no metrics of its own).
    on_slot_wait: fn(Duration),
}

struct HasherInner {
    argon2: Argon2<'static>,
    params: Params,
    slots: Semaphore,
    /// Argon2's working memory (`m` KiB), one per slot, kept from one hash to the next. Freshly
    /// allocated per hash, each blocking thread's malloc arena kept a copy of its own: the
    /// server's resident memory passed 1 GB under load instead of cores × `m`.
    memory: Mutex<Vec<Vec<Block>>>,
    /// Verified against when an address has no account, so that the time a log-in takes does
    /// not tell whether the address exists.
    dummy_hash: String,
}

/// Bytes of salt in a new hash, as the `password-hash` crate recommends.
const SALT_BYTES: usize = 16;

impl PasswordHasher {
    pub fn new(params: HashParams) -> Result<Self, Fault> {
        let params = params
            .argon2_params()
            .map_err(|e| Fault::new("the password hash parameters", e))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let inner = HasherInner {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone()),
            params,
            slots: Semaphore::new(cores),
            memory: Mutex::new(Vec::with_capacity(cores)),
            dummy_hash: String::new(),
        };
        let dummy_hash = inner.hash(b"latchkey-dummy-password")?;
        Ok(Self {
            inner: Arc::new(HasherInner {
                dummy_hash,
                ..inner
            }),
            on_slot_wait: |_| {},
        })
    }

    /// Calls `observe` with how long each hash waited for a free slot.
    pub fn observe_slot_waits(self, observe: fn(Duration)) -> Self {
        Self {
            on_slot_wait: observe,
            ..self
        }
    }

    pub async fn hash(&self, password: &NewPassword) -> Result<String, Fault> {
        let password = password.expose().to_owned();
        self.run(move |inner| inner.hash(password.as_bytes())).await
    }

    /// True when `password` matches `stored`. `None` for `stored` spends the same time on the
    /// dummy hash and answers false.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, Fault> {
        let password = password.to_owned();
        self.run(move |inner| {
            let (hash, real) = match &stored {
                Some(h) => (h.as_str(), true),
                None => (inner.dummy_hash.as_str(), false),
            };
            Ok(inner.verify(password.as_bytes(), hash) && real)
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&HasherInner) -> Result<T, Fault> + Send + 'static,
    ) -> Result<T, Fault> {
        let started = std::time::Instant::now();
        let _permit = (self.inner.slots.acquire().await)
            .map_err(|e| Fault::new("a password hashing slot", e))?;
        let waited = started.elapsed();
        (self.on_slot_wait)(waited);
        tracing::trace!(
            waited_us = waited.as_micros() as u64,
            "password hashing slot acquired"
        );
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| Fault::new("the password hashing task", e))?
    }
}

impl HasherInner {
    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh random salt: the
    /// same string `argon2`'s own `hash_password` makes.
    fn hash(&self, password: &[u8]) -> Result<String, Fault> {
        fn failed(e: impl Into<BoxError>) -> Fault {
            Fault::new("hashing a password", e)
        }
        let salt = random_bytes::<SALT_BYTES>()?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.compute(&self.argon2, &self.params, password, &salt, &mut out)
            .map_err(failed)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(failed)?,
            salt: Some(Salt::new(&salt).map_err(failed)?),
            hash: Some(Output::new(&out).map_err(failed)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches the PHC string `stored`, with the parameters `stored` names
    /// (so hashes made before a change of `LATCHKEY_PASSWORD_HASH` still verify). Compared in
    /// constant time; anything unparsable is no match.
    fn verify(&self, password: &[u8], stored: &str) -> bool {
        let check = || -> Option<bool> {
            let phc = PasswordHash::new(stored).ok()?;
            let algorithm = Algorithm::try_from(phc.algorithm.as_str()).ok()?;
            let version = match phc.version {
                Some(v) => Version::try_from(v).ok()?,
                None => Version::default(),
            };
            let params = Params::try_from(&phc).ok()?;
            let (salt, expected) = (phc.salt.as_ref()?, phc.hash.as_ref()?);
            let mut out = [0u8; Output::MAX_LENGTH];
            let out = out.get_mut(..expected.len())?;
            let argon2 = Argon2::new(algorithm, version, params.clone());
            self.compute(&argon2, &params, password, salt, out).ok()?;
            Some(Output::new(out).ok()? == *expected)
        };
        check().unwrap_or(false)
    }

    /// Runs Argon2 on a working memory from the pool (a slot's permit is held, so there is one
    /// for each hash in flight).
    fn compute(
        &self,
        argon2: &Argon2<'_>,
        params: &Params,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let blocks = params.block_count();
        let mut memory = self
            .memory
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        // Argon2's first pass writes every block before reading it: no need to clear them.
        let result =
            argon2.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks]);
        // A larger memory, for a hash made with other parameters, is not kept.
        if memory.len() == self.params.block_count()
            && let Ok(mut pool) = self.memory.lock()
        {
            pool.push(memory);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn pooled_hashing_matches_the_argon2_crate() -> Result<(), Box<dyn std::error::Error>> {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = PasswordHasher::new(HashParams {
            m_cost: 1024,
            t_cost: 2,
            p_cost: 1,
        })?;
        let inner = &hasher.inner;
        let ours = inner.hash(b"a long enough secret")?;
        assert!(ours.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"), "{ours}");
        // The crate's own verifier accepts our strings, and we accept the crate's.
        assert!(
            inner
                .argon2
                .verify_password(b"a long enough secret", ours.as_str())
                .is_ok()
        );
        let theirs = inner
            .argon2
            .hash_password(b"a long enough secret")?
            .to_string();
        assert!(inner.verify(b"a long enough secret", &theirs));
        assert!(!inner.verify(b"another secret", &theirs));
        // Hashes made with other parameters (a larger memory too) still verify, and the pool
        // keeps only memories of the configured size.
        let bigger = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(2048, 1, 1, None)?,
        )
        .hash_password(b"a long enough secret")?
        .to_string();
        assert!(inner.verify(b"a long enough secret", &bigger));
        assert!(!inner.verify(b"a long enough secret", "not a hash"));
        let pool = inner.memory.lock().map_err(|e| e.to_string())?;
        assert!(pool.iter().all(|m| m.len() == inner.params.block_count()));
        Ok(())
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() -> Result<(), Box<dyn std::error::Error>>
    {
        let hasher = PasswordHasher::new(HashParams {
            m_cost: 1024,
            t_cost: 1,
            p_cost: 1,
        })?;
        let pw = NewPassword::parse("a long enough secret".into())?;
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
