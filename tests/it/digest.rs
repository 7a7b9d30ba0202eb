//! The digest issue (SPEC 5, `digest: true`) through the real server against the fake
//! GitHub: created when an intent opens, edited once per batch of changes, closed when
//! the last intent ends, reopened (the same issue) when another opens, found by its
//! stored number only, recreated when deleted; and what it costs in API calls.
//!
//! The refresh waits `Tuning::digest_delay` after a change. The lifecycle tests move
//! tacit's clock past it (`JumpClock`) instead of sleeping, and drive the engine with
//! `settle`.

use std::sync::Arc;
use std::time::Duration;

use crate::support::deliveries as d;
use crate::support::fake_github::{BOT_LOGIN, FakeGitHub, Fault};
use crate::support::tacit::{Db, JumpClock, Tacit, TestDb, settings, wait};

const O: &str = "octo";
const R: &str = "repo";
const TITLE: &str = "tacit: open intents";
/// Longer than the default `digest_delay` (5 s).
const PAST_DELAY: i64 = 6_000;

/// A repository with `config`, a maintainer `alice` and writers `bob` and `carol`.
async fn world(config: &str) -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", config);
    gh.set_permission(O, R, "alice", "maintain");
    gh.set_permission(O, R, "bob", "write");
    gh.set_permission(O, R, "carol", "write");
    gh
}

async fn start(gh: &FakeGitHub, kind: Db) -> (TestDb, Tacit, Arc<JumpClock>) {
    let db = TestDb::new(kind).await;
    let clock = Arc::new(JumpClock::default());
    let t = Tacit::start_with_clock(settings(gh, &db.url), clock.clone()).await;
    t.settle().await;
    (db, t, clock)
}

/// Let the digest's delay pass and run what became due.
async fn after_delay(t: &Tacit, clock: &JumpClock) {
    t.settle().await;
    clock.jump(PAST_DELAY);
    t.settle().await;
}

/// Issue `n` (added before) labelled by alice, delivered and processed.
async fn label_issue(gh: &FakeGitHub, t: &Tacit, n: u64, label: &str) {
    gh.set_labels_by(O, R, n, &[label], "alice");
    assert_eq!(
        t.deliver(&d::issue_labeled(O, R, n, label, "alice")).await,
        202
    );
    t.settle().await;
}

async fn comment(gh: &FakeGitHub, t: &Tacit, n: u64, who: &str, body: &str) {
    let id = gh.add_comment(O, R, n, who, body);
    assert_eq!(
        t.deliver(&d::comment_created(O, R, n, false, id, who, body))
            .await,
        202
    );
}

/// The digest issues tacit created (its bot's issues with the title).
fn digests(gh: &FakeGitHub) -> Vec<u64> {
    gh.issues_titled(O, R, TITLE)
        .into_iter()
        .filter(|n| gh.issue(O, R, *n).author == BOT_LOGIN)
        .collect()
}

fn only_digest(gh: &FakeGitHub) -> u64 {
    let all = digests(gh);
    assert_eq!(all.len(), 1, "one digest issue: {all:?}");
    all[0]
}

fn body(gh: &FakeGitHub, n: u64) -> String {
    gh.issue(O, R, n).body.unwrap_or_default()
}

/// Writes to the digest issues: creations, and edits of issue `n`.
fn digest_writes(gh: &FakeGitHub) -> Vec<(String, String)> {
    let numbers = digests(gh);
    gh.requests()
        .into_iter()
        .filter(|r| {
            (r.method == "POST" && r.path == format!("/repos/{O}/{R}/issues"))
                || (r.method == "PATCH"
                    && numbers
                        .iter()
                        .any(|n| r.path == format!("/repos/{O}/{R}/issues/{n}")))
        })
        .map(|r| (r.method, r.path))
        .collect()
}

