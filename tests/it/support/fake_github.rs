//! An in-process fake GitHub for integration tests.
//!
//! [`FakeGitHub::start`] serves a small, faithful subset of GitHub's REST API on
//! `127.0.0.1:<random port>`: App JWT and installation-token auth, repositories, contents,
//! issues, pull requests and merges, comments, labels, reviews, check runs, issue events,
//! collaborator permissions, webhook deliveries, and the exchange of an App manifest code
//! (single use). Answers are GitHub's own response
//! examples (`tests/fixtures/github/`) with the fields the fake's state decides filled in,
//! and the status codes and error messages GitHub uses.
//!
//! Tests set the world up with plain methods (`add_repo`, `add_pull`, `set_permission`, ...),
//! inject faults ([`Fault`]), and inspect what the client under test did (`requests`,
//! `merges`, `comments`, `issue`, ...).
//!
//! Layout:
//! - `state`: the one [`State`](state::State) struct and the world model (repos, items, ...);
//! - `auth`: JWT verification and installation tokens;
//! - `render`: GitHub-shaped JSON from the fixtures;
//! - `server`: the axum glue (auth, faults, recording, common headers);
//! - `handlers`: the route table, then one module per resource.
//!
//! Clocks: timestamps written into resources come from [`FakeGitHub::set_now`] when set,
//! else from the real clock. JWTs and token expiry are always checked against the real
//! clock, since the client signs its JWTs with the real clock too.

mod auth;
mod handlers;
mod render;
mod schema;
mod server;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use state::{BOT_LOGIN, MANIFEST_CODE};
use state::{DeliveryRec, Item, Pull, RepoKey, ReviewRec, Role, State};

/// The installation `add_repo` puts repositories in, and deliveries carry by default.
pub const DEFAULT_INSTALLATION: u64 = 1;

/// The installation of a repository no installation covers.
pub const NO_INSTALLATION: u64 = 0;

/// The repository id the fake gives `owner/repo`; webhook payloads use the same.
pub fn repo_id(owner: &str, repo: &str) -> u64 {
    stable_id(&format!(
        "repo:{}/{}",
        owner.to_lowercase(),
        repo.to_lowercase()
    ))
}

/// The user id the fake gives `login`; webhook payloads use the same.
pub fn user_id(login: &str) -> u64 {
    stable_id(&format!("user:{}", login.to_lowercase()))
}

fn stable_id(seed: &str) -> u64 {
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 4];
    bytes.copy_from_slice(&digest[..4]);
    1_000_000 + u64::from(u32::from_be_bytes(bytes))
}

/// How a recorded request authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// A valid App JWT.
    App,
    /// A known, unexpired installation token of this installation.
    Installation(u64),
    /// No `Authorization` header.
    None,
    /// An `Authorization` header that is neither: bad or expired JWT, unknown or expired token.
    Invalid,
}

/// One request the fake received, in arrival order.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path with the query string, as sent.
    pub path: String,
    /// The JSON body, or `Null` when there was none.
    pub body: Value,
    pub auth: Auth,
    /// The status the fake answered with.
    pub status: u16,
    pub at: Instant,
}

/// A comment as stored by the fake.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub id: u64,
    /// The login; tacit's own comments have `tacit-test[bot]`.
    pub author: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The state of an issue or pull request, for assertions.
#[derive(Clone, Debug, PartialEq)]
pub struct IssueView {
    /// `"open"` or `"closed"`.
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub is_pull: bool,
    pub merged: bool,
    pub draft: bool,
    /// `None` for issues.
    pub head_sha: Option<String>,
    pub title: String,
    pub body: Option<String>,
    pub author: String,
}

/// A fault to inject: the next `times` requests whose method and path match get this answer.
///
/// `path_contains` is matched against the path with its query; `{placeholders}` in it match
/// one path segment, so `"/repos/{owner}/{repo}/pulls/{n}/merge"` matches every merge.
/// `method` `"*"` matches every method. `status` 0 means "no error": only the delay applies
/// (a slow answer). With `perform_first`, the fake carries the request out and then answers
/// with the fault anyway (a 500 to a merge that did happen).
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: String,
    pub path_contains: String,
    pub times: usize,
    pub status: u16,
    /// Defaults to `{"message": <reason>, "documentation_url": ...}`.
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
    pub delay: Option<Duration>,
    pub perform_first: bool,
}

