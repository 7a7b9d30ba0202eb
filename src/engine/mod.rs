//! The imperative shell around the core: it turns recorded deliveries, due times and
//! effect answers into core events, writes the core's decisions durably, and performs
//! the effects against GitHub.
//!
//! Three loops run side by side, each claiming work with a lease so that any number
//! of replicas can share one database:
//! - deliveries: recorded webhook deliveries, in order per item;
//! - timers: intents whose due time has come;
//! - effects: the outbox, in order per intent, intents side by side.
//!
//! Each loop sleeps until the earliest stored due time (or a kick after a write),
//! never on a fixed poll; `Tuning::max_idle` bounds the sleep so that work written by
//! another replica is seen.

mod config_check;
mod deliveries;
mod digest;
mod effects;
mod history;
mod labels;
mod reconcile;
mod repo;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::core::intent::Event;
use crate::github::GitHub;
use crate::settings::Tuning;
use crate::store::{Cause, IntentRow, IntentWrite, Store, WriteOutcome};

pub use reconcile::Report;
pub use repo::Permissions;

/// How many deliveries, or effects, are worked on at once per replica.
const CONCURRENCY: usize = 32;
/// The most due intents one transaction reads, decides and writes (see
/// [`Engine::fire_timers`]). A timer is database work only (the decision is pure), so a
/// burst of intents due in the same second is written in a few large transactions. On
/// SQLite the batch holds the one write connection while it is decided: 256 decisions
/// take a few milliseconds, which deliveries waiting to be recorded wait too.
const TIMER_BATCH: usize = 256;

pub struct Engine {
    pub(crate) store: Store,
    pub(crate) gh: GitHub,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) tuning: Tuning,
    /// This replica's name in leases.
    pub(crate) owner: String,
    /// One per loop ([`Work`]), so that a new delivery does not wake the timers.
    kicks: [Notify; 3],
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    pub(crate) perms: Permissions,
    pub(crate) configs: repo::ConfigCache,
    pub(crate) labelled: labels::Labelled,
    pub(crate) bot_login: Mutex<Option<String>>,
    /// When each status comment was last edited (edits are rate-limited).
    pub(crate) last_status_edit: Mutex<HashMap<String, Timestamp>>,
}