/// Created, edited once per batch, closed, reopened: the whole life of a digest.
async fn the_digest_issue_edited_and_closed(kind: Db) {
    let gh = world("digest: true\nwindow: 1h\ntimezone: Europe/Berlin\n").await;
    gh.add_issue(O, R, 5, "dave");
    gh.add_issue(O, R, 6, "dave");
    let (db, t, clock) = start(&gh, kind).await;

    label_issue(&gh, &t, 5, "intent-to-close").await;
    assert!(
        digests(&gh).is_empty(),
        "nothing before the delay: a burst of changes is one edit"
    );
    after_delay(&t, &clock).await;
    let n = only_digest(&gh);
    assert_eq!(n, 7, "a new issue, numbered by GitHub");
    let issue = gh.issue(O, R, n);
    assert_eq!(
        (issue.state.as_str(), issue.title.as_str()),
        ("open", TITLE)
    );
    let text = body(&gh, n);
    assert!(text.starts_with("<!-- tacit:digest -->"), "{text}");
    assert!(
        text.contains(
            "| [#5](../issues/5) `Issue 5` | `intent-to-close` | alice | ⏳ open for objections |"
        ),
        "{text}"
    );
    // The close time in the configured zone with its offset, and in UTC.
    assert!(
        text.contains("(+01:00), ") || text.contains("(+02:00), "),
        "{text}"
    );
    assert!(text.contains(" UTC | none |"), "{text}");
    assert_eq!(digest_writes(&gh).len(), 1, "created once");

    // A burst: two objections and a withdrawal, one edit.
    comment(&gh, &t, 5, "bob", "/object not yet").await;
    comment(&gh, &t, 5, "carol", "/object me neither").await;
    comment(&gh, &t, 5, "bob", "/withdraw").await;
    t.settle().await;
    assert_eq!(digest_writes(&gh).len(), 1, "not before the delay");
    after_delay(&t, &clock).await;
    assert_eq!(digest_writes(&gh).len(), 2, "one edit for the burst");
    let text = body(&gh, n);
    assert!(
        text.contains("| ⛔ blocked by 1 objection | not while objections are open | [carol](http"),
        "{text}"
    );
    assert!(!text.contains("[bob]"), "bob withdrew: {text}");
    assert!(!text.contains('@'), "nobody is mentioned: {text}");

    // A change the digest does not show (an approval) costs no call.
    comment(&gh, &t, 5, "bob", "/approve").await;
    after_delay(&t, &clock).await;
    assert_eq!(digest_writes(&gh).len(), 2);

    // The last intent ends: closed, as completed.
    comment(&gh, &t, 5, "alice", "/cancel").await;
    after_delay(&t, &clock).await;
    let issue = gh.issue(O, R, n);
    assert_eq!(issue.state, "closed");
    assert_eq!(issue.state_reason.as_deref(), Some("completed"));
    assert!(body(&gh, n).contains("Nothing is open right now."));
    assert_eq!(digest_writes(&gh).len(), 3, "one edit closes it");
    // GitHub tells tacit of its own close: it acts on nothing, and the digest stays.
    assert_eq!(t.deliver(&d::issue_closed(O, R, n, BOT_LOGIN)).await, 202);
    after_delay(&t, &clock).await;
    assert_eq!(
        digest_writes(&gh).len(),
        3,
        "its own events never re-trigger it"
    );

    // Another intent opens: the same issue, reopened.
    label_issue(&gh, &t, 6, "intent-to-proceed").await;
    after_delay(&t, &clock).await;
    assert_eq!(only_digest(&gh), n, "found again by its stored number");
    assert_eq!(gh.issue(O, R, n).state, "open");
    let text = body(&gh, n);
    assert!(text.contains("[#6](../issues/6)"), "{text}");
    assert!(!text.contains("[#5]"), "{text}");
    assert_eq!(digest_writes(&gh).len(), 4);

    // Stored: the number, left open, and no refresh pending.
    let store = tacit::store::Store::connect(&db.url).await.unwrap();
    let row = store.digest(&format!("{O}/{R}")).await.unwrap().unwrap();
    assert_eq!(row.issue_number, Some(n as i64));
    assert!(row.is_open);
    assert_eq!(row.due_at, None);
    // Labels on it behave as on any issue: none was added or removed by the digest.
    assert!(gh.issue(O, R, n).labels.is_empty());
    t.stop().await;
}

