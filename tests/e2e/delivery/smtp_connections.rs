//! The worker's own SMTP connections (plain SMTP with `TCP_NODELAY`): messages go out over
//! reused connections, and a server that refuses service, then comes back, gets each message
//! exactly once.

use std::time::Duration;

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
    // Let the worker fail at least once against the refusing server.
    tokio::time::sleep(Duration::from_millis(300)).await;
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 10, "each message exactly once");
    app.stop().await;
}
