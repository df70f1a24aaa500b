//! The 6-digit codes that travel beside verification and reset links (contract §4), for people
//! who read mail on one device and sign in on another.
//!
//! A code is only a second way to present its link: using it uses the link, and it lives exactly
//! as long as the link does. Only a keyed hash is stored: a million possible codes are too few
//! for a plain hash to hide them, but without the key (derived from `LATCHKEY_SECRET`, never in
//! the database) the stored hash tells nothing. The hash binds the purpose and the address, so a
//! code proves nothing for another purpose or another account.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::fault::Fault;
use super::tokens::{Purpose, random_bytes};

/// Wrong codes an address may try for one purpose before its code stops working.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;

/// Wrong codes counted for one address and purpose, across all its codes, within
/// `FAILURE_WINDOW`; past it every code for them is refused until the window has passed, so
/// new emails do not buy new guesses.
pub const MAX_FAILURES_PER_WINDOW: i64 = 10;

/// The window of `MAX_FAILURES_PER_WINDOW`.
pub const FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

const DIGITS: usize = 6;
const SPACE: u32 = 1_000_000;
/// The largest multiple of 10^6 that fits in 2^32 values: random values at or above it are
/// drawn again, so that every code is equally likely (a plain `% 10^6` favours low codes).
const UNBIASED_LIMIT: u32 = (u32::MAX / SPACE) * SPACE;

/// Input that cannot be a code: answered as any code that cannot be used (the API's
/// `code_invalid`), told without the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the code is not six digits")]
pub struct MalformedCode;

/// Six decimal digits, leading zeros kept (`004217`).
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    /// A new code from the OS random source, uniform over `000000`..=`999999`.
    pub fn generate() -> Result<Self, Fault> {
        loop {
            if let Some(code) = Self::from_random(u32::from_le_bytes(random_bytes::<4>()?)) {
                return Ok(code);
            }
        }
    }

    /// The code for one 32-bit random value, or `None` for a value that must be drawn again.
    fn from_random(n: u32) -> Option<Self> {
        (n < UNBIASED_LIMIT).then(|| Self(format!("{:0width$}", n % SPACE, width = DIGITS)))
    }

    /// A code as a person typed it: spaces and hyphens (`123 456`, `123-456`) are ignored; any
    /// other input is refused, without touching the database.
    pub fn parse(input: &str) -> Result<Self, MalformedCode> {
        // Far longer than any way of typing six digits: not worth looking at.
        if input.len() > 32 {
            return Err(MalformedCode);
        }
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(MalformedCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(..)")
    }
}

/// What the database keeps of a code: HMAC-SHA256 under the code key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CodeHash(pub [u8; 32]);

impl fmt::Debug for CodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeHash(..)")
    }
}

/// The code key of the current secret and, while rotating, of the previous one.
#[derive(Clone)]
pub struct CodeKeys {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

impl CodeKeys {
    pub fn new(current: [u8; 32], previous: Option<[u8; 32]>) -> Self {
        Self { current, previous }
    }

    /// The hash to store for a new code (current key).
    pub fn hash(&self, purpose: Purpose, email_norm: &str, code: &OneTimeCode) -> CodeHash {
        mac(&self.current, purpose, email_norm, code)
    }

    /// The hashes a presented code may match: under the current key and, while a secret is
    /// being rotated out, under the previous one (the current one again otherwise).
    pub fn candidates(
        &self,
        purpose: Purpose,
        email_norm: &str,
        code: &OneTimeCode,
    ) -> [CodeHash; 2] {
        let current = mac(&self.current, purpose, email_norm, code);
        let previous = self
            .previous
            .map_or(current, |key| mac(&key, purpose, email_norm, code));
        [current, previous]
    }

    /// What the wrong codes tried for `purpose` at `email_norm` are counted under: a keyed
    /// hash, so that the count never holds an address (an unkeyed hash of one is a dictionary
    /// look-up away from it).
    pub fn failure_subject(&self, purpose: Purpose, email_norm: &str) -> [u8; 32] {
        mac_parts(
            &self.current,
            &["code failures", purpose.as_str(), email_norm],
        )
        .0
    }
}

impl fmt::Debug for CodeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKeys(..)")
    }
}

fn mac(key: &[u8; 32], purpose: Purpose, email_norm: &str, code: &OneTimeCode) -> CodeHash {
    mac_parts(key, &[purpose.as_str(), email_norm, code.as_str()])
}

