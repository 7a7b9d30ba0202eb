//! The fake's world: one [`State`] behind a mutex, holding everything GitHub would know,
//! and the operations shared by test setup and the API handlers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use jiff::Timestamp;
use serde_json::Value;

use super::{Fault, Recorded, repo_id};

/// The App's slug; its bot user is [`BOT_LOGIN`].
pub const APP_SLUG: &str = "tacit-test";
/// The login of the App's bot user, the author of everything tacit writes.
pub const BOT_LOGIN: &str = "tacit-test[bot]";
/// A code of the App manifest flow that the fake accepts (once) from the start.
pub const MANIFEST_CODE: &str = "fake-manifest-code-0001";

/// Repositories are keyed case-insensitively, like GitHub resolves `owner/repo`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoKey {
    owner: String,
    name: String,
}

impl RepoKey {
    pub fn new(owner: &str, name: &str) -> RepoKey {
        RepoKey {
            owner: owner.to_lowercase(),
            name: name.to_lowercase(),
        }
    }
}

/// The time written into resources: fixed by the test, or the real clock (whole seconds).
#[derive(Default)]
pub struct Clock {
    pub fixed: Option<Timestamp>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let now = self.fixed.unwrap_or_else(Timestamp::now);
        Timestamp::from_second(now.as_second()).expect("timestamp in range")
    }
}

/// One id sequence for every resource, so ids never collide across kinds.
pub struct Ids(u64);

