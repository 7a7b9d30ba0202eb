//! Who may do what: a collaborator's permission and team membership.

use super::{GhResult, GitHub, PermissionAnswer, encode};

impl GitHub {
    /// The collaborator-permission answer for `user` (`None`: not found).
    pub async fn permission(
        &self,
        inst: u64,
        repo: &str,
        user: &str,
    ) -> GhResult<Option<PermissionAnswer>> {
        match self
            .get::<PermissionAnswer>(
                inst,
                &format!("/repos/{repo}/collaborators/{}/permission", encode(user)),
            )
            .await
        {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `user` is an active member of the team `org/team` (for `approvers`):
    /// `GET /orgs/{org}/teams/{team}/memberships/{user}`. A pending invitation is not
    /// membership; 404 (not a member, or no such team) is `false`. Needs the
    /// organisation permission "members: read".
    pub async fn team_member(
        &self,
        inst: u64,
        org: &str,
        team: &str,
        user: &str,
    ) -> GhResult<bool> {
        #[derive(serde::Deserialize)]
        struct Membership {
            state: Option<String>,
        }
        match self
            .get::<Membership>(
                inst,
                &format!(
                    "/orgs/{}/teams/{}/memberships/{}",
                    encode(org),
                    encode(team),
                    encode(user)
                ),
            )
            .await
        {
            Ok(m) => Ok(m.state.as_deref() == Some("active")),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
}
