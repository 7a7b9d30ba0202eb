//! Whole-intent scenarios: the real server (HTTP, store, engine, GitHub client)
//! against the fake GitHub, driven with real webhook payloads, on windows of seconds.

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, Tacit, TestDb, WINDOW, wait};
use tacit::core::intent::{Intent, Outcome, Status};

const O: &str = "octo";
const R: &str = "repo";

/// A repository with a short window, a maintainer `alice` and a writer `bob`.
async fn world(config: &str) -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", config);
    gh.set_permission(O, R, "alice", "maintain");
    gh.set_permission(O, R, "bob", "write");
    gh.set_permission(O, R, "carol", "write");
    gh
}

/// Item `n`'s intent as tacit stored it.
async fn stored(t: &Tacit, n: u64) -> Intent {
    t.intent(&format!("{O}/{R}"), n)
        .await
        .expect("an intent is stored")
        .intent
}

fn bot_comments(gh: &FakeGitHub, n: u64) -> Vec<crate::support::fake_github::Comment> {
    gh.comments(O, R, n)
        .into_iter()
        .filter(|c| c.author.ends_with("[bot]"))
        .collect()
}

fn status_comments(gh: &FakeGitHub, n: u64) -> Vec<crate::support::fake_github::Comment> {
    bot_comments(gh, n)
        .into_iter()
        .filter(|c| c.body.starts_with("<!-- tacit:intent -->"))
        .collect()
}

async fn label_pr(gh: &FakeGitHub, t: &Tacit, n: u64, label: &str, by: &str, sha: &str) {
    gh.set_labels_by(O, R, n, &[label], by);
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, n, label, by, sha)).await,
        202
    );
}

async fn label_issue(gh: &FakeGitHub, t: &Tacit, n: u64, label: &str, by: &str) {
    gh.set_labels_by(O, R, n, &[label], by);
    assert_eq!(t.deliver(&d::issue_labeled(O, R, n, label, by)).await, 202);
}

