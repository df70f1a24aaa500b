//! The values of each kind of email: one struct per kind, built by the flows for a real message
//! and by `latchkey mail preview` for a sample, so that a kind's values are named once.
//!
//! What a struct serializes to is what its templates see (`link`, `code`, the addresses and
//! pages). The outbox keeps an email in two parts: `StoredValues`, tagged by the kind and
//! readable, with every value but the link and the code; and `Sealed`, the link and the code,
//! kept encrypted until the message is sent (`EmailPayload` is the row's readable part).
//! `EmailValues::from_stored` puts the two back together for the worker.

use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use super::EmailKind;
use crate::domain::{codes::OneTimeCode, locale::Locale};

/// A single-use link and how long it lives; templates see its URL as `link`.
#[derive(Clone)]
pub struct Link {
    pub url: String,
    pub ttl: Duration,
}

impl Serialize for Link {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.url)
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &"..")
            .field("ttl", &self.ttl)
            .finish()
    }
}

fn code_digits<S: Serializer>(code: &OneTimeCode, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(code.as_str())
}

/// `verification`: the link and code that verify a new account.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub link: Link,
    #[serde(serialize_with = "code_digits")]
    pub code: OneTimeCode,
}

/// `already_registered`: someone signed up with an address that has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlreadyRegistered {
    pub login_url: String,
    pub forgot_url: String,
}

/// `password_reset`: the link and code that set a new password.
#[derive(Debug, Clone, Serialize)]
pub struct PasswordReset {
    pub link: Link,
    #[serde(serialize_with = "code_digits")]
    pub code: OneTimeCode,
}

/// `password_changed`: the notice after any change of the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub forgot_url: String,
}

/// `email_change_confirm_new` and `email_change_confirm_old`: a link that confirms a change,
/// sent to the new address and to the old one.
#[derive(Debug, Clone, Serialize)]
pub struct EmailChangeConfirm {
    pub old_email: String,
    pub new_email: String,
    pub link: Link,
}

/// `email_change_attempt`: another account asked for this address; its owner is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeAttempt {
    pub old_email: String,
    pub new_email: String,
    pub login_url: String,
}

/// `email_changed`: the notice to the old address, with the link that reverts the change.
#[derive(Debug, Clone, Serialize)]
pub struct EmailChanged {
    pub old_email: String,
    pub new_email: String,
    pub link: Link,
}

/// `email_reverted`: the address came back; a reset link lets the owner set a new password.
#[derive(Debug, Clone, Serialize)]
pub struct EmailReverted {
    pub new_email: String,
    pub link: Link,
}

/// `account_deleted`: the last email an account gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDeleted {
    pub register_url: String,
}

/// `sign_in`: the link and code that sign in without a password (contract §11).
#[derive(Debug, Clone, Serialize)]
pub struct SignIn {
    pub link: Link,
    #[serde(serialize_with = "code_digits")]
    pub code: OneTimeCode,
}

/// `security_method_added` and `security_method_removed`: a second factor changed.
/// `method` is `totp`, `recovery_codes` or `passkey` (added), or `totp`, `passkey` or `all`
/// (removed; `all` by an operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityMethod {
    pub method: String,
    pub account_url: String,
}

/// One email's values; the variant is its kind, so a kind and its values cannot disagree. It
/// serializes as what the kind's templates see.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EmailValues {
    Verification(Verification),
    AlreadyRegistered(AlreadyRegistered),
    PasswordReset(PasswordReset),
    PasswordChanged(PasswordChanged),
    EmailChangeConfirmNew(EmailChangeConfirm),
    EmailChangeConfirmOld(EmailChangeConfirm),
    EmailChangeAttempt(EmailChangeAttempt),
    EmailChanged(EmailChanged),
    EmailReverted(EmailReverted),
    AccountDeleted(AccountDeleted),
    SignIn(SignIn),
    SecurityMethodAdded(SecurityMethod),
    SecurityMethodRemoved(SecurityMethod),
}