impl Fault {
    /// Answer the next matching request with `status`.
    pub fn new(method: &str, path_contains: &str, status: u16) -> Fault {
        Fault {
            method: method.to_string(),
            path_contains: path_contains.to_string(),
            times: 1,
            status,
            body: None,
            headers: Vec::new(),
            delay: None,
            perform_first: false,
        }
    }

    /// Answer the next matching request normally, but only after `delay`.
    pub fn slow(method: &str, path_contains: &str, delay: Duration) -> Fault {
        Fault::new(method, path_contains, 0).delay(delay)
    }

    pub fn times(mut self, times: usize) -> Fault {
        self.times = times;
        self
    }

    pub fn body(mut self, body: Value) -> Fault {
        self.body = Some(body);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Fault {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Fault {
        self.delay = Some(delay);
        self
    }

    pub fn perform_first(mut self) -> Fault {
        self.perform_first = true;
        self
    }

    /// Whether this fault applies to a request.
    fn matches(&self, method: &str, path: &str) -> bool {
        method_matches(&self.method, method) && path_matches(&self.path_contains, path)
    }
}

fn method_matches(pattern: &str, method: &str) -> bool {
    pattern.is_empty() || pattern == "*" || pattern.eq_ignore_ascii_case(method)
}

/// Whether `path` contains `pattern`, where each `{name}` in the pattern stands for one or
/// more characters other than `/` and `?`.
fn path_matches(pattern: &str, path: &str) -> bool {
    fn at(pattern: &[u8], text: &[u8]) -> bool {
        match pattern.first() {
            None => true,
            Some(b'{') => {
                let close = pattern
                    .iter()
                    .position(|&b| b == b'}')
                    .unwrap_or(pattern.len() - 1);
                let rest = &pattern[close + 1..];
                let segment_len = text.iter().take_while(|&&b| b != b'/' && b != b'?').count();
                (1..=segment_len).any(|n| at(rest, &text[n..]))
            }
            Some(&b) => text.first() == Some(&b) && at(&pattern[1..], &text[1..]),
        }
    }
    let (pattern, path) = (pattern.as_bytes(), path.as_bytes());
    (0..=path.len()).any(|start| at(pattern, &path[start..]))
}

/// A handle on a repository added with [`FakeGitHub::add_repo`].
#[derive(Clone)]
pub struct RepoHandle {
    pub owner: String,
    pub name: String,
    fake: FakeGitHub,
}

impl RepoHandle {
    /// Takes the repository out of every installation: a private repository the App is
    /// not installed on. Installation tokens get 404 for it, as for one that does not exist.
    pub fn uninstall(&self) -> &RepoHandle {
        self.fake
            .lock()
            .repo_mut(&self.owner, &self.name)
            .installation = NO_INSTALLATION;
        self
    }

    /// Moves the repository to another installation (created if unknown).
    pub fn set_installation(&self, installation: u64) -> &RepoHandle {
        let mut st = self.fake.lock();
        st.ensure_installation(installation, &self.owner);
        st.repo_mut(&self.owner, &self.name).installation = installation;
        self
    }
}

/// The fake GitHub server. Cheap to clone; the server stops when the last clone is dropped
/// (or with the test's runtime).
#[derive(Clone)]
pub struct FakeGitHub {
    inner: Arc<Inner>,
}

struct Inner {
    state: Arc<Mutex<State>>,
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Inner {
    /// Stops the server, and fails the test if the client sent anything GitHub's REST
    /// description does not allow (see [`FakeGitHub::take_violations`]).
    fn drop(&mut self) {
        self.server.abort();
        let violations = std::mem::take(
            &mut self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .violations,
        );
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "fake GitHub: {} request(s) GitHub's REST description does not allow:\n{}",
                violations.len(),
                violations.join("\n")
            );
        }
    }
}

impl FakeGitHub {
    /// Starts the server on 127.0.0.1 with a random port, in the current tokio runtime.
    pub async fn start() -> FakeGitHub {
        let (state, url, server) = server::start().await;
        FakeGitHub {
            inner: Arc::new(Inner { state, url, server }),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the `GITHUB_API_URL` for the client.
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ---- world setup -------------------------------------------------------------------

    /// Adds a repository: default branch `main`, all merge methods allowed, installation 1.
    pub fn add_repo(&self, owner: &str, repo: &str) -> RepoHandle {
        let mut st = self.lock();
        let now = st.clock.now();
        st.ensure_installation(DEFAULT_INSTALLATION, owner);
        let previous = st.repos.insert(
            RepoKey::new(owner, repo),
            state::Repo::new(owner, repo, now),
        );
        assert!(
            previous.is_none(),
            "fake GitHub: repository {owner}/{repo} added twice"
        );
        RepoHandle {
            owner: owner.to_string(),
            name: repo.to_string(),
            fake: self.clone(),
        }
    }

    /// Suspends an installation: token requests get 403, its tokens 401.
    pub fn suspend_installation(&self, installation: u64) {
        let mut guard = self.lock();
        let st = &mut *guard;
        if let Some(inst) = st.installations.get_mut(&installation) {
            inst.suspended_at = Some(st.clock.now());
        }
    }

    /// Adds an open issue.
    pub fn add_issue(&self, owner: &str, repo: &str, number: u64, author: &str) {
        self.add_item(owner, repo, number, author, None);
    }

    /// Adds an open, non-draft pull request from branch `feature-<number>` into the default
    /// branch.
    pub fn add_pull(&self, owner: &str, repo: &str, number: u64, author: &str, head_sha: &str) {
        let base_ref = self.lock().repo_mut(owner, repo).default_branch.clone();
        let pull = Pull {
            head_sha: head_sha.to_string(),
            head_ref: format!("feature-{number}"),
            base_ref,
            draft: false,
            merged_at: None,
            merge_commit_sha: None,
            merged_by: None,
        };
        self.add_item(owner, repo, number, author, Some(pull));
    }

    fn add_item(&self, owner: &str, repo: &str, number: u64, author: &str, pull: Option<Pull>) {
        let mut st = self.lock();
        let (id, now) = (st.ids.next(), st.clock.now());
        let kind = if pull.is_some() {
            "Pull request"
        } else {
            "Issue"
        };
        let item = Item::new(id, number, &format!("{kind} {number}"), author, now, pull);
        let previous = st.repo_mut(owner, repo).items.insert(number, item);
        assert!(
            previous.is_none(),
            "fake GitHub: {owner}/{repo}#{number} added twice"
        );
    }

    /// Sets a user's role on a repository: `read`, `triage`, `write`, `maintain` or `admin`.
    /// Users without a role get `read`; the repository owner gets `admin`.
    pub fn set_permission(&self, owner: &str, repo: &str, user: &str, role_name: &str) {
        self.set_custom_permission(owner, repo, user, role_name, role_name);
    }

    /// Gives a user a custom role based on one of the five base roles.
    pub fn set_custom_permission(
        &self,
        owner: &str,
        repo: &str,
        user: &str,
        role_name: &str,
        base_role: &str,
    ) {
        let role = Role {
            role_name: role_name.to_string(),
            base: base_role.to_string(),
        };
        self.lock()
            .repo_mut(owner, repo)
            .permissions
            .insert(user.to_lowercase(), role);
    }

    /// Writes a file on the default branch (`contents` API).
    pub fn set_file(&self, owner: &str, repo: &str, path: &str, content: &str) {
        self.lock().repo_mut(owner, repo).files.insert(
            path.trim_start_matches('/').to_string(),
            content.to_string(),
        );
    }

    /// Puts a file at `git_ref` (a commit sha or a branch other than the default), as a
    /// pushed branch holds it; the contents API answers it for `?ref=<git_ref>`. Also
    /// the head commit of a pull request from a fork: GitHub serves it through the base
    /// repository (its `refs/pull/N/head`), so it is set on the base repository.
    pub fn set_file_at(&self, owner: &str, repo: &str, git_ref: &str, path: &str, content: &str) {
        self.lock()
            .repo_mut(owner, repo)
            .files_at
            .entry(git_ref.to_string())
            .or_default()
            .insert(
                path.trim_start_matches('/').to_string(),
                content.to_string(),
            );
    }

    /// Makes the item's labels exactly `labels`, as the repository owner; adding creates
    /// `labeled` events (and repository labels), removing creates `unlabeled` events.
    pub fn set_labels(&self, owner: &str, repo: &str, number: u64, labels: &[&str]) {
        self.set_labels_by(owner, repo, number, labels, owner);
    }

    /// Like [`set_labels`](Self::set_labels), with `actor` in the issue events.
    pub fn set_labels_by(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        labels: &[&str],
        actor: &str,
    ) {
        let mut st = self.lock();
        let key = st.existing_item(owner, repo, number);
        let current = st.repos[&key].items[&number].labels.clone();
        for name in &current {
            if !labels.iter().any(|l| l.eq_ignore_ascii_case(name)) {
                st.remove_label(&key, number, name, actor);
            }
        }
        let names: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        st.add_labels(&key, number, &names, actor);
    }

    /// Creates a repository label (no item changes).
    pub fn add_repo_label(&self, owner: &str, repo: &str, name: &str) {
        let mut st = self.lock();
        let key = RepoKey::new(owner, repo);
        st.repo_mut(owner, repo);
        st.ensure_label(&key, name);
    }

    /// Moves a pull request's head to `new_sha` (a push).
    pub fn push(&self, owner: &str, repo: &str, number: u64, new_sha: &str) {
        let mut st = self.lock();
        let now = st.clock.now();
        let item = st.item_mut(owner, repo, number);
        item.pull
            .as_mut()
            .expect("push: not a pull request")
            .head_sha = new_sha.to_string();
        item.updated_at = now;
    }

    pub fn set_draft(&self, owner: &str, repo: &str, number: u64, draft: bool) {
        let mut st = self.lock();
        st.item_mut(owner, repo, number)
            .pull
            .as_mut()
            .expect("set_draft: not a pull request")
            .draft = draft;
    }

    /// Closes an issue (`completed`) or a pull request (unmerged), as the repository owner.
    pub fn close(&self, owner: &str, repo: &str, number: u64) {
        let mut st = self.lock();
        let key = st.existing_item(owner, repo, number);
        st.close_item(&key, number, Some("completed"), owner);
    }

    /// Deletes an issue: the API answers 410 Gone for it from now on.
    pub fn delete_issue(&self, owner: &str, repo: &str, number: u64) {
        self.lock().item_mut(owner, repo, number).deleted = true;
    }

    pub fn set_repo_merge_methods(
        &self,
        owner: &str,
        repo: &str,
        merge: bool,
        squash: bool,
        rebase: bool,
    ) {
        let mut st = self.lock();
        let r = st.repo_mut(owner, repo);
        (
            r.allow_merge_commit,
            r.allow_squash_merge,
            r.allow_rebase_merge,
        ) = (merge, squash, rebase);
    }

    /// Adds a comment by a person (or a bot, when `author` ends in `[bot]`); returns its id.
    pub fn add_comment(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        author: &str,
        body: &str,
    ) -> u64 {
        let mut st = self.lock();
        let key = st.existing_item(owner, repo, number);
        st.create_comment(&key, number, author, body)
    }

    /// Edits a comment, as a person would in the web interface (its `updated_at` moves).
    pub fn edit_comment(&self, comment_id: u64, body: &str) {
        let mut st = self.lock();
        let now = st.clock.now();
        let c = st
            .comments
            .get_mut(&comment_id)
            .expect("edit_comment: unknown comment");
        c.body = body.to_string();
        c.updated_at = now;
    }

    pub fn delete_comment(&self, comment_id: u64) {
        self.lock().comments.remove(&comment_id);
    }

    /// Adds a review; `state` is `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `DISMISSED`
    /// (any case). Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn add_review(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        author: &str,
        state: &str,
        body: &str,
        commit_id: &str,
    ) -> u64 {
        let mut st = self.lock();
        let (id, now) = (st.ids.next(), st.clock.now());
        let review = ReviewRec {
            id,
            user: author.to_string(),
            state: state.to_uppercase(),
            body: body.to_string(),
            commit_id: commit_id.to_string(),
            submitted_at: now,
        };
        st.item_mut(owner, repo, number).reviews.push(review);
        id
    }

    pub fn dismiss_review(&self, owner: &str, repo: &str, number: u64, review_id: u64) {
        let mut st = self.lock();
        let item = st.item_mut(owner, repo, number);
        let review = item
            .reviews
            .iter_mut()
            .find(|r| r.id == review_id)
            .expect("dismiss_review: unknown review");
        review.state = "DISMISSED".to_string();
    }

    /// Adds a failed delivery (503) to `GET /app/hook/deliveries`; returns its id.
    pub fn add_failed_delivery(
        &self,
        guid: &str,
        event: &str,
        action: &str,
        delivered_at: &str,
    ) -> u64 {
        self.add_delivery(guid, event, action, delivered_at, 503)
    }

    /// Adds a delivery with any status code (200 for a successful one); returns its id.
    pub fn add_delivery(
        &self,
        guid: &str,
        event: &str,
        action: &str,
        delivered_at: &str,
        status_code: u16,
    ) -> u64 {
        let mut st = self.lock();
        let id = st.ids.next();
        st.deliveries.push(DeliveryRec {
            id,
            guid: guid.to_string(),
            delivered_at: delivered_at.to_string(),
            redelivery: false,
            status_code,
            event: event.to_string(),
            action: (!action.is_empty()).then(|| action.to_string()),
            installation_id: Some(DEFAULT_INSTALLATION),
            body: None,
        });
        id
    }

    /// The receiver GitHub sends webhook deliveries to (its base URL; they go to
    /// `/api/github/webhooks`) and the secret it
    /// signs them with: redelivery requests (`POST /app/hook/deliveries/{id}/attempts`)
    /// of deliveries recorded with [`failed_delivery`](Self::failed_delivery) are sent there.
    pub fn set_webhook(&self, url: &str, secret: &str) {
        self.lock().hook = Some((url.to_string(), secret.to_string()));
    }

    /// Records `d` as a delivery GitHub could not make (a 502 from the receiver's side): it
    /// is listed by `GET /app/hook/deliveries`, and a redelivery request sends the same body
    /// under the same GUID to the webhook (see [`set_webhook`](Self::set_webhook)).
    pub fn failed_delivery(&self, d: &super::deliveries::Delivery) -> u64 {
        let payload = d.json();
        let mut st = self.lock();
        let id = st.ids.next();
        let delivered_at = render::ts(Timestamp::now());
        st.deliveries.push(DeliveryRec {
            id,
            guid: d.id.clone(),
            delivered_at,
            redelivery: false,
            status_code: 502,
            event: d.event.clone(),
            action: payload["action"].as_str().map(str::to_string),
            installation_id: payload["installation"]["id"].as_u64(),
            body: Some(d.body.clone()),
        });
        id
    }

    /// How many redeliveries the fake is still sending.
    pub fn redeliveries_in_flight(&self) -> usize {
        self.lock()
            .redeliveries_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Makes `code` a code of the App manifest flow that `POST /app-manifests/{code}/conversions`
    /// accepts once ([`MANIFEST_CODE`] is one from the start).
    pub fn add_manifest_code(&self, code: &str) {
        self.lock().manifest_codes.insert(code.to_string());
    }

    /// What `POST /app-manifests/{code}/conversions` answers: GitHub's own example, the new
    /// App with its `id`, `pem` and `webhook_secret` (API urls pointing at the fake).
    pub fn manifest_conversion(&self) -> Value {
        let base = self.lock().base_url.clone();
        render::with_api_base(render::app_from_manifest(), &base)
    }

    /// Makes every installation token issued so far expired (the next use gets 401).
    pub fn expire_tokens(&self) {
        let past = Timestamp::now() - jiff::SignedDuration::from_secs(1);
        for token in self.lock().tokens.values_mut() {
            token.expires_at = past;
        }
    }

    /// Fixes the time written into resources (`None`: the real clock again).
    pub fn set_now(&self, now: Option<Timestamp>) {
        self.lock().clock.fixed = now;
    }

    /// Makes new installation tokens live `lifetime` (GitHub: one hour).
    pub fn set_token_lifetime(&self, lifetime: jiff::SignedDuration) {
        self.lock().token_lifetime = lifetime;
    }

    // ---- fault injection ---------------------------------------------------------------

    pub fn inject(&self, rule: Fault) {
        self.lock().faults.push(rule);
    }

    /// Refuses every merge of this pull request with `status` and `message` until cleared.
    pub fn set_merge_refusal(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        status: u16,
        message: &str,
    ) {
        self.lock()
            .repo_mut(owner, repo)
            .merge_refusals
            .insert(number, (status, message.to_string()));
    }

    pub fn clear_merge_refusal(&self, owner: &str, repo: &str, number: u64) {
        self.lock()
            .repo_mut(owner, repo)
            .merge_refusals
            .remove(&number);
    }

    // ---- inspection --------------------------------------------------------------------

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// Installation tokens minted for `installation` so far.
    pub fn token_mints(&self, installation: u64) -> usize {
        self.lock()
            .token_mints
            .get(&installation)
            .copied()
            .unwrap_or(0)
    }

    /// `owner/name` of the repositories `installation` covers.
    pub fn installation_repositories(&self, installation: u64) -> Vec<String> {
        self.lock()
            .repos
            .values()
            .filter(|r| r.installation == installation)
            .map(|r| format!("{}/{}", r.owner, r.name))
            .collect()
    }

    /// The requests so far that GitHub's REST description does not allow (an operation it
    /// does not have, a body that does not fit the operation's schema), taken: a test that
    /// sends such requests on purpose takes them and checks them. Any left when the fake
    /// is dropped fail the test.
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().violations)
    }

