//! Account events for the host application (contract §9): their types and bodies, and the
//! Standard Webhooks 1.0 signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
//! A body holds ids and addresses only: never a token, a link or a password.

use std::{fmt, str::FromStr};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit as _, Mac as _};
use secrecy::{ExposeSecret as _, SecretSlice};
use serde_json::{Value as Json, json};
use sha2::Sha256;
use uuid::Uuid;

use super::time::Millis;

/// `LATCHKEY_WEBHOOK_SECRET`: `whsec_` and the base64 of at least 24 random bytes.
#[derive(Clone)]
pub struct WebhookSecret(SecretSlice<u8>);

pub const WEBHOOK_SECRET_MIN_BYTES: usize = 24;

impl FromStr for WebhookSecret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let b64 = s
            .trim()
            .strip_prefix("whsec_")
            .ok_or("expected whsec_ followed by base64 (a Standard Webhooks secret)")?;
        let bytes = STANDARD
            .decode(b64)
            .map_err(|_| "the part after whsec_ is not base64".to_string())?;
        if bytes.len() < WEBHOOK_SECRET_MIN_BYTES {
            return Err(format!(
                "needs at least {WEBHOOK_SECRET_MIN_BYTES} random bytes, got {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes.into()))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    /// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.0.expose_secret()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret, space-separated, the current
/// secret's first (both while rotating, so receivers on either secret accept it).
pub fn signature_header(
    current: &WebhookSecret,
    previous: Option<&WebhookSecret>,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    std::iter::once(current)
        .chain(previous)
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `webhook-id` of an outbox message: the same on every retry of one event.
pub fn webhook_id(message_id: Uuid) -> String {
    format!("msg_{}", message_id.simple())
}

/// An account event (contract §9's table).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Created {
        user_id: Uuid,
        email: String,
        email_verified: bool,
    },
    Verified {
        user_id: Uuid,
        email: String,
    },
    /// An operator marked a verified address unverified.
    Unverified {
        user_id: Uuid,
        email: String,
    },
    EmailChanged {
        user_id: Uuid,
        email: String,
        previous_email: String,
    },
    EmailReverted {
        user_id: Uuid,
        email: String,
        previous_email: String,
    },
    PasswordChanged {
        user_id: Uuid,
    },
    Disabled {
        user_id: Uuid,
    },
    Enabled {
        user_id: Uuid,
    },
    Deleted {
        user_id: Uuid,
        email: String,
    },
    /// An authenticator app, passkey or recovery codes added or removed: what the account has
    /// now.
    MfaChanged {
        user_id: Uuid,
        totp: bool,
        passkeys: i64,
    },
    /// A session ended before its time, so a host app that keeps sessions of its own (or a
    /// per-session cache) can end them too.
    SessionRevoked {
        user_id: Uuid,
        session_id: Uuid,
        reason: RevokeReason,
    },
}

/// Why a session ended before its time: `reason` of `session.revoked` (contract §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    /// `POST /logout`, or "Sign out" on the pages.
    Logout,
    /// Ended by its user from the sessions list, one or "everywhere else".
    Revoked,
    /// The password was replaced: a reset, or a change (which ends the other sessions).
    PasswordReset,
    EmailChanged,
    EmailReverted,
    Disabled,
    Deleted,
    /// A refresh token it had rotated out was presented again after the grace period.
    ReuseDetected,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Revoked => "revoked",
            Self::PasswordReset => "password_reset",
            Self::EmailChanged => "email_changed",
            Self::EmailReverted => "email_reverted",
            Self::Disabled => "disabled",
            Self::Deleted => "deleted",
            Self::ReuseDetected => "reuse_detected",
        }
    }
}

impl Event {
    pub const TYPES: [&'static str; 11] = [
        "user.created",
        "user.verified",
        "user.unverified",
        "user.email_changed",
        "user.email_reverted",
        "user.password_changed",
        "user.disabled",
        "user.enabled",
        "user.deleted",
        "user.mfa_changed",
        "session.revoked",
    ];

