//! The consensus contract through the whole stack (SPEC sections 2-5): permissions,
//! reviews, pushes, configuration errors, refused merges and GitHub failures.

use std::time::Duration;

use crate::support::deliveries as d;
use crate::support::fake_github::{FakeGitHub, Fault};
use crate::support::tacit::{Db, WINDOW, wait};
use crate::support::world::{O, R, comment, open_pr, start, status, stored, wait_stored};
use serde_json::json;
use tacit::core::config::Role;
use tacit::core::intent::{Asked, NotCounted, NotOpened, Note, Outcome, Source, Status};

async fn world(config: &str) -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", config);
    gh.set_permission(O, R, "alice", "maintain");
    gh.set_permission(O, R, "bob", "write");
    gh.set_permission(O, R, "carol", "write");
    gh.set_permission(O, R, "erin", "read");
    gh
}

#[tokio::test]
async fn objection_without_permission_is_a_listed_concern_and_does_not_block() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 30, "s30").await;
    comment(&gh, &t, 30, "erin", "/object I do not like it").await;
    let i = wait_stored(&t, 30, "concern listed", 5, |i| !i.concerns.is_empty()).await;
    assert_eq!(i.concerns.len(), 1, "{:?}", i.concerns);
    let c = &i.concerns[0];
    assert_eq!(c.who, "erin");
    assert_eq!(
        c.asked,
        Some(Asked::Object {
            reason: "I do not like it".into()
        })
    );
    assert_eq!(
        c.reason,
        Some(NotCounted::Permission {
            needs: Role::Write,
            has: Some(Role::Read)
        })
    );
    assert!(i.objections.is_empty(), "{:?}", i.objections);
    wait(&gh, "merge despite the concern", 10, |g| {
        g.merges(O, R, 30).len() == 1
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn changes_requested_review_blocks_until_the_reviewer_approves() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 31, "s31").await;
    let r1 = gh.add_review(
        O,
        R,
        31,
        "bob",
        "CHANGES_REQUESTED",
        "please add tests",
        "s31",
    );
    assert_eq!(
        t.deliver(&d::review_submitted(
            O,
            R,
            31,
            r1,
            "bob",
            "changes_requested",
            "please add tests",
            "s31"
        ))
        .await,
        202
    );
    wait_stored(&t, 31, "review objection", 5, |i| !i.objections.is_empty()).await;
    t.settle().await;
    let i = stored(&t, 31).await;
    let o = &i.objections[..];
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(
        (o[0].who.as_str(), o[0].reason.as_str(), &o[0].source),
        ("bob", "please add tests", &Source::Review(r1))
    );
    // Blocked: nothing is scheduled, so the window's end cannot act.
    assert_eq!(i.status(), Status::Blocked);
    assert_eq!(i.next_due(), None);
    assert!(gh.merges(O, R, 31).is_empty());
    let r2 = gh.add_review(O, R, 31, "bob", "APPROVED", "", "s31");
    assert_eq!(
        t.deliver(&d::review_submitted(
            O, R, 31, r2, "bob", "approved", "", "s31"
        ))
        .await,
        202
    );
    wait(&gh, "merge after the approving review", 10, |g| {
        g.merges(O, R, 31).len() == 1
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_push_restarts_the_window_and_the_new_head_is_merged() {
    let gh = world("window: 3s\n").await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 32, "old").await;
    t.settle().await;
    let first_close = stored(&t, 32).await.next_due().expect("the window runs");
    // Two seconds into the three-second window (GitHub's times are whole seconds, so
    // the restarted window must close later than the first by a second or more): kept.
    tokio::time::sleep(Duration::from_secs(2)).await;
    gh.push(O, R, 32, "new");
    assert_eq!(
        t.deliver(&d::pr_synchronize(O, R, 32, "old", "new", "dave"))
            .await,
        202
    );
    let i = wait_stored(&t, 32, "restart noted", 5, |i| {
        i.notes.iter().any(|n| matches!(n, Note::Restarted { .. }))
    })
    .await;
    assert_eq!(i.head_sha.as_deref(), Some("new"));
    // The window restarted at the push: it closes a whole window after it, later than
    // it would have, and nothing acts before.
    let close = i.next_due().expect("the window runs");
    assert!(
        close >= first_close + jiff::SignedDuration::from_secs(1),
        "closes {close}, would have closed {first_close}"
    );
    assert!(
        close >= i.window_start + jiff::SignedDuration::from_secs(3),
        "a whole window: {close}, {}",
        i.window_start
    );
    assert!(
        gh.merges(O, R, 32).is_empty(),
        "the window restarted at the push"
    );
    wait(&gh, "merge of the new head", 10, |g| {
        g.merges(O, R, 32).len() == 1
    })
    .await;
    assert_eq!(gh.merges(O, R, 32)[0]["sha"], "new");
    t.stop().await;
}

#[tokio::test]
async fn a_push_missed_in_the_last_second_is_never_merged_unseen() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 33, "seen").await;
    // The head moves, but the synchronize delivery never arrives.
    gh.push(O, R, 33, "unseen");
    wait(&gh, "merge after the window restarted", 15, |g| {
        g.merges(O, R, 33).len() == 1
    })
    .await;
    let puts: Vec<_> = gh
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert!(
        puts.iter().all(|r| r.body["sha"] == "unseen"),
        "the re-read before acting saw the new head; no merge of the old one was tried: {puts:?}"
    );
    let i = wait_stored(&t, 33, "ended", 5, |i| i.is_done()).await;
    assert!(
        matches!(i.outcome, Some(Outcome::Merged { .. })),
        "{:?}",
        i.outcome
    );
    t.stop().await;
}

