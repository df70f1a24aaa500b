//! The OpenAPI document is what is served: a full lifecycle over HTTP, every answer validated
//! against the schema that the served `/api/v1/openapi.json` gives for its path, method and
//! status (a JSON Schema validator, `$ref`s resolved into the document's components). An
//! undocumented status, a wrong content type, a missing, extra or mistyped field, or a status
//! word the schema does not allow fails the test. Every operation of the document must be
//! exercised, and every route the router serves must be in the document.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Mutex,
    time::Duration,
};

use crate::support::{PASSWORD, TestApp, str_of, wait_until};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The served document, and what the lifecycle has exercised of it.
struct Checker {
    doc: Value,
    /// Every object schema closed: an answer with a field the document does not declare fails.
    components: Value,
    seen: Mutex<BTreeSet<(String, String, u16)>>,
}

/// One answer: its status and its JSON body (`Null` when it has none).
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Checker {
    async fn load(app: &TestApp) -> Self {
        let r = app.get("/api/v1/openapi.json").await;
        assert_eq!(r.status(), StatusCode::OK);
        let doc: Value = r.json().await.expect("the OpenAPI document is JSON");
        let mut components = doc["components"].clone();
        close_objects(&mut components);
        let checker = Self {
            doc,
            components,
            seen: Mutex::new(BTreeSet::new()),
        };
        checker.mark("get", "/api/v1/openapi.json", 200);
        checker
    }

    fn mark(&self, method: &str, template: &str, status: u16) {
        self.seen
            .lock()
            .expect("lock")
            .insert((method.to_owned(), template.to_owned(), status));
    }

    /// The document's path template that `path` (without its query) is an instance of.
    fn template_of(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object().expect("paths");
        let mut candidates: Vec<(&String, usize)> = paths
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in parts.iter().zip(&segments) {
                    if t.starts_with('{') && t.ends_with('}') {
                        continue;
                    }
                    if t != s {
                        return None;
                    }
                    literal += 1;
                }
                Some((template, literal))
            })
            .collect();
        // `/me/email` before `/me/{x}`-like templates: the most literal one wins.
        candidates.sort_by_key(|(_, literal)| std::cmp::Reverse(*literal));
        candidates
            .first()
            .map(|(t, _)| (*t).clone())
            .unwrap_or_else(|| panic!("{path} is not in the OpenAPI document"))
    }

    /// Sends a request and checks the answer against the document; returns it.
    async fn call(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = app.client.request(method.clone(), app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        self.check(method.as_str(), path, response).await
    }

    /// Checks an answer against the document; returns it.
    async fn check(&self, method: &str, path: &str, response: reqwest::Response) -> Answer {
        let method = method.to_ascii_lowercase();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
        let text = response.text().await.expect("body");
        let template = self.template_of(path);
        let what = format!("{} {path} ({template}) -> {status}", method.to_uppercase());
        let operation = &self.doc["paths"][&template][&method];
        assert!(
            operation.is_object(),
            "{what}: the method is not documented"
        );
        let documented = &operation["responses"][status.as_str()];
        assert!(
            documented.is_object(),
            "{what}: the status is not documented; body {text}"
        );
        self.mark(&method, &template, status.as_u16());
        let Some(content) = documented["content"].as_object() else {
            assert!(text.is_empty(), "{what}: documented without a body: {text}");
            return Answer {
                status,
                body: Value::Null,
            };
        };
        let content_type = content_type.unwrap_or_else(|| panic!("{what}: no content type"));
        let media = content
            .iter()
            .find(|(documented, _)| {
                documented.split(';').next().map(str::trim) == Some(&content_type)
            })
            .map(|(_, media)| media)
            .unwrap_or_else(|| panic!("{what}: {content_type} is not documented: {content:?}"));
        if !content_type.ends_with("json") {
            return Answer {
                status,
                body: Value::String(text),
            };
        }
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        if let Some(schema) = media.get("schema")
            && let Err(errors) = self.validate(schema, &body)
        {
            panic!("{what}: the body does not match its schema:\n{errors}\nbody: {body:#}");
        }
        Answer { status, body }
    }

    /// Validates `body` against `schema` as a JSON Schema 2020-12, with the document's
    /// components beside it so that `#/components/schemas/…` resolves; formats (date-time,
    /// uuid) are asserted.
    fn validate(&self, schema: &Value, body: &Value) -> Result<(), String> {
        let mut root = schema.clone();
        close_objects(&mut root);
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.components,
            "allOf": [root],
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("the schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("  at {}: {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Every (method, path) of the document with the statuses the lifecycle met.
    fn unexercised(&self) -> Vec<String> {
        let seen = self.seen.lock().expect("lock");
        let mut missing = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "post", "patch", "put", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                let hit = seen
                    .iter()
                    .any(|(m, p, s)| m == method && p == path && *s < 300);
                if !hit {
                    missing.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        missing
    }
}

/// A document's objects leave room for more fields (clients should ignore unknown ones), but
/// here an answer must not carry a field the document does not declare: every schema with
/// `properties` gets `unevaluatedProperties: false` (which, unlike `additionalProperties`,
/// sees through `$ref` and `allOf`).
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            for value in map.values_mut() {
                close_objects(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn id_of(v: &Value) -> String {
    str_of(v, "id")
}

#[tokio::test]
async fn every_answer_of_a_full_lifecycle_matches_the_served_document() {
    let app = TestApp::spawn().await;
    let c = Checker::load(&app).await;
    let (get, post, patch, delete) = (Method::GET, Method::POST, Method::PATCH, Method::DELETE);
    let ann = "ann@example.com";
    let bob = "bob@example.com";

    // Sign-up, and verification by link.
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/register",
            None,
            Some(json!({"email": ann, "password": PASSWORD, "name": "Ann", "locale": "de-AT"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let token = app.smtp.new_token(ann, "verify-email").await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/email/verify",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/email/verify",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // Sign-up, an unverified log-in, a resend, and verification by code.
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/register",
            None,
            Some(json!({"email": bob, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login",
            None,
            Some(json!({"email": bob, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.body["code"], "email_not_verified");
    let _ = app.smtp.new_token(bob, "verify-email").await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/email/verify/resend",
            None,
            Some(json!({"email": bob})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let (_, code) = app.smtp.new_token_and_code(bob, "verify-email").await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/email/verify",
            None,
            Some(json!({"email": bob, "code": "000000"})),
        )
        .await;
    assert_eq!(r.body["code"], "code_invalid");
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/email/verify",
            None,
            Some(json!({"email": bob, "code": code})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Log-in, refresh, and their errors.
    let login = |email: &'static str, password: &'static str| {
        let c = &c;
        let app = &app;
        async move {
            c.call(
                app,
                Method::POST,
                "/api/v1/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await
        }
    };
    let r = login(ann, "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = login(ann, PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    let refresh = str_of(&r.body, "refresh_token");
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/token/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let access = str_of(&r.body, "access_token");
    let refresh = str_of(&r.body, "refresh_token");
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/token/refresh",
            None,
            Some(json!({"refresh_token": "nonsense"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .post_raw("/api/v1/login", Some("text/plain"), "email=ann")
        .await;
    let r = c.check("POST", "/api/v1/login", r).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app
        .post_raw("/api/v1/login", Some("application/json"), "{")
        .await;
    let r = c.check("POST", "/api/v1/login", r).await;
    assert_eq!(r.body["code"], "malformed_json");
    let r = app
        .post_raw(
            "/api/v1/register",
            Some("application/json"),
            format!("{{\"email\": \"{}\"}}", "a".repeat(70 * 1024)),
        )
        .await;
    let r = c.check("POST", "/api/v1/register", r).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    // The profile.
    let r = c.call(&app, get.clone(), "/api/v1/me", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c
        .call(&app, get.clone(), "/api/v1/me", Some(&access), None)
        .await;
    assert_eq!(r.body["locale"], "de");
    assert_eq!(r.body["pending_email"], Value::Null);
    let r = c
        .call(
            &app,
            patch.clone(),
            "/api/v1/me",
            Some(&access),
            Some(json!({"name": "Ann B.", "locale": null})),
        )
        .await;
    assert_eq!(r.body["name"], "Ann B.");
    let r = c
        .call(
            &app,
            patch.clone(),
            "/api/v1/me",
            Some(&access),
            Some(json!({"locale": "tlh"})),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "locale");

    // Sessions: a second one, listed and revoked.
    let second = login(ann, PASSWORD).await;
    let second_refresh = str_of(&second.body, "refresh_token");
    let r = c
        .call(
            &app,
            get.clone(),
            "/api/v1/me/sessions",
            Some(&access),
            None,
        )
        .await;
    let sessions = r.body.as_array().cloned().unwrap_or_default();
    assert_eq!(sessions.len(), 2, "{}", r.body);
    let other = sessions
        .iter()
        .find(|s| s["current"] == false)
        .map(id_of)
        .expect("the other session");
    let r = c
        .call(
            &app,
            delete.clone(),
            &format!("/api/v1/me/sessions/{other}"),
            Some(&access),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = c
        .call(
            &app,
            delete.clone(),
            &format!("/api/v1/me/sessions/{other}"),
            Some(&access),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/logout",
            None,
            Some(json!({"refresh_token": second_refresh})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // A password change, and its errors.
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/password",
            Some(&access),
            Some(json!({"current_password": "wrong one", "new_password": "another good one"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/password",
            Some(&access),
            Some(json!({"current_password": PASSWORD, "new_password": "short"})),
        )
        .await;
    assert_eq!(r.body["code"], "weak_password");
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/password",
            Some(&access),
            Some(json!({"current_password": PASSWORD, "new_password": "another good one"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Forgot and reset, by link and by code.
    let forgot = |email: &'static str| {
        let c = &c;
        let app = &app;
        async move {
            c.call(
                app,
                Method::POST,
                "/api/v1/password/forgot",
                None,
                Some(json!({"email": email})),
            )
            .await
        }
    };
    assert_eq!(forgot(ann).await.status, StatusCode::ACCEPTED);
    let token = app.smtp.new_token(ann, "reset-password").await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/password/reset",
            None,
            Some(json!({"token": token, "new_password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/password/reset",
            None,
            Some(json!({"token": "not-a-token", "new_password": PASSWORD})),
        )
        .await;
    assert_eq!(r.body["code"], "token_invalid");
    assert_eq!(forgot(bob).await.status, StatusCode::ACCEPTED);
    let (_, code) = app.smtp.new_token_and_code(bob, "reset-password").await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/password/reset",
            None,
            Some(json!({"email": bob, "code": code, "new_password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // An email change: requested, pending, confirmed by both addresses, reverted.
    let access = str_of(&login(ann, PASSWORD).await.body, "access_token");
    let new_ann = "ann.new@example.com";
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/email",
            Some(&access),
            Some(json!({"password": PASSWORD, "new_email": ann})),
        )
        .await;
    assert_eq!(r.body["code"], "same_email");
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/email",
            Some(&access),
            Some(json!({"password": PASSWORD, "new_email": new_ann})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = c
        .call(&app, get.clone(), "/api/v1/me", Some(&access), None)
        .await;
    assert_eq!(r.body["pending_email"]["email"], new_ann, "{}", r.body);
    let to_new = app.smtp.new_token(new_ann, "confirm-email-change").await;
    let to_old = app.smtp.new_token(ann, "confirm-email-change").await;
    let confirm = |token: String| {
        let c = &c;
        let app = &app;
        async move {
            c.call(
                app,
                Method::POST,
                "/api/v1/email/change/confirm",
                None,
                Some(json!({"token": token})),
            )
            .await
        }
    };
    let r = confirm(to_new.clone()).await;
    assert_eq!(r.body["status"], "awaiting_other_confirmation");
    let r = c
        .call(&app, get.clone(), "/api/v1/me", Some(&access), None)
        .await;
    assert_eq!(r.body["pending_email"]["new_confirmed"], true, "{}", r.body);
    let r = confirm(to_old).await;
    assert_eq!(r.body["status"], "changed");
    assert_eq!(r.body["email"], new_ann);
    let r = confirm(to_new).await;
    assert!(r.status.is_client_error(), "{}", r.body);
    let revert = app.smtp.new_token(ann, "revert-email-change").await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/email/change/revert",
            None,
            Some(json!({"token": revert})),
        )
        .await;
    assert_eq!(r.body["status"], "reverted");
    assert_eq!(r.body["email"], ann);

    // A change cancelled.
    let access = str_of(&login(ann, PASSWORD).await.body, "access_token");
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/email",
            Some(&access),
            Some(json!({"password": PASSWORD, "new_email": "ann.other@example.com"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = c
        .call(
            &app,
            delete.clone(),
            "/api/v1/me/email",
            Some(&access),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    // Administration: ann becomes an administrator (as `latchkey user create --admin` would).
    let bob_access = str_of(&login(bob, PASSWORD).await.body, "access_token");

    // Passkeys: bob adds one (a software authenticator answers), signs in with it, renames
    // and removes it.
    let options = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/passkeys/options",
            Some(&bob_access),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(options.status, StatusCode::OK);
    let (mut passkey, credential) = crate::support::passkey::SoftPasskey::register(
        &options.body["publicKey"],
        "http://localhost:8080",
    );
    let added = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/passkeys",
            Some(&bob_access),
            Some(json!({"challenge_id": options.body["challenge_id"], "credential": credential, "name": "Key"})),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED);
    let passkey_path = format!("/api/v1/me/passkeys/{}", str_of(&added.body, "id"));
    let r = c
        .call(
            &app,
            get.clone(),
            "/api/v1/me/passkeys",
            Some(&bob_access),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let options = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/passkey/options",
            None,
            Some(json!({})),
        )
        .await;
    let credential = passkey.assert(&options.body["publicKey"]);
    let body = json!({"challenge_id": options.body["challenge_id"], "credential": credential});
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/passkey",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/passkey",
            None,
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // The passkey as the second factor after bob's password.
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login",
            None,
            Some(json!({"email": bob, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.body["code"], "mfa_required", "{}", r.body);
    let mfa_token = str_of(&r.body, "mfa_token");
    let options = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/mfa/passkey/options",
            None,
            Some(json!({"mfa_token": mfa_token})),
        )
        .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    let credential = passkey.assert(&options.body["publicKey"]);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/mfa",
            None,
            Some(json!({"mfa_token": mfa_token, "passkey": credential})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .call(
            &app,
            patch.clone(),
            &passkey_path,
            Some(&bob_access),
            Some(json!({"name": "Laptop"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .call(&app, delete.clone(), &passkey_path, Some(&bob_access), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = c
        .call(
            &app,
            get.clone(),
            "/api/v1/admin/users",
            Some(&bob_access),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.sql_for(
        "UPDATE users SET is_admin = TRUE WHERE email_norm = $1",
        ann,
    )
    .await;
    let admin = Some(access.as_str());
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/admin/users",
            admin,
            Some(json!({"email": "carl@example.com", "name": "Carl"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let carl = id_of(&r.body);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/admin/users",
            admin,
            Some(json!({"email": "carl@example.com"})),
        )
        .await;
    assert_eq!(r.body["code"], "email_taken");
    let r = c
        .call(
            &app,
            get.clone(),
            "/api/v1/admin/users?limit=1",
            admin,
            None,
        )
        .await;
    let cursor = str_of(&r.body, "next_cursor");
    let r = c
        .call(
            &app,
            get.clone(),
            &format!("/api/v1/admin/users?q=example&cursor={cursor}"),
            admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .call(
            &app,
            get.clone(),
            "/api/v1/admin/users?limit=0",
            admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let user = format!("/api/v1/admin/users/{carl}");
    let r = c.call(&app, get.clone(), &user, admin, None).await;
    assert_eq!(r.body["has_password"], false);
    let r = c
        .call(
            &app,
            post.clone(),
            &format!("{user}/verification-email"),
            admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = c
        .call(
            &app,
            patch.clone(),
            &user,
            admin,
            Some(json!({"email_verified": true, "name": null})),
        )
        .await;
    assert_eq!(r.body["name"], Value::Null);
    let r = c
        .call(
            &app,
            post.clone(),
            &format!("{user}/verification-email"),
            admin,
            None,
        )
        .await;
    assert_eq!(r.body["code"], "already_verified");
    let r = c.call(&app, delete.clone(), &user, admin, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = c.call(&app, get.clone(), &user, admin, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Second factors: an authenticator app, the second-factor step, recovery codes, turning
    // it off, an operator's reset; and sign-in by email.
    let dora = "dora@example.com";
    let (dora_access, _) = app.logged_in(dora).await;
    let enrol = |access: String| {
        let (c, app, post) = (&c, &app, post.clone());
        async move {
            let r = c
                .call(
                    app,
                    post.clone(),
                    "/api/v1/me/mfa/totp",
                    Some(&access),
                    Some(json!({"password": PASSWORD})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let secret = str_of(&r.body, "secret");
            let r = c
                .call(
                    app,
                    post,
                    "/api/v1/me/mfa/totp/confirm",
                    Some(&access),
                    Some(json!({"code": crate::api::second_factor::totp(&secret, 0)})),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            secret
        }
    };
    let secret = enrol(dora_access.clone()).await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login",
            None,
            Some(json!({"email": dora, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.body["code"], "mfa_required");
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/mfa",
            None,
            Some(json!({"mfa_token": str_of(&r.body, "mfa_token"),
                "code": crate::api::second_factor::totp(&secret, 1)})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/me/mfa/recovery-codes",
            Some(&dora_access),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .call(
            &app,
            delete.clone(),
            "/api/v1/me/mfa/totp",
            Some(&dora_access),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    enrol(dora_access.clone()).await;
    let dora_id = app
        .get_auth("/api/v1/me", &dora_access)
        .await
        .json::<Value>()
        .await
        .map(|me| str_of(&me, "id"))
        .expect("me");
    let r = c
        .call(
            &app,
            delete.clone(),
            &format!("/api/v1/admin/users/{dora_id}/mfa"),
            admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/email",
            None,
            Some(json!({"email": dora})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let token = app.smtp.new_token(dora, "sign-in").await;
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/login/email/confirm",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The outbox, once messages have gone out.
    wait_until("an email is sent", Duration::from_secs(30), || async {
        app.outbox().await.iter().any(|m| m.status == "sent")
    })
    .await;
    let r = c
        .call(&app, get.clone(), "/api/v1/admin/outbox", admin, None)
        .await;
    assert!(r.body["messages"].as_array().is_some_and(|m| !m.is_empty()));
    let r = c
        .call(
            &app,
            get.clone(),
            "/api/v1/admin/outbox?status=sent&limit=2",
            admin,
            None,
        )
        .await;
    assert!(r.body["messages"][0]["sent_at"].is_string(), "{}", r.body);
    let r = c
        .call(
            &app,
            get.clone(),
            "/api/v1/admin/outbox?status=lost",
            admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Deleting one's own account, the log-out of the last session, and the operations.
    let r = c
        .call(
            &app,
            delete.clone(),
            "/api/v1/me",
            Some(&bob_access),
            Some(json!({"password": "not it"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = c
        .call(
            &app,
            delete.clone(),
            "/api/v1/me",
            Some(&bob_access),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = c
        .call(
            &app,
            post.clone(),
            "/api/v1/logout",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    for path in ["/healthz", "/readyz", "/.well-known/jwks.json"] {
        let r = c.call(&app, get.clone(), path, None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }

    let missing = c.unexercised();
    assert!(
        missing.is_empty(),
        "operations of the document the lifecycle did not exercise: {missing:?}"
    );
    app.stop().await;
}

/// Every route the router serves is in the served document, under its method.
#[tokio::test]
async fn every_served_route_is_in_the_served_document() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("document");
    let served: Vec<(String, String)> = latchkey::http::api::routes()
        .iter()
        .map(|r| (r.method.as_str().to_owned(), format!("/api/v1{}", r.path)))
        .chain(
            latchkey::http::ops_routes()
                .iter()
                .map(|r| (r.method.as_str().to_owned(), r.path.to_owned())),
        )
        .collect();
    let missing: Vec<&(String, String)> = served
        .iter()
        .filter(|(method, path)| !doc["paths"][path][method].is_object())
        .collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    app.stop().await;
}

/// The checker is not vacuous: bodies that drifted from their schema fail it.
#[tokio::test]
async fn drifted_bodies_fail_the_check() {
    let app = TestApp::spawn().await;
    let c = Checker::load(&app).await;
    let schema_of = |path: &str, method: &str, status: &str| -> Value {
        let responses = &c.doc["paths"][path][method]["responses"][status]["content"];
        let (_, media) = responses
            .as_object()
            .and_then(|m| m.iter().next())
            .expect("a documented body");
        media["schema"].clone()
    };
    let me = schema_of("/api/v1/me", "get", "200");
    let good = json!({
        "id": "0193a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b", "email": "ann@example.com",
        "email_verified": true, "name": null, "locale": "en", "is_admin": false,
        "created_at": "2026-11-29T18:19:26.123Z", "pending_email": null,
        "mfa": {"totp": false, "passkeys": 0, "recovery_codes_left": 0},
    });
    assert_eq!(c.validate(&me, &good), Ok(()));
    let mut drifts: BTreeMap<&str, Value> = BTreeMap::new();
    let mut missing = good.clone();
    missing.as_object_mut().map(|m| m.remove("pending_email"));
    drifts.insert("a field left out", missing);
    let mut extra = good.clone();
    extra["password_hash"] = json!("x");
    drifts.insert("a field not declared", extra);
    let mut typed = good.clone();
    typed["email_verified"] = json!("yes");
    drifts.insert("a wrong type", typed);
    let mut date = good.clone();
    date["created_at"] = json!("");
    drifts.insert("an empty date", date);
    let mut pending = good.clone();
    pending["pending_email"] =
        json!({"email": "x@example.com", "expires_at": "2026-11-29T18:19:26Z"});
    drifts.insert("a pending change without its flags", pending);
    for (what, body) in drifts {
        assert!(c.validate(&me, &body).is_err(), "{what} passed: {body}");
    }
    let sent = schema_of("/api/v1/register", "post", "202");
    assert_eq!(
        c.validate(&sent, &json!({"status": "verification_sent"})),
        Ok(())
    );
    assert!(c.validate(&sent, &json!({"status": "reset_sent"})).is_err());
    let problem = schema_of("/api/v1/login", "post", "401");
    assert!(c.validate(&problem, &json!({"status": 401})).is_err());
    app.stop().await;
}
