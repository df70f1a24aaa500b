//! Changing the email address (contract §4), end to end over HTTP and real SMTP.

use std::time::Duration;

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn request_change(app: &TestApp, access: &str, new_email: &str) -> reqwest::Response {
    app.post_auth(
        "/api/v1/me/email",
        access,
        json!({"password": PASSWORD, "new_email": new_email}),
    )
    .await
}

async fn confirm(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/email/change/confirm", json!({"token": token}))
        .await
}

async fn me(app: &TestApp, access: &str) -> Value {
    let r = app.get_auth("/api/v1/me", access).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("json")
}

/// The token of the next link to `page` that reaches `address`.
async fn token_to(app: &TestApp, address: &str, page: &str) -> String {
    app.smtp.new_token(address, page).await
}

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

#[tokio::test]
async fn both_confirmations_in_either_order_apply_the_change() {
    let app = TestApp::spawn().await;
    for (i, new_first) in [true, false].into_iter().enumerate() {
        let old = format!("old{i}@example.com");
        let new = format!("New{i}@Example.com");
        let (access, _) = app.logged_in(&old).await;
        let (other_access, other_refresh) = {
            let body = json_of(app.login(&old, PASSWORD).await).await;
            (
                str_of(&body, "access_token"),
                str_of(&body, "refresh_token"),
            )
        };
        let r = request_change(&app, &access, &new).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_eq!(json_of(r).await, json!({"status": "confirmation_sent"}));

        let new_token = token_to(&app, &new, "confirm-email-change").await;
        let new_mail = app.smtp.latest(&new).await;
        assert!(
            new_mail.html.contains(
                new_mail
                    .link("confirm-email-change")
                    .expect("link")
                    .as_str()
            )
        );
        let old_token = token_to(&app, &old, "confirm-email-change").await;
        let pending = me(&app, &access).await["pending_email"].clone();
        assert_eq!(pending["email"], new.as_str());
        assert_eq!(
            (
                pending["new_confirmed"].clone(),
                pending["old_confirmed"].clone()
            ),
            (json!(false), json!(false))
        );

        let (first, second) = if new_first {
            (&new_token, &old_token)
        } else {
            (&old_token, &new_token)
        };
        let r = confirm(&app, first).await;
        assert_eq!(
            json_of(r).await,
            json!({"status": "awaiting_other_confirmation"})
        );
        // Nothing changed yet.
        let body = me(&app, &access).await;
        assert_eq!(body["email"], old.as_str());
        assert_eq!(body["pending_email"]["new_confirmed"], json!(new_first));
        assert_eq!(body["pending_email"]["old_confirmed"], json!(!new_first));

        let r = confirm(&app, second).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(json_of(r).await, json!({"status": "changed", "email": new}));

        let body = me(&app, &access).await;
        assert_eq!(body["email"], new.as_str());
        assert_eq!(body["email_verified"], true);
        assert_eq!(body["pending_email"], Value::Null);
        // The requesting session stays; every other session is revoked.
        assert_problem(
            app.get_auth("/api/v1/me", &other_access).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        )
        .await;
        let r = app
            .post(
                "/api/v1/token/refresh",
                json!({"refresh_token": other_refresh}),
            )
            .await;
        assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
        // The old address is told, with a revert link.
        token_to(&app, &old, "revert-email-change").await;
        // Log-in works with the new address only.
        assert_eq!(app.login(&new, PASSWORD).await.status(), StatusCode::OK);
        assert_problem(
            app.login(&old, PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
        // A used confirmation link is spent.
        assert_problem(
            confirm(&app, second).await,
            StatusCode::CONFLICT,
            "token_used",
        )
        .await;
    }
    app.stop().await;
}

#[tokio::test]
async fn without_confirm_old_the_new_address_alone_applies_it() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    let (access, _) = app.logged_in("solo@example.com").await;
    let before = app.smtp.messages_to("solo@example.com").len();
    assert_eq!(
        request_change(&app, &access, "solo2@example.com")
            .await
            .status(),
        StatusCode::ACCEPTED
    );
    let token = token_to(&app, "solo2@example.com", "confirm-email-change").await;
    let r = confirm(&app, &token).await;
    assert_eq!(
        json_of(r).await,
        json!({"status": "changed", "email": "solo2@example.com"})
    );
    // The only mail to the old address since the request is the change notice.
    let old_mails = app
        .smtp
        .wait_for("solo@example.com", before + 1, Duration::from_secs(5))
        .await;
    assert_eq!(old_mails.len(), before + 1);
    assert!(old_mails[before].link("revert-email-change").is_some());
    assert!(old_mails[before].link("confirm-email-change").is_none());
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_change_nothing() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("ann@example.com").await;
    let r = request_change(&app, &access, " ANN@example.COM ").await;
    assert_problem(r, StatusCode::BAD_REQUEST, "same_email").await;
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            json!({"password": "not my password", "new_email": "b@example.com"}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let r = request_change(&app, &access, "not-an-address").await;
    let body = assert_problem(r, StatusCode::BAD_REQUEST, "invalid_email").await;
    assert_eq!(body["errors"][0]["field"], "new_email");
    let r = app
        .post(
            "/api/v1/me/email",
            json!({"password": PASSWORD, "new_email": "b@example.com"}),
        )
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(me(&app, &access).await["pending_email"], Value::Null);
    assert!(app.smtp.messages_to("b@example.com").is_empty());
    for bad in ["", "garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        assert_problem(
            confirm(&app, bad).await,
            StatusCode::BAD_REQUEST,
            "token_invalid",
        )
        .await;
        let r = app
            .post("/api/v1/email/change/revert", json!({"token": bad}))
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "token_invalid").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_new_request_or_a_cancel_kills_the_pending_links() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("c@example.com").await;
    request_change(&app, &access, "first@example.com").await;
    let first_new = token_to(&app, "first@example.com", "confirm-email-change").await;
    let first_old = token_to(&app, "c@example.com", "confirm-email-change").await;

    request_change(&app, &access, "second@example.com").await;
    assert_problem(
        confirm(&app, &first_new).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    assert_problem(
        confirm(&app, &first_old).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    assert_eq!(
        me(&app, &access).await["pending_email"]["email"],
        "second@example.com"
    );

    let second_new = token_to(&app, "second@example.com", "confirm-email-change").await;
    let r = app
        .client
        .delete(app.url("/api/v1/me/email"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &access).await["pending_email"], Value::Null);
    assert_problem(
        confirm(&app, &second_new).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    // Cancelling with nothing pending is fine too.
    let r = app
        .client
        .delete(app.url("/api/v1/me/email"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &access).await["email"], "c@example.com");
    app.stop().await;
}

#[tokio::test]
async fn an_address_of_another_account_is_told_and_never_applied() {
    let app = TestApp::spawn().await;
    app.verified_user("owner@example.com").await;
    let owner_mails = app.smtp.messages_to("owner@example.com").len();
    let (access, _) = app.logged_in("taker@example.com").await;
    let r = request_change(&app, &access, "OWNER@example.com").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(json_of(r).await, json!({"status": "confirmation_sent"}));
    let attempt = app.smtp.nth("owner@example.com", owner_mails + 1).await;
    assert!(
        attempt.link("confirm-email-change").is_none(),
        "the owner gets a notice, not a link"
    );
    assert!(
        attempt.text.to_lowercase().contains("tried"),
        "{}",
        attempt.text
    );
    // The requester's own address is asked as usual, so it cannot tell the address is taken...
    let old_token = token_to(&app, "taker@example.com", "confirm-email-change").await;
    // ...but the change never applies.
    let r = confirm(&app, &old_token).await;
    assert_eq!(
        json_of(r).await,
        json!({"status": "awaiting_other_confirmation"})
    );
    assert_eq!(me(&app, &access).await["email"], "taker@example.com");
    assert_eq!(
        app.login("owner@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_requests_from_one_account_apply_only_their_own_address() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    for round in 0..5 {
        let me_addr = format!("racer{round}@example.com");
        let (access, _) = app.logged_in(&me_addr).await;
        let (a, b) = (
            format!("a{round}@example.com"),
            format!("b{round}@example.com"),
        );
        let (ra, rb) = tokio::join!(
            request_change(&app, &access, &a),
            request_change(&app, &access, &b)
        );
        assert_eq!(
            (ra.status(), rb.status()),
            (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
        );
        let ta = token_to(&app, &a, "confirm-email-change").await;
        let tb = token_to(&app, &b, "confirm-email-change").await;
        let (ca, cb) = tokio::join!(confirm(&app, &ta), confirm(&app, &tb));
        let (sa, sb) = (ca.status(), cb.status());
        let (ba, bb) = (json_of(ca).await, json_of(cb).await);
        // Exactly one request survived; its link applies its own address, the other is dead.
        let email = me(&app, &access).await["email"]
            .as_str()
            .expect("email")
            .to_owned();
        if sa == StatusCode::OK {
            assert_eq!(ba, json!({"status": "changed", "email": a}));
            assert_eq!(sb, StatusCode::BAD_REQUEST, "{bb}");
            assert_eq!(email, a);
        } else {
            assert_eq!(bb, json!({"status": "changed", "email": b}));
            assert_eq!(sa, StatusCode::BAD_REQUEST, "{ba}");
            assert_eq!(email, b);
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn two_accounts_racing_for_one_address_exactly_one_gets_it() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    for round in 0..15 {
        let (x, y) = (
            format!("x{round}@example.com"),
            format!("y{round}@example.com"),
        );
        let prize = format!("prize{round}@example.com");
        let (ax, _) = app.logged_in(&x).await;
        let (ay, _) = app.logged_in(&y).await;
        assert_eq!(
            request_change(&app, &ax, &prize).await.status(),
            StatusCode::ACCEPTED
        );
        assert_eq!(
            request_change(&app, &ay, &prize).await.status(),
            StatusCode::ACCEPTED
        );
        let mails = app.smtp.wait_for(&prize, 2, Duration::from_secs(5)).await;
        let tokens: Vec<String> = mails
            .iter()
            .filter_map(|m| m.token("confirm-email-change"))
            .collect();
        assert_eq!(tokens.len(), 2);
        let (r1, r2) = tokio::join!(confirm(&app, &tokens[0]), confirm(&app, &tokens[1]));
        let mut statuses = [r1.status().as_u16(), r2.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}");
        let loser = if r1.status() == StatusCode::CONFLICT {
            r1
        } else {
            r2
        };
        assert_problem(loser, StatusCode::CONFLICT, "email_taken").await;
        let emails = [
            me(&app, &ax).await["email"].clone(),
            me(&app, &ay).await["email"].clone(),
        ];
        let winners = emails.iter().filter(|e| **e == json!(prize)).count();
        assert_eq!(winners, 1, "{emails:?}");
        assert!(
            emails.contains(&json!(x)) || emails.contains(&json!(y)),
            "the loser keeps its address: {emails:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_expired_change_never_applies() {
    let app = TestApp::spawn_with(|s| s.email_change_ttl = Duration::from_secs(3600)).await;
    let (access, _) = app.logged_in("slow@example.com").await;
    request_change(&app, &access, "later@example.com").await;
    let new_token = token_to(&app, "later@example.com", "confirm-email-change").await;
    let old_token = token_to(&app, "slow@example.com", "confirm-email-change").await;
    assert_eq!(
        json_of(confirm(&app, &new_token).await).await,
        json!({"status": "awaiting_other_confirmation"})
    );
    app.advance(Duration::from_secs(3601)).await;
    assert_problem(
        confirm(&app, &old_token).await,
        StatusCode::GONE,
        "token_expired",
    )
    .await;
    // An hour on, the access token from before has expired too.
    let (access, _) = app.log_in("slow@example.com").await;
    let body = me(&app, &access).await;
    assert_eq!(
        body["email"], "slow@example.com",
        "never an empty or partial address"
    );
    assert_eq!(body["pending_email"], Value::Null);
    app.stop().await;
}

#[tokio::test]
async fn revert_restores_the_old_address_and_sends_a_reset_link() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    let (access, refresh) = app.logged_in("victim@example.com").await;
    request_change(&app, &access, "attacker@example.com").await;
    let token = token_to(&app, "attacker@example.com", "confirm-email-change").await;
    assert_eq!(confirm(&app, &token).await.status(), StatusCode::OK);
    let revert = token_to(&app, "victim@example.com", "revert-email-change").await;

    let r = app
        .post("/api/v1/email/change/revert", json!({"token": revert}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        json_of(r).await,
        json!({"status": "reverted", "email": "victim@example.com"})
    );
    // Every session is revoked, the requesting one included.
    assert_problem(
        app.get_auth("/api/v1/me", &access).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let r = app
        .post("/api/v1/token/refresh", json!({"refresh_token": refresh}))
        .await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "invalid_refresh_token").await;
    // A reset link goes to the restored address and works.
    let reset = token_to(&app, "victim@example.com", "reset-password").await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.login("victim@example.com", "a brand new secret")
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        app.login("attacker@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let r = app
        .post("/api/v1/email/change/revert", json!({"token": revert}))
        .await;
    assert_problem(r, StatusCode::CONFLICT, "token_used").await;
    app.stop().await;
}

#[tokio::test]
async fn the_old_address_stays_reserved_while_its_revert_link_lives() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    let (access, _) = app.logged_in("first@example.com").await;
    request_change(&app, &access, "moved@example.com").await;
    let token = token_to(&app, "moved@example.com", "confirm-email-change").await;
    assert_eq!(confirm(&app, &token).await.status(), StatusCode::OK);
    let revert = token_to(&app, "first@example.com", "revert-email-change").await;
    // Someone signs up with the freed address: answered as usual, nothing is made.
    let users = app.user_count().await;
    assert_eq!(
        app.register("first@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(app.user_count().await, users);
    let r = app
        .post("/api/v1/email/change/revert", json!({"token": revert}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_reset_link_sent_before_an_email_change_is_refused_after_it() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    let (access, _) = app.logged_in("r@example.com").await;
    app.post("/api/v1/password/forgot", json!({"email": "r@example.com"}))
        .await;
    let reset = token_to(&app, "r@example.com", "reset-password").await;
    request_change(&app, &access, "r2@example.com").await;
    let token = token_to(&app, "r2@example.com", "confirm-email-change").await;
    assert_eq!(confirm(&app, &token).await.status(), StatusCode::OK);
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": "another good secret"}),
        )
        .await;
    assert_problem(r, StatusCode::BAD_REQUEST, "token_invalid").await;
    app.stop().await;
}

#[tokio::test]
async fn a_password_reset_cancels_a_pending_change() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("hijacked@example.com").await;
    request_change(&app, &access, "thief@example.com").await;
    let thief_token = token_to(&app, "thief@example.com", "confirm-email-change").await;
    app.post(
        "/api/v1/password/forgot",
        json!({"email": "hijacked@example.com"}),
    )
    .await;
    let reset = token_to(&app, "hijacked@example.com", "reset-password").await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": "owner is back now"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_problem(
        confirm(&app, &thief_token).await,
        StatusCode::BAD_REQUEST,
        "token_invalid",
    )
    .await;
    let body: Value = app
        .login("hijacked@example.com", "owner is back now")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        me(&app, &str_of(&body, "access_token")).await["pending_email"],
        Value::Null
    );
    app.stop().await;
}

/// Both confirmations of one change at once, the new address's and the old one's: whichever
/// commits last must see the other's and apply the change. On SQLite the single writer orders
/// them; on PostgreSQL each transaction reads the row the other writes, so SERIALIZABLE runs
/// one of them again. A change left confirmed twice but never applied would be the bug.
#[tokio::test]
async fn both_confirmations_at_once_apply_the_change() {
    let app = TestApp::spawn().await;
    for round in 0..8 {
        let old = format!("both{round}@example.com");
        let new = format!("both-new{round}@example.com");
        let (access, _) = app.logged_in(&old).await;
        assert_eq!(
            request_change(&app, &access, &new).await.status(),
            StatusCode::ACCEPTED
        );
        let new_token = token_to(&app, &new, "confirm-email-change").await;
        let old_token = token_to(&app, &old, "confirm-email-change").await;
        let (a, b) = tokio::join!(confirm(&app, &new_token), confirm(&app, &old_token));
        let (sa, sb) = (a.status(), b.status());
        let (ba, bb) = (json_of(a).await, json_of(b).await);
        assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK), "{ba} {bb}");
        let changed = [&ba, &bb]
            .iter()
            .filter(|b| b["status"] == "changed")
            .count();
        assert_eq!(changed, 1, "round {round}: {ba} {bb}");
        assert_eq!(
            app.login(&new, PASSWORD).await.status(),
            StatusCode::OK,
            "round {round}"
        );
    }
    app.stop().await;
}