#[tokio::test]
async fn the_digest_issue_edited_and_closed_sqlite() {
    the_digest_issue_edited_and_closed(Db::Sqlite).await;
}

#[tokio::test]
async fn the_digest_issue_edited_and_closed_postgres() {
    the_digest_issue_edited_and_closed(Db::Postgres).await;
}

/// `digest: false`, and no file at all: no digest issue, no digest row.
#[tokio::test]
async fn no_digest_unless_asked_for() {
    for config in ["digest: false\nwindow: 1h\n", "window: 1h\n"] {
        let gh = world(config).await;
        gh.add_issue(O, R, 5, "dave");
        let (db, t, clock) = start(&gh, Db::Sqlite).await;
        label_issue(&gh, &t, 5, "intent-to-close").await;
        comment(&gh, &t, 5, "bob", "/object no").await;
        after_delay(&t, &clock).await;
        assert!(digests(&gh).is_empty(), "{config}");
        assert!(
            !gh.requests()
                .iter()
                .any(|r| r.method == "POST" && r.path == format!("/repos/{O}/{R}/issues")),
            "{config}"
        );
        let store = tacit::store::Store::connect(&db.url).await.unwrap();
        assert_eq!(store.digest(&format!("{O}/{R}")).await.unwrap(), None);
        t.stop().await;
    }
}

/// An issue a person titled "tacit: open intents" is not the digest: tacit creates its
/// own and never touches the other.
#[tokio::test]
async fn a_persons_issue_with_the_title_is_never_touched() {
    let gh = world("digest: true\nwindow: 1h\n").await;
    gh.add_issue(O, R, 1, "eve");
    gh.set_title_and_body(O, R, 1, TITLE, "my own list");
    gh.add_issue(O, R, 5, "dave");
    let (_db, t, clock) = start(&gh, Db::Sqlite).await;
    label_issue(&gh, &t, 5, "intent-to-close").await;
    after_delay(&t, &clock).await;
    comment(&gh, &t, 5, "alice", "/cancel").await;
    after_delay(&t, &clock).await;

    let n = only_digest(&gh);
    assert_ne!(n, 1);
    assert_eq!(gh.issue(O, R, n).state, "closed");
    let theirs = gh.issue(O, R, 1);
    assert_eq!(theirs.state, "open");
    assert_eq!(theirs.body.as_deref(), Some("my own list"));
    assert!(
        !gh.requests()
            .iter()
            .any(|r| r.path.starts_with(&format!("/repos/{O}/{R}/issues/1"))),
        "never read or written"
    );
    t.stop().await;
}

/// A deleted digest issue (410) is replaced by a new one, which later edits use.
#[tokio::test]
async fn a_deleted_digest_issue_is_recreated() {
    let gh = world("digest: true\nwindow: 1h\n").await;
    gh.add_issue(O, R, 5, "dave");
    let (_db, t, clock) = start(&gh, Db::Sqlite).await;
    label_issue(&gh, &t, 5, "intent-to-close").await;
    after_delay(&t, &clock).await;
    let first = only_digest(&gh);
    gh.delete_issue(O, R, first);

    comment(&gh, &t, 5, "bob", "/object wait").await;
    after_delay(&t, &clock).await;
    let second = only_digest(&gh);
    assert_ne!(second, first);
    assert!(
        body(&gh, second).contains("[bob]("),
        "{}",
        body(&gh, second)
    );

    comment(&gh, &t, 5, "bob", "/withdraw").await;
    after_delay(&t, &clock).await;
    assert_eq!(only_digest(&gh), second);
    assert!(
        body(&gh, second).contains("| none |"),
        "{}",
        body(&gh, second)
    );
    t.stop().await;
}

