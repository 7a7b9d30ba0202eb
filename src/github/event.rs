//! Lenient views of webhook payloads.
//!
//! GitHub adds events, actions and fields over time; typed models that reject what
//! they do not know would drop deliveries. Every field here is optional, and the
//! event name and action are plain strings: the engine ignores what it does not use.
//!
//! Here: the delivery itself (`Payload` and what its fields say: `from_fork`,
//! `touches_config`, `pushed_branch`, `item_key`; where it goes is
//! `webhook::route`) and the shapes only webhooks have (`PayloadItem`,
//! `PayloadComment`, `PayloadReview` with every field optional, `PushCommit`), named
//! apart from the API's answers (`Item`, `Comment`, `Review` in `types.rs`): a payload
//! is a hint, an answer is what GitHub says now. GitHub's objects that payloads share
//! with the API (users, labels, refs, installations, repositories, checks) are
//! `types.rs`'s.

use serde::Deserialize;

use super::types::{Check, Installation, LabelRef, Repo, User};
use crate::core::names::{ItemRef, RepoName};

/// Every field may be missing (`#[serde(default)]` on the whole struct).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Payload {
    pub action: Option<String>,
    pub installation: Option<Installation>,
    pub repository: Option<Repo>,
    pub sender: Option<User>,
    pub issue: Option<PayloadItem>,
    pub pull_request: Option<PayloadItem>,
    pub label: Option<LabelRef>,
    pub comment: Option<PayloadComment>,
    pub review: Option<PayloadReview>,
    pub changes: Option<serde_json::Value>,
    pub check_suite: Option<Check>,
    pub check_run: Option<Check>,
    /// `status` events carry the commit sha at the top level.
    pub sha: Option<String>,
    pub after: Option<String>,
    pub repositories_removed: Option<Vec<Repo>>,
    /// `installation_repositories.added`: where to create the intent labels.
    pub repositories_added: Option<Vec<Repo>>,
    /// `installation.created`: the repositories it covers (absent when it covers all).
    pub repositories: Option<Vec<Repo>>,
    /// `push`: the ref pushed to, `refs/heads/NAME`.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// `push`: the commits, each with the files it added, modified and removed.
    pub commits: Option<Vec<PushCommit>>,
}

/// One commit of a `push` payload: only the files it touched matter to tacit.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct PushCommit {
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub removed: Vec<String>,
}

/// An issue or a pull request, as webhook payloads carry them.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct PayloadItem {
    pub number: u64,
    /// Present on an issue that is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
    #[serde(default)]
    pub merged: Option<bool>,
    /// A pull request's head: its commit, and the repository its branch is in.
    #[serde(default)]
    pub head: Option<PullRef>,
    /// A pull request's base: the branch it would merge into, in this repository.
    #[serde(default)]
    pub base: Option<PullRef>,
    /// GitHub's time of the item's last change: for a `labeled` delivery, when the
    /// label was added (the best time the payload carries).
    #[serde(default)]
    pub updated_at: Option<jiff::Timestamp>,
}

/// A pull request's `head` or `base` as webhook payloads carry it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct PullRef {
    pub sha: String,
    /// The repository the branch is in: `Some(None)` when GitHub says `null` (a fork
    /// deleted since the pull request was opened), `None` when the field is absent.
    #[serde(deserialize_with = "present")]
    pub repo: Option<Option<RepoId>>,
}

/// A repository as a pull request's `head` and `base` name it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct RepoId {
    pub id: Option<u64>,
    pub full_name: String,
}

/// A field that is present, `null` included (with `default`, an absent one is `None`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct PayloadComment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub created_at: Option<jiff::Timestamp>,
    #[serde(default)]
    pub updated_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct PayloadReview {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<jiff::Timestamp>,
}

