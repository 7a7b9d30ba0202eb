//! Signed webhook deliveries for tests, built from GitHub's real payloads
//! (`tests/fixtures/webhooks/<event>/<action>.<n>.json`, read at test time) and retargeted
//! at the test world: repository, numbers, labels, users, timestamps (now), and
//! `installation: {id, node_id}` (installation 1 unless [`with_installation`] says otherwise).
//!
//! Repository and user ids are the ones the fake GitHub uses ([`repo_id`], [`user_id`]).
//! Each builder gives a fresh delivery GUID; [`Delivery::edit`] changes the payload and keeps
//! the GUID (a redelivery has the same one).

use std::path::PathBuf;

use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde_json::{Value, json};
use sha2::Sha256;

use super::fake_github::{DEFAULT_INSTALLATION, FakeGitHub, repo_id, user_id};
use super::keys::APP_ID;

/// `sha256=<hex HMAC-SHA256 of body>`: the `X-Hub-Signature-256` GitHub sends with `body`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The `installation.node_id` GitHub's examples carry.
const INSTALLATION_NODE_ID: &str = "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==";

/// One delivery: what GitHub POSTs to the webhook URL.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// `X-GitHub-Event`.
    pub event: String,
    /// `X-GitHub-Delivery`, a GUID.
    pub id: String,
    /// The raw JSON body, exactly as signed.
    pub body: Vec<u8>,
}

impl Delivery {
    /// The payload, parsed.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("delivery body is JSON")
    }

    /// `sha256=<hex HMAC-SHA256 of the body>`, the `X-Hub-Signature-256` value.
    pub fn sign(&self, secret: &str) -> String {
        sign(secret.as_bytes(), &self.body)
    }

    /// Every header GitHub sends with a delivery to an App.
    pub fn headers(&self, secret: &str) -> Vec<(String, String)> {
        [
            ("X-GitHub-Event", self.event.clone()),
            ("X-GitHub-Delivery", self.id.clone()),
            ("X-GitHub-Hook-ID", "424242".to_string()),
            (
                "X-GitHub-Hook-Installation-Target-Type",
                "integration".to_string(),
            ),
            ("X-GitHub-Hook-Installation-Target-ID", APP_ID.to_string()),
            ("X-Hub-Signature-256", self.sign(secret)),
            ("User-Agent", "GitHub-Hookshot/fa4e1c3".to_string()),
            ("Content-Type", "application/json".to_string()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect()
    }

    /// The same delivery (same GUID) with its payload changed by `f`.
    pub fn edit(self, f: impl FnOnce(&mut Value)) -> Delivery {
        let mut payload = self.json();
        f(&mut payload);
        Delivery {
            body: serde_json::to_vec(&payload).expect("JSON serializes"),
            ..self
        }
    }
}

/// POSTs the delivery to `{base}/api/github/webhooks` with GitHub's headers.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    d: &Delivery,
    secret: &str,
) -> reqwest::Response {
    let mut request = client.post(format!(
        "{}/api/github/webhooks",
        base.trim_end_matches('/')
    ));
    for (name, value) in d.headers(secret) {
        request = request.header(name, value);
    }
    request
        .body(d.body.clone())
        .send()
        .await
        .expect("webhook delivery is sent")
}

// ---- modifiers ------------------------------------------------------------------------------

/// Makes the sender a bot (`"Bot"`) or a user (`"User"`).
pub fn with_sender_type(d: Delivery, type_: &str) -> Delivery {
    d.edit(|v| v["sender"]["type"] = json!(type_))
}

/// Sets `installation.id`.
pub fn with_installation(d: Delivery, installation: u64) -> Delivery {
    d.edit(|v| v["installation"]["id"] = json!(installation))
}

/// Sets the author of the payload's issue or pull request.
pub fn with_item_author(d: Delivery, login: &str) -> Delivery {
    d.edit(|v| {
        for key in ["issue", "pull_request"] {
            if v.get(key).is_some() {
                v[key]["user"] = user(&v["sender"], login);
            }
        }
    })
}

// ---- issues ---------------------------------------------------------------------------------

