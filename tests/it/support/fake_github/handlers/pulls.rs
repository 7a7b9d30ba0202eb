//! Pull requests: the pull request, merging it, its reviews.

use serde_json::Value;

use super::super::render;
use super::super::state::{EventRec, Item, RepoKey, State};
use super::{Answer, Reply, Req, actor, paginate, repo_key};

/// The pull request, or 404 (unknown, or an issue).
fn pull<'a>(st: &'a State, key: &RepoKey, number: u64) -> Result<&'a Item, Reply> {
    st.repos[key]
        .items
        .get(&number)
        .filter(|i| i.pull.is_some() && !i.deleted)
        .ok_or_else(Reply::not_found)
}

pub fn get(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let item = pull(st, &key, number)?;
    Ok(Reply::ok(render::pull(
        &st.repos[&key],
        item,
        st.comment_count(&key, number),
    )))
}

/// `GET /repos/{o}/{r}/pulls/{n}/merge`: 204 if merged, 404 if not.
pub fn is_merged(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    if pull(st, &key, number)?.merged() {
        Ok(Reply::no_content())
    } else {
        Err(Reply::not_found())
    }
}

/// `PUT /repos/{o}/{r}/pulls/{n}/merge` with `{sha?, merge_method?, commit_title?,
/// commit_message?}`, refused as GitHub does:
/// - 405 `Pull Request is not mergeable` when it is already merged or closed;
/// - 422 for an unknown `merge_method`; 405 when the repository disallows the method;
/// - 409 `Head branch was modified...` when `sha` is not the head;
/// - 405 for a draft; then a refusal set by `set_merge_refusal`.
///
/// A merge marks the pull request merged and closed, with `merged` and `closed` events.
pub fn merge(st: &mut State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let item = pull(st, &key, number)?;
    let head = item.pull.as_ref().expect("a pull request");
    let repo = &st.repos[&key];
    if !item.open || head.merged_at.is_some() {
        return Err(Reply::error(405, "Pull Request is not mergeable"));
    }
    let method = req.field("merge_method").unwrap_or("merge");
    let allowed = match method {
        "merge" => repo.allow_merge_commit,
        "squash" => repo.allow_squash_merge,
        "rebase" => repo.allow_rebase_merge,
        _ => return Err(Reply::validation("PullRequest", "merge_method", "invalid")),
    };
    if !allowed {
        let message = match method {
            "merge" => "Merge commits are not allowed on this repository.",
            "squash" => "Squash merges are not allowed on this repository.",
            _ => "Rebase merges are not allowed on this repository.",
        };
        return Err(Reply::error(405, message));
    }
    if req.field("sha").is_some_and(|sha| sha != head.head_sha) {
        return Err(Reply::error(
            409,
            "Head branch was modified. Review and try the merge again.",
        ));
    }
    if head.draft {
        return Err(Reply::error(405, "Pull Request is still a draft"));
    }
    if let Some((status, message)) = repo.merge_refusals.get(&number) {
        return Err(Reply::error(*status, message));
    }

    let merge_sha = render::fake_sha(&format!(
        "merge:{}#{number}:{}",
        repo.full_name(),
        head.head_sha
    ));
    let who = actor(req);
    let (merged_id, closed_id, now) = (st.ids.next(), st.ids.next(), st.clock.now());
    let repo = st.repos.get_mut(&key).expect("exists");
    repo.merges
        .entry(number)
        .or_default()
        .push(req.body.clone());
    let item = repo.items.get_mut(&number).expect("exists");
    let head = item.pull.as_mut().expect("a pull request");
    head.merged_at = Some(now);
    head.merge_commit_sha = Some(merge_sha.clone());
    head.merged_by = Some(who.to_string());
    item.open = false;
    item.closed_at = Some(now);
    item.closed_by = Some(who.to_string());
    item.updated_at = now;
    item.events.push(EventRec {
        id: merged_id,
        event: "merged".to_string(),
        actor: who.to_string(),
        label: None,
        commit_id: Some(merge_sha.clone()),
        created_at: now,
    });
    item.events.push(EventRec {
        id: closed_id,
        event: "closed".to_string(),
        actor: who.to_string(),
        label: None,
        commit_id: None,
        created_at: now,
    });
    Ok(Reply::ok(render::merge_result(&merge_sha)))
}

/// `GET /repos/{o}/{r}/pulls/{n}/reviews`, oldest first.
pub fn reviews(st: &State, req: &Req, owner: &str, repo: &str, number: u64) -> Answer {
    let key = repo_key(st, req, owner, repo)?;
    let item = pull(st, &key, number)?;
    let repo = &st.repos[&key];
    let reviews: Vec<Value> = item
        .reviews
        .iter()
        .map(|r| render::review(repo, number, r))
        .collect();
    Ok(paginate(st, req, reviews))
}
