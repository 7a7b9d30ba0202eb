//! GitHub's objects as tacit reads them, from REST answers and webhook payloads:
//! only the fields tacit reads, every one optional or defaulted, so that a new or
//! missing field never breaks a read.

use serde::Deserialize;

use crate::core::names::LabelName;

#[derive(Debug, Clone, Deserialize, Default)]
pub struct User {
    #[serde(default)]
    pub login: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl User {
    pub fn is_bot(&self) -> bool {
        self.kind.eq_ignore_ascii_case("bot") || self.login.ends_with("[bot]")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LabelRef {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub labels: Vec<LabelRef>,
    #[serde(default)]
    pub user: User,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub body: Option<String>,
}

impl Issue {
    pub fn is_open(&self) -> bool {
        self.state == "open"
    }
    pub fn is_pull(&self) -> bool {
        self.pull_request.is_some()
    }
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| LabelName::same(&l.name, name))
    }
}

/// What tacit needs to know of an issue or pull request before it opens an intent or
/// acts, read with one request (a pull request's own object carries its labels).
#[derive(Debug, Clone)]
pub struct Item {
    pub open: bool,
    pub is_pull: bool,
    pub labels: Vec<LabelRef>,
    /// Pull requests only.
    pub head_sha: Option<String>,
    pub draft: bool,
    /// Who opened it.
    pub author: String,
    pub title: String,
}

impl Item {
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| LabelName::same(&l.name, name))
    }
}

impl From<Pull> for Item {
    fn from(p: Pull) -> Item {
        Item {
            open: p.state == "open",
            is_pull: true,
            labels: p.labels,
            head_sha: Some(p.head.sha),
            draft: p.draft,
            author: p.user.login,
            title: p.title,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct GitRef {
    #[serde(default)]
    pub sha: String,
    #[serde(rename = "ref", default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Pull {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    #[serde(default)]
    pub draft: bool,
    pub head: GitRef,
    pub base: GitRef,
    #[serde(default)]
    pub user: User,
    #[serde(default)]
    pub labels: Vec<LabelRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub default_branch: String,
    #[serde(default = "yes")]
    pub allow_merge_commit: bool,
    #[serde(default = "yes")]
    pub allow_squash_merge: bool,
    #[serde(default = "yes")]
    pub allow_rebase_merge: bool,
    #[serde(default)]
    pub archived: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileContent {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub encoding: String,
    #[serde(default)]
    pub sha: String,
}

impl FileContent {
    pub fn text(&self) -> Option<String> {
        use base64::Engine;
        let cleaned: String = self
            .content
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .ok()?;
        String::from_utf8(bytes).ok()
    }
}

/// A conditional file read.
#[derive(Debug, Clone)]
pub enum FileAnswer {
    NotModified,
    Missing,
    /// The file and its ETag.
    Found(FileContent, Option<String>),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub user: User,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub created_at: Option<jiff::Timestamp>,
    #[serde(default)]
    pub updated_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    pub id: u64,
    #[serde(default)]
    pub user: User,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<jiff::Timestamp>,
    #[serde(default)]
    pub html_url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PermissionAnswer {
    #[serde(default)]
    pub permission: Option<String>,
    #[serde(default)]
    pub role_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MergeResponse {
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default)]
    pub merged: bool,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckRun {
    pub id: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct App {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// The answer to `POST /app-manifests/{code}/conversions`: a new App and its secrets.
/// Unlike the other views, `id` and `pem` are required: without them the answer is
/// useless, and that must be an error, not a default.
#[derive(Clone, Deserialize)]
pub struct ManifestApp {
    pub id: u64,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub html_url: String,
    /// The App's private key, PEM.
    pub pem: String,
    /// GitHub's schema allows `null` here.
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for ManifestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManifestApp")
            .field("id", &self.id)
            .field("slug", &self.slug)
            .field("html_url", &self.html_url)
            .field("pem", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct InstallationInfo {
    pub id: u64,
    #[serde(default)]
    pub suspended_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HookDelivery {
    pub id: u64,
    #[serde(default)]
    pub guid: String,
    #[serde(default)]
    pub delivered_at: Option<jiff::Timestamp>,
    #[serde(default)]
    pub redelivery: bool,
    #[serde(default)]
    pub status_code: Option<u16>,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub action: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IssueEvent {
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub actor: Option<User>,
    #[serde(default)]
    pub label: Option<LabelRef>,
    #[serde(default)]
    pub created_at: Option<jiff::Timestamp>,
}

/// An installation as webhook payloads carry it.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Installation {
    pub id: u64,
    #[serde(default)]
    pub account: Option<User>,
}

/// A repository as webhook payloads carry it (`repository`, `repositories_added`, ...):
/// the fields of [`Repository`] every payload has.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Repo {
    #[serde(default)]
    pub full_name: String,
    /// In `push` payloads: whether the push went to this branch decides what it means.
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// A check suite or check run as webhook payloads carry it.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Check {
    #[serde(default)]
    pub head_sha: Option<String>,
}
