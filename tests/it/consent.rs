//! Consent rules on GitHub's terms (SPEC 2-5): GitHub's order, not arrival's; edits
//! count only what they added, in the name of who made them; payloads are re-read
//! before anything ends; windows open when the status comment appears; a second
//! intent label stays ignored; nothing is stuck; drafts wait; the defaults are named.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;

use crate::support::deliveries as d;
use crate::support::fake_github::{FakeGitHub, Fault};
use tacit::core::intent::{Note, Outcome, Source, Status, Step};

use crate::support::tacit::{Db, Tacit, wait};
use crate::support::world::{O, R, comment, open_pr, outcome, start, status, stored, wait_stored};

async fn world(config: Option<&str>) -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    if let Some(config) = config {
        gh.set_file(O, R, ".github/tacit.yml", config);
    }
    for (who, role) in [
        ("alice", "maintain"),
        ("bob", "write"),
        ("carol", "write"),
        ("erin", "read"),
    ] {
        gh.set_permission(O, R, who, role);
    }
    gh
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

#[tokio::test]
async fn approvals_count_by_githubs_time_and_edits_only_by_what_they_added() {
    let gh = world(Some("window: 1h\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 50, "s50").await;
    // An `/approve` written an hour before the label, delivered now (late, or replayed
    // under a new delivery id): it does not count.
    let old = gh.add_comment(O, R, 50, "bob", "/approve");
    let an_hour_ago = (Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
    let late = d::comment_created(O, R, 50, true, old, "bob", "/approve").edit(|v| {
        v["comment"]["created_at"] = json!(an_hour_ago);
        v["comment"]["updated_at"] = json!(an_hour_ago);
    });
    assert_eq!(t.deliver(&late).await, 202);
    // Its author edits an unrelated line: the `/approve` was there before, so the edit
    // added no command.
    let edit = d::comment_edited(
        O,
        R,
        50,
        true,
        old,
        "bob",
        "/approve\nfixed a typo",
        "/approve\nfixd a typo",
        "bob",
    );
    assert_eq!(t.deliver(&edit).await, 202);
    // An edit whose old body GitHub did not send: only objections would count.
    let unknown = d::comment_edited(O, R, 50, true, old, "bob", "/approve", "", "bob")
        .edit(|v| v["changes"] = json!({}));
    assert_eq!(t.deliver(&unknown).await, 202);
    t.settle().await;
    let i = stored(&t, 50).await;
    assert!(i.approvals.is_empty(), "{:?}", i.approvals);
    assert_eq!(i.status(), Status::Open);
    assert!(gh.merges(O, R, 50).is_empty());
    // A fresh approval counts at once.
    comment(&gh, &t, 50, "carol", "/approve").await;
    wait(&gh, "early merge", 10, |g| g.merges(O, R, 50).len() == 1).await;
    t.stop().await;
}

#[tokio::test]
async fn an_edit_by_someone_else_objects_in_the_editors_name_and_cannot_approve() {
    let gh = world(Some("window: 1h\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 51, "s51").await;
    let id = comment(&gh, &t, 51, "bob", "Looks reasonable.").await;
    let by_carol = d::comment_edited(
        O,
        R,
        51,
        true,
        id,
        "bob",
        "Looks reasonable.\n/object the migration is missing",
        "Looks reasonable.",
        "carol",
    );
    assert_eq!(t.deliver(&by_carol).await, 202);
    let i = wait_stored(&t, 51, "carol's objection", 10, |i| {
        !i.objections.is_empty()
    })
    .await;
    let o = &i.objections[..];
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(
        (
            o[0].who.as_str(),
            o[0].reason.as_str(),
            o[0].edited_from.as_deref()
        ),
        ("carol", "the migration is missing", Some("bob")),
        "in the editor's name, added to bob's comment"
    );
    assert_eq!(o[0].source, Source::Comment(id));
    // alice edits carol's... no: alice edits bob's comment to add an approval for him.
    let approve_for_bob = d::comment_edited(
        O,
        R,
        51,
        true,
        id,
        "bob",
        "Looks reasonable.\n/approve",
        "Looks reasonable.",
        "alice",
    );
    assert_eq!(t.deliver(&approve_for_bob).await, 202);
    t.settle().await;
    let i = stored(&t, 51).await;
    assert!(i.approvals.is_empty(), "{:?}", i.approvals);
    assert_eq!(i.objections.len(), 1, "{:?}", i.objections);
    t.stop().await;
}

#[tokio::test]
async fn replayed_closed_and_unlabeled_payloads_end_nothing_without_the_api_agreeing() {
    let gh = world(Some("window: 1h\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 52, "s52").await;
    // GitHub says the pull request is open and labelled; these payloads are stale.
    assert_eq!(
        t.deliver(&d::pr_closed(O, R, 52, false, "mallory")).await,
        202
    );
    assert_eq!(
        t.deliver(&d::pr_unlabeled(O, R, 52, "intent-to-merge", "mallory"))
            .await,
        202
    );
    t.settle().await;
    let i = stored(&t, 52).await;
    assert_eq!(i.status(), Status::Open, "{:?}", i.outcome);
    // Really removed: now it ends.
    gh.set_labels(O, R, 52, &[]);
    assert_eq!(
        t.deliver(&d::pr_unlabeled(O, R, 52, "intent-to-merge", "alice"))
            .await,
        202
    );
    let i = wait_stored(&t, 52, "ended", 10, |i| i.is_done()).await;
    assert!(
        matches!(i.outcome, Some(Outcome::LabelRemoved { .. })),
        "{:?}",
        i.outcome
    );
    t.stop().await;
}

async fn a_label_learned_late_gets_a_whole_window(kind: Db) {
    let gh = world(Some("window: 1h\n")).await;
    gh.add_pull(O, R, 53, "dave", "s53");
    // Labelled five hours ago, while tacit was not running.
    gh.set_now(Some(Timestamp::now() - jiff::SignedDuration::from_hours(5)));
    gh.set_labels_by(O, R, 53, &["intent-to-merge"], "alice");
    gh.set_now(None);
    let (_db, t) = start(&gh, kind).await;
    wait(&gh, "status comment", 15, |g| !status(g, 53).is_empty()).await;
    let posted = gh
        .comments(O, R, 53)
        .into_iter()
        .find(|c| c.body.starts_with("<!-- tacit:intent -->"))
        .map(|c| ts(&c.created_at))
        .expect("the status comment");
    // A whole window from the status comment, not from the label (once its answer is
    // recorded).
    t.settle().await;
    let i = stored(&t, 53).await;
    assert_eq!(i.noticed_at(), Some(posted));
    let close = i.closes_at();
    assert!(
        close >= posted + jiff::SignedDuration::from_hours(1),
        "closes {close}, posted {posted}"
    );
    assert_eq!(i.next_due(), Some(close));
    assert!(gh.merges(O, R, 53).is_empty());
    t.stop().await;
}

#[tokio::test]
async fn a_label_learned_late_gets_a_whole_window_sqlite() {
    a_label_learned_late_gets_a_whole_window(Db::Sqlite).await;
}

#[tokio::test]
async fn a_label_learned_late_gets_a_whole_window_postgres() {
    a_label_learned_late_gets_a_whole_window(Db::Postgres).await;
}

#[tokio::test]
async fn objections_and_standing_reviews_made_before_tacit_knew_of_the_intent_block() {
    let gh = world(Some("window: 2s\n")).await;
    gh.add_pull(O, R, 54, "dave", "s54");
    // Before the label: bob requested changes (still standing); carol's old request
    // was followed by her approval.
    gh.add_review(O, R, 54, "bob", "CHANGES_REQUESTED", "needs a test", "s54");
    gh.add_review(O, R, 54, "carol", "CHANGES_REQUESTED", "old worry", "s54");
    gh.add_review(O, R, 54, "carol", "APPROVED", "", "s54");
    gh.set_labels_by(O, R, 54, &["intent-to-merge"], "alice");
    // While tacit was down, after the label: an objection whose delivery is lost.
    gh.add_comment(O, R, 54, "carol", "/object wait for the release");
    let (_db, t) = start(&gh, Db::Sqlite).await;
    wait_stored(&t, 54, "both objections", 15, |i| i.objections.len() >= 2).await;
    // Whatever the reconciliation and the deliveries still cause, done.
    t.settle().await;
    let i = stored(&t, 54).await;
    let mut objections: Vec<(&str, &str)> = i
        .objections
        .iter()
        .map(|o| (o.who.as_str(), o.reason.as_str()))
        .collect();
    objections.sort();
    // carol's old request was followed by her approval: not among them.
    assert_eq!(
        objections,
        [("bob", "needs a test"), ("carol", "wait for the release")]
    );
    // Blocked: nothing is scheduled, so the window's end cannot act.
    assert_eq!(i.status(), Status::Blocked);
    assert_eq!(i.next_due(), None);
    assert!(gh.merges(O, R, 54).is_empty());
    t.stop().await;
}

#[tokio::test]
async fn a_second_intent_label_stays_ignored_after_the_first_ends() {
    let gh = world(Some("window: 1h\n")).await;
    let (db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 55, "s55").await;
    // Added seconds after the first label (GitHub's times have whole seconds): kept.
    tokio::time::sleep(Duration::from_secs(3)).await;
    gh.set_labels_by(O, R, 55, &["intent-to-merge", "intent-to-close"], "bob");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 55, "intent-to-close", "bob", "s55"))
            .await,
        202
    );
    wait_stored(&t, 55, "ignored", 10, |i| {
        i.notes.contains(&Note::OtherLabel {
            label: "intent-to-close".into(),
            by: "bob".into(),
        })
    })
    .await;
    comment(&gh, &t, 55, "alice", "/cancel").await;
    wait(&gh, "cancelled", 10, |g| !outcome(g, 55).is_empty()).await;
    t.stop().await;
    // Restarted: the reconciler sees `intent-to-close` on an item with no open intent.
    // A fence: an issue labelled while down opens (later in the same pass).
    gh.add_issue(O, R, 56, "dave");
    gh.set_labels_by(O, R, 56, &["intent-to-proceed"], "alice");
    let t = Tacit::start(&gh, &db).await;
    wait(&gh, "the fence opened", 15, |g| !status(g, 56).is_empty()).await;
    let tacit_comments = gh
        .comments(O, R, 55)
        .into_iter()
        .filter(|c| c.body.starts_with("<!-- tacit:intent -->"))
        .count();
    assert_eq!(tacit_comments, 1, "nothing new opened on #55");
    t.stop().await;
}

#[tokio::test]
async fn an_unexpected_4xx_while_merging_ends_the_intent_with_the_reason() {
    let gh = world(Some("window: 2s\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.inject(Fault::new("PUT", "/pulls/57/merge", 400));
    open_pr(&gh, &t, 57, "s57").await;
    wait(&gh, "ended", 15, |g| !outcome(g, 57).is_empty()).await;
    let i = stored(&t, 57).await;
    assert!(
        matches!(
            i.outcome,
            Some(Outcome::Failed {
                step: Step::Merge,
                ..
            })
        ),
        "{:?}",
        i.outcome
    );
    let runs = gh.check_runs(O, R);
    assert!(
        runs.iter()
            .any(|r| r["conclusion"] == "failure" && r["head_sha"] == "s57"),
        "{runs:?}"
    );
    assert!(
        gh.issue(O, R, 57).labels.is_empty(),
        "the label was removed"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_unreadable_answer_before_acting_ends_the_intent() {
    let gh = world(Some("window: 2s\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 58, "s58").await;
    // From now on the re-read's permission answer is not JSON.
    gh.inject(Fault::new("GET", "/collaborators/alice/permission", 200).body(json!("<html>")));
    wait(&gh, "ended", 15, |g| !outcome(g, 58).is_empty()).await;
    let i = stored(&t, 58).await;
    assert!(
        matches!(
            i.outcome,
            Some(Outcome::Failed {
                step: Step::Verify,
                ..
            })
        ),
        "{:?}",
        i.outcome
    );
    assert!(gh.merges(O, R, 58).is_empty());
    t.stop().await;
}

#[tokio::test]
async fn a_draft_waits_for_ready_for_review_and_then_merges() {
    let gh = world(Some("window: 2s\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 59, "dave", "s59");
    gh.set_draft(O, R, 59, true);
    gh.set_labels_by(O, R, 59, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 59, "intent-to-merge", "alice", "s59"))
            .await,
        202
    );
    let i = wait_stored(&t, 59, "waiting for the draft", 15, |i| {
        i.status() == Status::WaitingForDraft
    })
    .await;
    assert!(i.refusal.is_none(), "{:?}", i.refusal);
    gh.set_draft(O, R, 59, false);
    let ready = d::pr_labeled(O, R, 59, "intent-to-merge", "dave", "s59")
        .edit(|v| v["action"] = json!("ready_for_review"));
    assert_eq!(t.deliver(&ready).await, 202);
    wait(&gh, "merge after ready for review", 15, |g| {
        g.merges(O, R, 59).len() == 1
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn without_any_readable_file_the_status_comment_names_the_defaults() {
    // No file here; the owner's `.github` answers 404 (not covered, or no file).
    let gh = world(None).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 60, "s60").await;
    let s = status(&gh, 60);
    assert!(s.contains("the defaults (a 3d window"), "{s}");
    assert!(s.contains("installed on `octo/.github`"), "{s}");

    // 403 from the owner's `.github`: the intent still opens, with the same note.
    gh.inject(Fault::new("GET", "/repos/octo/.github/contents", 403));
    open_pr(&gh, &t, 61, "s61").await;
    assert!(status(&gh, 61).contains("installed on `octo/.github`"));
    t.stop().await;
}

#[tokio::test]
async fn missed_deliveries_are_asked_for_oldest_first() {
    let gh = world(Some("window: 1h\n")).await;
    let now = Timestamp::now();
    let at = |mins: i64| (now - jiff::SignedDuration::from_mins(mins)).to_string();
    let oldest = gh.add_failed_delivery("missed-a", "issue_comment", "created", &at(30));
    let newest = gh.add_failed_delivery("missed-c", "issue_comment", "created", &at(10));
    let middle = gh.add_failed_delivery("missed-b", "issues", "labeled", &at(20));
    let (_db, t) = start(&gh, Db::Sqlite).await;
    wait(&gh, "three redeliveries", 10, |g| {
        g.redelivery_requests().len() == 3
    })
    .await;
    assert_eq!(gh.redelivery_requests(), vec![oldest, middle, newest]);
    t.stop().await;
}

#[tokio::test]
async fn a_replayed_repositories_removed_does_not_freeze_a_repository_still_installed() {
    let gh = world(Some("window: 1h\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 62, "s62").await;
    // The installation still covers octo/repo: the payload is stale.
    let removed =
        d::installation_deleted(crate::support::fake_github::DEFAULT_INSTALLATION).edit(|v| {
            v["action"] = json!("removed");
            v["repository_selection"] = json!("selected");
            v["repositories_added"] = json!([]);
            v["repositories_removed"] = json!([{
                "id": 1, "node_id": "R_1", "name": R, "full_name": format!("{O}/{R}"),
                "private": false
            }]);
        });
    let removed = d::Delivery {
        event: "installation_repositories".into(),
        ..removed
    };
    assert_eq!(t.deliver(&removed).await, 202);
    // Deliveries of the installation and of the item are not ordered with each other:
    // the installation's is processed before the comment is delivered.
    t.settle().await;
    comment(&gh, &t, 62, "bob", "/approve").await;
    wait(&gh, "merge: the intent was not frozen", 10, |g| {
        g.merges(O, R, 62).len() == 1
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_status_comment_that_cannot_be_posted_ends_the_intent_instead_of_waiting_forever() {
    let gh = world(Some("window: 2s\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 63, "dave", "s63");
    // The conversation is locked, say: GitHub refuses every new comment.
    gh.inject(Fault::new("POST", "/issues/63/comments", 403).times(1000));
    gh.set_labels_by(O, R, 63, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 63, "intent-to-merge", "alice", "s63"))
            .await,
        202
    );
    // Without its notice the window never opens; the intent ends and takes its label off.
    wait(&gh, "label removed", 15, |g| {
        g.issue(O, R, 63).labels.is_empty()
    })
    .await;
    let runs = gh.check_runs(O, R);
    assert!(
        runs.iter()
            .any(|r| r["conclusion"] == "failure" && r["head_sha"] == "s63"),
        "{runs:?}"
    );
    assert!(gh.merges(O, R, 63).is_empty());
    t.stop().await;
}

#[tokio::test]
async fn a_replayed_installation_deleted_does_not_freeze_an_installation_still_active() {
    let gh = world(Some("window: 1h\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 64, "s64").await;
    let deleted = d::installation_deleted(crate::support::fake_github::DEFAULT_INSTALLATION);
    assert_eq!(t.deliver(&deleted).await, 202);
    // Deliveries of the installation and of the item are not ordered with each other:
    // the installation's is processed before the comment is delivered.
    t.settle().await;
    comment(&gh, &t, 64, "bob", "/approve").await;
    wait(&gh, "merge: nothing was frozen", 10, |g| {
        g.merges(O, R, 64).len() == 1
    })
    .await;
    t.stop().await;
}
