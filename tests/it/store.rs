//! The durable store on its own, against SQLite and PostgreSQL alike: the promises of
//! `src/store/mod.rs` (one row per delivery id, leases with fencing, versioned intent
//! writes, one open intent per item, retention), checked without a server around it.

use std::time::Duration;

use jiff::Timestamp;
use tacit::core::config::RepoConfig;
use tacit::core::intent::{Effect, Event, Intent, Opening};
use tacit::store::{Cause, IntentWrite, Need, NewDelivery, Recorded, Store, WriteOutcome};

use crate::support::tacit::{Db, TestDb, count_deliveries};

const LEASE: Duration = Duration::from_secs(60);
const T0: i64 = 1_790_000_000_000;

async fn store(kind: Db) -> (Store, TestDb) {
    let db = TestDb::new(kind).await;
    let store = Store::connect(&db.url).await.expect("store connects");
    (store, db)
}

fn delivery(id: &str, item: &str, done: bool) -> NewDelivery {
    NewDelivery {
        id: id.to_string(),
        event: "issue_comment".to_string(),
        action: Some("created".to_string()),
        installation_id: Some(1),
        item_key: item.to_string(),
        payload: if done {
            String::new()
        } else {
            "{}".to_string()
        },
        need: if done { Need::Nothing } else { Need::Always },
    }
}

/// An `intent-to-close` opened on issue `number` of Octo/Repo at `at_ms`.
fn opened(number: i64, at_ms: i64) -> IntentWrite {
    opened_on(number, at_ms, None)
}

/// An intent opened on item `number` of Octo/Repo at `at_ms`: on an issue
/// (`intent-to-close`) or, with its head commit, on a pull request (`intent-to-merge`).
fn opened_on(number: i64, at_ms: i64, head: Option<&str>) -> IntentWrite {
    let label = match head {
        None => "intent-to-close",
        Some(_) => "intent-to-merge",
    };
    let policy = RepoConfig::default()
        .policy(label)
        .expect("a default intent");
    let at = Timestamp::from_millisecond(at_ms).unwrap();
    let (intent, effects) = Intent::open(Opening {
        policy,
        is_pull: head.is_some(),
        item_author: "dave".into(),
        author: "alice".into(),
        at,
        now: at,
        head_sha: head.map(String::from),
        carried: vec![],
    });
    IntentWrite {
        id: format!("intent-{number}-{at_ms}"),
        expected_version: None,
        installation_id: 1,
        repo: "Octo/Repo".into(),
        number,
        intent,
        effects,
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::Db::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(super::Db::Postgres).await; })*
        }
    };
}

both!(
    a_delivery_id_is_recorded_once,
    a_batch_over_many_statements_keeps_the_bodies_of_new_pending_deliveries_only,
    a_failed_intake_records_nothing_and_the_next_one_works,
    deliveries_with_nothing_to_do_are_never_claimed,
    deliveries_of_one_item_are_claimed_in_order,
    a_lapsed_lease_cannot_complete_the_work,
    intent_writes_check_the_version,
    one_open_intent_per_item,
    a_restarted_replica_takes_its_leases_back,
    old_finished_work_is_pruned,
    old_failed_deliveries_are_pruned_with_their_bodies,
    concurrent_writes_commit_together_and_fail_alone,
    timer_writes_share_statements_and_still_check_versions,
    what_a_delivery_needs_is_settled_against_the_open_intents,
    the_head_column_is_filled_once_per_database,
    due_intents_are_decided_once_across_replicas,
);

async fn a_delivery_id_is_recorded_once(kind: Db) {
    let (s, db) = store(kind).await;
    let fresh = s
        .insert_deliveries(
            &[delivery("a", "r#1", false), delivery("a", "r#1", false)],
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        fresh,
        vec![Recorded::Pending, Recorded::Duplicate],
        "the second copy is a duplicate"
    );
    let again = s
        .insert_deliveries(&[delivery("a", "r#1", false)], T0 + 1)
        .await
        .unwrap();
    assert_eq!(again, vec![Recorded::Duplicate]);
    assert_eq!(count_deliveries(&db.url).await, 1);
}

