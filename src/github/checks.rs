//! Check runs (`tacit` on a pull request's head, `tacit/config` on a push).

use http::Method;
use serde_json::Value;

use super::{CheckRun, GhResult, GitHub};

impl GitHub {
    pub async fn create_check_run(&self, inst: u64, repo: &str, body: Value) -> GhResult<CheckRun> {
        self.send(
            inst,
            Method::POST,
            &format!("/repos/{repo}/check-runs"),
            body,
        )
        .await?
        .json()
    }

    pub async fn update_check_run(
        &self,
        inst: u64,
        repo: &str,
        id: u64,
        body: Value,
    ) -> GhResult<()> {
        self.send(
            inst,
            Method::PATCH,
            &format!("/repos/{repo}/check-runs/{id}"),
            body,
        )
        .await
        .map(|_| ())
    }
}
