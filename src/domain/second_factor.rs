//! Second factors (contract §11): the authenticator app (TOTP, RFC 6238: SHA-1, 6 digits,
//! 30-second steps, one step of drift either way), its recovery codes, and how a sign-in is
//! described in the access token (`amr`, RFC 8176).
//!
//! The app's secret is stored sealed (XChaCha20-Poly1305, bound to the user's id) and
//! recovery codes as a keyed hash, both keys derived from `LATCHKEY_SECRET`: a copy of the
//! database alone gives neither.

use std::fmt;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use totp_rs::{Algorithm, Totp};
use uuid::Uuid;

use super::{fault::Fault, time::Millis, tokens::random_bytes};

/// Seconds in one TOTP step.
pub const STEP_SECS: i64 = 30;
/// Steps of clock drift accepted either way.
const SKEW_STEPS: i64 = 1;
/// Recovery codes in a set.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes an `mfa_token` survives; the next try finds it dead.
pub const MFA_TOKEN_MAX_FAILURES: i64 = 5;
/// How long an `mfa_token` lives.
pub const MFA_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The 160-bit secret an authenticator app shares with us (RFC 4226 recommends 160 bits).
#[derive(Clone)]
pub struct TotpSecret([u8; 20]);

impl TotpSecret {
    pub fn generate() -> Result<Self, Fault> {
        Ok(Self(random_bytes::<20>()?))
    }

    /// Base32 without padding: what people type into an app that cannot scan.
    pub fn base32(&self) -> String {
        totp_rs::Secret::from(self.0).to_base32()
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// One account's authenticator app: checks codes and describes itself for enrolment.
pub struct Authenticator {
    totp: Totp,
}

impl Authenticator {
    /// `issuer` and `account` name the entry in the app (the product, the address).
    pub fn new(secret: &TotpSecret, issuer: &str, account: &str) -> Result<Self, Fault> {
        Self::with_digits(secret.0.to_vec(), 6, issuer, account)
    }

    fn with_digits(
        secret: Vec<u8>,
        digits: u8,
        issuer: &str,
        account: &str,
    ) -> Result<Self, Fault> {
        // The otpauth label is `issuer:account`; a colon inside either would split it wrongly.
        let clean = |s: &str| s.replace(':', " ");
        let totp = totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(digits)
            .with_skew(0)
            .with_step_duration(STEP_SECS as u64)
            .with_secret(secret)
            .with_issuer(Some(clean(issuer)))
            .with_account_name(clean(account))
            .build()
            .map_err(|e| Fault::new("building the authenticator", e))?;
        Ok(Self { totp })
    }

    /// The newest step after `after_step` within the drift window around `now` whose code is
    /// `code`. A step at or before `after_step` was used already: its code, and any older one,
    /// is refused even within its 30 seconds (RFC 6238 §5.2).
    pub fn accepts(&self, code: &str, now: Millis, after_step: i64) -> Option<i64> {
        let current = step_at(now);
        let code = digits_of(code)?;
        (current - SKEW_STEPS..=current + SKEW_STEPS)
            .rev()
            .filter(|step| *step > after_step && *step >= 0)
            .find(|step| {
                u64::try_from(*step * STEP_SECS).is_ok_and(|t| self.totp.check(&code, t).is_some())
            })
    }

    /// The `otpauth://totp/` URI an app reads from the QR code.
    pub fn otpauth_uri(&self) -> Result<String, Fault> {
        self.totp
            .to_url()
            .map_err(|e| Fault::new("the otpauth URI", e))
    }

    /// The URI as a QR code in SVG.
    pub fn qr_svg(&self) -> Result<String, Fault> {
        let uri = self.otpauth_uri()?;
        let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| Fault::new("the QR code", e))?;
        Ok(code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build())
    }
}

/// The TOTP step of an instant.
pub fn step_at(now: Millis) -> i64 {
    now.unix_seconds().div_euclid(STEP_SECS)
}

/// Six digits as typed (`123 456` and `123-456` too), or `None`.
pub fn digits_of(input: &str) -> Option<String> {
    if input.len() > 32 {
        return None;
    }
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A recovery code: 10 characters of Crockford's base32 (50 bits),
/// shown as `xxxxx-xxxxx`.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

const RECOVERY_LEN: usize = 10;

impl RecoveryCode {
    pub fn generate() -> Result<Self, Fault> {
        let bytes = random_bytes::<RECOVERY_LEN>()?;
        // 32 letters: the low 5 bits of each byte pick one uniformly.
        let text = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
            .collect();
        Ok(Self(text))
    }

    /// A code as typed: case, spaces and hyphens do not matter.
    pub fn parse(input: &str) -> Option<Self> {
        if input.len() > 64 {
            return None;
        }
        let text: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        (text.len() == RECOVERY_LEN && text.bytes().all(|b| ALPHABET.contains(&b)))
            .then_some(Self(text))
    }

    /// `xxxxx-xxxxx`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

/// The alphabet of recovery codes: Crockford's base32 (no `i`, `l`, `o`, `u`), lower case.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

/// A stored recovery code: HMAC-SHA256 under the factor key, bound to the user.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RecoveryHash(pub [u8; 32]);

impl fmt::Debug for RecoveryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryHash(..)")
    }
}

/// The keys of second factors, of the current secret and, while rotating, the previous one.
#[derive(Clone)]
pub struct FactorKeys {
    sealing: XChaCha20Poly1305,
    sealing_previous: Option<XChaCha20Poly1305>,
    mac: [u8; 32],
    mac_previous: Option<[u8; 32]>,
}

impl fmt::Debug for FactorKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FactorKeys(..)")
    }
}

