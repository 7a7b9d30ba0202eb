//! GitHub-shaped JSON: GitHub's own response examples (`tests/fixtures/github/`) with the
//! fields the fake's state decides filled in.
//!
//! Renderers write API urls under `https://api.github.com`; the server swaps that prefix for
//! its own address in every answer ([`with_api_base`]), like GitHub Enterprise Server does.

use jiff::Timestamp;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::super::keys::APP_ID;
use super::state::{
    APP_SLUG, BOT_LOGIN, CommentRec, DeliveryRec, EventRec, Installation, Item, LabelRec, Repo,
    ReviewRec, Role,
};
use super::user_id;

const API: &str = "https://api.github.com";
const WEB: &str = "https://github.com";

/// A fresh copy of a fixture from `tests/fixtures/github/` (each is parsed once).
macro_rules! fixture {
    ($file:literal) => {{
        static PARSED: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
            serde_json::from_str(include_str!(concat!("../../../fixtures/github/", $file)))
                .expect(concat!("fixture ", $file, " is JSON"))
        });
        PARSED.clone()
    }};
}

// ---- helpers -------------------------------------------------------------------------

/// RFC 3339 with whole seconds, as GitHub writes timestamps.
pub fn ts(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .expect("in range")
        .to_string()
}

fn opt_ts(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(ts(t)))
}

/// Replaces every occurrence of `from` with `to` inside every string of `v`.
pub fn replace_in_strings(v: &mut Value, from: &str, to: &str) {
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

/// Points API urls at the fake instead of api.github.com.
pub fn with_api_base(mut v: Value, base: &str) -> Value {
    replace_in_strings(&mut v, API, base);
    v
}

/// A deterministic 40-hex "sha" for anything the fake needs to name (blobs, commits).
pub fn fake_sha(seed: &str) -> String {
    hex::encode(&Sha256::digest(seed.as_bytes())[..20])
}

fn node_id(prefix: &str, id: u64) -> String {
    format!("{prefix}_fake{id}")
}

/// Standard base64 with a newline every 60 characters, as the contents API sends it.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    let mut wrapped = String::new();
    for (i, c) in out.chars().enumerate() {
        if i > 0 && i % 60 == 0 {
            wrapped.push('\n');
        }
        wrapped.push(c);
    }
    wrapped.push('\n');
    wrapped
}

/// Percent-encodes a path segment (label names in urls).
fn encode_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// `{"message": ..., "documentation_url": ...}`, GitHub's error body.
pub fn error(message: &str) -> Value {
    json!({ "message": message, "documentation_url": "https://docs.github.com/rest" })
}

/// The permissions the App asks for (SPEC.md, section 6).
fn app_permissions() -> Value {
    json!({
        "checks": "write", "contents": "write", "issues": "write", "metadata": "read",
        "pull_requests": "write", "statuses": "read", "workflows": "write"
    })
}

fn app_events() -> Value {
    json!([
        "check_run",
        "check_suite",
        "issue_comment",
        "issues",
        "label",
        "pull_request",
        "pull_request_review",
        "status"
    ])
}

fn author_association(repo: &Repo, login: &str) -> &'static str {
    if login.eq_ignore_ascii_case(&repo.owner) {
        "OWNER"
    } else if repo.permissions.contains_key(&login.to_lowercase()) {
        "COLLABORATOR"
    } else {
        "NONE"
    }
}

// ---- users, apps, installations -------------------------------------------------------

/// A user; logins ending in `[bot]` are bots (`type: "Bot"`).
pub fn user(login: &str) -> Value {
    let mut v = fixture!("issue-comment.json")["user"].take();
    let is_bot = login.ends_with("[bot]");
    let escaped = login.replace('[', "%5B").replace(']', "%5D");
    replace_in_strings(&mut v, "/users/octocat", &format!("/users/{escaped}"));
    let id = user_id(login);
    v["login"] = json!(login);
    v["id"] = json!(id);
    v["node_id"] = json!(node_id(if is_bot { "BOT" } else { "U" }, id));
    v["avatar_url"] = json!(format!("https://avatars.githubusercontent.com/u/{id}?v=4"));
    v["html_url"] = json!(if is_bot {
        format!("{WEB}/apps/{}", login.trim_end_matches("[bot]"))
    } else {
        format!("{WEB}/{login}")
    });
    v["type"] = json!(if is_bot { "Bot" } else { "User" });
    v
}