#[tokio::test]
async fn invalid_configuration_is_reported_with_line_and_column() {
    let gh = world("window: 2s\nwindw: 3d\n").await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 34, "dave", "s34");
    gh.set_labels_by(O, R, 34, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 34, "intent-to-merge", "alice", "s34"))
            .await,
        202
    );
    wait(&gh, "config error comment", 5, |g| {
        g.comments(O, R, 34)
            .iter()
            .any(|c| c.body.contains("line 2"))
    })
    .await;
    t.settle().await;
    assert!(
        gh.merges(O, R, 34).is_empty(),
        "tacit acts on nothing with a broken file"
    );
    t.stop().await;
}

#[tokio::test]
async fn merge_label_on_an_issue_says_why_it_opened_nothing() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_issue(O, R, 35, "dave");
    gh.set_labels_by(O, R, 35, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::issue_labeled(O, R, 35, "intent-to-merge", "alice"))
            .await,
        202
    );
    let i = wait_stored(&t, 35, "not opened", 5, |i| i.is_done()).await;
    assert!(
        matches!(
            &i.outcome,
            Some(Outcome::NotOpened { why: Some(NotOpened::NotAPullRequest { label, .. }), .. })
                if label == "intent-to-merge"
        ),
        "{:?}",
        i.outcome
    );
    wait(&gh, "the explanation", 5, |g| {
        g.comments(O, R, 35).len() == 1
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn labels_by_people_without_permission_or_by_bots() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_issue(O, R, 36, "dave");
    gh.set_labels_by(O, R, 36, &["intent-to-close"], "erin");
    assert_eq!(
        t.deliver(&d::issue_labeled(O, R, 36, "intent-to-close", "erin"))
            .await,
        202
    );
    let i = wait_stored(&t, 36, "not opened", 5, |i| i.is_done()).await;
    assert!(
        matches!(
            &i.outcome,
            Some(Outcome::NotOpened { why: Some(NotOpened::NoPermission { who, needs: Role::Write, has: Some(Role::Read), .. }), .. })
                if who == "erin"
        ),
        "{:?}",
        i.outcome
    );
    wait(&gh, "the explanation", 5, |g| {
        g.comments(O, R, 36).len() == 1
    })
    .await;

    gh.add_issue(O, R, 37, "dave");
    gh.set_labels_by(O, R, 37, &["intent-to-close"], "some-bot[bot]");
    let delivery = d::with_sender_type(
        d::issue_labeled(O, R, 37, "intent-to-close", "some-bot[bot]"),
        "Bot",
    );
    assert_eq!(t.deliver(&delivery).await, 202);
    t.settle().await;
    assert!(
        gh.comments(O, R, 37).is_empty(),
        "a bot's label opens nothing"
    );
    assert_eq!(gh.issue(O, R, 37).state, "open");
    t.stop().await;
}

#[tokio::test]
async fn refused_merge_waits_and_retries_when_checks_change() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 38, "dave", "s38");
    gh.set_merge_refusal(O, R, 38, 405, "Required status check \"ci\" is failing.");
    gh.set_labels_by(O, R, 38, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 38, "intent-to-merge", "alice", "s38"))
            .await,
        202
    );
    let i = wait_stored(&t, 38, "the refusal", 10, |i| {
        i.status() == Status::WaitingForGitHub
    })
    .await;
    let refusal = i.refusal.expect("a refusal");
    assert_eq!(
        refusal.message, "Required status check \"ci\" is failing.",
        "GitHub's words kept as data"
    );
    // The status comment's edit notifies nobody: one new comment tells the author.
    wait(&gh, "the author is told", 10, |g| {
        g.comments(O, R, 38)
            .iter()
            .any(|c| c.body.contains("<!-- tacit:waiting:"))
    })
    .await;
    let told: Vec<String> = gh
        .comments(O, R, 38)
        .into_iter()
        .filter(|c| c.body.contains("<!-- tacit:waiting:"))
        .map(|c| c.body)
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("@alice, consent was reached"), "{told:?}");
    gh.clear_merge_refusal(O, R, 38);
    assert_eq!(t.deliver(&d::check_suite_completed(O, R, "s38")).await, 202);
    wait(&gh, "merge after checks pass", 10, |g| {
        g.merges(O, R, 38).len() == 1
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_403_refusal_ends_the_intent_at_once() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 39, "dave", "s39");
    gh.inject(
        Fault::new("PUT", "/pulls/39/merge", 403)
            .body(json!({"message": "Resource not accessible by integration"})),
    );
    gh.set_labels_by(O, R, 39, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 39, "intent-to-merge", "alice", "s39"))
            .await,
        202
    );
    let i = wait_stored(&t, 39, "ended", 10, |i| i.is_done()).await;
    assert!(
        matches!(&i.outcome, Some(Outcome::Refused { reason, .. })
            if reason == "Resource not accessible by integration"),
        "{:?}",
        i.outcome
    );
    wait(&gh, "label removed", 5, |g| {
        g.issue(O, R, 39).labels.is_empty()
    })
    .await;
    assert!(
        gh.check_runs(O, R)
            .iter()
            .any(|r| r["conclusion"] == "failure")
    );
    t.stop().await;
}