/// An intent label on the digest issue works as on any issue: an intent opens there (and
/// is listed), and tacit's edits of the digest keep its labels.
#[tokio::test]
async fn labels_on_the_digest_work_as_on_any_issue() {
    let gh = world("digest: true\nwindow: 1h\n").await;
    gh.add_issue(O, R, 5, "dave");
    let (_db, t, clock) = start(&gh, Db::Sqlite).await;
    label_issue(&gh, &t, 5, "intent-to-close").await;
    after_delay(&t, &clock).await;
    let n = only_digest(&gh);
    label_issue(&gh, &t, n, "intent-to-proceed").await;
    wait(&gh, "status comment on the digest", 10, |g| {
        g.comments(O, R, n)
            .iter()
            .any(|c| c.body.starts_with("<!-- tacit:intent -->"))
    })
    .await;
    after_delay(&t, &clock).await;
    let text = body(&gh, n);
    assert!(text.contains(&format!("[#{n}](../issues/{n})")), "{text}");
    assert!(text.contains("2 intents are open"), "{text}");
    assert_eq!(gh.issue(O, R, n).labels, ["intent-to-proceed"]);
    assert_eq!(only_digest(&gh), n);
    t.stop().await;
}

/// GitHub created the issue but answered 500: the retry finds it among the App's own
/// issues instead of creating a second one.
#[tokio::test]
async fn a_creation_whose_answer_was_lost_is_not_repeated() {
    let gh = world("digest: true\nwindow: 1h\n").await;
    gh.add_issue(O, R, 5, "dave");
    let (_db, t, clock) = start(&gh, Db::Sqlite).await;
    label_issue(&gh, &t, 5, "intent-to-close").await;
    // The next write to the issues list (the digest's creation) is done, then answered 500.
    gh.inject(Fault::new("POST", &format!("/repos/{O}/{R}/issues"), 500).perform_first());
    after_delay(&t, &clock).await;
    let n = only_digest(&gh);
    assert_eq!(gh.issue(O, R, n).state, "open");
    // Tried again after its backoff: found, not created again, and edited.
    after_delay(&t, &clock).await;
    assert_eq!(only_digest(&gh), n);
    comment(&gh, &t, 5, "bob", "/object wait").await;
    after_delay(&t, &clock).await;
    assert_eq!(only_digest(&gh), n);
    assert!(body(&gh, n).contains("[bob]("), "{}", body(&gh, n));
    let creations = gh
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("/repos/{O}/{R}/issues"))
        .count();
    assert_eq!(creations, 1);
    t.stop().await;
}

