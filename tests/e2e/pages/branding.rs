//! Branding without a rebuild (contract §12): the product name, accent colour, logo and an extra
//! stylesheet on every page, page templates from `LATCHKEY_TEMPLATES_DIR/pages/`, and the
//! Content-Security-Policy unchanged apart from a logo from another site, as an image only.

use crate::support::*;
use latchkey::configuration::{Branding, Logo};
use reqwest::{StatusCode, header};

const LOGO_SVG: &[u8] =
    b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"32\" height=\"32\"><rect width=\"32\" height=\"32\" fill=\"#aa0055\"/></svg>";
const EXTRA_CSS: &str = ".card{border:2px solid #aa0055}\n";

fn branding() -> Branding {
    Branding {
        color: Some("#aa0055".into()),
        logo: Some(Logo::File {
            bytes: LOGO_SVG.to_vec(),
            content_type: "image/svg+xml",
            extension: "svg",
        }),
        pages_css: Some(EXTRA_CSS.into()),
    }
}

/// The `href`/`src` values of `<TAG … ATTR="…">` in `html` that start with `prefix`.
fn urls(html: &str, attr: &str, prefix: &str) -> Vec<String> {
    html.split(&format!("{attr}=\""))
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|u| u.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = app.client.get(app.url(path)).send().await.expect("request");
    let status = r.status();
    let content_type = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (
        status,
        content_type,
        r.bytes().await.expect("body").to_vec(),
    )
}

#[tokio::test]
async fn a_branded_page_links_the_colour_the_stylesheet_and_the_logo_under_the_same_csp() {
    let plain = TestApp::spawn().await;
    let plain_csp = plain.get("/login").await.headers()[header::CONTENT_SECURITY_POLICY].clone();
    plain.stop().await;

    let app = TestApp::spawn_with(|s| {
        s.product_name = "Acme Cloud".into();
        s.branding = branding();
    })
    .await;
    for path in ["/login", "/register", "/forgot-password"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].clone();
        assert_eq!(
            csp, plain_csp,
            "{path}: a logo file changes nothing in the policy"
        );
        let csp = csp.to_str().expect("csp");
        assert!(
            !csp.contains("unsafe-inline") && csp.contains("style-src 'self'"),
            "{csp}"
        );
        let html = r.text().await.expect("html");
        assert!(html.contains("Acme Cloud"), "{path}: {html}");
        assert!(
            !html.contains("style=") && !html.contains("<style"),
            "{path}: no inline style"
        );

        let sheets = urls(&html, "href", "/assets/");
        let sheets: Vec<_> = sheets.iter().filter(|u| u.ends_with(".css")).collect();
        assert_eq!(sheets.len(), 3, "built-in, accent, extra: {sheets:?}");
        assert!(sheets[0].starts_with("/assets/style-"), "{sheets:?}");
        // The accent's stylesheet: the built-in rules in the operator's colour.
        let (status, ctype, body) = fetch(&app, sheets[1]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.starts_with("text/css"), "{ctype}");
        let accent = String::from_utf8(body).expect("css");
        assert!(
            accent.contains("button,.button{") && accent.contains("#aa0055"),
            "{accent}"
        );
        assert!(!accent.contains("#1f4fd1"), "{accent}");
        // The operator's stylesheet, as written, after the built-in one.
        let (status, _, body) = fetch(&app, sheets[2]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, EXTRA_CSS.as_bytes());

        let logo = urls(&html, "src", "/assets/logo-");
        assert_eq!(logo.len(), 1, "{html}");
        assert!(logo[0].ends_with(".svg"), "{logo:?}");
        let (status, ctype, body) = fetch(&app, &logo[0]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ctype, "image/svg+xml");
        assert_eq!(body, LOGO_SVG);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_logo_from_another_site_is_allowed_as_an_image_and_nothing_else() {
    let app = TestApp::spawn_with(|s| {
        s.branding.logo = Some(Logo::Url(
            "https://cdn.example.com/brand/logo.png"
                .parse()
                .expect("url"),
        ));
    })
    .await;
    let r = app.get("/login").await;
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(
        csp.contains("img-src 'self' https://cdn.example.com;"),
        "{csp}"
    );
    assert_eq!(csp.matches("cdn.example.com").count(), 1, "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("src=\"https://cdn.example.com/brand/logo.png\""),
        "{html}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_page_template_is_replaced_from_the_templates_dir() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(dir.path().join("pages")).expect("pages dir");
    // The operator's base keeps the blocks the other templates fill and adds its own footer.
    let base = include_str!("../../../templates/pages/base.html").replace(
        "</main>",
        "</main>\n<p class=\"legal\">{{ product }} · Imprint: Example GmbH &amp; Co</p>",
    );
    std::fs::write(dir.path().join("pages/base.html"), base).expect("write");
    let templates = dir.path().to_owned();
    let app = TestApp::spawn_with(|s| {
        s.product_name = "Acme Cloud".into();
        s.templates_dir = Some(templates);
    })
    .await;
    for path in ["/login", "/register"] {
        let html = app.get(path).await.text().await.expect("html");
        assert!(
            html.contains("<p class=\"legal\">Acme Cloud · Imprint: Example GmbH &amp; Co</p>"),
            "{path}: {html}"
        );
        assert!(
            html.contains("<form"),
            "{path}: the page's own content is still there"
        );
    }
    app.stop().await;

    // A template that does not parse stops the start, naming the file and the setting.
    std::fs::write(dir.path().join("pages/form.html"), "{% block content %}").expect("write");
    let templates = dir.path().to_owned();
    let smtp = SmtpServer::start().await;
    let db = std::sync::Arc::new(tempfile::tempdir().expect("temporary directory"));
    let mut settings = test_settings(db.path().join("latchkey.db"), &smtp);
    settings.templates_dir = Some(templates);
    let Err(message) = TestApp::try_start(settings, smtp, db).await else {
        panic!("a broken page template must stop the start");
    };
    assert!(message.contains("LATCHKEY_TEMPLATES_DIR"), "{message}");
    assert!(message.contains("form.html"), "{message}");
}
