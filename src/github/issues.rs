//! Issues (a pull request is one too), their comments and their events.

use http::Method;
use serde_json::Value;

use super::{Comment, GhResult, GitHub, Issue, IssueEvent, Item, encode};

/// The most items [`GitHub::open_issues_with_label`] lists (10 pages of 100).
pub const MAX_LISTED: usize = 1000;

impl GitHub {
    pub async fn issue(&self, inst: u64, repo: &str, number: u64) -> GhResult<Issue> {
        self.get(inst, &format!("/repos/{repo}/issues/{number}"))
            .await
    }

    /// The item's state in one request when it is known to be a pull request, in two
    /// when an issue turns out to be one.
    pub async fn item(&self, inst: u64, repo: &str, number: u64, is_pull: bool) -> GhResult<Item> {
        if is_pull {
            return Ok(self.pull(inst, repo, number).await?.into());
        }
        let issue = self.issue(inst, repo, number).await?;
        if issue.is_pull() {
            return Ok(self.pull(inst, repo, number).await?.into());
        }
        Ok(Item {
            open: issue.is_open(),
            is_pull: false,
            labels: issue.labels,
            head_sha: None,
            draft: false,
            author: issue.user.login,
            title: issue.title,
        })
    }

    /// Open issues and pull requests carrying `label`, at most [`MAX_LISTED`]
    /// (a list that long may be cut short).
    pub async fn open_issues_with_label(
        &self,
        inst: u64,
        repo: &str,
        label: &str,
    ) -> GhResult<Vec<Issue>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/issues?state=open&labels={}", encode(label)),
            MAX_LISTED / 100,
        )
        .await
    }

    pub async fn issue_events(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
    ) -> GhResult<Vec<IssueEvent>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/issues/{number}/events"),
            10,
        )
        .await
    }

    pub async fn comments(&self, inst: u64, repo: &str, number: u64) -> GhResult<Vec<Comment>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/issues/{number}/comments"),
            30,
        )
        .await
    }

    pub async fn create_comment(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        body: &str,
    ) -> GhResult<Comment> {
        self.send(
            inst,
            Method::POST,
            &format!("/repos/{repo}/issues/{number}/comments"),
            serde_json::json!({ "body": body }),
        )
        .await?
        .json()
    }

    /// Edit a comment; `Ok(None)` when it no longer exists.
    pub async fn edit_comment(
        &self,
        inst: u64,
        repo: &str,
        id: u64,
        body: &str,
    ) -> GhResult<Option<Comment>> {
        match self
            .send(
                inst,
                Method::PATCH,
                &format!("/repos/{repo}/issues/comments/{id}"),
                serde_json::json!({ "body": body }),
            )
            .await
        {
            Ok(a) => Ok(Some(a.json()?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn close_issue(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        state_reason: Option<&str>,
    ) -> GhResult<()> {
        let mut body = serde_json::json!({ "state": "closed" });
        if let Some(r) = state_reason {
            body["state_reason"] = Value::from(r);
        }
        self.send(
            inst,
            Method::PATCH,
            &format!("/repos/{repo}/issues/{number}"),
            body,
        )
        .await
        .map(|_| ())
    }
}
