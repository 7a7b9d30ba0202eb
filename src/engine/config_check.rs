//! `.github/tacit.yml` changed by a push (SPEC 5): on a branch, the `tacit/config` check
//! run on the pushed commit says whether the file is valid, with line and column, so a
//! broken file is caught in its pull request before it is merged; on the default branch,
//! the cached copy is dropped so the next intent reads the new file.
//!
//! The check run is written directly, not through the outbox: it belongs to no intent,
//! and a redelivered push at worst creates a second run with the same conclusion, of
//! which GitHub shows the newest.

use serde_json::json;

use crate::core::config::RepoConfig;
use crate::core::render;
use crate::webhook::payload::Payload;

use super::Engine;
use super::deliveries::Failure;
use super::repo::CONFIG_PATH;

/// The check run's name; a repository may require it.
pub const CONFIG_CHECK: &str = "tacit/config";

impl Engine {
    /// A `push` that touches `.github/tacit.yml` (the intake records others as done).
    pub(crate) async fn on_config_push(
        &self,
        inst: u64,
        repo: &str,
        p: &Payload,
    ) -> Result<(), Failure> {
        let (Some((_, to_default)), Some(sha)) = (p.pushed_branch(), p.after.as_deref()) else {
            return Ok(()); // a tag, or no commit
        };
        if to_default {
            self.forget_config(repo).await?;
            return Ok(());
        }
        // `route` only gets here for pushes that touch the file (`needs_processing`).
        if sha.bytes().all(|b| b == b'0') {
            return Ok(()); // a deleted branch has no commit to check
        }
        let file = self.gh.file_at(inst, repo, CONFIG_PATH, sha).await?;
        let text = file.as_ref().map(|f| f.text());
        let parsed = match &text {
            Some(Some(text)) => RepoConfig::parse(text).map(|_| ()),
            Some(None) => Err(crate::core::config::ConfigError {
                file: None,
                line: None,
                column: None,
                message: "the file is not UTF-8 text".into(),
            }),
            None => Ok(()),
        };
        let name = format!("{repo}/{CONFIG_PATH}");
        let (ok, view) = render::config_check(&name, text.is_some(), parsed.as_ref().map(|_| ()));
        let body = json!({
            "name": CONFIG_CHECK,
            "head_sha": sha,
            "status": "completed",
            "conclusion": if ok { "success" } else { "failure" },
            "completed_at": self.now().to_string(),
            "output": { "title": view.title, "summary": view.summary },
        });
        self.gh.create_check_run(inst, repo, body).await?;
        Ok(())
    }
}
