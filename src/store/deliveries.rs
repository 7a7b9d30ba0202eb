//! The `deliveries` table (with `delivery_payloads`): webhook deliveries recorded,
//! claimed in per-item order, retried.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::names::ItemRef;

use super::db::{INSERT_CHUNK, chunks_of_few_shapes, in_list, padded, placeholders_on};
use super::{Backend, Lease, Millis, Queue, Store};

/// A delivery to record.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: String,
    pub event: String,
    pub action: Option<String>,
    pub installation_id: Option<i64>,
    pub item_key: String,
    /// The body, kept only if the delivery is recorded as pending.
    pub payload: String,
    /// Whether the engine has work for it.
    pub need: Need,
}

/// Whether the engine has work for a delivery, as far as the receiver can tell from
/// the payload ([`crate::webhook::route::Route::need`]). The conditional ones are
/// settled in the transaction that records the delivery, against the open intents and
/// the deliveries still pending: a delivery recorded as done keeps no body and is
/// never claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Nothing to do: recorded as done.
    Nothing,
    /// Always processed.
    Always,
    /// Processed only if its item (the delivery's `item_key`, in repository `repo` as
    /// `RepoName::key_of`) has an open intent, or a delivery about the item is still
    /// pending: a label that may open one is processed first, and the intent it opens,
    /// with that delivery marked done, is written in one transaction, so one of the two
    /// is seen.
    Item { repo: String },
    /// Processed only if an open intent in `repo` records `sha` as its head commit
    /// (`intents.head_sha`): checks on any other commit concern no intent.
    Head { repo: String, sha: String },
}

/// For each delivery of `batch`, whether it is recorded as done: its [`Need`] settled
/// against the open intents and the pending deliveries, read in the recording
/// transaction by one statement per chunk (on PostgreSQL one statement is one
/// snapshot: an intent and the delivery that opened it, committed together, are seen
/// together). A delivery kept earlier in the batch counts as pending for the later
/// ones about its item.
///
/// Also whether a statement was run: none when no delivery of the batch is
/// conditional. The first statement run starts with `prefix` (`BEGIN IMMEDIATE; ` on
/// SQLite: the transaction begins in the same round trip).
async fn settle_needs(
    conn: &mut AnyConnection,
    batch: &[NewDelivery],
    prefix: &str,
) -> anyhow::Result<(Vec<bool>, bool)> {
    let conditional: Vec<&NewDelivery> = batch
        .iter()
        .filter(|d| matches!(d.need, Need::Item { .. } | Need::Head { .. }))
        .collect();
    if conditional.is_empty() {
        return Ok((
            batch.iter().map(|d| d.need == Need::Nothing).collect(),
            false,
        ));
    }
    let mut prefix = prefix;
    // The item keys with an open intent or a pending delivery, and each repository's
    // open intents' heads.
    let mut active: HashSet<String> = HashSet::new();
    let mut heads: HashMap<String, HashSet<String>> = HashMap::new();
    for chunk in conditional.chunks(INSERT_CHUNK) {
        let mut repos: Vec<&str> = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        for d in chunk {
            match &d.need {
                Need::Item { repo, .. } => {
                    repos.push(repo);
                    keys.push(&d.item_key);
                }
                Need::Head { repo, .. } => repos.push(repo),
                Need::Nothing | Need::Always => {}
            }
        }
        let (repos, keys) = (padded(repos), padded(keys));
        let sql = format!(
            "{prefix}SELECT repo, number, head_sha, '' AS item_key FROM intents
               WHERE is_open = 1 AND repo IN ({})
             UNION ALL
             SELECT '', CAST(0 AS BIGINT), NULL, item_key FROM deliveries
               WHERE state = 'pending' AND item_key IN ({})",
            in_list(conn, 1, repos.len()),
            in_list(conn, 1 + repos.len(), keys.len()),
        );
        prefix = "";
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in repos.iter().chain(&keys) {
            q = q.bind(*v);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let key: String = row.try_get("item_key")?;
            if !key.is_empty() {
                active.insert(key); // a pending delivery's
                continue;
            }
            let repo: String = row.try_get("repo")?;
            let number: i64 = row.try_get("number")?;
            active.insert(ItemRef::new(repo.as_str(), number as u64).key());
            if let Some(sha) = row.try_get::<Option<String>, _>("head_sha")? {
                heads.entry(repo).or_default().insert(sha);
            }
        }
    }
    let mut kept: HashSet<&str> = HashSet::new();
    Ok((
        batch
            .iter()
            .map(|d| {
                let done = match &d.need {
                    Need::Nothing => true,
                    Need::Always => false,
                    Need::Item { .. } => {
                        !(active.contains(&d.item_key) || kept.contains(d.item_key.as_str()))
                    }
                    Need::Head { repo, sha } => !heads.get(repo).is_some_and(|s| s.contains(sha)),
                };
                if !done {
                    kept.insert(&d.item_key);
                }
                done
            })
            .collect(),
        true,
    ))
}