#[tokio::test]
async fn a_500_to_a_merge_that_happened_is_not_merged_twice() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 40, "dave", "s40");
    gh.inject(Fault::new("PUT", "/pulls/40/merge", 500).perform_first());
    gh.set_labels_by(O, R, 40, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 40, "intent-to-merge", "alice", "s40"))
            .await,
        202
    );
    let i = wait_stored(&t, 40, "ended", 10, |i| i.is_done()).await;
    assert!(
        matches!(i.outcome, Some(Outcome::Merged { .. })),
        "{:?}",
        i.outcome
    );
    assert_eq!(
        gh.count("PUT", "/pulls/40/merge"),
        1,
        "re-read, not re-sent"
    );
    assert!(gh.issue(O, R, 40).merged);
    t.stop().await;
}

#[tokio::test]
async fn rate_limits_are_waited_out_as_told() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 41, "dave", "s41");
    gh.inject(Fault::new("PUT", "/pulls/41/merge", 429).header("retry-after", "2"));
    gh.set_labels_by(O, R, 41, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 41, "intent-to-merge", "alice", "s41"))
            .await,
        202
    );
    wait(&gh, "merge after the wait", 15, |g| {
        g.merges(O, R, 41).len() == 1
    })
    .await;
    let puts: Vec<_> = gh
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 2, "one refused, one after the wait");
    assert!(
        puts[1].at.duration_since(puts[0].at) >= Duration::from_millis(1900),
        "waited as told"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_second_intent_label_is_answered_in_the_status_comment() {
    let gh = world("window: 1h\n").await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 42, "s42").await;
    gh.set_labels_by(O, R, 42, &["intent-to-merge", "intent-to-close"], "bob");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 42, "intent-to-close", "bob", "s42"))
            .await,
        202
    );
    wait_stored(&t, 42, "answered", 5, |i| {
        i.notes.contains(&Note::OtherLabel {
            label: "intent-to-close".into(),
            by: "bob".into(),
        })
    })
    .await;
    assert_eq!(stored(&t, 42).await.status(), Status::Open);
    t.stop().await;
}

#[tokio::test]
async fn cancel_by_the_author_ends_and_removes_the_label() {
    let gh = world("window: 1h\n").await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 43, "s43").await;
    comment(&gh, &t, 43, "bob", "/cancel").await; // a writer, not the author: a concern
    let i = wait_stored(&t, 43, "concern", 5, |i| !i.concerns.is_empty()).await;
    assert_eq!(
        (
            i.concerns[0].who.as_str(),
            &i.concerns[0].asked,
            &i.concerns[0].reason
        ),
        ("bob", &Some(Asked::Cancel), &Some(NotCounted::CannotCancel))
    );
    assert_eq!(i.status(), Status::Open);
    comment(&gh, &t, 43, "alice", "/cancel").await;
    let i = wait_stored(&t, 43, "cancelled", 5, |i| i.is_done()).await;
    assert_eq!(i.outcome, Some(Outcome::Cancelled { by: "alice".into() }));
    wait(&gh, "label removed", 5, |g| {
        g.issue(O, R, 43).labels.is_empty()
    })
    .await;
    assert!(
        gh.check_runs(O, R)
            .iter()
            .any(|r| r["conclusion"] == "cancelled")
    );
    t.stop().await;
}

