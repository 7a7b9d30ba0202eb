//! `.github/tacit.yml` changed by a push (SPEC 5): on a branch, the `tacit/config` check
//! run on the pushed commit, `success` or `failure` with the error's line and column; on
//! the default branch, no check run. (A push that does not touch the file is recorded as
//! done at intake and never processed: `webhook::payload`'s unit tests.)

use serde_json::Value;

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, Tacit, TestDb};

const O: &str = "octo";
const R: &str = "repo";
const FILE: &str = ".github/tacit.yml";

async fn started(kind: Db) -> (FakeGitHub, TestDb, Tacit) {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, FILE, "window: 72h\n");
    let db = TestDb::new(kind).await;
    let t = Tacit::start(&gh, &db).await;
    t.settle().await;
    (gh, db, t)
}

fn config_runs(gh: &FakeGitHub, sha: &str) -> Vec<Value> {
    gh.check_runs(O, R)
        .into_iter()
        .filter(|r| r["head_sha"] == sha && r["name"] == "tacit/config")
        .collect()
}

async fn broken_file_fails_with_line_and_column(kind: Db) {
    let (gh, _db, t) = started(kind).await;
    gh.set_file_at(O, R, "c0ffee1", FILE, "window: 48h\nwindo: 3d\n");
    let push = d::push(O, R, "tighter-window", "c0ffee1", &[FILE]);
    assert_eq!(t.deliver(&push).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "c0ffee1");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["conclusion"], "failure");
    let summary = runs[0]["output"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("line 2, column 1"), "{summary}");
    assert!(summary.contains("windo"), "{summary}");

    // Fixed in the next push: a new run says so.
    gh.set_file_at(O, R, "c0ffee2", FILE, "window: 48h\n");
    let push = d::push(O, R, "tighter-window", "c0ffee2", &[FILE]);
    assert_eq!(t.deliver(&push).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "c0ffee2");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "success");
    t.stop().await;
}

#[tokio::test]
async fn a_broken_file_on_a_branch_fails_the_config_check_sqlite() {
    broken_file_fails_with_line_and_column(Db::Sqlite).await;
}

#[tokio::test]
async fn a_broken_file_on_a_branch_fails_the_config_check_postgres() {
    broken_file_fails_with_line_and_column(Db::Postgres).await;
}

#[tokio::test]
async fn pushes_to_the_default_branch_or_of_other_files_get_no_check_run() {
    let (gh, _db, t) = started(Db::Sqlite).await;
    // Another file on a branch: recorded, the commit never read.
    let other = d::push(O, R, "docs", "d0c5", &["README.md"]);
    assert_eq!(t.deliver(&other).await, 202);
    t.settle().await;
    assert_eq!(gh.count("GET", "ref="), 0);
    // The file on the default branch: it is what intents read; no check run.
    gh.set_file(O, R, FILE, "window: 24h\n");
    let landed = d::push(O, R, "main", "ma1n", &[FILE]);
    assert_eq!(t.deliver(&landed).await, 202);
    t.settle().await;
    assert!(gh.check_runs(O, R).is_empty());
    t.stop().await;
}
