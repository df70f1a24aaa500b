//! The worker's own SMTP connections (plain SMTP with `TCP_NODELAY`): messages go out over
//! reused connections, and a server that refuses service, then comes back, gets each message
//! exactly once.

use crate::support::*;
use reqwest::StatusCode;

#[tokio::test]
async fn messages_survive_a_refusing_server_and_arrive_once() {
    let app = TestApp::spawn().await;
    app.smtp.refuse();
    let addresses: Vec<String> = (0..5).map(|i| format!("refused{i}@example.com")).collect();
    for address in &addresses {
        assert_eq!(app.register(address).await.status(), StatusCode::ACCEPTED);
    }
    // The worker fails at least once against the refusing server.
    wait_until("every message failed once", MAIL_TIMEOUT, || async {
        let rows = app.outbox().await;
        rows.len() == addresses.len() && rows.iter().all(|m| m.attempts >= 1)
    })
    .await;
    assert!(app.smtp.messages().is_empty());
    app.smtp.resume();
    for address in &addresses {
        let mail = app.smtp.latest(address).await;
        assert!(mail.link("verify-email").is_some());
    }
    // Later sign-ups reuse the connections; nothing is sent twice.
    for i in 0..5 {
        let address = format!("later{i}@example.com");
        assert_eq!(app.register(&address).await.status(), StatusCode::ACCEPTED);
        app.smtp.latest(&address).await;
    }
    // Past every lease and retry delay, nothing more is on its way.
    app.advance(app.settings.worker.lease + app.settings.worker.retry_max)
        .await;
    app.settle().await;
    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 10, "each message exactly once");
    app.stop().await;
}
