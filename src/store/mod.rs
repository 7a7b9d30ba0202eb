//! The durable store: deliveries, intents, due times and the effect outbox.
//!
//! One schema (`migrations/`) and one set of queries for SQLite and PostgreSQL,
//! through sqlx's `Any` driver. Only portable SQL is used; times are Unix
//! milliseconds passed in by the caller (the store never reads the clock).
//!
//! Invariants kept here:
//! - a delivery is recorded exactly once per `X-GitHub-Delivery` id;
//! - an intent's state, its next due time, its new effects and the delivery or effect
//!   that caused the change are written in one transaction;
//! - every intent write checks the version it read (optimistic concurrency), so two
//!   writers can never both apply a decision to the same state;
//! - work (deliveries, effects) is claimed with a lease; completing it checks the lease
//!   owner and attempt number (the fencing token) in the same transaction.

pub mod codec;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::core::intent::{Effect, Intent};

mod decisions;
mod digests;

pub use digests::DigestRow;

pub type Millis = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The group-commit writer of [`Store::write`].
    writer: mpsc::Sender<WriteJob>,
    /// How long after an intent write with `digest: true` its repository's digest is
    /// refreshed (see `digests.rs`).
    digest_delay: Millis,
}

/// [`Store::set_digest_delay`]'s default, `Tuning::digest_delay`'s.
const DIGEST_DELAY: Millis = 5_000;

/// The three kinds of work, each with its own loop (see [`Store::next_wake`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Deliveries,
    Intents,
    Effects,
}

/// One [`Store::write`] waiting for the group-commit writer.
struct WriteJob {
    write: Option<IntentWrite>,
    cause: Cause,
    now: Millis,
    /// When a digest refresh the write asks for is due.
    digest_at: Millis,
    reply: oneshot::Sender<anyhow::Result<WriteOutcome>>,
}

/// Rows per multi-row INSERT (8 parameters each, well under SQLite's limit).
const INSERT_CHUNK: usize = 128;