/// A batch larger than one statement's rows (the intake's chunks hold 128): each new
/// delivery recorded once, pending or done as asked; a body kept for every new pending
/// one and for nothing else (not for a copy of a delivery recorded before, pending or
/// done, nor for the second copy of an id within the batch).
async fn a_batch_over_many_statements_keeps_the_bodies_of_new_pending_deliveries_only(kind: Db) {
    let (s, db) = store(kind).await;
    s.insert_deliveries(
        &[
            delivery("old-pending", "r#1", false),
            delivery("old-done", "r#2", true),
        ],
        T0,
    )
    .await
    .unwrap();
    let body = |i: usize| format!("{{\"n\":{i}}}");
    let mut batch: Vec<NewDelivery> = (0..300)
        .map(|i| NewDelivery {
            payload: if i % 3 == 0 { String::new() } else { body(i) },
            need: if i % 3 == 0 {
                Need::Nothing
            } else {
                Need::Always
            },
            ..delivery(&format!("d{i}"), &format!("r#{}", 10 + i), false)
        })
        .collect();
    batch.insert(5, delivery("old-pending", "r#1", false));
    batch.insert(200, delivery("old-done", "r#2", false));
    batch.push(NewDelivery {
        payload: "{\"copy\":true}".into(),
        ..delivery("d1", "r#11", false)
    });
    let recorded = s.insert_deliveries(&batch, T0 + 1).await.unwrap();
    let expected: Vec<Recorded> = batch
        .iter()
        .enumerate()
        .map(|(i, d)| match d.id.as_str() {
            "old-pending" | "old-done" => Recorded::Duplicate,
            _ if i == batch.len() - 1 => Recorded::Duplicate,
            _ if d.need == Need::Nothing => Recorded::Done,
            _ => Recorded::Pending,
        })
        .collect();
    assert_eq!(recorded, expected);
    assert_eq!(count_deliveries(&db.url).await, 302);
    // Every pending delivery is claimed with its own body; the done ones never are.
    let claimed = s
        .claim_deliveries("me", T0 + 2, LEASE, 1_000)
        .await
        .unwrap();
    let mut got: Vec<(String, String)> = claimed
        .iter()
        .map(|(d, _)| (d.id.clone(), d.payload.clone()))
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = (0..300)
        .filter(|i| i % 3 != 0)
        .map(|i| (format!("d{i}"), body(i)))
        .chain([("old-pending".to_string(), "{}".to_string())])
        .collect();
    want.sort();
    assert_eq!(got, want);
    // A body for each pending delivery, and none for the done ones.
    let mut kept: Vec<String> = states(&db.url)
        .await
        .into_iter()
        .filter(|(_, _, body)| *body)
        .map(|(id, _, _)| id)
        .collect();
    kept.sort();
    let pending: Vec<String> = want.into_iter().map(|(id, _)| id).collect();
    assert_eq!(kept, pending);
}

/// A recording transaction that fails half-way (here: its second statement finds no
/// table) leaves nothing behind, answers an error, and the next one is recorded: on
/// SQLite, where the transaction's `BEGIN` and `COMMIT` travel inside the statement
/// strings, the connection it failed on is closed (rolling it back) rather than
/// handed to the next writer with the transaction still open.
async fn a_failed_intake_records_nothing_and_the_next_one_works(kind: Db) {
    let (s, db) = store(kind).await;
    execute(
        &db.url,
        "ALTER TABLE delivery_payloads RENAME TO payloads_away",
    )
    .await;
    assert!(
        s.insert_deliveries(&[delivery("a", "r#1", false)], T0)
            .await
            .is_err(),
        "no table for the body: the batch fails"
    );
    assert_eq!(count_deliveries(&db.url).await, 0, "rolled back");
    execute(
        &db.url,
        "ALTER TABLE payloads_away RENAME TO delivery_payloads",
    )
    .await;
    let recorded = s
        .insert_deliveries(
            &[delivery("a", "r#1", false), delivery("b", "r#2", true)],
            T0 + 1,
        )
        .await
        .unwrap();
    assert_eq!(recorded, [Recorded::Pending, Recorded::Done]);
    let claimed = s.claim_deliveries("me", T0 + 2, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].0.payload, "{}");
}

