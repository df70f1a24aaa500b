//! The dev mailbox (contract §7): mounted only when no SMTP is configured.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use minijinja::context;
use serde_json::{Value, json};

use super::Visitor;
use crate::{
    domain::locale::Locale,
    error::Error,
    http::AppState,
    storage::{Store, StoredMail},
};

const SHOWN: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dev/mailbox", get(list_page))
        .route("/dev/mailbox.json", get(list_json))
        .route("/dev/mailbox/{id}", get(show_html))
        .route("/dev/mailbox/{id}/text", get(show_text))
}

fn store(s: &AppState) -> Result<&Store, Error> {
    s.dev_mailbox.as_ref().ok_or(Error::NotFound)
}

fn summary(m: &StoredMail) -> Value {
    let links: Vec<String> = serde_json::from_str(&m.links).unwrap_or_default();
    json!({
        "id": m.id, "to": m.recipient, "subject": m.subject, "links": links,
        "created_at": m.created_at, "text": m.text, "html": m.html,
    })
}

async fn list(s: &AppState) -> Result<Vec<Value>, Error> {
    let mails = store(s)?.read().await?.list_dev_mail(SHOWN).await?;
    Ok(mails.iter().map(summary).collect())
}

/// The code an email carries (six digits on their own), shown in the list beside its link.
fn code_in(text: &str) -> Option<&str> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
}

async fn list_page(State(s): State<AppState>) -> Result<Response, Error> {
    let now = s.flows.clock.now();
    let mails = store(&s)?.read().await?.list_dev_mail(SHOWN).await?;
    // Each as the JSON lists it, with a time a person reads ("2 minutes ago"; the exact one
    // on hover) and the code.
    let messages: Vec<Value> = mails
        .iter()
        .map(|m| {
            let mut v = summary(m);
            v["when"] = json!(s.pages.catalogue().ago("en", m.created_at.elapsed_at(now)));
            v["code"] = json!(code_in(&m.text));
            v
        })
        .collect();
    // A tool for developers, in English whatever the browser asks for.
    let visitor = Visitor {
        lang: Locale::En,
        here: "/dev/mailbox".into(),
        signed_in: false,
        return_to: None,
        app_url: None,
    };
    let mut response = s.pages.render(
        "mailbox.html",
        &visitor,
        context! { title => "Dev mailbox", messages => minijinja::Value::from(minijinja::value::Serde(messages)), wide => true },
    );
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(super::PAGE_CSP),
    );
    Ok(response)
}

async fn list_json(State(s): State<AppState>) -> Result<Json<Vec<Value>>, Error> {
    Ok(Json(list(&s).await?))
}

async fn one(s: &AppState, id: &str) -> Result<StoredMail, Error> {
    let id: i64 = id.parse().map_err(|_| Error::NotFound)?;
    store(s)?
        .read()
        .await?
        .dev_mail(id)
        .await?
        .ok_or(Error::NotFound)
}

async fn show_html(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, Error> {
    let mail = one(&s, &id).await?;
    let mut response = Html(mail.html).into_response();
    // The email's HTML runs with no scripts and no access to this origin.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    Ok(response)
}

async fn show_text(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, Error> {
    let mail = one(&s, &id).await?;
    let mut response = mail.text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::code_in;

    #[test]
    fn the_code_is_six_digits_on_their_own() {
        assert_eq!(code_in("Your code: 123456.\nIt expires."), Some("123456"));
        assert_eq!(code_in("token=ab123456cd and 1234567"), None);
        assert_eq!(code_in("no code here"), None);
    }
}
