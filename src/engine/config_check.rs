//! `.github/tacit.yml` changed in a pull request (SPEC 5): the `tacit/config` check run on
//! its head commit says whether the file is valid, with line and column, so a broken file
//! is caught before it is merged.
//!
//! Two deliveries lead here. A `push` to a branch of the repository that touches the file
//! (which covers pull requests from the repository's own branches): the run is on the
//! pushed commit; a push to the default branch drops the cached copy instead, so the next
//! intent reads the new file. And a pull request from a fork (`opened`, `reopened`,
//! `synchronize`), whose commits are never pushed to the base repository: its head is
//! read through the base repository, as GitHub serves it, and the run is posted only when
//! the file there differs from the default branch's (added, changed or removed), so a
//! fork pull request that does not touch it costs one read and no run. Both post the same
//! check, through [`Engine::config_check`].
//!
//! The check run is written directly, not through the outbox: it belongs to no intent,
//! and a redelivered push or pull request at worst creates a second run with the same
//! conclusion, of which GitHub shows the newest.

use serde_json::json;

use crate::core::config::{ConfigError, RepoConfig};
use crate::core::render;
use crate::github::{FileContent, GhResult};

use super::Engine;
use super::deliveries::Failure;
use super::repo::CONFIG_PATH;

/// The check run's name; a repository may require it.
pub const CONFIG_CHECK: &str = "tacit/config";

impl Engine {
    /// A `push` of commit `sha` to a branch (`to_default`: the default branch) that
    /// touches `.github/tacit.yml` (`webhook::route` routes no other push).
    pub(crate) async fn on_config_push(
        &self,
        inst: u64,
        repo: &str,
        sha: &str,
        to_default: bool,
    ) -> Result<(), Failure> {
        if to_default {
            self.forget_config(repo).await?;
            return Ok(());
        }
        if sha.bytes().all(|b| b == b'0') {
            return Ok(()); // a deleted branch has no commit to check
        }
        let file = self.gh.file_at(inst, repo, CONFIG_PATH, sha).await?;
        Ok(self.config_check(inst, repo, sha, file.as_ref()).await?)
    }

    /// A pull request opened, reopened or pushed to from a fork: the `tacit/config`
    /// check on its head commit `head` when it changes `.github/tacit.yml`. `None` (a
    /// pull request from the repository's own branches, whose pushes are checked, or one
    /// without a head; `webhook::route` tells): nothing.
    /// Only a transient failure is one (the delivery is retried): the same delivery may
    /// also carry news for an intent, which a check that cannot be posted must not hold
    /// up.
    pub(crate) async fn on_fork_pull(
        &self,
        inst: u64,
        repo: &str,
        head: Option<&str>,
    ) -> Result<(), Failure> {
        let Some(sha) = head else {
            return Ok(());
        };
        match self.fork_pull_check(inst, repo, sha).await {
            Err(e) if !e.is_transient() => {
                tracing::warn!(error = %e, "cannot check the pull request's .github/tacit.yml");
                Ok(())
            }
            answer => Ok(answer?),
        }
    }

    async fn fork_pull_check(&self, inst: u64, repo: &str, sha: &str) -> GhResult<()> {
        // GitHub serves a pull request's head commit through the base repository.
        let file = self.gh.file_at(inst, repo, CONFIG_PATH, sha).await?;
        let text = file.as_ref().map(FileContent::text);
        // Most fork pull requests leave the file alone: then no check run. The default
        // branch's copy is usually cached (no call).
        if self.default_config_text(inst, repo).await? == text {
            return Ok(());
        }
        self.config_check(inst, repo, sha, file.as_ref()).await
    }

    /// Posts `tacit/config` on `sha` for `file`, `.github/tacit.yml` of `repo` at that
    /// commit (`None`: not there): the same parser and wording for pushes and pull
    /// requests.
    async fn config_check(
        &self,
        inst: u64,
        repo: &str,
        sha: &str,
        file: Option<&FileContent>,
    ) -> GhResult<()> {
        let text = file.map(FileContent::text);
        let parsed = match &text {
            Some(Some(text)) => RepoConfig::parse(text).map(|_| ()),
            Some(None) => Err(ConfigError {
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