/// What the digest costs: the same unopposed close with and without it, counted at the
/// fake (docs/benchmarks.md gives the figure). Real time: a 2 s window, a 1 s delay.
#[tokio::test]
async fn calls_per_intent_with_a_digest() {
    let mut totals = Vec::new();
    for config in ["window: 2s\n", "window: 2s\ndigest: true\n"] {
        let gh = world(config).await;
        for label in ["intent-to-merge", "intent-to-close", "intent-to-proceed"] {
            gh.add_repo_label(O, R, label);
        }
        gh.add_issue(O, R, 4, "dave");
        let db = TestDb::new(Db::Sqlite).await;
        let mut s = settings(&gh, &db.url);
        s.tuning.digest_delay = Duration::from_secs(1);
        let t = Tacit::start_with(s).await;
        // Start-up work (the App's identity, the redelivery sweep) is not the intent's.
        quiet(&gh).await;
        let from = gh.requests().len();
        label_issue(&gh, &t, 4, "intent-to-close").await;
        wait(&gh, "closed", 15, |g| g.issue(O, R, 4).state == "closed").await;
        if config.contains("digest") {
            wait(&gh, "digest closed", 15, |g| {
                digests(g)
                    .first()
                    .is_some_and(|n| g.issue(O, R, *n).state == "closed")
            })
            .await;
        }
        t.settle().await;
        quiet(&gh).await;
        let calls: Vec<_> = gh
            .requests()
            .into_iter()
            .skip(from)
            .filter(|r| !r.path.contains("/access_tokens"))
            .collect();
        let writes = calls.iter().filter(|r| r.method != "GET").count();
        eprintln!(
            "unopposed close, {config:?}: {} calls ({writes} writes)",
            calls.len()
        );
        totals.push((calls.len(), writes, digest_writes(&gh).len()));
        t.stop().await;
    }
    let (without, with) = (totals[0], totals[1]);
    eprintln!(
        "the digest costs {} calls for this intent ({} writes to the digest issue, no read)",
        with.0 as i64 - without.0 as i64,
        with.2
    );
    assert_eq!(without.2, 0);
    // Created when the intent opens, closed when it ends; no read.
    assert_eq!(with.2, 2, "one write when it opens, one when it ends");
    assert_eq!(with.0, without.0 + with.2, "only the digest's own writes");
}

/// Until no request has reached the fake for 700 ms (as `api_calls` waits): start-up
/// work, which `Tacit::settle` does not drive.
async fn quiet(gh: &FakeGitHub) {
    let mut seen = gh.requests().len();
    loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let now = gh.requests().len();
        if now == seen {
            return;
        }
        seen = now;
    }
}

// ---- the store's digest queue, on both databases ------------------------------------------

mod queue {
    use std::time::Duration;

    use jiff::Timestamp;
    use tacit::core::config::RepoConfig;
    use tacit::core::intent::{Event, Intent, Opening};
    use tacit::store::{Cause, IntentWrite, Store, WriteOutcome};

    use crate::support::tacit::{Db, TestDb};

    const T0: i64 = 1_790_000_000_000;
    const LEASE: Duration = Duration::from_secs(60);
    const DELAY: Duration = Duration::from_secs(5);

    fn opened(yaml: &str, repo: &str, number: i64) -> IntentWrite {
        let policy = RepoConfig::parse(yaml)
            .unwrap()
            .policy("intent-to-close")
            .unwrap();
        let at = Timestamp::from_millisecond(T0).unwrap();
        let (intent, effects) = Intent::open(Opening {
            policy,
            is_pull: false,
            item_author: "dave".into(),
            author: "alice".into(),
            at,
            now: at,
            head_sha: None,
            carried: vec![],
        });
        IntentWrite {
            id: format!("{repo}-{number}"),
            expected_version: None,
            installation_id: 1,
            repo: repo.into(),
            number,
            intent,
            effects,
        }
    }

    async fn write(store: &Store, w: &IntentWrite, now: i64) {
        assert_eq!(
            store.write(Some(w), &Cause::None, now).await.unwrap(),
            WriteOutcome::Written
        );
    }

    async fn queue_of_refreshes(kind: Db) {
        let db = TestDb::new(kind).await;
        let mut store = Store::connect(&db.url).await.unwrap();
        store.set_digest_delay(DELAY);

        // Off: no row. On: a refresh asked for `DELAY` after the write.
        write(&store, &opened("window: 1h\n", "octo/off", 1), T0).await;
        assert_eq!(store.digest("octo/off").await.unwrap(), None);
        let first = opened("digest: true\n", "Octo/Repo", 1);
        write(&store, &first, T0).await;
        let row = store.digest("octo/repo").await.unwrap().expect("asked for");
        assert_eq!(row.due_at, Some(T0 + 5_000));
        assert_eq!(
            (row.touches, row.issue_number, row.is_open),
            (1, None, false)
        );

        // A second change within the delay keeps the first's time: one refresh.
        write(
            &store,
            &opened("digest: true\n", "octo/repo", 2),
            T0 + 1_000,
        )
        .await;
        let mut update = first.clone();
        update.expected_version = Some(1);
        update.intent.handle(
            Event::Noticed {
                at: Timestamp::from_millisecond(T0 + 2_000).unwrap(),
                comment: Some(9),
            },
            Timestamp::from_millisecond(T0 + 2_000).unwrap(),
        );
        write(&store, &update, T0 + 2_000).await;
        let row = store.digest("octo/repo").await.unwrap().unwrap();
        assert_eq!((row.due_at, row.touches), (Some(T0 + 5_000), 3));
        let listed = store.digest_intents("octo/repo").await.unwrap();
        assert_eq!(listed.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2]);

