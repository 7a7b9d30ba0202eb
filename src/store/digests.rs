//! The digest issue of each repository (SPEC 5, `digest: true`) and its refresh queue
//! (`migrations/0005_digests.sql`).
//!
//! A refresh is asked for inside the transaction that writes an intent carrying
//! `digest: true` ([`touch`]): the row's `due_at` is set unless it already is (the
//! refresh of a burst waits for the first change's delay, not the last's), and
//! `touches` counts the asks. The engine claims due rows with a lease, like effects;
//! finishing clears `due_at` only if `touches` did not move meanwhile, so a change
//! written while a refresh ran is refreshed again.

use std::time::Duration;

use sqlx::{AnyConnection, Row};

use super::{Backend, IntentRow, Lease, Millis, Store};
use crate::core::names::RepoName;

/// One repository's digest, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRow {
    /// `owner/name`, lower case.
    pub repo: String,
    pub installation_id: i64,
    /// The digest issue; `None` until tacit created one (found by this, never by title).
    pub issue_number: Option<i64>,
    /// Whether tacit last left the issue open.
    pub is_open: bool,
    /// SHA-256 (hex) of the body tacit last wrote.
    pub body_sha256: Option<String>,
    /// Refreshes asked for so far (see the module's documentation).
    pub touches: i64,
    pub attempts: i64,
    pub due_at: Option<Millis>,
}

const COLUMNS: &str =
    "repo, installation_id, issue_number, is_open, body_sha256, touches, attempts, due_at";

fn digest_row(r: &sqlx::any::AnyRow) -> anyhow::Result<DigestRow> {
    Ok(DigestRow {
        repo: r.try_get("repo")?,
        installation_id: r.try_get("installation_id")?,
        issue_number: r.try_get("issue_number")?,
        is_open: r.try_get::<i64, _>("is_open")? == 1,
        body_sha256: r.try_get("body_sha256")?,
        touches: r.try_get("touches")?,
        attempts: r.try_get("attempts")?,
        due_at: r.try_get("due_at")?,
    })
}

/// Ask for a refresh of `repo`'s digest at `due` (or earlier, if one is asked for
/// already), inside the caller's transaction.
pub(super) async fn touch(
    conn: &mut AnyConnection,
    repo: &str,
    installation_id: i64,
    due: Millis,
    now: Millis,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO digests (repo, installation_id, is_open, due_at, touches, attempts, updated_at)
         VALUES ($1, $2, 0, $3, 1, 0, $4)
         ON CONFLICT (repo) DO UPDATE SET installation_id = excluded.installation_id,
           due_at = COALESCE(digests.due_at, excluded.due_at),
           touches = digests.touches + 1, updated_at = excluded.updated_at",
    )
    .bind(RepoName::key_of(repo))
    .bind(installation_id)
    .bind(due)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// How long after a change its digest refresh waits, so that the changes of a burst
    /// are shown by one edit (`Tuning::digest_delay`).
    pub fn set_digest_delay(&mut self, delay: Duration) {
        self.digest_delay = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    }

    /// The digest of `repo`, if one was ever asked for.
    pub async fn digest(&self, repo: &str) -> anyhow::Result<Option<DigestRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM digests WHERE repo = $1"
        )))
        .bind(RepoName::key_of(repo))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(digest_row).transpose()
    }

    /// Claim digests whose refresh is due, with a lease (the attempt number is the
    /// fencing token, as for effects).
    pub async fn claim_digests(
        &self,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<(DigestRow, Lease)>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE digests SET lease_owner = $3, lease_until = $4, attempts = attempts + 1
             WHERE repo IN (SELECT repo FROM digests
                            WHERE due_at IS NOT NULL AND due_at <= $1
                              AND (lease_until IS NULL OR lease_until < $1)
                            ORDER BY due_at LIMIT $2{lock})
             RETURNING {COLUMNS}"
        )))
        .bind(now)
        .bind(limit)
        .bind(owner)
        .bind(now + lease.as_millis() as i64)
        .fetch_all(&self.writes)
        .await?;
        rows.iter()
            .map(|r| {
                let d = digest_row(r)?;
                let lease = Lease {
                    owner: owner.to_string(),
                    attempt: d.attempts,
                };
                Ok((d, lease))
            })
            .collect()
    }

    /// Remember a digest issue just created, at once and whatever the lease: it exists
    /// on GitHub now, and must be found again by its number.
    pub async fn set_digest_issue(
        &self,
        repo: &str,
        number: i64,
        body_sha256: &str,
        now: Millis,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE digests SET issue_number = $1, is_open = 1, body_sha256 = $2, updated_at = $3
             WHERE repo = $4",
        )
        .bind(number)
        .bind(body_sha256)
        .bind(now)
        .bind(RepoName::key_of(repo))
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// A refresh is done: what the issue now is, and `due_at` cleared unless a change
    /// asked for another refresh while this one ran (`touches` moved). `false` if the
    /// lease was lost (another worker owns the row now; nothing is written).
    pub async fn finish_digest(
        &self,
        d: &DigestRow,
        lease: &Lease,
        issue_number: Option<i64>,
        is_open: bool,
        body_sha256: Option<&str>,
        now: Millis,
    ) -> anyhow::Result<bool> {
        let r = sqlx::query(
            "UPDATE digests SET issue_number = $1, is_open = $2, body_sha256 = $3,
               due_at = CASE WHEN touches = $4 THEN NULL ELSE due_at END,
               attempts = 0, lease_owner = NULL, lease_until = NULL, last_error = NULL,
               updated_at = $5
             WHERE repo = $6 AND lease_owner = $7 AND attempts = $8",
        )
        .bind(issue_number)
        .bind(is_open as i64)
        .bind(body_sha256)
        .bind(d.touches)
        .bind(now)
        .bind(&d.repo)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&self.writes)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A refresh failed: try again at `run_after`, or (`None`) not until the next change
    /// asks for one. The error is kept for inspection.
    pub async fn retry_digest(
        &self,
        d: &DigestRow,
        lease: &Lease,
        run_after: Option<Millis>,
        error: &str,
        now: Millis,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE digests SET due_at = $1,
               last_error = $2, lease_owner = NULL, lease_until = NULL, updated_at = $3
             WHERE repo = $4 AND lease_owner = $5 AND attempts = $6",
        )
        .bind(run_after)
        .bind(error)
        .bind(now)
        .bind(&d.repo)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// The earliest due refresh not claimed by anyone (the effects loop sleeps until then).
    pub async fn next_digest_wake(&self) -> anyhow::Result<Option<Millis>> {
        let row = sqlx::query(
            "SELECT due_at AS t FROM digests
             WHERE due_at IS NOT NULL AND (lease_until IS NULL OR lease_until < due_at)
             ORDER BY due_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("t")?,
            None => None,
        })
    }

    /// The open intents a digest lists: those of `repo` opened with `digest: true`, by
    /// number. (An intent opened before `digest` was turned on, or after it was turned
    /// off, is not listed: the setting is fixed into each intent when it opens.)
    pub async fn digest_intents(&self, repo: &str) -> anyhow::Result<Vec<IntentRow>> {
        let mut rows: Vec<IntentRow> = self
            .open_intents(Some(repo))
            .await?
            .into_iter()
            .filter(|r| r.intent.policy.digest && !r.intent.is_done())
            .collect();
        rows.sort_by_key(|r| r.number);
        Ok(rows)
    }
}
