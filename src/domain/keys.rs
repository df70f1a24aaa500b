//! Key material derived from `LATCHKEY_SECRET`: the access-token signing key, the key that
//! seals links waiting in the outbox, and the key of emailed codes' hashes. None is ever
//! written to the database.

use std::{fmt, io::Write as _, path::Path, str::FromStr};

use base64::{
    Engine as _, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD,
};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use secrecy::{ExposeSecret as _, SecretSlice};
use sha2::Sha256;

use super::{codes::CodeKeys, fault::Fault, second_factor::FactorKeys, tokens::random_bytes};

/// The deployment's secret: at least 32 bytes, written as base64. Held by `secrecy`: never in
/// a `Debug` output, and wiped from memory when dropped.
#[derive(Clone)]
pub struct Secret(SecretSlice<u8>);

impl FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bytes = STANDARD
            .decode(s)
            .or_else(|_| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')))
            .map_err(|_| "expected base64 text of at least 32 random bytes".to_string())?;
        if bytes.len() < 32 {
            return Err(format!("needs at least 32 bytes, got {}", bytes.len()));
        }
        Ok(Self(bytes.into()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn generate() -> Result<Self, Fault> {
        Ok(Self(random_bytes::<32>()?.to_vec().into()))
    }

    /// Reads the key file, or creates it (mode 0600) with a new random secret.
    pub fn load_or_create(path: &Path) -> Result<Self, Fault> {
        match std::fs::read_to_string(path) {
            Ok(text) => text
                .parse()
                .map_err(|e: String| Fault::new(format!("reading {}", path.display()), e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = Self::generate()?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options
                    .open(path)
                    .map_err(|e| Fault::new(format!("cannot create {}", path.display()), e))?;
                writeln!(file, "{}", STANDARD.encode(secret.0.expose_secret()))
                    .map_err(|e| Fault::new(format!("cannot write {}", path.display()), e))?;
                Ok(secret)
            }
            Err(e) => Err(Fault::new(format!("cannot read {}", path.display()), e)),
        }
    }

    fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's output limit, so expand cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"latchkey"), self.0.expose_secret())
            .expand(purpose.as_bytes(), &mut out);
        out
    }
}

/// The private halves of the access-token key pairs one secret derives: one per algorithm, each
/// under its own HKDF label, so that no two purposes ever share key material.
#[derive(Clone)]
pub struct AccessSeeds {
    /// A valid P-256 scalar (big-endian).
    pub es256: [u8; 32],
    /// An Ed25519 secret key (RFC 8032 seed).
    pub eddsa: [u8; 32],
}

impl fmt::Debug for AccessSeeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessSeeds(..)")
    }
}

impl AccessSeeds {
    fn derive(secret: &Secret) -> Self {
        // About one 32-byte string in 2^32 is not a P-256 scalar (zero or above the group
        // order): the next counter's output is taken then, deterministically on every node.
        let es256 = (0u32..)
            .map(|i| secret.derive(&format!("access token ES256 v1/{i}")))
            .find(|bytes| p256::SecretKey::from_slice(bytes).is_ok())
            .unwrap_or_default();
        Self {
            es256,
            eddsa: secret.derive("access token EdDSA v1"),
        }
    }
}

/// The keys of the current secret and, while rotating, of the previous one.
#[derive(Clone)]
pub struct Keys {
    pub access: AccessSeeds,
    pub access_previous: Option<AccessSeeds>,
    sealing: XChaCha20Poly1305,
    sealing_previous: Option<XChaCha20Poly1305>,
    /// Keys the hashes of emailed codes (its own label: no other key is ever reused for it).
    pub codes: CodeKeys,
    /// Seal authenticator secrets and key recovery codes' hashes (labels of their own).
    pub factors: FactorKeys,
}

impl Keys {
    pub fn derive(current: &Secret, previous: Option<&Secret>) -> Self {
        let seal_key = |s: &Secret| XChaCha20Poly1305::new(&s.derive("outbox link v1").into());
        Self {
            access: AccessSeeds::derive(current),
            access_previous: previous.map(AccessSeeds::derive),
            sealing: seal_key(current),
            sealing_previous: previous.map(seal_key),
            codes: CodeKeys::new(
                current.derive("emailed code v1"),
                previous.map(|p| p.derive("emailed code v1")),
            ),
            factors: FactorKeys::new(
                current.derive("authenticator secret v1"),
                previous.map(|p| p.derive("authenticator secret v1")),
                current.derive("recovery code v1"),
                previous.map(|p| p.derive("recovery code v1")),
            ),
        }
    }

    /// Encrypts a link for the outbox, bound to its message id.
    pub fn seal(&self, plaintext: &str, message_id: &[u8]) -> Result<Vec<u8>, Fault> {
        let nonce_bytes = random_bytes::<24>()?;
        let nonce = XNonce::from(nonce_bytes);
        let ciphertext = self
            .sealing
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: message_id,
                },
            )
            .map_err(|_| Fault::msg("sealing failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Decrypts a sealed link with the current key, then the previous one.
    pub fn open(&self, sealed: &[u8], message_id: &[u8]) -> Option<String> {
        let (nonce, ciphertext) = sealed.split_at_checked(24)?;
        let nonce = XNonce::try_from(nonce).ok()?;
        let payload = || Payload {
            msg: ciphertext,
            aad: message_id,
        };
        let plain = self
            .sealing
            .decrypt(&nonce, payload())
            .or_else(|e| match &self.sealing_previous {
                Some(prev) => prev.decrypt(&nonce, payload()),
                None => Err(e),
            })
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret(vec![7; 32].into())
    }

    #[test]
    fn secrets_need_32_bytes_of_base64() {
        assert!("c2hvcnQ=".parse::<Secret>().is_err());
        assert!("not base64 at all!".parse::<Secret>().is_err());
        assert!(STANDARD.encode([1u8; 32]).parse::<Secret>().is_ok());
    }

    #[test]
    fn sealed_links_open_only_with_their_id_and_survive_rotation() -> Result<(), Fault> {
        let old = Keys::derive(&secret(), None);
        let sealed = old.seal("https://x.test/verify-email?token=abc", b"id-1")?;
        assert!(!sealed.windows(3).any(|w| w == b"abc"));
        assert_eq!(
            old.open(&sealed, b"id-1").as_deref(),
            Some("https://x.test/verify-email?token=abc")
        );
        assert_eq!(old.open(&sealed, b"id-2"), None);
        let new_secret = Secret(vec![9; 32].into());
        let rotated = Keys::derive(&new_secret, Some(&secret()));
        assert!(rotated.open(&sealed, b"id-1").is_some());
        assert_eq!(Keys::derive(&new_secret, None).open(&sealed, b"id-1"), None);
        Ok(())
    }

    #[test]
    fn key_file_is_created_private_and_reused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("latchkey.key");
        let first = Secret::load_or_create(&path)?;
        let again = Secret::load_or_create(&path)?;
        assert_eq!(first.0.expose_secret(), again.0.expose_secret());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }
}