#[tokio::test]
async fn the_owners_shared_configuration_is_used_and_read_conditionally() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.add_repo(O, ".github");
    gh.set_file(
        O,
        ".github",
        ".github/tacit.yml",
        "window: 2s\nintents:\n  intent-to-ship: { action: accept, add_label: shipped }\n",
    );
    gh.set_permission(O, R, "alice", "maintain");
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_issue(O, R, 44, "dave");
    gh.set_labels_by(O, R, 44, &["intent-to-ship"], "alice");
    assert_eq!(
        t.deliver(&d::issue_labeled(O, R, 44, "intent-to-ship", "alice"))
            .await,
        202
    );
    wait(&gh, "shipped", 10, |g| {
        g.issue(O, R, 44).labels == vec!["shipped".to_string()]
    })
    .await;

    // The second intent reads the file again, conditionally: GitHub answers 304.
    gh.add_issue(O, R, 45, "dave");
    gh.set_labels_by(O, R, 45, &["intent-to-ship"], "alice");
    assert_eq!(
        t.deliver(&d::issue_labeled(O, R, 45, "intent-to-ship", "alice"))
            .await,
        202
    );
    wait(&gh, "shipped again", 10, |g| {
        g.issue(O, R, 45).labels == vec!["shipped".to_string()]
    })
    .await;
    let reads: Vec<u16> = gh
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/repos/octo/.github/contents/"))
        .map(|r| r.status)
        .collect();
    assert_eq!(reads.first(), Some(&200), "{reads:?}");
    assert!(
        reads.contains(&304),
        "later reads are conditional: {reads:?}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_disallowed_merge_method_is_replaced_by_the_next_allowed_one() {
    let gh =
        world("window: 2s\nintents:\n  intent-to-merge: { action: merge, merge_method: merge }\n")
            .await;
    gh.set_repo_merge_methods(O, R, false, true, true);
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 46, "s46").await;
    wait(&gh, "merged", 10, |g| g.merges(O, R, 46).len() == 1).await;
    assert_eq!(gh.merges(O, R, 46)[0]["merge_method"], "squash");
    t.stop().await;
}

#[tokio::test]
async fn a_409_at_merge_time_restarts_the_window_for_the_new_head() {
    let gh = world(WINDOW).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 47, "s47").await;
    gh.inject(
        Fault::new("PUT", "/pulls/47/merge", 409)
            .body(json!({"message": "Head branch was modified. Review and try the merge again."})),
    );
    gh.push(O, R, 47, "s47b");
    // The window restarts at the 409 and the new head is merged after it.
    wait(&gh, "merge of the new head", 15, |g| {
        g.merges(O, R, 47).len() == 1
    })
    .await;
    assert_eq!(gh.merges(O, R, 47)[0]["sha"], "s47b");
    assert_eq!(
        gh.count("PUT", "/pulls/47/merge"),
        2,
        "one answered 409, one after the restarted window"
    );
    t.stop().await;
}

#[tokio::test]
async fn extend_moves_the_close_later_without_objecting() {
    let gh = world("window: 2s\n").await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 48, "s48").await;
    comment(&gh, &t, 48, "bob", "/extend 1h").await;
    wait_stored(&t, 48, "extended", 5, |i| !i.extended.is_zero()).await;
    t.settle().await;
    let i = stored(&t, 48).await;
    assert_eq!(i.extended, Duration::from_secs(3600));
    // The window was extended by an hour: nothing is scheduled before then.
    let due = i.next_due().expect("the window runs");
    assert!(
        due >= i.window_start + jiff::SignedDuration::from_secs(3602),
        "due {due}, window from {}",
        i.window_start
    );
    assert!(gh.merges(O, R, 48).is_empty());
    assert!(
        i.objections.is_empty(),
        "an extension is not an objection: {:?}",
        i.objections
    );
    assert_eq!(i.status(), Status::Open);
    t.stop().await;
}

/// With `business_days: true`, only business time counts: with the next eight days
/// declared holidays, a 2-second window cannot close this week, whatever day it is.
#[tokio::test]
async fn business_days_skip_holidays() {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let holidays: Vec<String> = (0..8)
        .map(|d| {
            today
                .checked_add(jiff::Span::new().days(d))
                .unwrap()
                .to_string()
        })
        .collect();
    let config = format!(
        "window: 2s\nbusiness_days: true\nholidays: [{}]\n",
        holidays.join(", ")
    );
    let gh = world(&config).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 49, "s49").await;
    assert!(
        status(&gh, 49).contains("Only Monday to Friday"),
        "{}",
        status(&gh, 49)
    );
    t.settle().await;
    // No business time passes before the holidays are over: nothing is scheduled before.
    let after_holidays: jiff::Timestamp = format!(
        "{}T00:00:00Z",
        today.checked_add(jiff::Span::new().days(8)).unwrap()
    )
    .parse()
    .unwrap();
    let due = stored(&t, 49).await.next_due().expect("the window runs");
    assert!(due >= after_holidays, "due {due}");
    assert!(
        gh.merges(O, R, 49).is_empty(),
        "no business time has passed"
    );
    t.stop().await;
}