    /// Requests whose method and path match, with the same matching as [`Fault`].
    pub fn count(&self, method: &str, path_contains: &str) -> usize {
        let st = self.lock();
        st.requests
            .iter()
            .filter(|r| method_matches(method, &r.method) && path_matches(path_contains, &r.path))
            .count()
    }

    /// Bodies of the merge requests that succeeded.
    pub fn merges(&self, owner: &str, repo: &str, number: u64) -> Vec<Value> {
        self.lock()
            .repo_mut(owner, repo)
            .merges
            .get(&number)
            .cloned()
            .unwrap_or_default()
    }

    /// The item's comments in creation order, tacit's own included.
    pub fn comments(&self, owner: &str, repo: &str, number: u64) -> Vec<Comment> {
        let st = self.lock();
        let key = RepoKey::new(owner, repo);
        st.comments
            .values()
            .filter(|c| c.repo == key && c.number == number)
            .map(|c| Comment {
                id: c.id,
                author: c.author.clone(),
                body: c.body.clone(),
                created_at: render::ts(c.created_at),
                updated_at: render::ts(c.updated_at),
            })
            .collect()
    }

    pub fn issue(&self, owner: &str, repo: &str, number: u64) -> IssueView {
        let mut st = self.lock();
        let item = st.item_mut(owner, repo, number);
        IssueView {
            state: if item.open { "open" } else { "closed" }.to_string(),
            state_reason: item.state_reason.clone(),
            labels: item.labels.clone(),
            is_pull: item.pull.is_some(),
            merged: item.pull.as_ref().is_some_and(|p| p.merged_at.is_some()),
            draft: item.pull.as_ref().is_some_and(|p| p.draft),
            head_sha: item.pull.as_ref().map(|p| p.head_sha.clone()),
            title: item.title.clone(),
            body: item.body.clone(),
            author: item.author.clone(),
        }
    }