/// `issues.labeled`: `label` added to issue `number` by `sender`.
pub fn issue_labeled(owner: &str, repo: &str, number: u64, label: &str, sender: &str) -> Delivery {
    let mut v = payload("issues", "labeled.1.json", owner, repo, number);
    v["label"] = label_object(&v["label"], owner, repo, label);
    v["issue"]["labels"] = json!([v["label"].clone()]);
    v["issue"]["updated_at"] = json!(now());
    finish("issues", v, sender)
}

/// `issues.opened`: issue `number` opened by `sender`.
pub fn issue_opened(owner: &str, repo: &str, number: u64, sender: &str) -> Delivery {
    let mut v = payload("issues", "opened.1.json", owner, repo, number);
    v["issue"]["updated_at"] = json!(now());
    finish("issues", v, sender)
}

/// `issues.unlabeled`: `label` removed from issue `number` by `sender`.
pub fn issue_unlabeled(
    owner: &str,
    repo: &str,
    number: u64,
    label: &str,
    sender: &str,
) -> Delivery {
    let mut v = payload("issues", "unlabeled.1.json", owner, repo, number);
    v["label"] = label_object(&v["label"], owner, repo, label);
    v["issue"]["labels"] = json!([]);
    v["issue"]["updated_at"] = json!(now());
    finish("issues", v, sender)
}

/// `issues.closed` (state_reason `completed`). The examples have no `closed` action, so this
/// is `issues/reopened.1.json` with the action and state changed.
pub fn issue_closed(owner: &str, repo: &str, number: u64, sender: &str) -> Delivery {
    let mut v = payload("issues", "reopened.1.json", owner, repo, number);
    v["action"] = json!("closed");
    v["issue"]["state"] = json!("closed");
    v["issue"]["state_reason"] = json!("completed");
    v["issue"]["closed_at"] = json!(now());
    v["issue"]["updated_at"] = json!(now());
    finish("issues", v, sender)
}

// ---- pull requests --------------------------------------------------------------------------

/// `pull_request.labeled`: `label` added to pull request `number` (head `head_sha`).
pub fn pr_labeled(
    owner: &str,
    repo: &str,
    number: u64,
    label: &str,
    sender: &str,
    head_sha: &str,
) -> Delivery {
    let mut v = payload("pull_request", "labeled.1.json", owner, repo, number);
    v["label"] = label_object(&v["label"], owner, repo, label);
    v["pull_request"]["labels"] = json!([v["label"].clone()]);
    v["pull_request"]["head"]["sha"] = json!(head_sha);
    finish("pull_request", v, sender)
}

/// `pull_request.unlabeled`: `label` removed from pull request `number`.
pub fn pr_unlabeled(owner: &str, repo: &str, number: u64, label: &str, sender: &str) -> Delivery {
    let mut v = payload("pull_request", "unlabeled.1.json", owner, repo, number);
    v["label"] = label_object(&v["label"], owner, repo, label);
    v["pull_request"]["labels"] = json!([]);
    finish("pull_request", v, sender)
}

/// `pull_request.closed`, merged or not.
pub fn pr_closed(owner: &str, repo: &str, number: u64, merged: bool, sender: &str) -> Delivery {
    let mut v = payload("pull_request", "closed.1.json", owner, repo, number);
    let merged_by = if merged {
        user(&v["sender"], sender)
    } else {
        Value::Null
    };
    let pr = &mut v["pull_request"];
    pr["state"] = json!("closed");
    pr["closed_at"] = json!(now());
    pr["merged"] = json!(merged);
    pr["merged_at"] = if merged { json!(now()) } else { Value::Null };
    pr["merged_by"] = merged_by;
    finish("pull_request", v, sender)
}

/// `pull_request.synchronize`: the head moved from `before` to `after`.
pub fn pr_synchronize(
    owner: &str,
    repo: &str,
    number: u64,
    before: &str,
    after: &str,
    sender: &str,
) -> Delivery {
    let mut v = payload("pull_request", "synchronize.1.json", owner, repo, number);
    v["before"] = json!(before);
    v["after"] = json!(after);
    v["pull_request"]["head"]["sha"] = json!(after);
    finish("pull_request", v, sender)
}

