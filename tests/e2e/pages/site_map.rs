//! The list of pages the tests walk (`support::pages`) is the list of pages there are: every
//! link, image and form of every page, signed out and signed in, leads to a path in it or to
//! an asset, and every path a link opens as a page (200) is in the list of signed-out pages.

use std::collections::BTreeSet;

use crate::support::*;
use reqwest::{StatusCode, header};

#[tokio::test]
async fn every_link_and_form_of_the_pages_is_in_the_list_of_pages() {
    let app = TestApp::spawn().await;
    app.verified_user("map@example.com").await;
    let client = no_redirects();
    let r = client
        .post(app.url("/login"))
        .form(&[("email", "map@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let jar = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let signed_in = client
        .get(app.url("/account"))
        .header(header::COOKIE, &jar)
        .send()
        .await
        .expect("account");
    assert_eq!(signed_in.status(), StatusCode::OK);
    let mut seen = links_of(signed_in.text().await.expect("html"));
    for page in pages::SIGNED_OUT {
        let path = page.split('?').next().unwrap_or(page);
        assert!(pages::PATHS.contains(&path), "{page} is not in PATHS");
        let r = app.get(page).await;
        assert_eq!(r.status(), StatusCode::OK, "{page}");
        seen.extend(links_of(r.text().await.expect("html")));
    }
    let signed_out: BTreeSet<&str> = pages::SIGNED_OUT
        .iter()
        .map(|p| p.split('?').next().unwrap_or(p))
        .collect();
    for path in &seen {
        if path == pages::FAVICON || path.starts_with("/assets/") {
            continue;
        }
        assert!(
            pages::PATHS.contains(&path.as_str()),
            "a page leads to {path}, which is not in support::pages::PATHS"
        );
        // A path that a signed-out browser opens as a page is walked by the page tests.
        if client
            .get(app.url(path))
            .send()
            .await
            .expect("request")
            .status()
            == StatusCode::OK
        {
            assert!(
                signed_out.contains(path.as_str()),
                "{path} is a page, but not in support::pages::SIGNED_OUT"
            );
        }
    }
    app.stop().await;
}

fn links_of(html: String) -> BTreeSet<String> {
    pages::links(&html).into_iter().collect()
}
