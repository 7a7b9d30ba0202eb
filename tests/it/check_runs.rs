//! The `tacit` check run against a GitHub that refuses (422) to change a completed run's
//! status or conclusion: a run in progress is edited; once tacit completed one, a later
//! state is a new run on the same commit (GitHub shows the newest), also after a restart.
//! Also: repositories the installation does not cover are invisible (404), the owner's
//! `.github` repository included.

use std::time::Duration;

use serde_json::Value;

use crate::support::deliveries as d;
use crate::support::fake_github::{FakeGitHub, Fault};
use crate::support::tacit::{Db, Tacit, TestDb, wait};

const O: &str = "octo";
const R: &str = "repo";

async fn world() -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 2s\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh
}

/// The check runs on `sha`, oldest first.
fn runs(gh: &FakeGitHub, sha: &str) -> Vec<Value> {
    gh.check_runs(O, R)
        .into_iter()
        .filter(|r| r["head_sha"] == sha)
        .collect()
}

fn no_422(gh: &FakeGitHub) {
    let refused: Vec<String> = gh
        .requests()
        .into_iter()
        .filter(|r| r.status == 422)
        .map(|r| format!("{} {} {}", r.method, r.path, r.body))
        .collect();
    assert!(refused.is_empty(), "GitHub refused: {refused:?}");
}

async fn label(gh: &FakeGitHub, t: &Tacit, n: u64, sha: &str) {
    gh.add_pull(O, R, n, "dave", sha);
    gh.set_labels_by(O, R, n, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, n, "intent-to-merge", "alice", sha))
            .await,
        202
    );
}

#[tokio::test]
async fn a_refused_merge_after_success_shows_in_a_new_run() {
    let gh = world().await;
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    gh.set_merge_refusal(O, R, 5, 405, "Required status check \"ci\" is failing.");
    label(&gh, &t, 5, "s5").await;
    wait(&gh, "a second run, waiting", 15, |g| {
        runs(g, "s5").len() >= 2
    })
    .await;
    t.settle().await;
    let all = runs(&gh, "s5");
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(
        (&all[0]["status"], &all[0]["conclusion"]),
        (&"completed".into(), &"success".into()),
        "consent was shown before merging"
    );
    assert_eq!(all[1]["status"], "in_progress", "the refused merge waits");

    // Checks pass: the waiting run (in progress) is completed in place.
    gh.clear_merge_refusal(O, R, 5);
    assert_eq!(t.deliver(&d::check_suite_completed(O, R, "s5")).await, 202);
    wait(&gh, "merged", 10, |g| g.merges(O, R, 5).len() == 1).await;
    t.settle().await;
    let all = runs(&gh, "s5");
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[1]["conclusion"], "success");
    no_422(&gh);
    t.stop().await;
}

/// The run's completion is stored: a restarted tacit creates a new run instead of
/// editing the completed one.
#[tokio::test]
async fn a_restarted_tacit_does_not_edit_a_completed_run_sqlite() {
    restarted(Db::Sqlite).await;
}

#[tokio::test]
async fn a_restarted_tacit_does_not_edit_a_completed_run_postgres() {
    restarted(Db::Postgres).await;
}

async fn restarted(kind: Db) {
    let gh = world().await;
    let db = TestDb::new(kind).await;
    let t = Tacit::start(&gh, &db).await;
    gh.set_merge_refusal(O, R, 6, 405, "Required status check \"ci\" is failing.");
    // The merge answers slowly: tacit is stopped after the run was completed, before the
    // merge's answer, so showing the wait is left to the next life, which knows the run
    // it holds is completed only from the database.
    gh.inject(Fault::slow("PUT", "/pulls/6/merge", Duration::from_secs(2)));
    label(&gh, &t, 6, "s6").await;
    wait(&gh, "success shown", 15, |g| {
        runs(g, "s6")
            .first()
            .is_some_and(|r| r["conclusion"] == "success")
    })
    .await;
    t.stop().await;
    assert_eq!(runs(&gh, "s6").len(), 1, "the wait is not shown yet");

    let t = Tacit::start(&gh, &db).await;
    wait(&gh, "a second run, waiting", 10, |g| {
        runs(g, "s6").len() >= 2
    })
    .await;
    t.settle().await;
    let all = runs(&gh, "s6");
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[0]["conclusion"], "success");
    assert_eq!(all[1]["status"], "in_progress");
    no_422(&gh);
    t.stop().await;
}

#[tokio::test]
async fn the_fake_refuses_to_change_a_completed_run() {
    let gh = world().await;
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label(&gh, &t, 7, "s7").await;
    wait(&gh, "merged", 15, |g| g.merges(O, R, 7).len() == 1).await;
    t.settle().await;
    t.stop().await;
    let run = runs(&gh, "s7").pop().expect("a run");
    assert_eq!(run["conclusion"], "success");

    // As GitHub: a completed run keeps its status and conclusion; its text may change.
    let token = installation_token(&gh).await;
    let client = reqwest::Client::new();
    let patch = |body: Value| {
        client
            .patch(format!(
                "{}/repos/{O}/{R}/check-runs/{}",
                gh.url(),
                run["id"]
            ))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(
            patch(serde_json::json!({"status": "in_progress"}))
                .await
                .unwrap()
        ),
        422
    );
    assert_eq!(
        status(
            patch(serde_json::json!({"conclusion": "failure"}))
                .await
                .unwrap()
        ),
        422
    );
    assert_eq!(
        status(
            patch(serde_json::json!({"output": {"title": "t", "summary": "s"}}))
                .await
                .unwrap()
        ),
        200
    );
}

/// An installation token, as tacit gets one.
async fn installation_token(gh: &FakeGitHub) -> String {
    let jwt = crate::support::keys::app_jwt();
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/app/installations/1/access_tokens", gh.url()))
        .bearer_auth(jwt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["token"].as_str().expect("a token").to_string()
}

/// The owner's `.github` repository, when the installation does not cover it, is a 404
/// like any private repository it cannot see: tacit falls back to the defaults.
#[tokio::test]
async fn an_uncovered_owner_github_repository_is_not_read() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.add_repo(O, ".github").uninstall();
    gh.set_file(O, ".github", ".github/tacit.yml", "window: 2s\n");
    gh.set_permission(O, R, "alice", "maintain");
    assert_eq!(gh.installation_repositories(1), vec![format!("{O}/{R}")]);
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    label(&gh, &t, 8, "s8").await;
    wait(&gh, "status comment", 10, |g| {
        g.comments(O, R, 8)
            .iter()
            .any(|c| c.body.starts_with("<!-- tacit:intent -->"))
    })
    .await;
    t.settle().await;
    let reads: Vec<u16> = gh
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&format!("/repos/{O}/.github/")))
        .map(|r| r.status)
        .collect();
    assert!(
        !reads.is_empty() && reads.iter().all(|&s| s == 404),
        "{reads:?}"
    );
    let status = gh
        .comments(O, R, 8)
        .into_iter()
        .find(|c| c.body.starts_with("<!-- tacit:intent -->"))
        .unwrap()
        .body;
    assert!(
        status.contains("hours from"),
        "the default window: {status}"
    );
    assert!(gh.merges(O, R, 8).is_empty());
    t.stop().await;
}
