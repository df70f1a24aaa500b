//! Races across processes (issue 8, contract §4 and §10): two `latchkey serve` processes on one
//! PostgreSQL database, with concurrent requests split between them, racing for one link
//! token, one refresh token, one free address (two accounts confirming an email change to it)
//! and one sign-up address. Every round has exactly one winner; every loser gets the
//! contract's 4xx, never a 5xx.
//!
//! PostgreSQL-only: without `LATCHKEY_TEST_POSTGRES` these tests say so and pass (under
//! `CI=true` they fail).

use std::{collections::BTreeMap, time::Duration};

use crate::support::{node::Node, *};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ROUNDS: usize = 10;
const PUBLIC_URL: &str = "http://localhost:8080";
/// Concurrent requests in one race, half to each server.
const RACERS: usize = 16;

/// Two servers on one fresh database, one SMTP listener for both.
struct Pair {
    servers: [Node; 2],
    smtp: std::sync::Arc<SmtpServer>,
    client: reqwest::Client,
    _database: TestDatabase,
    _dir: tempfile::TempDir,
    /// Last, so that it is let go once the servers are gone.
    _turn: tokio::sync::SemaphorePermit<'static>,
}

impl Pair {
    async fn start() -> Option<Self> {
        postgres_or_skip("the races across processes")?;
        let turn = heavy_test().await;
        let dir = tempfile::tempdir().expect("temporary directory");
        let database = TestDatabase::postgres().await;
        let smtp = SmtpServer::start().await;
        let url = database.env_url();
        // One public URL for both, as a deployment behind one name has: it is the origin of
        // passkey answers, which either server must accept.
        let deployment = || {
            let mut command = node::deployment(dir.path(), &url, &smtp);
            command.env("LATCHKEY_PUBLIC_URL", PUBLIC_URL);
            command
        };
        let first = Node::serve("server 0", deployment()).await;
        let second = Node::serve("server 1", deployment()).await;
        Some(Self {
            servers: [first, second],
            smtp,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            _database: database,
            _dir: dir,
            _turn: turn,
        })
    }

    fn url(&self, server: usize, path: &str) -> String {
        self.servers[server % 2].url(path)
    }