fn mac_parts(key: &[u8; 32], parts: &[&str]) -> CodeHash {
    // HMAC takes a key of any length, so this cannot fail; the fallback is never used.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return CodeHash([0; 32]);
    };
    // Length-free fields joined by NUL: none of them can hold a NUL (addresses refuse control
    // characters, purposes and codes are fixed ASCII).
    for part in parts {
        mac.update(part.as_bytes());
        mac.update(b"\0");
    }
    CodeHash(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> OneTimeCode {
        OneTimeCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn codes_are_six_digits_with_leading_zeros_kept() -> Result<(), Fault> {
        assert_eq!(
            OneTimeCode::from_random(0).map(|c| c.0),
            Some("000000".into())
        );
        assert_eq!(
            OneTimeCode::from_random(4_217).map(|c| c.0),
            Some("004217".into())
        );
        assert_eq!(
            OneTimeCode::from_random(UNBIASED_LIMIT - 1).map(|c| c.0),
            Some("999999".into())
        );
        for _ in 0..1_000 {
            let c = OneTimeCode::generate()?;
            assert_eq!(c.as_str().len(), 6);
            assert!(c.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
        Ok(())
    }

    #[test]
    fn values_that_would_bias_the_codes_are_drawn_again() {
        assert_eq!(UNBIASED_LIMIT, 4_294_000_000);
        assert_eq!(UNBIASED_LIMIT % SPACE, 0);
        assert!(OneTimeCode::from_random(UNBIASED_LIMIT).is_none());
        assert!(OneTimeCode::from_random(u32::MAX).is_none());
        // Every accepted value maps onto the codes equally often: the accepted range is a whole
        // number of rounds over the million codes.
        assert_eq!(u64::from(UNBIASED_LIMIT) / u64::from(SPACE), 4_294);
    }

    #[test]
    fn generated_codes_are_uniform() -> Result<(), Fault> {
        // Chi-squared over the leading digit of 20,000 codes (9 degrees of freedom): above
        // 27.88 happens by chance once in a thousand runs.
        let mut counts = [0u32; 10];
        let n = 20_000;
        for _ in 0..n {
            let c = OneTimeCode::generate()?;
            counts[usize::from(c.as_str().as_bytes()[0] - b'0')] += 1;
        }
        let expected = f64::from(n) / 10.0;
        let chi2: f64 = counts
            .iter()
            .map(|&k| (f64::from(k) - expected).powi(2) / expected)
            .sum();
        assert!(chi2 < 27.88, "{counts:?} chi2 = {chi2}");
        Ok(())
    }

    #[test]
    fn typed_codes_parse_and_anything_else_is_refused() {
        assert_eq!(code("012345").as_str(), "012345");
        assert_eq!(code(" 012 345 ").as_str(), "012345");
        assert_eq!(code("012-345").as_str(), "012345");
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "١٢٣٤٥٦",
            "+12345",
            "12 34 5",
            &"1".repeat(40),
        ] {
            assert!(OneTimeCode::parse(bad) == Err(MalformedCode), "{bad:?}");
        }
    }

    #[test]
    fn the_hash_is_keyed_and_bound_to_purpose_and_address() {
        let keys = CodeKeys::new([1; 32], None);
        let c = code("123456");
        let h = keys.hash(Purpose::VerifyEmail, "ann@example.com", &c);
        assert_eq!(h, keys.hash(Purpose::VerifyEmail, "ann@example.com", &c));
        assert_ne!(h, keys.hash(Purpose::ResetPassword, "ann@example.com", &c));
        assert_ne!(h, keys.hash(Purpose::VerifyEmail, "bob@example.com", &c));
        assert_ne!(
            h,
            keys.hash(Purpose::VerifyEmail, "ann@example.com", &code("123457"))
        );
        // Another key gives another hash: without the key the stored hash cannot be searched.
        let other = CodeKeys::new([2; 32], None);
        assert_ne!(h, other.hash(Purpose::VerifyEmail, "ann@example.com", &c));
        // Not a plain SHA-256 of the code either.
        use sha2::Digest;
        let plain: [u8; 32] = Sha256::digest(b"123456").into();
        assert_ne!(h.0, plain);
    }

    #[test]
    fn codes_hashed_before_a_rotation_still_match() {
        let before = CodeKeys::new([1; 32], None);
        let c = code("654321");
        let stored = before.hash(Purpose::ResetPassword, "ann@example.com", &c);
        let rotated = CodeKeys::new([2; 32], Some([1; 32]));
        assert!(
            rotated
                .candidates(Purpose::ResetPassword, "ann@example.com", &c)
                .contains(&stored)
        );
        let without_previous = CodeKeys::new([2; 32], None);
        assert!(
            !without_previous
                .candidates(Purpose::ResetPassword, "ann@example.com", &c)
                .contains(&stored)
        );
    }
}
