//! Issues (a pull request is one too), their comments and their events.

use http::Method;
use serde_json::Value;

use super::{Comment, GhError, GhResult, GitHub, Issue, IssueEvent, Item, Review, encode};

/// The most items [`GitHub::open_issues_with_label`] lists (10 pages of 100).
pub const MAX_LISTED: usize = 1000;
/// Pages of 100 read of an item's timeline before tacit reads its comments and reviews
/// by their own lists instead.
pub const TIMELINE_PAGES: usize = 30;

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

    /// An item's comments and reviews in one list: the issue timeline
    /// (`GET /repos/{o}/{r}/issues/{n}/timeline`), whose `commented` events are the
    /// issue comments and whose `reviewed` events are the pull request's reviews, each
    /// with the fields [`comments`](Self::comments) and [`reviews`](Self::reviews) give,
    /// in GitHub's order. It holds other events too, so it is paged by `Link` to its end,
    /// whatever a page holds. `None` when it cannot be used whole (no such endpoint, or
    /// longer than [`TIMELINE_PAGES`] pages), or when it does not hold the `labeled`
    /// event of `label` (the intent's label): GitHub's timeline always does, so an
    /// answer without it is not a whole timeline, and objections must never be missed
    /// by trusting one. The caller then reads the two lists.
    pub async fn conversation(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        label: &str,
    ) -> GhResult<Option<(Vec<Comment>, Vec<Review>)>> {
        let (mut comments, mut reviews) = (Vec::new(), Vec::new());
        let mut labeled = false;
        for page in 1..=TIMELINE_PAGES {
            let path = format!("/repos/{repo}/issues/{number}/timeline?per_page=100&page={page}");
            let a = match self
                .request(Some(inst), Method::GET, &path, None, None)
                .await
            {
                Ok(a) => a,
                Err(e) if e.is_not_found() && page == 1 => return Ok(None),
                Err(e) => return Err(e),
            };
            let events: Vec<Value> = a.json()?;
            for event in events {
                match event.get("event").and_then(Value::as_str) {
                    Some("commented") => comments.push(
                        serde_json::from_value(event)
                            .map_err(|e| GhError::Decode(format!("timeline comment: {e}")))?,
                    ),
                    Some("reviewed") => reviews.push(
                        serde_json::from_value(event)
                            .map_err(|e| GhError::Decode(format!("timeline review: {e}")))?,
                    ),
                    Some("labeled") => {
                        labeled |= event
                            .pointer("/label/name")
                            .and_then(Value::as_str)
                            .is_some_and(|name| crate::core::names::LabelName::same(name, label));
                    }
                    _ => {}
                }
            }
            let more = a
                .headers
                .get(http::header::LINK)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|l| l.contains("rel=\"next\""));
            if !more {
                return Ok(labeled.then_some((comments, reviews)));
            }
        }
        Ok(None)
    }

    /// Issues (open and closed) created by `creator`, newest first, one page of 100.
    pub async fn issues_created_by(
        &self,
        inst: u64,
        repo: &str,
        creator: &str,
    ) -> GhResult<Vec<Issue>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/issues?state=all&creator={}", encode(creator)),
            1,
        )
        .await
    }

    /// Create an issue (`POST /repos/{repo}/issues`), as the App's bot.
    pub async fn create_issue(
        &self,
        inst: u64,
        repo: &str,
        title: &str,
        body: &str,
    ) -> GhResult<Issue> {
        self.send(
            inst,
            Method::POST,
            &format!("/repos/{repo}/issues"),
            serde_json::json!({ "title": title, "body": body }),
        )
        .await?
        .json()
    }

    /// Set an issue's body and state in one edit (`PATCH /repos/{repo}/issues/{n}`);
    /// closing gives `state_reason: completed`.
    pub async fn update_issue(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        body: &str,
        open: bool,
    ) -> GhResult<Issue> {
        let mut fields = serde_json::json!({
            "body": body,
            "state": if open { "open" } else { "closed" },
        });
        if !open {
            fields["state_reason"] = Value::from("completed");
        }
        self.send(
            inst,
            Method::PATCH,
            &format!("/repos/{repo}/issues/{number}"),
            fields,
        )
        .await?
        .json()
    }
}