    async fn post(&self, server: usize, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url(server, path))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path} on server {server}: {e}"));
        answer(r).await
    }

    async fn post_auth(
        &self,
        server: usize,
        path: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url(server, path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path} on server {server}: {e}"));
        answer(r).await
    }

    async fn me(&self, server: usize, access: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(server, "/api/v1/me"))
            .bearer_auth(access)
            .send()
            .await
            .expect("GET /api/v1/me");
        answer(r).await
    }

    /// `RACERS` concurrent copies of one request, alternating between the servers.
    async fn race(&self, path: &str, bodies: Vec<Value>) -> Vec<(StatusCode, Value)> {
        futures::future::join_all(
            bodies
                .into_iter()
                .enumerate()
                .map(|(i, body)| self.post(i, path, body)),
        )
        .await
    }

    /// A verified, logged-in account: (access token, refresh token).
    async fn account(&self, email: &str) -> (String, String) {
        let (status, _) = self
            .post(
                0,
                "/api/v1/register",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let token = self.smtp.new_token(email, "verify-email").await;
        let (status, body) = self
            .post(1, "/api/v1/email/verify", json!({"token": token}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = self
            .post(
                0,
                "/api/v1/login",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            str_of(&body, "access_token"),
            str_of(&body, "refresh_token"),
        )
    }

    /// No server logged a panic.
    fn assert_no_panics(&self) {
        for server in &self.servers {
            assert!(
                !server.log_lines().iter().any(|l| l.contains("panicked")),
                "{}",
                server.log()
            );
        }
    }
}

async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let problem = r
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(
        !status.is_client_error() || problem,
        "a {status} without a problem body: {body}"
    );
    (status, body)
}

/// Counts the answers by (status, code).
fn tally(answers: &[(StatusCode, Value)]) -> BTreeMap<(u16, String), usize> {
    let mut counts = BTreeMap::new();
    for (status, body) in answers {
        let code = body["code"].as_str().unwrap_or_default().to_owned();
        *counts.entry((status.as_u16(), code)).or_insert(0) += 1;
    }
    counts
}

/// Exactly one answer `winner`, every other one `loser` (status, code).
fn assert_one_winner(what: &str, answers: &[(StatusCode, Value)], winner: u16, loser: (u16, &str)) {
    let counts = tally(answers);
    let expected = BTreeMap::from([
        ((winner, String::new()), 1),
        ((loser.0, loser.1.to_owned()), answers.len() - 1),
    ]);
    assert_eq!(counts, expected, "{what}: {answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_link_token_used_on_two_servers_at_once_verifies_once() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    for round in 0..ROUNDS {
        let email = format!("verify{round}@example.com");
        let (status, _) = pair
            .post(
                round,
                "/api/v1/register",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let token = pair.smtp.new_token(&email, "verify-email").await;
        let answers = pair
            .race(
                "/api/v1/email/verify",
                vec![json!({"token": token}); RACERS],
            )
            .await;
        assert_one_winner(
            &format!("round {round}"),
            &answers,
            200,
            (409, "token_used"),
        );
    }
    pair.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_token_on_two_servers_at_once_refreshes_once() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    for round in 0..ROUNDS {
        let (_, refresh) = pair.account(&format!("refresh{round}@example.com")).await;
        let answers = pair
            .race(
                "/api/v1/token/refresh",
                vec![json!({"refresh_token": refresh}); RACERS],
            )
            .await;
        assert_one_winner(
            &format!("round {round}"),
            &answers,
            200,
            (401, "invalid_refresh_token"),
        );
        // Refused within the grace period, not reuse: the session lives on, on both servers.
        let winner = &answers
            .iter()
            .find(|(s, _)| *s == StatusCode::OK)
            .expect("a winner")
            .1;
        let (status, _) = pair.me(round + 1, &str_of(winner, "access_token")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "round {round}: the session was revoked"
        );
        let (status, body) = pair
            .post(
                round + 1,
                "/api/v1/token/refresh",
                json!({"refresh_token": str_of(winner, "refresh_token")}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "round {round}: {body}");
    }
    pair.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_confirming_one_free_address_on_two_servers_one_gets_it() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    for round in 0..ROUNDS {
        let free = format!("free{round}@example.com");
        let mut accounts = Vec::new();
        for who in ["ann", "bob"] {
            let email = format!("{who}{round}@example.com");
            let (access, _) = pair.account(&email).await;
            let (status, body) = pair
                .post_auth(
                    accounts.len(),
                    "/api/v1/me/email",
                    &access,
                    json!({"password": PASSWORD, "new_email": free}),
                )
                .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
            // The current address confirms first (LATCHKEY_EMAIL_CHANGE_CONFIRM_OLD).
            let old = pair.smtp.new_token(&email, "confirm-email-change").await;
            let (status, body) = pair
                .post(0, "/api/v1/email/change/confirm", json!({"token": old}))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["status"], "awaiting_other_confirmation", "{body}");
            accounts.push((email, access));
        }
        // The free address has a confirmation link from each account: both used at once.
        let first = pair.smtp.new_token(&free, "confirm-email-change").await;
        let second = pair.smtp.new_token(&free, "confirm-email-change").await;
        let answers = pair
            .race(
                "/api/v1/email/change/confirm",
                vec![json!({"token": first}), json!({"token": second})],
            )
            .await;
        assert_one_winner(
            &format!("round {round}"),
            &answers,
            200,
            (409, "email_taken"),
        );
        let winner = &answers
            .iter()
            .find(|(s, _)| *s == StatusCode::OK)
            .expect("a winner")
            .1;
        assert_eq!(winner["status"], "changed", "{winner}");
        // Exactly one account has the address.
        let mut holders = 0;
        for (i, (_, access)) in accounts.iter().enumerate() {
            let (status, me) = pair.me(i, access).await;
            if status == StatusCode::OK && me["email"] == free.as_str() {
                holders += 1;
            }
        }
        // The winner's other sessions are revoked, not the one that asked: its token works.
        assert_eq!(holders, 1, "round {round}");
    }
    pair.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_signed_up_on_two_servers_at_once_makes_one_account() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    let database = pair._database.connect().await;
    for round in 0..ROUNDS {
        let email = format!("signup{round}@example.com");
        let password = |i: usize| format!("racer password {i} of {round}");
        let answers = pair
            .race(
                "/api/v1/register",
                (0..RACERS)
                    .map(|i| json!({"email": email, "password": password(i), "name": format!("Racer {i:02}")}))
                    .collect(),
            )
            .await;
        let counts = tally(&answers);
        assert_eq!(
            counts,
            BTreeMap::from([((202, String::new()), RACERS)]),
            "round {round}: {answers:?}"
        );
        // Each sign-up is written after its answer, and each sends its email: wait until the
        // outbox is quiet and everything in it went out.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut before = -1;
        loop {
            let (unsent, total): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*) FILTER (WHERE CAST(status AS TEXT) <> 'sent'), COUNT(*) \
                 FROM outbox WHERE recipient = $1",
            )
            .bind(&email)
            .fetch_one(&database)
            .await
            .expect("outbox");
            let arrived = pair.smtp.messages_to(&email).len() as i64;
            if unsent == 0 && total > 0 && arrived == total && total == before {
                break;
            }
            before = total;
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: {total} emails queued, {unsent} unsent, {arrived} arrived"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email_norm = $1")
            .bind(&email)
            .fetch_one(&database)
            .await
            .expect("users");
        assert_eq!(accounts, 1, "round {round}");

        // A link only verifies the sign-up it was sent for: exactly one (the last sign-up
        // applied) works. The racers' passwords differ, so the address is contested (issue 17,
        // 1): verified, it keeps none of them and says a reset is required.
        let mails = pair.smtp.messages_to(&email);
        let mut verified = Vec::new();
        for mail in &mails {
            let token = mail.token("verify-email").expect("a verification link");
            let (status, body) = pair
                .post(
                    verified.len(),
                    "/api/v1/email/verify",
                    json!({"token": token}),
                )
                .await;
            match status {
                StatusCode::OK => {
                    assert_eq!(body["password_reset_required"], true, "{body}");
                    verified.push(mail.text.clone())
                }
                StatusCode::BAD_REQUEST => assert_eq!(body["code"], "token_invalid", "{body}"),
                other => panic!("round {round}: verify answered {other}: {body}"),
            }
        }
        assert_eq!(verified.len(), 1, "round {round}: {} emails", mails.len());
        (0..RACERS)
            .find(|i| verified[0].contains(&format!("Racer {i:02}")))
            .unwrap_or_else(|| panic!("round {round}: whose email is this? {}", verified[0]));
        for i in 0..RACERS {
            let (status, body) = pair
                .post(
                    i,
                    "/api/v1/login",
                    json!({"email": email, "password": password(i)}),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "round {round}, password {i}: {body}"
            );
        }
    }
    database.close().await;
    pair.assert_no_panics();
}

