//! The one write path for decisions ([`Store::write`]): a group-commit writer task
//! that commits every write waiting in one transaction.

use sqlx::{AnyConnection, AnyPool, Row};

use crate::core::intent::{Effect, Intent};

use super::db::{INSERT_CHUNK, chunks_of_few_shapes, in_list, padded, placeholders_on};
use super::effects::insert_effects;
use super::group_commit::GroupCommit;
use super::{Backend, Lease, Millis, Store, codec};
use crate::core::names::RepoName;

/// One [`Store::write`] waiting for the group-commit writer.
pub(super) struct WriteJob {
    write: Option<IntentWrite>,
    cause: Cause,
    now: Millis,
    /// When a digest refresh the write asks for is due.
    digest_at: Millis,
}

impl WriteJob {
    /// The intent the job writes, if any.
    pub(super) fn intent_id(&self) -> Option<&str> {
        self.write.as_ref().map(|w| w.id.as_str())
    }
}

/// The most writes committed in one transaction.
pub(super) const MAX_WRITE_BATCH: usize = 256;

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

impl Store {
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
        self.writer
            .submit(self.job(w.cloned(), cause.clone(), now))
            .await
            .map_err(|_| anyhow::anyhow!("the store's writer stopped"))?
    }
}

impl Store {
    pub(super) fn job(&self, write: Option<IntentWrite>, cause: Cause, now: Millis) -> WriteJob {
        WriteJob {
            write,
            cause,
            now,
            digest_at: now.saturating_add(self.digest_delay),
        }
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

/// Rows per multi-row statement of [`write_bulk`] (8 parameters each).
pub(super) const BULK_CHUNK: usize = 128;

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
    for chunk in chunks_of_few_shapes(&jobs, BULK_CHUNK) {
        let values = placeholders_on(conn, chunk.len(), 8, "");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE intents SET state = v.column3, due_at = v.column4, is_open = v.column5,
               ended_at = v.column6, version = intents.version + 1, updated_at = v.column7,
               head_sha = v.column8, lease_owner = NULL, lease_until = NULL
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
                .bind(*now)
                .bind(stored.head);
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
            asked.entry(RepoName::key_of(&w.repo)).or_insert((
                w.installation_id,
                digest_at(*i),
                *now,
            ));
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
        super::digests::touch(conn, &repo, installation_id, due, now).await?;
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
        head,
    } = Stored::of(&w.intent)?;
    match w.expected_version {
        None => {
            // The partial unique index refuses a second open intent on the same item.
            let r = sqlx::query(
                "INSERT INTO intents (id, installation_id, repo, number, label, is_open, state, due_at, version, created_at, updated_at, ended_at, head_sha)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&w.id)
            .bind(w.installation_id)
            .bind(RepoName::key_of(&w.repo))
            .bind(w.number)
            .bind(w.intent.policy.label.as_str())
            .bind(is_open)
            .bind(&state)
            .bind(due)
            .bind(now)
            .bind(ended)
            .bind(&head)
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() != 1 {
                return Ok(false);
            }
        }
        Some(version) => {
            let r = sqlx::query(
                "UPDATE intents SET state = $1, due_at = $2, is_open = $3, ended_at = $4, version = version + 1,
                   updated_at = $5, head_sha = $8, lease_owner = NULL, lease_until = NULL
                 WHERE id = $6 AND version = $7",
            )
            .bind(&state)
            .bind(due)
            .bind(is_open)
            .bind(ended)
            .bind(now)
            .bind(&w.id)
            .bind(version)
            .bind(&head)
            .execute(&mut *conn)
            .await?;
            if r.rows_affected() != 1 {
                return Ok(false);
            }
        }
    }
    insert_effects(conn, &[(w.id.as_str(), w.effects.as_slice(), now)]).await?;
    if w.intent.policy.digest {
        super::digests::touch(conn, &w.repo, w.installation_id, digest_at, now).await?;
    }
    Ok(true)
}

/// The columns of an intent row derived from the intent itself.
struct Stored {
    state: String,
    due: Option<Millis>,
    is_open: i64,
    ended: Option<Millis>,
    /// `intents.head_sha`: what the receiver matches CI deliveries against.
    head: Option<String>,
}

impl Stored {
    fn of(intent: &Intent) -> anyhow::Result<Stored> {
        Ok(Stored {
            state: codec::encode_intent(intent)?,
            due: intent.next_due().map(|t| t.as_millisecond()),
            is_open: (!intent.is_done()) as i64,
            ended: intent.ended_at.map(|t| t.as_millisecond()),
            head: head_column(intent),
        })
    }
}

/// The `intents.head_sha` column of an intent: its recorded head while it is open
/// (`None` once it ended, or for an issue). Rows of an older release are filled in
/// after the first start of this one ([`Store::fill_head_columns`]).
pub(super) fn head_column(intent: &Intent) -> Option<String> {
    match intent.is_done() {
        true => None,
        false => intent.head_sha.clone(),
    }
}

/// The writer of [`Store::write`].
pub(super) type Writer = GroupCommit<WriteJob, anyhow::Result<WriteOutcome>>;

/// Start the group-commit writer: it takes every write waiting (up to
/// [`MAX_WRITE_BATCH`]) and commits them in one transaction.
pub(super) fn start_writer(pool: AnyPool, backend: Backend) -> Writer {
    GroupCommit::start(4 * MAX_WRITE_BATCH, MAX_WRITE_BATCH, move |batch| {
        let pool = pool.clone();
        async move {
            match write_batch(&pool, backend, &batch).await {
                Ok(outcomes) => outcomes,
                Err(e) => {
                    // Nothing of the batch was committed: every caller retries.
                    let message = format!("{e:#}");
                    batch
                        .iter()
                        .map(|_| Err(anyhow::anyhow!("{message}")))
                        .collect()
                }
            }
        }
    })
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
    let outcomes = write_jobs(&mut tx, batch).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// The body of [`write_batch`], inside the caller's transaction (also the one in
/// which [`Store::decide_due_intents`] read its intents). `Err`: a statement failed
/// and the transaction must not be committed.
pub(super) async fn write_jobs(
    tx: &mut AnyConnection,
    batch: &[WriteJob],
) -> anyhow::Result<Vec<anyhow::Result<WriteOutcome>>> {
    // Timers' writes (an intent update without a cause) go first, several to a
    // statement: on PostgreSQL each statement is a round trip, on SQLite a hop to its
    // thread, and a burst of intents due at once is thousands of them.
    let mut bulk_outcomes = write_bulk(tx, batch).await?;
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
            &mut *tx,
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
        let ids = padded(chunk.to_vec());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM delivery_payloads WHERE id IN ({})",
            in_list(&*tx, 1, ids.len())
        )));
        for id in ids {
            q = q.bind(id);
        }
        q.execute(&mut *tx).await?;
    }
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
