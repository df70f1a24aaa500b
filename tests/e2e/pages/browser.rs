//! Walks through the pages in headless Chromium as a person would: typing, pressing buttons,
//! reading the emails at the SMTP listener and opening their links, with the browser's language
//! set to each of the five languages. On every page: an accessibility check (every input
//! labelled, one `h1`, a `lang`, no form error without `aria-describedby`) and no page wider than
//! the window.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Where they are
//! missing the walks are skipped with a message, except with `CI=true`, where that is a failure.

use std::{
    net::TcpListener,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::{process_group::ProcessGroup, *};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use latchkey::i18n::Catalogue;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver of our own on a free port, in a process group of its own with the browsers
/// it starts: killed with them if a test fails.
struct Driver {
    group: ProcessGroup,
    port: u16,
    profile: tempfile::TempDir,
}

impl Driver {
    /// Stops chromedriver, and checks that no browser of it is left running.
    fn stop(self) {
        self.group.stop("TERM", Duration::from_secs(30));
    }
}

/// The driver, or `None` (with the reason printed) where Chromium is not installed. With
/// `CI=true` a missing browser fails the test instead: CI installs it.
fn driver() -> Option<Driver> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !std::path::Path::new(p).exists())
        .collect();
    if !missing.is_empty() {
        let message = format!(
            "browser tests SKIPPED: {} not installed (apt-get install chromium chromium-driver)",
            missing.join(" and ")
        );
        if under_ci() {
            panic!("{message}; with CI=true they must run");
        }
        eprintln!("{message}");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut command = Command::new(CHROMEDRIVER);
    command
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let group = ProcessGroup::spawn("chromedriver", command);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver {
        group,
        port,
        profile: tempfile::tempdir().expect("a profile directory"),
    })
}

/// A fresh headless Chromium whose language is `lang`, `width` pixels wide.
async fn browser(driver: &Driver, lang: &str, width: u32) -> Client {
    let profile = driver.profile.path().join(format!("{lang}-{width}"));
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},900"),
                format!("--lang={lang}"),
            ],
            "prefs": { "intl.accept_languages": lang },
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

/// The page check run on every page a walk sees.
const A11Y: &str = r#"
const problems = [];
if (!document.documentElement.lang) problems.push('no lang on <html>');
const h1 = document.querySelectorAll('h1').length;
if (h1 !== 1) problems.push(h1 + ' h1 elements');
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) problems.push('no label: ' + (el.name || el.id));
}
for (const el of document.querySelectorAll('[aria-invalid=true]')) {
  const d = el.getAttribute('aria-describedby');
  if (!d || !d.split(' ').every(id => document.getElementById(id))) problems.push('invalid without a description: ' + el.name);
}
for (const el of document.querySelectorAll('.field-error, .alert[id]')) {
  if (!document.querySelector('[aria-describedby~="' + el.id + '"]')) problems.push('an error nothing points at: ' + el.id);
}
if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push('wider than the window: ' + document.documentElement.scrollWidth + 'px');
return problems;
"#;

/// A walk: a browser, the app, and the language's words.
struct Walk<'a> {
    c: Client,
    app: &'a TestApp,
    /// Where pages are opened: the app's address, or its public URL where the browser must
    /// see that origin (WebAuthn).
    origin: String,
    lang: &'static str,
    words: Catalogue,
}