/// For each chunk, whether a delivery of it keeps its body (is not recorded as done):
/// a chunk with none needs no statement for the bodies.
fn keeps_a_body(chunks: &[&[NewDelivery]], done: &[bool]) -> Vec<bool> {
    let mut at = 0;
    chunks
        .iter()
        .map(|chunk| {
            at += chunk.len();
            done[at - chunk.len()..at].contains(&false)
        })
        .collect()
}

/// Records a chunk of deliveries ([`bind_rows`]); `RETURNING` the ids that were new.
fn rows_sql(conn: &AnyConnection, n: usize) -> String {
    let values = placeholders_on(conn, n, 9, ", '', 0");
    format!(
        "INSERT INTO deliveries (id, event, action, installation_id, item_key, received_at, state, processed_at, run_after, payload, attempts)
         VALUES {values}
         ON CONFLICT (id) DO NOTHING
         RETURNING id"
    )
}

/// Keeps the bodies of a chunk's deliveries that the statement of [`rows_sql`] just
/// recorded as pending ([`bind_bodies`]). It needs no answer from that statement, so
/// both can go in one round trip: a delivery recorded before, done, or kept with its
/// body already has no row here to add (pending deliveries of the releases before
/// `migrations/0003` kept their body in `deliveries.payload`, never empty).
fn bodies_sql(conn: &AnyConnection, n: usize) -> String {
    let values = placeholders_on(conn, n, 2, "");
    format!(
        "INSERT INTO delivery_payloads (id, payload)
         SELECT v.column1, v.column2 FROM (VALUES {values}) AS v
         WHERE v.column2 <> '' AND EXISTS (
             SELECT 1 FROM deliveries d
             WHERE d.id = v.column1 AND d.state = 'pending' AND d.payload = '')
         ON CONFLICT (id) DO NOTHING"
    )
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// The parameters of [`rows_sql`]: each delivery, `done` or pending as settled.
fn bind_rows<'q>(
    mut q: AnyQuery<'q>,
    chunk: &'q [NewDelivery],
    done: &[bool],
    now: Millis,
) -> AnyQuery<'q> {
    for (d, &done) in chunk.iter().zip(done) {
        q = q
            .bind(&d.id)
            .bind(&d.event)
            .bind(&d.action)
            .bind(d.installation_id)
            .bind(&d.item_key)
            .bind(now)
            .bind(if done { "done" } else { "pending" })
            .bind(done.then_some(now))
            .bind(now);
    }
    q
}

/// The parameters of [`bodies_sql`]: each delivery's body, empty for one recorded
/// as done (which keeps none).
fn bind_bodies<'q>(mut q: AnyQuery<'q>, chunk: &'q [NewDelivery], done: &[bool]) -> AnyQuery<'q> {
    for (d, &done) in chunk.iter().zip(done) {
        q = q
            .bind(&d.id)
            .bind(if done { "" } else { d.payload.as_str() });
    }
    q
}

