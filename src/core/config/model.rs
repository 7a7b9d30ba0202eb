//! The configuration as the rest of tacit uses it: the intents of a repository
//! ([`RepoConfig`]), each one's [`Policy`], and the values they hold.

use crate::core::business::DailyHours;
use crate::core::names::LabelName;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `window` when not configured: 72 hours.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(72 * 3_600);
/// `after_objection` when not configured: 24 hours.
pub const DEFAULT_AFTER_OBJECTION: Duration = Duration::from_secs(24 * 3_600);
/// The shortest `window` accepted.
pub const MIN_WINDOW: Duration = Duration::from_secs(1);
/// The longest `window` accepted: 90 days.
pub const MAX_WINDOW: Duration = Duration::from_secs(90 * 86_400);
/// The longest `after_objection` accepted: 90 days. Its shortest is `0s`
/// (act as soon as the last objection is withdrawn): unlike an empty window,
/// a zero pause after an objection still leaves the whole window before it.
pub const MAX_AFTER_OBJECTION: Duration = Duration::from_secs(90 * 86_400);
/// GitHub's limit on the length of a label name, in characters.
pub const MAX_LABEL_CHARS: usize = 50;
/// The least role `authors` may name: `read` and `triage` cannot open intents.
pub(super) const AUTHORS_MIN: Role = Role::Write;
/// The least role `objectors` may name: `read` cannot object.
pub(super) const OBJECTORS_MIN: Role = Role::Triage;

/// What tacit does when an intent's window closes unopposed, with the settings that
/// exist only for that action.
///
/// Stored inside each intent's policy, flat, as it always was: `"action": "merge"`
/// beside `"merge_method"`, `"add_label"` beside `"action": "accept"` (a stored
/// `null` of the other action's key is ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Merge the pull request. `method`: `None` is the repository's allowed method
    /// (merge, else squash, else rebase).
    Merge {
        #[serde(rename = "merge_method", default)]
        method: Option<MergeMethod>,
    },
    /// Comment and close the issue or pull request.
    Close,
    /// Comment that consent was reached, and add `add_label` if given.
    Accept {
        #[serde(default)]
        add_label: Option<LabelName>,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Merge { .. } => ActionKind::Merge,
            Action::Close => ActionKind::Close,
            Action::Accept { .. } => ActionKind::Accept,
        }
    }

    pub fn is_merge(&self) -> bool {
        matches!(self, Action::Merge { .. })
    }

    /// The name used in `tacit.yml`.
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }
}

/// Which action, without its settings: `action:` in `tacit.yml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActionKind {
    /// Merge the pull request.
    Merge,
    /// Comment and close the issue or pull request.
    Close,
    /// Comment that consent was reached (and add `add_label`, if any).
    Accept,
}

impl ActionKind {
    /// The name used in `tacit.yml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Merge => "merge",
            ActionKind::Close => "close",
            ActionKind::Accept => "accept",
        }
    }
}

/// A repository permission level, weakest first (`Read < Triage < ... <
/// Admin`), so that "at least `write`" is `role >= Role::Write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Role {
    /// Reads the collaborator permission API's `role_name` (`read`,
    /// `triage`, `write`, `maintain`, `admin`), also accepting the legacy
    /// `permission` values `pull` (read) and `push` (write). ASCII case is
    /// ignored. A custom role name gives `None`: only the caller can map it to
    /// its base role.
    pub fn from_role_name(name: &str) -> Option<Role> {
        const NAMES: [(&str, Role); 7] = [
            ("read", Role::Read),
            ("pull", Role::Read),
            ("triage", Role::Triage),
            ("write", Role::Write),
            ("push", Role::Write),
            ("maintain", Role::Maintain),
            ("admin", Role::Admin),
        ];
        NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|&(_, role)| role)
    }

    /// The name used in `tacit.yml` and by GitHub's `role_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Triage => "triage",
            Role::Write => "write",
            Role::Maintain => "maintain",
            Role::Admin => "admin",
        }
    }

    /// The exact lowercase names accepted in `tacit.yml`.
    pub(super) fn from_yaml(name: &str) -> Option<Role> {
        [
            Role::Read,
            Role::Triage,
            Role::Write,
            Role::Maintain,
            Role::Admin,
        ]
        .into_iter()
        .find(|role| role.as_str() == name)
    }
}

/// How a pull request is merged, as in GitHub's merge API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MergeMethod {
    /// A merge commit.
    Merge,
    /// The pull request's commits squashed into one.
    Squash,
    /// The pull request's commits rebased onto the base branch.
    Rebase,
}

impl MergeMethod {
    /// The name used in `tacit.yml` and by GitHub's merge API.
    pub fn as_str(self) -> &'static str {
        match self {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }
}

/// The `state_reason` given when closing an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// Closed as completed.
    Completed,
    /// Closed as not planned.
    NotPlanned,
}

