//! The GitHub client: installation tokens (one per installation, shared by every caller,
//! renewed before expiry, replaced once when GitHub refuses one), and what happens when
//! GitHub cannot be reached: after a refused connection, requests fail at once without
//! being sent for `UNREACHABLE_PAUSE`, then are sent again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tacit::github::{GitHub, UNREACHABLE_PAUSE};
use tacit::metrics::Metrics;
use tacit::settings::Settings;

use crate::support::fake_github::{FakeGitHub, Fault};
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

async fn world() -> FakeGitHub {
    let fake = FakeGitHub::start().await;
    fake.add_repo("octo", "repo");
    fake.add_issue("octo", "repo", 1, "dave");
    fake.add_repo("other", "repo").set_installation(2);
    fake.add_issue("other", "repo", 1, "dave");
    fake
}

#[tokio::test]
async fn concurrent_callers_share_one_token_per_installation() {
    let fake = world().await;
    let (gh, _) = client_for(&fake.url());
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..24 {
        let gh = gh.clone();
        let (inst, repo) = if i % 2 == 0 {
            (1, "octo/repo")
        } else {
            (2, "other/repo")
        };
        calls.spawn(async move { gh.issue(inst, repo, 1).await.map(|_| ()) });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap().expect("the issue is read");
    }
    assert_eq!(fake.token_mints(1), 1);
    assert_eq!(fake.token_mints(2), 1);
    // And later callers reuse it.
    gh.issue(1, "octo/repo", 1).await.unwrap();
    assert_eq!(fake.token_mints(1), 1);
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires() {
    let fake = world().await;
    // Four minutes left is within the five minutes before expiry: renewed at each use.
    fake.set_token_lifetime(jiff::SignedDuration::from_mins(4));
    let (gh, _) = client_for(&fake.url());
    for _ in 0..3 {
        gh.issue(1, "octo/repo", 1).await.unwrap();
    }
    assert_eq!(fake.token_mints(1), 3);
    fake.set_token_lifetime(jiff::SignedDuration::from_hours(1));
    for _ in 0..3 {
        gh.issue(1, "octo/repo", 1).await.unwrap();
    }
    assert_eq!(fake.token_mints(1), 4);
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_the_request_sent_again() {
    let fake = world().await;
    let (gh, _) = client_for(&fake.url());
    gh.issue(1, "octo/repo", 1).await.unwrap();
    fake.expire_tokens();
    let comment = gh
        .create_comment(1, "octo/repo", 1, "hello")
        .await
        .expect("sent again with a new token");
    assert_eq!(fake.token_mints(1), 2);
    assert_eq!(
        fake.count("POST", "/issues/1/comments"),
        2,
        "one refused, one done"
    );
    assert_eq!(
        fake.comments("octo", "repo", 1)
            .iter()
            .filter(|c| c.id == comment.id)
            .count(),
        1
    );
    // A token refused again is not retried in a loop: one more mint, one more try.
    fake.inject(Fault::new("GET", "/repos/octo/repo/issues/1", 401).times(5));
    let err = gh.issue(1, "octo/repo", 1).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(fake.count("GET", "/repos/octo/repo/issues/1"), 3);
}

#[tokio::test]
async fn a_forgotten_installation_gets_a_new_token() {
    let fake = world().await;
    let (gh, _) = client_for(&fake.url());
    gh.issue(1, "octo/repo", 1).await.unwrap();
    gh.issue(2, "other/repo", 1).await.unwrap();
    gh.forget_installation(1);
    gh.issue(1, "octo/repo", 1).await.unwrap();
    gh.issue(2, "other/repo", 1).await.unwrap();
    assert_eq!((fake.token_mints(1), fake.token_mints(2)), (2, 1));
}
