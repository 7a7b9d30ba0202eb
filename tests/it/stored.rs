//! Stored state across releases (`src/store/codec.rs`, ARCHITECTURE.md "Stored state
//! stays compatible"): rows that earlier releases wrote (`tests/fixtures/stored/`)
//! load with this build and decide as they did; and this build starts on a database
//! that a newer release migrated further, on SQLite and PostgreSQL.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{AnyPool, SqlSafeStr};
use tacit::core::commands::parse_commands;
use tacit::core::config::{Action, CloseReason, MergeMethod, RepoConfig, Role};
use tacit::core::intent::{
    Actor, ConfigProblem, Effect, Event, Facts, Intent, MergeResult, NotOpened, Opening, Outcome,
    Phase, Source, Verdict,
};
use tacit::core::render;
use tacit::store::{Cause, IntentWrite, Store, WriteOutcome, codec};

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, Tacit, TestDb, WINDOW, wait};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stored")
}

const R7D8AFD3: &str = "release-7d8afd3";

fn read(release: &str, file: &str) -> String {
    let path = fixtures().join(release).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn intent(name: &str) -> Intent {
    codec::decode_intent(&read(R7D8AFD3, &format!("intent-{name}.json")))
        .unwrap_or_else(|e| panic!("intent-{name}.json: {e:#}"))
}

/// Monday 2026-03-02 09:00 UTC, when every fixture intent opened, plus `h:m`.
fn at(h: i64, m: i64) -> Timestamp {
    let t0: Timestamp = "2026-03-02T09:00:00Z".parse().unwrap();
    t0 + SignedDuration::from_hours(h) + SignedDuration::from_mins(m)
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn cmd(login: &str, body: &str, id: u64, when: Timestamp) -> Event {
    Event::Command {
        actor: Actor {
            login: login.into(),
            role: Some(Role::Write),
            approver: false,
        },
        command: parse_commands(body).remove(0),
        source: Source::Comment(id),
        url: None,
        at: when,
        sender_is_author: true,
        edited_from: None,
    }
}

fn facts(head: Option<&str>, approvers: &[&str]) -> Facts {
    Facts {
        open: true,
        label_present: true,
        head_sha: head.map(String::from),
        draft: false,
        author_role: Some(Role::Write),
        valid_approvers: approvers
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
    }
}

fn remove_label(name: &str) -> Effect {
    Effect::RemoveLabel { name: name.into() }
}

// ---------------------------------------------------------------------------
// Fixtures of earlier releases

/// Every stored row of every release loads, and survives being written again by this
/// build (with its format version) unchanged.
#[test]
fn every_stored_fixture_loads_and_rewrites_unchanged() {
    let mut loaded = 0;
    for release in std::fs::read_dir(fixtures()).unwrap() {
        let release = release.unwrap().path();
        if !release.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&release).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let json = std::fs::read_to_string(&path).unwrap();
            if name.starts_with("intent-") {
                let i = codec::decode_intent(&json).unwrap_or_else(|e| panic!("{name}: {e:#}"));
                let again = codec::encode_intent(&i).unwrap();
                assert!(again.starts_with(r#"{"v":1,"#), "{name}: {again}");
                assert_eq!(codec::decode_intent(&again).unwrap(), i, "{name}");
            } else if name.starts_with("effect-") {
                let e = codec::decode_effect(&json).unwrap_or_else(|e| panic!("{name}: {e:#}"));
                let again = codec::encode_effect(&e).unwrap();
                assert_eq!(codec::decode_effect(&again).unwrap(), e, "{name}");
            } else {
                // `shown-*.md`: what that release showed for an intent (see below).
                let shown = name.starts_with("shown-") && name.ends_with(".md");
                assert!(
                    shown || name == "README.md" || name == "program.rs.txt",
                    "unexpected fixture {}",
                    path.display()
                );
                continue;
            }
            loaded += 1;
        }
    }
    assert!(loaded >= 28, "only {loaded} fixtures found");
}

/// Every effect variant that release 7d8afd3 queued reads as what it was.
#[test]
fn effects_of_7d8afd3_read_as_queued() {
    let expected = [
        ("sync-status", Effect::SyncStatus),
        ("sync-check", Effect::SyncCheck),
        ("verify", Effect::Verify),
        (
            "merge",
            Effect::Merge {
                sha: "sha-0".into(),
                method: None,
            },
        ),
        (
            "merge-squash",
            Effect::Merge {
                sha: "sha-1".into(),
                method: Some(MergeMethod::Squash),
            },
        ),
        (
            "close",
            Effect::Close {
                reason: CloseReason::NotPlanned,
            },
        ),
        (
            "add-label",
            Effect::AddLabel {
                name: "consented".into(),
            },
        ),
        ("remove-label", remove_label("intent-to-merge")),
        ("post-outcome", Effect::PostOutcome),
    ];
    for (name, effect) in expected {
        let json = read(R7D8AFD3, &format!("effect-{name}.json"));
        assert_eq!(codec::decode_effect(&json).unwrap(), effect, "{name}");
    }
}

/// Blocked by a comment's objection and a review's; one approval, one concern, one
/// notice, extended by a day. Withdrawing both unblocks it, early proceed by two
/// approvals then waits `after_objection` (24h) from the last withdrawal.
#[test]
fn open_objected_merge_of_7d8afd3_unblocks_and_verifies() {
    let mut i = intent("open-merge-objected");
    assert_eq!(i.phase, Phase::Open);
    assert_eq!((i.approvals.len(), i.concerns.len()), (1, 1));
    assert_eq!(i.notices.len(), 1);
    assert_eq!(i.next_due(), None, "blocked by two objections");
    assert_eq!(i.closes_at(), at(96, 0), "72h window plus the 1d extension");

    // A redelivered `/object` of a comment already counted changes nothing.
    assert_eq!(
        i.handle(cmd("dave", "/object again", 102, at(7, 0)), at(7, 0)),
        vec![]
    );

    let e = i.handle(cmd("dave", "/withdraw", 110, at(10, 0)), at(10, 0));
    assert_eq!(e, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(i.next_due(), None, "grace's review still objects");

    let approve = Event::Review {
        actor: Actor {
            login: "grace".into(),
            role: Some(Role::Write),
            approver: false,
        },
        review_id: 556,
        verdict: Verdict::Approved,
        body: String::new(),
        commit_id: Some("sha-0".into()),
        url: None,
        at: at(11, 0),
    };
    assert_eq!(
        i.handle(approve, at(11, 0)),
        vec![Effect::SyncStatus, Effect::SyncCheck]
    );
    assert_eq!(i.approvals.len(), 2);
    assert_eq!(i.next_due(), Some(at(35, 0)));
    assert_eq!(i.handle(Event::Due, at(34, 59)), vec![]);
    assert_eq!(i.handle(Event::Due, at(35, 0)), vec![Effect::Verify]);
    assert_eq!(i.phase, Phase::Verifying);
}

#[test]
fn verifying_merge_of_7d8afd3_merges_the_recorded_head() {
    let mut i = intent("verifying");
    assert_eq!(i.phase, Phase::Verifying);
    assert_eq!(i.handle(Event::Due, at(73, 0)), vec![], "already verifying");
    let e = i.handle(Event::Verified(facts(Some("sha-0"), &[])), at(72, 1));
    assert_eq!(
        e,
        vec![
            Effect::SyncCheck,
            Effect::Merge {
                sha: "sha-0".into(),
                method: None
            }
        ]
    );
    assert_eq!(i.phase, Phase::Acting);
}

#[test]
fn verifying_merge_of_7d8afd3_goes_back_when_the_head_moved() {
    let mut i = intent("verifying");
    let e = i.handle(Event::Verified(facts(Some("sha-1"), &[])), at(72, 1));
    assert_eq!(e, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(i.phase, Phase::Open);
    assert_eq!(i.head_sha.as_deref(), Some("sha-1"));
    assert_eq!(
        i.next_due(),
        Some(at(144, 1)),
        "the window restarted on push"
    );
}

#[test]
fn acting_merge_of_7d8afd3_finishes_when_merged() {
    let mut i = intent("acting");
    assert_eq!(
        i.policy.action,
        Action::Merge {
            method: Some(MergeMethod::Squash)
        }
    );
    let e = i.handle(
        Event::MergeResult(MergeResult::Merged { sha: "m".into() }),
        at(1, 2),
    );
    assert_eq!(
        e,
        vec![
            remove_label("intent-to-merge"),
            Effect::PostOutcome,
            Effect::SyncStatus
        ]
    );
    assert_eq!(i.outcome, Some(Outcome::Merged { sha: "m".into() }));
    assert_eq!(i.ended_at, Some(at(1, 2)));
}

/// Done intents stay done: nothing they hear acts, and their outcome is what it was.
#[test]
fn done_intents_of_7d8afd3_keep_their_outcome() {
    let cases = [
        (
            "done-merged",
            Outcome::Merged {
                sha: "merge-sha".into(),
            },
        ),
        ("done-closed", Outcome::Closed),
        ("done-accepted", Outcome::Accepted),
        ("done-cancelled", Outcome::Cancelled { by: "alice".into() }),
        (
            "done-label-removed",
            Outcome::LabelRemoved {
                by: Some("bob".into()),
            },
        ),
        (
            "done-not-opened",
            Outcome::NotOpened {
                message: "`intent-to-merge` only works on pull requests.".into(),
                why: None,
            },
        ),
    ];
    for (name, outcome) in cases {
        let mut i = intent(name);
        let before = i.clone();
        assert!(i.is_done(), "{name}");
        assert_eq!(i.outcome.as_ref(), Some(&outcome), "{name}");
        assert_eq!(i.next_due(), None, "{name}");
        assert_eq!(i.handle(Event::Due, at(500, 0)), vec![], "{name}");
        assert_eq!(
            i.handle(cmd("dave", "/object late", 900, at(500, 0)), at(500, 0)),
            vec![],
            "{name}"
        );
        assert_eq!(i, before, "{name}: a done intent does not change");
    }
    let accepted = intent("done-accepted");
    assert_eq!(
        accepted.policy.action,
        Action::Accept {
            add_label: Some("consented".into())
        }
    );
}

/// The cancelled intent ended with dave's objection open: it carries over to a new
/// intent on the item for 30 days, and then no longer.
#[test]
fn cancelled_intent_of_7d8afd3_carries_its_objection_over() {
    let i = intent("done-cancelled");
    let carried = i.carried_objections(at(3, 0));
    assert_eq!(carried.len(), 1);
    assert_eq!(carried[0].who, "dave");
    assert_eq!(carried[0].reason, "not yet");
    assert!(i.carried_objections(at(2 + 30 * 24, 1)).is_empty());
    assert!(
        intent("done-not-opened")
            .carried_objections(at(1, 0))
            .is_empty()
    );
}

/// A refused merge waits 15 minutes before it tries again, and gives up after 7 days.
#[test]
fn refused_merge_of_7d8afd3_retries_then_gives_up() {
    let mut i = intent("open-merge-refused");
    assert_eq!(i.phase, Phase::Open);
    assert_eq!(i.refusal.as_ref().unwrap().attempts, 1);
    assert_eq!(i.next_due(), Some(ts("2026-03-05T09:17:00Z")));

    let mut retry = i.clone();
    assert_eq!(retry.handle(Event::Due, ts("2026-03-05T09:16:59Z")), vec![]);
    assert_eq!(
        retry.handle(Event::Due, ts("2026-03-05T09:17:00Z")),
        vec![Effect::Verify]
    );

    let mut nudged = i.clone();
    nudged.handle(Event::ChecksChanged, ts("2026-03-05T09:05:00Z"));
    assert_eq!(
        nudged.handle(Event::Due, ts("2026-03-05T09:05:00Z")),
        vec![Effect::Verify],
        "checks changed: retry at once"
    );

    let e = i.handle(Event::Due, ts("2026-03-12T09:02:00Z"));
    assert_eq!(
        e,
        vec![
            Effect::SyncStatus,
            Effect::SyncCheck,
            remove_label("intent-to-merge"),
            Effect::PostOutcome
        ]
    );
    assert!(matches!(i.outcome, Some(Outcome::GaveUp { .. })));
}

/// Three business days in Berlin from Monday 10:00, Wednesday a holiday: Friday 10:00
/// (09:00 UTC), not Thursday, and the issue is closed as completed.
#[test]
fn business_days_intent_of_7d8afd3_closes_after_the_holiday() {
    let mut i = intent("open-close-business-days");
    assert_eq!(i.policy.timezone, "Europe/Berlin");
    assert_eq!(i.policy.bots, vec!["dependabot[bot]".to_string()]);
    assert_eq!(i.closes_at(), ts("2026-03-06T09:00:00Z"));
    assert_eq!(i.handle(Event::Due, ts("2026-03-05T09:00:00Z")), vec![]);
    assert_eq!(
        i.handle(Event::Due, ts("2026-03-06T09:00:00Z")),
        vec![Effect::Verify]
    );
    let e = i.handle(
        Event::Verified(facts(None, &[])),
        ts("2026-03-06T09:00:05Z"),
    );
    assert_eq!(
        e,
        vec![
            Effect::PostOutcome,
            Effect::Close {
                reason: CloseReason::Completed
            },
            remove_label("intent-to-close"),
            Effect::SyncStatus
        ]
    );
    assert_eq!(i.outcome, Some(Outcome::Closed));
}

/// An objection carried over blocks until its author withdraws it.
#[test]
fn carried_over_objection_of_7d8afd3_blocks_until_withdrawn() {
    let mut i = intent("open-merge-carried-over");
    assert_eq!(i.objections[0].source, Source::CarriedOver);
    assert_eq!(i.next_due(), None);
    assert_eq!(i.handle(Event::Due, at(80, 0)), vec![]);
    let e = i.handle(cmd("dave", "/withdraw", 5, at(1, 0)), at(1, 0));
    assert_eq!(e, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(i.cleared_at, Some(at(1, 0)));
    assert_eq!(i.next_due(), Some(at(72, 0)));
    assert_eq!(i.handle(Event::Due, at(72, 0)), vec![Effect::Verify]);
}

// ---------------------------------------------------------------------------
// A database that the next release migrated

/// This release's migrations plus one that the next release might add: a nullable
/// column, applied by sqlx's own migrator as that release would.
async fn migrate_as_next_release(url: &str) -> i64 {
    let mut migrations: Vec<Migration> = tacit::store::migrator().iter().cloned().collect();
    let next = migrations.iter().map(|m| m.version).max().unwrap() + 1;
    migrations.push(Migration::new(
        next,
        "next release: a note on intents".into(),
        MigrationType::Simple,
        sqlx::AssertSqlSafe("ALTER TABLE intents ADD COLUMN next_release_note TEXT").into_sql_str(),
        false,
    ));
    let pool = AnyPool::connect(url).await.unwrap();
    Migrator::with_migrations(migrations)
        .run(&pool)
        .await
        .expect("the next release migrates");
    pool.close().await;
    next
}

fn opened(id: &str, number: i64) -> IntentWrite {
    let (intent, effects) = Intent::open(Opening {
        policy: RepoConfig::default().policy("intent-to-close").unwrap(),
        is_pull: false,
        item_author: "dave".into(),
        author: "alice".into(),
        at: at(0, 0),
        now: at(0, 0),
        head_sha: None,
        carried: vec![],
    });
    IntentWrite {
        id: id.into(),
        expected_version: None,
        installation_id: 1,
        repo: "octo/repo".into(),
        number,
        intent,
        effects,
    }
}

async fn starts_on_a_database_the_next_release_migrated(kind: Db) {
    let db = TestDb::new(kind).await;
    let store = Store::connect(&db.url).await.unwrap();
    let now = at(0, 0).as_millisecond();
    assert_eq!(
        store
            .write(Some(&opened("a", 1)), &Cause::None, now)
            .await
            .unwrap(),
        WriteOutcome::Written
    );
    store.close().await;

    let next = migrate_as_next_release(&db.url).await;
    // The next release writes its own rows: a field and a column this one does not know.
    let pool = AnyPool::connect(&db.url).await.unwrap();
    let mut state: serde_json::Value =
        serde_json::from_str(&codec::encode_intent(&opened("b", 2).intent).unwrap()).unwrap();
    state["next_release_field"] = serde_json::json!({"nested": [1, 2]});
    state["policy"]["next_release_policy"] = true.into();
    sqlx::query(
        "INSERT INTO intents (id, installation_id, repo, number, label, state, version, is_open, created_at, updated_at, next_release_note)
         VALUES ('b', 1, 'octo/repo', 2, 'intent-to-close', $1, 1, 1, $2, $2, 'from the future')",
    )
    .bind(state.to_string())
    .bind(now)
    .execute(&pool)
    .await
    .expect("a row as the next release writes it");

    // Release 7d8afd3 ran sqlx's migrator as it is by default: it refused this database.
    let mut strict = tacit::store::migrator();
    strict.set_ignore_missing(false);
    assert!(
        matches!(strict.run(&pool).await, Err(MigrateError::VersionMissing(v)) if v == next),
        "the default migrator refuses a newer database"
    );
    pool.close().await;

    // This release starts on it, reads both rows and writes.
    let store = Store::connect(&db.url)
        .await
        .expect("starts on a database a newer release migrated");
    let a = store.intent("a").await.unwrap().expect("intent a");
    assert_eq!(a.intent, opened("a", 1).intent);
    let b = store.intent("b").await.unwrap().expect("intent b");
    assert_eq!(b.intent, opened("b", 2).intent, "unknown fields ignored");
    let mut update = opened("b", 2);
    update.expected_version = Some(b.version);
    update.effects = update
        .intent
        .handle(cmd("dave", "/object not now", 7, at(1, 0)), at(1, 0));
    assert_eq!(
        store
            .write(Some(&update), &Cause::None, now + 1)
            .await
            .unwrap(),
        WriteOutcome::Written
    );
    assert_eq!(
        store
            .write(Some(&opened("c", 3)), &Cause::None, now + 2)
            .await
            .unwrap(),
        WriteOutcome::Written
    );
    let b = store.intent("b").await.unwrap().unwrap();
    assert_eq!(b.intent.objections.len(), 1);
    assert_eq!(
        store.open_intents(Some("octo/repo")).await.unwrap().len(),
        3
    );
    store.close().await;
}

#[tokio::test]
async fn starts_on_a_database_the_next_release_migrated_sqlite() {
    starts_on_a_database_the_next_release_migrated(Db::Sqlite).await;
}

#[tokio::test]
async fn starts_on_a_database_the_next_release_migrated_postgres() {
    starts_on_a_database_the_next_release_migrated(Db::Postgres).await;
}

/// The whole server, not only the store: started on a database the next release
/// migrated, it opens an intent and keeps its status comment.
async fn serves_on_a_database_the_next_release_migrated(kind: Db) {
    let db = TestDb::new(kind).await;
    Store::connect(&db.url).await.unwrap().close().await;
    migrate_as_next_release(&db.url).await;

    let gh = FakeGitHub::start().await;
    gh.add_repo("octo", "repo");
    gh.set_file("octo", "repo", ".github/tacit.yml", WINDOW);
    gh.set_permission("octo", "repo", "alice", "maintain");
    gh.add_issue("octo", "repo", 3, "dave");
    let t = Tacit::start(&gh, &db).await;
    gh.set_labels_by("octo", "repo", 3, &["intent-to-close"], "alice");
    assert_eq!(
        t.deliver(&d::issue_labeled(
            "octo",
            "repo",
            3,
            "intent-to-close",
            "alice"
        ))
        .await,
        202
    );
    wait(&gh, "closed by the intent", 15, |g| {
        g.issue("octo", "repo", 3).state == "closed"
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn serves_on_a_database_the_next_release_migrated_sqlite() {
    serves_on_a_database_the_next_release_migrated(Db::Sqlite).await;
}

#[tokio::test]
async fn serves_on_a_database_the_next_release_migrated_postgres() {
    serves_on_a_database_the_next_release_migrated(Db::Postgres).await;
}

// ---------------------------------------------------------------------------
// A row this release cannot read

/// After a rollback, rows the newer release wrote may hold a variant this release does
/// not know. Each such row holds up only itself: the claims and lists around it go on.
async fn an_unreadable_row_holds_up_only_itself(kind: Db) {
    let db = TestDb::new(kind).await;
    let store = Store::connect(&db.url).await.unwrap();
    let now = at(0, 0).as_millisecond();
    for (id, number) in [("a", 1), ("b", 2)] {
        let mut w = opened(id, number);
        w.effects = vec![remove_label("intent-to-close")];
        assert_eq!(
            store.write(Some(&w), &Cause::None, now).await.unwrap(),
            WriteOutcome::Written
        );
    }
    // The newer release left intent b in a phase, and b's effect of a kind, that this
    // release has never heard of; both are due now.
    let pool = AnyPool::connect(&db.url).await.unwrap();
    let mut state: serde_json::Value =
        serde_json::from_str(&codec::encode_intent(&opened("b", 2).intent).unwrap()).unwrap();
    state["phase"] = "a_phase_from_the_future".into();
    sqlx::query("UPDATE intents SET state = $1, due_at = $2 WHERE id IN ('a', 'b')")
        .bind(state.to_string())
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE intents SET state = $1 WHERE id = 'a'")
        .bind(codec::encode_intent(&opened("a", 1).intent).unwrap())
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE effects SET effect = $1 WHERE intent_id = 'b'")
        .bind(r#"{"v":1,"kind":"an_effect_from_the_future"}"#)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let open = store.open_intents(Some("octo/repo")).await.unwrap();
    assert_eq!(
        open.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["a"]
    );
    let (sorted, truncated) = store.open_intents_sorted(10).await.unwrap();
    assert_eq!(sorted.len(), 1);
    assert!(!truncated);
    let lease = std::time::Duration::from_secs(60);
    let mut decided = Vec::new();
    let due = store
        .decide_due_intents("me", now, lease, 10, |row| {
            decided.push(row.id.clone());
            None
        })
        .await
        .expect("a batch with an unreadable row is decided");
    assert_eq!(decided, ["a"], "only the readable row is decided");
    assert_eq!(
        due,
        [("a".to_string(), None), ("b".to_string(), None)],
        "neither was written"
    );
    // Both are leased, so that they are not read again at once (no busy loop), and
    // come back when the lease runs out.
    let again = store
        .decide_due_intents("me", now + 1, lease, 10, |_| None)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");
    let later = now + lease.as_millis() as i64 + 1;
    let again = store
        .decide_due_intents("me", later, lease, 10, |_| None)
        .await
        .unwrap();
    assert_eq!(again.len(), 2, "{again:?}");
    let effects = store
        .claim_effects("me", now, std::time::Duration::from_secs(60), 10)
        .await
        .expect("a batch with an unreadable effect is claimed");
    assert_eq!(
        effects
            .iter()
            .map(|(e, _)| e.intent_id.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    assert_eq!(effects[0].0.effect, remove_label("intent-to-close"));
    // The unreadable intent is still there, for a release that can read it.
    assert!(store.intent("b").await.is_err());
    store.close().await;
}

#[tokio::test]
async fn an_unreadable_row_holds_up_only_itself_sqlite() {
    an_unreadable_row_holds_up_only_itself(Db::Sqlite).await;
}

#[tokio::test]
async fn an_unreadable_row_holds_up_only_itself_postgres() {
    an_unreadable_row_holds_up_only_itself(Db::Postgres).await;
}

// ---------------------------------------------------------------------------
// Release 04ec721 stored notices, concerns, refusal and give-up reasons and "not
// opened" notes as sentences; this build stores facts and words them when it renders.

const R04EC721: &str = "release-04ec721";

fn intent_04ec721(name: &str) -> Intent {
    codec::decode_intent(&read(R04EC721, &format!("intent-{name}.json")))
        .unwrap_or_else(|e| panic!("intent-{name}.json: {e:#}"))
}

/// What people see of an intent at `now`: status comment, outcome comment, check run
/// (the form of `shown-*.md`).
fn shown(i: &Intent, now: Timestamp) -> String {
    let view = render::check_run(i, now);
    let place = render::Place {
        repo: "octo/repo",
        number: 7,
    };
    format!(
        "{}\n---- outcome comment ----\n{}\n---- check run ----\n{}\n{}\n",
        render::status_comment(i, "0123456789abcdef", now),
        if i.is_done() {
            render::outcome_comment_at(i, "0123456789abcdef", Some(place))
        } else {
            "(none yet)".into()
        },
        view.title,
        view.summary
    )
}

fn actor(login: &str, role: Option<Role>) -> Actor {
    Actor {
        login: login.into(),
        role,
        approver: false,
    }
}

fn cmd_as(login: &str, role: Option<Role>, body: &str, id: u64, when: Timestamp) -> Event {
    Event::Command {
        actor: actor(login, role),
        command: parse_commands(body).remove(0),
        source: Source::Comment(id),
        url: Some(format!(
            "https://github.com/octo/repo/pull/7#issuecomment-{id}"
        )),
        at: when,
        sender_is_author: true,
        edited_from: None,
    }
}

fn open_pull(config: &RepoConfig, head: Option<&str>) -> Intent {
    let mut i = Intent::open(Opening {
        policy: config.policy("intent-to-merge").unwrap(),
        is_pull: true,
        item_author: "dave".into(),
        author: "alice".into(),
        at: at(0, 0),
        now: at(0, 0),
        head_sha: head.map(String::from),
        carried: Vec::new(),
    })
    .0;
    i.handle(
        Event::Noticed {
            at: at(0, 0),
            comment: Some(100),
        },
        at(0, 0),
    );
    i
}

fn review(login: &str, id: u64, verdict: Verdict, when: Timestamp) -> Event {
    Event::Review {
        actor: actor(login, Some(Role::Read)),
        review_id: id,
        verdict,
        body: if verdict == Verdict::ChangesRequested {
            "no".into()
        } else {
            String::new()
        },
        commit_id: None,
        url: None,
        at: when,
    }
}

/// The histories behind the fixtures of release 04ec721, decided by this build: each
/// name, the intent, and when it is shown.
fn histories_04ec721() -> Vec<(&'static str, Intent, Timestamp)> {
    let defaults = RepoConfig::default();
    let w = Some(Role::Write);
    let mut out = Vec::new();

    let mut i = open_pull(&defaults, Some("sha-0"));
    i.handle(cmd_as("grace", w, "/approve", 50, at(0, 0)), at(0, 0));
    let other = Event::OtherIntentLabel {
        label: "intent-to-close".into(),
        by: "frank".into(),
    };
    i.handle(other, at(1, 0));
    i.handle(cmd_as("bob", w, "/extend 20d", 101, at(1, 0)), at(1, 0));
    i.handle(cmd_as("bob", w, "/extend soon", 102, at(1, 1)), at(1, 1));
    let object = cmd_as(
        "erin",
        Some(Role::Read),
        "/object I do not like it",
        103,
        at(1, 2),
    );
    i.handle(object, at(1, 2));
    i.handle(cmd_as("bob", w, "/cancel", 104, at(1, 3)), at(1, 3));
    i.handle(cmd_as("alice", w, "/approve", 105, at(1, 4)), at(1, 4));
    i.handle(cmd_as("dave", w, "/approve", 106, at(1, 5)), at(1, 5));
    let push = Event::HeadChanged {
        sha: Some("sha-1".into()),
        at: at(2, 0),
    };
    i.handle(push, at(2, 0));
    i.handle(cmd_as("frank", w, "/approve", 107, at(1, 30)), at(2, 1));
    i.handle(
        review("erin", 9, Verdict::ChangesRequested, at(2, 2)),
        at(2, 2),
    );
    i.handle(review("erin", 10, Verdict::Approved, at(2, 3)), at(2, 3));
    i.handle(cmd_as("bob", w, "/approve", 108, at(3, 0)), at(3, 0));
    i.handle(Event::Due, at(3, 0));
    i.handle(Event::Verified(facts(Some("sha-1"), &["bob"])), at(3, 0));
    // The engine now reports this as a fact.
    i.handle(Event::MergeResult(MergeResult::NoMergeMethod), at(3, 0));
    out.push(("open-merge-worded", i, at(3, 1)));

    let approvers = RepoConfig::parse("approvers: [carol, \"@acme/release\"]\n").unwrap();
    let mut i = open_pull(&approvers, Some("sha-0"));
    i.handle(cmd_as("bob", w, "/approve", 101, at(1, 0)), at(1, 0));
    out.push(("open-merge-approvers", i, at(1, 1)));

    let mut i = open_pull(&defaults, Some("sha-0"));
    i.handle(cmd_as("bob", w, "/approve", 101, at(1, 0)), at(1, 0));
    i.handle(Event::Due, at(1, 0));
    i.handle(Event::Verified(facts(Some("sha-0"), &["bob"])), at(1, 0));
    let refused = MergeResult::Refused {
        message: "Required status check \"ci\" is failing.".into(),
        soon: false,
    };
    i.handle(Event::MergeResult(refused), at(1, 0));
    let end = at(1, 0) + SignedDuration::from_hours(7 * 24) + SignedDuration::from_mins(1);
    i.handle(Event::Due, end);
    out.push(("done-gave-up", i, end));

    let mut i = open_pull(&defaults, None);
    i.handle(cmd_as("bob", w, "/approve", 101, at(1, 0)), at(1, 0));
    i.handle(Event::Due, at(1, 0));
    i.handle(Event::Verified(facts(None, &["bob"])), at(1, 0));
    out.push(("done-refused-head-unknown", i, at(1, 0)));

    let mut i = open_pull(&defaults, Some("sha-0"));
    i.handle(cmd_as("bob", w, "/approve", 101, at(1, 0)), at(1, 0));
    i.handle(Event::Due, at(1, 0));
    i.handle(Event::Verified(facts(Some("sha-0"), &["bob"])), at(1, 0));
    i.handle(Event::MergeResult(MergeResult::PullClosed), at(1, 0));
    out.push(("done-refused-pull-closed", i, at(1, 0)));

    let policy = defaults.policy("intent-to-merge").unwrap();
    let error = RepoConfig::parse("window: soon\n").unwrap_err().to_string();
    let why = NotOpened::BadConfig {
        label: policy.label.to_string(),
        problem: ConfigProblem::Invalid {
            file: "octo/repo/.github/tacit.yml".into(),
            error,
        },
    };
    let (i, _) = Intent::not_opened(policy.clone(), true, "alice", at(0, 0), why);
    out.push(("done-not-opened-config", i, at(0, 0)));
    let why = NotOpened::NotAPullRequest {
        label: "intent-to-merge".into(),
        for_issues: vec!["intent-to-close".into(), "intent-to-proceed".into()],
    };
    let (i, _) = Intent::not_opened(policy, false, "alice", at(0, 0), why);
    out.push(("done-not-opened-issue", i, at(0, 0)));
    out
}

/// The sentences release 04ec721 stored load, and show exactly as that release showed
/// them; the same histories decided by this build, which stores facts instead, show the
/// same words.
#[test]
fn sentences_stored_by_04ec721_show_as_that_release_showed_them() {
    let histories = histories_04ec721();
    assert_eq!(histories.len(), 7);
    for (name, now_built, now) in histories {
        let expected = read(R04EC721, &format!("shown-{name}.md"));
        let stored = intent_04ec721(name);
        assert_eq!(
            shown(&stored, now),
            expected,
            "{name}, as stored by 04ec721"
        );
        assert_eq!(
            shown(&now_built, now),
            expected,
            "{name}, as this build decides it"
        );
        // The stored row holds sentences; this build's holds facts, and no sentence.
        let again = codec::encode_intent(&now_built).unwrap();
        for sentence in [
            "needs write permission",
            "capped at",
            "not understood",
            "started again",
            "is already open here",
            "no merge method",
            "was closed",
            "does not know",
            "refused for",
            "was not started",
            "only works on",
        ] {
            assert!(
                !again.contains(sentence),
                "{name} stores {sentence:?}: {again}"
            );
        }
    }
}

/// The stored sentences of 04ec721 are read as they are, and the intents decide on.
#[test]
fn intents_of_04ec721_with_sentences_decide_on() {
    let mut i = intent_04ec721("open-merge-worded");
    assert_eq!(i.notices.len(), 4);
    assert!(i.notes.is_empty());
    assert_eq!(i.concerns.len(), 8);
    assert!(
        i.concerns
            .iter()
            .all(|c| c.reason.is_none() && !c.why.is_empty())
    );
    let r = i.refusal.clone().expect("waiting after a refused merge");
    assert_eq!(r.message, "no merge method is allowed on this repository");
    assert_eq!(r.cause, None);
    // Checks changed: retry at once; merged this time.
    i.handle(Event::ChecksChanged, at(3, 5));
    assert_eq!(i.handle(Event::Due, at(3, 5)), vec![Effect::Verify]);
    i.handle(Event::Verified(facts(Some("sha-1"), &["bob"])), at(3, 5));
    let merged = MergeResult::Merged {
        sha: "merge-sha".into(),
    };
    i.handle(Event::MergeResult(merged), at(3, 5));
    assert!(matches!(i.outcome, Some(Outcome::Merged { .. })));

    let i = intent_04ec721("done-gave-up");
    assert!(
        matches!(&i.outcome, Some(Outcome::GaveUp { reason, last: None }) if reason.contains("refused for 7d"))
    );
    let i = intent_04ec721("done-not-opened-config");
    assert!(
        matches!(&i.outcome, Some(Outcome::NotOpened { why: None, message }) if message.contains("line 1"))
    );
}
