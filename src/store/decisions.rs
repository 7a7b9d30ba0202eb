//! The read behind `tacit decisions`: ended intents, oldest end first.

use super::intents::{INTENT_COLUMNS, intent_row};
use super::{IntentRow, Millis, Store};
use crate::core::names::RepoName;

impl Store {
    /// Intents that ended (of one repository, if given; ended at or after `since`, if
    /// given), in the order they ended. Labels that opened nothing are rows too: the
    /// caller tells them apart by their outcome.
    pub async fn ended_intents(
        &self,
        repo: Option<&str>,
        since: Option<Millis>,
    ) -> anyhow::Result<Vec<IntentRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENT_COLUMNS} FROM intents
             WHERE is_open = 0 AND ended_at IS NOT NULL AND ended_at >= $1
               AND ($2 = '' OR repo = $2)
             ORDER BY ended_at, repo, number, id"
        )))
        .bind(since.unwrap_or(i64::MIN))
        .bind(repo.map(RepoName::key_of).unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(intent_row).collect()
    }
}
