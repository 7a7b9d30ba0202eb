//! People and configuration against the fake GitHub (SPEC 2, 4, 5): `notify` mentions,
//! `approvers` with team membership, `act_within`, the owner's shared `tacit.yml` under
//! the repository's, intent labels created on installation, and `check-config --owner`.

use std::process::Command;

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, wait};
use crate::support::world::{O, R, comment, open_pr, start, status, stored, wait_stored};
use tacit::core::intent::{Asked, Intent, NotCounted, Outcome};

/// Who the stored intent counts as approving.
fn approvers(i: &Intent) -> Vec<&str> {
    i.approvals.iter().map(|a| a.who.as_str()).collect()
}

async fn world(config: Option<&str>) -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    if let Some(config) = config {
        gh.set_file(O, R, ".github/tacit.yml", config);
    }
    for (user, role) in [
        ("alice", "maintain"),
        ("bob", "write"),
        ("carol", "write"),
        ("frank", "write"),
    ] {
        gh.set_permission(O, R, user, role);
    }
    gh
}

#[tokio::test]
async fn notify_mentions_people_in_the_request_that_creates_the_status_comment() {
    let gh = world(Some("window: 1h\nnotify: [bob, \"@octo/reviewers\"]\n")).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 40, "s40").await;
    let created: Vec<String> = gh
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/issues/40/comments"))
        .filter_map(|r| r.body["body"].as_str().map(str::to_string))
        .filter(|body| body.starts_with("<!-- tacit:intent -->"))
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        created[0].matches("\ncc @bob @octo/reviewers\n").count(),
        1,
        "{}",
        created[0]
    );
    t.stop().await;
}

const APPROVERS: &str = "window: 1h\napprovers: [carol, \"@octo/release\"]\n";

#[tokio::test]
async fn only_approvers_and_active_team_members_count_toward_early_proceed() {
    let gh = world(Some(APPROVERS)).await;
    gh.set_team_member(O, "release", "frank", "active");
    gh.set_team_member(O, "release", "bob", "pending");
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 41, "s41").await;
    // bob may object, but his team invitation is pending: not counted, and told why.
    comment(&gh, &t, 41, "bob", "/approve").await;
    let i = wait_stored(&t, 41, "bob's approval not counted", 5, |i| {
        !i.concerns.is_empty()
    })
    .await;
    let c = &i.concerns[0];
    assert_eq!(
        (c.who.as_str(), &c.asked, &c.reason),
        (
            "bob",
            &Some(Asked::Approve),
            &Some(NotCounted::NotAnApprover)
        ),
        "{:?}",
        i.concerns
    );
    assert!(i.approvals.is_empty(), "{:?}", i.approvals);
    assert!(gh.merges(O, R, 41).is_empty());
    // frank is an active member of @octo/release: his approval merges.
    comment(&gh, &t, 41, "frank", "/approve").await;
    wait(&gh, "merged on frank's approval", 10, |g| {
        g.merges(O, R, 41).len() == 1
    })
    .await;
    // Had bob's approval counted, the merge would have come first, with both.
    let i = wait_stored(&t, 41, "ended", 5, |i| i.is_done()).await;
    assert_eq!(approvers(&i), ["frank"]);
    assert!(
        matches!(i.outcome, Some(Outcome::Merged { .. })),
        "{:?}",
        i.outcome
    );
    assert!(gh.count("GET", "/orgs/octo/teams/release/memberships/frank") >= 1);
    t.stop().await;
}