/// `($1, $2<tail>), ($3, $4<tail>)` for `rows` rows of `cols` parameters each.
fn placeholders(rows: usize, cols: usize, tail: &str) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({}{tail})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$1, $2, ... $n`, for `IN (...)`.
fn id_list(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The most writes committed in one transaction.
const MAX_WRITE_BATCH: usize = 256;

/// A delivery to record.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: String,
    pub event: String,
    pub action: Option<String>,
    pub installation_id: Option<i64>,
    pub item_key: String,
    pub payload: String,
    /// Nothing to process: recorded as done at once.
    pub done: bool,
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: String,
    pub event: String,
    pub action: Option<String>,
    pub installation_id: Option<i64>,
    pub item_key: String,
    pub payload: String,
    pub received_at: Millis,
    pub attempts: i64,
}

#[derive(Debug, Clone)]
pub struct IntentRow {
    pub id: String,
    pub installation_id: i64,
    pub repo: String,
    pub number: i64,
    pub label: String,
    pub intent: Intent,
    pub version: i64,
    pub status_comment_id: Option<i64>,
    pub check_run_id: Option<i64>,
    pub check_run_sha: Option<String>,
    /// The stored check run's conclusion once tacit completed it; `None` while it is in
    /// progress. A completed run is never edited into another state (GitHub refuses).
    pub check_run_conclusion: Option<String>,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct EffectRow {
    pub id: String,
    pub intent_id: String,
    pub seq: i64,
    pub effect: Effect,
    pub attempts: i64,
    pub created_at: Millis,
}

/// A claim on a piece of work: who holds it and the attempt number (the fencing token).
#[derive(Debug, Clone)]
pub struct Lease {
    pub owner: String,
    pub attempt: i64,
}

/// An intent state change, written with its effects in one transaction.
#[derive(Debug, Clone)]
pub struct IntentWrite {
    pub id: String,
    /// `None`: insert a new intent. `Some(v)`: update, only if the stored version is `v`.
    pub expected_version: Option<i64>,
    pub installation_id: i64,
    pub repo: String,
    pub number: i64,
    pub intent: Intent,
    pub effects: Vec<Effect>,
}

/// What caused a write, completed in the same transaction.
#[derive(Debug, Clone)]
pub enum Cause {
    None,
    Delivery { id: String, lease: Lease },
    Effect { id: String, lease: Lease },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// Someone else changed the intent (or opened one on the item) first: re-read, re-decide.
    Conflict,
    /// The lease on the cause ran out and another worker took it: nothing was written.
    LostLease,
}

/// A delivery with its body (in `delivery_payloads` while it is pending; see
/// `migrations/0003`).
const DELIVERY_SELECT: &str = "SELECT d.id, d.event, d.action, d.installation_id, d.item_key,
       COALESCE(p.payload, d.payload) AS payload, d.received_at, d.attempts
     FROM deliveries d LEFT JOIN delivery_payloads p ON p.id = d.id";
const INTENT_COLUMNS: &str = "id, installation_id, repo, number, label, state, version, status_comment_id, check_run_id, check_run_sha, check_run_conclusion, updated_at";

/// The schema migrations of `migrations/`, run at every start. A database that a
/// newer release migrated further is accepted (`ignore_missing`): migrations are
/// additive only (new tables, columns that are nullable or have a default, indexes),
/// so this release's queries still work on it, and a rollback to this release keeps
/// its successor's database. A migration of this release that the database lacks is
/// still applied, and one whose text changed after it was applied is still refused.
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
}

impl Store {
    /// Connect (creating the SQLite file if needed) and run the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("DATABASE_URL {}", crate::settings::redact_url(&url)))?;
        let pool_options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL with synchronous=FULL: a commit is on disk before it returns,
                            // so a delivery acknowledged with 2xx survives power loss.
                            sqlx::query("PRAGMA journal_mode=WAL")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("PRAGMA synchronous=FULL")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("PRAGMA busy_timeout=5000")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("PRAGMA foreign_keys=ON")
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => pool_options.max_connections(16).connect_with(options).await,
        }
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                crate::settings::redact_url(&url)
            )
        })?;
        let (writer, jobs) = mpsc::channel(4 * MAX_WRITE_BATCH);
        tokio::spawn(write_loop(pool.clone(), backend, jobs));
        let store = Store {
            pool,
            backend,
            writer,
            digest_delay: DIGEST_DELAY,
        };
        migrator()
            .run(&store.pool)
            .await
            .context("running database migrations")?;
        Ok(store)
    }

    /// Release leases left by a previous life of this replica (`owner`): it died, so
    /// they are released at once instead of waited out. SQLite is one replica by
    /// definition, so there every lease is stale. Other replicas' leases expire on
    /// their own.
    pub async fn release_stale_leases(&self, owner: &str) -> anyhow::Result<()> {
        let all = self.backend == Backend::Sqlite;
        for table in ["deliveries", "effects", "intents", "digests"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET lease_owner = NULL, lease_until = NULL
                 WHERE lease_owner IS NOT NULL AND ($1 = 1 OR lease_owner = $2)"
            )))
            .bind(all as i64)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Begin a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write never fails to upgrade its lock.
    async fn write_tx(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Does the database answer?
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- deliveries -------------------------------------------------------------

    /// Record deliveries in one transaction (one fsync for the batch). Returns, for
    /// each, whether it was new (`false`: a redelivery of an id already recorded).
    pub async fn insert_deliveries(
        &self,
        batch: &[NewDelivery],
        now: Millis,
    ) -> anyhow::Result<Vec<bool>> {
        // Two multi-row statements for the whole batch (a statement is a round trip
        // to the database's thread): the rows, then the bodies of the new ones.
        let mut tx = self.write_tx().await?;
        let mut inserted: std::collections::HashSet<String> = std::collections::HashSet::new();
        for chunk in batch.chunks(INSERT_CHUNK) {
            let values = placeholders(chunk.len(), 9, ", '', 0");
            let sql = format!(
                "INSERT INTO deliveries (id, event, action, installation_id, item_key, received_at, state, processed_at, run_after, payload, attempts)
                 VALUES {values}
                 ON CONFLICT (id) DO NOTHING
                 RETURNING id"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for d in chunk {
                q = q
                    .bind(&d.id)
                    .bind(&d.event)
                    .bind(&d.action)
                    .bind(d.installation_id)
                    .bind(&d.item_key)
                    .bind(now)
                    .bind(if d.done { "done" } else { "pending" })
                    .bind(d.done.then_some(now))
                    .bind(now);
            }
            for row in q.fetch_all(&mut *tx).await? {
                inserted.insert(row.try_get("id")?);
            }
        }
        // A body is kept only for new deliveries that will be processed; the first of
        // two copies of one id in a batch is the one recorded.
        let mut bodies: Vec<&NewDelivery> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let fresh: Vec<bool> = batch
            .iter()
            .map(|d| {
                let is_new = inserted.contains(&d.id) && seen.insert(d.id.as_str());
                if is_new && !d.payload.is_empty() {
                    bodies.push(d);
                }
                is_new
            })
            .collect();
        for chunk in bodies.chunks(INSERT_CHUNK) {
            let values = placeholders(chunk.len(), 2, "");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO delivery_payloads (id, payload) VALUES {values}"
            )));
            for d in chunk {
                q = q.bind(&d.id).bind(&d.payload);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(fresh)
    }

    /// Delete finished and failed deliveries (with their bodies) and finished effects
    /// received or created before `before`; returns how many deliveries and effects
    /// went. Pending ones are kept.
    pub async fn prune(&self, before: Millis) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM delivery_payloads WHERE id IN
               (SELECT id FROM deliveries WHERE state IN ('done', 'failed') AND received_at < $1)",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?;
        let deliveries = sqlx::query(
            "DELETE FROM deliveries WHERE state IN ('done', 'failed') AND received_at < $1",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        let effects = sqlx::query("DELETE FROM effects WHERE state = 'done' AND created_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deliveries + effects)
    }

    pub async fn delivery_exists(&self, id: &str) -> anyhow::Result<bool> {
        let row = sqlx::query("SELECT 1 FROM deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Claim up to `limit` runnable deliveries, oldest first. A delivery is runnable
    /// when no older delivery with the same item key is still pending (per-item order).
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<(DeliveryRow, Lease)>> {
        // Ordered by `run_after` alone, the column of the index the walk uses
        // (`deliveries_pending`), so it stops at `limit`: ordering by `received_at` made
        // SQLite sort every pending delivery on every claim, which grew with the
        // backlog. Deliveries of one item still go in the order received: the NOT
        // EXISTS holds back all but the oldest pending one.
        let ids = self
            .claim(
                "deliveries",
                "SELECT d.id FROM deliveries d
                 WHERE d.state = 'pending' AND d.run_after <= $1
                   AND (d.lease_until IS NULL OR d.lease_until < $1)
                   AND NOT EXISTS (
                       SELECT 1 FROM deliveries p
                       WHERE p.item_key = d.item_key AND p.state = 'pending'
                         AND (p.received_at < d.received_at
                              OR (p.received_at = d.received_at AND p.id < d.id)))
                 ORDER BY d.run_after
                 LIMIT $2",
                owner,
                now,
                lease,
                limit,
            )
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One read for the batch, in the order deliveries must be processed.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DELIVERY_SELECT} WHERE d.id IN ({}) ORDER BY d.received_at, d.id",
            id_list(ids.len())
        )));
        for id in &ids {
            q = q.bind(id);
        }
        let mut claimed = Vec::with_capacity(ids.len());
        for row in q.fetch_all(&self.pool).await? {
            let row = delivery_row(&row)?;
            let lease = Lease {
                owner: owner.to_string(),
                attempt: row.attempts,
            };
            claimed.push((row, lease));
        }
        Ok(claimed)
    }

    /// Claim the rows of `table` that `candidates` selects (`$1` = now, `$2` = limit):
    /// set a lease and, for deliveries and effects, count the attempt (the fencing
    /// token), in one statement. PostgreSQL locks candidates with `FOR UPDATE SKIP
    /// LOCKED`, so replicas never wait on each other's rows; SQLite has one writer, so
    /// the statement sees and updates the rows with nobody in between.
    async fn claim(
        &self,
        table: &str,
        candidates: &str,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<String>> {
        let rows = self
            .claim_rows(table, candidates, "id", owner, now, lease, limit)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Lease up to `limit` of the `candidates` (a query of ids) to `owner` in one
    /// statement, and return their `returning` columns.
    #[allow(clippy::too_many_arguments)]
    async fn claim_rows(
        &self,
        table: &str,
        candidates: &str,
        returning: &str,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<AnyRow>> {
        let until = now + lease.as_millis() as i64;
        // Intents are not attempts; deliveries and effects count theirs (the fencing token).
        let attempts = if table == "intents" {
            ""
        } else {
            ", attempts = attempts + 1"
        };
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET lease_owner = $3, lease_until = $4{attempts}
             WHERE id IN ({candidates}{lock})
             RETURNING {returning}"
        )))
        .bind(now)
        .bind(limit)
        .bind(owner)
        .bind(until)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Give a delivery back to be tried again at `run_after` (GitHub unreachable, ...).
    /// After too many attempts it is marked failed and kept for inspection.
    pub async fn retry_delivery(
        &self,
        id: &str,
        lease: &Lease,
        run_after: Millis,
        error: &str,
        give_up: bool,
    ) -> anyhow::Result<()> {
        let state = if give_up { "failed" } else { "pending" };
        sqlx::query(
            "UPDATE deliveries SET state = $1, run_after = $2, last_error = $3, lease_owner = NULL, lease_until = NULL
             WHERE id = $4 AND lease_owner = $5 AND attempts = $6",
        )
        .bind(state)
        .bind(run_after)
        .bind(error)
        .bind(id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- intents ----------------------------------------------------------------

    pub async fn open_intent_for(
        &self,
        repo: &str,
        number: i64,
    ) -> anyhow::Result<Option<IntentRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS} FROM intents WHERE repo = $1 AND number = $2 AND is_open = 1"
        )))
        .bind(repo.to_lowercase())
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(intent_row).transpose()
    }

    /// The most recently ended intents on an item, newest first (for carrying
    /// objections over).
    pub async fn recent_ended_intents(
        &self,
        repo: &str,
        number: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<IntentRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS} FROM intents WHERE repo = $1 AND number = $2 AND is_open = 0
             ORDER BY ended_at DESC LIMIT $3"
        )))
        .bind(repo.to_lowercase())
        .bind(number)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(intent_row).collect()
    }

    pub async fn intent(&self, id: &str) -> anyhow::Result<Option<IntentRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS} FROM intents WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(intent_row).transpose()
    }

    /// Open intents of one repository (for `label` events) or of all repositories.
    /// The labels of a repository's open intents.
    pub async fn open_intent_labels(&self, repo: &str) -> anyhow::Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT DISTINCT label FROM intents WHERE is_open = 1 AND repo = $1")
                .bind(repo.to_lowercase())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|r| Ok(r.try_get("label")?)).collect()
    }

    /// A page of a repository's open intents as (id, number, label), by number, after
    /// `after` (keyset paging: the reconciler never holds every open intent at once).
    pub async fn open_intent_keys(
        &self,
        repo: &str,
        after: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<(String, i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, number, label FROM intents WHERE is_open = 1 AND repo = $1 AND number > $2
             ORDER BY number LIMIT $3",
        )
        .bind(repo.to_lowercase())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("number")?, r.try_get("label")?)))
            .collect()
    }

    pub async fn open_intents(&self, repo: Option<&str>) -> anyhow::Result<Vec<IntentRow>> {
        let rows = match repo {
            Some(repo) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {INTENT_COLUMNS} FROM intents WHERE is_open = 1 AND repo = $1"
                )))
                .bind(repo.to_lowercase())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {INTENT_COLUMNS} FROM intents WHERE is_open = 1"
                )))
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(readable(&rows, intent_row))
    }

    /// Open intents in a stable order (repository, then number), at most `limit` of
    /// them (the dashboard must stay one bounded read); `true` when more were left out.
    pub async fn open_intents_sorted(
        &self,
        limit: usize,
    ) -> anyhow::Result<(Vec<IntentRow>, bool)> {
        // One row more than asked for says whether the list was cut.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS} FROM intents WHERE is_open = 1 ORDER BY repo, number LIMIT $1"
        )))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1)
        .fetch_all(&self.pool)
        .await?;
        let truncated = rows.len() > limit;
        let rows = readable(&rows[..rows.len().min(limit)], intent_row);
        Ok((rows, truncated))
    }

    pub async fn count_open_intents(&self) -> anyhow::Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM intents WHERE is_open = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    /// Claim intents whose due time has come, returned as rows (one statement).
    pub async fn claim_due_intents(
        &self,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<IntentRow>> {
        let rows = self
            .claim_rows(
                "intents",
                "SELECT id FROM intents WHERE is_open = 1 AND due_at IS NOT NULL AND due_at <= $1
               AND (lease_until IS NULL OR lease_until < $1)
             ORDER BY due_at LIMIT $2",
                INTENT_COLUMNS,
                owner,
                now,
                lease,
                limit,
            )
            .await?;
        Ok(readable(&rows, intent_row))
    }

    pub async fn release_intent(&self, id: &str, owner: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE intents SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2")
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The earliest time work in `queue` becomes runnable: a due intent, an effect or
    /// a delivery waiting to be retried. The loop of that queue sleeps until then.
    /// Work claimed by someone else is left out (its end wakes the loop, or its lease
    /// runs out within `Tuning::max_idle` of a look), so each query can walk an index
    /// from its start and stop at the first row, however many rows there are.
    pub async fn next_wake(&self, queue: Queue) -> anyhow::Result<Option<Millis>> {
        let sql = match queue {
            Queue::Intents => {
                "SELECT due_at AS t FROM intents
                 WHERE due_at IS NOT NULL AND is_open = 1
                   AND (lease_until IS NULL OR lease_until < due_at)
                 ORDER BY due_at LIMIT 1"
            }
            Queue::Effects => {
                "SELECT run_after AS t FROM effects
                 WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < run_after)
                 ORDER BY run_after LIMIT 1"
            }
            Queue::Deliveries => {
                "SELECT run_after AS t FROM deliveries
                 WHERE state = 'pending' AND (lease_until IS NULL OR lease_until < run_after)
                 ORDER BY run_after LIMIT 1"
            }
        };
        let row = sqlx::query(sql).fetch_optional(&self.pool).await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("t")?,
            None => None,
        })
    }

    /// How many pieces of work are due at `now` and not finished, claimed or not:
    /// pending deliveries and effects whose time came, open intents whose due time came.
    pub async fn due_work(&self, now: Millis) -> anyhow::Result<i64> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND run_after <= $1)
                  + (SELECT COUNT(*) FROM effects WHERE state = 'pending' AND run_after <= $1)
                  + (SELECT COUNT(*) FROM intents
                     WHERE is_open = 1 AND due_at IS NOT NULL AND due_at <= $1)
                  + (SELECT COUNT(*) FROM digests WHERE due_at IS NOT NULL AND due_at <= $1) AS n",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    /// Write an intent change, its effects and the completion of its cause, atomically.
    ///
    /// Writes from concurrent workers are committed together (group commit): one
    /// transaction, one fsync, for all writes waiting at that moment. Each runs inside
    /// its own savepoint, so a write that loses its lease or its version check is
    /// rolled back alone; each caller learns its outcome only after the commit.
    pub async fn write(
        &self,
        w: Option<&IntentWrite>,
        cause: &Cause,
        now: Millis,
    ) -> anyhow::Result<WriteOutcome> {
        let (reply, answer) = oneshot::channel();
        let job = WriteJob {
            write: w.cloned(),
            cause: cause.clone(),
            now,
            digest_at: now.saturating_add(self.digest_delay),
            reply,
        };
        self.writer
            .send(job)
            .await
            .map_err(|_| anyhow::anyhow!("the store's writer stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the store's writer stopped"))?
    }

    // ---- effects ----------------------------------------------------------------

    /// Claim runnable effects: for each intent only its first pending effect, so that
    /// effects of one intent run strictly in order, while intents run side by side.
    pub async fn claim_effects(
        &self,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<(EffectRow, Lease)>> {
        // Ordered by the index's own column, so the candidates are walked in index
        // order and the walk stops at `limit` (ordering by more columns made SQLite
        // sort every runnable effect on every claim). Effects of one intent still run
        // in `seq` order: the NOT EXISTS holds back all but the first pending one.
        let rows = self
            .claim_rows(
                "effects",
                "SELECT e.id FROM effects e
                 WHERE e.state = 'pending' AND e.run_after <= $1
                   AND (e.lease_until IS NULL OR e.lease_until < $1)
                   AND NOT EXISTS (SELECT 1 FROM effects p
                                   WHERE p.intent_id = e.intent_id AND p.state = 'pending' AND p.seq < e.seq)
                 ORDER BY e.run_after
                 LIMIT $2",
                "id, intent_id, seq, effect, attempts, created_at",
                owner,
                now,
                lease,
                limit,
            )
            .await?;
        let effect_row = |row: &AnyRow| -> anyhow::Result<EffectRow> {
            let effect: String = row.try_get("effect")?;
            Ok(EffectRow {
                id: row.try_get("id")?,
                intent_id: row.try_get("intent_id")?,
                seq: row.try_get("seq")?,
                effect: codec::decode_effect(&effect)?,
                attempts: row.try_get("attempts")?,
                created_at: row.try_get("created_at")?,
            })
        };
        Ok(readable(&rows, effect_row)
            .into_iter()
            .map(|e| {
                let lease = Lease {
                    owner: owner.to_string(),
                    attempt: e.attempts,
                };
                (e, lease)
            })
            .collect())
    }

    /// Put an effect back to run again at `run_after`, or mark it dead.
    pub async fn retry_effect(
        &self,
        id: &str,
        lease: &Lease,
        run_after: Millis,
        error: &str,
        dead: bool,
    ) -> anyhow::Result<bool> {
        let state = if dead { "dead" } else { "pending" };
        let r = sqlx::query(
            "UPDATE effects SET state = $1, run_after = $2, last_error = $3, lease_owner = NULL, lease_until = NULL
             WHERE id = $4 AND lease_owner = $5 AND attempts = $6 AND state = 'pending'",
        )
        .bind(state)
        .bind(run_after)
        .bind(error)
        .bind(id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Is an identical effect queued after `seq` for this intent? (Coalesces status edits.)
    pub async fn has_later_pending(
        &self,
        intent_id: &str,
        seq: i64,
        effect: &Effect,
    ) -> anyhow::Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS x FROM effects WHERE intent_id = $1 AND state = 'pending' AND seq > $2 AND effect = $3 LIMIT 1",
        )
        .bind(intent_id)
        .bind(seq)
        .bind(codec::encode_effect(effect)?)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Remember the status comment's id (tacit finds it by id, never by its marker).
    pub async fn set_status_comment(
        &self,
        intent_id: &str,
        comment_id: Option<i64>,
    ) -> anyhow::Result<()> {
        sqlx::query("UPDATE intents SET status_comment_id = $1 WHERE id = $2")
            .bind(comment_id)
            .bind(intent_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Remember the intent's check run, and its conclusion once completed (`None`: in
    /// progress).
    pub async fn set_check_run(
        &self,
        intent_id: &str,
        id: i64,
        sha: &str,
        conclusion: Option<&str>,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE intents SET check_run_id = $1, check_run_sha = $2, check_run_conclusion = $3
             WHERE id = $4",
        )
        .bind(id)
        .bind(sha)
        .bind(conclusion)
        .bind(intent_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // ---- installations and small facts ------------------------------------------

    pub async fn set_installation(
        &self,
        id: i64,
        account: Option<&str>,
        suspended: bool,
        removed: bool,
        now: Millis,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO installations (id, account, suspended, removed, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET account = COALESCE(excluded.account, installations.account),
               suspended = excluded.suspended, removed = excluded.removed, updated_at = excluded.updated_at",
        )
        .bind(id)
        .bind(account)
        .bind(suspended as i64)
        .bind(removed as i64)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Installations that are suspended or removed (their intents are paused).
    pub async fn frozen_installations(&self) -> anyhow::Result<Vec<i64>> {
        let rows = sqlx::query("SELECT id FROM installations WHERE suspended = 1 OR removed = 1")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Is this installation suspended or removed? (Unknown installations are active.)
    pub async fn installation_frozen(&self, id: i64) -> anyhow::Result<bool> {
        let row = sqlx::query("SELECT suspended, removed FROM installations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => {
                r.try_get::<i64, _>("suspended")? == 1 || r.try_get::<i64, _>("removed")? == 1
            }
            None => false,
        })
    }

    /// Whether a delivery of `event` about `item_key` was received from `since` up to
    /// `until` (both Unix milliseconds), other than `except` (a delivery id).
    pub async fn item_delivery_between(
        &self,
        item_key: &str,
        event: &str,
        since: Millis,
        until: Millis,
        except: &str,
    ) -> anyhow::Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS x FROM deliveries
             WHERE item_key = $1 AND received_at >= $2 AND received_at <= $3
               AND event = $4 AND id <> $5
             LIMIT 1",
        )
        .bind(item_key)
        .bind(since)
        .bind(until)
        .bind(event)
        .bind(except)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    pub async fn kv_get(&self, k: &str) -> anyhow::Result<Option<String>> {
        let row = sqlx::query("SELECT v FROM kv WHERE k = $1")
            .bind(k)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("v")).transpose()?)
    }

    pub async fn kv_set(&self, k: &str, v: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
        )
        .bind(k)
        .bind(v)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Whether a job can be written by [`write_bulk`]: an update of an existing intent,
/// with no cause to complete (a timer). Its only failure is the version check.
fn is_bulk(job: &WriteJob) -> bool {
    matches!(job.cause, Cause::None)
        && job
            .write
            .as_ref()
            .is_some_and(|w| w.expected_version.is_some())
}

/// Rows per multi-row statement of [`write_bulk`] (7 parameters each).
const BULK_CHUNK: usize = 128;

/// Write the batch's timer updates with multi-row statements: one `UPDATE … FROM
/// (VALUES …) … RETURNING` per chunk (each row checks its version; the rows returned
/// are the ones written) and one `INSERT … SELECT` for their effects. Returns the
/// outcome of each job it wrote, by index in `batch`. An intent that appears twice
/// is left to the one-by-one path after its first appearance (which of two rows of
/// one multi-row update wins is not defined).
async fn write_bulk(
    conn: &mut AnyConnection,
    batch: &[WriteJob],
) -> anyhow::Result<std::collections::HashMap<usize, WriteOutcome>> {
    let mut seen = std::collections::HashSet::new();
    let jobs: Vec<(usize, &IntentWrite, Millis)> = batch
        .iter()
        .enumerate()
        .filter(|(_, job)| is_bulk(job))
        .filter_map(|(i, job)| {
            let w = job.write.as_ref()?;
            seen.insert(w.id.as_str()).then_some((i, w, job.now))
        })
        .collect();
    let digest_at = |i: usize| batch[i].digest_at;
    let mut outcomes = std::collections::HashMap::new();
    if jobs.len() < 2 {
        return Ok(outcomes); // one is written as well one by one
    }
    let mut written: std::collections::HashSet<String> = std::collections::HashSet::new();
    for chunk in jobs.chunks(BULK_CHUNK) {
        let values = placeholders(chunk.len(), 7, "");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE intents SET state = v.column3, due_at = v.column4, is_open = v.column5,
               ended_at = v.column6, version = intents.version + 1, updated_at = v.column7,
               lease_owner = NULL, lease_until = NULL
             FROM (VALUES {values}) AS v
             WHERE intents.id = v.column1 AND intents.version = v.column2
             RETURNING intents.id"
        )));
        for (_, w, now) in chunk {
            let stored = Stored::of(&w.intent)?;
            q = q
                .bind(w.id.as_str())
                .bind(w.expected_version)
                .bind(stored.state)
                .bind(stored.due)
                .bind(stored.is_open)
                .bind(stored.ended)
                .bind(*now);
        }
        for row in q.fetch_all(&mut *conn).await? {
            written.insert(row.try_get("id")?);
        }
    }
    let mut effects = Vec::new();
    // One digest refresh asked for per repository, however many of its intents were due.
    let mut asked = std::collections::BTreeMap::new();
    for (i, w, now) in &jobs {
        let ok = written.contains(&w.id);
        if ok && w.intent.policy.digest {
            asked
                .entry(w.repo.to_lowercase())
                .or_insert((w.installation_id, digest_at(*i), *now));
        }
        outcomes.insert(
            *i,
            if ok {
                WriteOutcome::Written
            } else {
                WriteOutcome::Conflict
            },
        );
        if ok {
            effects.push((w.id.as_str(), w.effects.as_slice(), *now));
        }
    }
    insert_effects(conn, &effects).await?;
    for (repo, (installation_id, due, now)) in asked {
        digests::touch(conn, &repo, installation_id, due, now).await?;
    }
    Ok(outcomes)
}

