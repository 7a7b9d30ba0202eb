//! The `effects` table, the outbox: effects queued with the decision that caused
//! them, claimed one at a time per intent, retried.

use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::core::intent::Effect;

use super::db::{chunks_of_few_shapes, placeholders_on};
use super::writer::BULK_CHUNK;
use super::{Lease, Millis, Queue, Store, codec, new_id, readable};

#[derive(Debug, Clone)]
pub struct EffectRow {
    pub id: String,
    pub intent_id: String,
    pub seq: i64,
    pub effect: Effect,
    pub attempts: i64,
    pub created_at: Millis,
}

impl Store {
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
                Queue::Effects,
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
        .execute(&self.writes)
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
}

/// Queue the effects of intents just written, each numbered after its intent's last
/// effect, in the statement that inserts it (`BULK_CHUNK` effects to a statement).
pub(super) async fn insert_effects(
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
    for chunk in chunks_of_few_shapes(&rows, BULK_CHUNK) {
        let values = placeholders_on(conn, chunk.len(), 5, "");
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
