//! The receiver's contract (SPEC section 1): what each kind of bad input gets, and that
//! nothing is stored or acted on for it.

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::keys;
use crate::support::tacit::{Db, Tacit, TestDb, count_deliveries, settings};

async fn started(kind: Db) -> (FakeGitHub, TestDb, Tacit) {
    let gh = FakeGitHub::start().await;
    gh.add_repo("octo", "repo");
    let db = TestDb::new(kind).await;
    let t = Tacit::start(&gh, &db).await;
    (gh, db, t)
}

async fn post(t: &Tacit, headers: &[(&str, String)], body: Vec<u8>) -> u16 {
    let mut r = t.client().post(format!("{}/api/github/webhooks", t.url));
    for (k, v) in headers {
        r = r.header(*k, v);
    }
    r.body(body).send().await.expect("POST").status().as_u16()
}

fn headers_for(body: &[u8], id: &str, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-GitHub-Event", "issues".to_string()),
        ("X-GitHub-Delivery", id.to_string()),
        ("X-Hub-Signature-256", d::sign(secret.as_bytes(), body)),
        ("Content-Type", "application/json".to_string()),
    ]
}

async fn deliveries(db: &TestDb) -> i64 {
    count_deliveries(&db.url).await
}

#[tokio::test]
async fn wrong_or_missing_signature_gets_401_and_stores_nothing() {
    let (gh, db, t) = started(Db::Sqlite).await;
    gh.add_issue("octo", "repo", 1, "dave");
    let delivery = d::issue_labeled("octo", "repo", 1, "intent-to-close", "alice");

    let mut wrong = headers_for(&delivery.body, &delivery.id, "not-the-secret");
    wrong[0].1 = delivery.event.clone();
    assert_eq!(post(&t, &wrong, delivery.body.clone()).await, 401);

    let missing: Vec<_> = wrong
        .iter()
        .filter(|(k, _)| *k != "X-Hub-Signature-256")
        .cloned()
        .collect();
    assert_eq!(post(&t, &missing, delivery.body.clone()).await, 401);

    // A body changed after signing.
    let mut tampered = delivery.body.clone();
    tampered.push(b' ');
    let good = headers_for(&delivery.body, &delivery.id, keys::WEBHOOK_SECRET);
    assert_eq!(post(&t, &good, tampered).await, 401);

    assert_eq!(
        deliveries(&db).await,
        0,
        "nothing may be stored for an unverified delivery"
    );
    t.settle().await;
    assert_eq!(gh.count("POST", "/comments"), 0, "nothing may be acted on");
    t.stop().await;
}

#[tokio::test]
async fn oversize_body_gets_413() {
    let (_gh, db, t) = started(Db::Sqlite).await;
    let body = vec![b' '; tacit::webhook::MAX_BODY + 1];
    let headers = headers_for(&body, "big-1", keys::WEBHOOK_SECRET);
    assert_eq!(post(&t, &headers, body).await, 413);
    assert_eq!(deliveries(&db).await, 0);
    t.stop().await;
}

#[tokio::test]
async fn malformed_json_gets_400() {
    let (_gh, db, t) = started(Db::Sqlite).await;
    let body = b"{\"action\": \"labeled\", ".to_vec();
    let headers = headers_for(&body, "bad-json-1", keys::WEBHOOK_SECRET);
    assert_eq!(post(&t, &headers, body).await, 400);
    assert_eq!(deliveries(&db).await, 0);
    t.stop().await;
}

