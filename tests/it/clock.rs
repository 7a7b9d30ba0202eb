//! The wall clock jumps (an NTP step, a VM resumed, an operator's mistake). What
//! `src/clock.rs` promises: due times are stored and compared with the clock at one
//! place, so a jump forward runs what became due at once, a jump back makes due work
//! wait for the clock to reach it again, and neither loses or doubles an effect.

use std::sync::Arc;
use std::time::Duration;

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, JumpClock, Tacit, TestDb, fast_tuning, settings, wait};
use tacit::core::intent::{Intent, Status};

const O: &str = "octo";
const R: &str = "repo";
const HOUR_MS: i64 = 3_600_000;

async fn world(config: &str) -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", config);
    gh.set_permission(O, R, "alice", "maintain");
    gh.add_pull(O, R, 7, "dave", "abc123");
    gh
}

async fn start(gh: &FakeGitHub, db: &TestDb, clock: &Arc<JumpClock>) -> Tacit {
    Tacit::start_with_clock(settings(gh, &db.url), clock.clone()).await
}

async fn label(gh: &FakeGitHub, t: &Tacit) {
    gh.set_labels_by(O, R, 7, &["intent-to-merge"], "alice");
    let delivery = d::pr_labeled(O, R, 7, "intent-to-merge", "alice", "abc123");
    assert_eq!(t.deliver(&delivery).await, 202);
    wait(gh, "the status comment", 5, |g| {
        g.comments(O, R, 7)
            .iter()
            .any(|c| c.body.starts_with("<!-- tacit:intent -->"))
    })
    .await;
}

/// Item #7's intent as tacit stored it.
async fn stored(t: &Tacit) -> Intent {
    t.intent(&format!("{O}/{R}"), 7)
        .await
        .expect("an intent is stored")
        .intent
}

/// Wait until the window's close is stored (the status comment's answer recorded);
/// returns it.
async fn window_runs(t: &Tacit) -> jiff::Timestamp {
    t.wait_intent(
        &format!("{O}/{R}"),
        7,
        "the window's close stored",
        5,
        |r| r.intent.next_due().is_some(),
    )
    .await
    .intent
    .next_due()
    .expect("a due time")
}

/// The intent is done, merged once, and nothing more is scheduled: after the work due
/// now and what it causes has run, nothing more can happen.
async fn done_once(gh: &FakeGitHub, t: &Tacit) {
    t.settle().await;
    let i = stored(t).await;
    assert_eq!(i.status(), Status::Ended, "{:?}", i.outcome);
    assert_eq!(i.next_due(), None);
    let merges = gh.merges(O, R, 7);
    assert_eq!(merges.len(), 1, "exactly one merge: {merges:?}");
    assert_eq!(gh.count("PUT", "/pulls/7/merge"), 1);
    assert_eq!(merges[0]["sha"], "abc123");
}

/// Let the stored due time `due` pass by the real clock (not by tacit's), and one round
/// of the loops after it: a loop that compared with the real clock would act by then.
/// Kept as a wait: the real time passing is what is tested.
async fn real_time_passes(due: jiff::Timestamp) {
    let round = fast_tuning().max_idle + Duration::from_millis(200);
    let left = jiff::Timestamp::now().duration_until(due);
    let left = Duration::try_from(left).unwrap_or(Duration::ZERO);
    tokio::time::sleep(left + round).await;
}

async fn jump_forward(db: Db) {
    // A one-hour window: only the jump can close it within the test.
    let gh = world("window: 1h\n").await;
    let db = TestDb::new(db).await;
    let clock = Arc::new(JumpClock::default());
    let t = start(&gh, &db, &clock).await;
    label(&gh, &t).await;
    t.settle().await;
    let i = stored(&t).await;
    let noticed = i.noticed_at().expect("the window opened");
    let due = i.next_due().expect("the window runs");
    assert!(
        due >= noticed + jiff::SignedDuration::from_hours(1),
        "due {due}, window from {noticed}"
    );
    assert!(
        gh.merges(O, R, 7).is_empty(),
        "merged before the window closed"
    );

    clock.jump(HOUR_MS + 1_000);
    wait(&gh, "the merge after the jump", 10, |g| {
        !g.merges(O, R, 7).is_empty()
    })
    .await;
    // A second jump past where the first one landed changes nothing: the intent is done.
    clock.jump(HOUR_MS);
    done_once(&gh, &t).await;
    t.stop().await;
}

#[tokio::test]
async fn a_jump_forward_runs_what_became_due_once_sqlite() {
    jump_forward(Db::Sqlite).await;
}

#[tokio::test]
async fn a_jump_forward_runs_what_became_due_once_postgres() {
    jump_forward(Db::Postgres).await;
}

#[tokio::test]
async fn a_jump_back_delays_due_work_and_loses_none() {
    let gh = world("window: 2s\n").await;
    let db = TestDb::new(Db::Sqlite).await;
    let clock = Arc::new(JumpClock::default());
    let t = start(&gh, &db, &clock).await;
    label(&gh, &t).await;
    let due = window_runs(&t).await;

    // Back one hour just after the window opened: by this clock it closes in an hour.
    clock.jump(-HOUR_MS);
    real_time_passes(due).await;
    t.settle().await;
    assert!(
        gh.merges(O, R, 7).is_empty(),
        "acted although by the clock the window had not closed"
    );
    assert_eq!(
        stored(&t).await.next_due(),
        Some(due),
        "the due time stands"
    );

    // The clock is corrected: the window is over, the merge happens once.
    clock.jump(HOUR_MS);
    wait(&gh, "the merge once the clock is right", 10, |g| {
        !g.merges(O, R, 7).is_empty()
    })
    .await;
    done_once(&gh, &t).await;
    t.stop().await;
}

#[tokio::test]
async fn a_restart_with_the_clock_moved_back_keeps_the_window() {
    // The intent was opened, tacit stopped, and it came back with its clock an hour
    // behind: the stored due time stands; nothing acts early, nothing is forgotten.
    let gh = world("window: 2s\n").await;
    let db = TestDb::new(Db::Sqlite).await;
    let clock = Arc::new(JumpClock::default());
    let t = start(&gh, &db, &clock).await;
    label(&gh, &t).await;
    let due = window_runs(&t).await;
    t.stop().await;

    clock.jump(-HOUR_MS);
    let t = start(&gh, &db, &clock).await;
    // Start-up work (the reconciliation pass) done, and what it caused.
    t.reconcile().await;
    real_time_passes(due).await;
    t.settle().await;
    assert!(gh.merges(O, R, 7).is_empty(), "acted early after restart");
    assert_eq!(
        stored(&t).await.next_due(),
        Some(due),
        "the due time stands"
    );
    clock.jump(HOUR_MS);
    wait(&gh, "the merge after restart", 10, |g| {
        !g.merges(O, R, 7).is_empty()
    })
    .await;
    done_once(&gh, &t).await;
    t.stop().await;
}
