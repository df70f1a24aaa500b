//! Pages a newcomer tripped over (issue 19, item 7), over HTTP: the script every page may add
//! (show-password, a signed-in page asked for again after Back), the resend link on the sign-in
//! page, session buttons that name the device they sign out, a reused link that says it is done,
//! and the dev mailbox's list. tests/e2e/pages/browser.rs checks the same in Chromium.

use crate::support::*;
use reqwest::{StatusCode, header};

const FIREFOX_ON_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// The value of the first `<script src="/assets/pages-…">` of a page.
fn pages_script(html: &str) -> Option<&str> {
    let at = html.find("src=\"/assets/pages-")? + "src=\"".len();
    html[at..].split('"').next()
}

/// Signs in through the log-in form: the cookie header the browser would send afterwards.
async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str) -> String {
    let r = client
        .post(app.url("/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn every_page_may_add_the_show_password_button_and_signed_in_pages_are_asked_for_again() {
    let app = TestApp::spawn().await;
    let html = app.get("/login").await.text().await.expect("page");
    let script = pages_script(&html).expect("the pages' script on /login");
    // Its words come in the page's language; no inline script anywhere (the CSP forbids it).
    assert!(
        html.contains("data-show=\"Show\" data-hide=\"Hide\""),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("data-private"), "not signed in: {html}");
    let r = app.get(script).await;
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()[header::CONTENT_TYPE]
        .to_str()
        .expect("type")
        .to_owned();
    assert!(ct.starts_with("text/javascript"), "{ct}");
    let js = r.text().await.expect("script");
    assert!(
        js.contains("input[type=password]") && js.contains("pageshow"),
        "{js}"
    );

    // The account page is marked so that the script asks for it again when Back brings it
    // from the back/forward cache, and is never stored.
    app.verified_user("fix@example.com").await;
    let client = no_redirects();
    let jar = sign_in(&app, &client, "fix@example.com").await;
    let r = client
        .get(app.url("/account"))
        .header(header::COOKIE, &jar)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let html = r.text().await.expect("page");
    assert!(html.contains("<body data-private>"), "{html}");
    assert_eq!(pages_script(&html), Some(script));

    // In German, the button's words are German.
    let r = app
        .client
        .get(app.url("/login"))
        .header(header::ACCEPT_LANGUAGE, "de")
        .send()
        .await
        .expect("request");
    let html = r.text().await.expect("page");
    assert!(html.contains("data-show=\"Anzeigen\""), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn the_sign_in_page_offers_a_new_confirmation_link() {
    let app = TestApp::spawn().await;
    let html = app.get("/login").await.text().await.expect("page");
    assert!(
        html.contains("href=\"/resend-verification\""),
        "the verification email sends people to the sign-in page to resend: {html}"
    );
    assert!(html.contains("Send a new link"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn each_other_sessions_button_names_the_device_it_signs_out() {
    let app = TestApp::spawn().await;
    app.verified_user("devices@example.com").await;
    // Another device: Firefox on Linux.
    let r = app
        .client
        .post(app.url("/api/v1/login"))
        .header(header::USER_AGENT, FIREFOX_ON_LINUX)
        .json(&serde_json::json!({"email": "devices@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let client = no_redirects();
    let jar = sign_in(&app, &client, "devices@example.com").await;
    let html = client
        .get(app.url("/account"))
        .header(header::COOKIE, &jar)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("page");
    assert!(
        html.contains(">Sign out Firefox on Linux</button>"),
        "{html}"
    );
    // Nothing on another row reads as if it were about this device.
    assert!(!html.contains("Sign out this device"), "{html}");
    assert_eq!(html.matches("This device").count(), 1, "{html}");
    // Each row says when it signed in and when it was last used.
    assert_eq!(html.matches("Signed in just now").count(), 2, "{html}");
    assert_eq!(html.matches("Active just now").count(), 2, "{html}");
    // And roughly where it began: the address with its last part masked.
    assert_eq!(html.matches("IP address 127.0.0.x").count(), 2, "{html}");
    app.stop().await;
}

#[tokio::test]
async fn a_link_used_again_after_it_worked_says_it_is_done() {
    let app = TestApp::spawn_with(|s| s.email_change_confirm_old = false).await;
    let (access, _) = app.logged_in("twice@example.com").await;
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            serde_json::json!({"password": PASSWORD, "new_email": "twice2@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = app
        .smtp
        .new_token("twice2@example.com", "confirm-email-change")
        .await;
    let press = || async {
        let r = app
            .client
            .post(app.url("/confirm-email-change"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.expect("page")
    };
    assert!(press().await.contains("Email address changed"));
    let again = press().await;
    assert!(again.contains("Already confirmed"), "{again}");
    assert!(!again.contains("not changed"), "{again}");
    app.stop().await;
}

#[tokio::test]
async fn the_dev_mailbox_lists_each_email_with_its_code_and_a_readable_time() {
    let app = TestApp::spawn_with(|s| s.smtp_url = None).await;
    app.register("mailbox-reader@example.com").await;
    wait_until("the email is in the dev mailbox", MAIL_TIMEOUT, || async {
        let all: Vec<serde_json::Value> = app
            .get("/dev/mailbox.json")
            .await
            .json()
            .await
            .expect("json");
        !all.is_empty()
    })
    .await;
    let all: Vec<serde_json::Value> = app
        .get("/dev/mailbox.json")
        .await
        .json()
        .await
        .expect("json");
    let text = all[0]["text"].as_str().expect("text");
    let code = text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("the email carries a code");
    let html = app.get("/dev/mailbox").await.text().await.expect("page");
    assert!(
        html.contains(&format!("<span class=\"code mail-code\">{code}</span>")),
        "{html}"
    );
    assert!(html.contains(">just now</time>"), "{html}");
    // No table whose narrow columns break words letter by letter on a phone.
    assert!(!html.contains("<table"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn each_confirmation_page_of_an_email_change_names_both_addresses() {
    let app = TestApp::spawn().await;
    let (access, _) = app.logged_in("owner@example.com").await;
    let r = app
        .post_auth(
            "/api/v1/me/email",
            &access,
            serde_json::json!({"password": PASSWORD, "new_email": "new.inbox@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let app = &app;
    let open = |to: &'static str| async move {
        let token = app.smtp.new_token(to, "confirm-email-change").await;
        let r = app
            .get(&format!("/confirm-email-change?token={token}"))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.expect("page")
    };
    // The current address's approval: the owner's own inbox, both addresses in full.
    let old = open("owner@example.com").await;
    assert!(
        old.contains("from owner@example.com to new.inbox@example.com"),
        "{old}"
    );
    // The new address's: maybe a stranger's inbox, so the account's address is masked.
    let new = open("new.inbox@example.com").await;
    assert!(
        new.contains(
            "confirm new.inbox@example.com as the new address of the account o•••@example.com"
        ),
        "{new}"
    );
    assert!(!new.contains("owner@example.com"), "{new}");
    // Looking used nothing: the change still waits for both.
    let me: serde_json::Value = app
        .get_auth("/api/v1/me", &access)
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(me["email"], "owner@example.com");
    app.stop().await;
}

#[tokio::test]
async fn asking_again_within_the_cooldown_says_when_the_next_link_can_be_sent() {
    let app = TestApp::spawn_with(|s| s.mail_cooldown = std::time::Duration::from_secs(60)).await;
    let app = &app;
    let ask = |email: &'static str| async move {
        let r = app
            .client
            .post(app.url("/resend-verification"))
            .form(&[("email", email)])
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.expect("page")
    };
    // Signed up a moment ago: the sign-up's link went out, so no new one yet.
    assert_eq!(
        app.register("soon@example.com").await.status(),
        StatusCode::ACCEPTED
    );
    app.smtp.new_token("soon@example.com", "verify-email").await;
    let page = ask("soon@example.com").await;
    assert!(page.contains("you can ask for another in"), "{page}");
    assert!(!page.contains("is on its way"), "{page}");
    // Once the cooldown is over, a new link is on its way again.
    app.advance(std::time::Duration::from_secs(61)).await;
    let page = ask("soon@example.com").await;
    assert!(page.contains("a new link is on its way"), "{page}");

    // The same for an address without an account: the cooldown is every address's.
    let page = ask("nobody@example.com").await;
    assert!(page.contains("a new link is on its way"), "{page}");
    // (That request's own work, after its answer, takes the cooldown: asked until it has.)
    let mut page = String::new();
    for _ in 0..100 {
        page = ask("nobody@example.com").await;
        if !page.contains("on its way") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seconds: u64 = page
        .split("you can ask for another in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no wait on the page: {page}"));
    assert!((50..=60).contains(&seconds), "{seconds}");
    app.stop().await;
}
