//! End to end: the built `tacit` binary, started with the environment of SPEC
//! section 1, killed with SIGKILL and started again. Every intent that came due while
//! it was down is acted on, exactly once.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::binary::{free_port, start};
use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, TestDb, wait};

const O: &str = "octo";
const R: &str = "repo";

async fn killed_and_restarted_merges_once(kind: Db) {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 4s\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh.add_pull(O, R, 5, "dave", "e2e-sha");
    let db = TestDb::new(kind).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();

    // The check run answers slowly, so the kill lands while that effect is claimed:
    // the restarted replica must take its own lease back, not wait a minute for it.
    gh.inject(
        crate::support::fake_github::Fault::slow("POST", "/check-runs", Duration::from_secs(30))
            .times(1),
    );
    let first = start(&gh, &db, dir.path(), port).await;
    gh.set_labels_by(O, R, 5, &["intent-to-merge"], "alice");
    assert_eq!(
        first
            .deliver(&d::pr_labeled(
                O,
                R,
                5,
                "intent-to-merge",
                "alice",
                "e2e-sha"
            ))
            .await,
        202
    );
    wait(&gh, "status comment", 10, |g| {
        g.comments(O, R, 5)
            .iter()
            .any(|c| c.body.starts_with("<!-- tacit:intent -->"))
    })
    .await;
    // The check run follows the status comment; give it a moment to be in flight (a
    // separate process with a held request: there is nothing to drive, only to wait).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        gh.count("POST", "/check-runs"),
        0,
        "the check run must still be in flight"
    );
    first.kill9();
    let killed_at = Instant::now();

    // Down while the window closes (real time passing is the point: kept).
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(gh.merges(O, R, 5).is_empty(), "nobody was running");

    let second = start(&gh, &db, dir.path(), port).await;
    // Well inside the 60 s lease the killed process held.
    wait(&gh, "merge after restart", 25, |g| {
        !g.merges(O, R, 5).is_empty()
    })
    .await;
    eprintln!("merged {:?} after the kill", killed_at.elapsed());
    // A separate process cannot be driven to completion from here: a doubled merge
    // would show within this wait (kept).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(gh.merges(O, R, 5).len(), 1);
    assert_eq!(
        gh.count("PUT", "/pulls/5/merge"),
        1,
        "exactly one merge request"
    );
    assert_eq!(gh.merges(O, R, 5)[0]["sha"], "e2e-sha");
    let status = second.terminate();
    assert!(status.success(), "SIGTERM exits 0, got {status:?}");
}

#[tokio::test]
async fn killed_and_restarted_merges_once_sqlite() {
    killed_and_restarted_merges_once(Db::Sqlite).await;
}

#[tokio::test]
async fn killed_and_restarted_merges_once_postgres() {
    killed_and_restarted_merges_once(Db::Postgres).await;
}

/// A delivery answered 2xx is durable: killed right after the answer, before any
/// processing, the intent still opens after the restart.
#[tokio::test]
async fn a_recorded_delivery_survives_sigkill() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 1s\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh.add_issue(O, R, 6, "dave");
    // GitHub is slow, so processing cannot finish before the kill.
    gh.inject(
        crate::support::fake_github::Fault::slow("GET", "/contents/", Duration::from_secs(3))
            .times(1),
    );
    let db = TestDb::new(Db::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let first = start(&gh, &db, dir.path(), port).await;
    gh.set_labels_by(O, R, 6, &["intent-to-close"], "alice");
    assert_eq!(
        first
            .deliver(&d::issue_labeled(O, R, 6, "intent-to-close", "alice"))
            .await,
        202
    );
    first.kill9();
    assert_eq!(gh.issue(O, R, 6).state, "open");
    let second = start(&gh, &db, dir.path(), port).await;
    wait(&gh, "closed after restart", 20, |g| {
        g.issue(O, R, 6).state == "closed"
    })
    .await;
    second.kill9();
}

#[tokio::test]
async fn missing_configuration_stops_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tacit"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("APP_ID", "1")
        .env(
            "PRIVATE_KEY_PATH",
            format!(
                "{}/tests/fixtures/test-app-key.pem",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WEBHOOK_SECRET"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
}

#[test]
fn check_config_reports_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yml");
    std::fs::write(&good, "window: 48h\ntimezone: Europe/Berlin\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tacit"))
        .args(["check-config", good.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "window: 48h\ntimezone: Mars/Olympus\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tacit"))
        .args(["check-config", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
}

/// A label added while tacit was down for longer than the window (its delivery never
/// came): the built binary, started, finds it, posts its status comment, and gives a
/// whole window from that comment before it merges, exactly once (SPEC 2: nobody is
/// held to a notice they could not see).
async fn a_label_added_while_down_gets_a_whole_window(kind: Db) {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 4s\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh.add_pull(O, R, 6, "dave", "late-sha");
    // Labelled a minute ago, fifteen windows back, while no tacit ran.
    gh.set_now(Some(
        jiff::Timestamp::now() - jiff::SignedDuration::from_mins(1),
    ));
    gh.set_labels_by(O, R, 6, &["intent-to-merge"], "alice");
    gh.set_now(None);
    let db = TestDb::new(kind).await;
    let dir = tempfile::tempdir().unwrap();
    let tacit = start(&gh, &db, dir.path(), free_port()).await;
    wait(&gh, "merge after a whole window", 30, |g| {
        !g.merges(O, R, 6).is_empty()
    })
    .await;
    let requests = gh.requests();
    let noticed = requests
        .iter()
        .find(|r| {
            r.method == "POST"
                && r.path.ends_with("/issues/6/comments")
                && r.body["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("<!-- tacit:intent -->"))
        })
        .expect("the status comment was posted")
        .at;
    let merged = requests
        .iter()
        .find(|r| r.method == "PUT" && r.path.ends_with("/pulls/6/merge"))
        .expect("the merge request")
        .at;
    // GitHub's `created_at` has whole seconds, so the window may start up to a second
    // before the comment was sent: never less than 3 s of the 4 s window between them.
    let between = merged.duration_since(noticed);
    assert!(
        between >= Duration::from_secs(3),
        "merged {between:?} after the status comment"
    );
    assert_eq!(gh.count("PUT", "/pulls/6/merge"), 1);
    assert!(tacit.terminate().success());
}

#[tokio::test]
async fn a_label_added_while_down_gets_a_whole_window_sqlite() {
    a_label_added_while_down_gets_a_whole_window(Db::Sqlite).await;
}

#[tokio::test]
async fn a_label_added_while_down_gets_a_whole_window_postgres() {
    a_label_added_while_down_gets_a_whole_window(Db::Postgres).await;
}
