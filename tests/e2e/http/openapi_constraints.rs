//! The OpenAPI document says what the server enforces (issue 17, item 11): a body the
//! document's request schema allows is not refused as bad input, and one it forbids is. Each
//! sample below is judged twice, by the served schema (JSON Schema 2020-12, formats asserted)
//! and by the server, and the two verdicts must agree. Tokens and codes are only valid once
//! the server issued them, so for those the document's pattern must fit the real ones.
//! Schemathesis (scripts/schemathesis.sh, in CI) then searches far beyond these samples.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Codes of a refusal of the input's shape (not of what it asks for).
const INPUT_CODES: [&str; 3] = ["invalid_email", "weak_password", "validation_failed"];

struct Document(Value);

impl Document {
    async fn of(app: &TestApp) -> Self {
        Self(
            app.get("/api/v1/openapi.json")
                .await
                .json()
                .await
                .expect("the document"),
        )
    }

    /// Whether `value` matches the schema at `pointer` (into the document).
    fn allows(&self, pointer: &str, value: &Value) -> bool {
        let schema = self
            .0
            .pointer(pointer)
            .unwrap_or_else(|| panic!("no {pointer}"));
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.0["components"],
            "allOf": [schema],
        });
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .expect("the schema compiles")
            .is_valid(value)
    }

    fn body_schema(path: &str, method: &str) -> String {
        let path = path.replace('~', "~0").replace('/', "~1");
        format!("/paths/{path}/{method}/requestBody/content/application~1json/schema")
    }
}