/// `pull_request.<action>` (`opened`, `reopened`, `synchronize`) of pull request `number`
/// from `fork`'s branch, as GitHub sends it to the base repository: `head.repo` is the
/// fork (another id and name), or `null` when `fork` is `None` (a fork deleted since).
/// The base repository never receives a `push` for the fork's commits.
pub fn pr_from_fork(
    owner: &str,
    repo: &str,
    number: u64,
    action: &str,
    head_sha: &str,
    fork: Option<&str>,
) -> Delivery {
    let file = format!("{action}.1.json");
    let mut v = payload("pull_request", &file, owner, repo, number);
    let head = &mut v["pull_request"]["head"];
    head["sha"] = json!(head_sha);
    match fork {
        Some(fork_owner) => {
            let fork_user = user(&head["user"], fork_owner);
            head["label"] = json!(format!("{fork_owner}:feature-{number}"));
            head["user"] = fork_user.clone();
            name_repository(&mut head["repo"], fork_owner, repo, &fork_user);
            head["repo"]["fork"] = json!(true);
        }
        None => head["repo"] = Value::Null,
    }
    if action == "synchronize" {
        v["after"] = json!(head_sha);
    }
    let sender = fork.unwrap_or("ghost");
    finish("pull_request", v, sender)
}

// ---- comments -------------------------------------------------------------------------------

/// `issue_comment.created` by `author`. For a pull request (`is_pr`), `issue.pull_request` is
/// set, as GitHub sends comments on pull requests.
pub fn comment_created(
    owner: &str,
    repo: &str,
    number: u64,
    is_pr: bool,
    comment_id: u64,
    author: &str,
    body: &str,
) -> Delivery {
    let v = comment_payload(
        "created.1.json",
        owner,
        repo,
        number,
        is_pr,
        comment_id,
        author,
        body,
    );
    finish("issue_comment", v, author)
}

/// `issue_comment.edited`: `sender` changed the comment from `old_body` to `new_body`.
#[allow(clippy::too_many_arguments)]
pub fn comment_edited(
    owner: &str,
    repo: &str,
    number: u64,
    is_pr: bool,
    comment_id: u64,
    author: &str,
    new_body: &str,
    old_body: &str,
    sender: &str,
) -> Delivery {
    let mut v = comment_payload(
        "edited.1.json",
        owner,
        repo,
        number,
        is_pr,
        comment_id,
        author,
        new_body,
    );
    v["changes"] = json!({ "body": { "from": old_body } });
    finish("issue_comment", v, sender)
}

/// `issue_comment.deleted`: `sender` deleted `author`'s comment.
#[allow(clippy::too_many_arguments)]
pub fn comment_deleted(
    owner: &str,
    repo: &str,
    number: u64,
    is_pr: bool,
    comment_id: u64,
    author: &str,
    body: &str,
    sender: &str,
) -> Delivery {
    let v = comment_payload(
        "deleted.1.json",
        owner,
        repo,
        number,
        is_pr,
        comment_id,
        author,
        body,
    );
    finish("issue_comment", v, sender)
}

#[allow(clippy::too_many_arguments)]
fn comment_payload(
    file: &str,
    owner: &str,
    repo: &str,
    number: u64,
    is_pr: bool,
    comment_id: u64,
    author: &str,
    body: &str,
) -> Value {
    let mut v = payload("issue_comment", file, owner, repo, number);
    let full = format!("{owner}/{repo}");
    let web_kind = if is_pr { "pull" } else { "issues" };
    let issue = v["issue"].as_object_mut().expect("issue object");
    if is_pr {
        issue.insert(
            "pull_request".to_string(),
            json!({
                "url": format!("https://api.github.com/repos/{full}/pulls/{number}"),
                "html_url": format!("https://github.com/{full}/pull/{number}"),
                "diff_url": format!("https://github.com/{full}/pull/{number}.diff"),
                "patch_url": format!("https://github.com/{full}/pull/{number}.patch"),
                "merged_at": null,
            }),
        );
        issue.insert(
            "html_url".to_string(),
            json!(format!("https://github.com/{full}/pull/{number}")),
        );
    } else {
        issue.remove("pull_request");
    }
    let author_user = user(&v["sender"], author);
    let comment = &mut v["comment"];
    comment["id"] = json!(comment_id);
    comment["node_id"] = json!(format!("IC_fake{comment_id}"));
    comment["url"] = json!(format!(
        "https://api.github.com/repos/{full}/issues/comments/{comment_id}"
    ));
    comment["html_url"] = json!(format!(
        "https://github.com/{full}/{web_kind}/{number}#issuecomment-{comment_id}"
    ));
    comment["issue_url"] = json!(format!(
        "https://api.github.com/repos/{full}/issues/{number}"
    ));
    comment["user"] = author_user;
    comment["body"] = json!(body);
    comment["created_at"] = json!(now());
    comment["updated_at"] = json!(now());
    v
}