async fn write_intent(
    conn: &mut AnyConnection,
    w: &IntentWrite,
    now: Millis,
    digest_at: Millis,
) -> anyhow::Result<bool> {
    let Stored {
        state,
        due,
        is_open,
        ended,
    } = Stored::of(&w.intent)?;
    match w.expected_version {
        None => {
            // The partial unique index refuses a second open intent on the same item.
            let r = sqlx::query(
                "INSERT INTO intents (id, installation_id, repo, number, label, is_open, state, due_at, version, created_at, updated_at, ended_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&w.id)
            .bind(w.installation_id)
            .bind(w.repo.to_lowercase())
            .bind(w.number)
            .bind(&w.intent.policy.label)
            .bind(is_open)
            .bind(&state)
            .bind(due)
            .bind(now)
            .bind(ended)
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() != 1 {
                return Ok(false);
            }
        }
        Some(version) => {
            let r = sqlx::query(
                "UPDATE intents SET state = $1, due_at = $2, is_open = $3, ended_at = $4, version = version + 1,
                   updated_at = $5, lease_owner = NULL, lease_until = NULL
                 WHERE id = $6 AND version = $7",
            )
            .bind(&state)
            .bind(due)
            .bind(is_open)
            .bind(ended)
            .bind(now)
            .bind(&w.id)
            .bind(version)
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() != 1 {
                return Ok(false);
            }
        }
    }
    insert_effects(conn, &[(w.id.as_str(), w.effects.as_slice(), now)]).await?;
    if w.intent.policy.digest {
        digests::touch(conn, &w.repo, w.installation_id, digest_at, now).await?;
    }
    Ok(true)
}

/// The columns of an intent row derived from the intent itself.
struct Stored {
    state: String,
    due: Option<Millis>,
    is_open: i64,
    ended: Option<Millis>,
}

impl Stored {
    fn of(intent: &Intent) -> anyhow::Result<Stored> {
        Ok(Stored {
            state: codec::encode_intent(intent)?,
            due: intent.next_due().map(|t| t.as_millisecond()),
            is_open: (!intent.is_done()) as i64,
            ended: intent.ended_at.map(|t| t.as_millisecond()),
        })
    }
}

/// Queue the effects of intents just written, each numbered after its intent's last
/// effect, in the statement that inserts it (`BULK_CHUNK` effects to a statement).
async fn insert_effects(
    conn: &mut AnyConnection,
    of: &[(&str, &[Effect], Millis)],
) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for (intent_id, effects, now) in of {
        for (k, effect) in effects.iter().enumerate() {
            rows.push((
                *intent_id,
                k as i64 + 1,
                codec::encode_effect(effect)?,
                *now,
            ));
        }
    }
    for chunk in rows.chunks(BULK_CHUNK) {
        let values = placeholders(chunk.len(), 5, "");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO effects (id, intent_id, seq, effect, state, attempts, run_after, created_at)
             SELECT v.column1, v.column2,
                    COALESCE((SELECT MAX(e.seq) FROM effects e WHERE e.intent_id = v.column2), 0) + v.column3,
                    v.column4, 'pending', 0, v.column5, v.column5
             FROM (VALUES {values}) AS v"
        )));
        for (intent_id, k, effect, now) in chunk {
            q = q
                .bind(new_id())
                .bind(*intent_id)
                .bind(*k)
                .bind(effect.as_str())
                .bind(*now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

fn delivery_row(r: &AnyRow) -> anyhow::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.try_get("id")?,
        event: r.try_get("event")?,
        action: r.try_get("action")?,
        installation_id: r.try_get("installation_id")?,
        item_key: r.try_get("item_key")?,
        payload: r.try_get("payload")?,
        received_at: r.try_get("received_at")?,
        attempts: r.try_get("attempts")?,
    })
}

