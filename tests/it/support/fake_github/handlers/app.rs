//! The App itself (App JWT): `GET /app`, installations and their tokens, webhook deliveries;
//! and its creation from a manifest.

use serde_json::{Value, json};

use std::sync::atomic::Ordering;

use super::super::super::deliveries::{Delivery, send};
use super::super::state::{RepoKey, State};
use super::super::{auth, render};
use super::{Answer, Reply, Req, paginate};

pub fn get_app(req: &Req) -> Answer {
    req.app()?;
    Ok(Reply::ok(render::app()))
}

pub fn list_installations(st: &State, req: &Req) -> Answer {
    req.app()?;
    let items = st
        .installations
        .values()
        .map(render::installation)
        .collect();
    Ok(paginate(st, req, items))
}

/// `POST /app/installations/{id}/access_tokens`: a fresh token, valid for one hour.
pub fn create_token(st: &mut State, req: &Req, installation: u64) -> Answer {
    req.app()?;
    let inst = st
        .installations
        .get(&installation)
        .ok_or_else(Reply::not_found)?;
    if inst.suspended_at.is_some() {
        return Err(Reply::error(403, "This installation has been suspended"));
    }
    let repositories = st
        .repos
        .values()
        .filter(|r| r.installation == installation)
        .map(render::repository)
        .collect();
    let (token, expires_at) = auth::issue_token(st, installation);
    Ok(Reply::json(
        201,
        render::installation_token(&token, expires_at, repositories),
    ))
}

/// `POST /app-manifests/{code}/conversions`: 201 with GitHub's example App for a code the fake
/// knows, which is then used up; 404 for any other code, or the same one again, as on GitHub.
pub fn convert_manifest(st: &mut State, code: &str) -> Answer {
    if !st.manifest_codes.remove(code) {
        return Err(Reply::not_found());
    }
    Ok(Reply::json(201, render::app_from_manifest()))
}

/// `GET /repos/{owner}/{repo}/installation` (App JWT, although under `/repos`).
pub fn repo_installation(st: &State, req: &Req, owner: &str, repo: &str) -> Answer {
    req.app()?;
    let repo = st
        .repos
        .get(&RepoKey::new(owner, repo))
        .ok_or_else(Reply::not_found)?;
    let inst = st
        .installations
        .get(&repo.installation)
        .ok_or_else(Reply::not_found)?;
    Ok(Reply::ok(render::installation(inst)))
}

/// `GET /app/hook/deliveries`: newest first, cursor pagination (`per_page`, `cursor`).
pub fn list_deliveries(st: &State, req: &Req) -> Answer {
    req.app()?;
    let per_page = req
        .query("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let mut deliveries: Vec<_> = st.deliveries.iter().collect();
    deliveries.sort_by(|a, b| b.delivered_at.cmp(&a.delivered_at).then(b.id.cmp(&a.id)));
    let start = match req.query("cursor") {
        Some(cursor) => {
            let after: u64 = cursor
                .trim_start_matches("v1_")
                .parse()
                .map_err(|_| Reply::error(400, "Bad cursor"))?;
            deliveries
                .iter()
                .position(|d| d.id == after)
                .map_or(deliveries.len(), |i| i + 1)
        }
        None => 0,
    };
    let page: Vec<_> = deliveries.iter().skip(start).take(per_page).collect();
    let body: Vec<Value> = page
        .iter()
        .map(|d| render::hook_delivery(d, None))
        .collect();
    let mut reply = Reply::ok(Value::Array(body));
    if let Some(last) = page.last().filter(|_| start + per_page < deliveries.len()) {
        let next = format!(
            "<{}/app/hook/deliveries?per_page={per_page}&cursor=v1_{}>; rel=\"next\"",
            st.base_url, last.id
        );
        reply.headers.push(("link".to_string(), next));
    }
    Ok(reply)
}

/// `POST /app/hook/deliveries/{id}/attempts`: 202. A delivery whose body the fake holds is
/// sent again, same GUID, to the webhook (when one is set).
pub fn redeliver(st: &mut State, req: &Req, id: u64) -> Answer {
    req.app()?;
    let d = st
        .deliveries
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(Reply::not_found)?;
    st.redeliveries.push(id);
    if let (Some(body), Some((url, secret))) = (d.body.clone(), st.hook.clone()) {
        let delivery = Delivery {
            event: d.event.clone(),
            id: d.guid.clone(),
            body,
        };
        let in_flight = st.redeliveries_in_flight.clone();
        in_flight.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            send(&client, &url, &delivery, &secret).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(Reply::json(202, json!({})))
}