async fn execute(url: &str, sql: &'static str) {
    let pool = sqlx::AnyPool::connect(url)
        .await
        .expect("open the database");
    sqlx::query(sql).execute(&pool).await.expect(sql);
    pool.close().await;
}

async fn deliveries_with_nothing_to_do_are_never_claimed(kind: Db) {
    let (s, _db) = store(kind).await;
    s.insert_deliveries(
        &[delivery("x", "r#1", true), delivery("y", "r#2", false)],
        T0,
    )
    .await
    .unwrap();
    let claimed = s.claim_deliveries("me", T0, LEASE, 10).await.unwrap();
    let ids: Vec<_> = claimed.iter().map(|(d, _)| d.id.as_str()).collect();
    assert_eq!(ids, ["y"]);
    assert!(s.delivery_exists("x").await.unwrap(), "still deduplicated");
}

async fn deliveries_of_one_item_are_claimed_in_order(kind: Db) {
    let (s, _db) = store(kind).await;
    s.insert_deliveries(&[delivery("first", "r#1", false)], T0)
        .await
        .unwrap();
    s.insert_deliveries(&[delivery("second", "r#1", false)], T0 + 1)
        .await
        .unwrap();
    let claimed = s.claim_deliveries("me", T0 + 2, LEASE, 10).await.unwrap();
    let ids: Vec<_> = claimed.iter().map(|(d, _)| d.id.clone()).collect();
    assert_eq!(ids, ["first"], "the second waits for the first");
    let (d, lease) = &claimed[0];
    let cause = Cause::Delivery {
        id: d.id.clone(),
        lease: lease.clone(),
    };
    assert_eq!(
        s.write(None, &cause, T0 + 3).await.unwrap(),
        WriteOutcome::Written
    );
    let claimed = s.claim_deliveries("me", T0 + 4, LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].0.id, "second");
}

async fn a_lapsed_lease_cannot_complete_the_work(kind: Db) {
    let (s, _db) = store(kind).await;
    s.insert_deliveries(&[delivery("d", "r#1", false)], T0)
        .await
        .unwrap();
    let (slow, slow_lease) = s
        .claim_deliveries("replica-a", T0, LEASE, 1)
        .await
        .unwrap()
        .remove(0);
    // Nobody else can take it while the lease runs.
    assert!(
        s.claim_deliveries("replica-b", T0 + 1_000, LEASE, 1)
            .await
            .unwrap()
            .is_empty()
    );
    // After it ran out, another replica takes it, with a new fencing token.
    let later = T0 + LEASE.as_millis() as i64 + 1;
    let (_, fast_lease) = s
        .claim_deliveries("replica-b", later, LEASE, 1)
        .await
        .unwrap()
        .remove(0);
    assert!(fast_lease.attempt > slow_lease.attempt);
    let w = opened(1, T0);
    let stale = Cause::Delivery {
        id: slow.id.clone(),
        lease: slow_lease,
    };
    assert_eq!(
        s.write(Some(&w), &stale, later + 1).await.unwrap(),
        WriteOutcome::LostLease,
        "the first holder's late decision is refused"
    );
    assert!(s.open_intent_for("octo/repo", 1).await.unwrap().is_none());
    let current = Cause::Delivery {
        id: slow.id,
        lease: fast_lease,
    };
    assert_eq!(
        s.write(Some(&w), &current, later + 2).await.unwrap(),
        WriteOutcome::Written
    );
    assert!(s.open_intent_for("octo/repo", 1).await.unwrap().is_some());
}

async fn intent_writes_check_the_version(kind: Db) {
    let (s, _db) = store(kind).await;
    let w = opened(2, T0);
    assert_eq!(
        s.write(Some(&w), &Cause::None, T0).await.unwrap(),
        WriteOutcome::Written
    );
    let row = s.open_intent_for("octo/repo", 2).await.unwrap().unwrap();
    let update = |version| IntentWrite {
        expected_version: Some(version),
        effects: vec![],
        ..w.clone()
    };
    assert_eq!(
        s.write(Some(&update(row.version)), &Cause::None, T0 + 1)
            .await
            .unwrap(),
        WriteOutcome::Written
    );
    // A writer that read the old version loses.
    assert_eq!(
        s.write(Some(&update(row.version)), &Cause::None, T0 + 2)
            .await
            .unwrap(),
        WriteOutcome::Conflict
    );
}