        // Not before it is due; claimed once, with a lease.
        assert!(
            store
                .claim_digests("a", T0 + 4_999, LEASE, 8)
                .await
                .unwrap()
                .is_empty()
        );
        let claimed = store
            .claim_digests("a", T0 + 5_000, LEASE, 8)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(
            store
                .claim_digests("b", T0 + 5_000, LEASE, 8)
                .await
                .unwrap()
                .is_empty()
        );
        let (d, lease) = claimed.into_iter().next().unwrap();
        store
            .set_digest_issue(&d.repo, 40, "abc", T0 + 5_100)
            .await
            .unwrap();

        // A change while the refresh runs: finishing keeps it due.
        write(
            &store,
            &opened("digest: true\n", "octo/repo", 3),
            T0 + 5_200,
        )
        .await;
        assert!(
            store
                .finish_digest(&d, &lease, Some(40), true, Some("abc"), T0 + 5_300)
                .await
                .unwrap()
        );
        let row = store.digest("octo/repo").await.unwrap().unwrap();
        assert_eq!(row.due_at, Some(T0 + 5_000), "refreshed again at once");
        assert_eq!((row.issue_number, row.is_open), (Some(40), true));
        assert_eq!(row.body_sha256.as_deref(), Some("abc"));
        // A lapsed lease cannot finish; the new holder can, and clears it.
        let (d2, lease2) = store
            .claim_digests("b", T0 + 70_000, LEASE, 8)
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        assert!(
            !store
                .finish_digest(&d, &lease, Some(40), true, None, T0 + 70_001)
                .await
                .unwrap()
        );
        assert!(
            store
                .finish_digest(&d2, &lease2, Some(40), true, Some("def"), T0 + 70_002)
                .await
                .unwrap()
        );
        let row = store.digest("octo/repo").await.unwrap().unwrap();
        assert_eq!(
            (row.due_at, row.body_sha256.as_deref()),
            (None, Some("def"))
        );
        assert_eq!(store.next_digest_wake().await.unwrap(), None);

        // A refusal waiting cannot fix: not tried again until the next change.
        write(
            &store,
            &opened("digest: true\n", "octo/repo", 4),
            T0 + 80_000,
        )
        .await;
        assert_eq!(store.next_digest_wake().await.unwrap(), Some(T0 + 85_000));
        let (d3, lease3) = store
            .claim_digests("a", T0 + 85_000, LEASE, 8)
            .await
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        store
            .retry_digest(&d3, &lease3, None, "issues are off", T0 + 85_001)
            .await
            .unwrap();
        assert_eq!(
            store.digest("octo/repo").await.unwrap().unwrap().due_at,
            None
        );
        assert_eq!(
            store
                .digest("octo/repo")
                .await
                .unwrap()
                .unwrap()
                .issue_number,
            Some(40)
        );
    }

    #[tokio::test]
    async fn queue_of_refreshes_sqlite() {
        queue_of_refreshes(Db::Sqlite).await;
    }

    #[tokio::test]
    async fn queue_of_refreshes_postgres() {
        queue_of_refreshes(Db::Postgres).await;
    }
}
