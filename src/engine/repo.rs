//! What the engine learns about a repository before deciding: its configuration
//! file and people's roles.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::core::config::{ConfigFile, Policy, RepoConfig, Role, team_of};
use crate::core::intent::ConfigProblem as BadFile;
use crate::core::names::{LabelName, Login, RepoName};
use crate::github::{FileAnswer, GhResult};

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
            .get(&(Login::key_of(team), Login::key_of(user)))
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(member, _)| *member)
    }

    fn team_put(&self, team: &str, user: &str, member: bool) {
        let mut teams = self.teams.lock().expect("poisoned");
        if teams.len() > 10_000 {
            teams.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        teams.insert(
            (Login::key_of(team), Login::key_of(user)),
            (member, Instant::now()),
        );
    }

    fn get(&self, repo: &str, user: &str) -> Option<Option<Role>> {
        let cache = self.cache.lock().expect("poisoned");
        cache
            .get(&(RepoName::key_of(repo), Login::key_of(user)))
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(r, _)| *r)
    }

    fn put(&self, repo: &str, user: &str, role: Option<Role>) {
        let mut cache = self.cache.lock().expect("poisoned");
        if cache.len() > 10_000 {
            cache.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        cache.insert(
            (RepoName::key_of(repo), Login::key_of(user)),
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
        let generation = self.configs.generation.load(Ordering::SeqCst);
        // Read before the files: a push recorded after this makes the labels stale.
        let stamp = self.store.kv_get(&pushed_key(repo)).await;
        let config = self.read_repo_config(inst, repo).await?;
        let labels = match &config {
            Ok(config) => config.intent_labels(),
            // A broken file: the defaults' labels still get a comment saying so.
            Err(_) => RepoConfig::default().intent_labels(),
        };
        match stamp {
            Ok(stamp) => {
                let mut known = self.configs.labels.lock().expect("poisoned");
                if self.configs.generation.load(Ordering::SeqCst) == generation {
                    if known.len() > 10_000 {
                        known.clear();
                    }
                    known.insert(RepoName::key_of(repo), (labels, stamp));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the configuration's stamp"),
        }
        Ok(config)
    }

    /// Whether the cached configuration of `repo` says that `label` opens no intent
    /// there, so that a delivery adding it needs no API call. `false` when no
    /// configuration is cached (then it is read), or when a push changed a file of the
    /// owner's since it was read, whichever replica saw the push (one database read).
    pub(crate) async fn surely_not_an_intent_label(&self, repo: &str, label: &str) -> bool {
        let cached = {
            let known = self.configs.labels.lock().expect("poisoned");
            match known.get(&RepoName::key_of(repo)) {
                Some((labels, stamp)) if !labels.iter().any(|l| LabelName::same(l, label)) => {
                    stamp.clone()
                }
                _ => return false,
            }
        };
        matches!(self.store.kv_get(&pushed_key(repo)).await, Ok(now) if now == cached)
    }

    async fn read_repo_config(
        &self,
        inst: u64,
        repo: &str,
    ) -> GhResult<Result<RepoConfig, ConfigProblem>> {
        let own = self.config_text(inst, repo).await?;
        let owner = repo.split('/').next().unwrap_or_default();
        let shared = format!("{owner}/.github");
        let (shared_text, shared_found) = if RepoName::same(&shared, repo) {
            (None, SharedFile::NotApplicable)
        } else {
            match self.config_text(inst, &shared).await {
                Ok(Some(text)) => (Some(text), SharedFile::Found),
                // 404: no file, or a repository the installation does not cover.
                Ok(None) => (None, SharedFile::NotFound),
                Err(e) if e.is_forbidden() => (None, SharedFile::Forbidden),
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
        let key = RepoName::key_of(repo);
        let cached = self
            .configs
            .files
            .lock()
            .expect("poisoned")
            .get(&key)
            .cloned();
        let etag = cached.as_ref().and_then(|(tag, _)| tag.clone());
        match self
            .gh
            .file_if_changed(inst, repo, CONFIG_PATH, etag.as_deref())
            .await?
        {
            FileAnswer::NotModified => Ok(cached.and_then(|(_, text)| text)),
            FileAnswer::Missing => {
                self.keep_file(key, (None, None));
                Ok(None)
            }
            FileAnswer::Found(file, tag) => {
                let text = file.text();
                self.keep_file(key, (tag, Some(text.clone())));
                Ok(Some(text))
            }
        }
    }

    fn keep_file(&self, key: String, copy: FileCopy) {
        let mut configs = self.configs.files.lock().expect("poisoned");
        if configs.len() > 10_000 {
            configs.clear();
        }
        configs.insert(key, copy);
    }

    /// `.github/tacit.yml` of `repo`'s default branch, as `config_text` answers it,
    /// but from the cache when a copy is held (no call): for comparing a pull request's
    /// file with it. A copy is dropped when a push changes the file on the default
    /// branch; one held by another replica may be older until its next read.
    pub(crate) async fn default_config_text(
        &self,
        inst: u64,
        repo: &str,
    ) -> GhResult<Option<Option<String>>> {
        let key = RepoName::key_of(repo);
        let cached = self
            .configs
            .files
            .lock()
            .expect("poisoned")
            .get(&key)
            .cloned();
        match cached {
            Some((_, text)) => Ok(text),
            None => self.config_text(inst, repo).await,
        }
    }

    /// Drop the cached `.github/tacit.yml` of `repo`: a push changed it on the default
    /// branch, so the next intent reads it whole instead of asking whether it changed.
    /// The intent labels known for `repo` go too, and, when `repo` is an owner's
    /// `.github` (whose file every repository of the owner is laid over), those of all
    /// the owner's repositories: their next labelled item reads the configuration again.
    pub(crate) async fn forget_config(&self, repo: &str) -> anyhow::Result<()> {
        self.forget_config_here(repo);
        // Other replicas hold their own copies: they compare this stamp before trusting
        // theirs.
        self.store
            .kv_set(&pushed_key(repo), &crate::store::new_id())
            .await
    }

    fn forget_config_here(&self, repo: &str) {
        let key = RepoName::key_of(repo);
        self.configs.generation.fetch_add(1, Ordering::SeqCst);
        self.configs.files.lock().expect("poisoned").remove(&key);
        let mut labels = self.configs.labels.lock().expect("poisoned");
        match key.strip_suffix("/.github") {
            Some(owner) => {
                let prefix = format!("{owner}/");
                labels.retain(|r, _| !r.starts_with(&prefix));
            }
            None => {
                labels.remove(&key);
            }
        }
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
                        Err(e) if e.is_forbidden() => {
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
        if approvers.is_empty() || approvers.iter().any(|a| Login::same(a, who)) {
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

/// What the engine holds of repositories' configurations.
#[derive(Default)]
pub struct ConfigCache {
    /// Configuration file texts by repository (lower case), with the ETag they were
    /// read with; a repository without the file is kept too, so that comparing a fork's
    /// pull request with it costs no call.
    files: Mutex<HashMap<String, FileCopy>>,
    /// By repository (lower case): the labels that may open an intent there under its
    /// configuration as last read (the configured intent labels; with a broken file, the
    /// default ones, which get a comment saying the file is broken). Any other label
    /// needs no API call. Dropped when a push changes the file on a default branch and
    /// renewed by every read of the configuration (the hourly sweep reads each one).
    /// With each, the owner's stamp (see [`pushed_key`]) as it was before the read.
    labels: Mutex<HashMap<String, KnownLabels>>,
    /// Bumped by every [`forget`](Engine::forget_config): a read that started before it
    /// does not fill `labels`, so a push seen while a read was in flight is not undone.
    generation: AtomicU64,
}

/// A file's ETag and its text as [`Engine::config_text`] answers it (`None`: no file;
/// `Some(None)`: not UTF-8).
type FileCopy = (Option<String>, Option<Option<String>>);

/// A configuration's intent labels and the owner's stamp when it was read.
type KnownLabels = (Vec<String>, Option<String>);

/// The `kv` key of an owner's configuration stamp: a new random value whenever a push
/// changes `.github/tacit.yml` on the default branch of one of the owner's
/// repositories (its `.github` included, which every other one is laid over).
fn pushed_key(repo: &str) -> String {
    let owner = repo.split('/').next().unwrap_or_default();
    format!("config-pushed:{}", Login::key_of(owner))
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