impl Ids {
    pub fn next(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

pub struct State {
    pub base_url: String,
    pub clock: Clock,
    pub ids: Ids,
    pub installations: BTreeMap<u64, Installation>,
    /// Installation tokens by token string.
    pub tokens: HashMap<String, Token>,
    pub repos: BTreeMap<RepoKey, Repo>,
    /// Issue and pull request comments of all repositories, by id.
    pub comments: BTreeMap<u64, CommentRec>,
    pub deliveries: Vec<DeliveryRec>,
    pub redeliveries: Vec<u64>,
    pub faults: Vec<Fault>,
    pub requests: Vec<Recorded>,
    /// Requests counted against each rate limit (by auth: "app", "installation:N", ...).
    pub rate_used: HashMap<String, u64>,
    /// Codes of the App manifest flow not exchanged yet (each works once).
    pub manifest_codes: BTreeSet<String>,
    /// Requests GitHub's REST description does not allow (unknown operation, a body that
    /// does not fit its schema): every one fails the test (see `FakeGitHub`'s drop).
    pub violations: Vec<String>,
    /// Installation tokens minted, by installation.
    pub token_mints: BTreeMap<u64, usize>,
    /// How long a new installation token lives (GitHub: one hour).
    pub token_lifetime: jiff::SignedDuration,
    /// Where redeliveries are sent, and the webhook secret they are signed with.
    pub hook: Option<(String, String)>,
    /// Redeliveries sent but not answered yet.
    pub redeliveries_in_flight: Arc<AtomicUsize>,
    /// Team memberships: (org, team slug) -> login -> state (`active` or `pending`), all
    /// lower case but the state.
    pub teams: HashMap<(String, String), HashMap<String, String>>,
}

pub struct Installation {
    pub id: u64,
    pub account: String,
    pub created_at: Timestamp,
    pub suspended_at: Option<Timestamp>,
}

pub struct Token {
    pub installation: u64,
    /// Real time, like the client's idea of expiry.
    pub expires_at: Timestamp,
}

pub struct Repo {
    pub owner: String,
    pub name: String,
    pub id: u64,
    pub installation: u64,
    pub default_branch: String,
    pub allow_merge_commit: bool,
    pub allow_squash_merge: bool,
    pub allow_rebase_merge: bool,
    pub created_at: Timestamp,
    /// Files on the default branch, by path.
    pub files: BTreeMap<String, String>,
    /// Files at other refs (commit shas, branches): ref -> path -> content.
    pub files_at: BTreeMap<String, BTreeMap<String, String>>,
    /// Repository labels by lowercased name.
    pub labels: BTreeMap<String, LabelRec>,
    /// Issues and pull requests by number.
    pub items: BTreeMap<u64, Item>,
    /// Roles by lowercased login.
    pub permissions: HashMap<String, Role>,
    /// Check runs as the API shows them, in creation order.
    pub check_runs: Vec<Value>,
    /// Persistent merge refusals (status, message) by pull request number.
    pub merge_refusals: HashMap<u64, (u16, String)>,
    /// Bodies of successful merge requests by pull request number.
    pub merges: HashMap<u64, Vec<Value>>,
}

impl Repo {
    pub fn new(owner: &str, name: &str, now: Timestamp) -> Repo {
        Repo {
            owner: owner.to_string(),
            name: name.to_string(),
            id: repo_id(owner, name),
            installation: super::DEFAULT_INSTALLATION,
            default_branch: "main".to_string(),
            allow_merge_commit: true,
            allow_squash_merge: true,
            allow_rebase_merge: true,
            created_at: now,
            files: BTreeMap::new(),
            files_at: BTreeMap::new(),
            labels: BTreeMap::new(),
            items: BTreeMap::new(),
            permissions: HashMap::new(),
            check_runs: Vec::new(),
            merge_refusals: HashMap::new(),
            merges: HashMap::new(),
        }
    }

    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// The user's role: as set, `admin` for the owner, `read` for anyone else.
    pub fn role(&self, user: &str) -> Role {
        match self.permissions.get(&user.to_lowercase()) {
            Some(role) => role.clone(),
            None if user.eq_ignore_ascii_case(&self.owner) => Role::base("admin"),
            None => Role::base("read"),
        }
    }

    pub fn label(&self, name: &str) -> Option<&LabelRec> {
        self.labels.get(&name.to_lowercase())
    }
}

#[derive(Clone)]
pub struct Role {
    pub role_name: String,
    /// One of `read`, `triage`, `write`, `maintain`, `admin`.
    pub base: String,
}

impl Role {
    pub fn base(name: &str) -> Role {
        Role {
            role_name: name.to_string(),
            base: name.to_string(),
        }
    }

    /// The collaborator API's legacy `permission`: maintain shows as write, triage as read.
    pub fn legacy(&self) -> &'static str {
        match self.base.as_str() {
            "admin" => "admin",
            "maintain" | "write" => "write",
            _ => "read",
        }
    }
}

pub struct LabelRec {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

/// An issue or a pull request (GitHub numbers both in one sequence).
pub struct Item {
    pub id: u64,
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub author: String,
    pub open: bool,
    pub state_reason: Option<String>,
    pub closed_by: Option<String>,
    /// Label names as shown, in the order they were added.
    pub labels: Vec<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub deleted: bool,
    pub pull: Option<Pull>,
    pub events: Vec<EventRec>,
    pub reviews: Vec<ReviewRec>,
}

impl Item {
    pub fn new(
        id: u64,
        number: u64,
        title: &str,
        author: &str,
        now: Timestamp,
        pull: Option<Pull>,
    ) -> Item {
        Item {
            id,
            number,
            title: title.to_string(),
            body: None,
            author: author.to_string(),
            open: true,
            state_reason: None,
            closed_by: None,
            labels: Vec::new(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            deleted: false,
            pull,
            events: Vec::new(),
            reviews: Vec::new(),
        }
    }

    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
    }