impl EmailValues {
    pub fn kind(&self) -> EmailKind {
        match self {
            Self::Verification(_) => EmailKind::Verification,
            Self::AlreadyRegistered(_) => EmailKind::AlreadyRegistered,
            Self::PasswordReset(_) => EmailKind::PasswordReset,
            Self::PasswordChanged(_) => EmailKind::PasswordChanged,
            Self::EmailChangeConfirmNew(_) => EmailKind::EmailChangeConfirmNew,
            Self::EmailChangeConfirmOld(_) => EmailKind::EmailChangeConfirmOld,
            Self::EmailChangeAttempt(_) => EmailKind::EmailChangeAttempt,
            Self::EmailChanged(_) => EmailKind::EmailChanged,
            Self::EmailReverted(_) => EmailKind::EmailReverted,
            Self::AccountDeleted(_) => EmailKind::AccountDeleted,
            Self::SignIn(_) => EmailKind::SignIn,
            Self::SecurityMethodAdded(_) => EmailKind::SecurityMethodAdded,
            Self::SecurityMethodRemoved(_) => EmailKind::SecurityMethodRemoved,
        }
    }

    /// The link the email carries, if its kind has one (sealed, never stored readable).
    pub fn link(&self) -> Option<&Link> {
        match self {
            Self::Verification(v) => Some(&v.link),
            Self::PasswordReset(v) => Some(&v.link),
            Self::EmailChangeConfirmNew(v) | Self::EmailChangeConfirmOld(v) => Some(&v.link),
            Self::EmailChanged(v) => Some(&v.link),
            Self::EmailReverted(v) => Some(&v.link),
            Self::SignIn(v) => Some(&v.link),
            Self::AlreadyRegistered(_)
            | Self::PasswordChanged(_)
            | Self::EmailChangeAttempt(_)
            | Self::AccountDeleted(_)
            | Self::SecurityMethodAdded(_)
            | Self::SecurityMethodRemoved(_) => None,
        }
    }

    /// The code beside the link, for the kinds that have one (sealed with the link).
    pub fn code(&self) -> Option<&OneTimeCode> {
        match self {
            Self::Verification(v) => Some(&v.code),
            Self::PasswordReset(v) => Some(&v.code),
            Self::SignIn(v) => Some(&v.code),
            _ => None,
        }
    }

    /// What the outbox stores readable, and what it seals: the link and the code.
    pub fn stored(&self) -> (StoredValues, Option<Sealed>) {
        let secs = |link: &Link| link.ttl.as_secs();
        let stored = match self {
            Self::Verification(v) => StoredValues::Verification {
                expires_in_secs: secs(&v.link),
            },
            Self::AlreadyRegistered(v) => StoredValues::AlreadyRegistered(v.clone()),
            Self::PasswordReset(v) => StoredValues::PasswordReset {
                expires_in_secs: secs(&v.link),
            },
            Self::PasswordChanged(v) => StoredValues::PasswordChanged(v.clone()),
            Self::EmailChangeConfirmNew(v) => StoredValues::EmailChangeConfirmNew {
                old_email: v.old_email.clone(),
                new_email: v.new_email.clone(),
                expires_in_secs: secs(&v.link),
            },
            Self::EmailChangeConfirmOld(v) => StoredValues::EmailChangeConfirmOld {
                old_email: v.old_email.clone(),
                new_email: v.new_email.clone(),
                expires_in_secs: secs(&v.link),
            },
            Self::EmailChangeAttempt(v) => StoredValues::EmailChangeAttempt(v.clone()),
            Self::EmailChanged(v) => StoredValues::EmailChanged {
                old_email: v.old_email.clone(),
                new_email: v.new_email.clone(),
                expires_in_secs: secs(&v.link),
            },
            Self::EmailReverted(v) => StoredValues::EmailReverted {
                new_email: v.new_email.clone(),
                expires_in_secs: secs(&v.link),
            },
            Self::AccountDeleted(v) => StoredValues::AccountDeleted(v.clone()),
            Self::SignIn(v) => StoredValues::SignIn {
                expires_in_secs: secs(&v.link),
            },
            Self::SecurityMethodAdded(v) => StoredValues::SecurityMethodAdded(v.clone()),
            Self::SecurityMethodRemoved(v) => StoredValues::SecurityMethodRemoved(v.clone()),
        };
        let sealed = self.link().map(|link| Sealed {
            link: link.url.clone(),
            code: self.code().map(|c| c.as_str().to_owned()),
        });
        (stored, sealed)
    }