impl Payload {
    /// Parse a webhook body. Only a JSON object is a payload (serde would also fill the
    /// struct from an array, field by field).
    pub fn parse(body: &[u8]) -> Result<Payload, serde_json::Error> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(serde::de::Error::custom(
                "a webhook payload is a JSON object",
            ));
        }
        serde_json::from_slice(body)
    }

    /// A `push` whose commits add, change or remove `.github/tacit.yml`.
    pub fn touches_config(&self) -> bool {
        self.commits.iter().flatten().any(|c| {
            [&c.added, &c.modified, &c.removed]
                .into_iter()
                .flatten()
                .any(|f| f == crate::core::config::CONFIG_FILE)
        })
    }

    /// A `pull_request` delivery whose head branch is in another repository than its
    /// base (a fork, or a fork since deleted): GitHub sends no `push` for its commits to
    /// the base repository, so its `tacit/config` check is run from the pull request
    /// (SPEC 5). `false` when the payload does not say where the head is.
    pub fn from_fork(&self) -> bool {
        let Some(pull) = &self.pull_request else {
            return false;
        };
        let Some(head) = pull.head.as_ref().and_then(|h| h.repo.as_ref()) else {
            return false;
        };
        let Some(head) = head else {
            return true; // deleted: only a fork can be
        };
        let base = pull.base.as_ref().and_then(|b| b.repo.clone().flatten());
        match (head.id, base.as_ref().and_then(|b| b.id)) {
            (Some(h), Some(b)) => h != b,
            _ => {
                let base = base.map(|b| b.full_name);
                let base = base.as_deref().or(self.repo()).unwrap_or_default();
                !RepoName::same(&head.full_name, base)
            }
        }
    }

    /// The branch a `push` went to, and whether it is the repository's default branch.
    pub fn pushed_branch(&self) -> Option<(&str, bool)> {
        let branch = self.git_ref.as_deref()?.strip_prefix("refs/heads/")?;
        let default = self
            .repository
            .as_ref()
            .and_then(|r| r.default_branch.as_deref());
        Some((branch, default == Some(branch)))
    }

    pub fn repo(&self) -> Option<&str> {
        self.repository
            .as_ref()
            .map(|r| r.full_name.as_str())
            .filter(|s| !s.is_empty())
    }

    /// The issue or pull request this delivery is about.
    pub fn item(&self) -> Option<&PayloadItem> {
        self.issue.as_ref().or(self.pull_request.as_ref())
    }

    /// The body before an edit (`changes.body.from`), if GitHub said.
    pub fn body_before_edit(&self) -> Option<&str> {
        self.changes
            .as_ref()
            .and_then(|c| c.pointer("/body/from"))
            .and_then(|v| v.as_str())
    }

    /// Deliveries with the same key are processed in the order received.
    pub fn item_key(&self) -> String {
        match (self.repo(), self.item()) {
            (Some(repo), Some(item)) => ItemRef::new(repo, item.number).key(),
            (Some(repo), None) => RepoName::key_of(repo),
            (None, _) => match &self.installation {
                Some(i) => format!("installation:{}", i.id),
                None => "app".to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(path: &str) -> Vec<u8> {
        let p = format!(
            "{}/tests/fixtures/webhooks/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn every_example_payload_parses() {
        let root = format!("{}/tests/fixtures/webhooks", env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for event in std::fs::read_dir(&root).unwrap() {
            for file in std::fs::read_dir(event.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                let body = std::fs::read(&path).unwrap();
                Payload::parse(&body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                n += 1;
            }
        }
        assert!(n > 50, "only {n} examples found");
    }

    #[test]
    fn a_pull_request_from_a_fork_is_told_by_its_head_repository() {
        let pull = |action: &str, head_repo: serde_json::Value| {
            let mut p: serde_json::Value =
                serde_json::from_slice(&example("pull_request/opened.1.json")).unwrap();
            p["action"] = action.into();
            p["pull_request"]["head"]["repo"] = head_repo;
            Payload::parse(&serde_json::to_vec(&p).unwrap()).unwrap()
        };
        let any = pull("opened", serde_json::Value::Null);
        let base = any.pull_request.as_ref().unwrap().base.clone().unwrap();
        let base = base.repo.flatten().unwrap();
        let fork = serde_json::json!({ "id": 7, "full_name": "someone/Hello-World" });
        let itself = serde_json::json!({ "id": base.id, "full_name": base.full_name });
        for action in ["opened", "reopened", "synchronize"] {
            assert!(pull(action, fork.clone()).from_fork());
            // A deleted fork: GitHub sends `"repo": null`.
            assert!(pull(action, serde_json::Value::Null).from_fork());
            assert!(!pull(action, itself.clone()).from_fork());
        }
        // Ids decide when both are given; names otherwise (case-insensitively).
        let renamed = serde_json::json!({ "id": base.id, "full_name": "a/b" });
        assert!(!pull("opened", renamed).from_fork());
        let by_name = serde_json::json!({ "full_name": base.full_name.to_uppercase() });
        assert!(!pull("opened", by_name).from_fork());
        // A payload that does not say where the head is: not a fork.
        let mut p: serde_json::Value =
            serde_json::from_slice(&example("pull_request/opened.1.json")).unwrap();
        p["pull_request"]["head"]
            .as_object_mut()
            .unwrap()
            .remove("repo");
        assert!(
            !Payload::parse(&serde_json::to_vec(&p).unwrap())
                .unwrap()
                .from_fork()
        );
    }

    #[test]
    fn labeled_issue_gives_its_item_key() {
        let p = Payload::parse(&example("issues/labeled.1.json")).unwrap();
        assert_eq!(p.item_key(), "codertocat/hello-world#1");
        assert_eq!(p.label.as_ref().unwrap().name, "bug");
    }

    #[test]
    fn only_objects_are_payloads() {
        assert!(Payload::parse(b"[]").is_err());
        assert!(Payload::parse(br#"["labeled", {"id": 1}]"#).is_err());
        assert!(Payload::parse(b"  {}").is_ok());
    }

    #[test]
    fn unknown_actions_and_fields_are_accepted() {
        let p = Payload::parse(br#"{"action":"dequeued","whatever":{"x":1}}"#).unwrap();
        assert_eq!(p.action.as_deref(), Some("dequeued"));
        assert_eq!(p.item_key(), "app");
    }

    #[test]
    fn a_push_says_whether_it_touches_the_configuration_and_where_it_went() {
        let push = |files: &str| {
            Payload::parse(
                format!(
                    r#"{{"ref": "refs/heads/b", "after": "abc",
                        "repository": {{"full_name": "o/r", "default_branch": "main"}},
                        "commits": [{{"added": [], "modified": {files}, "removed": []}}]}}"#
                )
                .as_bytes(),
            )
            .unwrap()
        };
        assert!(!push(r#"["README.md"]"#).touches_config());
        assert!(!push(r#"["docs/.github/tacit.yml"]"#).touches_config());
        let p = push(r#"["src/a.rs", ".github/tacit.yml"]"#);
        assert!(p.touches_config());
        assert_eq!(p.pushed_branch(), Some(("b", false)));
        let removed = Payload::parse(
            br#"{"ref": "refs/heads/main", "repository": {"default_branch": "main"},
                 "commits": [{"removed": [".github/tacit.yml"]}]}"#,
        )
        .unwrap();
        assert!(removed.touches_config());
        assert_eq!(removed.pushed_branch(), Some(("main", true)));
    }
}