impl CloseReason {
    /// The name used in `tacit.yml` and by GitHub's issues API.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Completed => "completed",
            CloseReason::NotPlanned => "not_planned",
        }
    }
}

/// Everything one intent needs, resolved from the file (per-intent overrides
/// applied) — snapshotted into the intent when it opens.
///
/// Stored inside each intent: a field missing from a stored snapshot (added after
/// it was written) takes its value from [`Policy::default`], the default
/// configuration's, so a new field needs no attribute of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// The intent label, spelled as configured.
    pub label: LabelName,
    #[serde(flatten)]
    pub action: Action,
    #[serde(with = "crate::core::duration::serde_secs")]
    pub window: Duration,
    #[serde(with = "crate::core::duration::serde_secs")]
    pub after_objection: Duration,
    /// Approvals that end the window early; 0 turns early proceed off.
    pub approvals: u32,
    /// The least role allowed to object, approve and extend.
    pub objectors: Role,
    /// The least role allowed to open (and keep) an intent.
    pub authors: Role,
    /// Bot logins whose labels may open intents, as written in the file.
    pub bots: Vec<String>,
    pub close_reason: CloseReason,
    pub restart_on_push: bool,
    /// IANA name, validated at parse time (the tz database's canonical
    /// spelling, e.g. `Europe/Berlin` for `europe/berlin`).
    pub timezone: String,
    pub business_days: bool,
    /// Sorted, without duplicates.
    pub holidays: Vec<jiff::civil::Date>,
    /// Users (`login`) and teams (`@org/team`) mentioned in the status comment when it
    /// is created. Validated at parse time.
    #[serde(default)]
    pub notify: Vec<String>,
    /// If not empty, only these users (`login`) and teams (`@org/team`) count toward
    /// `approvals`. Validated at parse time.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// The local hours (in `timezone`, on business days when `business_days` is on) in
    /// which a closing window may act; `None`: any time.
    #[serde(default)]
    pub act_within: Option<DailyHours>,
    /// Keep the repository's digest issue, "tacit: open intents", listing the open
    /// intents opened with this on (SPEC 5). Top-level only: the same for every intent
    /// of a file. Rows stored before it existed read `false`, as before.
    #[serde(default)]
    pub digest: bool,
    /// The configuration files this policy came from.
    #[serde(default)]
    pub provenance: Provenance,
}

/// Which `tacit.yml` files are in force (SPEC 5), for the status comment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The files laid over each other, the owner's first, each as
    /// `owner/repo/.github/tacit.yml`. Empty: the defaults.
    #[serde(default)]
    pub files: Vec<String>,
    /// The owner's `.github` repository when tacit could not read a file there
    /// (GitHub answered 404 or 403), so a shared file there, if any, is not applied.
    #[serde(default)]
    pub owner_unreadable: Option<String>,
}

/// Where tacit reads its configuration in a repository (and in the owner's `.github`).
pub const CONFIG_FILE: &str = ".github/tacit.yml";

/// A `notify` or `approvers` entry that names a team: `@org/team` -> `(org, team)`.
pub fn team_of(entry: &str) -> Option<(&str, &str)> {
    entry.strip_prefix('@')?.split_once('/')
}

impl Default for Policy {
    /// The default configuration's `intent-to-merge` policy (no `tacit.yml`).
    fn default() -> Policy {
        static DEFAULT: std::sync::LazyLock<Policy> = std::sync::LazyLock::new(|| {
            RepoConfig::default()
                .policy("intent-to-merge")
                .expect("the default configuration has intent-to-merge")
        });
        DEFAULT.clone()
    }
}

/// A parsed `tacit.yml`: the intents it defines, each fully resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoConfig {
    /// In the order of the file (or the default order), labels distinct
    /// ignoring case.
    pub intents: Vec<Policy>,
}

/// One configuration file to lay over another: its name, as shown to people (like
/// `acme/.github/.github/tacit.yml`), and its text.
#[derive(Debug, Clone, Copy)]
pub struct ConfigFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl RepoConfig {
    /// The policy of the intent labelled `label`, matched ignoring case as
    /// GitHub does; its `label` is the configured spelling.
    pub fn policy(&self, label: &str) -> Option<Policy> {
        self.intents
            .iter()
            .find(|policy| policy.label == label)
            .cloned()
    }

    /// The intent labels, as configured.
    pub fn intent_labels(&self) -> Vec<String> {
        self.intents
            .iter()
            .map(|policy| policy.label.to_string())
            .collect()
    }

    /// The other labels tacit may need to create (`add_label` values, such
    /// as `consented`), without duplicates.
    pub fn extra_labels(&self) -> Vec<String> {
        let mut labels: Vec<&LabelName> = Vec::new();
        let added = self.intents.iter().filter_map(|p| match &p.action {
            Action::Accept { add_label } => add_label.as_ref(),
            _ => None,
        });
        for label in added {
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        labels.into_iter().map(LabelName::to_string).collect()
    }
}
