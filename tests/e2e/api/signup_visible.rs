//! A sign-up is there once it is answered (contract §4). Register answers before it records
//! the account (so that the answer's time does not tell whether the address had one), yet from
//! the 202 on a log-in with the address and password answers 403 `email_not_verified`, the
//! admin API lists the account, and its verification email is on its way.
//!
//! Two ways in: a client that logs in (or an admin that lists) the moment the answer arrives,
//! many times over, and a sign-up that is answered and not recorded at all, as a process that
//! answered and died leaves it (its row in `pending_signups`, written before the answer): the
//! first look-up of the address records it. The same across processes on PostgreSQL is in
//! `storage::postgres_nodes`.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

const ROUNDS: usize = 50;
const ROOT: &str = "root@example.com";

async fn admin_app() -> (TestApp, String) {
    let app = TestApp::spawn_with(|s| {
        s.first_admin_email = Some(ROOT.parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.into());
    })
    .await;
    let r = app.login(ROOT, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = str_of(&r.json::<Value>().await.expect("tokens"), "access_token");
    (app, token)
}

/// The addresses the admin API lists for the search `q`.
async fn listed(app: &TestApp, admin: &str, q: &str) -> Vec<String> {
    let r = app
        .get_auth(&format!("/api/v1/admin/users?q={q}&limit=100"), admin)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page: Value = r.json().await.expect("json");
    page["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| str_of(u, "email"))
        .collect()
}

#[tokio::test]
async fn a_log_in_the_moment_the_sign_up_is_answered_finds_it() {
    let app = TestApp::spawn().await;
    for i in 0..ROUNDS {
        let email = format!("at-once-{i}@example.com");
        let r = app.register(&email).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_problem(
            app.login(&email, PASSWORD).await,
            StatusCode::FORBIDDEN,
            "email_not_verified",
        )
        .await;
    }
    // And each verification email was on its way.
    for i in 0..ROUNDS {
        let email = format!("at-once-{i}@example.com");
        assert!(
            app.smtp
                .latest(&email)
                .await
                .token("verify-email")
                .is_some()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_admin_listing_the_moment_the_sign_up_is_answered_finds_it() {
    let (app, admin) = admin_app().await;
    for i in 0..ROUNDS {
        let email = format!("listed-{i}@example.com");
        let r = app.register(&email).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_eq!(
            listed(&app, &admin, &format!("listed-{i}@")).await,
            vec![email],
            "listed right after its 202"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_sign_up_nobody_recorded_is_recorded_by_the_first_look_up() {
    let (app, admin) = admin_app().await;
    // An account to borrow a hash of PASSWORD from.
    assert_eq!(
        app.register("seed@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    assert_problem(
        app.login("seed@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;

    // A log-in: the account the sign-up makes, unverified; the right password hears so, and
    // its verification email goes out.
    app.leave_sign_up_pending(1, "Ghost@Example.com", "seed@example.com")
        .await;
    assert_problem(
        app.login("ghost@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;
    let mail = app.smtp.latest("Ghost@Example.com").await;
    let token = mail.token("verify-email").expect("a verification link");
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    assert_eq!(
        app.login("ghost@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    // A wrong password is refused as for any account.
    app.leave_sign_up_pending(2, "wrong@example.com", "seed@example.com")
        .await;
    assert_problem(
        app.login("wrong@example.com", "not the password at all")
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        app.login("wrong@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "email_not_verified",
    )
    .await;

    // The admin listing.
    app.leave_sign_up_pending(3, "unlisted@example.com", "seed@example.com")
        .await;
    assert_eq!(
        listed(&app, &admin, "unlisted").await,
        vec!["unlisted@example.com".to_owned()]
    );
    assert!(
        app.smtp
            .latest("unlisted@example.com")
            .await
            .token("verify-email")
            .is_some()
    );

    // Each was recorded once: one account per address, no row left.
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_signups")
        .fetch_one(app.db().await)
        .await
        .expect("count");
    assert_eq!(pending, 0);
    assert_eq!(app.user_count().await, 5, "root, seed and the three");
    app.stop().await;
}