// ---- reviews --------------------------------------------------------------------------------

/// `pull_request_review.submitted`; `state` is `approved`, `changes_requested` or `commented`.
#[allow(clippy::too_many_arguments)]
pub fn review_submitted(
    owner: &str,
    repo: &str,
    number: u64,
    review_id: u64,
    reviewer: &str,
    state: &str,
    body: &str,
    commit_id: &str,
) -> Delivery {
    let mut v = payload(
        "pull_request_review",
        "submitted.1.json",
        owner,
        repo,
        number,
    );
    set_review(
        &mut v,
        owner,
        repo,
        number,
        review_id,
        reviewer,
        &state.to_lowercase(),
        commit_id,
    );
    v["review"]["body"] = if body.is_empty() {
        Value::Null
    } else {
        json!(body)
    };
    finish("pull_request_review", v, reviewer)
}

/// `pull_request_review.dismissed`: `sender` dismissed `reviewer`'s review.
pub fn review_dismissed(
    owner: &str,
    repo: &str,
    number: u64,
    review_id: u64,
    reviewer: &str,
    commit_id: &str,
    sender: &str,
) -> Delivery {
    let mut v = payload(
        "pull_request_review",
        "dismissed.1.json",
        owner,
        repo,
        number,
    );
    set_review(
        &mut v,
        owner,
        repo,
        number,
        review_id,
        reviewer,
        "dismissed",
        commit_id,
    );
    finish("pull_request_review", v, sender)
}

#[allow(clippy::too_many_arguments)]
fn set_review(
    v: &mut Value,
    owner: &str,
    repo: &str,
    number: u64,
    review_id: u64,
    reviewer: &str,
    state: &str,
    commit_id: &str,
) {
    let full = format!("{owner}/{repo}");
    let html = format!("https://github.com/{full}/pull/{number}#pullrequestreview-{review_id}");
    let reviewer = user(&v["sender"], reviewer);
    let review = &mut v["review"];
    review["id"] = json!(review_id);
    review["node_id"] = json!(format!("PRR_fake{review_id}"));
    review["user"] = reviewer;
    review["state"] = json!(state);
    review["commit_id"] = json!(commit_id);
    review["submitted_at"] = json!(now());
    review["html_url"] = json!(html);
    review["_links"]["html"]["href"] = json!(html);
    v["pull_request"]["head"]["sha"] = json!(commit_id);
}

// ---- checks, statuses, labels, installations -----------------------------------------------

/// `check_suite.completed` (success) for `head_sha`. `check_suite.pull_requests` is empty, as
/// for pull requests from forks: match by head sha.
pub fn check_suite_completed(owner: &str, repo: &str, head_sha: &str) -> Delivery {
    let mut v = payload("check_suite", "completed.1.json", owner, repo, 0);
    let suite = &mut v["check_suite"];
    suite["head_sha"] = json!(head_sha);
    suite["after"] = json!(head_sha);
    suite["head_commit"]["id"] = json!(head_sha);
    suite["status"] = json!("completed");
    suite["conclusion"] = json!("success");
    suite["pull_requests"] = json!([]);
    suite["updated_at"] = json!(now());
    let sender = v["sender"]["login"]
        .as_str()
        .unwrap_or("Codertocat")
        .to_string();
    finish("check_suite", v, &sender)
}

/// `check_run.completed` (success) for `head_sha`, listing no pull request (as for forks).
pub fn check_run_completed(owner: &str, repo: &str, head_sha: &str) -> Delivery {
    let mut v = payload("check_run", "completed.1.json", owner, repo, 0);
    let run = &mut v["check_run"];
    run["head_sha"] = json!(head_sha);
    run["status"] = json!("completed");
    run["conclusion"] = json!("success");
    run["pull_requests"] = json!([]);
    let sender = v["sender"]["login"]
        .as_str()
        .unwrap_or("Codertocat")
        .to_string();
    finish("check_run", v, &sender)
}

