//! SQLite: the writes of a running server reach the database file itself soon after they are
//! made, copied from the WAL by the server's checkpointer (its writer never checkpoints: that
//! ran inside a COMMIT, with fsyncs, and held up every write behind it). SQLite's own automatic
//! checkpoint waits for 1000 pages of WAL, so one sign-up alone shows the checkpointer at work.

use crate::support::*;
use reqwest::StatusCode;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_sign_up_reaches_the_database_file_itself_soon() {
    let app = TestApp::spawn_sqlite_with(|_| {}).await;
    let email = "checkpointed@example.com";
    assert_eq!(app.register(email).await.status(), StatusCode::ACCEPTED);
    app.smtp.latest(email).await;
    let file = app.db_path();
    wait_until(
        "the account is in the database file",
        MAIL_TIMEOUT,
        || async { std::fs::read(&file).is_ok_and(|raw| contains(&raw, email.as_bytes())) },
    )
    .await;
    // And the server still writes.
    let token = app
        .smtp
        .latest(email)
        .await
        .token("verify-email")
        .expect("a link");
    assert_eq!(app.verify(&token).await.status(), StatusCode::OK);
    app.stop().await;
}