    /// The values that were queued, from what the outbox stored and what it had sealed. A kind
    /// with a link (and a code) that finds none sealed is an error, never an email without it.
    pub fn from_stored(
        stored: StoredValues,
        sealed: Option<Sealed>,
    ) -> Result<Self, MissingSecret> {
        let kind = stored.kind();
        let link = |expires_in_secs: u64| -> Result<Link, MissingSecret> {
            let sealed = sealed.as_ref().ok_or(MissingSecret::Link(kind))?;
            Ok(Link {
                url: sealed.link.clone(),
                ttl: Duration::from_secs(expires_in_secs),
            })
        };
        let code = || -> Result<OneTimeCode, MissingSecret> {
            let code = sealed.as_ref().and_then(|s| s.code.as_deref());
            code.and_then(|c| OneTimeCode::parse(c).ok())
                .ok_or(MissingSecret::Code(kind))
        };
        Ok(match stored {
            StoredValues::Verification { expires_in_secs } => Self::Verification(Verification {
                link: link(expires_in_secs)?,
                code: code()?,
            }),
            StoredValues::AlreadyRegistered(v) => Self::AlreadyRegistered(v),
            StoredValues::PasswordReset { expires_in_secs } => Self::PasswordReset(PasswordReset {
                link: link(expires_in_secs)?,
                code: code()?,
            }),
            StoredValues::PasswordChanged(v) => Self::PasswordChanged(v),
            StoredValues::EmailChangeConfirmNew {
                old_email,
                new_email,
                expires_in_secs,
            } => Self::EmailChangeConfirmNew(EmailChangeConfirm {
                old_email,
                new_email,
                link: link(expires_in_secs)?,
            }),
            StoredValues::EmailChangeConfirmOld {
                old_email,
                new_email,
                expires_in_secs,
            } => Self::EmailChangeConfirmOld(EmailChangeConfirm {
                old_email,
                new_email,
                link: link(expires_in_secs)?,
            }),
            StoredValues::EmailChangeAttempt(v) => Self::EmailChangeAttempt(v),
            StoredValues::EmailChanged {
                old_email,
                new_email,
                expires_in_secs,
            } => Self::EmailChanged(EmailChanged {
                old_email,
                new_email,
                link: link(expires_in_secs)?,
            }),
            StoredValues::EmailReverted {
                new_email,
                expires_in_secs,
            } => Self::EmailReverted(EmailReverted {
                new_email,
                link: link(expires_in_secs)?,
            }),
            StoredValues::AccountDeleted(v) => Self::AccountDeleted(v),
            StoredValues::SignIn { expires_in_secs } => Self::SignIn(SignIn {
                link: link(expires_in_secs)?,
                code: code()?,
            }),
            StoredValues::SecurityMethodAdded(v) => Self::SecurityMethodAdded(v),
            StoredValues::SecurityMethodRemoved(v) => Self::SecurityMethodRemoved(v),
        })
    }
}