/// `status` (success, context `ci/test`) for `sha`.
pub fn status_event(owner: &str, repo: &str, sha: &str) -> Delivery {
    let mut v = payload("status", "event.1.json", owner, repo, 0);
    let old_sha = v["sha"].as_str().unwrap_or_default().to_string();
    replace_in_strings(&mut v, &old_sha, sha);
    v["id"] = json!(rand::rng().random_range(1_000_000_000u64..9_000_000_000));
    v["sha"] = json!(sha);
    v["name"] = json!(format!("{owner}/{repo}"));
    v["state"] = json!("success");
    v["context"] = json!("ci/test");
    v["created_at"] = json!(now());
    v["updated_at"] = json!(now());
    let sender = v["sender"]["login"]
        .as_str()
        .unwrap_or("Codertocat")
        .to_string();
    finish("status", v, &sender)
}

/// `label.deleted`: the repository label `name` was deleted.
pub fn label_deleted(owner: &str, repo: &str, name: &str) -> Delivery {
    let mut v = payload("label", "deleted.1.json", owner, repo, 0);
    v["label"] = label_object(&v["label"], owner, repo, name);
    let sender = owner.to_string();
    finish("label", v, &sender)
}

/// `installation.deleted` for `installation_id`.
pub fn installation_deleted(installation_id: u64) -> Delivery {
    let mut v = example("installation", "deleted.1.json");
    v["installation"]["id"] = json!(installation_id);
    v["installation"]["app_id"] = json!(APP_ID);
    let sender = v["sender"]["login"]
        .as_str()
        .unwrap_or("octocat")
        .to_string();
    finish("installation", v, &sender)
}

/// `installation.created` for the default installation, covering `repos` (`owner/name`).
pub fn installation_created(repos: &[&str]) -> Delivery {
    let mut v = example("installation", "created.1.json");
    v["installation"]["app_id"] = json!(APP_ID);
    v["repositories"] = json!(repos.iter().map(|r| repo_entry(r)).collect::<Vec<_>>());
    let sender = v["sender"]["login"]
        .as_str()
        .unwrap_or("octocat")
        .to_string();
    finish("installation", v, &sender)
}

/// `installation_repositories.added` for the default installation: `repos` added.
pub fn installation_repositories_added(repos: &[&str]) -> Delivery {
    let mut v = example("installation_repositories", "added.1.json");
    v["installation"]["app_id"] = json!(APP_ID);
    v["repositories_added"] = json!(repos.iter().map(|r| repo_entry(r)).collect::<Vec<_>>());
    let sender = v["sender"]["login"]
        .as_str()
        .unwrap_or("octocat")
        .to_string();
    finish("installation_repositories", v, &sender)
}

/// `push` of one commit, `after`, to `branch` of `owner/repo`, modifying `files`.
/// GitHub's examples hold no `push` payload: this one has the fields GitHub documents
/// for it (`ref`, `before`, `after`, `commits` with `added`/`modified`/`removed`,
/// `head_commit`, `pusher`), with the repository object of another example (whose
/// default branch is `main`).
pub fn push(owner: &str, repo: &str, branch: &str, after: &str, files: &[&str]) -> Delivery {
    let base = payload("check_suite", "completed.1.json", owner, repo, 0);
    let mut repository = base["repository"].clone();
    repository["default_branch"] = json!("main");
    let commit = json!({
        "id": after,
        "tree_id": after,
        "distinct": true,
        "message": "Change .github/tacit.yml",
        "timestamp": now(),
        "added": [],
        "removed": [],
        "modified": files,
    });
    let v = json!({
        "ref": format!("refs/heads/{branch}"),
        "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "after": after,
        "created": false,
        "deleted": false,
        "forced": false,
        "base_ref": null,
        "compare": format!("https://github.com/{owner}/{repo}/compare/6113728f27ae...{after}"),
        "commits": [commit.clone()],
        "head_commit": commit,
        "repository": repository,
        "pusher": { "name": owner, "email": null },
        "sender": base["sender"].clone(),
    });
    finish("push", v, owner)
}

/// A repository as installation payloads list them.
fn repo_entry(full_name: &str) -> Value {
    let (owner, name) = full_name.split_once('/').expect("owner/name");
    json!({
        "id": repo_id(owner, name),
        "node_id": "R_kgDOtest",
        "name": name,
        "full_name": full_name,
        "private": false,
    })
}

// ---- building blocks ------------------------------------------------------------------------