impl Engine {
    /// `owner` names this replica in leases; it should be stable across restarts of the
    /// same replica (see [`replica_name`]), so that a restarted replica can take back
    /// the leases its previous life held instead of waiting for them to expire.
    pub fn new(
        store: Store,
        gh: GitHub,
        clock: Arc<dyn Clock>,
        tuning: Tuning,
        owner: String,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Arc<Engine> {
        let mut store = store;
        store.set_digest_delay(tuning.digest_delay);
        Arc::new(Engine {
            store,
            gh,
            clock,
            metrics,
            perms: Permissions::new(Duration::from_secs(300)),
            configs: Default::default(),
            labelled: Default::default(),
            tuning,
            owner,
            kicks: [Notify::new(), Notify::new(), Notify::new()],
            bot_login: Mutex::new(None),
            last_status_edit: Mutex::new(HashMap::new()),
        })
    }

    /// Wake the loops: new work was written.
    pub fn kick(&self) {
        for k in &self.kicks {
            k.notify_waiters();
        }
    }

    /// Wake only the deliveries loop: new deliveries were recorded.
    pub fn kick_deliveries(&self) {
        self.kicks[Work::Deliveries as usize].notify_waiters();
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Learn the App's bot login (`<slug>[bot]`), to recognise tacit's own comments.
    pub async fn learn_identity(&self) {
        let cached = self.store.kv_get("app_slug").await.ok().flatten();
        let slug = match self.gh.app().await {
            Ok(app) => app.slug.or(cached),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the App (GET /app); using the stored slug");
                cached
            }
        };
        if let Some(slug) = slug {
            let _ = self.store.kv_set("app_slug", &slug).await;
            *self.bot_login.lock().expect("poisoned") = Some(format!("{slug}[bot]"));
        }
    }

    pub(crate) fn bot_login(&self) -> Option<String> {
        self.bot_login.lock().expect("poisoned").clone()
    }

    /// Run the three loops until `shutdown` turns true; in-flight work is finished.
    pub async fn run(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        let mut set = JoinSet::new();
        for kind in [Work::Deliveries, Work::Timers, Work::Effects] {
            let engine = self.clone();
            let shutdown = shutdown.clone();
            set.spawn(async move { engine.work_loop(kind, shutdown).await });
        }
        while set.join_next().await.is_some() {}
    }

    async fn work_loop(self: Arc<Self>, kind: Work, mut shutdown: watch::Receiver<bool>) {
        let concurrency = kind.concurrency();
        let permits = Arc::new(Semaphore::new(concurrency));
        let mut tasks = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            // Register for a kick before looking, so a write in between is not missed.
            let kicked = self.kicks[kind as usize].notified();
            tokio::pin!(kicked);
            kicked.as_mut().enable();

            // Claim in batches: while work is running, wait until a quarter of the
            // permits are free rather than running a claim query for every finished
            // piece (under load that query, not the work, would eat the core).
            let available = permits.available_permits();
            if available > 0 && (tasks.is_empty() || available >= concurrency / 4) {
                match self
                    .claim_and_spawn(kind, available, &permits, &mut tasks)
                    .await
                {
                    Ok(0) => {}
                    Ok(_) => continue,
                    Err(e) => tracing::warn!(error = %e, ?kind, "cannot claim work"),
                }
            }
            while tasks.try_join_next().is_some() {}

            // While work runs, its end wakes the loop (and a new claim is made once a
            // quarter of the permits are free): no need to ask the database when to
            // wake, a query that otherwise ran after every finished piece.
            let sleep = if tasks.is_empty() {
                self.sleep_for(kind).await
            } else {
                self.tuning.max_idle
            };
            tokio::select! {
                _ = &mut kicked => {}
                _ = tokio::time::sleep(sleep) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = shutdown.changed() => {}
            }
        }
        // Finish what is in flight before returning.
        while tasks.join_next().await.is_some() {}
    }

