//! What the engine learns about a repository before deciding: its configuration
//! file and people's roles.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::core::config::{ConfigFile, Policy, RepoConfig, Role, team_of};
use crate::core::intent::ConfigProblem as BadFile;
use crate::github::{FileAnswer, GhError, GhResult};

use super::Engine;

pub const CONFIG_PATH: &str = crate::core::config::CONFIG_FILE;

/// Why a repository's configuration cannot be used (a fact; `render` words it).
#[derive(Debug, Clone)]
pub struct ConfigProblem(pub BadFile);

/// Roles on repositories, cached briefly (SPEC 3: at most 5 minutes).
pub struct Permissions {
    ttl: Duration,
    cache: Mutex<HashMap<RepoUser, (Option<Role>, Instant)>>,
    /// Team memberships for `approvers`, by (`@org/team`, user), both lower case.
    teams: Mutex<HashMap<RepoUser, (bool, Instant)>>,
}

/// (repository, user), both lower case.
type RepoUser = (String, String);

impl Permissions {
    pub fn new(ttl: Duration) -> Permissions {
        Permissions {
            ttl,
            cache: Mutex::new(HashMap::new()),
            teams: Mutex::new(HashMap::new()),
        }
    }

    fn team_get(&self, team: &str, user: &str) -> Option<bool> {
        let teams = self.teams.lock().expect("poisoned");
        teams
            .get(&(team.to_lowercase(), user.to_lowercase()))
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(member, _)| *member)
    }

    fn team_put(&self, team: &str, user: &str, member: bool) {
        let mut teams = self.teams.lock().expect("poisoned");
        if teams.len() > 10_000 {
            teams.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        teams.insert(
            (team.to_lowercase(), user.to_lowercase()),
            (member, Instant::now()),
        );
    }

    fn get(&self, repo: &str, user: &str) -> Option<Option<Role>> {
        let cache = self.cache.lock().expect("poisoned");
        cache
            .get(&(repo.to_lowercase(), user.to_lowercase()))
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(r, _)| *r)
    }

    fn put(&self, repo: &str, user: &str, role: Option<Role>) {
        let mut cache = self.cache.lock().expect("poisoned");
        if cache.len() > 10_000 {
            cache.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        cache.insert(
            (repo.to_lowercase(), user.to_lowercase()),
            (role, Instant::now()),
        );
    }
}

/// A role from the collaborator-permission answer: `role_name` first (it tells
/// `maintain` and `triage` apart); a custom role counts as its base role, which the
/// legacy `permission` field reports.
pub fn role_of(role_name: Option<&str>, permission: Option<&str>) -> Option<Role> {
    role_name
        .and_then(Role::from_role_name)
        .or_else(|| permission.and_then(Role::from_role_name))
}

impl Engine {
    /// `user`'s role on `repo`; `fresh` skips the cache (before acting).
    pub(crate) async fn role(
        &self,
        inst: u64,
        repo: &str,
        user: &str,
        fresh: bool,
    ) -> GhResult<Option<Role>> {
        if !fresh && let Some(r) = self.perms.get(repo, user) {
            return Ok(r);
        }
        let answer = self.gh.permission(inst, repo, user).await?;
        let role = answer.and_then(|a| role_of(a.role_name.as_deref(), a.permission.as_deref()));
        self.perms.put(repo, user, role);
        Ok(role)
    }

    /// The repository's configuration (SPEC 5): `.github/tacit.yml` of the owner's
    /// `.github` repository with the repository's own file laid over it, key by key;
    /// without either, the defaults. Costs two conditional reads (one when the
    /// repository is the owner's `.github`).
    pub(crate) async fn repo_config(
        &self,
        inst: u64,
        repo: &str,
    ) -> GhResult<Result<RepoConfig, ConfigProblem>> {
        let own = self.config_text(inst, repo).await?;
        let owner = repo.split('/').next().unwrap_or_default();
        let shared = format!("{owner}/.github");
        let (shared_text, shared_found) = if shared.eq_ignore_ascii_case(repo) {
            (None, SharedFile::NotApplicable)
        } else {
            match self.config_text(inst, &shared).await {
                Ok(Some(text)) => (Some(text), SharedFile::Found),
                // 404: no file, or a repository the installation does not cover.
                Ok(None) => (None, SharedFile::NotFound),
                Err(GhError::Status { status: 403, .. }) => (None, SharedFile::Forbidden),
                Err(e) => return Err(e),
            }
        };
        let repo_name = format!("{repo}/{CONFIG_PATH}");
        let shared_name = format!("{shared}/{CONFIG_PATH}");
        for (text, name) in [(&own, &repo_name), (&shared_text, &shared_name)] {
            if let Some(None) = text {
                let file = name.clone();
                return Ok(Err(ConfigProblem(BadFile::NotUtf8 { file })));
            }
        }
        let own = own.flatten();
        let shared_text = shared_text.flatten();
        let own_file = own.as_deref().map(|text| ConfigFile {
            name: &repo_name,
            text,
        });
        let shared_file = shared_text.as_deref().map(|text| ConfigFile {
            name: &shared_name,
            text,
        });
        let mut config = match RepoConfig::layered(shared_file, own_file) {
            Ok(config) => config,
            Err(e) => {
                let name = e.file.clone().unwrap_or(repo_name);
                let error = e.to_string();
                return Ok(Err(ConfigProblem(BadFile::Invalid { file: name, error })));
            }
        };
        // SPEC 5: say so when a shared file may exist that tacit cannot read.
        let unreadable = match shared_found {
            SharedFile::Forbidden => true,
            SharedFile::NotFound => own.is_none(),
            SharedFile::Found | SharedFile::NotApplicable => false,
        };
        if unreadable {
            for policy in &mut config.intents {
                policy.provenance.owner_unreadable = Some(shared.clone());
            }
        }
        Ok(Ok(config))
    }