#[tokio::test]
async fn a_team_approver_who_left_the_team_no_longer_counts_when_tacit_acts() {
    let gh = world(Some(
        "window: 1h\napprovals: 2\napprovers: [carol, \"@octo/release\"]\n",
    ))
    .await;
    gh.set_team_member(O, "release", "frank", "active");
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 42, "s42").await;
    comment(&gh, &t, 42, "frank", "/approve").await;
    wait_stored(&t, 42, "frank's approval", 5, |i| approvers(i) == ["frank"]).await;
    let reads = gh.count("GET", "/orgs/octo/teams/release/memberships/frank");
    // frank leaves the team (only an invitation stays); carol's approval makes two, and
    // the re-check before acting finds frank's no longer counts.
    gh.set_team_member(O, "release", "frank", "pending");
    comment(&gh, &t, 42, "carol", "/approve").await;
    wait_stored(&t, 42, "frank's approval dropped before acting", 10, |i| {
        approvers(i) == ["carol"] && i.refusal.is_none() && !i.is_done()
    })
    .await;
    t.settle().await;
    assert_eq!(approvers(&stored(&t, 42).await), ["carol"]);
    assert!(gh.merges(O, R, 42).is_empty());
    assert!(
        gh.count("GET", "/orgs/octo/teams/release/memberships/frank") > reads,
        "read again, not from the cache, before acting"
    );
    t.stop().await;
}

#[tokio::test]
async fn act_within_is_shown_in_the_status_comment() {
    let gh = world(Some(
        "window: 1h\ntimezone: America/New_York\nact_within: \"09:00-17:00\"\n",
    ))
    .await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 43, "s43").await;
    let text = status(&gh, 43);
    assert!(
        text.contains("tacit acts only from 09:00 to 17:00 (America/New_York)"),
        "{text}"
    );
    t.stop().await;
}

#[tokio::test]
async fn the_repository_file_is_laid_over_the_owners_shared_file() {
    let gh = world(Some("window: 1h\napprovals: 0\n")).await;
    gh.add_repo(O, ".github");
    gh.set_file(
        O,
        ".github",
        ".github/tacit.yml",
        "window: 5h\nnotify: [bob]\nintents:\n  intent-to-merge: { action: merge }\n",
    );
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 44, "s44").await;
    let text = status(&gh, 44);
    assert!(
        text.contains(
            "Configuration: `octo/repo/.github/tacit.yml`, laid over `octo/.github/.github/tacit.yml`."
        ),
        "{text}"
    );
    // From the owner's file: the mention. From the repository's: the window, and no
    // early proceed.
    assert!(text.contains("\ncc @bob\n"), "{text}");
    assert!(
        (text.contains("about 1 hour from") || text.contains("minutes from"))
            && !text.contains("about 5 hours"),
        "{text}"
    );
    assert!(
        !text.contains("close it early") && !text.contains("closes it early"),
        "{text}"
    );
    // The owner's `intents` holds only intent-to-merge: intent-to-close opens nothing.
    gh.add_issue(O, R, 45, "dave");
    gh.set_labels_by(O, R, 45, &["intent-to-close"], "alice");
    assert_eq!(
        t.deliver(&d::issue_labeled(O, R, 45, "intent-to-close", "alice"))
            .await,
        202
    );
    // Both files were read with conditional requests on the second opening too.
    gh.add_pull(O, R, 46, "dave", "s46");
    gh.set_labels_by(O, R, 46, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 46, "intent-to-merge", "alice", "s46"))
            .await,
        202
    );
    wait(&gh, "second status comment", 5, |g| {
        !status(g, 46).is_empty()
    })
    .await;
    assert!(
        status(&gh, 45).is_empty(),
        "intent-to-close is not an intent label here"
    );
    assert!(gh.count("GET", "/repos/octo/.github/contents/.github/tacit.yml") >= 2);
    t.stop().await;
}