    /// Numbers of the repository's issues (not deleted) with this exact title, in order.
    pub fn issues_titled(&self, owner: &str, repo: &str, title: &str) -> Vec<u64> {
        self.lock()
            .repo_mut(owner, repo)
            .items
            .values()
            .filter(|i| !i.deleted && i.title == title)
            .map(|i| i.number)
            .collect()
    }

    /// Sets an item's title and body, as its author would.
    pub fn set_title_and_body(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        title: &str,
        body: &str,
    ) {
        let mut st = self.lock();
        let item = st.item_mut(owner, repo, number);
        item.title = title.to_string();
        item.body = Some(body.to_string());
    }

    /// Every check run created in the repository, as the API shows them.
    pub fn check_runs(&self, owner: &str, repo: &str) -> Vec<Value> {
        let mut st = self.lock();
        let base = st.base_url.clone();
        st.repo_mut(owner, repo)
            .check_runs
            .iter()
            .map(|run| render::with_api_base(run.clone(), &base))
            .collect()
    }

    /// Makes `login` a member of the team `org/team` with membership `state` (`active`,
    /// or `pending` for an invitation not accepted yet).
    pub fn set_team_member(&self, org: &str, team: &str, login: &str, state: &str) {
        self.lock()
            .teams
            .entry((org.to_lowercase(), team.to_lowercase()))
            .or_default()
            .insert(login.to_lowercase(), state.to_string());
    }

    /// A repository label's (name, colour, description), if it exists.
    pub fn repo_label(
        &self,
        owner: &str,
        repo: &str,
        name: &str,
    ) -> Option<(String, String, Option<String>)> {
        self.lock()
            .repo_mut(owner, repo)
            .label(name)
            .map(|l| (l.name.clone(), l.color.clone(), l.description.clone()))
    }

    /// Names of the repository's labels.
    pub fn repo_labels(&self, owner: &str, repo: &str) -> Vec<String> {
        self.lock()
            .repo_mut(owner, repo)
            .labels
            .values()
            .map(|l| l.name.clone())
            .collect()
    }

    /// Ids of the deliveries whose redelivery was requested, in request order.
    pub fn redelivery_requests(&self) -> Vec<u64> {
        self.lock().redeliveries.clone()
    }

    /// Polls `f` every 20 ms until it holds (true) or `timeout` passes (false).
    pub async fn wait_for<F: Fn(&FakeGitHub) -> bool>(&self, timeout: Duration, f: F) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if f(self) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