pub fn app() -> Value {
    let mut v = fixture!("app.json");
    v["id"] = json!(APP_ID);
    v["slug"] = json!(APP_SLUG);
    v["client_id"] = json!("Iv1.fake0000tacit");
    v["node_id"] = json!(node_id("A", APP_ID));
    v["owner"] = user("tacit-dev");
    v["name"] = json!("tacit test");
    v["description"] = json!("Lazy consensus (test App)");
    v["html_url"] = json!(format!("{WEB}/apps/{APP_SLUG}"));
    v["permissions"] = app_permissions();
    v["events"] = app_events();
    v
}

/// A new App from a manifest: GitHub's example as it is (`id`, `pem`, `webhook_secret`, ...).
pub fn app_from_manifest() -> Value {
    fixture!("app-from-manifest.json")
}

pub fn installation(inst: &Installation) -> Value {
    let mut v = fixture!("installation.json");
    let account = user(&inst.account);
    v["id"] = json!(inst.id);
    v["target_id"] = account["id"].clone();
    v["account"] = account;
    v["access_tokens_url"] = json!(format!("{API}/app/installations/{}/access_tokens", inst.id));
    v["html_url"] = json!(format!("{WEB}/settings/installations/{}", inst.id));
    v["app_id"] = json!(APP_ID);
    v["app_slug"] = json!(APP_SLUG);
    v["target_type"] = json!("User");
    v["permissions"] = app_permissions();
    v["events"] = app_events();
    v["single_file_name"] = Value::Null;
    v["has_multiple_single_files"] = json!(false);
    v["single_file_paths"] = json!([]);
    v["created_at"] = json!(ts(inst.created_at));
    v["updated_at"] = json!(ts(inst.created_at));
    v["suspended_at"] = opt_ts(inst.suspended_at);
    v["suspended_by"] = Value::Null;
    v
}

pub fn installation_token(token: &str, expires_at: Timestamp, repositories: Vec<Value>) -> Value {
    let mut v = fixture!("installation-token.json");
    v["token"] = json!(token);
    v["expires_at"] = json!(ts(expires_at));
    v["permissions"] = app_permissions();
    v["repository_selection"] = json!("selected");
    v["repositories"] = Value::Array(repositories);
    v
}

pub fn hook_delivery(d: &DeliveryRec, repository_id: Option<u64>) -> Value {
    let mut v = fixture!("hook-delivery.json");
    v["id"] = json!(d.id);
    v["guid"] = json!(d.guid);
    v["delivered_at"] = json!(d.delivered_at);
    v["redelivery"] = json!(d.redelivery);
    v["duration"] = json!(0.27);
    v["status"] = json!(match d.status_code {
        200..=299 => "OK".to_string(),
        0 => "timed out".to_string(),
        code => format!("Invalid HTTP Response: {code}"),
    });
    v["status_code"] = json!(d.status_code);
    v["event"] = json!(d.event);
    v["action"] = json!(d.action);
    v["installation_id"] = json!(d.installation_id);
    v["repository_id"] = json!(repository_id);
    v["throttled_at"] = Value::Null;
    v
}

// ---- repositories -----------------------------------------------------------------------

/// Sets the fields that name a repository inside a repository-shaped object.
fn name_repository(v: &mut Value, repo: &Repo) {
    replace_in_strings(v, "octocat/Hello-World", &repo.full_name());
    v["id"] = json!(repo.id);
    v["node_id"] = json!(node_id("R", repo.id));
    v["name"] = json!(repo.name);
    v["full_name"] = json!(repo.full_name());
    v["owner"] = user(&repo.owner);
    v["private"] = json!(false);
    v["fork"] = json!(false);
    v["description"] = Value::Null;
    v["default_branch"] = json!(repo.default_branch);
    v["allow_merge_commit"] = json!(repo.allow_merge_commit);
    v["allow_squash_merge"] = json!(repo.allow_squash_merge);
    v["allow_rebase_merge"] = json!(repo.allow_rebase_merge);
    v["created_at"] = json!(ts(repo.created_at));
    v["updated_at"] = json!(ts(repo.created_at));
    v["pushed_at"] = json!(ts(repo.created_at));
    v["topics"] = json!([]);
    let open = repo.items.values().filter(|i| i.open && !i.deleted).count();
    v["open_issues_count"] = json!(open);
    v["open_issues"] = json!(open);
}

