//! What a second outside probe broke (issue 17), each end to end on the suite's engine: codes
//! guessed across emails, email-change confirmations filling a stranger's inbox, the last admin,
//! a second `user.verified`.

use std::time::Duration;

use crate::support::{webhooks::*, *};
use latchkey::configuration::WebhookSettings;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn reset_code(app: &TestApp, email: &str, code: &str) -> Response {
    app.post(
        "/api/v1/password/reset",
        json!({"email": email, "code": code, "new_password": NEW_PASSWORD}),
    )
    .await
}

/// A code that is surely not `code`.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

/// A new reset email for `email`: its (token, code).
async fn new_reset(app: &TestApp, email: &str) -> (String, String) {
    let r = app
        .post("/api/v1/password/forgot", json!({"email": email}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.smtp.new_token_and_code(email, "reset-password").await
}

async fn failures_counted(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM code_failures")
        .fetch_one(app.db().await)
        .await
        .expect("count")
}

/// Issue 17, 2: each new reset email used to bring 5 fresh tries. Across all its codes an
/// address gets 10 wrong ones in 24 hours; then even a new email's right code is refused
/// (its link still works) until the day has passed. An address without an account is counted
/// the same way.
#[tokio::test]
async fn ten_wrong_codes_a_day_across_all_codes_then_none() {
    let app = TestApp::spawn().await;
    let email = "guessed@example.com";
    app.verified_user(email).await;
    // Two emails, 4 wrong tries each (under the per-code 5), then 2 on a third: 10.
    for tries in [4, 4, 2] {
        let (_, code) = new_reset(&app, email).await;
        for _ in 0..tries {
            let r = reset_code(&app, email, &wrong(&code)).await;
            assert_problem(r, StatusCode::BAD_REQUEST, "code_invalid").await;
        }
    }
    assert_eq!(failures_counted(&app).await, 10);
    // The third code had only 2 wrong tries, yet the right one is refused now; so is the code
    // of a new email. Nothing more is counted.
    let (token, code) = new_reset(&app, email).await;
    let r = reset_code(&app, email, &code).await;
    assert_problem(r, StatusCode::BAD_REQUEST, "code_invalid").await;
    assert_eq!(failures_counted(&app).await, 10);
    // Its link still works.
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": token, "new_password": "the link still works here"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // The same count for an address without an account.
    for _ in 0..12 {
        let r = reset_code(&app, "nobody@example.com", "123456").await;
        assert_problem(r, StatusCode::BAD_REQUEST, "code_invalid").await;
    }
    assert_eq!(failures_counted(&app).await, 20);

    // A day later the address may try again.
    app.advance(Duration::from_secs(24 * 3600 + 1)).await;
    let (_, code) = new_reset(&app, email).await;
    assert_eq!(
        reset_code(&app, email, &code).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

/// Issue 17, 2, with the tries at once: 20 concurrent wrong codes count 10, never more.
#[tokio::test]
async fn concurrent_wrong_codes_count_no_more_than_the_cap() {
    let app = TestApp::spawn().await;
    let email = "burst.cap@example.com";
    app.verified_user(email).await;
    let (_, code) = new_reset(&app, email).await;
    let bad = wrong(&code);
    let tries = (0..20).map(|_| reset_code(&app, email, &bad));
    for r in futures::future::join_all(tries).await {
        assert_problem(r, StatusCode::BAD_REQUEST, "code_invalid").await;
    }
    assert_eq!(failures_counted(&app).await, 10);
    app.stop().await;
}

/// Issue 17, 6: email-change confirmations skipped the per-recipient cooldown and greeted the
/// stranger with the requesting account's name. Two accounts asking for one bystander's
/// address within the cooldown send one confirmation, and it does not carry the name.
#[tokio::test]
async fn email_change_confirmations_keep_the_cooldown_and_show_no_name() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = Duration::from_secs(60)).await;
    let bait = "URGENT visit evil.example/unlock";
    let bystander = "bystander@example.com";
    let mut tokens = Vec::new();
    for who in ["mallory1@example.com", "mallory2@example.com"] {
        app.verified_user(who).await;
        let (access, _) = app.log_in(who).await;
        let r = app
            .patch_auth("/api/v1/me", &access, json!({"name": bait}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        tokens.push(access);
    }
    for _ in 0..3 {
        for access in &tokens {
            let r = app
                .post_auth(
                    "/api/v1/me/email",
                    access,
                    json!({"password": PASSWORD, "new_email": bystander}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::ACCEPTED);
        }
    }
    app.settle().await;
    let mails = app.smtp.messages_to(bystander);
    assert_eq!(mails.len(), 1, "one confirmation within the cooldown");
    for part in [&mails[0].text, &mails[0].html, &mails[0].subject] {
        assert!(
            !part.contains("URGENT"),
            "the name reached a stranger: {part}"
        );
    }
    // After the cooldown the next request sends again.
    app.advance(Duration::from_secs(61)).await;
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &tokens[0],
            json!({"password": PASSWORD, "new_email": bystander}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.smtp
        .wait_for(bystander, 2, Duration::from_secs(10))
        .await;
    app.stop().await;
}

fn with_root(s: &mut latchkey::Settings) {
    s.first_admin_email = Some("root@example.com".parse().expect("address"));
    s.first_admin_password = Some(PASSWORD.into());
}

async fn id_of(app: &TestApp, access: &str) -> String {
    let me: Value = app
        .get_auth("/api/v1/me", access)
        .await
        .json()
        .await
        .expect("me");
    str_of(&me, "id")
}

async fn delete(app: &TestApp, path: &str, token: &str) -> Response {
    app.client
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

/// Issue 17, 7: the last admin could delete itself (204), and two admins demoting, disabling
/// or deleting each other at once both succeeded. The last one is `last_admin` by any route.
#[tokio::test]
async fn the_last_admin_stays() {
    let app = TestApp::spawn_with(with_root).await;
    let (root, _) = app.log_in("root@example.com").await;
    let root_id = id_of(&app, &root).await;
    let path = format!("/api/v1/admin/users/{root_id}");
    assert_problem(
        delete(&app, &path, &root).await,
        StatusCode::CONFLICT,
        "last_admin",
    )
    .await;
    for change in [
        json!({"is_admin": false}),
        json!({"disabled": true}),
        json!({"email_verified": false}),
    ] {
        let r = app.patch_auth(&path, &root, change.clone()).await;
        assert_problem(r, StatusCode::CONFLICT, "last_admin").await;
    }
    let r = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&root)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_problem(r, StatusCode::CONFLICT, "last_admin").await;
    // Still an admin who can act.
    assert_eq!(
        app.get_auth("/api/v1/admin/users", &root).await.status(),
        StatusCode::OK
    );

    // With a second admin, one may go; an unverified or disabled admin is no admin.
    app.verified_user("second@example.com").await;
    let (second, _) = app.log_in("second@example.com").await;
    let second_id = id_of(&app, &second).await;
    let second_path = format!("/api/v1/admin/users/{second_id}");
    let r = app
        .patch_auth(&second_path, &root, json!({"is_admin": true}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .patch_auth(&second_path, &root, json!({"disabled": true}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_problem(
        delete(&app, &path, &root).await,
        StatusCode::CONFLICT,
        "last_admin",
    )
    .await;
    app.stop().await;
}

/// Issue 17, 7, the race: two admins acting on each other at once, round after round, never
/// leave the instance without an admin; of each pair one wins.
#[tokio::test]
async fn two_admins_acting_at_once_leave_one() {
    let app = TestApp::spawn_with(with_root).await;
    let (root, _) = app.log_in("root@example.com").await;
    let changes = [
        json!({"is_admin": false}),
        json!({"disabled": true}),
        json!({"email_verified": false}),
    ];
    for round in 0..9 {
        let (a, b) = (
            format!("a{round}@example.com"),
            format!("b{round}@example.com"),
        );
        let mut admins = Vec::new();
        for who in [&a, &b] {
            app.verified_user(who).await;
            let (access, _) = app.log_in(who).await;
            let id = id_of(&app, &access).await;
            let r = app
                .patch_auth(
                    &format!("/api/v1/admin/users/{id}"),
                    &root,
                    json!({"is_admin": true}),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            admins.push((access, id));
        }
        // Root steps aside (it is no longer the last), so a and b are the only two.
        let r = app
            .patch_auth(
                &format!("/api/v1/admin/users/{}", id_of(&app, &root).await),
                &admins[0].0,
                json!({"is_admin": false}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "round {round}");
        let change = &changes[round % 3];
        let on_b = format!("/api/v1/admin/users/{}", admins[1].1);
        let on_a = format!("/api/v1/admin/users/{}", admins[0].1);
        let (ra, rb) = if round % 2 == 0 {
            tokio::join!(
                app.patch_auth(&on_b, &admins[0].0, change.clone()),
                app.patch_auth(&on_a, &admins[1].0, change.clone()),
            )
        } else {
            tokio::join!(
                delete(&app, &on_b, &admins[0].0),
                delete(&app, &on_a, &admins[1].0),
            )
        };
        let statuses = [ra.status(), rb.status()];
        let won = statuses.iter().filter(|s| s.is_success()).count();
        assert_eq!(won, 1, "round {round}: {statuses:?}");
        for s in statuses.iter().filter(|s| !s.is_success()) {
            // The loser either was no admin any more when it asked, or lost in the storage.
            assert!(
                [
                    StatusCode::CONFLICT,
                    StatusCode::FORBIDDEN,
                    StatusCode::UNAUTHORIZED
                ]
                .contains(s),
                "round {round}: {statuses:?}"
            );
        }
        let admins_left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE is_admin = TRUE AND disabled = FALSE \
             AND email_verified = TRUE",
        )
        .fetch_one(app.db().await)
        .await
        .expect("count");
        assert_eq!(admins_left, 1, "round {round}");
        // Root is made admin again by whoever is left, and the winner steps down: root alone
        // for the next round.
        let (winner, winner_id) = if statuses[0].is_success() {
            &admins[0]
        } else {
            &admins[1]
        };
        let root_id = id_of(&app, &root).await;
        let r = app
            .patch_auth(
                &format!("/api/v1/admin/users/{root_id}"),
                winner,
                json!({"is_admin": true}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "round {round}");
        let r = app
            .patch_auth(
                &format!("/api/v1/admin/users/{winner_id}"),
                &root,
                json!({"is_admin": false}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK, "round {round}");
    }
    app.stop().await;
}

/// Issue 17, 8: after a reset verified an unverified account, its old verification link
/// still answered "verified" and sent a second `user.verified` with a new webhook-id.
#[tokio::test]
async fn an_old_verification_link_sends_no_second_user_verified() {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn_with(|s| {
        s.webhook = Some(WebhookSettings {
            url: receiver.url().parse().expect("url"),
            secret: WEBHOOK_SECRET.parse().expect("secret"),
            secret_previous: None,
        });
    })
    .await;
    let email = "twice@example.com";
    app.register(email).await;
    let verification = app.smtp.new_token(email, "verify-email").await;
    let (reset, _) = new_reset(&app, email).await;
    let r = app
        .post(
            "/api/v1/password/reset",
            json!({"token": reset, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    receiver.wait_for("user.verified", 1).await;
    // The old link answers as a verified address does, and sends nothing.
    let r = app.verify(&verification).await;
    assert_eq!(r.status(), StatusCode::OK);
    app.settle().await;
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'user.verified'")
            .fetch_one(app.db().await)
            .await
            .expect("count");
    assert_eq!(events, 1, "one user.verified per verification");
    app.stop().await;
}

/// Issue 17, 5: forgot and resend take the mail cooldown for every address named, with or
/// without an account, so that the work after their answer is the same write for all
/// (`timing::the_request_after_*`). Those rows go once the cooldown has passed.
#[tokio::test]
async fn cooldowns_taken_for_addresses_without_accounts_are_swept() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = Duration::from_secs(60)).await;
    for path in ["/api/v1/password/forgot", "/api/v1/email/verify/resend"] {
        let r = app.post(path, json!({"email": "nobody@example.com"})).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM mail_cooldowns")
            .fetch_one(app.db().await)
            .await
            .expect("count")
    };
    wait_until(
        "both cooldowns are taken",
        Duration::from_secs(10),
        || async { count().await == 2 },
    )
    .await;
    app.advance(Duration::from_secs(61)).await;
    wait_until(
        "the cooldowns are swept",
        Duration::from_secs(15),
        || async { count().await == 0 },
    )
    .await;
    app.stop().await;
}

async fn accounts_at(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_norm = $1")
        .bind(email)
        .fetch_one(app.db().await)
        .await
        .expect("count")
}

/// Issue 17, 1 (its second half): accounts made by a sign-up and never verified stayed for
/// ever. Once their last verification link has been expired for
/// `LATCHKEY_UNVERIFIED_RETENTION` they are deleted; until then they stay, and accounts an
/// operator made, or verified ones, are never deleted this way.
#[tokio::test]
async fn never_verified_sign_ups_are_deleted_after_the_retention() {
    let app = TestApp::spawn_with(|s| {
        with_root(s);
        s.unverified_retention = Duration::from_secs(7 * 24 * 3600);
    })
    .await;
    let (root, _) = app.log_in("root@example.com").await;
    app.register("squatted@example.com").await;
    app.register("later@example.com").await;
    app.verified_user("kept@example.com").await;
    let r = app
        .post_auth(
            "/api/v1/admin/users",
            &root,
            json!({"email": "operator-made@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // The link expires after a day; six days after that, everything is still there.
    app.advance(Duration::from_secs(24 * 3600 + 6 * 24 * 3600))
        .await;
    // A resend gives one of them a new link: its retention starts again from that link.
    let r = app.resend("later@example.com").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.smtp
        .new_token("later@example.com", "verify-email")
        .await;
    tokio::time::sleep(Duration::from_secs(6)).await; // the sweep runs every 5 s
    assert_eq!(accounts_at(&app, "squatted@example.com").await, 1);

    app.advance(Duration::from_secs(24 * 3600 + 1)).await;
    wait_until(
        "the never-verified sign-up is deleted",
        Duration::from_secs(15),
        || async { accounts_at(&app, "squatted@example.com").await == 0 },
    )
    .await;
    for kept in [
        "later@example.com",
        "kept@example.com",
        "operator-made@example.com",
    ] {
        assert_eq!(accounts_at(&app, kept).await, 1, "{kept}");
    }
    // The address can sign up again.
    assert_eq!(
        app.register("squatted@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    app.stop().await;
}