#[tokio::test]
async fn unknown_events_and_actions_are_accepted_and_ignored() {
    let (gh, db, t) = started(Db::Sqlite).await;
    let body =
        br#"{"action":"dequeued","installation":{"id":1},"repository":{"full_name":"octo/repo"}}"#
            .to_vec();
    let mut headers = headers_for(&body, "unknown-1", keys::WEBHOOK_SECRET);
    headers[0].1 = "merge_group".into();
    assert_eq!(post(&t, &headers, body.clone()).await, 202);
    assert_eq!(
        post(&t, &headers, body).await,
        200,
        "a delivery id seen before gets 2xx"
    );
    assert_eq!(deliveries(&db).await, 1);
    t.settle().await;
    let writes: Vec<_> = gh
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/repos/") && r.method != "GET")
        // The start-up sweep creates missing intent labels; the event causes nothing.
        .filter(|r| !r.path.ends_with("/labels"))
        .collect();
    assert!(
        writes.is_empty(),
        "an ignored event writes nothing: {writes:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn every_example_payload_is_accepted() {
    let (_gh, db, t) = started(Db::Sqlite).await;
    let root = format!("{}/tests/fixtures/webhooks", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for event in std::fs::read_dir(&root).unwrap() {
        let event = event.unwrap();
        let name = event.file_name().to_string_lossy().to_string();
        for file in std::fs::read_dir(event.path()).unwrap() {
            let body = std::fs::read(file.unwrap().path()).unwrap();
            let mut headers = headers_for(&body, &format!("example-{n}"), keys::WEBHOOK_SECRET);
            headers[0].1 = name.clone();
            let status = post(&t, &headers, body).await;
            assert!(status == 202, "{name}: {status}");
            n += 1;
        }
    }
    assert_eq!(deliveries(&db).await, n);
    t.stop().await;
}

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let (_gh, _db, t) = started(Db::Sqlite).await;
    assert_eq!(t.get("/healthz").await.0, 200);
    t.stop().await;
}

/// The database goes away: deliveries get 503 (never a 2xx for an unrecorded
/// delivery), `/healthz` says 503; when it returns, tacit recovers by itself.
#[tokio::test]
async fn database_outage_gives_503_and_recovers() {
    use sqlx::Connection;
    let gh = FakeGitHub::start().await;
    gh.add_repo("octo", "repo");
    let db = TestDb::new(Db::Postgres).await;
    let t = Tacit::start_with(settings(&gh, &db.url)).await;
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let mut admin = sqlx::PgConnection::connect(&crate::support::tacit::postgres_admin_url())
        .await
        .unwrap();
    let exec = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    // The database goes away: no new connections, and the open ones are cut.
    exec(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .await
        .unwrap();
    exec(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut admin)
    .await
    .unwrap();

    let body =
        br#"{"action":"opened","installation":{"id":1},"repository":{"full_name":"octo/repo"}}"#
            .to_vec();
    let headers = headers_for(&body, "outage-1", keys::WEBHOOK_SECRET);
    let started = std::time::Instant::now();
    assert_eq!(post(&t, &headers, body.clone()).await, 503);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "503 must come quickly"
    );
    assert_eq!(t.get("/healthz").await.0, 503);

    exec(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut ok = false;
    for _ in 0..50 {
        if post(&t, &headers, body.clone()).await == 202 {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(ok, "tacit must recover when the database returns");
    assert_eq!(t.get("/healthz").await.0, 200);
    t.stop().await;
}

#[tokio::test]
async fn metrics_count_deliveries_by_verdict() {
    let (_gh, _db, t) = started(Db::Sqlite).await;
    let body =
        br#"{"action":"opened","installation":{"id":1},"repository":{"full_name":"octo/repo"}}"#
            .to_vec();
    let good = headers_for(&body, "metrics-1", keys::WEBHOOK_SECRET);
    assert_eq!(post(&t, &good, body.clone()).await, 202);
    let bad = headers_for(&body, "metrics-2", "wrong");
    assert_eq!(post(&t, &bad, body).await, 401);
    let (status, text) = t.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains("tacit_deliveries_total{event=\"issues\",verdict=\"recorded\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("tacit_webhook_rejected_total{reason=\"signature\"} 1"),
        "{text}"
    );
    assert!(
        !text.contains("verdict=\"bad_signature\""),
        "unverified requests have no event label: {text}"
    );
    assert!(text.contains("tacit_open_intents 0"), "{text}");
    assert!(
        text.contains("# TYPE tacit_timer_lateness_seconds histogram"),
        "{text}"
    );
    t.stop().await;
}

/// A NUL character (escaped in the JSON) in a stored field is not something PostgreSQL
/// text can hold; it must not fail the delivery or the batch it is committed with.
#[tokio::test]
async fn nul_characters_in_payload_fields_are_recorded_on_postgres() {
    let (_gh, db, t) = started(Db::Postgres).await;
    let body = br#"{"action":"label\u0000ed","installation":{"id":1},"repository":{"full_name":"octo/re\u0000po"}}"#.to_vec();
    let headers = headers_for(&body, "nul-1", keys::WEBHOOK_SECRET);
    assert_eq!(post(&t, &headers, body).await, 202);
    assert_eq!(deliveries(&db).await, 1);
    t.stop().await;
}

/// Installation ids are stored as signed 64-bit integers: a larger one would be stored
/// as another installation's (negative) id, so it is refused.
#[tokio::test]
async fn installation_ids_beyond_i64_are_refused() {
    let (_gh, db, t) = started(Db::Sqlite).await;
    let body = br#"{"action":"opened","installation":{"id":9223372036854775808},"repository":{"full_name":"octo/repo"}}"#.to_vec();
    let headers = headers_for(&body, "huge-installation-1", keys::WEBHOOK_SECRET);
    let mut r = t.client().post(format!("{}/api/github/webhooks", t.url));
    for (k, v) in &headers {
        r = r.header(*k, v);
    }
    let answer = r.body(body).send().await.expect("POST");
    assert_eq!(answer.status().as_u16(), 400);
    let text = answer.text().await.unwrap();
    assert!(text.contains("installation"), "{text}");
    assert_eq!(deliveries(&db).await, 0, "nothing stored");
    // The largest that fits is taken.
    let body = br#"{"action":"opened","installation":{"id":9223372036854775807},"repository":{"full_name":"octo/repo"}}"#.to_vec();
    let headers = headers_for(&body, "huge-installation-2", keys::WEBHOOK_SECRET);
    assert_eq!(post(&t, &headers, body).await, 202);
    t.stop().await;
}