/// The write connection while a transaction is open on it without sqlx knowing
/// (`BEGIN` sent inside a statement string): unless [`Self::done`] is called after
/// the `COMMIT`, it is closed instead of returned to the pool, which rolls back
/// whatever the failed or abandoned transaction wrote. The next write opens a fresh
/// connection.
struct CloseUnlessDone(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

impl CloseUnlessDone {
    fn get(&mut self) -> &mut AnyConnection {
        self.0.as_mut().expect("a connection until done")
    }

    /// The transaction committed: the connection goes back to the pool.
    fn done(mut self) {
        self.0.take();
    }
}

impl Drop for CloseUnlessDone {
    fn drop(&mut self) {
        if let Some(conn) = self.0.as_mut() {
            conn.close_on_drop();
        }
    }
}

/// What recording one delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// New, for the engine to process.
    Pending,
    /// New, with nothing to process: recorded as done.
    Done,
    /// Its id was recorded before: nothing new.
    Duplicate,
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

/// A delivery with its body (in `delivery_payloads` while it is pending; see
/// `migrations/0003`).
pub(super) const DELIVERY_SELECT: &str =
    "SELECT d.id, d.event, d.action, d.installation_id, d.item_key,
       COALESCE(p.payload, d.payload) AS payload, d.received_at, d.attempts
     FROM deliveries d LEFT JOIN delivery_payloads p ON p.id = d.id";

impl Store {
    /// Record deliveries in one transaction (one fsync for the batch). Returns, for
    /// each, whether it was new and whether the engine has work for it.
    ///
    /// A chunk of the batch is one or two statements: its rows (`RETURNING` the ids
    /// that were new) and, if any is not done, the bodies of those that are new and
    /// pending. On SQLite they go to sqlx's connection thread as one string, with
    /// `BEGIN IMMEDIATE` before the first statement of the transaction and `COMMIT`
    /// after the last (none for a transaction of one statement): each string is one
    /// round trip, with two context switches on each side. A batch of one chunk that
    /// needs no lookup is recorded in one round trip, instead of four or five (the
    /// pool's ping before use, `BEGIN`, rows, bodies, `COMMIT`); one that needs a
    /// lookup, in two.
    pub async fn insert_deliveries(
        &self,
        batch: &[NewDelivery],
        now: Millis,
    ) -> anyhow::Result<Vec<Recorded>> {
        let chunks: Vec<&[NewDelivery]> = chunks_of_few_shapes(batch, INSERT_CHUNK);
        let mut inserted: HashSet<String> = HashSet::new();
        let done = match self.backend {
            Backend::Sqlite => {
                let mut conn = CloseUnlessDone(Some(self.writes.acquire().await?));
                let conn_ref = conn.get();
                let (done, begun) = settle_needs(conn_ref, batch, "BEGIN IMMEDIATE; ").await?;
                let bodies = keeps_a_body(&chunks, &done);
                // A transaction of one statement (a chunk of deliveries none of which
                // keeps a body, no lookup) needs no BEGIN or COMMIT: SQLite commits
                // the statement alone, atomically.
                let alone = !begun && chunks.len() == 1 && !bodies[0];
                let mut at = 0;
                for (i, chunk) in chunks.iter().enumerate() {
                    let begin = if i == 0 && !begun && !alone {
                        "BEGIN IMMEDIATE; "
                    } else {
                        ""
                    };
                    let commit = if i + 1 == chunks.len() && !alone {
                        "; COMMIT"
                    } else {
                        ""
                    };
                    let mut sql = format!("{begin}{}", rows_sql(conn_ref, chunk.len()));
                    if bodies[i] {
                        sql = format!("{sql}; {}", bodies_sql(conn_ref, chunk.len()));
                    }
                    let q = sqlx::query(sqlx::AssertSqlSafe(format!("{sql}{commit}")));
                    let mut q = bind_rows(q, chunk, &done[at..], now);
                    if bodies[i] {
                        q = bind_bodies(q, chunk, &done[at..]);
                    }
                    for row in q.fetch_all(&mut *conn_ref).await? {
                        inserted.insert(row.try_get("id")?);
                    }
                    at += chunk.len();
                }
                conn.done();
                done
            }
            Backend::Postgres => {
                let mut tx = self.write_tx().await?;
                let (done, _) = settle_needs(&mut tx, batch, "").await?;
                let bodies = keeps_a_body(&chunks, &done);
                let mut at = 0;
                for (i, chunk) in chunks.iter().enumerate() {
                    let q = sqlx::query(sqlx::AssertSqlSafe(rows_sql(&tx, chunk.len())));
                    for row in bind_rows(q, chunk, &done[at..], now)
                        .fetch_all(&mut *tx)
                        .await?
                    {
                        inserted.insert(row.try_get("id")?);
                    }
                    if bodies[i] {
                        let q = sqlx::query(sqlx::AssertSqlSafe(bodies_sql(&tx, chunk.len())));
                        bind_bodies(q, chunk, &done[at..]).execute(&mut *tx).await?;
                    }
                    at += chunk.len();
                }
                tx.commit().await?;
                done
            }
        };
        // The first of two copies of one id in a batch is the one recorded.
        let mut seen: HashSet<&str> = HashSet::new();
        Ok(batch
            .iter()
            .zip(&done)
            .map(|(d, done)| {
                let is_new = inserted.contains(&d.id) && seen.insert(d.id.as_str());
                match (is_new, done) {
                    (false, _) => Recorded::Duplicate,
                    (true, true) => Recorded::Done,
                    (true, false) => Recorded::Pending,
                }
            })
            .collect())
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
                Queue::Deliveries,
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
        let mut conn = self.pool.acquire().await?;
        let list = padded(ids.iter().map(String::as_str).collect());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DELIVERY_SELECT} WHERE d.id IN ({}) ORDER BY d.received_at, d.id",
            in_list(&conn, 1, list.len())
        )));
        for id in list {
            q = q.bind(id);
        }
        let mut claimed = Vec::with_capacity(ids.len());
        for row in q.fetch_all(&mut *conn).await? {
            let row = delivery_row(&row)?;
            let lease = Lease {
                owner: owner.to_string(),
                attempt: row.attempts,
            };
            claimed.push((row, lease));
        }
        Ok(claimed)
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
        .execute(&self.writes)
        .await?;
        Ok(())
    }
}

pub(super) fn delivery_row(r: &AnyRow) -> anyhow::Result<DeliveryRow> {
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
