//! What the tests of whole intents share: the repository `octo/repo`, tacit's status and
//! outcome comments as the fake GitHub holds them, tacit on a fresh database, a pull
//! request that alice labels `intent-to-merge`, a comment delivered as GitHub would, and
//! an item's intent as tacit stored it.

use tacit::core::intent::Intent;

use super::deliveries as d;
use super::fake_github::FakeGitHub;
use super::tacit::{Db, Tacit, TestDb, wait};

pub const O: &str = "octo";
pub const R: &str = "repo";

/// The body of tacit's status comment on item `n` (empty until it is posted).
pub fn status(gh: &FakeGitHub, n: u64) -> String {
    gh.comments(O, R, n)
        .into_iter()
        .find(|c| c.body.starts_with("<!-- tacit:intent -->"))
        .map(|c| c.body)
        .unwrap_or_default()
}

/// The body of tacit's outcome comment on item `n` (empty until it is posted).
pub fn outcome(gh: &FakeGitHub, n: u64) -> String {
    gh.comments(O, R, n)
        .into_iter()
        .find(|c| c.body.contains("<!-- tacit:outcome:"))
        .map(|c| c.body)
        .unwrap_or_default()
}

/// tacit, in-process, on a fresh database of `kind`.
pub async fn start(gh: &FakeGitHub, kind: Db) -> (TestDb, Tacit) {
    let db = TestDb::new(kind).await;
    let t = Tacit::start(gh, &db).await;
    (db, t)
}

/// Pull request `n` by dave at head `sha`, labelled `intent-to-merge` by alice and
/// delivered; returns once the status comment is there.
pub async fn open_pr(gh: &FakeGitHub, t: &Tacit, n: u64, sha: &str) {
    gh.add_pull(O, R, n, "dave", sha);
    gh.set_labels_by(O, R, n, &["intent-to-merge"], "alice");
    assert_eq!(
        t.deliver(&d::pr_labeled(O, R, n, "intent-to-merge", "alice", sha))
            .await,
        202
    );
    wait(gh, "status comment", 10, |g| !status(g, n).is_empty()).await;
}

/// A comment by `who` on pull request `n`, made at the fake and delivered; its id.
pub async fn comment(gh: &FakeGitHub, t: &Tacit, n: u64, who: &str, body: &str) -> u64 {
    let id = gh.add_comment(O, R, n, who, body);
    assert_eq!(
        t.deliver(&d::comment_created(O, R, n, true, id, who, body))
            .await,
        202
    );
    id
}

/// Item `n`'s intent as tacit stored it (the open one, else the last to end); fails the
/// test if none was stored.
pub async fn stored(t: &Tacit, n: u64) -> Intent {
    t.intent(&format!("{O}/{R}"), n)
        .await
        .unwrap_or_else(|| panic!("no intent stored for #{n}"))
        .intent
}

/// Wait until item `n`'s stored intent satisfies `f` (see `Tacit::wait_intent`).
pub async fn wait_stored(
    t: &Tacit,
    n: u64,
    what: &str,
    secs: u64,
    f: impl Fn(&Intent) -> bool,
) -> Intent {
    t.wait_intent(&format!("{O}/{R}"), n, what, secs, |row| f(&row.intent))
        .await
        .intent
}