pub fn repository(repo: &Repo) -> Value {
    let mut v = fixture!("repository.json");
    let map = v.as_object_mut().expect("object");
    for key in ["parent", "source", "organization"] {
        map.remove(key);
    }
    map.insert("template_repository".to_string(), Value::Null);
    name_repository(&mut v, repo);
    v["permissions"] =
        json!({ "admin": false, "maintain": false, "push": false, "triage": false, "pull": true });
    v
}

pub fn content_file(repo: &Repo, path: &str, content: &str) -> Value {
    let mut v = fixture!("content-file.json");
    let sha = content_sha(content);
    let full = repo.full_name();
    let branch = &repo.default_branch;
    let name = path.rsplit('/').next().unwrap_or(path);
    v["size"] = json!(content.len());
    v["name"] = json!(name);
    v["path"] = json!(path);
    v["content"] = json!(base64(content.as_bytes()));
    v["sha"] = json!(sha);
    v["url"] = json!(format!("{API}/repos/{full}/contents/{path}?ref={branch}"));
    v["git_url"] = json!(format!("{API}/repos/{full}/git/blobs/{sha}"));
    v["html_url"] = json!(format!("{WEB}/{full}/blob/{branch}/{path}"));
    v["download_url"] = json!(format!(
        "https://raw.githubusercontent.com/{full}/{branch}/{path}"
    ));
    v["_links"] = json!({ "git": v["git_url"], "self": v["url"], "html": v["html_url"] });
    v
}

/// The blob sha of a file's content (a hash of it; not git's, which needs SHA-1).
pub fn content_sha(content: &str) -> String {
    fake_sha(&format!("blob:{content}"))
}

pub fn collaborator_permission(login: &str, role: &Role) -> Value {
    let mut v = fixture!("collaborator-permission.json");
    let rank = ["read", "triage", "write", "maintain", "admin"]
        .iter()
        .position(|r| *r == role.base)
        .unwrap_or(0);
    let mut u = user(login);
    u["permissions"] = json!({
        "pull": true, "triage": rank >= 1, "push": rank >= 2, "maintain": rank >= 3, "admin": rank >= 4
    });
    u["role_name"] = json!(role.role_name);
    v["permission"] = json!(role.legacy());
    v["role_name"] = json!(role.role_name);
    v["user"] = u;
    v
}

// ---- labels -----------------------------------------------------------------------------

pub fn label(repo: &Repo, l: &LabelRec) -> Value {
    let mut v = fixture!("label.json");
    v["id"] = json!(l.id);
    v["node_id"] = json!(node_id("LA", l.id));
    v["url"] = json!(format!(
        "{API}/repos/{}/labels/{}",
        repo.full_name(),
        encode_segment(&l.name)
    ));
    v["name"] = json!(l.name);
    v["description"] = json!(l.description);
    v["color"] = json!(l.color);
    v["default"] = json!(false);
    v
}

/// The label objects of an item, in the item's order.
pub fn item_labels(repo: &Repo, item: &Item) -> Vec<Value> {
    item.labels
        .iter()
        .filter_map(|name| repo.label(name))
        .map(|l| label(repo, l))
        .collect()
}

// ---- issues and pull requests -----------------------------------------------------------

/// Replaces the example's repository and number in every url.
fn retarget_item(v: &mut Value, repo: &Repo, number: u64) {
    replace_in_strings(v, "octocat/Hello-World", &repo.full_name());
    replace_in_strings(v, "/1347", &format!("/{number}"));
}

pub fn issue(repo: &Repo, item: &Item, comments: usize) -> Value {
    let mut v = fixture!("issue.json");
    retarget_item(&mut v, repo, item.number);
    v["id"] = json!(item.id);
    v["node_id"] = json!(node_id("I", item.id));
    v["number"] = json!(item.number);
    v["title"] = json!(item.title);
    v["body"] = json!(item.body);
    v["user"] = user(&item.author);
    v["labels"] = Value::Array(item_labels(repo, item));
    v["assignee"] = Value::Null;
    v["assignees"] = json!([]);
    v["milestone"] = Value::Null;
    v["locked"] = json!(false);
    v["active_lock_reason"] = Value::Null;
    v["comments"] = json!(comments);
    match &item.pull {
        Some(pull) => v["pull_request"]["merged_at"] = opt_ts(pull.merged_at),
        None => {
            v.as_object_mut().expect("object").remove("pull_request");
        }
    }
    v["state"] = json!(if item.open { "open" } else { "closed" });
    v["state_reason"] = json!(item.state_reason);
    v["closed_at"] = opt_ts(item.closed_at);
    v["closed_by"] = item.closed_by.as_deref().map_or(Value::Null, user);
    v["created_at"] = json!(ts(item.created_at));
    v["updated_at"] = json!(ts(item.updated_at));
    v["author_association"] = json!(author_association(repo, &item.author));
    v
}

