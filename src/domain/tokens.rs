//! Single-use link tokens (contract §4): 256 random bits from the OS, URL-safe, and only their
//! SHA-256 ever stored. Also the refresh tokens of sessions, which carry their session's id.

use std::fmt;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::fault::Fault;

/// What a link token may be used for; a token is refused for any other purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    ConfirmNewEmail,
    ConfirmOldEmail,
    RevertEmailChange,
    /// Sign-in by email (contract §11).
    SignIn,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Self::VerifyEmail,
        Self::ResetPassword,
        Self::ConfirmNewEmail,
        Self::ConfirmOldEmail,
        Self::RevertEmailChange,
        Self::SignIn,
    ];

    /// The page of the link base that handles this purpose's links (contract §5).
    pub fn page(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify-email",
            Self::ResetPassword => "reset-password",
            Self::ConfirmNewEmail | Self::ConfirmOldEmail => "confirm-email-change",
            Self::RevertEmailChange => "revert-email-change",
            Self::SignIn => "sign-in",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ConfirmNewEmail => "confirm_new_email",
            Self::ConfirmOldEmail => "confirm_old_email",
            Self::RevertEmailChange => "revert_email_change",
            Self::SignIn => "sign_in",
        }
    }
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], Fault> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| Fault::new("OS random source", e))?;
    Ok(buf)
}

/// Text that cannot be a link token (the API's `token_invalid`), told without the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the link is not valid")]
pub struct MalformedLinkToken;

/// Text that cannot be a refresh token (the API's `invalid_refresh_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the refresh token is not valid")]
pub struct MalformedRefreshToken;

/// The SHA-256 of a token: what the database keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Whether a stored hash is this one, compared in constant time: how long the comparison
    /// takes tells nothing about how much of it matched.
    pub fn matches(&self, stored: &[u8]) -> bool {
        use subtle::ConstantTimeEq as _;
        stored.len() == self.0.len() && bool::from(self.0.ct_eq(stored))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A freshly made link token; its text goes into exactly one email.
pub struct LinkToken {
    text: String,
    hash: TokenHash,
}

const LINK_TOKEN_BYTES: usize = 32;
const LINK_TOKEN_CHARS: usize = 43;

impl LinkToken {
    pub fn generate() -> Result<Self, Fault> {
        let bytes = random_bytes::<LINK_TOKEN_BYTES>()?;
        Ok(Self {
            text: URL_SAFE_NO_PAD.encode(bytes),
            hash: TokenHash::of(&bytes),
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn hash(&self) -> TokenHash {
        self.hash
    }

    /// The hash of a token presented by a client, refusing anything that cannot be a token
    /// without touching the database.
    pub fn hash_presented(presented: &str) -> Result<TokenHash, MalformedLinkToken> {
        let presented = presented.trim();
        if presented.len() != LINK_TOKEN_CHARS {
            return Err(MalformedLinkToken);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(presented)
            .map_err(|_| MalformedLinkToken)?;
        Ok(TokenHash::of(&bytes))
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(..)")
    }
}

/// A refresh token: the session id followed by 256 random bits. The id lets a dead token be
/// traced to its session (reuse revokes the session); only the hash is stored.
pub struct RefreshToken {
    text: String,
    session_id: Uuid,
    hash: TokenHash,
}

const SESSION_ID_BYTES: usize = 16;

impl RefreshToken {
    pub fn generate(session_id: Uuid) -> Result<Self, Fault> {
        let mut bytes = [0u8; SESSION_ID_BYTES + LINK_TOKEN_BYTES];
        bytes[..SESSION_ID_BYTES].copy_from_slice(session_id.as_bytes());
        bytes[SESSION_ID_BYTES..].copy_from_slice(&random_bytes::<LINK_TOKEN_BYTES>()?);
        Ok(Self {
            text: URL_SAFE_NO_PAD.encode(bytes),
            session_id,
            hash: TokenHash::of(&bytes),
        })
    }

    /// Splits a presented refresh token into its session id and hash, refusing anything
    /// malformed.
    pub fn parse(presented: &str) -> Result<(Uuid, TokenHash), MalformedRefreshToken> {
        let bytes = URL_SAFE_NO_PAD
            .decode(presented.trim())
            .map_err(|_| MalformedRefreshToken)?;
        if bytes.len() != SESSION_ID_BYTES + LINK_TOKEN_BYTES {
            return Err(MalformedRefreshToken);
        }
        let session_id =
            Uuid::from_slice(&bytes[..SESSION_ID_BYTES]).map_err(|_| MalformedRefreshToken)?;
        Ok((session_id, TokenHash::of(&bytes)))
    }

    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn session_id(&self) -> Uuid {
        self.session_id
    }
    pub fn hash(&self) -> TokenHash {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_tokens_are_random_url_safe_and_hash_back() -> Result<(), Box<dyn std::error::Error>> {
        let a = LinkToken::generate()?;
        let b = LinkToken::generate()?;
        assert_ne!(a.text(), b.text());
        assert_eq!(a.text().len(), 43);
        assert!(
            a.text()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(LinkToken::hash_presented(a.text())?, a.hash());
        assert_ne!(LinkToken::hash_presented(b.text())?, a.hash());
        Ok(())
    }

    #[test]
    fn garbage_is_token_invalid() {
        for bad in [
            "",
            "abc",
            "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
            &"a".repeat(44),
        ] {
            assert!(
                LinkToken::hash_presented(bad) == Err(MalformedLinkToken),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refresh_tokens_carry_their_session() -> Result<(), Box<dyn std::error::Error>> {
        let sid = Uuid::now_v7();
        let token = RefreshToken::generate(sid)?;
        let (parsed_sid, hash) = RefreshToken::parse(token.text())?;
        assert_eq!(parsed_sid, sid);
        assert_eq!(hash, token.hash());
        assert!(RefreshToken::parse("nope").is_err_and(|e| e == MalformedRefreshToken));
        Ok(())
    }
}