/// What an outbox row keeps readable of an email: JSON tagged by the kind (`"kind"`), each
/// kind with exactly its values. Never the link or the code; a link's lifetime is kept, for
/// the "expires in" line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredValues {
    Verification {
        expires_in_secs: u64,
    },
    AlreadyRegistered(AlreadyRegistered),
    PasswordReset {
        expires_in_secs: u64,
    },
    PasswordChanged(PasswordChanged),
    EmailChangeConfirmNew {
        old_email: String,
        new_email: String,
        expires_in_secs: u64,
    },
    EmailChangeConfirmOld {
        old_email: String,
        new_email: String,
        expires_in_secs: u64,
    },
    EmailChangeAttempt(EmailChangeAttempt),
    EmailChanged {
        old_email: String,
        new_email: String,
        expires_in_secs: u64,
    },
    EmailReverted {
        new_email: String,
        expires_in_secs: u64,
    },
    AccountDeleted(AccountDeleted),
    SignIn {
        expires_in_secs: u64,
    },
    SecurityMethodAdded(SecurityMethod),
    SecurityMethodRemoved(SecurityMethod),
}

impl StoredValues {
    pub fn kind(&self) -> EmailKind {
        match self {
            Self::Verification { .. } => EmailKind::Verification,
            Self::AlreadyRegistered(_) => EmailKind::AlreadyRegistered,
            Self::PasswordReset { .. } => EmailKind::PasswordReset,
            Self::PasswordChanged(_) => EmailKind::PasswordChanged,
            Self::EmailChangeConfirmNew { .. } => EmailKind::EmailChangeConfirmNew,
            Self::EmailChangeConfirmOld { .. } => EmailKind::EmailChangeConfirmOld,
            Self::EmailChangeAttempt(_) => EmailKind::EmailChangeAttempt,
            Self::EmailChanged { .. } => EmailKind::EmailChanged,
            Self::EmailReverted { .. } => EmailKind::EmailReverted,
            Self::AccountDeleted(_) => EmailKind::AccountDeleted,
            Self::SignIn { .. } => EmailKind::SignIn,
            Self::SecurityMethodAdded(_) => EmailKind::SecurityMethodAdded,
            Self::SecurityMethodRemoved(_) => EmailKind::SecurityMethodRemoved,
        }
    }
}

/// What the outbox seals of an email: its link and, for the kinds that have one, its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A stored email whose kind has a link (or a code) that was not sealed with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MissingSecret {
    #[error("a {0} email without its sealed link")]
    Link(EmailKind),
    #[error("a {0} email without its sealed code")]
    Code(EmailKind),
}