impl Walk<'_> {
    fn t(&self, key: &str) -> String {
        self.words.text(self.lang, key, &[])
    }

    fn t_email(&self, key: &str, email: &str) -> String {
        self.words.text(self.lang, key, &[("email", email.into())])
    }

    async fn open(&self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.origin))
            .await
            .expect("goto");
    }

    /// Waits for the page whose `h1` is `title`, then checks it.
    async fn expect_page(&self, title: &str) -> String {
        self.expect_page_in(self.lang, title).await
    }

    /// The same, for a page in another language than the browser's.
    async fn expect_page_in(&self, lang: &str, title: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let h1 = match self.c.find(Locator::Css("h1")).await {
                Ok(h1) => h1.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if h1 == title {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "[{}] expected the page {title:?}, saw {h1:?} at {:?}",
                self.lang,
                self.c.current_url().await.map(|u| u.to_string())
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let problems = self.c.execute(A11Y, vec![]).await.expect("the page check");
        assert_eq!(problems, json!([]), "[{}] {title}", self.lang);
        let seen = self
            .c
            .execute("return document.documentElement.lang", vec![])
            .await
            .expect("lang");
        assert_eq!(seen, json!(lang), "{title}");
        self.c.source().await.expect("source")
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.c.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Presses a button or link, and waits until it has led to the next page: a click can
    /// return before the browser leaves the page, and the next page may have the same title
    /// (the account page after one of its forms), so the old page is marked and awaited gone.
    async fn press(&self, css: &str) {
        let mark = "document.documentElement.setAttribute('data-left-behind', '')";
        self.c.execute(mark, vec![]).await.expect("mark the page");
        self.c
            .find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("click");
        let deadline = Instant::now() + Duration::from_secs(15);
        let marked = "return document.documentElement.hasAttribute('data-left-behind')";
        // A page in the middle of being replaced may fail to answer: ask again.
        while self.c.execute(marked, vec![]).await.unwrap_or(json!(true)) == json!(true) {
            assert!(
                Instant::now() < deadline,
                "[{}] pressing {css} did not leave the page",
                self.lang
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn sign_up(&self, email: &str, name: &str) {
        self.open("/register").await;
        let product = "Latchkey";
        let title = self
            .words
            .text(self.lang, "register-title", &[("product", product.into())]);
        self.expect_page(&title).await;
        self.type_into("#register-email", email).await;
        self.type_into("#register-password", PASSWORD).await;
        self.type_into("#register-name", name).await;
        self.press("#register button[type=submit]").await;
        let page = self.expect_page(&self.t("sent-title")).await;
        assert!(page.contains(email));
    }

    /// Opens the link of the newest email to `to` for `page` and presses its button.
    async fn follow_link(&self, to: &str, page: &str, title_key: &str) {
        let token = self.app.smtp.new_token(to, page).await;
        self.open(&format!("/{page}?token={token}")).await;
        self.expect_page(&self.t(title_key)).await;
    }

    async fn log_in(&self, email: &str, password: &str) -> String {
        self.open("/login").await;
        let title = self.words.text(self.lang, "login-title", &[]);
        self.expect_page(&title).await;
        self.type_into("#login-email", email).await;
        self.type_into("#login-password", password).await;
        self.press("#login button[type=submit]").await;
        self.expect_page(&self.t("account-title")).await
    }
}

async fn walk<'a>(driver: &Driver, app: &'a TestApp, lang: &'static str, width: u32) -> Walk<'a> {
    Walk {
        c: browser(driver, lang, width).await,
        origin: app.base.clone(),
        app,
        lang,
        words: Catalogue::load("Latchkey", None).expect("the catalogue"),
    }
}

/// Sign up, confirm, sign in, change the address with both confirmations, undo it, choose a
/// new password from the email that follows, sign in with it, change name and language (the
/// pages switch to French), delete the account with the password: in German, then French.
#[tokio::test]
async fn a_person_signs_up_changes_their_address_and_undoes_it() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let w = walk(&driver, &app, "de", 1280).await;
    let email = "greta@example.com";

    w.sign_up(email, "Greta").await;
    let mail = app.smtp.latest(email).await;
    assert_eq!(mail.header("Content-Language").as_deref(), Some("de"));
    w.follow_link(email, "verify-email", "verify-title").await;
    w.press("#link button[type=submit]").await;
    w.expect_page(&w.t("verify-done-title")).await;

    let account = w.log_in(email, PASSWORD).await;
    assert!(account.contains(&w.t("sessions-this-device")));
    assert!(
        account.contains("Chrome unter Linux"),
        "the device in words"
    );

    // A wrong current password is said to be wrong, beside its field.
    w.type_into("#email-new-email", "greta.neu@example.com")
        .await;
    w.type_into("#email-password", "not my password").await;
    w.press("#email button[type=submit]").await;
    let page = w.expect_page(&w.t("account-title")).await;
    assert!(page.contains(&w.t("error-current-password")));

    w.type_into("#email-new-email", "greta.neu@example.com")
        .await;
    w.type_into("#email-password", PASSWORD).await;
    w.press("#email button[type=submit]").await;
    let page = w.expect_page(&w.t("account-title")).await;
    assert!(page.contains(&w.t("email-sent")));
    assert!(page.contains(&w.t_email("email-pending", "greta.neu@example.com")));

    w.follow_link(
        "greta.neu@example.com",
        "confirm-email-change",
        "confirm-title",
    )
    .await;
    w.press("#link button[type=submit]").await;
    w.expect_page(&w.t("confirm-waiting-title")).await;
    w.follow_link(email, "confirm-email-change", "confirm-title")
        .await;
    w.press("#link button[type=submit]").await;
    let page = w.expect_page(&w.t("confirm-done-title")).await;
    assert!(page.contains("greta.neu@example.com"));

    // The old address is told, with a link to undo it.
    w.follow_link(email, "revert-email-change", "revert-title")
        .await;
    w.press("#link button[type=submit]").await;
    w.expect_page(&w.t("revert-done-title")).await;

    // Undoing sends a link to choose a new password; a weak one is refused beside the field.
    w.follow_link(email, "reset-password", "reset-title").await;
    w.type_into("#link-new-password", "password").await;
    w.press("#link button[type=submit]").await;
    let page = w.expect_page(&w.t("reset-title")).await;
    assert!(page.contains(&w.t("error-password-common")));
    w.type_into("#link-new-password", "ein ganz neues Passwort")
        .await;
    w.press("#link button[type=submit]").await;
    w.expect_page(&w.t("reset-done-title")).await;

    let page = w.log_in(email, "ein ganz neues Passwort").await;
    assert!(page.contains("value=\"Greta\""), "the name from sign-up");

    // A new name and French: the page switches language at once.
    w.type_into("#profile-name", "Greta Gärtner").await;
    w.c.find(Locator::Css("#profile-locale"))
        .await
        .expect("the language select")
        .select_by_value("fr")
        .await
        .expect("choose French");
    w.press("#profile button[type=submit]").await;
    let fr = |key: &str| w.words.text("fr", key, &[]);
    let page = w.expect_page_in("fr", &fr("account-title")).await;
    assert!(page.contains(&fr("profile-saved")));
    assert!(page.contains(&format!(
        "<h2 id=\"profile-title\">{}</h2>",
        fr("profile-title")
    )));
    assert!(page.contains("value=\"Greta Gärtner\""));

    // Deleting takes the password: a wrong one is said to be wrong, beside its field.
    w.type_into("#delete-password", "not my password").await;
    w.press("#delete button[type=submit]").await;
    let page = w.expect_page_in("fr", &fr("account-title")).await;
    assert!(page.contains(&fr("error-current-password")));
    let mails_before = app.smtp.messages_to(email).len();
    w.type_into("#delete-password", "ein ganz neues Passwort")
        .await;
    w.press("#delete button[type=submit]").await;
    w.expect_page_in("fr", &fr("delete-done-title")).await;
    // The notice, not an earlier email that arrived before it.
    let mails = app
        .smtp
        .wait_for(email, mails_before + 1, MAIL_TIMEOUT)
        .await;
    let mail = mails.last().expect("the account_deleted notice");
    assert_eq!(mail.header("Content-Language").as_deref(), Some("fr"));

    // The page offers a new account; signing in with the old one fails.
    w.press("a[href='/register']").await;
    let title = w.words.text("fr", "register-title", &[]);
    w.expect_page_in("fr", &title).await;
    w.open("/login").await;
    w.expect_page_in("fr", &w.words.text("fr", "login-title", &[]))
        .await;
    w.type_into("#login-email", email).await;
    w.type_into("#login-password", "ein ganz neues Passwort")
        .await;
    w.press("#login button[type=submit]").await;
    let page = w
        .expect_page_in("fr", &w.words.text("fr", "login-title", &[]))
        .await;
    assert!(page.contains(&fr("error-credentials")));
    w.c.close().await.expect("close");
    driver.stop();
}

/// The short walk in every other language, on a 390 px phone: sign up, confirm, sign in, sign
/// the other device out, sign out, reset the password with the code from the email (a wrong
/// code first), sign in with it; and the signed-out pages switch language with their links.
#[tokio::test]
async fn the_short_walk_in_every_language_on_a_phone() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    for lang in ["en", "fr", "es", "sv"] {
        let w = walk(&driver, &app, lang, 390).await;
        let email = format!("{lang}@example.com");
        w.sign_up(&email, "Alex").await;
        w.follow_link(&email, "verify-email", "verify-title").await;
        w.press("#link button[type=submit]").await;
        w.expect_page(&w.t("verify-done-title")).await;

        // Another device signed in too: the account page offers to sign it out.
        app.log_in(&email).await;
        let page = w.log_in(&email, PASSWORD).await;
        assert!(page.contains(&w.t("sessions-sign-out-others")), "[{lang}]");
        w.press("form[action='/account/sessions/revoke-others'] button")
            .await;
        let page = w.expect_page(&w.t("account-title")).await;
        assert!(
            page.contains(&w.t("sessions-signed-out-others")),
            "[{lang}]"
        );
        assert!(page.contains(&w.t("sessions-none-other")), "[{lang}]");

        w.press("header form button[type=submit]").await;
        w.expect_page(&w.words.text(lang, "login-title", &[])).await;

        // Forgot the password: the page that says the email is on its way takes its code.
        w.press("a[href='/forgot-password']").await;
        w.expect_page(&w.t("forgot-title")).await;
        w.type_into("#forgot-email", &email).await;
        w.press("#forgot button[type=submit]").await;
        w.expect_page(&w.t("sent-title")).await;
        let (_, code) = app.smtp.new_token_and_code(&email, "reset-password").await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        w.type_into("#code-code", wrong).await;
        w.type_into("#code-new-password", "a brand new secret")
            .await;
        w.press("#code button[type=submit]").await;
        let page = w.expect_page(&w.t("code-reset-title")).await;
        assert!(page.contains(&w.t("error-code-invalid")), "[{lang}]");
        w.type_into("#code-code", &code).await;
        w.type_into("#code-new-password", "a brand new secret")
            .await;
        w.press("#code button[type=submit]").await;
        w.expect_page(&w.t("reset-done-title")).await;
        w.log_in(&email, "a brand new secret").await;
        w.press("header form button[type=submit]").await;
        w.expect_page(&w.words.text(lang, "login-title", &[])).await;

        // The language links switch the signed-out pages.
        w.press("footer a[hreflang=de]").await;
        w.expect_page_in("de", &w.words.text("de", "login-title", &[]))
            .await;
        w.c.close().await.expect("close");
    }
    driver.stop();
}

/// Passkeys with Chromium's virtual authenticator (a platform authenticator with resident
/// keys and user verification, added through chromedriver's WebAuthn extension), on the public
/// URL `http://localhost:PORT` (browsers refuse an IP address as relying party): add one on
/// /account with the password, sign out, sign in with it on /login without typing anything.
/// In Swedish, whose words are the longest here.
#[tokio::test]
async fn a_person_adds_a_passkey_and_signs_in_with_it() {
    let Some(driver) = driver() else { return };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let app = TestApp::spawn_with(|s| {
        s.listen = format!("127.0.0.1:{port}").parse().expect("address");
        s.public_url = format!("http://localhost:{port}").parse().expect("url");
    })
    .await;
    let email = "passkey.walker@example.com";
    let r = app
        .post(
            "/api/v1/register",
            json!({"email": email, "password": PASSWORD, "locale": "sv"}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let token = app.smtp.new_token(email, "verify-email").await;
    assert_eq!(app.verify(&token).await.status(), reqwest::StatusCode::OK);
    let mut w = walk(&driver, &app, "sv", 1280).await;
    w.origin = format!("http://localhost:{port}");

    let session =
        w.c.session_id()
            .await
            .expect("session id")
            .expect("a session");
    let r = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/session/{session}/webauthn/authenticator",
            driver.port
        ))
        .json(&json!({
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
            "hasUserVerification": true, "isUserVerified": true,
        }))
        .send()
        .await
        .expect("chromedriver");
    assert!(r.status().is_success(), "{:?}", r.text().await);

    let page = w.log_in(email, PASSWORD).await;
    assert!(page.contains(&w.t("passkeys-none")));
    w.type_into("#passkey-add-name", "Min dator").await;
    w.type_into("#passkey-add-password", PASSWORD).await;
    w.press("#passkey-add button[type=submit]").await;
    let page = w.expect_page(&w.t("account-title")).await;
    assert!(page.contains(&w.t("passkey-added")), "{page}");
    assert!(page.contains("Min dator"));
    assert!(page.contains(&w.t("passkeys-never-used")));

    w.press("header form button[type=submit]").await;
    let login = w.words.text("sv", "login-title", &[]);
    w.expect_page(&login).await;
    w.press("form[data-passkey=sign-in] button").await;
    let page = w.expect_page(&w.t("account-title")).await;
    assert!(page.contains(email));
    assert!(
        !page.contains(&w.t("passkeys-never-used")),
        "its use is listed"
    );

    // After the password, the passkey is the second step.
    w.press("header form button[type=submit]").await;
    w.expect_page(&login).await;
    w.type_into("#login-email", email).await;
    w.type_into("#login-password", PASSWORD).await;
    w.press("#login button[type=submit]").await;
    w.expect_page(&w.t("mfa-title")).await;
    w.press("form[data-passkey=second-factor] button").await;
    let page = w.expect_page(&w.t("account-title")).await;
    assert!(page.contains(email));

    // Removed, the passkey is gone from the list.
    w.press("form[action='/account/passkeys/remove'] button")
        .await;
    let page = w.expect_page(&w.t("account-title")).await;
    assert!(page.contains(&w.t("passkey-removed")));
    assert!(page.contains(&w.t("passkeys-none")));
    w.c.close().await.expect("close");
    driver.stop();
}

/// Issue 19's page fixes in Chromium, at a desktop width: the show-password button shows and
/// hides what was typed (a script from /assets, under the CSP); the header's product name lines
/// up with the card below it; after "Sign out", Back does not show the account page again (it
/// is asked for anew, and the server answers with the log-in page). Then the dev mailbox on a
/// phone: no page wider than the window, no address broken letter by letter.
#[tokio::test]
async fn show_password_header_line_back_after_sign_out_and_the_mailbox_on_a_phone() {
    let Some(driver) = driver() else { return };
    let app = TestApp::spawn().await;
    let w = walk(&driver, &app, "en", 1280).await;
    let email = "back@example.com";
    app.verified_user(email).await;
    w.open("/login").await;
    w.expect_page(&w.words.text("en", "login-title", &[])).await;
    let kind = "return document.querySelector('#login-password').type";
    assert_eq!(
        w.c.execute(kind, vec![]).await.expect("type"),
        json!("password")
    );
    let reveal =
        w.c.find(Locator::Css("#login button.reveal"))
            .await
            .expect("a show button");
    assert_eq!(reveal.text().await.expect("text"), "Show");
    reveal.click().await.expect("click");
    assert_eq!(
        w.c.execute(kind, vec![]).await.expect("type"),
        json!("text")
    );
    assert_eq!(reveal.text().await.expect("text"), "Hide");
    reveal.click().await.expect("click");
    assert_eq!(
        w.c.execute(kind, vec![]).await.expect("type"),
        json!("password")
    );

    w.log_in(email, PASSWORD).await;
    let offset = "return Math.abs(document.querySelector('.brand').getBoundingClientRect().left \
                  - document.querySelector('main .card').getBoundingClientRect().left)";
    let off = w.c.execute(offset, vec![]).await.expect("offset");
    assert!(
        off.as_f64().is_some_and(|d| d < 1.0),
        "the header is {off} px off the card"
    );

    w.press("header form button[type=submit]").await;
    w.expect_page(&w.words.text("en", "login-title", &[])).await;
    w.c.back().await.expect("back");
    // Back lands on the account page's entry, which must not show the account: the log-in
    // page comes instead (expect_page waits for it, and fails on anything else).
    w.expect_page(&w.words.text("en", "login-title", &[])).await;
    let source = w.c.source().await.expect("source");
    assert!(
        !source.contains(email),
        "the signed-out browser shows the account: {source}"
    );
    w.c.close().await.expect("close");

    let mailbox = TestApp::spawn_with(|s| s.smtp_url = None).await;
    mailbox
        .register("someone.with.a.long.address@example.com")
        .await;
    let phone = walk(&driver, &mailbox, "en", 390).await;
    wait_until("the email is in the dev mailbox", MAIL_TIMEOUT, || async {
        phone.open("/dev/mailbox").await;
        phone
            .c
            .source()
            .await
            .is_ok_and(|s| s.contains("mail-code"))
    })
    .await;
    phone.expect_page_in("en", "Dev mailbox").await;
    // The address fits on a line or wraps at its dots, not one letter per line.
    let narrowest = "return Math.min(...[...document.querySelectorAll('.mail-subject, .mail-to')] \
                     .map(e => e.getBoundingClientRect().width))";
    let width = phone.c.execute(narrowest, vec![]).await.expect("width");
    assert!(width.as_f64().is_some_and(|w| w > 100.0), "{width}");
    phone.c.close().await.expect("close");
    mailbox.stop().await;
    app.stop().await;
    driver.stop();
}
