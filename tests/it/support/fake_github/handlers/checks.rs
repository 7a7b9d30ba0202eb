//! Check runs: create, update, get, and list for a commit.

use serde_json::{Value, json};

use super::super::render;
use super::super::state::State;
use super::{Answer, Reply, Req, paginate, repo_key};

/// `POST /repos/{o}/{r}/check-runs`: `name` and `head_sha` required; 201.
pub fn create(st: &mut State, req: &Req, owner: &str, repo: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let request = req
        .body
        .as_object()
        .ok_or_else(|| Reply::error(400, "Problems parsing JSON"))?;
    for field in ["name", "head_sha"] {
        if !request.get(field).is_some_and(Value::is_string) {
            return Err(Reply::validation("CheckRun", field, "missing_field"));
        }
    }
    let head_sha = req.field("head_sha").expect("checked");
    let id = st.ids.next();
    let repo = &st.repos[&key];
    let pulls = repo
        .items
        .values()
        .filter(|i| i.open && i.pull.as_ref().is_some_and(|p| p.head_sha == head_sha))
        .map(|i| render::check_run_pull(repo, i))
        .collect();
    let run = render::check_run(repo, id, request, pulls);
    st.repos
        .get_mut(&key)
        .expect("exists")
        .check_runs
        .push(run.clone());
    Ok(Reply::json(201, run))
}

pub fn get(st: &State, req: &Req, owner: &str, repo: &str, id: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let run = st.repos[&key]
        .check_runs
        .iter()
        .find(|r| r["id"] == json!(id))
        .ok_or_else(Reply::not_found)?;
    Ok(Reply::ok(run.clone()))
}

/// `PATCH /repos/{o}/{r}/check-runs/{id}`: a `conclusion` completes the run.
pub fn update(st: &mut State, req: &Req, owner: &str, repo: &str, id: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let request = req
        .body
        .as_object()
        .ok_or_else(|| Reply::error(400, "Problems parsing JSON"))?;
    let repo = st.repos.get_mut(&key).expect("exists");
    let run = repo
        .check_runs
        .iter_mut()
        .find(|r| r["id"] == json!(id))
        .ok_or_else(Reply::not_found)?;
    // GitHub keeps a run's first completion: its status and conclusion cannot change.
    if run["status"] == json!("completed") {
        let status_changes = request.get("status").is_some_and(|s| s != &run["status"]);
        let conclusion_changes = request
            .get("conclusion")
            .is_some_and(|c| c != &run["conclusion"]);
        if status_changes || conclusion_changes {
            return Err(Reply::error(
                422,
                "Invalid request: a completed check run's status and conclusion cannot be changed",
            ));
        }
    }
    render::update_check_run(run, request);
    Ok(Reply::ok(run.clone()))
}

/// `GET /repos/{o}/{r}/commits/{ref}/check-runs`: `{total_count, check_runs}`. `ref` is a
/// sha or a pull request's head branch; `check_name` and `status` filter; `filter=latest`
/// (the default) keeps the newest run of each name.
pub fn list_for_ref(st: &State, req: &Req, owner: &str, repo: &str, git_ref: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let repo = &st.repos[&key];
    let branch = git_ref
        .trim_start_matches("refs/")
        .trim_start_matches("heads/");
    let sha = repo
        .items
        .values()
        .filter_map(|i| i.pull.as_ref())
        .find(|p| p.head_ref == branch)
        .map_or(git_ref, |p| p.head_sha.as_str());
    let mut runs: Vec<&Value> = repo
        .check_runs
        .iter()
        .filter(|r| r["head_sha"] == json!(sha))
        .filter(|r| {
            req.query("check_name")
                .is_none_or(|n| r["name"] == json!(n))
        })
        .filter(|r| req.query("status").is_none_or(|s| r["status"] == json!(s)))
        .collect();
    if req.query("filter").unwrap_or("latest") == "latest" {
        let mut seen = std::collections::HashSet::new();
        runs.reverse();
        runs.retain(|r| seen.insert(r["name"].to_string()));
        runs.reverse();
    }
    let total = runs.len();
    let mut reply = paginate(st, req, runs.into_iter().cloned().collect());
    let page = reply.body.take().unwrap_or_default();
    reply.body = Some(json!({ "total_count": total, "check_runs": page }));
    Ok(reply)
}
