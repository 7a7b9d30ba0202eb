//! Issues (pull requests included, as in GitHub's issues API): the issue, its events, its
//! comments and its labels, and the repository's labels.

use jiff::Timestamp;
use serde_json::Value;

use super::super::render;
use super::super::state::{Item, RepoKey, State};
use super::{Answer, Reply, Req, actor, paginate, repo_key};

/// The item, or 404 (unknown) / 410 (deleted).
fn item<'a>(st: &'a State, key: &RepoKey, number: u64) -> Result<&'a Item, Reply> {
    match st.repos[key].items.get(&number) {
        Some(item) if item.deleted => Err(Reply::error(410, "This issue was deleted")),
        Some(item) => Ok(item),
        None => Err(Reply::not_found()),
    }
}

fn render_issue(st: &State, key: &RepoKey, number: u64) -> Value {
    render::issue(
        &st.repos[key],
        &st.repos[key].items[&number],
        st.comment_count(key, number),
    )
}

// ---- issues -------------------------------------------------------------------------------

/// `GET /repos/{o}/{r}/issues`: `state` (open, closed, all; default open), `labels` (all of a
/// comma-separated list), newest first, paginated.
pub fn list(st: &State, req: &Req, owner: &str, repo: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let state = req.query("state").unwrap_or("open");
    if !["open", "closed", "all"].contains(&state) {
        return Err(Reply::validation("Issue", "state", "invalid"));
    }
    let labels: Vec<&str> = req
        .query("labels")
        .map(|l| l.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let mut items: Vec<&Item> = st.repos[&key]
        .items
        .values()
        .filter(|i| !i.deleted)
        .filter(|i| state == "all" || (state == "open") == i.open)
        .filter(|i| labels.iter().all(|l| l.is_empty() || i.has_label(l)))
        .collect();
    items.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.number.cmp(&a.number))
    });
    if req.query("direction") == Some("asc") {
        items.reverse();
    }
    let rendered = items
        .iter()
        .map(|i| render_issue(st, &key, i.number))
        .collect();
    Ok(paginate(st, req, rendered))
}

pub fn get(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    item(st, &key, number)?;
    Ok(Reply::ok(render_issue(st, &key, number)))
}

/// `PATCH /repos/{o}/{r}/issues/{n}`: `state`, `state_reason`, `title`, `body`, `labels`.
/// Closing a pull request here closes it unmerged.
pub fn update(st: &mut State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    item(st, &key, number)?;
    let state = req.body.get("state").filter(|v| !v.is_null());
    let state = match state.map(|s| s.as_str()) {
        None => None,
        Some(Some(s @ ("open" | "closed"))) => Some(s),
        Some(_) => return Err(Reply::validation("Issue", "state", "invalid")),
    };
    let reason = match req.body.get("state_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r))
            if ["completed", "not_planned", "reopened"].contains(&r.as_str()) =>
        {
            Some(r.as_str())
        }
        Some(_) => return Err(Reply::validation("Issue", "state_reason", "invalid")),
    };
    let who = actor(req);
    let now = st.clock.now();
    let item = st
        .repos
        .get_mut(&key)
        .and_then(|r| r.items.get_mut(&number))
        .expect("exists");
    if let Some(title) = req.field("title") {
        item.title = title.to_string();
        item.updated_at = now;
    }
    if let Some(body) = req.body.get("body") {
        item.body = body.as_str().map(str::to_string);
        item.updated_at = now;
    }
    if state.is_none() && !item.open && reason.is_some() {
        item.state_reason = reason.map(str::to_string);
    }
    match state {
        Some("closed") => st.close_item(&key, number, Some(reason.unwrap_or("completed")), who),
        Some("open") => st.reopen_item(&key, number, who),
        _ => {}
    }
    if let Some(labels) = req.body.get("labels") {
        let names =
            label_names(labels).ok_or_else(|| Reply::validation("Issue", "labels", "invalid"))?;
        set_item_labels(st, &key, number, &names, who);
    }
    Ok(Reply::ok(render_issue(st, &key, number)))
}

/// `GET /repos/{o}/{r}/issues/{n}/events`, oldest first.
pub fn events(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let item = item(st, &key, number)?;
    let repo = &st.repos[&key];
    let events = item
        .events
        .iter()
        .map(|e| render::issue_event(repo, e))
        .collect();
    Ok(paginate(st, req, events))
}

