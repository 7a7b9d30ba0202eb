//! The `intents` table: reads of intents (one, an item's, the open ones), the claim of
//! due intents, and the ids tacit remembers beside an intent (status comment, check run).

use std::time::Duration;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::core::intent::Intent;

use super::db::{in_list, padded};
use super::writer::write_jobs;
use super::{Backend, Cause, IntentWrite, Millis, Store, WriteOutcome, codec, readable};
use crate::core::names::RepoName;

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

pub(super) const INTENT_COLUMNS: &str = "id, installation_id, repo, number, label, state, version, status_comment_id, check_run_id, check_run_sha, check_run_conclusion, updated_at";

impl Store {
    pub async fn open_intent_for(
        &self,
        repo: &str,
        number: i64,
    ) -> anyhow::Result<Option<IntentRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS} FROM intents WHERE repo = $1 AND number = $2 AND is_open = 1"
        )))
        .bind(RepoName::key_of(repo))
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
        .bind(RepoName::key_of(repo))
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
                .bind(RepoName::key_of(repo))
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
        .bind(RepoName::key_of(repo))
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
                .bind(RepoName::key_of(repo))
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

    /// Decide intents whose due time has come, in one transaction: read up to `limit`
    /// of them (on PostgreSQL locked with `FOR UPDATE SKIP LOCKED`, so that replicas
    /// take different ones; SQLite has one writer), hand each to `decide`, and write
    /// what it returns with its effects, as [`Store::write`] writes them, before the
    /// commit. One `(id, outcome)` per intent read, in order; `None`: nothing was
    /// written (the decision changed nothing, or the row is unreadable).
    ///
    /// Nothing is leased for the decision: the transaction holds the rows until it
    /// commits, when their due times have moved on. A row the decision did not change,
    /// or this release cannot read, is leased instead, so that it is not read again
    /// at once: it is tried again when the lease runs out (the claim this replaced
    /// leased every row, and released those, which a due intent that never changes
    /// would have turned into a busy loop).
    pub async fn decide_due_intents(
        &self,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
        mut decide: impl FnMut(&IntentRow) -> Option<IntentWrite>,
    ) -> anyhow::Result<Vec<(String, Option<WriteOutcome>)>> {
        let (mut tx, lock) = match self.backend {
            Backend::Sqlite => (self.writes.begin_with("BEGIN IMMEDIATE").await?, ""),
            Backend::Postgres => (self.writes.begin().await?, " FOR UPDATE SKIP LOCKED"),
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS} FROM intents
             WHERE is_open = 1 AND due_at IS NOT NULL AND due_at <= $1
               AND (lease_until IS NULL OR lease_until < $1)
             ORDER BY due_at LIMIT $2{lock}"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let mut jobs = Vec::new();
        for row in readable(&rows, intent_row) {
            if let Some(write) = decide(&row) {
                jobs.push(self.job(Some(write), Cause::None, now));
            }
        }
        let outcomes = write_jobs(&mut tx, &jobs).await?;
        let mut written = std::collections::HashMap::new();
        for (job, outcome) in jobs.iter().zip(outcomes) {
            let id = job.intent_id().expect("every job writes an intent");
            written.insert(id.to_string(), outcome?);
        }
        let idle: Vec<&str> = ids
            .iter()
            .filter(|id| written.get(id.as_str()) != Some(&WriteOutcome::Written))
            .map(String::as_str)
            .collect();
        if !idle.is_empty() {
            let list = padded(idle);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE intents SET lease_owner = {}, lease_until = {} WHERE id IN ({})",
                in_list(&tx, 1, 1),
                in_list(&tx, 2, 1),
                in_list(&tx, 3, list.len())
            )))
            .bind(owner)
            .bind(now + lease.as_millis() as i64);
            for id in list {
                q = q.bind(id);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(ids
            .into_iter()
            .map(|id| {
                let outcome = written.remove(&id);
                (id, outcome)
            })
            .collect())
    }

    /// Fill `intents.head_sha` from the state of every open intent, once per database
    /// (the receiver keeps the CI deliveries about an open intent's head by it;
    /// migration 0006): rows a release before it wrote have none. `tacit serve` runs
    /// it in the background at start. Read in pages, so
    /// that a million open intents never sit in memory at once; a row this release
    /// cannot read is left alone. Returns how many rows it changed (`None`: done
    /// before).
    ///
    /// Rows an older release changes after this ran (a rollback, then this release
    /// again) get the column at their next write; an intent waiting on a refused
    /// merge is written at least every 15 minutes, its retry, so until then it
    /// retries on that timer rather than on a CI delivery.
    pub async fn fill_head_columns(&self) -> anyhow::Result<Option<u64>> {
        const DONE: &str = "intents.head_sha";
        if self.kv_get(DONE).await?.is_some() {
            return Ok(None);
        }
        let mut changed = 0;
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT id, version, state, head_sha FROM intents
                 WHERE is_open = 1 AND id > $1 ORDER BY id LIMIT 256",
            )
            .bind(&after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = last.try_get("id")?;
            for row in &rows {
                let state: String = row.try_get("state")?;
                let Ok(intent) = codec::decode_intent(&state) else {
                    continue;
                };
                let head = super::writer::head_column(&intent);
                let stored: Option<String> = row.try_get("head_sha")?;
                if stored == head {
                    continue;
                }
                let id: String = row.try_get("id")?;
                let version: i64 = row.try_get("version")?;
                // Only if the row is still the one read: a write since set the column.
                changed +=
                    sqlx::query("UPDATE intents SET head_sha = $1 WHERE id = $2 AND version = $3")
                        .bind(&head)
                        .bind(&id)
                        .bind(version)
                        .execute(&self.writes)
                        .await?
                        .rows_affected();
            }
        }
        self.kv_set(DONE, "filled").await?;
        Ok(Some(changed))
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
            .execute(&self.writes)
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
        .execute(&self.writes)
        .await?;
        Ok(())
    }
}

pub(super) fn intent_row(r: &AnyRow) -> anyhow::Result<IntentRow> {
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