async fn one_open_intent_per_item(kind: Db) {
    let (s, _db) = store(kind).await;
    assert_eq!(
        s.write(Some(&opened(3, T0)), &Cause::None, T0)
            .await
            .unwrap(),
        WriteOutcome::Written
    );
    // A second insert for the same item (a racing replica) is refused, not doubled.
    assert_eq!(
        s.write(Some(&opened(3, T0 + 5)), &Cause::None, T0 + 5)
            .await
            .unwrap(),
        WriteOutcome::Conflict
    );
    assert_eq!(s.count_open_intents().await.unwrap(), 1);
}

async fn a_restarted_replica_takes_its_leases_back(kind: Db) {
    let (s, _db) = store(kind).await;
    s.insert_deliveries(&[delivery("d", "r#1", false)], T0)
        .await
        .unwrap();
    assert_eq!(
        s.claim_deliveries("host:3000", T0, LEASE, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    // The process died; the same replica starts again well inside the lease.
    s.release_stale_leases("host:3000").await.unwrap();
    assert_eq!(
        s.claim_deliveries("host:3000", T0 + 10, LEASE, 1)
            .await
            .unwrap()
            .len(),
        1,
        "its own lease is released at start, not waited out"
    );
}

async fn old_finished_work_is_pruned(kind: Db) {
    let (s, _db) = store(kind).await;
    s.insert_deliveries(
        &[
            delivery("old-done", "r#1", true),
            delivery("old-pending", "r#2", false),
        ],
        T0,
    )
    .await
    .unwrap();
    s.insert_deliveries(&[delivery("new-done", "r#3", true)], T0 + 10_000)
        .await
        .unwrap();
    let pruned = s.prune(T0 + 5_000).await.unwrap();
    assert_eq!(pruned, 1);
    assert!(!s.delivery_exists("old-done").await.unwrap());
    assert!(
        s.delivery_exists("old-pending").await.unwrap(),
        "not finished"
    );
    assert!(s.delivery_exists("new-done").await.unwrap(), "not old");
}

/// A delivery that failed for good is kept for the retention period like a finished one
/// (long past GitHub's 3-day redelivery window), then goes with its body.
async fn old_failed_deliveries_are_pruned_with_their_bodies(kind: Db) {
    let (s, db) = store(kind).await;
    s.insert_deliveries(
        &[
            delivery("old-failed", "r#1", false),
            delivery("old-pending", "r#2", false),
        ],
        T0,
    )
    .await
    .unwrap();
    s.insert_deliveries(&[delivery("new-failed", "r#3", false)], T0 + 10_000)
        .await
        .unwrap();
    let claimed = s
        .claim_deliveries("me", T0 + 10_000, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    for (d, lease) in &claimed {
        if d.id != "old-pending" {
            s.retry_delivery(&d.id, lease, T0 + 10_000, "boom", true)
                .await
                .unwrap();
        }
    }
    let bodies = || async {
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        let row = sqlx::query("SELECT COUNT(*) AS n FROM delivery_payloads")
            .fetch_one(&pool)
            .await
            .unwrap();
        let n: i64 = sqlx::Row::get(&row, "n");
        pool.close().await;
        n
    };
    assert_eq!(bodies().await, 3);
    let pruned = s.prune(T0 + 5_000).await.unwrap();
    assert_eq!(pruned, 1);
    assert!(!s.delivery_exists("old-failed").await.unwrap());
    assert_eq!(bodies().await, 2, "its body went with it");
    assert!(
        s.delivery_exists("old-pending").await.unwrap(),
        "not finished"
    );
    assert!(s.delivery_exists("new-failed").await.unwrap(), "not old");
}

/// Writes from many workers at once are committed in shared transactions, yet each
/// keeps its own outcome: a write that loses (here: a second intent for an item that
/// already has one) is rolled back alone, including the completion of its delivery.
async fn concurrent_writes_commit_together_and_fail_alone(kind: Db) {
    let (s, _db) = store(kind).await;
    let items: Vec<String> = (0..40).map(|i| format!("d{i}")).collect();
    let new: Vec<NewDelivery> = items
        .iter()
        .enumerate()
        .map(|(i, id)| delivery(id, &format!("r#{i}"), false))
        .collect();
    s.insert_deliveries(&new, T0).await.unwrap();
    let claimed = s.claim_deliveries("me", T0, LEASE, 100).await.unwrap();
    assert_eq!(claimed.len(), 40);
    let mut tasks = Vec::new();
    for (d, lease) in claimed {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let i: i64 = d.id[1..].parse().unwrap();
            // Even deliveries open an intent on their own item (100 + i); odd ones
            // all try to open one on item 7.
            let number = if i % 2 == 0 { 100 + i } else { 7 };
            let w = opened(number, T0 + i);
            let cause = Cause::Delivery {
                id: d.id.clone(),
                lease,
            };
            (i, s.write(Some(&w), &cause, T0 + 1).await.unwrap())
        }));
    }
    let mut won_on_7 = 0;
    for t in tasks {
        let (i, outcome) = t.await.unwrap();
        if i % 2 == 0 {
            assert_eq!(outcome, WriteOutcome::Written, "d{i}");
        } else if outcome == WriteOutcome::Written {
            won_on_7 += 1;
        } else {
            assert_eq!(outcome, WriteOutcome::Conflict, "d{i}");
        }
    }
    assert_eq!(won_on_7, 1, "one intent on item 7");
    assert_eq!(s.count_open_intents().await.unwrap(), 21);
    // The 19 losers' deliveries were not marked done: they can be claimed again
    // (once their lease runs out) and decided anew.
    let later = T0 + LEASE.as_millis() as i64 + 10;
    let again = s.claim_deliveries("me", later, LEASE, 100).await.unwrap();
    assert_eq!(again.len(), 19);
}