/// `GET /repos/{o}/{r}/issues/{n}/timeline`, oldest first: the item's events, its comments
/// (`commented`) and its reviews (`reviewed`, state in lower case as GitHub writes it there).
pub fn timeline(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let item = item(st, &key, number)?;
    let is_pull = item.pull.is_some();
    let repo = &st.repos[&key];
    let mut entries: Vec<(Timestamp, Value)> = item
        .events
        .iter()
        .map(|e| (e.created_at, render::issue_event(repo, e)))
        .collect();
    for c in st
        .comments
        .values()
        .filter(|c| c.repo == key && c.number == number)
    {
        let mut v = render::comment(repo, is_pull, c);
        v["event"] = Value::from("commented");
        v["actor"] = v["user"].clone();
        entries.push((c.created_at, v));
    }
    for r in &item.reviews {
        let mut v = render::review(repo, number, r);
        v["event"] = Value::from("reviewed");
        v["state"] = Value::from(r.state.to_lowercase());
        entries.push((r.submitted_at, v));
    }
    entries.sort_by_key(|(at, _)| *at);
    Ok(paginate(
        st,
        req,
        entries.into_iter().map(|(_, v)| v).collect(),
    ))
}

// ---- comments -------------------------------------------------------------------------------

/// `GET /repos/{o}/{r}/issues/{n}/comments`, oldest first; `since` keeps those updated at or
/// after it.
pub fn list_comments(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let is_pull = item(st, &key, number)?.pull.is_some();
    let since = match req.query("since") {
        Some(s) => Some(
            s.parse::<Timestamp>()
                .map_err(|_| Reply::validation("IssueComment", "since", "invalid"))?,
        ),
        None => None,
    };
    let repo = &st.repos[&key];
    let comments = st
        .comments
        .values()
        .filter(|c| c.repo == key && c.number == number)
        .filter(|c| since.is_none_or(|since| c.updated_at >= since))
        .map(|c| render::comment(repo, is_pull, c))
        .collect();
    Ok(paginate(st, req, comments))
}

/// `POST /repos/{o}/{r}/issues/{n}/comments`: 201, authored by the App's bot.
pub fn create_comment(st: &mut State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let is_pull = item(st, &key, number)?.pull.is_some();
    let body = req
        .field("body")
        .ok_or_else(|| Reply::validation("IssueComment", "body", "missing_field"))?;
    let id = st.create_comment(&key, number, actor(req), body);
    Ok(Reply::json(
        201,
        render::comment(&st.repos[&key], is_pull, &st.comments[&id]),
    ))
}

/// The comment if it belongs to this repository.
fn comment_in(st: &State, key: &RepoKey, id: u64) -> Result<bool, Reply> {
    let comment = st
        .comments
        .get(&id)
        .filter(|c| &c.repo == key)
        .ok_or_else(Reply::not_found)?;
    Ok(st.repos[key]
        .items
        .get(&comment.number)
        .is_some_and(|i| i.pull.is_some()))
}

pub fn get_comment(st: &State, req: &Req, owner: &str, repo: &str, id: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let is_pull = comment_in(st, &key, id)?;
    Ok(Reply::ok(render::comment(
        &st.repos[&key],
        is_pull,
        &st.comments[&id],
    )))
}

pub fn update_comment(st: &mut State, req: &Req, owner: &str, repo: &str, id: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let is_pull = comment_in(st, &key, id)?;
    let body = req
        .field("body")
        .ok_or_else(|| Reply::validation("IssueComment", "body", "missing_field"))?;
    let now = st.clock.now();
    let comment = st.comments.get_mut(&id).expect("exists");
    comment.body = body.to_string();
    comment.updated_at = now;
    Ok(Reply::ok(render::comment(
        &st.repos[&key],
        is_pull,
        &st.comments[&id],
    )))
}

pub fn delete_comment(st: &mut State, req: &Req, owner: &str, repo: &str, id: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    comment_in(st, &key, id)?;
    st.comments.remove(&id);
    Ok(Reply::no_content())
}

// ---- labels on an item ----------------------------------------------------------------------

/// Label names from `{"labels": [...]}` or a bare array, of strings or `{name}` objects.
fn label_names(body: &Value) -> Option<Vec<String>> {
    let list = body.get("labels").unwrap_or(body).as_array()?;
    list.iter()
        .map(|l| {
            l.as_str()
                .or_else(|| l.get("name")?.as_str())
                .map(str::to_string)
        })
        .collect()
}

