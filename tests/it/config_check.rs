//! `.github/tacit.yml` changed in a pull request (SPEC 5): the `tacit/config` check run,
//! `success` or `failure` with the error's line and column. From a push to a branch, on
//! the pushed commit; a push to the default branch gets none. From a pull request from a
//! fork (which sends the base repository no push), on its head, when the file there
//! differs from the default branch's. (A push that does not touch the file, and a pull
//! request from the repository's own branch, are recorded as done at intake and never
//! processed: `github::event`'s and `webhook::route`'s unit tests.)

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

// ---- pull requests from forks ---------------------------------------------------------------

/// Until the fake GitHub has heard nothing for a moment (start-up work, deliveries). The
/// start-up reconciliation pass is not work `Tacit::settle` drives: a wait on a condition.
async fn quiet(gh: &FakeGitHub) {
    let mut seen = gh.requests().len();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let now = gh.requests().len();
        if now == seen {
            return;
        }
        seen = now;
    }
}

/// A pull request from `someone`'s fork with `.github/tacit.yml` at its head `sha` (GitHub
/// serves the head commit through the base repository).
fn fork_head(gh: &FakeGitHub, sha: &str, text: Option<&str>) {
    match text {
        Some(text) => gh.set_file_at(O, R, sha, FILE, text),
        // A head without the file: the commit exists, the path does not.
        None => gh.set_file_at(O, R, sha, "README.md", "hello\n"),
    }
}

async fn fork_with_a_broken_file_fails(kind: Db) {
    let (gh, _db, t) = started(kind).await;
    fork_head(&gh, "f0e1", Some("window: 48h\nwindo: 3d\n"));
    let opened = d::pr_from_fork(O, R, 7, "opened", "f0e1", Some("someone"));
    assert_eq!(t.deliver(&opened).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "f0e1");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["conclusion"], "failure");
    let summary = runs[0]["output"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("line 2, column 1"), "{summary}");
    assert!(summary.contains("windo"), "{summary}");
    assert!(summary.contains("octo/repo/.github/tacit.yml"), "{summary}");

    // Fixed by a push to the fork: `synchronize`, never a `push`, reaches the base.
    fork_head(&gh, "f0e2", Some("window: 48h\n"));
    let pushed = d::pr_from_fork(O, R, 7, "synchronize", "f0e2", Some("someone"));
    assert_eq!(t.deliver(&pushed).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "f0e2");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "success");

    // The fork deleted since (`head.repo: null`), the pull request reopened: still read
    // through the base repository.
    fork_head(&gh, "f0e3", Some("window: forever\n"));
    let reopened = d::pr_from_fork(O, R, 7, "reopened", "f0e3", None);
    assert_eq!(t.deliver(&reopened).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "f0e3");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "failure");
    let summary = runs[0]["output"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("line 1, column"), "{summary}");
    t.stop().await;
}

#[tokio::test]
async fn a_fork_pull_request_with_a_broken_file_fails_the_config_check_sqlite() {
    fork_with_a_broken_file_fails(Db::Sqlite).await;
}

#[tokio::test]
async fn a_fork_pull_request_with_a_broken_file_fails_the_config_check_postgres() {
    fork_with_a_broken_file_fails(Db::Postgres).await;
}

/// A valid changed file succeeds; so does a removed one, saying what applies then.
#[tokio::test]
async fn a_fork_pull_request_with_a_valid_or_removed_file_passes() {
    let (gh, _db, t) = started(Db::Sqlite).await;
    fork_head(&gh, "a11d", Some("window: 24h\napprovals: 2\n"));
    let opened = d::pr_from_fork(O, R, 8, "opened", "a11d", Some("someone"));
    assert_eq!(t.deliver(&opened).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "a11d");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "success");
    let title = runs[0]["output"]["title"].as_str().unwrap_or_default();
    assert!(title.contains("valid"), "{title}");

    fork_head(&gh, "9011e", None);
    let removed = d::pr_from_fork(O, R, 8, "synchronize", "9011e", Some("someone"));
    assert_eq!(t.deliver(&removed).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "9011e");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "success");
    let summary = runs[0]["output"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("defaults apply"), "{summary}");
    t.stop().await;
}

