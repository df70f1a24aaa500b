//! Property tests for every parser of outside input (issue 11): email addresses, durations and
//! rate-limit specs, link and refresh tokens, typed codes, pagination cursors, language tags and
//! `Accept-Language`. None may panic on any string, and what one writes, it reads back. The JSON
//! bodies of the API are tried over HTTP against a running server at the end of this file.
//!
//! Inputs come from proptest's generators: arbitrary Unicode, and strings built from the
//! characters each parser cares about (so that near-misses are common, not one in a million).

use std::time::Duration;

use crate::support::{PASSWORD, TestApp, pages, str_of};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use latchkey::{
    configuration::{Quota, parse_duration},
    domain::{
        codes::OneTimeCode,
        email::EmailAddress,
        invalid::Invalid,
        locale::Locale,
        tokens::{LinkToken, RefreshToken},
    },
    error::Error,
    flows::Cursor,
};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use reqwest::Method;
use serde_json::{Value, json};

/// Strings of the characters addresses are made of, plus a few that must be refused.
fn address_like() -> impl Strategy<Value = String> {
    prop_oneof![
        // Mostly well-formed: local@label(.label)+
        3 => (
            "[a-zA-Z0-9._%+-]{1,30}",
            prop::collection::vec("[a-zA-Z0-9-]{1,20}", 1..4),
            "[a-zA-Z]{2,8}",
        )
            .prop_map(|(local, labels, tld)| format!("{local}@{}.{tld}", labels.join("."))),
        // Unicode in both parts.
        1 => ("\\PC{1,20}", "\\PC{1,20}", "\\PC{1,6}")
            .prop_map(|(l, d, t)| format!("{l}@{d}.{t}")),
        // Around the length limits, with letters whose lower case is longer or another letter
        // (U+0130 İ is two characters in lower case, U+1E9E ẞ and U+212A K change their form).
        1 => (
            "[a-z\u{130}\u{1e9e}\u{212a}]{1,66}",
            prop::collection::vec("[a-z\u{130}\u{1e9e}\u{212a}]{1,65}", 1..5),
        )
            .prop_map(|(local, labels)| format!("{local}@{}.com", labels.join("."))),
        // The characters that matter, in any order.
        1 => "[a-zA-Z@. \"\\\\<>,;:\u{200b}\u{202e}\u{ad}\u{130}\u{1e9e}\u{212a}\t\r\n-]{0,40}",
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn email_parsing_never_panics(input in address_like()) {
        let _ = EmailAddress::parse(&input);
    }

    /// What an address displays is what it was parsed from (trimmed), and reads back as the same
    /// address.
    #[test]
    fn emails_round_trip_through_display(input in address_like()) {
        if let Ok(a) = EmailAddress::parse(&input) {
            prop_assert_eq!(a.as_str(), input.trim());
            let again = EmailAddress::parse(&a.to_string());
            prop_assert_eq!(again.as_ref(), Ok(&a));
            prop_assert_eq!(EmailAddress::from_stored(a.to_string()), a);
        }
    }

    /// The normalized form is itself a valid address with the same normalized form: an address
    /// typed the way it is stored is the same account.
    #[test]
    fn email_normalisation_is_idempotent(input in address_like()) {
        if let Ok(a) = EmailAddress::parse(&input) {
            let n = EmailAddress::parse(a.normalized());
            prop_assert!(n.is_ok(), "{:?} normalizes to {:?}, which is refused: {:?}", a, a.normalized(), n);
            if let Ok(n) = n {
                prop_assert_eq!(n.normalized(), a.normalized());
            }
        }
    }

    /// Case never makes two accounts of one ASCII address.
    #[test]
    fn email_case_does_not_matter(
        local in "[a-zA-Z0-9._+-]{1,30}",
        domain in "[a-zA-Z0-9]{1,20}\\.[a-zA-Z]{2,6}",
        flips in prop::collection::vec(any::<bool>(), 60),
    ) {
        let text = format!("{local}@{domain}");
        let flipped: String = text
            .chars()
            .zip(flips.iter().cycle())
            .map(|(c, &f)| if f { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        let (a, b) = (EmailAddress::parse(&text), EmailAddress::parse(&flipped));
        prop_assert_eq!(a.is_ok(), b.is_ok());
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert_eq!(a.normalized(), b.normalized());
        }
    }

    #[test]
    fn durations_never_panic(input in prop_oneof!["[0-9 msdhw.+-]{0,24}", any::<String>()]) {
        let _ = parse_duration(&input);
        let _ = input.parse::<Quota>();
    }

    /// `N` and a unit read back as N of that unit, up to the ten-year cap, and refused beyond.
    #[test]
    fn durations_round_trip(n in 0u64..100_000_000_000, unit in 0usize..5, pad in "[ \t]{0,2}") {
        let (suffix, ms) = [("ms", 1u64), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)][unit];
        let text = format!("{pad}{n}{suffix}{pad}");
        let parsed = parse_duration(&text);
        match n.checked_mul(ms).filter(|total| *total <= 10 * 365 * 86_400_000) {
            Some(total) => prop_assert_eq!(parsed, Ok(Duration::from_millis(total))),
            None => prop_assert!(parsed.is_err()),
        }
    }

    /// `N/DURATION` reads back; a limit of 0, over a million, or a zero window is refused.
    #[test]
    fn quotas_round_trip(limit in 0u32..2_000_000, secs in 0u64..100_000) {
        let parsed = format!("{limit}/{secs}s").parse::<Quota>();
        if (1..=1_000_000).contains(&limit) && secs > 0 {
            prop_assert_eq!(parsed.ok(), Some(Quota { limit, window: Duration::from_secs(secs) }));
        } else {
            prop_assert!(parsed.is_err());
        }
    }

    #[test]
    fn link_tokens_never_panic_and_only_43_base64url_characters_pass(
        input in prop_oneof!["[A-Za-z0-9_=+/ -]{0,50}", any::<String>()],
    ) {
        match LinkToken::hash_presented(&input) {
            Ok(_) => {
                let t = input.trim();
                prop_assert_eq!(t.len(), 43);
                prop_assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
            Err(e) => prop_assert!(matches!(Error::from(e), Error::TokenInvalid)),
        }
    }

    /// Any 256 bits, written as a link carries them, read back as the same token.
    #[test]
    fn link_tokens_round_trip(bytes in prop::array::uniform32(any::<u8>()), pad in "[ \t\n]{0,2}") {
        let text = URL_SAFE_NO_PAD.encode(bytes);
        let a = LinkToken::hash_presented(&text);
        let b = LinkToken::hash_presented(&format!("{pad}{text}{pad}"));
        prop_assert!(a.is_ok());
        prop_assert_eq!(a.ok(), b.ok());
    }

    #[test]
    fn refresh_tokens_never_panic(input in prop_oneof!["[A-Za-z0-9_=+/ -]{0,70}", any::<String>()]) {
        if let Err(e) = RefreshToken::parse(&input) {
            prop_assert!(matches!(Error::from(e), Error::InvalidRefreshToken));
        }
    }

    /// A refresh token names its session: the first 16 bytes, whatever the rest.
    #[test]
    fn refresh_tokens_carry_their_session_id(
        id in prop::array::uniform16(any::<u8>()),
        rest in prop::array::uniform32(any::<u8>()),
    ) {
        let mut bytes = id.to_vec();
        bytes.extend_from_slice(&rest);
        let parsed = RefreshToken::parse(&URL_SAFE_NO_PAD.encode(&bytes));
        prop_assert_eq!(parsed.ok().map(|(session, _)| session), Some(uuid::Uuid::from_bytes(id)));
        // One byte short or over is not a refresh token.
        prop_assert!(RefreshToken::parse(&URL_SAFE_NO_PAD.encode(&bytes[1..])).is_err());
        bytes.push(0);
        prop_assert!(RefreshToken::parse(&URL_SAFE_NO_PAD.encode(&bytes)).is_err());
    }

    #[test]
    fn codes_never_panic(input in prop_oneof!["[0-9 \t-]{0,40}", "[0-9a\u{663}\u{3000}+.]{0,10}", any::<String>()]) {
        match OneTimeCode::parse(&input) {
            Ok(code) => {
                prop_assert_eq!(code.as_str().len(), 6);
                prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
            Err(e) => prop_assert!(matches!(Error::from(e), Error::CodeInvalid)),
        }
    }

    /// Six digits read back whatever spaces and hyphens a person types between them.
    #[test]
    fn codes_read_through_spaces_and_hyphens(
        digits in "[0-9]{6}",
        gaps in prop::collection::vec("[ -]{0,2}", 7),
    ) {
        let mut typed = gaps[0].clone();
        for (d, gap) in digits.chars().zip(&gaps[1..]) {
            typed.push(d);
            typed.push_str(gap);
        }
        prop_assert_eq!(OneTimeCode::parse(&typed).ok().map(|c| c.as_str().to_owned()), Some(digits));
    }

    #[test]
    fn cursors_never_panic(input in prop_oneof!["[A-Za-z0-9_=+/ -]{0,30}", any::<String>()]) {
        match Cursor::parse(Some(&input)) {
            Ok(Some(cursor)) => prop_assert_eq!(cursor.encode(), input.trim()),
            Ok(None) => prop_assert!(input.trim().is_empty()),
            Err(e) => prop_assert!(matches!(e, Error::Invalid(Invalid::Cursor)), "{e:?}"),
        }
    }

    /// Any id a page ends with reads back from its cursor.
    #[test]
    fn cursors_round_trip(id in prop::array::uniform16(any::<u8>())) {
        let text = URL_SAFE_NO_PAD.encode(id);
        let cursor = Cursor::parse(Some(&text));
        prop_assert_eq!(cursor.ok().flatten().map(|c| c.encode()), Some(text));
    }

    #[test]
    fn locale_tags_never_panic(input in prop_oneof!["[a-zA-Z_ -]{0,12}", any::<String>()]) {
        match Locale::from_tag(&input) {
            Some(l) => prop_assert!(input.trim().to_ascii_lowercase().starts_with(l.as_str())),
            None => prop_assert!(input.parse::<Locale>().is_err()),
        }
    }

    /// A supported language with any region and case is that language.
    #[test]
    fn locale_tags_match_by_language(l in 0usize..5, region in "([-_][a-zA-Z0-9]{1,8}){0,3}", upper in any::<bool>()) {
        let locale = Locale::ALL[l];
        let tag = format!("{}{region}", locale.as_str());
        let tag = if upper { tag.to_uppercase() } else { tag };
        prop_assert_eq!(Locale::from_tag(&tag), Some(locale));
        prop_assert_eq!(tag.parse::<Locale>(), Ok(locale));
    }

    #[test]
    fn accept_language_never_panics(input in prop_oneof!["[a-zA-Z*,;=q0-9. -]{0,60}", any::<String>()]) {
        let _ = Locale::from_accept_language(&input);
    }

    /// The heaviest supported entry wins, the first of equal weights; `q=0` never wins.
    #[test]
    fn accept_language_takes_the_heaviest(
        entries in prop::collection::vec((0usize..7, 0u16..=1000, any::<bool>()), 0..8),
    ) {
        const TAGS: [&str; 7] = ["en", "de-AT", "fr", "es-419", "sv", "pt-BR", "*"];
        let header = entries
            .iter()
            .map(|&(t, q, explicit)| {
                if q == 1000 && !explicit {
                    TAGS[t].to_owned()
                } else {
                    format!("{};q={}", TAGS[t], format_weight(q))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut best: Option<(u16, Locale)> = None;
        for &(t, q, _) in &entries {
            if let Some(l) = Locale::from_tag(TAGS[t])
                && q > 0
                && best.is_none_or(|(w, _)| q > w)
            {
                best = Some((q, l));
            }
        }
        prop_assert_eq!(Locale::from_accept_language(&header), best.map(|(_, l)| l), "{}", header);
    }
}

/// `q` in thousandths as a header writes it: `0.5`, `0.125`, `1`.
fn format_weight(q: u16) -> String {
    if q == 1000 {
        return "1".into();
    }
    let s = format!("0.{q:03}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Every setting an operator can write (`LATCHKEY_*` and `latchkey.toml` keys).
const SETTINGS: &[&str] = &[
    "public_url",
    "link_base_url",
    "listen",
    "database_url",
    "smtp_url",
    "mail_from",
    "secret",
    "secret_previous",
    "first_admin_email",
    "first_admin_password",
    "verify_ttl",
    "reset_ttl",
    "email_change_ttl",
    "revert_ttl",
    "access_ttl",
    "access_token_alg",
    "token_audience",
    "refresh_ttl",
    "email_change_confirm_old",
    "mail_cooldown",
    "rate_limit",
    "rate_limit_login",
    "rate_limit_login_ip",
    "rate_limit_email",
    "rate_limit_link",
    "rate_limit_refresh",
    "default_locale",
    "product_name",
    "cors_origins",
    "trusted_proxies",
    "password_hash",
    "log_format",
    "log",
    "mail_max_attempts",
    "mail_retry_base",
    "mail_retry_max",
    "mail_lease",
    "mail_concurrency",
    "webhook_concurrency",
    "http_header_timeout",
    "http_body_timeout",
    "http_connections_per_ip",
    "metrics_listen",
    "webhook_url",
    "webhook_secret",
    "webhook_secret_previous",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any value of any setting, from the environment or from `latchkey.toml`, is read or
    /// refused with a reason: never a panic at start-up.
    #[test]
    fn settings_never_panic(
        values in prop::collection::vec(
            (
                prop::sample::select(SETTINGS),
                prop_oneof![
                    any::<String>(),
                    "[0-9a-z:/@.,=;_ -]{0,30}",
                    "-?[0-9]{1,25}[a-z]{0,2}(/[0-9]{1,5}[a-z]{0,2})?",
                ],
            ),
            1..4,
        ),
        toml in prop_oneof![
            Just(None),
            any::<String>().prop_map(Some),
            ("[a-z_]{1,12}", "[0-9a-z\"'\\[\\]{}=.,: -]{0,30}").prop_map(|(k, v)| Some(format!("{k} = {v}\n"))),
        ],
    ) {
        use latchkey::{Settings, configuration::Source};
        let env = values
            .iter()
            .map(|(key, value)| (format!("LATCHKEY_{}", key.to_uppercase()), value.clone()))
            .filter(|(_, value)| !value.contains('\0'));
        if let Ok(source) = Source::from_pairs(env.collect::<Vec<_>>().into_iter(), toml) {
            let _ = Settings::from_source(source);
        }
    }
}

#[test]
fn weights_format_like_headers() {
    assert_eq!(format_weight(1000), "1");
    assert_eq!(format_weight(500), "0.5");
    assert_eq!(format_weight(125), "0.125");
    assert_eq!(format_weight(0), "0");
}

// ---------------------------------------------------------------------------------------------
// Request bodies and query strings over HTTP: whatever bytes, content type and field values a
// client sends, the answer is a success or a 4xx problem+json, never a 5xx or a dropped
// connection. A real server on a real port; cases are capped (each is a request).

const ADMIN: &str = "root@example.com";

/// (method, path, signed in, fields): every route that reads a JSON body, and the fields it
/// takes. `{target}` is another user.
type BodyRoute = (&'static str, &'static str, bool, &'static [&'static str]);
const BODY_ROUTES: &[BodyRoute] = &[
    (
        "POST",
        "/api/v1/register",
        false,
        &["email", "password", "name", "locale"],
    ),
    ("POST", "/api/v1/email/verify", false, &["token"]),
    ("POST", "/api/v1/email/verify", false, &["email", "code"]),
    ("POST", "/api/v1/email/verify/resend", false, &["email"]),
    ("POST", "/api/v1/login", false, &["email", "password"]),
    ("POST", "/api/v1/token/refresh", false, &["refresh_token"]),
    ("POST", "/api/v1/logout", false, &["refresh_token"]),
    ("POST", "/api/v1/password/forgot", false, &["email"]),
    (
        "POST",
        "/api/v1/password/reset",
        false,
        &["token", "new_password"],
    ),
    (
        "POST",
        "/api/v1/password/reset",
        false,
        &["email", "code", "new_password"],
    ),
    ("POST", "/api/v1/email/change/confirm", false, &["token"]),
    ("POST", "/api/v1/email/change/revert", false, &["token"]),
    ("PATCH", "/api/v1/me", true, &["name", "locale"]),
    // Never with the right password: deleting the signed-in user would end the test's session.
    ("DELETE", "/api/v1/me", true, &["password"]),
    (
        "POST",
        "/api/v1/me/password",
        true,
        &["current_password", "new_password"],
    ),
    ("POST", "/api/v1/me/email", true, &["password", "new_email"]),
    (
        "POST",
        "/api/v1/admin/users",
        true,
        &["email", "password", "name", "email_verified", "is_admin"],
    ),
    (
        "PATCH",
        "/api/v1/admin/users/{target}",
        true,
        &["email_verified", "disabled", "is_admin", "name"],
    ),
];

/// Every field name any body takes, and one none takes.
const FIELDS: &[&str] = &[
    "email",
    "password",
    "name",
    "locale",
    "token",
    "code",
    "refresh_token",
    "new_password",
    "current_password",
    "new_email",
    "email_verified",
    "is_admin",
    "disabled",
    "unknown",
];

/// The strings clients put in a field: mostly what the field is for, sometimes anything.
fn field_string(field: &str) -> BoxedStrategy<String> {
    let meant = match field {
        "email" | "new_email" => address_like().boxed(),
        "password" | "current_password" | "new_password" => prop_oneof![
            Just(PASSWORD.to_owned()),
            "\\PC{8,40}",
            "[a-z]{0,10}",
            Just("password".to_owned()),
        ]
        .boxed(),
        "code" => "[0-9 -]{5,8}".boxed(),
        "token" => "[A-Za-z0-9_-]{43}".boxed(),
        "refresh_token" => "[A-Za-z0-9_-]{64}".boxed(),
        "locale" => "(en|de|fr|es|sv|xx|)([-_][A-Za-z]{2})?".boxed(),
        _ => "\\PC{0,30}".boxed(),
    };
    prop_oneof![4 => meant, 1 => any::<String>()].boxed()
}

/// A body with exactly the fields a route takes, mostly strings, sometimes another type.
fn shaped(route: BodyRoute) -> impl Strategy<Value = Vec<u8>> {
    let values: Vec<BoxedStrategy<Value>> = route
        .3
        .iter()
        .map(|field| {
            prop_oneof![4 => field_string(field).prop_map(Value::from), 1 => json_leaf()].boxed()
        })
        .collect();
    values.prop_map(move |values| {
        let object: serde_json::Map<String, Value> = route
            .3
            .iter()
            .zip(values)
            .map(|(field, value)| match value.as_str() {
                Some(PASSWORD) if route.0 == "DELETE" => (field.to_string(), json!("not it")),
                _ => (field.to_string(), value),
            })
            .collect();
        Value::Object(object).to_string().into_bytes()
    })
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        address_like().prop_map(Value::from),
        "\\PC{0,30}".prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "[0-9 -]{5,8}".prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object of the API's field names with values of any type.
fn json_object() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::btree_map(prop::sample::select(FIELDS), json_value(), 0..6).prop_map(|m| {
        let object: serde_json::Map<String, Value> =
            m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Value::Object(object).to_string().into_bytes()
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json_object(),
        // Cut short anywhere: malformed JSON.
        2 => (json_object(), any::<prop::sample::Index>()).prop_map(|(b, i)| {
            let cut = i.index(b.len().max(1));
            b[..cut].to_vec()
        }),
        2 => prop::collection::vec(any::<u8>(), 0..200),
        1 => "[\\[\\]{}\":,0-9a-z .eE+-]{0,60}".prop_map(String::into_bytes),
        // Over the 64 KiB limit.
        1 => (any::<u8>(), 65_537..70_000usize).prop_map(|(b, n)| vec![b; n]),
    ]
}

fn content_type() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        8 => Just(Some(b"application/json".to_vec())),
        1 => Just(Some(b"application/json; charset=utf-8".to_vec())),
        1 => Just(Some(b"application/merge-patch+json".to_vec())),
        1 => Just(Some(b"text/plain".to_vec())),
        1 => Just(Some(b"application/x-www-form-urlencoded".to_vec())),
        1 => Just(None),
        1 => "[ -~]{0,40}".prop_map(|s| Some(s.into_bytes())),
        // Any byte a header value may hold, Latin-1 included.
        1 => prop::collection::vec((32u8..=255).prop_filter("not DEL", |b| *b != 127), 0..30)
            .prop_map(Some),
    ]
}

/// A query string: keys the listings take, with any values, or any text at all.
fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(
            (
                prop::sample::select(&["limit", "cursor", "q", "status", "x"][..]),
                prop_oneof![any::<String>(), "[A-Za-z0-9_=-]{0,30}", "-?[0-9]{0,12}"],
            ),
            0..5,
        )
        .prop_map(|pairs| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                s.append_pair(k, &v);
            }
            s.finish()
        }),
        "[a-z=&%0-9A-F_+;.-]{0,40}",
    ]
}

struct Server {
    app: TestApp,
    client: reqwest::Client,
    token: String,
    target: String,
    runtime: tokio::runtime::Runtime,
}

fn server() -> Server {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (app, token, target) = runtime.block_on(async {
        let app = TestApp::spawn_with(|s| {
            s.first_admin_email = Some(ADMIN.parse().expect("address"));
            s.first_admin_password = Some(PASSWORD.into());
        })
        .await;
        let r = app.login(ADMIN, PASSWORD).await;
        let token = str_of(&r.json::<Value>().await.expect("tokens"), "access_token");
        let r = app
            .client
            .post(app.url("/api/v1/admin/users"))
            .bearer_auth(&token)
            .json(&json!({"email": "target@example.com", "password": PASSWORD}))
            .send()
            .await
            .expect("request");
        let target = str_of(&r.json::<Value>().await.expect("user"), "id");
        (app, token, target)
    });
    // A connection per request: whether a rejected body costs a kept-alive connection its next
    // request is tests/connections.rs's question; here every answer is read on its own.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    Server {
        app,
        client,
        token,
        target,
        runtime,
    }
}

impl Server {
    async fn check(
        &self,
        method: &str,
        path: &str,
        signed_in: bool,
        content_type: Option<&[u8]>,
        body: Vec<u8>,
    ) -> Result<(), TestCaseError> {
        let path = path.replace("{target}", &self.target);
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.app.url(&path)).body(body);
        if signed_in {
            request = request.bearer_auth(&self.token);
        }
        if let Some(ct) = content_type {
            let value = reqwest::header::HeaderValue::from_bytes(ct).expect("a header value");
            request = request.header(reqwest::header::CONTENT_TYPE, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| TestCaseError::fail(format!("{path}: no answer: {e}")))?;
        let status = response.status();
        let ct = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.unwrap_or_default();
        prop_assert!(
            status.is_success() || status.is_client_error(),
            "{path}: {status} {text}"
        );
        if status.is_client_error() {
            prop_assert_eq!(
                ct.as_str(),
                "application/problem+json",
                "{}: {}",
                path,
                text
            );
            let problem: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{path}: {e}: {text}")))?;
            prop_assert_eq!(&problem["status"], &json!(status.as_u16()), "{}", text);
            prop_assert!(
                problem["code"].as_str().is_some_and(|c| !c.is_empty()),
                "{}",
                text
            );
        }
        Ok(())
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn any_body_and_content_type_is_answered_with_success_or_a_4xx_problem() {
    let server = server();
    let strategy = prop::sample::select(BODY_ROUTES).prop_flat_map(|route| {
        let body = prop_oneof![3 => shaped(route), 2 => body()];
        (Just(route), content_type(), body)
    });
    let result = runner(400).run(&strategy, |((method, path, signed_in, _), ct, body)| {
        server
            .runtime
            .block_on(server.check(method, path, signed_in, ct.as_deref(), body))
    });
    server.runtime.block_on(server.app.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn any_query_string_of_the_listings_is_answered_with_success_or_a_4xx_problem() {
    let server = server();
    let strategy = (
        prop::sample::select(&["/api/v1/admin/users", "/api/v1/admin/outbox"][..]),
        query(),
    );
    let result = runner(200).run(&strategy, |(path, query)| {
        let path = format!("{path}?{query}");
        server
            .runtime
            .block_on(server.check("GET", &path, true, None, Vec::new()))
    });
    server.runtime.block_on(server.app.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn any_authorization_header_is_a_401_problem() {
    let server = server();
    let strategy = prop_oneof![
        "Bearer [A-Za-z0-9_.=-]{0,200}",
        "(Bearer|bearer|Basic|) ?[ -~]{0,80}",
        prop::collection::vec((32u8..=255).prop_filter("not DEL", |b| *b != 127), 0..120)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    let result = runner(200).run(&strategy, |header| {
        server.runtime.block_on(async {
            let Ok(value) = reqwest::header::HeaderValue::from_str(&header) else {
                return Ok(());
            };
            let r = server
                .client
                .get(server.app.url("/api/v1/me"))
                .header(reqwest::header::AUTHORIZATION, value)
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
            prop_assert_eq!(
                r.status(),
                reqwest::StatusCode::UNAUTHORIZED,
                "{:?}",
                header
            );
            let body: Value = r.json().await.unwrap_or_default();
            prop_assert_eq!(&body["code"], "unauthorized");
            Ok(())
        })
    });
    server.runtime.block_on(server.app.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The pages read query strings and forms: whatever they get, they answer a page, never a 5xx.
#[test]
fn any_page_query_or_form_is_answered_without_a_server_error() {
    const FORM_FIELDS: &[&str] = &[
        "email",
        "password",
        "name",
        "token",
        "code",
        "new_password",
        "current_password",
        "new_email",
        "lang",
        "next",
        "id",
        "csrf",
        "_csrf",
    ];
    let server = server();
    let form = prop::collection::vec(
        (
            prop::sample::select(FORM_FIELDS),
            prop_oneof![
                field_string("email"),
                field_string("token"),
                any::<String>()
            ],
        ),
        0..5,
    )
    .prop_map(|pairs| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, &v);
        }
        s.finish()
    });
    let strategy = (
        prop::sample::select(pages::PATHS),
        any::<bool>(),
        prop_oneof![form.clone(), query()],
        prop_oneof![form, "[ -~]{0,100}"],
        any::<bool>(),
    );
    let result = runner(300).run(&strategy, |(page, post, query, body, same_origin)| {
        server.runtime.block_on(async {
            let url = format!("{}?{query}", server.app.url(page));
            let mut request = if post {
                server
                    .client
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
            } else {
                server.client.get(&url)
            };
            if same_origin {
                request = request
                    .header("origin", server.app.base.as_str())
                    .header("sec-fetch-site", "same-origin");
            }
            let r = request
                .send()
                .await
                .map_err(|e| TestCaseError::fail(format!("{page}: no answer: {e}")))?;
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            prop_assert!(
                !status.is_server_error(),
                "{} {}: {} {}",
                page,
                url,
                status,
                text
            );
            Ok(())
        })
    });
    server.runtime.block_on(server.app.stop());
    if let Err(e) = result {
        panic!("{e}");
    }
}
