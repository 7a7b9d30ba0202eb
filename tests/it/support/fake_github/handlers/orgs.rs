//! Organisations: team memberships (for `approvers`).

use serde_json::json;

use super::super::state::State;
use super::{Answer, Reply, Req};

/// `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`: `{url, role, state}` for a
/// member or an invited user (`state: pending`); 404 for anyone else and for unknown
/// teams, as GitHub answers.
pub fn team_membership(st: &State, req: &Req, org: &str, team: &str, user: &str) -> Answer {
    req.installation()?;
    let team_key = (org.to_lowercase(), team.to_lowercase());
    let state = st
        .teams
        .get(&team_key)
        .and_then(|members| members.get(&user.to_lowercase()))
        .ok_or_else(Reply::not_found)?;
    Ok(Reply::ok(json!({
        "url": format!("{}/organizations/1/team/1/memberships/{user}", st.base_url),
        "role": "member",
        "state": state,
    })))
}