pub fn pull(repo: &Repo, item: &Item, comments: usize) -> Value {
    let pull = item.pull.as_ref().expect("a pull request");
    let mut v = fixture!("pull-request.json");
    retarget_item(&mut v, repo, item.number);
    replace_in_strings(
        &mut v,
        "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        &pull.head_sha,
    );
    v["id"] = json!(item.id);
    v["node_id"] = json!(node_id("PR", item.id));
    v["number"] = json!(item.number);
    v["state"] = json!(if item.open { "open" } else { "closed" });
    v["locked"] = json!(false);
    v["title"] = json!(item.title);
    v["user"] = user(&item.author);
    v["body"] = json!(item.body);
    v["labels"] = Value::Array(item_labels(repo, item));
    v["milestone"] = Value::Null;
    v["active_lock_reason"] = Value::Null;
    v["created_at"] = json!(ts(item.created_at));
    v["updated_at"] = json!(ts(item.updated_at));
    v["closed_at"] = opt_ts(item.closed_at);
    v["merged_at"] = opt_ts(pull.merged_at);
    v["merge_commit_sha"] = json!(pull.merge_commit_sha);
    v["assignee"] = Value::Null;
    v["assignees"] = json!([]);
    v["requested_reviewers"] = json!([]);
    v["requested_teams"] = json!([]);
    for (side, git_ref, sha) in [
        ("head", &pull.head_ref, pull.head_sha.clone()),
        (
            "base",
            &pull.base_ref,
            fake_sha(&format!("base:{}:{}", repo.full_name(), pull.base_ref)),
        ),
    ] {
        let branch = &mut v[side];
        branch["label"] = json!(format!("{}:{git_ref}", repo.owner));
        branch["ref"] = json!(git_ref);
        branch["sha"] = json!(sha);
        branch["user"] = user(&repo.owner);
        name_repository(&mut branch["repo"], repo);
    }
    v["author_association"] = json!(author_association(repo, &item.author));
    v["auto_merge"] = Value::Null;
    v["draft"] = json!(pull.draft);
    v["merged"] = json!(pull.merged_at.is_some());
    v["mergeable"] = Value::Null;
    v["rebaseable"] = Value::Null;
    v["mergeable_state"] = json!("unknown");
    v["merged_by"] = pull.merged_by.as_deref().map_or(Value::Null, user);
    v["comments"] = json!(comments);
    v["review_comments"] = json!(0);
    v["maintainer_can_modify"] = json!(false);
    v
}

pub fn merge_result(sha: &str) -> Value {
    let mut v = fixture!("merge-result.json");
    v["sha"] = json!(sha);
    v
}

pub fn comment(repo: &Repo, is_pull: bool, c: &CommentRec) -> Value {
    let mut v = fixture!("issue-comment.json");
    let full = repo.full_name();
    let web_kind = if is_pull { "pull" } else { "issues" };
    v["id"] = json!(c.id);
    v["node_id"] = json!(node_id("IC", c.id));
    v["url"] = json!(format!("{API}/repos/{full}/issues/comments/{}", c.id));
    v["html_url"] = json!(format!(
        "{WEB}/{full}/{web_kind}/{}#issuecomment-{}",
        c.number, c.id
    ));
    v["body"] = json!(c.body);
    v["user"] = user(&c.author);
    v["created_at"] = json!(ts(c.created_at));
    v["updated_at"] = json!(ts(c.updated_at));
    v["issue_url"] = json!(format!("{API}/repos/{full}/issues/{}", c.number));
    v["author_association"] = json!(author_association(repo, &c.author));
    v["performed_via_github_app"] = if c.author == BOT_LOGIN {
        app()
    } else {
        Value::Null
    };
    v
}

