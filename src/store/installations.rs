//! The `installations` table: which installations are suspended or removed.

use sqlx::Row;

use super::{Millis, Store};

impl Store {
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
        .execute(&self.writes)
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
}
