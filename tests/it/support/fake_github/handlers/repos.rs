//! Repositories: the repository, its files (contents API), collaborator permissions, and the
//! installation's repository list.

use serde_json::json;

use super::super::render;
use super::super::state::State;
use super::{Answer, Reply, Req, paginate, repo_key};

/// `GET /installation/repositories`: `{total_count, repository_selection, repositories}`.
pub fn list_for_installation(st: &State, req: &Req) -> Answer {
    let installation = req.installation()?;
    let repos: Vec<_> = st
        .repos
        .values()
        .filter(|r| r.installation == installation)
        .map(render::repository)
        .collect();
    let total = repos.len();
    let mut reply = paginate(st, req, repos);
    let page = reply.body.take().unwrap_or_default();
    reply.body = Some(
        json!({ "total_count": total, "repository_selection": "selected", "repositories": page }),
    );
    Ok(reply)
}

pub fn get(st: &State, req: &Req, owner: &str, repo: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    Ok(Reply::ok(render::repository(&st.repos[&key])))
}

/// `GET /repos/{o}/{r}/contents/{path}`: files on the default branch, or at a `ref` set
/// with `set_file_at`. `ref` may name the default branch (`main`, `heads/main`,
/// `refs/heads/main`); other refs that were never set have no commit.
/// Conditional requests (`If-None-Match`) are answered by the server for every GET.
pub fn get_content(st: &State, req: &Req, owner: &str, repo: &str, path: &[&str]) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let repo = &st.repos[&key];
    let path = path.join("/");
    let mut files = &repo.files;
    if let Some(git_ref) = req.query("ref") {
        let branch = git_ref
            .trim_start_matches("refs/")
            .trim_start_matches("heads/");
        if branch != repo.default_branch {
            files = repo.files_at.get(branch).ok_or_else(|| {
                Reply::error(404, &format!("No commit found for the ref {git_ref}"))
            })?;
        }
    }
    let content = files.get(&path).ok_or_else(Reply::not_found)?;
    Ok(Reply::ok(render::content_file(repo, &path, content)))
}

/// `GET /repos/{o}/{r}/collaborators/{user}/permission`. Every login exists; users without a
/// role read (public repositories), the owner administers.
pub fn permission(st: &State, req: &Req, owner: &str, repo: &str, user: &str) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let role = st.repos[&key].role(user);
    Ok(Reply::ok(render::collaborator_permission(user, &role)))
}
