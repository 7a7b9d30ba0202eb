//! What the engine learns about a repository before deciding: its configuration
//! file and people's roles.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::core::config::{RepoConfig, Role};
use crate::core::intent::ConfigNote;
use crate::github::{FileAnswer, GhError, GhResult};

use super::Engine;

pub const CONFIG_PATH: &str = ".github/tacit.yml";

/// Why a repository's configuration cannot be used.
#[derive(Debug, Clone)]
pub struct ConfigProblem(pub String);

/// Roles on repositories, cached briefly (SPEC 3: at most 5 minutes).
pub struct Permissions {
    ttl: Duration,
    cache: Mutex<HashMap<RepoUser, (Option<Role>, Instant)>>,
}

/// (repository, user), both lower case.
type RepoUser = (String, String);

impl Permissions {
    pub fn new(ttl: Duration) -> Permissions {
        Permissions {
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
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

    /// The repository's configuration: `.github/tacit.yml` on its default branch, else
    /// the owner's `.github` repository, else the defaults.
    pub(crate) async fn repo_config(
        &self,
        inst: u64,
        repo: &str,
    ) -> GhResult<Result<RepoConfig, ConfigProblem>> {
        Ok(self.repo_config_noted(inst, repo).await?.0)
    }

    /// [`Engine::repo_config`], and a note when the defaults apply because neither the
    /// repository nor the owner's `.github` had a file tacit could read. GitHub answers
    /// 404 both for a missing file and for a repository the installation does not
    /// cover, so the note says both (SPEC 5); 403 likewise goes on with the defaults.
    pub(crate) async fn repo_config_noted(
        &self,
        inst: u64,
        repo: &str,
    ) -> GhResult<(Result<RepoConfig, ConfigProblem>, Option<ConfigNote>)> {
        if let Some(found) = self.config_file(inst, repo).await? {
            return Ok((found, None));
        }
        let owner = repo.split('/').next().unwrap_or_default();
        let shared = format!("{owner}/.github");
        if shared.eq_ignore_ascii_case(repo) {
            return Ok((Ok(RepoConfig::default()), None));
        }
        let note = Some(ConfigNote::Defaults {
            shared_repo: shared.clone(),
        });
        match self.config_file(inst, &shared).await {
            Ok(Some(found)) => Ok((found, None)),
            Ok(None) | Err(GhError::Status { status: 403, .. }) => {
                Ok((Ok(RepoConfig::default()), note))
            }
            Err(e) => Err(e),
        }
    }

    /// `.github/tacit.yml` of one repository, parsed; `None` if there is none. Read with
    /// a conditional request: an unchanged file is not downloaded or parsed again.
    async fn config_file(
        &self,
        inst: u64,
        repo: &str,
    ) -> GhResult<Option<Result<RepoConfig, ConfigProblem>>> {
        let key = repo.to_lowercase();
        let cached = self.configs.lock().expect("poisoned").get(&key).cloned();
        let etag = cached.as_ref().and_then(|(tag, _)| tag.clone());
        match self
            .gh
            .file_if_changed(inst, repo, CONFIG_PATH, etag.as_deref())
            .await?
        {
            FileAnswer::NotModified => Ok(cached.map(|(_, parsed)| parsed)),
            FileAnswer::Missing => {
                self.configs.lock().expect("poisoned").remove(&key);
                Ok(None)
            }
            FileAnswer::Found(file, tag) => {
                let parsed = parse_file(file.text(), &format!("{repo}/{CONFIG_PATH}"));
                let mut configs = self.configs.lock().expect("poisoned");
                if configs.len() > 10_000 {
                    configs.clear();
                }
                configs.insert(key, (tag, parsed.clone()));
                Ok(Some(parsed))
            }
        }
    }
}

/// Parsed configuration files by repository, with the ETag they were read with.
pub type ConfigCache = Mutex<HashMap<String, (Option<String>, Result<RepoConfig, ConfigProblem>)>>;

fn parse_file(text: Option<String>, name: &str) -> Result<RepoConfig, ConfigProblem> {
    let Some(text) = text else {
        return Err(ConfigProblem(format!("`{name}` is not UTF-8 text.")));
    };
    RepoConfig::parse(&text).map_err(|e| ConfigProblem(format!("`{name}` is not valid: {e}")))
}

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