/// The rows this release can read, in order. A row it cannot read (written by a newer
/// release that was rolled back, say) is logged with its id and left out, so that it
/// holds up only itself, never the batch or the queue it came in: a claimed row keeps
/// its lease and is tried again when that runs out, by this release or the next.
fn readable<T>(rows: &[AnyRow], read: impl Fn(&AnyRow) -> anyhow::Result<T>) -> Vec<T> {
    rows.iter()
        .filter_map(|r| match read(r) {
            Ok(t) => Some(t),
            Err(e) => {
                let id: Option<String> = r.try_get("id").ok();
                tracing::error!(
                    row = id.as_deref().unwrap_or("?"),
                    error = format!("{e:#}"),
                    "a stored row this release cannot read is left for a release that can"
                );
                None
            }
        })
        .collect()
}

fn intent_row(r: &AnyRow) -> anyhow::Result<IntentRow> {
    let state: String = r.try_get("state")?;
    Ok(IntentRow {
        id: r.try_get("id")?,
        installation_id: r.try_get("installation_id")?,
        repo: r.try_get("repo")?,
        number: r.try_get("number")?,
        label: r.try_get("label")?,
        intent: codec::decode_intent(&state)?,
        version: r.try_get("version")?,
        status_comment_id: r.try_get("status_comment_id")?,
        check_run_id: r.try_get("check_run_id")?,
        check_run_sha: r.try_get("check_run_sha")?,
        check_run_conclusion: r.try_get("check_run_conclusion")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A random 128-bit id, as 32 hex digits.
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The group-commit writer: takes every write waiting, commits them in one transaction.
async fn write_loop(pool: AnyPool, backend: Backend, mut jobs: mpsc::Receiver<WriteJob>) {
    let mut batch: Vec<WriteJob> = Vec::with_capacity(MAX_WRITE_BATCH);
    while let Some(first) = jobs.recv().await {
        batch.push(first);
        while batch.len() < MAX_WRITE_BATCH {
            match jobs.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        match write_batch(&pool, backend, &batch).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(e) => {
                // Nothing of the batch was committed: every caller retries.
                let message = format!("{e:#}");
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(anyhow::anyhow!("{message}")));
                }
            }
        }
    }
}

/// Run each write in its own savepoint of one transaction, then commit. A write that
/// fails (or lost its lease, or its version check) is rolled back to its savepoint
/// and does not disturb the others. `Err`: the transaction itself failed.
async fn write_batch(
    pool: &AnyPool,
    backend: Backend,
    batch: &[WriteJob],
) -> anyhow::Result<Vec<anyhow::Result<WriteOutcome>>> {
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    // Timers' writes (an intent update without a cause) go first, several to a
    // statement: on PostgreSQL each statement is a round trip, on SQLite a hop to its
    // thread, and a burst of intents due at once is thousands of them.
    let mut bulk_outcomes = write_bulk(&mut tx, batch).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut processed: Vec<&str> = Vec::new();
    for (i, job) in batch.iter().enumerate() {
        if let Some(outcome) = bulk_outcomes.remove(&i) {
            outcomes.push(Ok(outcome));
            continue;
        }
        // Only a write with both a cause and an intent change can fail half-way (its
        // cause completed, its version check lost): that one needs a savepoint. A bare
        // completion, or an intent change without a cause (a timer), fails at its first
        // statement or not at all; a database error fails the whole batch.
        let guarded = job.write.is_some() && !matches!(job.cause, Cause::None);
        if guarded {
            sqlx::query("SAVEPOINT w").execute(&mut *tx).await?;
        }
        let outcome = write_one(
            &mut tx,
            job.write.as_ref(),
            &job.cause,
            job.now,
            job.digest_at,
        )
        .await;
        if guarded {
            if !matches!(outcome, Ok(WriteOutcome::Written)) {
                sqlx::query("ROLLBACK TO SAVEPOINT w")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("RELEASE SAVEPOINT w").execute(&mut *tx).await?;
        } else if outcome.is_err() {
            // A failed statement aborts a PostgreSQL transaction: give up the batch
            // (every caller retries) rather than commit around it.
            return Err(outcome.expect_err("checked"));
        }
        if let (Ok(WriteOutcome::Written), Cause::Delivery { id, .. }) = (&outcome, &job.cause) {
            processed.push(id);
        }
        outcomes.push(outcome);
    }
    // Processed deliveries' bodies are no longer needed: one statement for the batch.
    for chunk in processed.chunks(INSERT_CHUNK) {
        let list = id_list(chunk.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM delivery_payloads WHERE id IN ({list})"
        )));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// One write, inside the caller's transaction: the fencing check on its cause, then
/// the intent (with its version check) and its effects.
async fn write_one(
    conn: &mut AnyConnection,
    w: Option<&IntentWrite>,
    cause: &Cause,
    now: Millis,
    digest_at: Millis,
) -> anyhow::Result<WriteOutcome> {
    // The fencing check: the cause must still be ours.
    let fenced = match cause {
        Cause::None => true,
        Cause::Delivery { id, lease } => {
            sqlx::query(
                "UPDATE deliveries SET state = 'done', processed_at = $1, lease_owner = NULL, lease_until = NULL
                 WHERE id = $2 AND lease_owner = $3 AND attempts = $4 AND state = 'pending'",
            )
            .bind(now)
            .bind(id)
            .bind(&lease.owner)
            .bind(lease.attempt)
            .execute(&mut *conn)
            .await?
            .rows_affected()
                == 1
        }
        Cause::Effect { id, lease } => {
            sqlx::query(
                "UPDATE effects SET state = 'done', done_at = $1, lease_owner = NULL, lease_until = NULL
                 WHERE id = $2 AND lease_owner = $3 AND attempts = $4 AND state = 'pending'",
            )
            .bind(now)
            .bind(id)
            .bind(&lease.owner)
            .bind(lease.attempt)
            .execute(&mut *conn)
            .await?
            .rows_affected()
                == 1
        }
    };
    if !fenced {
        return Ok(WriteOutcome::LostLease);
    }
    if let Some(w) = w
        && !write_intent(conn, w, now, digest_at).await?
    {
        return Ok(WriteOutcome::Conflict);
    }
    Ok(WriteOutcome::Written)
}

/// `tacit backup`: a consistent copy of the SQLite database.
pub mod backup;