/// A payload example, parsed.
fn example(event: &str, file: &str) -> Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "webhooks",
        event,
        file,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// An example retargeted at `owner/repo` and, when it has an issue or pull request, at
/// `number` (0: leave numbers alone).
fn payload(event: &str, file: &str, owner: &str, repo: &str, number: u64) -> Value {
    let mut v = example(event, file);
    let old_full = v["repository"]["full_name"]
        .as_str()
        .expect("repository.full_name")
        .to_string();
    let full = format!("{owner}/{repo}");
    replace_in_strings(&mut v, &old_full, &full);
    let owner_user = user(&v["sender"], owner);
    name_repository(&mut v["repository"], owner, repo, &owner_user);

    if number > 0 {
        let item_key = if v.get("pull_request").is_some() {
            "pull_request"
        } else {
            "issue"
        };
        let old = v[item_key]["number"].as_u64().expect("item number");
        for kind in ["issues", "pull", "pulls"] {
            replace_number(
                &mut v,
                &format!("{full}/{kind}/{old}"),
                &format!("{full}/{kind}/{number}"),
            );
        }
        v[item_key]["number"] = json!(number);
        if v.get("number").is_some() {
            v["number"] = json!(number);
        }
        v[item_key]["state"] = json!("open");
        if item_key == "pull_request" {
            let pr = &mut v["pull_request"];
            for (side, git_ref) in [
                ("head", format!("feature-{number}")),
                ("base", "main".to_string()),
            ] {
                pr[side]["ref"] = json!(git_ref);
                pr[side]["label"] = json!(format!("{owner}:{git_ref}"));
                pr[side]["user"] = owner_user.clone();
                name_repository(&mut pr[side]["repo"], owner, repo, &owner_user);
            }
            pr["updated_at"] = json!(now());
        }
    }
    v
}

/// Serializes with the installation and the sender set, under a fresh GUID.
fn finish(event: &str, mut v: Value, sender: &str) -> Delivery {
    v["sender"] = user(&v["sender"], sender);
    match v.get_mut("installation") {
        Some(installation) if installation.is_object() => {
            installation["id"] = json!(DEFAULT_INSTALLATION);
            if installation.get("node_id").is_none() {
                installation["node_id"] = json!(INSTALLATION_NODE_ID);
            }
        }
        _ => {
            v["installation"] =
                json!({ "id": DEFAULT_INSTALLATION, "node_id": INSTALLATION_NODE_ID });
        }
    }
    Delivery {
        event: event.to_string(),
        id: guid(),
        body: serde_json::to_vec(&v).expect("JSON serializes"),
    }
}

/// The example's repository object renamed.
fn name_repository(r: &mut Value, owner: &str, repo: &str, owner_user: &Value) {
    r["id"] = json!(repo_id(owner, repo));
    r["name"] = json!(repo);
    r["full_name"] = json!(format!("{owner}/{repo}"));
    r["owner"] = owner_user.clone();
    r["default_branch"] = json!("main");
}

/// A user object shaped like `template` (a payload's user) for `login`; logins ending in
/// `[bot]` are bots.
fn user(template: &Value, login: &str) -> Value {
    let mut u = template.clone();
    if let Some(old) = template["login"].as_str() {
        replace_in_strings(
            &mut u,
            &format!("/{old}"),
            &format!("/{}", login.replace('[', "%5B").replace(']', "%5D")),
        );
    }
    let id = user_id(login);
    u["login"] = json!(login);
    u["id"] = json!(id);
    u["node_id"] = json!(format!("U_fake{id}"));
    u["avatar_url"] = json!(format!("https://avatars.githubusercontent.com/u/{id}?v=4"));
    u["type"] = json!(if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    });
    u
}

/// A label object shaped like `template` for `name`.
fn label_object(template: &Value, owner: &str, repo: &str, name: &str) -> Value {
    let mut l = template.clone();
    let encoded = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    l["id"] = json!(user_id(&format!("label:{owner}/{repo}:{name}")));
    l["node_id"] = json!(format!("LA_fake{}", l["id"]));
    l["url"] = json!(format!(
        "https://api.github.com/repos/{owner}/{repo}/labels/{encoded}"
    ));
    l["name"] = json!(name);
    l["default"] = json!(false);
    l
}