#[tokio::test]
async fn without_any_file_the_status_comment_says_where_a_shared_one_would_count() {
    let gh = world(None).await;
    let (_db, t) = start(&gh, Db::Sqlite).await;
    open_pr(&gh, &t, 47, "s47").await;
    let text = status(&gh, 47);
    assert!(
        text.contains("Configuration: the defaults (a 3d window")
            && text.contains("counts only if tacit is installed on `octo/.github`"),
        "{text}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_broken_shared_file_is_named_with_line_and_column() {
    let gh = world(Some("window: 1h\n")).await;
    gh.add_repo(O, ".github");
    gh.set_file(
        O,
        ".github",
        ".github/tacit.yml",
        "window: 1h\nnotify: [-x]\n",
    );
    let (_db, t) = start(&gh, Db::Sqlite).await;
    gh.add_pull(O, R, 48, "dave", "s48");
    gh.set_labels_by(O, R, 48, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 48, "intent-to-merge", "alice", "s48"))
            .await,
        202
    );
    wait(&gh, "the note about the broken file", 5, |g| {
        g.comments(O, R, 48).iter().any(|c| {
            c.body
                .contains("`octo/.github/.github/tacit.yml` is not valid: line 2, column 10")
        })
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn installing_creates_missing_intent_labels_and_leaves_existing_ones_alone() {
    let gh = world(None).await;
    gh.add_repo(O, "other");
    gh.set_file(
        O,
        "other",
        ".github/tacit.yml",
        "intents:\n  ship-it: { action: merge, window: 2d }\n",
    );
    gh.add_repo_label(O, R, "Intent-To-Merge");
    let (_db, t) = start(&gh, Db::Sqlite).await;
    assert_eq!(
        t.deliver(&d::installation_created(&["octo/repo"])).await,
        202
    );
    wait(&gh, "labels in octo/repo", 5, |g| {
        g.repo_label(O, R, "intent-to-proceed").is_some()
    })
    .await;
    let (name, colour, description) = gh.repo_label(O, R, "intent-to-close").unwrap();
    assert_eq!(name, "intent-to-close");
    assert_eq!(colour, "d93f0b");
    assert_eq!(
        description.as_deref(),
        Some("tacit closes this after a 3d window in which anyone may /object")
    );
    // A label someone made is never renamed, recoloured or redescribed.
    assert_eq!(
        gh.repo_label(O, R, "intent-to-merge").unwrap(),
        ("Intent-To-Merge".to_string(), "ededed".to_string(), None)
    );
    assert_eq!(gh.count("POST", "/repos/octo/repo/labels"), 2);

    // A repository added later gets its own configuration's labels.
    assert_eq!(
        t.deliver(&d::installation_repositories_added(&["octo/other"]))
            .await,
        202
    );
    wait(&gh, "labels in octo/other", 5, |g| {
        g.repo_label(O, "other", "ship-it").is_some()
    })
    .await;
    let (_, colour, description) = gh.repo_label(O, "other", "ship-it").unwrap();
    assert_eq!(colour, "5319e7");
    assert_eq!(
        description.as_deref(),
        Some("tacit merges this pull request after a 2d window in which anyone may /object")
    );
    assert!(gh.repo_label(O, "other", "intent-to-merge").is_none());
    t.stop().await;
}

#[test]
fn check_config_lays_the_file_over_the_owners() {
    let dir = tempfile::tempdir().unwrap();
    let owner = dir.path().join("owner.yml");
    let repo = dir.path().join("repo.yml");
    std::fs::write(&owner, "window: 48h\nintents:\n  ship: { action: merge }\n").unwrap();
    std::fs::write(&repo, "approvals: 2\n").unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tacit"))
            .arg("check-config")
            .args(args)
            .output()
            .unwrap()
    };
    let (repo_s, owner_s) = (repo.to_str().unwrap(), owner.to_str().unwrap());
    let out = run(&[repo_s, "--owner", owner_s]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("intent labels: ship"), "{stdout}");

    std::fs::write(&owner, "window: 48h\nnotify: [-x]\n").unwrap();
    let out = run(&[repo_s, "--owner", owner_s]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("{owner_s}: line 2, column 10:")),
        "{stderr}"
    );
    let out = run(&[repo_s, "--owner"]);
    assert_eq!(out.status.code(), Some(2));
}