/// Timer writes (an intent update without a cause) arriving together are written with
/// multi-row statements: each still checks its version, a second write to the same
/// intent in the batch still loses, and effects are numbered after the intent's own.
async fn timer_writes_share_statements_and_still_check_versions(kind: Db) {
    let (s, db) = store(kind).await;
    let mut opened_writes = Vec::new();
    for n in 1..=30 {
        let w = opened(n, T0);
        assert_eq!(
            s.write(Some(&w), &Cause::None, T0).await.unwrap(),
            WriteOutcome::Written
        );
        opened_writes.push(w);
    }
    let first_effects = opened_writes[0].effects.len() as i64;
    // Intents 1-5 get two racing updates; 26-30 one from a stale reader.
    let mut tasks = Vec::new();
    for w in &opened_writes {
        let copies = if w.number <= 5 { 2 } else { 1 };
        for copy in 0..copies {
            let update = IntentWrite {
                expected_version: Some(if w.number > 25 { 0 } else { 1 }),
                effects: vec![Effect::SyncStatus, Effect::SyncCheck],
                ..w.clone()
            };
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let outcome = s.write(Some(&update), &Cause::None, T0 + 1 + copy).await;
                (update.number, outcome.unwrap())
            }));
        }
    }
    let mut written = std::collections::BTreeMap::<i64, usize>::new();
    for t in tasks {
        let (n, outcome) = t.await.unwrap();
        match outcome {
            WriteOutcome::Written => *written.entry(n).or_default() += 1,
            WriteOutcome::Conflict => {}
            other => panic!("intent {n}: {other:?}"),
        }
    }
    let expected: std::collections::BTreeMap<i64, usize> = (1..=25).map(|n| (n, 1)).collect();
    assert_eq!(
        written, expected,
        "one write per intent, none from stale readers"
    );

    // Effects: numbered 1.. without a gap or a repeat, per intent.
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT intent_id, seq FROM effects ORDER BY intent_id, seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    for w in &opened_writes {
        let seqs: Vec<i64> = rows
            .iter()
            .filter(|(id, _)| *id == w.id)
            .map(|(_, seq)| *seq)
            .collect();
        let n = first_effects + if w.number <= 25 { 2 } else { 0 };
        assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "intent {}", w.number);
    }
    let versions: Vec<(i64, i64)> =
        sqlx::query_as("SELECT number, version FROM intents ORDER BY number")
            .fetch_all(&pool)
            .await
            .unwrap();
    for (n, v) in versions {
        assert_eq!(v, if n <= 25 { 2 } else { 1 }, "intent {n}");
    }
    pool.close().await;
}