pub fn review(repo: &Repo, number: u64, r: &ReviewRec) -> Value {
    let mut v = fixture!("review.json");
    replace_in_strings(&mut v, "octocat/Hello-World", &repo.full_name());
    replace_in_strings(&mut v, "/12", &format!("/{number}"));
    replace_in_strings(
        &mut v,
        "pullrequestreview-80",
        &format!("pullrequestreview-{}", r.id),
    );
    v["id"] = json!(r.id);
    v["node_id"] = json!(node_id("PRR", r.id));
    v["user"] = user(&r.user);
    v["body"] = json!(r.body);
    v["state"] = json!(r.state);
    v["submitted_at"] = json!(ts(r.submitted_at));
    v["commit_id"] = json!(r.commit_id);
    v["author_association"] = json!(author_association(repo, &r.user));
    v
}

pub fn issue_event(repo: &Repo, e: &EventRec) -> Value {
    let mut v = fixture!("issue-event.json");
    let full = repo.full_name();
    v["id"] = json!(e.id);
    v["node_id"] = json!(node_id("E", e.id));
    v["url"] = json!(format!("{API}/repos/{full}/issues/events/{}", e.id));
    v["actor"] = user(&e.actor);
    v["event"] = json!(e.event);
    v["commit_id"] = json!(e.commit_id);
    v["commit_url"] = json!(
        e.commit_id
            .as_ref()
            .map(|sha| format!("{API}/repos/{full}/commits/{sha}"))
    );
    v["created_at"] = json!(ts(e.created_at));
    v["performed_via_github_app"] = if e.actor == BOT_LOGIN {
        app()
    } else {
        Value::Null
    };
    let map = v.as_object_mut().expect("object");
    match e.label.as_deref() {
        Some(name) => {
            let color = repo.label(name).map_or("ededed", |l| l.color.as_str());
            map.insert("label".to_string(), json!({ "name": name, "color": color }));
        }
        None => {
            map.remove("label");
        }
    }
    v
}

// ---- check runs ---------------------------------------------------------------------------

/// A new check run from a create request's fields.
pub fn check_run(
    repo: &Repo,
    id: u64,
    request: &Map<String, Value>,
    pull_requests: Vec<Value>,
) -> Value {
    let mut v = fixture!("check-run.json");
    let full = repo.full_name();
    v["id"] = json!(id);
    v["node_id"] = json!(node_id("CR", id));
    v["external_id"] = json!("");
    v["url"] = json!(format!("{API}/repos/{full}/check-runs/{id}"));
    v["html_url"] = json!(format!("{WEB}/{full}/runs/{id}"));
    v["details_url"] = Value::Null;
    v["status"] = json!("queued");
    v["conclusion"] = Value::Null;
    v["started_at"] = Value::Null;
    v["completed_at"] = Value::Null;
    v["output"] = json!({
        "title": null, "summary": null, "text": null, "annotations_count": 0,
        "annotations_url": format!("{API}/repos/{full}/check-runs/{id}/annotations"),
    });
    v["check_suite"] = json!({ "id": id + 500_000 });
    v["app"] = app();
    v["pull_requests"] = Value::Array(pull_requests);
    update_check_run(&mut v, request);
    v
}

/// Applies a create or update request's fields to a check run.
pub fn update_check_run(v: &mut Value, request: &Map<String, Value>) {
    for key in [
        "name",
        "head_sha",
        "details_url",
        "external_id",
        "status",
        "conclusion",
        "started_at",
        "completed_at",
    ] {
        if let Some(value) = request.get(key) {
            v[key] = value.clone();
        }
    }
    if let Some(output) = request.get("output").and_then(Value::as_object) {
        for (key, value) in output {
            v["output"][key.as_str()] = value.clone();
        }
    }
    if request.get("conclusion").is_some_and(|c| !c.is_null()) {
        v["status"] = json!("completed");
    }
}

pub fn check_run_pull(repo: &Repo, item: &Item) -> Value {
    let pull = item.pull.as_ref().expect("a pull request");
    let repo_ref = json!({ "id": repo.id, "url": format!("{API}/repos/{}", repo.full_name()), "name": repo.name });
    json!({
        "url": format!("{API}/repos/{}/pulls/{}", repo.full_name(), item.number),
        "id": item.id,
        "number": item.number,
        "head": { "ref": pull.head_ref, "sha": pull.head_sha, "repo": repo_ref },
        "base": { "ref": pull.base_ref, "sha": fake_sha(&format!("base:{}:{}", repo.full_name(), pull.base_ref)), "repo": repo_ref },
    })
}