/// The payload of an email in the outbox: its kind's readable values, tagged by the kind, with
/// the language it is written in and the recipient's name. The address is the row's
/// `recipient`; the link and the code are sealed beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPayload {
    pub locale: Locale,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub values: StoredValues,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The values an email of each kind gets in these tests: addresses, a base URL for the
    /// pages and links, and how long the links live.
    struct Sample<'a> {
        old: &'a str,
        new: &'a str,
        base: &'a str,
        ttl: Duration,
    }

    const SAMPLE: Sample<'static> = Sample {
        old: "a@x.test",
        new: "b@x.test",
        base: "https://x.test",
        ttl: Duration::from_secs(3600),
    };

    fn link(page: &str) -> Link {
        Link {
            url: format!("https://x.test/{page}?token=SECRET"),
            ttl: Duration::from_secs(3600),
        }
    }

    fn code() -> OneTimeCode {
        OneTimeCode::parse("012345").unwrap_or_else(|_| unreachable!("six digits"))
    }

    /// One email of every kind: the match names each, so a new kind cannot be left out.
    fn every_kind() -> Vec<EmailValues> {
        every_kind_with(&SAMPLE)
    }

    fn every_kind_with(sample: &Sample<'_>) -> Vec<EmailValues> {
        let (old, new, base) = (sample.old, sample.new, sample.base);
        let link = |page: &str| Link {
            url: format!("{base}/{page}?token=SECRET"),
            ttl: sample.ttl,
        };
        EmailKind::ALL
            .into_iter()
            .map(|kind| match kind {
                EmailKind::Verification => EmailValues::Verification(Verification {
                    link: link("verify-email"),
                    code: code(),
                }),
                EmailKind::AlreadyRegistered => EmailValues::AlreadyRegistered(AlreadyRegistered {
                    login_url: format!("{base}/login"),
                    forgot_url: format!("{base}/forgot-password"),
                }),
                EmailKind::PasswordReset => EmailValues::PasswordReset(PasswordReset {
                    link: link("reset-password"),
                    code: code(),
                }),
                EmailKind::PasswordChanged => EmailValues::PasswordChanged(PasswordChanged {
                    forgot_url: format!("{base}/forgot-password"),
                }),
                EmailKind::EmailChangeConfirmNew => {
                    EmailValues::EmailChangeConfirmNew(EmailChangeConfirm {
                        old_email: old.into(),
                        new_email: new.into(),
                        link: link("confirm-email-change"),
                    })
                }
                EmailKind::EmailChangeConfirmOld => {
                    EmailValues::EmailChangeConfirmOld(EmailChangeConfirm {
                        old_email: old.into(),
                        new_email: new.into(),
                        link: link("confirm-email-change"),
                    })
                }
                EmailKind::EmailChangeAttempt => {
                    EmailValues::EmailChangeAttempt(EmailChangeAttempt {
                        old_email: old.into(),
                        new_email: new.into(),
                        login_url: format!("{base}/login"),
                    })
                }
                EmailKind::EmailChanged => EmailValues::EmailChanged(EmailChanged {
                    old_email: old.into(),
                    new_email: new.into(),
                    link: link("revert-email-change"),
                }),
                EmailKind::EmailReverted => EmailValues::EmailReverted(EmailReverted {
                    new_email: new.into(),
                    link: link("reset-password"),
                }),
                EmailKind::AccountDeleted => EmailValues::AccountDeleted(AccountDeleted {
                    register_url: format!("{base}/register"),
                }),
                EmailKind::SignIn => EmailValues::SignIn(SignIn {
                    link: link("sign-in"),
                    code: code(),
                }),
                EmailKind::SecurityMethodAdded => {
                    EmailValues::SecurityMethodAdded(SecurityMethod {
                        method: "totp".into(),
                        account_url: "https://x.test/account".into(),
                    })
                }
                EmailKind::SecurityMethodRemoved => {
                    EmailValues::SecurityMethodRemoved(SecurityMethod {
                        method: "all".into(),
                        account_url: "https://x.test/account".into(),
                    })
                }
            })
            .collect()
    }

    /// Every kind goes into the outbox as JSON tagged by its kind, comes back as the same
    /// values, and never has its link or code in the readable part.
    #[test]
    fn every_kind_round_trips_through_the_outbox() -> Result<(), serde_json::Error> {
        for values in every_kind() {
            let kind = values.kind();
            let (stored, sealed) = values.stored();
            assert_eq!(stored.kind(), kind);
            let text = serde_json::to_string(&stored)?;
            let json: serde_json::Value = serde_json::from_str(&text)?;
            assert_eq!(json["kind"], kind.as_str(), "{text}");
            assert!(
                !text.contains("SECRET") && !text.contains("012345"),
                "{text}"
            );
            let back: StoredValues = serde_json::from_str(&text)?;
            assert_eq!(back, stored);
            assert_eq!(sealed.is_some(), values.link().is_some(), "{kind}");
            let sealed_text = sealed.as_ref().map(serde_json::to_string).transpose()?;
            let sealed_back: Option<Sealed> = sealed_text
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?;
            let joined = EmailValues::from_stored(back, sealed_back)
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(joined.kind(), kind);
            assert_eq!(
                serde_json::to_value(&joined)?,
                serde_json::to_value(&values)?,
                "{kind}"
            );
            assert_eq!(
                joined.link().map(|l| l.ttl),
                values.link().map(|l| l.ttl),
                "{kind}"
            );
        }
        Ok(())
    }

    /// Each kind has exactly its own fields: a payload that lacks one of its kind's values, or
    /// names a kind there is none of, does not read.
    #[test]
    fn a_kind_reads_only_with_its_own_fields() -> Result<(), serde_json::Error> {
        let stored: StoredValues = serde_json::from_value(serde_json::json!({
            "kind": "email_changed", "old_email": "a@x.test", "new_email": "b@x.test",
            "expires_in_secs": 60
        }))?;
        assert_eq!(stored.kind(), EmailKind::EmailChanged);
        let other_kinds_fields = serde_json::from_value::<StoredValues>(serde_json::json!({
            "kind": "email_changed", "register_url": "https://x.test/register"
        }));
        assert!(other_kinds_fields.is_err());
        let untagged = serde_json::from_value::<StoredValues>(serde_json::json!({
            "register_url": "https://x.test/register"
        }));
        assert!(untagged.is_err());
        let unknown =
            serde_json::from_value::<StoredValues>(serde_json::json!({ "kind": "postcard" }));
        assert!(unknown.is_err());
        Ok(())
    }

    #[test]
    fn a_link_kind_without_its_secrets_is_an_error() {
        let stored = StoredValues::PasswordReset {
            expires_in_secs: 60,
        };
        assert_eq!(
            EmailValues::from_stored(stored.clone(), None).err(),
            Some(MissingSecret::Link(EmailKind::PasswordReset))
        );
        let no_code = Sealed {
            link: "https://x.test/reset-password?token=T".into(),
            code: None,
        };
        assert_eq!(
            EmailValues::from_stored(stored, Some(no_code)).err(),
            Some(MissingSecret::Code(EmailKind::PasswordReset))
        );
    }

    /// What the templates see: the link's URL as `link`, the code's digits as `code`.
    #[test]
    fn templates_see_the_link_and_the_code() -> Result<(), serde_json::Error> {
        let verification = EmailValues::Verification(Verification {
            link: link("verify-email"),
            code: code(),
        });
        assert_eq!(
            serde_json::to_value(&verification)?,
            serde_json::json!({
                "link": "https://x.test/verify-email?token=SECRET", "code": "012345"
            })
        );
        Ok(())
    }

    proptest! {
        /// Whatever the addresses, URLs, name, language and lifetime, an email of each kind
        /// comes back from its outbox row (the payload with the language and the name beside
        /// the kind's tagged values, and the sealed part) as the values it was queued with.
        #[test]
        fn every_payload_round_trips(
            index in 0..EmailKind::ALL.len(),
            locale in proptest::sample::select(Locale::ALL.to_vec()),
            name in proptest::option::of(any::<String>()),
            old in any::<String>(),
            new in any::<String>(),
            base in any::<String>(),
            ttl in any::<u32>(),
        ) {
            let sample = Sample { old: &old, new: &new, base: &base, ttl: Duration::from_secs(ttl.into()) };
            let values = every_kind_with(&sample).swap_remove(index);
            let kind = values.kind();
            let (stored, sealed) = values.stored();
            let payload = EmailPayload { locale, name, values: stored };
            let text = serde_json::to_string(&payload).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(json["kind"].as_str(), Some(kind.as_str()));
            let back: EmailPayload = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&back, &payload);
            let sealed_text = sealed.as_ref().map(serde_json::to_string).transpose().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let sealed_back: Option<Sealed> = sealed_text.as_deref().map(serde_json::from_str).transpose().map_err(|e| TestCaseError::fail(e.to_string()))?;
            let joined = EmailValues::from_stored(back.values, sealed_back).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(
                serde_json::to_value(&joined).ok(),
                serde_json::to_value(&values).ok()
            );
            prop_assert_eq!(joined.link().map(|l| l.ttl), values.link().map(|l| l.ttl));
        }
    }
}