/// A delivery of `need` about `item` (a key as `Payload::item_key` makes it).
fn needing(id: &str, item: &str, need: Need) -> NewDelivery {
    NewDelivery {
        need,
        ..delivery(id, item, false)
    }
}

/// Each delivery's state (`done` or `pending`) and whether its body was kept.
async fn states(url: &str) -> Vec<(String, String, bool)> {
    let pool = sqlx::AnyPool::connect(url)
        .await
        .expect("open the database");
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT d.id, d.state, CASE WHEN p.id IS NULL THEN 0 ELSE 1 END
         FROM deliveries d LEFT JOIN delivery_payloads p ON p.id = d.id ORDER BY d.id",
    )
    .fetch_all(&pool)
    .await
    .expect("read deliveries");
    pool.close().await;
    rows.into_iter()
        .map(|(id, state, body)| (id, state, body == 1))
        .collect()
}

async fn what_a_delivery_needs_is_settled_against_the_open_intents(kind: Db) {
    let (s, db) = store(kind).await;
    let repo = || "octo/repo".to_string();
    let item = || Need::Item { repo: repo() };
    let head = |sha: &str| Need::Head {
        repo: repo(),
        sha: sha.into(),
    };
    for w in [opened(1, T0), opened_on(2, T0, Some("aaa"))] {
        assert_eq!(
            s.write(Some(&w), &Cause::None, T0).await.unwrap(),
            WriteOutcome::Written
        );
    }
    // An intent that ended: its item and head concern nothing any more.
    let mut ended = opened_on(6, T0, Some("fff"));
    ended.intent.ended_at = Some(Timestamp::from_millisecond(T0).unwrap());
    ended.intent.phase = tacit::core::intent::Phase::Done;
    ended.intent.outcome = Some(tacit::core::intent::Outcome::Cancelled { by: "alice".into() });
    assert!(ended.intent.is_done());
    s.write(Some(&ended), &Cause::None, T0).await.unwrap();
    // A delivery still pending about item 5 (a label that may open an intent there).
    s.insert_deliveries(&[needing("a-label-5", "octo/repo#5", Need::Always)], T0)
        .await
        .unwrap();
    s.insert_deliveries(
        &[
            needing("b-comment-1", "octo/repo#1", item()),
            needing("c-comment-3", "octo/repo#3", item()),
            needing("d-check-aaa", "octo/repo", head("aaa")),
            needing("e-check-bbb", "octo/repo", head("bbb")),
            needing("f-label-4", "octo/repo#4", Need::Always),
            needing("g-review-4", "octo/repo#4", item()),
            needing("h-review-5", "octo/repo#5", item()),
            needing("i-check-fff", "octo/repo", head("fff")),
            needing("j-review-6", "octo/repo#6", item()),
            needing("k-opened-7", "octo/repo#7", Need::Nothing),
        ],
        T0 + 1,
    )
    .await
    .unwrap();
    let pending = |id: &str| (id.to_string(), "pending".to_string(), true);
    let done = |id: &str| (id.to_string(), "done".to_string(), false);
    assert_eq!(
        states(&db.url).await,
        vec![
            pending("a-label-5"),
            pending("b-comment-1"), // item 1 has an open intent
            done("c-comment-3"),    // item 3 has none
            pending("d-check-aaa"), // the head of the intent on 2
            done("e-check-bbb"),    // no intent's head
            pending("f-label-4"),
            pending("g-review-4"), // a label about 4 came first in the same batch
            pending("h-review-5"), // a label about 5 is still pending
            done("i-check-fff"),   // the head of an intent that ended
            done("j-review-6"),
            done("k-opened-7"),
        ]
    );
}

