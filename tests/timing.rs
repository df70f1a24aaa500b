//! Timing does not tell which addresses have accounts (contract §3, issue 9): `register`,
//! `password/forgot`, `email/verify/resend` and `login/email` take the same time for an address with an
//! account as for one without. Each check interleaves 40 requests of each kind and compares the
//! two distributions of answer times with a rank test, not single times.

// `pub`: this binary uses a few of the helpers; the e2e suite, which declares the module
// privately, is where a helper nobody uses is reported.
#[path = "support/mod.rs"]
pub mod support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

const ROUNDS: usize = 40;

async fn timed_as(app: &TestApp, path: &str, body: Value, expect: StatusCode) -> Duration {
    let started = Instant::now();
    let r = app.post(path, body).await;
    let took = started.elapsed();
    assert_eq!(r.status(), expect, "{path}");
    took
}

/// The Mann–Whitney U statistic of `a` against `b` as a z-score (normal approximation, no tie
/// correction): near 0 when neither tends to be slower, beyond ±4 only when one clearly is.
fn rank_z(a: &[Duration], b: &[Duration]) -> f64 {
    let mut u = 0.0;
    for x in a {
        for y in b {
            u += match x.cmp(y) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let mean = n1 * n2 / 2.0;
    let sd = (n1 * n2 * (n1 + n2 + 1.0) / 12.0).sqrt();
    (u - mean) / sd
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

/// One test at a time, in a binary of its own: the work of other tests beside a comparison
/// would be noise in its answer times, and a burst of it in one half could tip it.
async fn alone() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

/// Runs `with` (an address that has an account) and `without` alternately, in alternating
/// order, with a pause between requests so that no request waits for the work of the previous
/// one; asserts the two distributions cannot be told apart.
async fn compare<F, G>(app: &TestApp, what: &str, with: F, without: G)
where
    F: Fn(usize) -> (String, Value),
    G: Fn(usize) -> (String, Value),
{
    compare_as(app, what, ROUNDS, StatusCode::ACCEPTED, with, without).await
}

/// `compare` with `rounds` pairs of requests, each answered `expect`. `with(i)` and
/// `without(i)` are called for `i` in `0..rounds` and `1000..1003` (the warm-up).
async fn compare_as<F, G>(
    app: &TestApp,
    what: &str,
    rounds: usize,
    expect: StatusCode,
    with: F,
    without: G,
) where
    F: Fn(usize) -> (String, Value),
    G: Fn(usize) -> (String, Value),
{
    // Warm up connections, caches and the hasher.
    for i in 0..3 {
        let (p, b) = with(1000 + i);
        timed_as(app, &p, b, expect).await;
        let (p, b) = without(1000 + i);
        timed_as(app, &p, b, expect).await;
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..rounds {
        let (pa, ba) = with(i);
        let (pb, bb) = without(i);
        if i % 2 == 0 {
            a.push(timed_as(app, &pa, ba, expect).await);
            tokio::time::sleep(Duration::from_millis(15)).await;
            b.push(timed_as(app, &pb, bb, expect).await);
        } else {
            b.push(timed_as(app, &pb, bb, expect).await);
            tokio::time::sleep(Duration::from_millis(15)).await;
            a.push(timed_as(app, &pa, ba, expect).await);
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let z = rank_z(&a, &b);
    eprintln!(
        "{what}: median with an account {:?}, without {:?}, rank z = {z:.2}",
        median(&a),
        median(&b)
    );
    assert!(
        z.abs() < 4.0,
        "{what}: answer times tell accounts apart (z = {z:.2}; medians {:?} vs {:?})",
        median(&a),
        median(&b)
    );
}

#[tokio::test]
async fn forgot_takes_as_long_for_an_account_as_for_no_account() {
    let _alone = alone().await;
    let app = TestApp::spawn().await;
    app.verified_user("known@example.com").await;
    compare(
        &app,
        "password/forgot",
        |_| {
            (
                "/api/v1/password/forgot".into(),
                json!({"email": "known@example.com"}),
            )
        },
        |i| {
            (
                "/api/v1/password/forgot".into(),
                json!({"email": format!("nobody{i}@example.com")}),
            )
        },
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn sign_in_by_email_takes_as_long_for_an_account_as_for_no_account() {
    let _alone = alone().await;
    let app = TestApp::spawn().await;
    app.verified_user("known@example.com").await;
    compare(
        &app,
        "login/email",
        |_| {
            (
                "/api/v1/login/email".into(),
                json!({"email": "known@example.com"}),
            )
        },
        |i| {
            (
                "/api/v1/login/email".into(),
                json!({"email": format!("nobody{i}@example.com")}),
            )
        },
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn resend_takes_as_long_for_an_unverified_account_as_for_no_account() {
    let _alone = alone().await;
    let app = TestApp::spawn().await;
    app.register("pending@example.com").await;
    compare(
        &app,
        "email/verify/resend",
        |_| {
            (
                "/api/v1/email/verify/resend".into(),
                json!({"email": "pending@example.com"}),
            )
        },
        |i| {
            (
                "/api/v1/email/verify/resend".into(),
                json!({"email": format!("nobody{i}@example.com")}),
            )
        },
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn register_takes_as_long_for_an_existing_account_as_for_a_new_address() {
    let _alone = alone().await;
    let app = TestApp::spawn().await;
    app.verified_user("taken@example.com").await;
    compare(
        &app,
        "register",
        |_| {
            (
                "/api/v1/register".into(),
                json!({"email": "taken@example.com", "password": PASSWORD}),
            )
        },
        |i| {
            (
                "/api/v1/register".into(),
                json!({"email": format!("new{i}@example.com"), "password": PASSWORD}),
            )
        },
    )
    .await;
    app.stop().await;
}

/// A sign-up on an unverified account checks, with an Argon2 verification, whether it repeats
/// the account's password (issue 17, 1: a double submit does not contest the address); a new
/// address gets the same verification against a dummy hash, so the answer takes as long.
#[tokio::test]
async fn register_takes_as_long_for_an_unverified_account_as_for_a_new_address() {
    let _alone = alone().await;
    let app = TestApp::spawn().await;
    app.register("pending@example.com").await;
    app.sign_up_recorded("pending@example.com").await;
    compare(
        &app,
        "register (unverified)",
        |_| {
            (
                "/api/v1/register".into(),
                json!({"email": "pending@example.com", "password": PASSWORD}),
            )
        },
        |i| {
            (
                "/api/v1/register".into(),
                json!({"email": format!("fresh{i}@example.com"), "password": PASSWORD}),
            )
        },
    )
    .await;
    app.stop().await;
}

/// A wrong code takes as long for an address with an account (and a live code) as for one
/// without, and is counted alike (issue 17, 3): on PostgreSQL the write that counted it was
/// what told them apart. Each round uses addresses of their own, so no count reaches a limit
/// (past it nothing is written, for either). 100 rounds: the gap measured was a third of a
/// millisecond.
#[tokio::test]
async fn a_wrong_code_takes_as_long_for_an_account_as_for_no_account() {
    const CODE_ROUNDS: usize = 100;
    let _alone = alone().await;
    let app = TestApp::spawn().await;
    let known = |i: usize| format!("known{i}@example.com");
    for i in (0..CODE_ROUNDS).chain(1000..1003) {
        let r = app
            .post(
                "/api/v1/register",
                json!({"email": known(i), "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    for i in (0..CODE_ROUNDS).chain(1000..1003) {
        app.sign_up_recorded(&known(i)).await;
    }
    // A code no email carried: wrong for every account (a one in a million chance aside).
    let wrong = "000000";
    compare_as(
        &app,
        "wrong code",
        CODE_ROUNDS,
        StatusCode::BAD_REQUEST,
        |i| {
            (
                "/api/v1/email/verify".into(),
                json!({"email": known(i), "code": wrong}),
            )
        },
        |i| {
            (
                "/api/v1/email/verify".into(),
                json!({"email": format!("nobody{i}@example.com"), "code": wrong}),
            )
        },
    )
    .await;
    app.stop().await;
}

/// Runs `first(i)` for an address with an account and for one without, alternately, and times
/// the request sent right after each (`next(i)`): the work `first` leaves for after its answer
/// must not slow the next request down for one kind of address only (issue 17, 5).
async fn compare_next<F, G, N>(app: &TestApp, what: &str, with: F, without: G, next: N)
where
    F: Fn(usize) -> (String, Value),
    G: Fn(usize) -> (String, Value),
    N: Fn(usize) -> (String, Value),
{
    const NEXT_ROUNDS: usize = 150;
    let run = |first: (String, Value), i: usize| {
        let next = next(i);
        async move {
            timed_as(app, &first.0, first.1, StatusCode::ACCEPTED).await;
            timed_as(app, &next.0, next.1, StatusCode::ACCEPTED).await
        }
    };
    for i in 0..3 {
        run(with(1000 + i), 1000 + i).await;
        run(without(1000 + i), 2000 + i).await;
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..NEXT_ROUNDS {
        if i % 2 == 0 {
            a.push(run(with(i), 2 * i).await);
            tokio::time::sleep(Duration::from_millis(15)).await;
            b.push(run(without(i), 2 * i + 1).await);
        } else {
            b.push(run(without(i), 2 * i + 1).await);
            tokio::time::sleep(Duration::from_millis(15)).await;
            a.push(run(with(i), 2 * i).await);
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let z = rank_z(&a, &b);
    eprintln!(
        "{what}, the next request: median after an account {:?}, after none {:?}, rank z = {z:.2}",
        median(&a),
        median(&b)
    );
    assert!(
        z.abs() < 4.0,
        "{what}: the next request tells accounts apart (z = {z:.2}; medians {:?} vs {:?})",
        median(&a),
        median(&b)
    );
}

/// The request sent right after `forgot` takes as long whether `forgot` named an account or
/// not, with the default mail cooldown (as the probe ran it): 150 pairs.
#[tokio::test]
async fn the_request_after_forgot_takes_as_long_for_an_account_as_for_no_account() {
    let _alone = alone().await;
    let app = TestApp::spawn_with(|s| s.mail_cooldown = Duration::from_secs(60)).await;
    app.verified_user("known@example.com").await;
    compare_next(
        &app,
        "password/forgot",
        |_| {
            (
                "/api/v1/password/forgot".into(),
                json!({"email": "known@example.com"}),
            )
        },
        |i| {
            (
                "/api/v1/password/forgot".into(),
                json!({"email": format!("nobody{i}@example.com")}),
            )
        },
        |i| {
            (
                "/api/v1/password/forgot".into(),
                json!({"email": format!("next{i}@example.com")}),
            )
        },
    )
    .await;
    app.stop().await;
}

/// The same for `resend` and an unverified account.
#[tokio::test]
async fn the_request_after_resend_takes_as_long_for_an_account_as_for_no_account() {
    let _alone = alone().await;
    let app = TestApp::spawn_with(|s| s.mail_cooldown = Duration::from_secs(60)).await;
    app.register("pending@example.com").await;
    compare_next(
        &app,
        "email/verify/resend",
        |_| {
            (
                "/api/v1/email/verify/resend".into(),
                json!({"email": "pending@example.com"}),
            )
        },
        |i| {
            (
                "/api/v1/email/verify/resend".into(),
                json!({"email": format!("nobody{i}@example.com")}),
            )
        },
        |i| {
            (
                "/api/v1/email/verify/resend".into(),
                json!({"email": format!("next{i}@example.com")}),
            )
        },
    )
    .await;
    app.stop().await;
}