    /// The text of `.github/tacit.yml` in one repository: `None` if there is none,
    /// `Some(None)` if it is not UTF-8. Read with a conditional request: an unchanged
    /// file is not downloaded again.
    async fn config_text(&self, inst: u64, repo: &str) -> GhResult<Option<Option<String>>> {
        let key = repo.to_lowercase();
        let cached = self.configs.lock().expect("poisoned").get(&key).cloned();
        let etag = cached.as_ref().and_then(|(tag, _)| tag.clone());
        match self
            .gh
            .file_if_changed(inst, repo, CONFIG_PATH, etag.as_deref())
            .await?
        {
            FileAnswer::NotModified => Ok(cached.map(|(_, text)| text)),
            FileAnswer::Missing => {
                self.configs.lock().expect("poisoned").remove(&key);
                Ok(None)
            }
            FileAnswer::Found(file, tag) => {
                let text = file.text();
                let mut configs = self.configs.lock().expect("poisoned");
                if configs.len() > 10_000 {
                    configs.clear();
                }
                configs.insert(key, (tag, text.clone()));
                Ok(Some(text))
            }
        }
    }

    /// Drop the cached `.github/tacit.yml` of `repo`: a push changed it on the default
    /// branch, so the next intent reads it whole instead of asking whether it changed.
    pub(crate) fn forget_config(&self, repo: &str) {
        self.configs
            .lock()
            .expect("poisoned")
            .remove(&repo.to_lowercase());
    }

    /// Whether `user` counts as one of `policy.approvers` through a team (logins listed
    /// by name the core checks). One team-membership read per listed team until one
    /// says yes, each cached for 5 minutes like roles; `fresh` skips the cache (before
    /// acting). `false` when the policy lists no teams.
    pub(crate) async fn approver(
        &self,
        inst: u64,
        policy: &Policy,
        user: &str,
        fresh: bool,
    ) -> GhResult<bool> {
        for entry in &policy.approvers {
            let Some((org, team)) = team_of(entry) else {
                continue;
            };
            let cached = if fresh {
                None
            } else {
                self.perms.team_get(entry, user)
            };
            let member = match cached {
                Some(member) => member,
                None => {
                    let member = match self.gh.team_member(inst, org, team, user).await {
                        Ok(member) => member,
                        // Without the "members: read" permission: nobody counts
                        // through the team (the comment lists it as not counted).
                        Err(GhError::Status { status: 403, .. }) => {
                            tracing::warn!(
                                team = entry,
                                "cannot read team membership (403): does the App have organisation members: read?"
                            );
                            false
                        }
                        Err(e) => return Err(e),
                    };
                    self.perms.team_put(entry, user, member);
                    member
                }
            };
            if member {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

impl Engine {
    /// Before acting: whether `who`'s approval still counts under `approvers` (SPEC 5):
    /// always without a list; listed by name; or an active member of a listed team now
    /// (read fresh).
    pub(crate) async fn still_an_approver(
        &self,
        inst: u64,
        policy: &Policy,
        who: &str,
    ) -> GhResult<bool> {
        let approvers = &policy.approvers;
        if approvers.is_empty() || approvers.iter().any(|a| a.eq_ignore_ascii_case(who)) {
            return Ok(true);
        }
        self.approver(inst, policy, who, true).await
    }
}

/// What the owner's `.github` repository answered for its `tacit.yml`.
enum SharedFile {
    Found,
    NotFound,
    Forbidden,
    /// The repository is the owner's `.github` itself.
    NotApplicable,
}

/// Configuration file texts by repository, with the ETag they were read with
/// (`None` text: not UTF-8).
pub type ConfigCache = Mutex<HashMap<String, (Option<String>, Option<String>)>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_name_wins_over_the_legacy_field() {
        assert_eq!(
            role_of(Some("maintain"), Some("write")),
            Some(Role::Maintain)
        );
        assert_eq!(role_of(Some("triage"), Some("read")), Some(Role::Triage));
        // A custom role counts as its base role.
        assert_eq!(
            role_of(Some("security-reviewer"), Some("write")),
            Some(Role::Write)
        );
        assert_eq!(role_of(None, Some("admin")), Some(Role::Admin));
        assert_eq!(role_of(None, Some("none")), None);
    }
}
