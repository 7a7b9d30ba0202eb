//! The GitHub client when GitHub cannot be reached: after a refused connection, requests
//! fail at once without being sent for `UNREACHABLE_PAUSE`, then are sent again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tacit::github::{GitHub, UNREACHABLE_PAUSE};
use tacit::metrics::Metrics;
use tacit::settings::Settings;

use crate::support::keys;

fn client_for(url: &str) -> (GitHub, Arc<Metrics>) {
    let vars = [
        ("APP_ID", keys::APP_ID.to_string()),
        ("PRIVATE_KEY", keys::private_key_pem().to_string()),
        ("WEBHOOK_SECRET", keys::WEBHOOK_SECRET.to_string()),
        ("DATABASE_URL", "sqlite::memory:".to_string()),
        ("GITHUB_API_URL", url.to_string()),
    ];
    let settings =
        Settings::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .expect("valid settings");
    let metrics = Arc::new(Metrics::default());
    (GitHub::new(&settings, metrics.clone()).unwrap(), metrics)
}

#[tokio::test]
async fn requests_are_held_for_a_moment_after_github_refused_a_connection() {
    // A port nobody listens on (yet).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (gh, metrics) = client_for(&format!("http://127.0.0.1:{port}"));

    let refused = gh.app().await.unwrap_err().to_string();
    assert!(
        !refused.contains("not sent"),
        "the first request is sent: {refused}"
    );

    // Something listens there now, but within the pause nothing is sent to it.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let held_at = Instant::now();
    let held = gh.app().await.unwrap_err().to_string();
    assert!(held.contains("not sent"), "{held}");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), listener.accept())
            .await
            .is_err(),
        "a held request reached the server"
    );
    let rendered = metrics.render(None);
    assert!(
        rendered.contains(r#"tacit_github_errors_total{status="unreachable"} 1"#),
        "{rendered}"
    );

    // After the pause, requests are sent again.
    tokio::time::sleep(
        UNREACHABLE_PAUSE.saturating_sub(held_at.elapsed()) + Duration::from_millis(50),
    )
    .await;
    let again = tokio::spawn(async move { gh.app().await });
    let accepted = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await;
    again.abort();
    accepted
        .expect("a request is sent once the pause is over")
        .unwrap();
}