    pub fn event_type(&self) -> &'static str {
        match self {
            Self::Created { .. } => "user.created",
            Self::Verified { .. } => "user.verified",
            Self::Unverified { .. } => "user.unverified",
            Self::EmailChanged { .. } => "user.email_changed",
            Self::EmailReverted { .. } => "user.email_reverted",
            Self::PasswordChanged { .. } => "user.password_changed",
            Self::Disabled { .. } => "user.disabled",
            Self::Enabled { .. } => "user.enabled",
            Self::Deleted { .. } => "user.deleted",
            Self::MfaChanged { .. } => "user.mfa_changed",
            Self::SessionRevoked { .. } => "session.revoked",
        }
    }

    fn data(&self) -> Json {
        match self {
            Self::Created {
                user_id,
                email,
                email_verified,
            } => json!({"user_id": user_id, "email": email, "email_verified": email_verified}),
            Self::Verified { user_id, email }
            | Self::Unverified { user_id, email }
            | Self::Deleted { user_id, email } => {
                json!({"user_id": user_id, "email": email})
            }
            Self::EmailChanged {
                user_id,
                email,
                previous_email,
            }
            | Self::EmailReverted {
                user_id,
                email,
                previous_email,
            } => json!({"user_id": user_id, "email": email, "previous_email": previous_email}),
            Self::PasswordChanged { user_id }
            | Self::Disabled { user_id }
            | Self::Enabled { user_id } => json!({"user_id": user_id}),
            Self::MfaChanged {
                user_id,
                totp,
                passkeys,
            } => json!({"user_id": user_id, "totp": totp, "passkeys": passkeys}),
            Self::SessionRevoked {
                user_id,
                session_id,
                reason,
            } => json!({"user_id": user_id, "session_id": session_id, "reason": reason.as_str()}),
        }
    }

    /// The body delivered: `{"type", "timestamp" (RFC 3339), "data"}`. Written once, when the
    /// event is queued, so every retry carries the same bytes.
    pub fn body(&self, at: Millis) -> String {
        let timestamp = at.rfc3339();
        json!({"type": self.event_type(), "timestamp": timestamp, "data": self.data()}).to_string()
    }
}

/// The type of an event (`user.created`, …), one of `Event::TYPES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType(&'static str);

impl EventType {
    pub fn parse(s: &str) -> Option<Self> {
        Event::TYPES.into_iter().find(|t| *t == s).map(Self)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl Event {
    pub fn kind(&self) -> EventType {
        EventType(self.event_type())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_base64_of_24_bytes() {
        assert!(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                .parse::<WebhookSecret>()
                .is_ok()
        );
        assert!(
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
                .parse::<WebhookSecret>()
                .is_err()
        );
        assert!("whsec_c2hvcnQ=".parse::<WebhookSecret>().is_err());
        assert!("whsec_***".parse::<WebhookSecret>().is_err());
    }

    #[test]
    fn signature_matches_the_standard_webhooks_reference_vector() -> Result<(), String> {
        // The test vector of the Standard Webhooks reference libraries.
        let secret: WebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".parse()?;
        let signature = secret.sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let other: WebhookSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX".parse()?;
        let both = signature_header(&secret, Some(&other), "msg_1", 1, b"{}");
        assert_eq!(both.split(' ').count(), 2);
        Ok(())
    }

    #[test]
    fn bodies_carry_type_timestamp_and_data() {
        let id = Uuid::now_v7();
        let body: Json = serde_json::from_str(
            &Event::EmailChanged {
                user_id: id,
                email: "new@example.com".into(),
                previous_email: "old@example.com".into(),
            }
            .body(Millis(1_700_000_000_000)),
        )
        .unwrap_or_default();
        assert_eq!(body["type"], "user.email_changed");
        assert_eq!(body["timestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(body["data"]["previous_email"], "old@example.com");
        assert_eq!(body["data"]["user_id"], id.to_string());
        // Migration 0009 sorted the rows queued before `outbox.channel` existed by this dot.
        assert!(Event::TYPES.iter().all(|t| t.contains('.')));
        assert!(
            crate::domain::email_kind::EmailKind::ALL
                .iter()
                .all(|k| !k.as_str().contains('.'))
        );
    }
}