fn set_item_labels(st: &mut State, key: &RepoKey, number: u64, names: &[String], who: &str) {
    let current = st.repos[key].items[&number].labels.clone();
    for name in current
        .iter()
        .filter(|c| !names.iter().any(|n| n.eq_ignore_ascii_case(c)))
    {
        st.remove_label(key, number, name, who);
    }
    st.add_labels(key, number, names, who);
}

fn item_labels(st: &State, key: &RepoKey, number: u64) -> Value {
    let repo = &st.repos[key];
    Value::Array(render::item_labels(repo, &repo.items[&number]))
}

pub fn list_labels(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    item(st, &key, number)?;
    let labels = item_labels(st, &key, number)
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(paginate(st, req, labels))
}

/// `POST /repos/{o}/{r}/issues/{n}/labels`: adds labels (unknown ones are created in the
/// repository); answers with all the item's labels.
pub fn add_labels(st: &mut State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    item(st, &key, number)?;
    let names =
        label_names(&req.body).ok_or_else(|| Reply::validation("Label", "labels", "invalid"))?;
    st.add_labels(&key, number, &names, actor(req));
    Ok(Reply::ok(item_labels(st, &key, number)))
}

/// `PUT /repos/{o}/{r}/issues/{n}/labels`: replaces the item's labels.
pub fn set_labels(st: &mut State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    item(st, &key, number)?;
    let names =
        label_names(&req.body).ok_or_else(|| Reply::validation("Label", "labels", "invalid"))?;
    set_item_labels(st, &key, number, &names, actor(req));
    Ok(Reply::ok(item_labels(st, &key, number)))
}

/// `DELETE /repos/{o}/{r}/issues/{n}/labels/{name}`: 404 `Label does not exist` when the item
/// does not have it; otherwise the remaining labels.
pub fn remove_label(
    st: &mut State,
    req: &Req,
    owner: &str,
    repo: &str,
    number: u64,
    name: &str,
) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    item(st, &key, number)?;
    if !st.remove_label(&key, number, name, actor(req)) {
        return Err(Reply::error(404, "Label does not exist"));
    }
    Ok(Reply::ok(item_labels(st, &key, number)))
}

// ---- repository labels ----------------------------------------------------------------------

pub fn list_repo_labels(st: &State, req: &Req, owner: &str, repo: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let repo = &st.repos[&key];
    let labels = repo
        .labels
        .values()
        .map(|l| render::label(repo, l))
        .collect();
    Ok(paginate(st, req, labels))
}

pub fn get_repo_label(st: &State, req: &Req, owner: &str, repo: &str, name: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let repo = &st.repos[&key];
    let label = repo.label(name).ok_or_else(Reply::not_found)?;
    Ok(Reply::ok(render::label(repo, label)))
}

/// `POST /repos/{o}/{r}/labels` (`name`, `color`, `description`): 201, or 422
/// `already_exists`.
pub fn create_repo_label(st: &mut State, req: &Req, owner: &str, repo: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let name = req
        .field("name")
        .ok_or_else(|| Reply::validation("Label", "name", "missing_field"))?;
    if st.repos[&key].label(name).is_some() {
        return Err(Reply::validation("Label", "name", "already_exists"));
    }
    let color = req
        .field("color")
        .unwrap_or("ededed")
        .trim_start_matches('#')
        .to_string();
    if color.len() != 6 || !color.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Reply::validation("Label", "color", "invalid"));
    }
    let name = st.ensure_label(&key, name);
    let repo = st.repos.get_mut(&key).expect("exists");
    let label = repo
        .labels
        .get_mut(&name.to_lowercase())
        .expect("just created");
    label.color = color;
    label.description = req.field("description").map(str::to_string);
    let repo = &st.repos[&key];
    Ok(Reply::json(
        201,
        render::label(repo, repo.label(&name).expect("exists")),
    ))
}

/// `DELETE /repos/{o}/{r}/labels/{name}`: 204; the label leaves every item.
pub fn delete_repo_label(st: &mut State, req: &Req, owner: &str, repo: &str, name: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    if !st.delete_label(&key, name) {
        return Err(Reply::not_found());
    }
    Ok(Reply::no_content())
}