async fn the_head_column_is_filled_once_per_database(kind: Db) {
    let (s, db) = store(kind).await;
    s.write(Some(&opened_on(2, T0, Some("aaa"))), &Cause::None, T0)
        .await
        .unwrap();
    // As a release before migration 0006 leaves it: no column, and never filled.
    let pool = sqlx::AnyPool::connect(&db.url)
        .await
        .expect("open the database");
    sqlx::query("UPDATE intents SET head_sha = NULL")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM kv WHERE k = 'intents.head_sha'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let check = || {
        needing(
            "check",
            "octo/repo",
            Need::Head {
                repo: "octo/repo".into(),
                sha: "aaa".into(),
            },
        )
    };
    s.insert_deliveries(&[check()], T0).await.unwrap();
    assert_eq!(
        states(&db.url).await[0].1,
        "done",
        "without the column the check is not kept"
    );
    assert_eq!(
        s.fill_head_columns().await.unwrap(),
        Some(1),
        "one row filled"
    );
    assert_eq!(
        s.fill_head_columns().await.unwrap(),
        None,
        "once per database"
    );
    s.insert_deliveries(
        &[NewDelivery {
            id: "check-2".into(),
            ..check()
        }],
        T0 + 1,
    )
    .await
    .unwrap();
    assert_eq!(
        states(&db.url).await[1].1,
        "pending",
        "the start filled the column"
    );
}

/// `Store::decide_due_intents` on two replicas at once (two stores on one database):
/// every due intent is decided by exactly one of them and written with its effects in
/// the transaction that read it; what is not due is not read; once written, nothing is
/// due any more.
async fn due_intents_are_decided_once_across_replicas(kind: Db) {
    let (a, db) = store(kind).await;
    let b = Store::connect(&db.url).await.expect("a second replica");
    let mut close = None;
    for n in 1..=40 {
        let mut w = opened(n, T0);
        // Its status comment appeared as it opened: the window runs from then.
        let at = Timestamp::from_millisecond(T0).unwrap();
        let noticed = Event::Noticed { at, comment: None };
        w.effects.extend(w.intent.handle(noticed, at));
        close = w.intent.next_due();
        assert_eq!(
            a.write(Some(&w), &Cause::None, T0).await.unwrap(),
            WriteOutcome::Written
        );
    }
    let close = close.expect("an open window closes");
    let now = close.as_millisecond();
    let before = a
        .decide_due_intents("a", now - 1, LEASE, 100, |_| panic!("nothing is due yet"))
        .await
        .unwrap();
    assert!(before.is_empty(), "{before:?}");

    let decide = |store: Store, owner: &'static str| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store
                .decide_due_intents(owner, now, LEASE, 7, |row| {
                    tacit::engine::decided(row, vec![Event::Due], close)
                })
                .await
                .unwrap();
            if batch.is_empty() {
                return mine;
            }
            for (id, outcome) in batch {
                assert_eq!(outcome, Some(WriteOutcome::Written), "{id}");
                mine.push(id);
            }
        }
    };
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let count_effects =
        || sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM effects").fetch_one(&pool);
    let effects_before = count_effects().await.unwrap();
    let (from_a, from_b) = tokio::join!(decide(a.clone(), "a"), decide(b.clone(), "b"));
    let mut all: Vec<String> = from_a.iter().chain(&from_b).cloned().collect();
    all.sort();
    let mut expected: Vec<String> = (1..=40).map(|n| opened(n, T0).id).collect();
    expected.sort();
    assert_eq!(
        all, expected,
        "each due intent decided once, by one replica"
    );

    let (versions, leased): (i64, i64) = sqlx::query_as(
        "SELECT CAST(SUM(version) AS BIGINT), CAST(COUNT(lease_owner) AS BIGINT) FROM intents",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(versions, 80, "each intent written once more, no more");
    assert_eq!(leased, 0, "a decision written leaves no lease behind");
    let due: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM intents WHERE is_open = 1 AND due_at IS NOT NULL AND due_at <= $1",
    )
    .bind(now)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(due, 0, "nothing is due once decided");
    let effects = count_effects().await.unwrap() - effects_before;
    assert!(
        effects >= 40,
        "the decisions' effects were written with them: {effects}"
    );
    pool.close().await;
    b.close().await;
}
