//! What the three queues (deliveries, due intents, effects) share: the lease, the
//! claim, when a loop wakes, how much work is due, and the pruning of finished work.

use std::time::Duration;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Backend, Millis, Store};

/// The three kinds of work, each with its own loop (see [`Store::next_wake`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Deliveries,
    Intents,
    Effects,
}

impl Queue {
    /// Every queue, in the order their stale leases are released.
    const ALL: [Queue; 3] = [Queue::Deliveries, Queue::Effects, Queue::Intents];

    /// The table that holds this queue's rows.
    fn table(self) -> &'static str {
        match self {
            Queue::Deliveries => "deliveries",
            Queue::Intents => "intents",
            Queue::Effects => "effects",
        }
    }

    /// Whether a claim counts an attempt (the fencing token). Deliveries and effects
    /// count theirs; a due intent is not an attempt: its writes are fenced by its version.
    fn counts_attempts(self) -> bool {
        match self {
            Queue::Deliveries | Queue::Effects => true,
            Queue::Intents => false,
        }
    }
}

/// A claim on a piece of work: who holds it and the attempt number (the fencing token).
#[derive(Debug, Clone)]
pub struct Lease {
    pub owner: String,
    pub attempt: i64,
}

impl Store {
    /// Release leases left by a previous life of this replica (`owner`): it died, so
    /// they are released at once instead of waited out. SQLite is one replica by
    /// definition, so there every lease is stale. Other replicas' leases expire on
    /// their own.
    pub async fn release_stale_leases(&self, owner: &str) -> anyhow::Result<()> {
        let all = self.backend == Backend::Sqlite;
        // The digests' refresh queue is leased too (see `digests.rs`).
        let tables = Queue::ALL.iter().map(|q| q.table()).chain(["digests"]);
        for table in tables {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET lease_owner = NULL, lease_until = NULL
                 WHERE lease_owner IS NOT NULL AND ($1 = 1 OR lease_owner = $2)"
            )))
            .bind(all as i64)
            .bind(owner)
            .execute(&self.writes)
            .await?;
        }
        Ok(())
    }

    /// Delete finished and failed deliveries (with their bodies) and finished effects
    /// received or created before `before`; returns how many deliveries and effects
    /// went. Pending ones are kept.
    pub async fn prune(&self, before: Millis) -> anyhow::Result<u64> {
        let mut tx = self.writes.begin().await?;
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
            .execute(&self.writes)
            .await?
            .rows_affected();
        Ok(deliveries + effects)
    }

    /// Claim the rows of `queue` that `candidates` selects (`$1` = now, `$2` = limit):
    /// set a lease and, where the queue counts attempts, count the attempt (the fencing
    /// token), in one statement. PostgreSQL locks candidates with `FOR UPDATE SKIP
    /// LOCKED`, so replicas never wait on each other's rows; SQLite has one writer, so
    /// the statement sees and updates the rows with nobody in between.
    pub(super) async fn claim(
        &self,
        queue: Queue,
        candidates: &str,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<String>> {
        let rows = self
            .claim_rows(queue, candidates, "id", owner, now, lease, limit)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Lease up to `limit` of the `candidates` (a query of ids) to `owner` in one
    /// statement, and return their `returning` columns.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn claim_rows(
        &self,
        queue: Queue,
        candidates: &str,
        returning: &str,
        owner: &str,
        now: Millis,
        lease: Duration,
        limit: i64,
    ) -> anyhow::Result<Vec<AnyRow>> {
        let until = now + lease.as_millis() as i64;
        let table = queue.table();
        let attempts = if queue.counts_attempts() {
            ", attempts = attempts + 1"
        } else {
            ""
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
        .fetch_all(&self.writes)
        .await?)
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
}
