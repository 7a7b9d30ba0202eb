//! Nothing is lost while tacit is down: missed deliveries are redelivered, labels added
//! meanwhile open their intents, items closed meanwhile end theirs.

use std::time::Duration;

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, Tacit, TestDb, wait};
use tacit::core::intent::{Outcome, Status};

const O: &str = "octo";
const R: &str = "repo";

async fn world() -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 2s\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh
}

async fn label_added_while_down_opens_at_start(kind: Db) {
    let gh = world().await;
    gh.add_pull(O, R, 21, "dave", "sha21");
    // Labelled while tacit was not running: no delivery will ever come.
    gh.set_labels_by(O, R, 21, &["intent-to-merge"], "alice");
    let db = TestDb::new(kind).await;
    let t = Tacit::start(&gh, &db).await;
    wait(&gh, "merge of the missed label", 15, |g| {
        g.merges(O, R, 21).len() == 1
    })
    .await;
    assert_eq!(gh.merges(O, R, 21)[0]["sha"], "sha21");
    t.stop().await;

    // Started again: the label is gone and the intent is done; nothing more happens,
    // after a reconciliation pass (as at start) and all the work it causes.
    let t = Tacit::start(&gh, &db).await;
    t.reconcile().await;
    t.settle().await;
    assert_eq!(gh.count("PUT", "/merge"), 1);
    let i = t
        .intent(&format!("{O}/{R}"), 21)
        .await
        .expect("stored")
        .intent;
    assert_eq!(i.status(), Status::Ended);
    assert_eq!(i.next_due(), None);
    t.stop().await;
}

#[tokio::test]
async fn label_added_while_down_opens_at_start_sqlite() {
    label_added_while_down_opens_at_start(Db::Sqlite).await;
}

#[tokio::test]
async fn label_added_while_down_opens_at_start_postgres() {
    label_added_while_down_opens_at_start(Db::Postgres).await;
}

#[tokio::test]
async fn failed_deliveries_not_recorded_are_redelivered() {
    let gh = world().await;
    gh.add_issue(O, R, 22, "dave");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    let seen = d::issue_unlabeled(O, R, 22, "bug", "alice");
    assert_eq!(t.deliver(&seen).await, 202);
    t.stop().await;

    let now = jiff::Timestamp::now().to_string();
    let recorded = gh.add_failed_delivery(&seen.id, "issues", "unlabeled", &now);
    let missed = gh.add_failed_delivery("missed-guid-1", "issues", "labeled", &now);
    let fine = gh.add_delivery("fine-guid-1", "issues", "opened", &now, 200);
    let t = Tacit::start(&gh, &db).await;
    wait(&gh, "redelivery requested", 10, |g| {
        g.redelivery_requests().contains(&missed)
    })
    .await;
    // The rest of the start-up pass (not work that `settle` drives): kept.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = gh.redelivery_requests();
    assert!(
        !asked.contains(&recorded),
        "a delivery tacit recorded is not asked for again"
    );
    assert!(
        !asked.contains(&fine),
        "a successful delivery is not asked for"
    );
    assert_eq!(asked.iter().filter(|id| **id == missed).count(), 1);
    t.stop().await;
}

#[tokio::test]
async fn item_closed_while_down_ends_its_intent() {
    let gh = world().await;
    gh.set_file(O, R, ".github/tacit.yml", "window: 1h\n");
    gh.add_pull(O, R, 23, "dave", "sha23");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    gh.set_labels_by(O, R, 23, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(
            O,
            R,
            23,
            "intent-to-merge",
            "alice",
            "sha23"
        ))
        .await,
        202
    );
    wait(&gh, "status comment", 5, |g| {
        g.comments(O, R, 23).len() == 1
    })
    .await;
    t.stop().await;

    gh.close(O, R, 23);
    let t = Tacit::start(&gh, &db).await;
    let row = t
        .wait_intent(&format!("{O}/{R}"), 23, "intent ended", 10, |r| {
            r.intent.is_done()
        })
        .await;
    assert!(
        matches!(
            row.intent.outcome,
            Some(Outcome::ItemClosed { merged: false, .. })
        ),
        "{:?}",
        row.intent.outcome
    );
    assert!(gh.merges(O, R, 23).is_empty());
    t.stop().await;
}

/// The sweep lists each label's open items once per repository: intents whose item is
/// still open and labelled cost no request of their own; one whose label was removed
/// while tacit was down is read and ended.
#[tokio::test]
async fn the_sweep_lists_labels_instead_of_reading_every_item() {
    let gh = world().await;
    gh.set_file(O, R, ".github/tacit.yml", "window: 1h\n");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    for n in 31..=36 {
        gh.add_issue(O, R, n, "dave");
        gh.set_labels_by(O, R, n, &["intent-to-close"], "alice");
        assert_eq!(
            t.deliver(&d::issue_labeled(O, R, n, "intent-to-close", "alice"))
                .await,
            202
        );
    }
    wait(&gh, "six status comments", 10, |g| {
        (31..=36).all(|n| g.comments(O, R, n).len() == 1)
    })
    .await;
    t.stop().await;

    gh.set_labels(O, R, 33, &[]);
    let before = gh.requests().len();
    let t = Tacit::start(&gh, &db).await;
    wait(&gh, "the unlabelled intent ended", 10, |g| {
        g.comments(O, R, 33).len() == 2
    })
    .await;
    // The rest of the start-up pass (not work that `settle` drives): kept.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let item_reads: Vec<String> = gh
        .requests()
        .into_iter()
        .skip(before)
        .filter(|r| r.method == "GET" && r.path.contains(&format!("/repos/{O}/{R}/issues/")))
        .map(|r| r.path)
        .collect();
    assert!(
        item_reads.iter().all(|p| p.contains("/issues/33")),
        "only the vanished item is read on its own: {item_reads:?}"
    );
    for n in [31, 32, 34, 35, 36] {
        assert_eq!(gh.issue(O, R, n).state, "open");
        assert_eq!(gh.comments(O, R, n).len(), 1, "#{n} untouched");
    }
    t.stop().await;
}
