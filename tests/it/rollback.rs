//! Rollback, end to end: the previous release's binary (the commit in
//! `tests/fixtures/previous-release`, built from this repository's history by
//! `scripts/previous-release`) starts on a database this release migrated further and
//! wrote, carries on the intents this release opened (counting an objection, acting on
//! an unopposed window once), and this release, started again, acts on nothing twice.
//! On SQLite and PostgreSQL.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tacit::store::Store;

use crate::support::binary::{free_port, start, start_program};
use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, TestDb, wait};

const O: &str = "octo";
const R: &str = "repo";

/// The previous release's binary, built on first use (a few minutes; then reused).
fn previous_release() -> PathBuf {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/previous-release");
    let out = Command::new(script)
        .output()
        .expect("scripts/previous-release runs");
    assert!(
        out.status.success(),
        "scripts/previous-release failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    assert!(path.is_file(), "{} is not a file", path.display());
    path
}

fn is_status(body: &str) -> bool {
    body.starts_with("<!-- tacit:intent -->")
}

async fn the_previous_release_carries_on_after_a_rollback(kind: Db) {
    let previous = previous_release();
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 20s\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh.set_permission(O, R, "bob", "write");
    gh.add_issue(O, R, 7, "dave");
    gh.add_issue(O, R, 8, "dave");
    let db = TestDb::new(kind).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();

    // This release migrates the database (a migration the previous release does not
    // have) and opens two intents.
    let current = start(&gh, &db, dir.path(), port).await;
    for n in [7, 8] {
        gh.set_labels_by(O, R, n, &["intent-to-close"], "alice");
        assert_eq!(
            current
                .deliver(&d::issue_labeled(O, R, n, "intent-to-close", "alice"))
                .await,
            202
        );
    }
    wait(&gh, "both status comments", 15, |g| {
        [7, 8]
            .iter()
            .all(|&n| g.comments(O, R, n).iter().any(|c| is_status(&c.body)))
    })
    .await;
    assert!(current.stop().await.success(), "SIGTERM exits 0");

    // Rolled back: the previous release starts on this database ...
    let rolled_back = start_program(&previous, &gh, &db, dir.path(), port, &[]).await;
    // ... counts an objection on an intent this release opened ...
    let id = gh.add_comment(O, R, 8, "bob", "/object not this week");
    assert_eq!(
        rolled_back
            .deliver(&d::comment_created(
                O,
                R,
                8,
                false,
                id,
                "bob",
                "/object not this week"
            ))
            .await,
        202
    );
    // ... and closes the unopposed one when its window closes.
    wait(&gh, "issue 7 closed by the previous release", 45, |g| {
        g.issue(O, R, 7).state == "closed"
    })
    .await;
    wait(&gh, "the objection in issue 8's status comment", 15, |g| {
        g.comments(O, R, 8)
            .iter()
            .any(|c| is_status(&c.body) && c.body.contains("not this week"))
    })
    .await;
    assert!(rolled_back.stop().await.success(), "SIGTERM exits 0");

    // Forward again: this release reads what the previous one wrote, acts on nothing
    // twice, and the objection still holds issue 8 past its window.
    let again = start(&gh, &db, dir.path(), port).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        gh.count("PATCH", "/issues/7"),
        1,
        "issue 7 closed exactly once"
    );
    assert_eq!(gh.issue(O, R, 8).state, "open", "the objection holds");
    assert!(again.stop().await.success());
    let store = Store::connect(&db.url).await.unwrap();
    let eight = store
        .open_intent_for(&format!("{O}/{R}"), 8)
        .await
        .unwrap()
        .expect("issue 8's intent is still open");
    assert_eq!(eight.intent.objections.len(), 1);
    assert_eq!(eight.intent.objections[0].who, "bob");
    assert!(
        store
            .open_intent_for(&format!("{O}/{R}"), 7)
            .await
            .unwrap()
            .is_none(),
        "issue 7's intent ended"
    );
    store.close().await;
}

#[tokio::test]
async fn the_previous_release_carries_on_after_a_rollback_sqlite() {
    the_previous_release_carries_on_after_a_rollback(Db::Sqlite).await;
}

#[tokio::test]
async fn the_previous_release_carries_on_after_a_rollback_postgres() {
    the_previous_release_carries_on_after_a_rollback(Db::Postgres).await;
}
