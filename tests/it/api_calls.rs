//! GitHub API calls per intent lifecycle, counted at the fake GitHub (issue 6 asks for
//! the figure; `docs/benchmarks.md` gives it). Each test prints the calls it counted
//! and fails if a lifecycle needs more than its budget, so a change that adds calls
//! shows up here and has to justify itself.
//!
//! The lifecycle is everything from the `labeled` delivery to the last write; the
//! start-up reconciliation and the installation token (once an hour) are not part of it.
//! The tokens are counted too: one per installation for the whole run, however many
//! effects run side by side.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::deliveries as d;
use crate::support::fake_github::{DEFAULT_INSTALLATION, FakeGitHub};
use crate::support::tacit::{Db, Tacit, TestDb, wait};

const O: &str = "octo";
const R: &str = "repo";

/// Wait until no request has reached the fake for `quiet`.
async fn settle(gh: &FakeGitHub, quiet: Duration) {
    let mut seen = gh.requests().len();
    loop {
        tokio::time::sleep(quiet).await;
        let now = gh.requests().len();
        if now == seen {
            return;
        }
        seen = now;
    }
}

/// Requests after `from`, by "METHOD path-pattern", with numbers and ids elided.
fn calls_since(gh: &FakeGitHub, from: usize) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in gh.requests().into_iter().skip(from) {
        if r.path.contains("/access_tokens") {
            continue; // once an hour per installation, not per intent
        }
        let path = r.path.split('?').next().unwrap_or("").to_string();
        let pattern: Vec<String> = path
            .split('/')
            .map(|seg| {
                if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
                    "{n}".to_string()
                } else {
                    seg.to_string()
                }
            })
            .collect();
        *out.entry(format!("{} {}", r.method, pattern.join("/")))
            .or_default() += 1;
    }
    out
}

fn print(title: &str, calls: &BTreeMap<String, usize>) -> usize {
    let total: usize = calls.values().sum();
    let writes: usize = calls
        .iter()
        .filter(|(k, _)| !k.starts_with("GET "))
        .map(|(_, n)| n)
        .sum();
    eprintln!(
        "{title}: {total} calls ({writes} writes, {} reads)",
        total - writes
    );
    for (call, n) in calls {
        eprintln!("  {n:>2}  {call}");
    }
    total
}

async fn started(gh: &FakeGitHub) -> (Tacit, TestDb, usize) {
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start(gh, &db).await;
    // Start-up work (the App's identity, the redelivery sweep) is not the lifecycle's.
    settle(gh, Duration::from_millis(700)).await;
    let from = gh.requests().len();
    (t, db, from)
}

/// An unopposed merge: label, window, merge. The repository has its own config file
/// (the usual case) and its intent labels already exist.
#[tokio::test]
async fn calls_per_unopposed_merge() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 2s\n");
    gh.set_permission(O, R, "alice", "maintain");
    for label in ["intent-to-merge", "intent-to-close", "intent-to-proceed"] {
        gh.add_repo_label(O, R, label);
    }
    gh.add_pull(O, R, 3, "dave", "abc");
    let (t, _db, from) = started(&gh).await;

    gh.set_labels_by(O, R, 3, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, 3, "intent-to-merge", "alice", "abc"))
            .await,
        202
    );
    wait(&gh, "merge", 15, |g| !g.merges(O, R, 3).is_empty()).await;
    t.settle().await;
    let calls = calls_since(&gh, from);
    let total = print("unopposed merge lifecycle", &calls);
    let mints = gh.token_mints(DEFAULT_INSTALLATION);
    eprintln!("installation tokens minted (start-up and lifecycle): {mints}");
    assert_eq!(mints, 1);
    assert_eq!(gh.merges(O, R, 3).len(), 1);
    // SPEC section 4 requires 7 writes (status comment, check run created and
    // completed, merge, label removed, status edited, outcome comment) and the
    // re-reads before acting (item, author's permission, comments, reviews).
    assert!(total <= BUDGET_MERGE, "{total} calls > {BUDGET_MERGE}");
    t.stop().await;
}

/// An unopposed close of an issue.
#[tokio::test]
async fn calls_per_unopposed_close() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 2s\n");
    gh.set_permission(O, R, "alice", "maintain");
    for label in ["intent-to-merge", "intent-to-close", "intent-to-proceed"] {
        gh.add_repo_label(O, R, label);
    }
    gh.add_issue(O, R, 4, "dave");
    let (t, _db, from) = started(&gh).await;

    gh.set_labels_by(O, R, 4, &["intent-to-close"], "alice");
    assert_eq!(
        t.deliver(&d::issue_labeled(O, R, 4, "intent-to-close", "alice"))
            .await,
        202
    );
    wait(&gh, "close", 15, |g| g.issue(O, R, 4).state == "closed").await;
    t.settle().await;
    let calls = calls_since(&gh, from);
    let total = print("unopposed close lifecycle", &calls);
    assert!(total <= BUDGET_CLOSE, "{total} calls > {BUDGET_CLOSE}");
    t.stop().await;
}

/// Eight merges side by side: their effects run concurrently, and all share one token.
#[tokio::test]
async fn concurrent_lifecycles_share_one_installation_token() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 2s\n");
    gh.set_permission(O, R, "alice", "maintain");
    let (t, _db, _) = started(&gh).await;
    for n in 10..18 {
        let sha = format!("s{n}");
        gh.add_pull(O, R, n, "dave", &sha);
        gh.set_labels_by(O, R, n, &["intent-to-merge"], "alice");
        assert_eq!(
            t.deliver(&d::pr_labeled(O, R, n, "intent-to-merge", "alice", &sha))
                .await,
            202
        );
    }
    wait(&gh, "all merged", 20, |g| {
        (10..18).all(|n| g.merges(O, R, n).len() == 1)
    })
    .await;
    t.settle().await;
    assert_eq!(gh.token_mints(DEFAULT_INSTALLATION), 1);
    t.stop().await;
}

/// Set to what the lifecycles need today; lower them when a call is saved. Opening an
/// intent reads the item's comments (and, on a pull request, its reviews): commands
/// made after the label but before tacit knew of it, and standing changes-requested
/// reviews, count (SPEC 3). And the owner's shared `.github/tacit.yml`, since the
/// repository's file is laid over it (SPEC 5).
const BUDGET_MERGE: usize = 17;
const BUDGET_CLOSE: usize = 14;