async fn unopposed_merge(db: Db) {
    let gh = world(WINDOW).await;
    gh.add_pull(O, R, 7, "dave", "abc123");
    let db = TestDb::new(db).await;
    let t = Tacit::start(&gh, &db).await;
    label_pr(&gh, &t, 7, "intent-to-merge", "alice", "abc123").await;

    wait(&gh, "status comment", 5, |g| {
        !status_comments(g, 7).is_empty()
    })
    .await;
    assert!(
        gh.merges(O, R, 7).is_empty(),
        "must not merge before the window closes"
    );
    wait(&gh, "merge", 10, |g| !g.merges(O, R, 7).is_empty()).await;
    wait(&gh, "label removed", 5, |g| {
        !g.issue(O, R, 7)
            .labels
            .iter()
            .any(|l| l == "intent-to-merge")
    })
    .await;
    wait(&gh, "outcome comment", 5, |g| bot_comments(g, 7).len() == 2).await;

    let merges = gh.merges(O, R, 7);
    assert_eq!(merges.len(), 1);
    assert_eq!(
        merges[0]["sha"], "abc123",
        "the merge must pin the head that was shown"
    );
    assert!(gh.issue(O, R, 7).merged);
    wait(&gh, "status shows the outcome", 5, |g| {
        status_comments(g, 7)
            .iter()
            .any(|c| c.body.contains("Merged"))
    })
    .await;
    assert_eq!(
        status_comments(&gh, 7).len(),
        1,
        "one status comment, edited in place"
    );
    let runs = gh.check_runs(O, R);
    assert!(
        runs.iter()
            .any(|r| r["name"] == "tacit" && r["conclusion"] == "success"),
        "{runs:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn unopposed_merge_sqlite() {
    unopposed_merge(Db::Sqlite).await;
}

#[tokio::test]
async fn unopposed_merge_postgres() {
    unopposed_merge(Db::Postgres).await;
}

#[tokio::test]
async fn issue_is_closed_with_a_comment() {
    let gh = world(WINDOW).await;
    gh.add_issue(O, R, 3, "dave");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label_issue(&gh, &t, 3, "intent-to-close", "alice").await;
    wait(&gh, "closed", 10, |g| g.issue(O, R, 3).state == "closed").await;
    let issue = gh.issue(O, R, 3);
    assert_eq!(issue.state_reason.as_deref(), Some("not_planned"));
    wait(&gh, "label removed", 5, |g| {
        g.issue(O, R, 3).labels.is_empty()
    })
    .await;
    assert_eq!(stored(&t, 3).await.outcome, Some(Outcome::Closed));
    let comments = bot_comments(&gh, 3);
    assert!(
        comments
            .iter()
            .any(|c| c.body.contains("<!-- tacit:outcome:")),
        "an outcome comment: {comments:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn proceed_adds_consented() {
    let gh = world(WINDOW).await;
    gh.add_issue(O, R, 4, "dave");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label_issue(&gh, &t, 4, "intent-to-proceed", "alice").await;
    wait(&gh, "consented", 10, |g| {
        g.issue(O, R, 4).labels == vec!["consented".to_string()]
    })
    .await;
    assert_eq!(gh.issue(O, R, 4).state, "open");
    assert!(gh.repo_labels(O, R).contains(&"consented".to_string()));
    t.stop().await;
}

#[tokio::test]
async fn objection_blocks_and_withdrawal_then_acts() {
    let gh = world(WINDOW).await;
    gh.add_pull(O, R, 8, "dave", "sha8");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label_pr(&gh, &t, 8, "intent-to-merge", "alice", "sha8").await;
    wait(&gh, "status comment", 5, |g| {
        !status_comments(g, 8).is_empty()
    })
    .await;

    let id = gh.add_comment(O, R, 8, "bob", "/object this breaks the API");
    assert_eq!(
        t.deliver(&d::comment_created(
            O,
            R,
            8,
            true,
            id,
            "bob",
            "/object this breaks the API"
        ))
        .await,
        202
    );
    t.wait_intent(&format!("{O}/{R}"), 8, "objection stored", 5, |r| {
        !r.intent.objections.is_empty()
    })
    .await;
    t.settle().await;
    let i = stored(&t, 8).await;
    assert_eq!(i.objections.len(), 1, "{:?}", i.objections);
    assert_eq!(
        (
            i.objections[0].who.as_str(),
            i.objections[0].reason.as_str()
        ),
        ("bob", "this breaks the API")
    );
    // Blocked: nothing is scheduled, so the window's end cannot act.
    assert_eq!(i.status(), Status::Blocked);
    assert_eq!(i.next_due(), None, "an open objection must block the merge");
    assert!(gh.merges(O, R, 8).is_empty());
    let runs = gh.check_runs(O, R);
    assert!(
        runs.iter().any(|r| r["status"] == "in_progress"),
        "{runs:?}"
    );

    let id2 = gh.add_comment(O, R, 8, "bob", "/withdraw");
    assert_eq!(
        t.deliver(&d::comment_created(O, R, 8, true, id2, "bob", "/withdraw"))
            .await,
        202
    );
    // after_objection is 1s in WINDOW.
    wait(&gh, "merge after withdrawal", 10, |g| {
        g.merges(O, R, 8).len() == 1
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn one_persons_withdrawal_does_not_lift_anothers_objection() {
    let gh = world(WINDOW).await;
    gh.add_pull(O, R, 9, "dave", "sha9");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label_pr(&gh, &t, 9, "intent-to-merge", "alice", "sha9").await;
    for (who, body) in [
        ("bob", "/object no"),
        ("carol", "/object also no"),
        ("bob", "/withdraw"),
    ] {
        let id = gh.add_comment(O, R, 9, who, body);
        assert_eq!(
            t.deliver(&d::comment_created(O, R, 9, true, id, who, body))
                .await,
            202
        );
    }
    t.settle().await;
    let i = stored(&t, 9).await;
    let objectors: Vec<&str> = i.objections.iter().map(|o| o.who.as_str()).collect();
    assert_eq!(objectors, ["carol"], "bob withdrew, carol did not");
    // Blocked: nothing is scheduled, so the window's end cannot act.
    assert_eq!(i.status(), Status::Blocked);
    assert_eq!(i.next_due(), None);
    assert!(gh.merges(O, R, 9).is_empty());
    t.stop().await;
}

#[tokio::test]
async fn removing_the_label_cancels() {
    let gh = world(WINDOW).await;
    gh.add_pull(O, R, 10, "dave", "sha10");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label_pr(&gh, &t, 10, "intent-to-merge", "alice", "sha10").await;
    wait(&gh, "status comment", 5, |g| {
        !status_comments(g, 10).is_empty()
    })
    .await;
    gh.set_labels(O, R, 10, &[]);
    assert_eq!(
        t.deliver(&d::pr_unlabeled(O, R, 10, "intent-to-merge", "alice"))
            .await,
        202
    );
    t.settle().await;
    let i = stored(&t, 10).await;
    assert!(
        matches!(i.outcome, Some(Outcome::LabelRemoved { .. })),
        "{:?}",
        i.outcome
    );
    assert!(gh.merges(O, R, 10).is_empty());
    let runs = gh.check_runs(O, R);
    assert!(
        runs.iter().any(|r| r["conclusion"] == "cancelled"),
        "{runs:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn closing_the_pull_request_by_hand_cancels() {
    let gh = world(WINDOW).await;
    gh.add_pull(O, R, 11, "dave", "sha11");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label_pr(&gh, &t, 11, "intent-to-merge", "alice", "sha11").await;
    wait(&gh, "status comment", 5, |g| {
        !status_comments(g, 11).is_empty()
    })
    .await;
    gh.close(O, R, 11);
    assert_eq!(t.deliver(&d::pr_closed(O, R, 11, false, "bob")).await, 202);
    t.settle().await;
    let i = stored(&t, 11).await;
    assert!(
        matches!(i.outcome, Some(Outcome::ItemClosed { merged: false, .. })),
        "{:?}",
        i.outcome
    );
    assert!(gh.merges(O, R, 11).is_empty());
    assert_eq!(gh.count("PUT", "/merge"), 0);
    t.stop().await;
}

#[tokio::test]
async fn the_same_delivery_three_times_acts_once() {
    let gh = world(WINDOW).await;
    gh.add_pull(O, R, 12, "dave", "sha12");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    gh.set_labels_by(O, R, 12, &["intent-to-merge"], "alice");
    let delivery = d::pr_labeled(O, R, 12, "intent-to-merge", "alice", "sha12");
    assert_eq!(t.deliver(&delivery).await, 202);
    assert_eq!(t.deliver(&delivery).await, 200);
    assert_eq!(t.deliver(&delivery).await, 200);
    wait(&gh, "merge", 10, |g| g.merges(O, R, 12).len() == 1).await;
    wait(&gh, "outcome", 5, |g| bot_comments(g, 12).len() == 2).await;
    t.settle().await;
    assert_eq!(gh.count("PUT", "/merge"), 1);
    assert_eq!(status_comments(&gh, 12).len(), 1);
    assert_eq!(
        bot_comments(&gh, 12).len(),
        2,
        "one status comment and one outcome comment"
    );
    t.stop().await;
}

#[tokio::test]
async fn early_approval_acts_before_the_window() {
    let gh = world("window: 1h\n").await;
    gh.add_pull(O, R, 13, "dave", "sha13");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label_pr(&gh, &t, 13, "intent-to-merge", "alice", "sha13").await;
    wait(&gh, "status comment", 5, |g| {
        !status_comments(g, 13).is_empty()
    })
    .await;
    let id = gh.add_comment(O, R, 13, "bob", "/approve");
    assert_eq!(
        t.deliver(&d::comment_created(O, R, 13, true, id, "bob", "/approve"))
            .await,
        202
    );
    wait(&gh, "early merge", 10, |g| g.merges(O, R, 13).len() == 1).await;
    t.stop().await;
}