    /// Run everything due now (recorded deliveries, due intents, effects) and the work
    /// it causes, until nothing is due: the loops' bodies driven by the caller instead
    /// of by their wake-ups, so that a caller (an integration test) can wait for the
    /// engine to settle without sleeping. Work a running loop has claimed is waited for
    /// (it is still due until it is done). Work scheduled for later (a window, a retry
    /// after a backoff) is left alone. Returns how many pieces of work this call ran;
    /// fails if work is still due after `timeout`.
    pub async fn run_pending(self: &Arc<Self>, timeout: Duration) -> anyhow::Result<usize> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut ran = 0;
        loop {
            let mut tasks = JoinSet::new();
            let mut claimed = 0;
            for kind in [Work::Deliveries, Work::Timers, Work::Effects] {
                let permits = Arc::new(Semaphore::new(kind.concurrency()));
                claimed += self
                    .claim_and_spawn(kind, kind.concurrency(), &permits, &mut tasks)
                    .await?;
            }
            while tasks.join_next().await.is_some() {}
            ran += claimed;
            if claimed > 0 {
                continue;
            }
            let now = self.now().as_millisecond();
            if self.store.due_work(now).await? == 0 {
                return Ok(ran);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "work still due after {timeout:?}"
            );
            // Claimed by a running loop, or waiting behind other work of its item.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Until the earliest stored due time of this loop's work, at most `max_idle`.
    async fn sleep_for(&self, kind: Work) -> Duration {
        let max = self.tuning.max_idle;
        if kind == Work::Effects
            && let Some(held) = self.gh.held_for()
        {
            return held.min(max);
        }
        let table = match kind {
            Work::Deliveries => crate::store::Queue::Deliveries,
            Work::Timers => crate::store::Queue::Intents,
            Work::Effects => crate::store::Queue::Effects,
        };
        let mut next = self.store.next_wake(table).await;
        if kind == Work::Effects
            && let (Ok(effects), Ok(digests)) = (&next, self.store.next_digest_wake().await)
        {
            // Digest refreshes run in the effects loop (see `digest.rs`).
            next = Ok(effects.iter().copied().chain(digests).min());
        }
        match next {
            Ok(Some(at)) => {
                // Work that is due but was not claimed waits behind other work (a
                // delivery of the same item in progress): look again soon, not at once.
                let now = self.now().as_millisecond();
                Duration::from_millis((at - now).clamp(50, max.as_millis() as i64) as u64)
            }
            Ok(None) => max,
            Err(_) => Duration::from_secs(1), // the database is down: look again soon
        }
    }

    async fn claim_and_spawn(
        self: &Arc<Self>,
        kind: Work,
        limit: usize,
        permits: &Arc<Semaphore>,
        tasks: &mut JoinSet<()>,
    ) -> anyhow::Result<usize> {
        let now = self.now().as_millisecond();
        let lease = self.tuning.lease;
        let limit = limit as i64;
        let mut n = 0;
        match kind {
            Work::Deliveries => {
                for (d, l) in self
                    .store
                    .claim_deliveries(&self.owner, now, lease, limit)
                    .await?
                {
                    let permit = permits.clone().acquire_owned().await?;
                    let engine = self.clone();
                    tasks.spawn(async move {
                        engine.process_delivery(d, l).await;
                        drop(permit);
                    });
                    n += 1;
                }
            }
            Work::Timers => {
                // Read, decided and written in one transaction per batch (see
                // `Store::decide_due_intents`), here in the loop. A full batch is a
                // burst: the rest is drained in as many lanes as the database writes
                // in at once (on PostgreSQL each lane's transaction skips the rows
                // another holds); a wake with little or nothing due costs one.
                n = self.fire_timers(limit).await?;
                if n as i64 == limit && self.store.write_lanes() > 1 {
                    let mut lanes = JoinSet::new();
                    for _ in 0..self.store.write_lanes() {
                        let engine = self.clone();
                        lanes.spawn(async move {
                            let mut n = 0;
                            loop {
                                let decided = engine.fire_timers(limit).await?;
                                n += decided;
                                if (decided as i64) < limit {
                                    return anyhow::Ok(n);
                                }
                            }
                        });
                    }
                    while let Some(lane) = lanes.join_next().await {
                        n += lane??;
                    }
                }
            }
            Work::Effects => {
                // GitHub refused a connection a moment ago: every effect claimed now
                // would fail unsent and write its retry. Leave them until it may answer.
                if self.gh.held_for().is_some() {
                    return Ok(0);
                }
                for (e, l) in self
                    .store
                    .claim_effects(&self.owner, now, lease, limit)
                    .await?
                {
                    let permit = permits.clone().acquire_owned().await?;
                    let engine = self.clone();
                    tasks.spawn(async move {
                        engine.run_effect(e, l).await;
                        drop(permit);
                    });
                    n += 1;
                }
                // Digest refreshes are GitHub writes too, and share the loop's permits.
                let room = limit - n as i64;
                if room > 0 {
                    for (d, l) in self
                        .store
                        .claim_digests(&self.owner, now, lease, room)
                        .await?
                    {
                        let permit = permits.clone().acquire_owned().await?;
                        let engine = self.clone();
                        tasks.spawn(async move {
                            engine.refresh_digest(d, l).await;
                            drop(permit);
                        });
                        n += 1;
                    }
                }
            }
        }
        Ok(n)
    }

    /// Decide up to `limit` due intents, each as the core decides a `Due` event (see
    /// [`decided`]), read and written in one transaction. An intent that changed
    /// under the decision (it cannot, while the transaction holds it; kept as for any
    /// write) is read again and decided alone. Returns how many were due.
    async fn fire_timers(&self, limit: i64) -> anyhow::Result<usize> {
        let now = self.now();
        let outcomes = self
            .store
            .decide_due_intents(
                &self.owner,
                now.as_millisecond(),
                self.tuning.lease,
                limit,
                |row| {
                    if let Some(due) = row.intent.next_due() {
                        self.metrics.lateness(now.duration_since(due).as_secs_f64());
                    }
                    decided(row, vec![Event::Due], now)
                },
            )
            .await?;
        let mut written = false;
        for (id, outcome) in &outcomes {
            let result = match outcome {
                Some(WriteOutcome::Conflict) => {
                    self.apply_to(id, vec![Event::Due], Cause::None).await
                }
                Some(other) => Ok(other.clone()),
                None => continue,
            };
            match result {
                Ok(WriteOutcome::Written) => written = true,
                Ok(other) => tracing::debug!(intent = id, ?other, "timer had nothing to write"),
                Err(e) => tracing::warn!(intent = id, error = %e, "timer failed"),
            }
        }
        if written {
            self.kick();
        }
        Ok(outcomes.len())
    }

    /// Apply events to the stored intent and write the result with its effects and
    /// the completion of `cause`, retrying on a concurrent change.
    pub(crate) async fn apply_to(
        &self,
        intent_id: &str,
        events: Vec<Event>,
        cause: Cause,
    ) -> anyhow::Result<WriteOutcome> {
        for _ in 0..8 {
            let Some(row) = self.store.intent(intent_id).await? else {
                anyhow::bail!("intent {intent_id} does not exist");
            };
            match self.apply_row(&row, events.clone(), &cause).await? {
                WriteOutcome::Conflict => continue,
                other => return Ok(other),
            }
        }
        Ok(WriteOutcome::Conflict)
    }

    /// Apply events to a row as read; `Conflict` if it changed since.
    pub(crate) async fn apply_row(
        &self,
        row: &IntentRow,
        events: Vec<Event>,
        cause: &Cause,
    ) -> anyhow::Result<WriteOutcome> {
        let now = self.now();
        let Some(write) = decided(row, events, now) else {
            // Nothing changed: only complete the cause.
            return self.store.write(None, cause, now.as_millisecond()).await;
        };
        let outcome = self
            .store
            .write(Some(&write), cause, now.as_millisecond())
            .await?;
        if outcome == WriteOutcome::Written {
            self.kick();
        }
        Ok(outcome)
    }
}

/// The core's decision on `events` for the intent in `row`, as the write that records
/// it (checked against the row's version); `None` when nothing changed.
pub fn decided(row: &IntentRow, events: Vec<Event>, now: Timestamp) -> Option<IntentWrite> {
    let mut intent = row.intent.clone();
    let mut effects = Vec::new();
    for event in events {
        effects.extend(intent.handle(event, now));
    }
    if intent == row.intent && effects.is_empty() {
        return None;
    }
    Some(IntentWrite {
        id: row.id.clone(),
        expected_version: Some(row.version),
        installation_id: row.installation_id,
        repo: row.repo.clone(),
        number: row.number,
        intent,
        effects,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Work {
    Deliveries,
    Timers,
    Effects,
}

impl Work {
    fn concurrency(self) -> usize {
        match self {
            Work::Timers => TIMER_BATCH,
            Work::Deliveries | Work::Effects => CONCURRENCY,
        }
    }
}

/// Backoff for attempt `n` (1-based): 5 s, 10 s, 20 s ... capped at 15 minutes.
pub(crate) fn backoff(attempt: i64) -> Duration {
    let exp = (attempt.max(1) - 1).min(10) as u32;
    Duration::from_secs(5u64.saturating_mul(2u64.pow(exp)).min(900))
}

/// A replica's stable name: its host and the port it listens on (two replicas on one
/// host cannot share a port).
pub fn replica_name(port: u16) -> String {
    format!("{}:{port}", hostname())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "tacit".to_string())
}