fn replace_in_strings(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_in_strings(item, from, to)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_in_strings(item, from, to)),
        _ => {}
    }
}

/// Like [`replace_in_strings`], but only where `from` is not followed by another digit
/// (`issues/1` must not touch `issues/12`).
fn replace_number(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s.contains(from) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find(from) {
                let after = &rest[i + from.len()..];
                out.push_str(&rest[..i]);
                out.push_str(if after.starts_with(|c: char| c.is_ascii_digit()) {
                    from
                } else {
                    to
                });
                rest = after;
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_number(item, from, to)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_number(item, from, to)),
        _ => {}
    }
}

/// Now, RFC 3339 in whole seconds, as GitHub writes it.
fn now() -> String {
    jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .expect("in range")
        .to_string()
}

/// A random GUID like GitHub's delivery ids.
fn guid() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    let h = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

// ---- deliveries as GitHub makes them ---------------------------------------------------------

/// What a [`Chaos`] did to the deliveries it was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChaosStats {
    pub sent: usize,
    pub dropped: usize,
    pub duplicated: usize,
    pub delayed: usize,
    pub replayed: usize,
}

/// Deliveries as GitHub really makes them, for tests: some never arrive (GitHub lists
/// them as failed at `GET /app/hook/deliveries` and sends them again when asked, see
/// `FakeGitHub::failed_delivery`), some arrive twice, some late and out of order, and a
/// body sent once may come again under a new delivery id (the signature covers only the
/// body). Seeded, so that a failing run can be run again.
pub struct Chaos {
    rng: rand::rngs::StdRng,
    queue: Vec<Delivery>,
    late: Vec<Delivery>,
    sent: Vec<Delivery>,
    pub stats: ChaosStats,
}

impl Chaos {
    pub fn new(seed: u64) -> Chaos {
        use rand::SeedableRng;
        Chaos {
            rng: rand::rngs::StdRng::seed_from_u64(seed),
            queue: Vec::new(),
            late: Vec::new(),
            sent: Vec::new(),
            stats: ChaosStats::default(),
        }
    }

    /// Queues a delivery for the next [`flush`](Self::flush).
    pub fn push(&mut self, d: Delivery) {
        self.queue.push(d);
    }

    /// Sends the queued deliveries, and those held back by the previous flush, in a
    /// random order. Each queued one is dropped (recorded at `github` as failed, so the
    /// reconciler can have it redelivered) with probability 1/8, held back until the next
    /// flush with 1/5, sent twice with 1/6; and about one in six times an old body is sent
    /// again under a new id.
    pub async fn flush(&mut self, tacit: &super::tacit::Tacit, github: &FakeGitHub) {
        let mut batch = std::mem::take(&mut self.late);
        for d in std::mem::take(&mut self.queue) {
            let roll: f64 = self.rng.random();
            if roll < 0.125 {
                github.failed_delivery(&d);
                self.stats.dropped += 1;
            } else if roll < 0.325 {
                self.late.push(d);
                self.stats.delayed += 1;
            } else {
                if self.rng.random_bool(1.0 / 6.0) {
                    batch.push(d.clone());
                    self.stats.duplicated += 1;
                }
                batch.push(d);
            }
        }
        if !self.sent.is_empty() && self.rng.random_bool(1.0 / 6.0) {
            let old = self.sent[self.rng.random_range(0..self.sent.len())].clone();
            batch.push(Delivery { id: guid(), ..old });
            self.stats.replayed += 1;
        }
        use rand::seq::SliceRandom;
        batch.shuffle(&mut self.rng);
        for d in batch {
            let status = tacit.deliver(&d).await;
            // 202, or 200 for a delivery id already recorded.
            assert!(
                (200..300).contains(&status),
                "delivery {} ({}) refused: {status}",
                d.id,
                d.event
            );
            self.stats.sent += 1;
            self.sent.push(d);
        }
    }

    /// Sends everything still held back, in a random order.
    pub async fn flush_late(&mut self, tacit: &super::tacit::Tacit) {
        use rand::seq::SliceRandom;
        let mut batch = std::mem::take(&mut self.late);
        batch.shuffle(&mut self.rng);
        for d in batch {
            let status = tacit.deliver(&d).await;
            assert!((200..300).contains(&status), "delivery {} refused", d.id);
            self.stats.sent += 1;
            self.sent.push(d);
        }
    }
}
