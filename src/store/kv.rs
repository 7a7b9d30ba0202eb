//! The `kv` table: small facts kept by name.

use sqlx::Row;

use super::Store;

impl Store {
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
        .execute(&self.writes)
        .await?;
        Ok(())
    }
}