    pub fn merged(&self) -> bool {
        self.pull.as_ref().is_some_and(|p| p.merged_at.is_some())
    }
}

pub struct Pull {
    pub head_sha: String,
    pub head_ref: String,
    pub base_ref: String,
    pub draft: bool,
    pub merged_at: Option<Timestamp>,
    pub merge_commit_sha: Option<String>,
    pub merged_by: Option<String>,
}

/// An issue event (`labeled`, `unlabeled`, `closed`, `reopened`, `merged`).
pub struct EventRec {
    pub id: u64,
    pub event: String,
    pub actor: String,
    pub label: Option<String>,
    pub commit_id: Option<String>,
    pub created_at: Timestamp,
}

pub struct ReviewRec {
    pub id: u64,
    pub user: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED` or `DISMISSED`.
    pub state: String,
    pub body: String,
    pub commit_id: String,
    pub submitted_at: Timestamp,
}

pub struct CommentRec {
    pub id: u64,
    pub repo: RepoKey,
    pub number: u64,
    pub author: String,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An entry of `GET /app/hook/deliveries`.
pub struct DeliveryRec {
    pub id: u64,
    pub guid: String,
    pub delivered_at: String,
    pub redelivery: bool,
    pub status_code: u16,
    pub event: String,
    pub action: Option<String>,
    pub installation_id: Option<u64>,
    /// The body GitHub would send again on a redelivery request (`None`: only listed).
    pub body: Option<Vec<u8>>,
}

impl State {
    pub fn new(base_url: String) -> State {
        State {
            base_url,
            clock: Clock::default(),
            ids: Ids(1000),
            installations: BTreeMap::new(),
            tokens: HashMap::new(),
            repos: BTreeMap::new(),
            comments: BTreeMap::new(),
            deliveries: Vec::new(),
            redeliveries: Vec::new(),
            faults: Vec::new(),
            requests: Vec::new(),
            rate_used: HashMap::new(),
            manifest_codes: BTreeSet::from([MANIFEST_CODE.to_string()]),
            violations: Vec::new(),
            token_mints: BTreeMap::new(),
            token_lifetime: super::auth::TOKEN_LIFETIME,
            hook: None,
            redeliveries_in_flight: Arc::default(),
            teams: HashMap::new(),
        }
    }

    pub fn ensure_installation(&mut self, id: u64, account: &str) {
        let now = self.clock.now();
        self.installations
            .entry(id)
            .or_insert_with(|| Installation {
                id,
                account: account.to_string(),
                created_at: now,
                suspended_at: None,
            });
    }

    // ---- lookups for test setup: a missing resource is a mistake in the test -----------

    pub fn repo_mut(&mut self, owner: &str, repo: &str) -> &mut Repo {
        self.repos
            .get_mut(&RepoKey::new(owner, repo))
            .unwrap_or_else(|| {
                panic!("fake GitHub: no repository {owner}/{repo}; call add_repo first")
            })
    }

    pub fn item_mut(&mut self, owner: &str, repo: &str, number: u64) -> &mut Item {
        self.repo_mut(owner, repo)
            .items
            .get_mut(&number)
            .unwrap_or_else(|| {
                panic!("fake GitHub: no issue or pull request {owner}/{repo}#{number}")
            })
    }

    /// The key of an existing item's repository (panics if the item does not exist).
    pub fn existing_item(&mut self, owner: &str, repo: &str, number: u64) -> RepoKey {
        self.item_mut(owner, repo, number);
        RepoKey::new(owner, repo)
    }

    // ---- operations shared by test setup and handlers ----------------------------------

    /// Creates the repository label if needed; returns its name as the repository spells it.
    pub fn ensure_label(&mut self, key: &RepoKey, name: &str) -> String {
        let id = self.ids.next();
        let repo = self.repos.get_mut(key).expect("repository exists");
        let label = repo
            .labels
            .entry(name.to_lowercase())
            .or_insert_with(|| LabelRec {
                id,
                name: name.to_string(),
                color: "ededed".to_string(),
                description: None,
            });
        label.name.clone()
    }

    /// Adds labels to an item, creating unknown ones in the repository (like GitHub), with a
    /// `labeled` event for each label the item did not have.
    pub fn add_labels(&mut self, key: &RepoKey, number: u64, names: &[String], actor: &str) {
        for name in names {
            let name = self.ensure_label(key, name);
            let (id, now) = (self.ids.next(), self.clock.now());
            let item = self
                .repos
                .get_mut(key)
                .and_then(|r| r.items.get_mut(&number))
                .expect("item exists");
            if !item.has_label(&name) {
                item.labels.push(name.clone());
                item.updated_at = now;
                item.events
                    .push(EventRec::new(id, "labeled", actor, Some(name), now));
            }
        }
    }

    /// Removes a label from an item, with an `unlabeled` event; false if it was not there.
    pub fn remove_label(&mut self, key: &RepoKey, number: u64, name: &str, actor: &str) -> bool {
        let (id, now) = (self.ids.next(), self.clock.now());
        let item = self
            .repos
            .get_mut(key)
            .and_then(|r| r.items.get_mut(&number))
            .expect("item exists");
        let Some(pos) = item
            .labels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(name))
        else {
            return false;
        };
        let removed = item.labels.remove(pos);
        item.updated_at = now;
        item.events
            .push(EventRec::new(id, "unlabeled", actor, Some(removed), now));
        true
    }

    /// Deletes a repository label and takes it off every item; false if it did not exist.
    pub fn delete_label(&mut self, key: &RepoKey, name: &str) -> bool {
        let repo = self.repos.get_mut(key).expect("repository exists");
        if repo.labels.remove(&name.to_lowercase()).is_none() {
            return false;
        }
        for item in repo.items.values_mut() {
            item.labels.retain(|l| !l.eq_ignore_ascii_case(name));
        }
        true
    }

    pub fn close_item(&mut self, key: &RepoKey, number: u64, reason: Option<&str>, actor: &str) {
        let (id, now) = (self.ids.next(), self.clock.now());
        let item = self
            .repos
            .get_mut(key)
            .and_then(|r| r.items.get_mut(&number))
            .expect("item exists");
        if !item.open {
            item.state_reason = reason.map(str::to_string).or(item.state_reason.take());
            return;
        }
        item.open = false;
        item.state_reason = if item.pull.is_some() {
            None
        } else {
            reason.map(str::to_string)
        };
        item.closed_at = Some(now);
        item.closed_by = Some(actor.to_string());
        item.updated_at = now;
        item.events
            .push(EventRec::new(id, "closed", actor, None, now));
    }

    pub fn reopen_item(&mut self, key: &RepoKey, number: u64, actor: &str) {
        let (id, now) = (self.ids.next(), self.clock.now());
        let item = self
            .repos
            .get_mut(key)
            .and_then(|r| r.items.get_mut(&number))
            .expect("item exists");
        if item.open || item.merged() {
            return;
        }
        item.open = true;
        item.state_reason = Some("reopened".to_string());
        item.closed_at = None;
        item.closed_by = None;
        item.updated_at = now;
        item.events
            .push(EventRec::new(id, "reopened", actor, None, now));
    }

    pub fn create_comment(&mut self, key: &RepoKey, number: u64, author: &str, body: &str) -> u64 {
        let (id, now) = (self.ids.next(), self.clock.now());
        self.comments.insert(
            id,
            CommentRec {
                id,
                repo: key.clone(),
                number,
                author: author.to_string(),
                body: body.to_string(),
                created_at: now,
                updated_at: now,
            },
        );
        id
    }

    pub fn comment_count(&self, key: &RepoKey, number: u64) -> usize {
        self.comments
            .values()
            .filter(|c| &c.repo == key && c.number == number)
            .count()
    }

    /// The first fault matching the request, used up by one.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let index = self
            .faults
            .iter()
            .position(|f| f.times > 0 && f.matches(method, path))?;
        let fault = self.faults[index].clone();
        self.faults[index].times -= 1;
        if self.faults[index].times == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }
}

impl EventRec {
    fn new(
        id: u64,
        event: &str,
        actor: &str,
        label: Option<String>,
        created_at: Timestamp,
    ) -> EventRec {
        EventRec {
            id,
            event: event.to_string(),
            actor: actor.to_string(),
            label,
            commit_id: None,
            created_at,
        }
    }
}