/// A passkey ceremony started on one server is finished on the other (its state is in the
/// database), and one sign-in assertion sent to both servers at once signs in once: the
/// challenge is taken by one statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_passkey_challenge_answered_on_two_servers_at_once_signs_in_once() {
    use crate::support::passkey::SoftPasskey;
    let Some(pair) = Pair::start().await else {
        return;
    };
    let origin = PUBLIC_URL;
    let (access, _) = pair.account("passkey@example.com").await;
    let (status, options) = pair
        .post_auth(
            0,
            "/api/v1/me/passkeys/options",
            &access,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let (mut passkey, credential) = SoftPasskey::register(&options["publicKey"], origin);
    let (status, body) = pair
        .post_auth(
            1,
            "/api/v1/me/passkeys",
            &access,
            json!({"challenge_id": options["challenge_id"], "credential": credential}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for round in 0..ROUNDS {
        let (status, options) = pair
            .post(round, "/api/v1/login/passkey/options", json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{options}");
        let credential = passkey.assert(&options["publicKey"]);
        let body = json!({"challenge_id": options["challenge_id"], "credential": credential});
        let answers = pair.race("/api/v1/login/passkey", vec![body; RACERS]).await;
        assert_one_winner(
            &format!("round {round}"),
            &answers,
            200,
            (401, "passkey_invalid"),
        );
    }
    pair.assert_no_panics();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mfa_token_on_two_servers_at_once_signs_in_once() {
    use crate::api::second_factor::totp;
    let Some(pair) = Pair::start().await else {
        return;
    };
    for round in 0..ROUNDS / 2 {
        let email = format!("mfa{round}@example.com");
        let (access, _) = pair.account(&email).await;
        // Server 0, where `account` logged in: each server has its own public URL, the access
        // tokens' issuer.
        let (status, setup) = pair
            .post_auth(
                0,
                "/api/v1/me/mfa/totp",
                &access,
                json!({"password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{setup}");
        let secret = str_of(&setup, "secret");
        let (status, body) = pair
            .post_auth(
                0,
                "/api/v1/me/mfa/totp/confirm",
                &access,
                json!({"code": totp(&secret, 0)}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let codes: Vec<String> =
            serde_json::from_value(body["recovery_codes"].clone()).expect("codes");
        let (status, problem) = pair
            .post(
                round,
                "/api/v1/login",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
        let token = str_of(&problem, "mfa_token");
        // Every racer has a right code of its own (one recovery code each): only the token
        // decides, and it is used once.
        let answers = pair
            .race(
                "/api/v1/login/mfa",
                codes
                    .iter()
                    .map(|code| json!({"mfa_token": token, "code": code}))
                    .collect(),
            )
            .await;
        assert_one_winner(
            &format!("round {round}"),
            &answers,
            200,
            (401, "mfa_token_invalid"),
        );
    }
    pair.assert_no_panics();
}

/// A passkey as the second factor: one assertion for one `mfa_token`, sent to both servers at
/// once, signs in once; the others find the step used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_passkey_second_factor_on_two_servers_at_once_signs_in_once() {
    use crate::support::passkey::SoftPasskey;
    let Some(pair) = Pair::start().await else {
        return;
    };
    let email = "second-passkey@example.com";
    let (access, _) = pair.account(email).await;
    let (status, options) = pair
        .post_auth(
            0,
            "/api/v1/me/passkeys/options",
            &access,
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let (mut passkey, credential) = SoftPasskey::register(&options["publicKey"], PUBLIC_URL);
    let (status, body) = pair
        .post_auth(
            0,
            "/api/v1/me/passkeys",
            &access,
            json!({"challenge_id": options["challenge_id"], "credential": credential}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for round in 0..ROUNDS / 2 {
        let (status, problem) = pair
            .post(
                round,
                "/api/v1/login",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
        let token = str_of(&problem, "mfa_token");
        let (status, options) = pair
            .post(
                round + 1,
                "/api/v1/login/mfa/passkey/options",
                json!({"mfa_token": token}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{options}");
        let credential = passkey.assert(&options["publicKey"]);
        let body = json!({"mfa_token": token, "passkey": credential});
        let answers = pair.race("/api/v1/login/mfa", vec![body; RACERS]).await;
        assert_one_winner(
            &format!("round {round}"),
            &answers,
            200,
            (401, "mfa_token_invalid"),
        );
    }
    pair.assert_no_panics();
}