impl FactorKeys {
    /// From the derived key material: the sealing keys and the recovery-code MAC keys.
    pub fn new(
        sealing: [u8; 32],
        sealing_previous: Option<[u8; 32]>,
        mac: [u8; 32],
        mac_previous: Option<[u8; 32]>,
    ) -> Self {
        Self {
            sealing: XChaCha20Poly1305::new(&sealing.into()),
            sealing_previous: sealing_previous.map(|k| XChaCha20Poly1305::new(&k.into())),
            mac,
            mac_previous,
        }
    }

    /// Seals an app secret for the database, bound to its user (a sealed secret copied to
    /// another account's row does not open).
    pub fn seal(&self, secret: &TotpSecret, user_id: Uuid) -> Result<Vec<u8>, Fault> {
        let nonce_bytes = random_bytes::<24>()?;
        let sealed = self
            .sealing
            .encrypt(
                &XNonce::from(nonce_bytes),
                Payload {
                    msg: &secret.0,
                    aad: user_id.as_bytes(),
                },
            )
            .map_err(|_| Fault::msg("sealing an authenticator secret failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a sealed secret with the current key, then the previous one.
    pub fn open(&self, sealed: &[u8], user_id: Uuid) -> Result<TotpSecret, Fault> {
        let opened = (|| {
            let (nonce, ciphertext) = sealed.split_at_checked(24)?;
            let nonce = XNonce::try_from(nonce).ok()?;
            let payload = || Payload {
                msg: ciphertext,
                aad: user_id.as_bytes(),
            };
            let plain = self
                .sealing
                .decrypt(&nonce, payload())
                .or_else(|e| match &self.sealing_previous {
                    Some(prev) => prev.decrypt(&nonce, payload()),
                    None => Err(e),
                })
                .ok()?;
            TotpSecret::from_bytes(&plain)
        })();
        opened.ok_or_else(|| {
            Fault::msg("an authenticator secret does not open with the current or previous secret")
        })
    }

    /// The hash to store for a new recovery code.
    pub fn recovery_hash(&self, user_id: Uuid, code: &RecoveryCode) -> RecoveryHash {
        recovery_mac(&self.mac, user_id, code)
    }

    /// The hashes a presented code may match: current key, and previous while rotating.
    pub fn recovery_candidates(&self, user_id: Uuid, code: &RecoveryCode) -> [RecoveryHash; 2] {
        let current = recovery_mac(&self.mac, user_id, code);
        let previous = self
            .mac_previous
            .map_or(current, |k| recovery_mac(&k, user_id, code));
        [current, previous]
    }
}

fn recovery_mac(key: &[u8; 32], user_id: Uuid, code: &RecoveryCode) -> RecoveryHash {
    let Ok(mut mac) = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key) else {
        return RecoveryHash([0; 32]);
    };
    mac.update(user_id.as_bytes());
    mac.update(code.0.as_bytes());
    RecoveryHash(mac.finalize().into_bytes().into())
}

/// How a session was signed in (RFC 8176 `amr` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A password.
    Password,
    /// A one-time code from the authenticator app or a recovery code.
    Otp,
    /// A passkey (a hardware-bound key).
    Passkey,
    /// A link or code sent by email.
    Email,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::Otp => "otp",
            Self::Passkey => "hwk",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pwd" => Self::Password,
            "otp" => Self::Otp,
            "hwk" => Self::Passkey,
            "email" => Self::Email,
            _ => return None,
        })
    }
}

/// The methods a session was signed in with, in order: what the access token's `amr` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amr(Vec<Method>);

impl Amr {
    pub fn one(method: Method) -> Self {
        Self(vec![method])
    }

    pub fn then(mut self, method: Method) -> Self {
        self.0.push(method);
        self
    }

    /// `pwd,otp`: how the sessions table keeps it.
    pub fn stored(&self) -> String {
        self.values().collect::<Vec<_>>().join(",")
    }

    /// From the stored form; unknown values are dropped (a row from a later version).
    pub fn from_stored(s: &str) -> Self {
        Self(s.split(',').filter_map(Method::parse).collect())
    }

    pub fn values(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|m| m.as_str())
    }

    pub fn first(&self) -> Option<Method> {
        self.0.first().copied()
    }
}

/// A second-factor method a log-in may finish with (`methods` of `mfa_required`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
    Passkey,
}

impl SecondFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
            Self::Passkey => "passkey",
        }
    }
}

/// The answer to a first factor when a second one is needed: the token of the step and the
/// ways to finish it. Its `Debug` hides the token.
#[derive(Clone)]
pub struct MfaChallenge {
    token: String,
    methods: Vec<SecondFactor>,
}