/// Sends `body` and says whether the server refused it as bad input.
async fn refused(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> bool {
    let url = app.url(path);
    let request = match method {
        "post" => app.client.post(url),
        "patch" => app.client.patch(url),
        other => panic!("{other}"),
    };
    let request = match token {
        Some(t) => request.bearer_auth(t),
        None => request,
    };
    let r = request.json(body).send().await.expect("an answer");
    let status = r.status();
    let answer: Value = r.json().await.unwrap_or(Value::Null);
    assert!(
        !status.is_server_error(),
        "{path} {body}: {status} {answer}"
    );
    status == StatusCode::BAD_REQUEST
        && INPUT_CODES.contains(&answer["code"].as_str().unwrap_or_default())
}

fn email_of_length(n: usize) -> String {
    // Labels of at most 60 characters: every part of the address stays within its own limits.
    let mut domain = String::from("example.com");
    while 2 + domain.len() < n {
        let room = n - 2 - domain.len();
        let label = "d".repeat(room.saturating_sub(1).clamp(1, 60));
        domain = format!("{label}.{domain}");
    }
    let address = format!("a@{domain}");
    assert_eq!(address.len(), n);
    address
}

#[tokio::test]
async fn request_schemas_and_the_server_agree_on_what_is_valid() {
    let app = TestApp::spawn().await;
    let doc = Document::of(&app).await;
    let register = Document::body_schema("/api/v1/register", "post");
    let pw = "kq8#vz2!Lm";
    let mut samples: Vec<Value> = vec![
        json!({"email": "ann@example.com", "password": pw}),
        json!({"email": email_of_length(254), "password": pw}),
        json!({"email": email_of_length(255), "password": pw}),
        json!({"email": "no-at.example.com", "password": pw}),
        json!({"email": "", "password": pw}),
        json!({"email": "b@example.com", "password": "kq8#vz2"}),
        json!({"email": "c@example.com", "password": "kq8#vz2!"}),
        json!({"email": "d@example.com", "password": "x".repeat(1023) + "7"}),
        json!({"email": "e@example.com", "password": "x".repeat(1024) + "7"}),
        json!({"email": "f@example.com", "password": pw, "name": "n".repeat(200)}),
        json!({"email": "g@example.com", "password": pw, "name": "n".repeat(201)}),
        json!({"email": "h@example.com", "password": pw, "name": "a\u{202E}b"}),
        json!({"email": "i@example.com", "password": pw, "name": "bell\u{0007}"}),
        json!({"email": "j@example.com", "password": pw, "name": "Zoë 👩‍💻"}),
        json!({"email": "k@example.com", "password": pw, "locale": "de-AT"}),
        json!({"email": "l@example.com", "password": pw, "locale": "SV"}),
        json!({"email": "m@example.com", "password": pw, "locale": ""}),
        json!({"email": "n@example.com", "password": pw, "locale": "xx"}),
        json!({"email": "o@example.com", "password": pw, "locale": "english"}),
    ];
    let mut disagreements = Vec::new();
    for body in samples.drain(..) {
        let allowed = doc.allows(&register, &body);
        if allowed == refused(&app, "post", "/api/v1/register", None, &body).await {
            disagreements.push(format!("register {body}: schema allows it: {allowed}"));
        }
    }

    app.verified_user("agree@example.com").await;
    let (token, _) = app.log_in("agree@example.com").await;
    let me = Document::body_schema("/api/v1/me", "patch");
    for body in [
        json!({"locale": "fr-CA"}),
        json!({"locale": null}),
        json!({"locale": ""}),
        json!({"locale": "zz"}),
        json!({"name": "n".repeat(201)}),
        json!({"name": ""}),
    ] {
        let allowed = doc.allows(&me, &body);
        if allowed == refused(&app, "patch", "/api/v1/me", Some(&token), &body).await {
            disagreements.push(format!("PATCH /me {body}: schema allows it: {allowed}"));
        }
    }
    let change = Document::body_schema("/api/v1/me/password", "post");
    for new_password in ["kq8#vz2", "kq8#vz2!"] {
        let body = json!({"current_password": PASSWORD, "new_password": new_password});
        let allowed = doc.allows(&change, &body);
        if allowed == refused(&app, "post", "/api/v1/me/password", Some(&token), &body).await {
            disagreements.push(format!(
                "POST /me/password {body}: schema allows it: {allowed}"
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    app.stop().await;
}

/// The tokens and codes the server sends fit the document's patterns (a pattern that refused
/// them would make every client that validates requests refuse real links).
#[tokio::test]
async fn issued_tokens_and_codes_fit_the_documented_patterns() {
    let app = TestApp::spawn().await;
    let doc = Document::of(&app).await;
    app.register("fits@example.com").await;
    let mail = app.smtp.latest("fits@example.com").await;
    let token = mail.token("verify-email").expect("a link");
    let code = mail.code().expect("a code");
    let verify = Document::body_schema("/api/v1/email/verify", "post");
    assert!(doc.allows(&verify, &json!({"token": token})), "{token}");
    assert!(
        doc.allows(&verify, &json!({"email": "fits@example.com", "code": code})),
        "{code}"
    );
    assert!(!doc.allows(&verify, &json!({"token": "short"})));
    assert!(!doc.allows(
        &verify,
        &json!({"email": "fits@example.com", "code": "12345"})
    ));
    let confirm = Document::body_schema("/api/v1/email/change/confirm", "post");
    assert!(doc.allows(&confirm, &json!({"token": token})));
    app.stop().await;
}

/// `?status=` names no state: 400, as the document's pattern says (it answered 200 with every
/// message).
#[tokio::test]
async fn an_empty_outbox_status_filter_is_refused() {
    let app = TestApp::spawn_with(|s| {
        s.first_admin_email = Some("root@example.com".parse().expect("address"));
        s.first_admin_password = Some(PASSWORD.into());
    })
    .await;
    let (token, _) = app.log_in("root@example.com").await;
    for query in ["status=", "status=%20", "status=nope"] {
        let r = app
            .get_auth(&format!("/api/v1/admin/outbox?{query}"), &token)
            .await;
        let problem = assert_problem(r, StatusCode::BAD_REQUEST, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "status", "{query}");
    }
    let r = app
        .get_auth("/api/v1/admin/outbox?status=sent", &token)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}

/// Every operation has an id of its own, as OpenAPI requires: the passkey registration was a
/// second `register`, and openapi-typescript (the TypeScript client's types) refused the document.
#[tokio::test]
async fn operation_ids_are_unique() {
    let app = TestApp::spawn().await;
    let Document(doc) = Document::of(&app).await;
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            if let Some(before) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId {id} twice: {before} and {method} {path}");
            }
        }
    }
    app.stop().await;
}