/// A fork pull request that leaves the file as the default branch has it: one read (the
/// file at its head; the default branch's copy is cached), no check run. One from the
/// repository's own branch: no call at all (its pushes are checked).
#[tokio::test]
async fn pull_requests_that_leave_the_file_alone_get_no_check_run() {
    for default_has_file in [true, false] {
        let gh = FakeGitHub::start().await;
        gh.add_repo(O, R);
        if default_has_file {
            gh.set_file(O, R, FILE, "window: 72h\n");
        }
        let db = TestDb::new(Db::Sqlite).await;
        let t = Tacit::start(&gh, &db).await;
        // The start-up sweep reads the configuration (so the default branch's is cached).
        quiet(&gh).await;
        if default_has_file {
            fork_head(&gh, "5a3e", Some("window: 72h\n"));
        } else {
            fork_head(&gh, "5a3e", None);
        }
        let from = gh.requests().len();
        for action in ["opened", "synchronize", "reopened"] {
            let from_here = gh.requests().len();
            let fork = d::pr_from_fork(O, R, 9, action, "5a3e", Some("someone"));
            assert_eq!(t.deliver(&fork).await, 202);
            t.settle().await;
            quiet(&gh).await;
            let calls: Vec<String> = gh.requests()[from_here..]
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect();
            assert_eq!(calls.len(), 1, "{action}: {calls:?}");
            assert!(
                calls[0].starts_with("GET /repos/octo/repo/contents/.github/tacit.yml?ref=5a3e"),
                "{action}: {calls:?}"
            );
        }
        assert!(gh.check_runs(O, R).is_empty());

        // The same events from a branch of the repository itself: nothing.
        let from_own = gh.requests().len();
        let own = [
            d::pr_synchronize(O, R, 10, "abc", "def", "dave"),
            d::pr_from_fork(O, R, 10, "opened", "def", Some(O)),
            d::pr_from_fork(O, R, 10, "reopened", "def", Some(O)),
        ];
        for delivery in &own {
            assert_eq!(t.deliver(delivery).await, 202);
        }
        t.settle().await;
        quiet(&gh).await;
        let calls: Vec<String> = gh.requests()[from_own..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(calls.is_empty(), "API calls: {calls:?}");
        assert_eq!(gh.requests().len() - from, 3);
        t.stop().await;
    }
}

/// The same delivery twice is one; the same event under a new delivery id (a replayed
/// body) at worst posts a second run with the same conclusion.
#[tokio::test]
async fn a_redelivered_fork_event_does_not_contradict_itself() {
    let (gh, _db, t) = started(Db::Sqlite).await;
    fork_head(&gh, "ee01", Some("windo: 3d\n"));
    let opened = d::pr_from_fork(O, R, 11, "opened", "ee01", Some("someone"));
    assert_eq!(t.deliver(&opened).await, 202);
    assert_eq!(t.deliver(&opened).await, 200, "known: recorded once");
    t.settle().await;
    assert_eq!(config_runs(&gh, "ee01").len(), 1);
    let mut replayed = opened.clone();
    replayed.id = "0b5e55ed-0000-4000-8000-00000000f0e1".to_string();
    assert_eq!(t.deliver(&replayed).await, 202);
    t.settle().await;
    let runs = config_runs(&gh, "ee01");
    assert!(!runs.is_empty(), "{runs:?}");
    assert!(
        runs.iter().all(|r| r["conclusion"] == "failure"),
        "{runs:?}"
    );
    t.stop().await;
}

/// The owner's shared file, changed by a fork's pull request to the owner's `.github`:
/// the same check, naming that file.
#[tokio::test]
async fn a_fork_pull_request_to_the_shared_file_is_checked() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.add_repo(O, ".github");
    gh.set_file(O, ".github", FILE, "window: 72h\n");
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(&gh, &db).await;
    t.settle().await;
    gh.set_file_at(O, ".github", "5ba7ed", FILE, "window: 72h\nbots: maybe\n");
    let opened = d::pr_from_fork(O, ".github", 3, "opened", "5ba7ed", Some("someone"));
    assert_eq!(t.deliver(&opened).await, 202);
    t.settle().await;
    let runs: Vec<Value> = gh
        .check_runs(O, ".github")
        .into_iter()
        .filter(|r| r["head_sha"] == "5ba7ed" && r["name"] == "tacit/config")
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["conclusion"], "failure");
    let summary = runs[0]["output"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("octo/.github/.github/tacit.yml"),
        "{summary}"
    );
    assert!(summary.contains("line 2"), "{summary}");
    t.stop().await;
}