impl MfaChallenge {
    pub fn new(token: String, methods: Vec<SecondFactor>) -> Self {
        Self { token, methods }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn methods(&self) -> Vec<String> {
        self.methods.iter().map(|m| m.as_str().to_owned()).collect()
    }

    pub fn offers(&self, method: SecondFactor) -> bool {
        self.methods.contains(&method)
    }
}

impl fmt::Debug for MfaChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaChallenge")
            .field("token", &"..")
            .field("methods", &self.methods)
            .finish()
    }
}

/// The opaque token of the second-factor step: 256 random bits, only its SHA-256 stored.
pub fn new_mfa_token() -> Result<(String, [u8; 32]), Fault> {
    let bytes = random_bytes::<32>()?;
    let text = URL_SAFE_NO_PAD.encode(bytes);
    Ok((text, sha256(&bytes)))
}

/// The hash of a presented `mfa_token`, or `None` for anything that cannot be one.
pub fn mfa_token_hash(presented: &str) -> Option<[u8; 32]> {
    let presented = presented.trim();
    if presented.len() != 43 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(presented).ok()?;
    Some(sha256(&bytes))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the secret is the ASCII of "12345678901234567890".
    #[test]
    fn rfc_6238_test_vectors() -> Result<(), Fault> {
        let app = Authenticator::with_digits(b"12345678901234567890".to_vec(), 8, "T", "a@b.c")?;
        for (time, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(app.totp.generate(time).to_string(), code, "at {time}");
        }
        Ok(())
    }

    fn app() -> Authenticator {
        Authenticator::with_digits(b"12345678901234567890".to_vec(), 6, "Latchkey", "a@b.c")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_code_is_accepted_one_step_either_way_and_never_twice() {
        let app = app();
        // 59 s is step 1; its 6-digit code is the low digits of the vector.
        let at = |secs: i64| Millis(secs * 1000);
        assert_eq!(app.accepts("287082", at(59), 0), Some(1));
        assert_eq!(app.accepts("287 082", at(80), 0), Some(1), "one step late");
        assert_eq!(app.accepts("287082", at(29), -1), Some(1), "one step early");
        assert_eq!(app.accepts("287082", at(95), 0), None, "two steps late");
        assert_eq!(app.accepts("287082", at(59), 1), None, "its step was used");
        assert_eq!(app.accepts("28708", at(59), 0), None);
        assert_eq!(app.accepts("abcdef", at(59), 0), None);
    }

    #[test]
    fn the_uri_names_the_product_and_the_address() -> Result<(), Fault> {
        let secret = TotpSecret::generate()?;
        let app = Authenticator::new(&secret, "Acme: Accounts", "ann@example.com")?;
        let uri = app.otpauth_uri()?;
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(
            uri.contains(&format!("secret={}", secret.base32())),
            "{uri}"
        );
        assert!(uri.contains("issuer=Acme"), "{uri}");
        assert!(app.qr_svg()?.starts_with("<?xml") || app.qr_svg()?.contains("<svg"));
        Ok(())
    }

    #[test]
    fn secrets_open_only_for_their_user_and_survive_rotation() -> Result<(), Fault> {
        let keys = FactorKeys::new([1; 32], None, [2; 32], None);
        let secret = TotpSecret::generate()?;
        let user = Uuid::now_v7();
        let sealed = keys.seal(&secret, user)?;
        assert!(!sealed.windows(20).any(|w| w == secret.0));
        assert_eq!(keys.open(&sealed, user)?.0, secret.0);
        assert!(keys.open(&sealed, Uuid::now_v7()).is_err());
        let rotated = FactorKeys::new([3; 32], Some([1; 32]), [4; 32], Some([2; 32]));
        assert_eq!(rotated.open(&sealed, user)?.0, secret.0);
        Ok(())
    }

    #[test]
    fn recovery_codes_parse_as_typed_and_hash_per_user() -> Result<(), Fault> {
        let code = RecoveryCode::generate()?;
        let shown = code.display();
        assert_eq!(shown.len(), 11);
        assert_eq!(
            RecoveryCode::parse(&shown.to_uppercase()),
            Some(code.clone())
        );
        assert_eq!(
            RecoveryCode::parse(&shown.replace('-', " ")),
            Some(code.clone())
        );
        assert_eq!(RecoveryCode::parse("short"), None);
        let keys = FactorKeys::new([1; 32], None, [2; 32], None);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_ne!(keys.recovery_hash(a, &code), keys.recovery_hash(b, &code));
        assert!(
            keys.recovery_candidates(a, &code)
                .contains(&keys.recovery_hash(a, &code))
        );
        Ok(())
    }

    #[test]
    fn amr_round_trips_through_its_stored_form() {
        let amr = Amr::one(Method::Password).then(Method::Otp);
        assert_eq!(amr.stored(), "pwd,otp");
        assert_eq!(Amr::from_stored("pwd,otp"), amr);
        assert_eq!(Amr::from_stored("email").first(), Some(Method::Email));
    }
}
