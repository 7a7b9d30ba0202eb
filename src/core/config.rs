//! `.github/tacit.yml` (SPEC section 5): parsing, validation and the
//! per-intent [`Policy`] that is snapshotted into an intent when it opens.
//!
//! Pure: no I/O, no clock. The caller fetches the file; [`RepoConfig::parse`]
//! turns its text into a [`RepoConfig`] or a [`ConfigError`] with the line and
//! column to show the user.
//!
//! The reading is strict: an unknown key anywhere, a value of the wrong type
//! or out of range, or a key that does not apply to an intent's action is an
//! error, never silently ignored. Every value is checked *inside* the YAML
//! deserializer (custom `Deserialize` impls and visitors), so that
//! `serde_norway` attaches the position of the offending value to the error.
//!
//! A YAML `null` (`window:` with nothing after it, `window: ~`) means "not
//! set", like leaving the key out. An empty file, or one with only comments,
//! means all defaults.
//!
//! The serde derives on the public types are for stored snapshots (JSON):
//! durations there are whole seconds (see `super::duration::serde_secs`).
//! They are not the YAML format; use [`RepoConfig::parse`] for the file.
//!
//! [`json_schema`] describes the file for editors (`docs/tacit.schema.json`). It is
//! derived from the very types the file is read with (`FileYaml`, `IntentYaml` and the
//! value types), whose doc comments are the descriptions editors show. What a JSON
//! Schema cannot say (duration bounds, time zone names, labels that ignore case) only
//! the parser checks.

use super::business::DailyHours;
use super::duration::{format_duration, parse_duration};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
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
const AUTHORS_MIN: Role = Role::Write;
/// The least role `objectors` may name: `read` cannot object.
const OBJECTORS_MIN: Role = Role::Triage;

/// What tacit does when an intent's window closes unopposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Merge the pull request.
    Merge,
    /// Comment and close the issue or pull request.
    Close,
    /// Comment that consent was reached (and add `add_label`, if any).
    Accept,
}

impl Action {
    /// The name used in `tacit.yml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Merge => "merge",
            Action::Close => "close",
            Action::Accept => "accept",
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
    fn from_yaml(name: &str) -> Option<Role> {
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
    pub label: String,
    pub action: Action,
    #[serde(with = "super::duration::serde_secs")]
    pub window: Duration,
    #[serde(with = "super::duration::serde_secs")]
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
    /// `None`: the repository's allowed method (merge, else squash, else
    /// rebase). Only ever `Some` for [`Action::Merge`].
    pub merge_method: Option<MergeMethod>,
    /// Label added on success. Only ever `Some` for [`Action::Accept`].
    pub add_label: Option<String>,
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

/// YAML tags (`!name`) mean nothing in `tacit.yml`; a file that uses one is refused
/// rather than read as something its author may not have meant (a lone `!` would
/// otherwise read as an empty file, the defaults).
fn reject_tags(yaml: &str) -> Result<(), ConfigError> {
    fn tagged(v: &serde_norway::Value) -> bool {
        match v {
            serde_norway::Value::Tagged(_) => true,
            serde_norway::Value::Sequence(items) => items.iter().any(tagged),
            serde_norway::Value::Mapping(map) => map.iter().any(|(k, v)| tagged(k) || tagged(v)),
            _ => false,
        }
    }
    match serde_norway::from_str::<serde_norway::Value>(yaml) {
        Ok(v) if tagged(&v) => Err(ConfigError {
            message: "YAML tags (`!...`) are not used in tacit.yml; remove the tag.".into(),
            line: None,
            column: None,
            file: None,
        }),
        // Syntax errors are reported, with their position, by the typed parse.
        _ => Ok(()),
    }
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

impl Default for RepoConfig {
    /// The configuration of a repository without `tacit.yml` (SPEC sections
    /// 2 and 5).
    fn default() -> RepoConfig {
        RepoConfig::from_file(FileYaml::default())
    }
}

impl RepoConfig {
    /// Parses and validates the text of `.github/tacit.yml`.
    pub fn parse(yaml: &str) -> Result<RepoConfig, ConfigError> {
        reject_tags(yaml)?;
        let file: Option<FileYaml> =
            serde_norway::from_str(yaml).map_err(ConfigError::from_yaml)?;
        Ok(RepoConfig::from_file(file.unwrap_or_default()))
    }

    /// The owner's file with the repository's laid over it, key by key (SPEC 5): a key
    /// the repository's file sets (to anything but null) replaces the owner's value, and
    /// an `intents` map replaces the owner's as a whole. Without either file, the
    /// defaults. Each file must be valid on its own; an error names the file and keeps
    /// its line and column. The policies record the files in force.
    pub fn layered(
        owner: Option<ConfigFile<'_>>,
        repo: Option<ConfigFile<'_>>,
    ) -> Result<RepoConfig, ConfigError> {
        let mut merged = serde_norway::Mapping::new();
        let mut files = Vec::new();
        for file in [owner, repo].into_iter().flatten() {
            let in_file = |e: ConfigError| ConfigError {
                file: Some(file.name.to_owned()),
                ..e
            };
            RepoConfig::parse(file.text).map_err(in_file)?;
            let value: serde_norway::Value = serde_norway::from_str(file.text)
                .map_err(|e| in_file(ConfigError::from_yaml(e)))?;
            if let serde_norway::Value::Mapping(map) = value {
                for (key, value) in map {
                    if !value.is_null() {
                        merged.insert(key, value);
                    }
                }
            }
            files.push(file.name.to_owned());
        }
        let file: FileYaml = serde_norway::from_value(serde_norway::Value::Mapping(merged))
            .map_err(|e| ConfigError {
                file: Some(files.join(" + ")),
                ..ConfigError::from_yaml(e)
            })?;
        let mut config = RepoConfig::from_file(file);
        for policy in &mut config.intents {
            policy.provenance.files = files.clone();
        }
        Ok(config)
    }

    /// The policy of the intent labelled `label`, matched ignoring case as
    /// GitHub does; its `label` is the configured spelling.
    pub fn policy(&self, label: &str) -> Option<Policy> {
        self.intents
            .iter()
            .find(|policy| same_label(&policy.label, label))
            .cloned()
    }

    /// The intent labels, as configured.
    pub fn intent_labels(&self) -> Vec<String> {
        self.intents
            .iter()
            .map(|policy| policy.label.clone())
            .collect()
    }

    /// The other labels tacit may need to create (`add_label` values, such
    /// as `consented`), without duplicates.
    pub fn extra_labels(&self) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for label in self.intents.iter().filter_map(|p| p.add_label.as_ref()) {
            if !labels.iter().any(|known| same_label(known, label)) {
                labels.push(label.clone());
            }
        }
        labels
    }

    fn from_file(file: FileYaml) -> RepoConfig {
        let mut holidays: Vec<jiff::civil::Date> = file
            .holidays
            .unwrap_or_default()
            .into_iter()
            .map(|holiday| holiday.0)
            .collect();
        holidays.sort();
        holidays.dedup();
        let base = Policy {
            label: String::new(),
            action: Action::Accept,
            window: file.window.map_or(DEFAULT_WINDOW, |w| w.0),
            after_objection: file
                .after_objection
                .map_or(DEFAULT_AFTER_OBJECTION, |d| d.0),
            approvals: file.approvals.map_or(1, |a| a.0),
            objectors: file.objectors.map_or(Role::Write, |r| r.0),
            authors: file.authors.map_or(Role::Write, |r| r.0),
            bots: file
                .bots
                .unwrap_or_default()
                .into_iter()
                .map(|bot| bot.0)
                .collect(),
            close_reason: file.close_reason.unwrap_or(CloseReason::NotPlanned),
            merge_method: None,
            add_label: None,
            restart_on_push: file.restart_on_push.unwrap_or(true),
            timezone: file.timezone.map_or_else(|| "UTC".to_owned(), |tz| tz.0),
            business_days: file.business_days.unwrap_or(false),
            holidays,
            notify: people(file.notify),
            approvers: people(file.approvers),
            act_within: file.act_within.map(|hours| hours.0),
            digest: file.digest.unwrap_or(false),
            provenance: Provenance::default(),
        };
        let intents = file.intents.map_or_else(default_intents, |i| i.0);
        RepoConfig {
            intents: intents
                .into_iter()
                .map(|(label, spec)| Policy {
                    label,
                    action: spec.action,
                    window: spec.window.unwrap_or(base.window),
                    after_objection: spec.after_objection.unwrap_or(base.after_objection),
                    approvals: spec.approvals.unwrap_or(base.approvals),
                    objectors: spec.objectors.unwrap_or(base.objectors),
                    authors: spec.authors.unwrap_or(base.authors),
                    close_reason: spec.close_reason.unwrap_or(base.close_reason),
                    merge_method: spec.merge_method,
                    add_label: spec.add_label,
                    ..base.clone()
                })
                .collect(),
        }
    }
}

/// `notify` or `approvers` as written, without repeats (logins and teams ignore case).
fn people(list: Option<Vec<Person>>) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    for Person(who) in list.unwrap_or_default() {
        if !people.iter().any(|known| known.eq_ignore_ascii_case(&who)) {
            people.push(who);
        }
    }
    people
}

/// The intents of a repository without `intents:` (SPEC section 2).
fn default_intents() -> Vec<(String, IntentSpec)> {
    let intent = |label: &str, action, add_label: Option<&str>| {
        (
            label.to_owned(),
            IntentSpec {
                add_label: add_label.map(str::to_owned),
                ..IntentSpec::new(action)
            },
        )
    };
    vec![
        intent("intent-to-merge", Action::Merge, None),
        intent("intent-to-close", Action::Close, None),
        intent("intent-to-proceed", Action::Accept, Some("consented")),
    ]
}

/// GitHub label names are case-insensitive.
pub fn same_label(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// Why `tacit.yml` was refused, with the 1-based position of the problem when
/// known. `Display`: `line 3, column 9: unknown key `windw`, expected one of
/// ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location_prefix(*.line, *.column))]
pub struct ConfigError {
    /// The file the error is in, when several were read (layering); the caller
    /// shows it.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

fn location_prefix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("line {line}, column {column}: "),
        (Some(line), None) => format!("line {line}: "),
        _ => String::new(),
    }
}

impl ConfigError {
    fn from_yaml(err: serde_norway::Error) -> ConfigError {
        let location = err.location();
        let mut message = err.to_string();
        if let Some(location) = &location {
            // serde_norway appends the position to its message; it is kept in
            // `line`/`column` instead.
            let suffix = format!(" at line {} column {}", location.line(), location.column());
            if let Some(at) = message.find(&suffix) {
                message.replace_range(at..at + suffix.len(), "");
            }
        }
        // serde's words are about Rust structs; the user wrote YAML keys.
        for (from, to) in [
            ("unknown field", "unknown key"),
            ("missing field", "missing key"),
            ("duplicate field", "duplicate key"),
            ("unknown variant", "unknown value"),
        ] {
            if let Some(at) = message.find(from)
                && (at == 0 || message[..at].ends_with(": "))
            {
                message.replace_range(at..at + from.len(), to);
            }
        }
        ConfigError {
            file: None,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    }
}

// ---------------------------------------------------------------------------
// The file as written. Each wrapper type checks its value inside the YAML
// deserializer, so that errors carry a position. The doc comments of the fields
// are the descriptions in the JSON Schema; the `default`s there are checked
// against the parser's by a test.

/// The configuration of tacit (lazy consensus) for a repository: `.github/tacit.yml`,
/// read from the default branch, else from the owner's `.github` repository. Every
/// key is optional; an empty file means the defaults. Unknown keys are errors.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of tacit settings, like `window: 72h`"
)]
#[schemars(title = "tacit configuration (.github/tacit.yml)")]
struct FileYaml {
    /// How long the objection window stays open: a duration like 30s, 15m, 72h, 3d,
    /// 1w or 1d12h; at least 1s, at most 90d.
    #[schemars(extend("default" = "72h"))]
    window: Option<Window>,
    /// An IANA time zone name, like Europe/Berlin, America/New_York or UTC: the zone
    /// of business days and of the times shown in comments.
    #[schemars(extend("default" = "UTC"))]
    timezone: Option<TimeZoneName>,
    /// true: the window, `after_objection` and `/extend` count only Monday to Friday,
    /// non-holiday time in `timezone`.
    #[schemars(extend("default" = false))]
    business_days: Option<bool>,
    /// Dates (YYYY-MM-DD) that do not count when `business_days` is true.
    #[schemars(extend("default" = []))]
    holidays: Option<Vec<Holiday>>,
    /// The least permission on the repository needed to open an intent (and keep it
    /// open): write, maintain or admin.
    #[schemars(extend("default" = "write"))]
    authors: Option<Authors>,
    /// Bot logins whose labels may open intents, like dependabot[bot] (quote such a
    /// login inside `[...]`). Labels added by other bots open nothing.
    #[schemars(extend("default" = []))]
    bots: Option<Vec<BotLogin>>,
    /// The least permission on the repository needed to object, approve and extend:
    /// triage, write, maintain or admin.
    #[schemars(extend("default" = "write"))]
    objectors: Option<Objectors>,
    /// How many approvals end the window early while no objection is open; 0 turns
    /// early proceed off.
    #[schemars(extend("default" = 1))]
    approvals: Option<Approvals>,
    /// How long the window stays open at least after the last objection is withdrawn:
    /// a duration from 0s to 90d.
    #[schemars(extend("default" = "24h"))]
    after_objection: Option<AfterObjection>,
    /// Whether new commits (or a new base branch) under a merge intent restart the
    /// window and clear approvals.
    #[schemars(extend("default" = true))]
    restart_on_push: Option<bool>,
    /// The reason given when closing an issue: completed or not_planned.
    #[schemars(extend("default" = "not_planned"))]
    close_reason: Option<CloseReason>,
    /// Users (login) and teams (@org/team) mentioned in the status comment when an
    /// intent opens, like [alice, "@acme/reviewers"] (quote a team: YAML reads a
    /// leading @ only inside quotes).
    #[schemars(extend("default" = []))]
    notify: Option<Vec<Person>>,
    /// If given, only these users (login) and teams (@org/team) count toward
    /// `approvals`; others' approvals are listed as not counted. Empty: anyone allowed
    /// to object.
    #[schemars(extend("default" = []))]
    approvers: Option<Vec<Person>>,
    /// Local hours, like "09:00-17:00", in `timezone` (on business days when
    /// `business_days` is true): a window that closes outside them acts when they next
    /// begin. null: any time.
    #[schemars(extend("default" = null))]
    act_within: Option<ActWithin>,
    /// true: keep one issue in the repository, titled "tacit: open intents", that lists
    /// every open intent (item, intent, author, state, closing time, objections). tacit
    /// edits it as intents change, closes it when none is open and reopens it when one
    /// opens. Top-level only.
    #[schemars(extend("default" = false))]
    digest: Option<bool>,
    /// The intent labels and what each does when its window closes unopposed. When
    /// given, it replaces the default set. Label names ignore case, as on GitHub.
    #[schemars(extend("default" = {
        "intent-to-merge": { "action": "merge" },
        "intent-to-close": { "action": "close" },
        "intent-to-proceed": { "action": "accept", "add_label": "consented" }
    }))]
    intents: Option<Intents>,
    /// The address of this file's JSON Schema, which editors add; tacit ignores it.
    #[serde(rename = "$schema")]
    #[allow(dead_code)]
    schema: Option<SchemaAddress>,
}

/// An intent label's settings: what tacit does when its window closes unopposed, and
/// the top-level values it overrides. Keys left out take the top-level value.
// One entry under `intents:`, as written; checked as a whole by `IntentSpec`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "an intent, like `{ action: merge }`")]
#[schemars(extend("allOf" = [
    {
        "if": { "properties": { "action": { "const": "merge" } } },
        "else": { "properties": { "merge_method": { "type": "null" } } }
    },
    {
        "if": { "properties": { "action": { "const": "accept" } } },
        "else": { "properties": { "add_label": { "type": "null" } } }
    }
]))]
struct IntentYaml {
    /// What tacit does when the window closes unopposed: merge (pull requests only),
    /// close, or accept (comment that consent was reached).
    action: Action,
    /// This intent's window, instead of the top-level `window`.
    window: Option<Window>,
    /// This intent's `after_objection`, instead of the top-level one.
    after_objection: Option<AfterObjection>,
    /// This intent's `approvals`, instead of the top-level value.
    approvals: Option<Approvals>,
    /// This intent's `objectors`, instead of the top-level value.
    objectors: Option<Objectors>,
    /// This intent's `authors`, instead of the top-level value.
    authors: Option<Authors>,
    /// This intent's `close_reason`, instead of the top-level value.
    close_reason: Option<CloseReason>,
    /// Only with `action: merge`: how to merge. Without it, the repository's allowed
    /// method: merge, else squash, else rebase.
    merge_method: Option<MergeMethod>,
    /// Only with `action: accept`: the label added when consent is reached (not an
    /// intent label). Without it, accept only comments.
    add_label: Option<LabelName>,
}

/// One intent's own settings; `None` means "the top-level value".
#[derive(Deserialize)]
#[serde(try_from = "IntentYaml")]
struct IntentSpec {
    action: Action,
    window: Option<Duration>,
    after_objection: Option<Duration>,
    approvals: Option<u32>,
    objectors: Option<Role>,
    authors: Option<Role>,
    close_reason: Option<CloseReason>,
    merge_method: Option<MergeMethod>,
    add_label: Option<String>,
}

impl IntentSpec {
    fn new(action: Action) -> IntentSpec {
        IntentSpec {
            action,
            window: None,
            after_objection: None,
            approvals: None,
            objectors: None,
            authors: None,
            close_reason: None,
            merge_method: None,
            add_label: None,
        }
    }
}

impl TryFrom<IntentYaml> for IntentSpec {
    type Error = String;

    fn try_from(intent: IntentYaml) -> Result<IntentSpec, String> {
        let action = intent.action;
        if intent.merge_method.is_some() && action != Action::Merge {
            return Err(format!(
                "merge_method only applies to `action: merge`, not `action: {}`",
                action.as_str()
            ));
        }
        if intent.add_label.is_some() && action != Action::Accept {
            return Err(format!(
                "add_label only applies to `action: accept`, not `action: {}`",
                action.as_str()
            ));
        }
        Ok(IntentSpec {
            action,
            window: intent.window.map(|w| w.0),
            after_objection: intent.after_objection.map(|d| d.0),
            approvals: intent.approvals.map(|a| a.0),
            objectors: intent.objectors.map(|r| r.0),
            authors: intent.authors.map(|r| r.0),
            close_reason: intent.close_reason,
            merge_method: intent.merge_method,
            add_label: intent.add_label.map(|l| l.0),
        })
    }
}

/// `intents:`, in file order.
struct Intents(Vec<(String, IntentSpec)>);

impl JsonSchema for Intents {
    fn schema_name() -> Cow<'static, str> {
        "Intents".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": label_schema(),
            "additionalProperties": generator.subschema_for::<IntentYaml>(),
        })
    }
}

impl<'de> Deserialize<'de> for Intents {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Intents, D::Error> {
        deserializer.deserialize_map(IntentsVisitor)
    }
}

struct IntentsVisitor;

impl<'de> Visitor<'de> for IntentsVisitor {
    type Value = Intents;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping from labels to intents, like `intent-to-merge: { action: merge }`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Intents, A::Error> {
        let mut intents: Vec<(String, IntentSpec)> = Vec::new();
        while let Some(label) = map.next_key_seed(IntentLabel { seen: &intents })? {
            let spec: IntentSpec = map.next_value()?;
            intents.push((label, spec));
        }
        if intents.is_empty() {
            return Err(de::Error::custom(
                "no intents: list at least one, or leave `intents` out for the default ones",
            ));
        }
        for (label, spec) in &intents {
            if let Some(add) = &spec.add_label
                && intents.iter().any(|(other, _)| same_label(other, add))
            {
                return Err(de::Error::custom(format!(
                    "`{label}` has add_label `{add}`, which is an intent label"
                )));
            }
        }
        Ok(Intents(intents))
    }
}

/// A key under `intents:`: a valid label name not listed before.
struct IntentLabel<'a> {
    seen: &'a [(String, IntentSpec)],
}

impl<'de> DeserializeSeed<'de> for IntentLabel<'_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for IntentLabel<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a label name")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        let label = parse_label(value).map_err(E::custom)?;
        if let Some((first, _)) = self.seen.iter().find(|(seen, _)| same_label(seen, &label)) {
            return Err(E::custom(format!(
                "`{label}` is listed twice (as `{first}`; label names ignore case)"
            )));
        }
        Ok(label)
    }
}

/// Deserializes a string through `parse`, inside the YAML deserializer, so
/// that an error carries the position of the value.
fn parse_str<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct StrVisitor<T> {
        expecting: &'static str,
        parse: fn(&str) -> Result<T, String>,
    }
    impl<T> Visitor<'_> for StrVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            (self.parse)(value).map_err(E::custom)
        }
    }
    deserializer.deserialize_str(StrVisitor { expecting, parse })
}

/// Declares a newtype deserialized with [`parse_str`], and its JSON Schema (inlined
/// where it is used, so that the field's description goes with it).
macro_rules! str_value {
    ($name:ident($ty:ty), $expecting:literal, $parse:expr, schema: $schema:expr) => {
        struct $name($ty);
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                parse_str(deserializer, $expecting, $parse).map($name)
            }
        }
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

str_value!(Window(Duration), "a duration, like 72h", |s| {
    parse_bounded(s, MIN_WINDOW, MAX_WINDOW)
}, schema: duration_schema());
str_value!(AfterObjection(Duration), "a duration, like 24h", |s| {
    parse_bounded(s, Duration::ZERO, MAX_AFTER_OBJECTION)
}, schema: duration_schema());
str_value!(
    TimeZoneName(String),
    "a time zone name, like Europe/Berlin",
    |s| {
        match jiff::tz::TimeZone::get(s) {
            Ok(tz) => Ok(tz.iana_name().unwrap_or(s).to_owned()),
            Err(_) => Err(format!(
                "unknown time zone `{s}`: use an IANA name, like Europe/Berlin, America/New_York or UTC"
            )),
        }
    },
    // Not an enum of the tz database's names: the parser also takes them in any case
    // (`europe/berlin`), and the schema would change with every tz release.
    schema: json_schema!({
        "type": "string",
        "minLength": 1,
        "examples": ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"],
    })
);
str_value!(
    Holiday(jiff::civil::Date),
    "a date, like 2026-12-24",
    parse_date,
    schema: json_schema!({
        "type": "string",
        "format": "date",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    })
);
str_value!(Authors(Role), "a role, like write", |s| {
    parse_role(s, AUTHORS_MIN, "open intents")
}, schema: role_schema(AUTHORS_MIN));
str_value!(Objectors(Role), "a role, like write", |s| {
    parse_role(s, OBJECTORS_MIN, "object")
}, schema: role_schema(OBJECTORS_MIN));
str_value!(LabelName(String), "a label name", parse_label, schema: label_schema());
str_value!(BotLogin(String), "a bot login, like dependabot[bot]", |s| {
    if s.is_empty() || s.contains(char::is_whitespace) {
        Err(format!("`{s}` is not a login, like dependabot[bot]"))
    } else {
        Ok(s.to_owned())
    }
}, schema: json_schema!({ "type": "string", "pattern": "^\\S+$" }));

str_value!(
    SchemaAddress(()),
    "the address of a JSON Schema",
    |_| Ok(()),
    schema: json_schema!({ "type": "string" })
);
str_value!(
    Person(String),
    "a login, like octocat, or a team, like @acme/reviewers",
    parse_person,
    schema: json_schema!({
        "type": "string",
        "pattern": "^(@?[A-Za-z0-9]+(-[A-Za-z0-9]+)*|@[A-Za-z0-9]+(-[A-Za-z0-9]+)*/[A-Za-z0-9_.-]+)$",
        "examples": ["octocat", "@acme/reviewers"],
    })
);
str_value!(
    ActWithin(DailyHours),
    "hours, like 09:00-17:00",
    DailyHours::parse,
    schema: json_schema!({
        "type": "string",
        "pattern": "^\\s*([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]\\s*$",
        "examples": ["09:00-17:00"],
    })
);

/// GitHub's longest login.
const MAX_LOGIN_CHARS: usize = 39;
/// GitHub's longest team slug, generously.
const MAX_TEAM_CHARS: usize = 100;

/// A GitHub login (letters, digits, single hyphens inside; at most 39), written with or
/// without `@`, or a team `@org/team-slug`. Logins come out without `@`; teams with it.
fn parse_person(s: &str) -> Result<String, String> {
    let invalid = || {
        format!(
            "`{s}` is not a GitHub login or team: write a login, like octocat, or a team, like \"@acme/reviewers\""
        )
    };
    let is_login = |name: &str| {
        !name.is_empty()
            && name.len() <= MAX_LOGIN_CHARS
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-')
            && !name.contains("--")
    };
    let is_slug = |slug: &str| {
        !slug.is_empty()
            && slug.len() <= MAX_TEAM_CHARS
            && slug
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let s = s.trim();
    match s.strip_prefix('@').unwrap_or(s).split_once('/') {
        Some((org, team)) if s.starts_with('@') && is_login(org) && is_slug(team) => {
            Ok(format!("@{org}/{team}"))
        }
        Some(_) => Err(invalid()),
        None if is_login(s.strip_prefix('@').unwrap_or(s)) => {
            Ok(s.strip_prefix('@').unwrap_or(s).to_owned())
        }
        None => Err(invalid()),
    }
}

/// The shape [`parse_duration`] takes: `<number><unit>` groups, units `w d h m s` in
/// that order, each at most once. (Bounds are the parser's to check.)
fn duration_schema() -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^\\s*(?=[0-9])([0-9]+[wW])?([0-9]+[dD])?([0-9]+[hH])?([0-9]+[mM])?([0-9]+[sS])?\\s*$",
        "examples": ["30s", "15m", "72h", "3d", "1w", "1d12h"],
    })
}

/// The roles [`parse_role`] accepts for `min`, weakest first.
fn role_schema(min: Role) -> Schema {
    let roles: Vec<&str> = [Role::Triage, Role::Write, Role::Maintain, Role::Admin]
        .into_iter()
        .filter(|role| *role >= min)
        .map(Role::as_str)
        .collect();
    json_schema!({ "type": "string", "enum": roles })
}

/// What [`parse_label`] takes (it trims the name first).
fn label_schema() -> Schema {
    json_schema!({ "type": "string", "pattern": "\\S", "maxLength": MAX_LABEL_CHARS })
}

/// A label name: surrounding spaces dropped, not empty, within GitHub's
/// length limit.
fn parse_label(s: &str) -> Result<String, String> {
    let label = s.trim();
    if label.is_empty() {
        Err("a label name cannot be empty".to_owned())
    } else if label.chars().count() > MAX_LABEL_CHARS {
        Err(format!(
            "`{label}` is longer than {MAX_LABEL_CHARS} characters, GitHub's limit for a label name"
        ))
    } else {
        Ok(label.to_owned())
    }
}

fn parse_bounded(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = parse_duration(s).map_err(|e| e.to_string())?;
    if d < min {
        Err(format!(
            "`{}` is too short: use at least {}",
            s.trim(),
            format_duration(min)
        ))
    } else if d > max {
        Err(format!(
            "`{}` is too long: use at most {}",
            s.trim(),
            format_duration(max)
        ))
    } else {
        Ok(d)
    }
}

/// `YYYY-MM-DD`, exactly.
fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    let invalid = || format!("`{s}` is not a date: use YYYY-MM-DD, like 2026-12-24");
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(invalid());
    }
    // Only ASCII digits, so the parses below cannot fail.
    let number = |range: std::ops::Range<usize>| s[range].parse::<i16>().map_err(|_| invalid());
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (Ok(month), Ok(day)) = (i8::try_from(month), i8::try_from(day)) else {
        return Err(invalid());
    };
    jiff::civil::Date::new(year, month, day).map_err(|_| invalid())
}

/// A role of at least `min`, named exactly as in `tacit.yml`.
fn parse_role(s: &str, min: Role, what: &str) -> Result<Role, String> {
    // `read` is never allowed: neither intents nor objections are for it.
    let mut allowed = String::new();
    for role in [Role::Triage, Role::Write, Role::Maintain] {
        if role >= min {
            allowed.push_str(role.as_str());
            allowed.push_str(", ");
        }
    }
    allowed.push_str("or admin");
    match Role::from_yaml(s) {
        Some(role) if role >= min => Ok(role),
        Some(_) => Err(format!("`{s}` may not {what}: use {allowed}")),
        None => Err(format!("unknown role `{s}`: use {allowed}")),
    }
}

/// `approvals`: a whole number, 0 or more.
struct Approvals(u32);

impl JsonSchema for Approvals {
    fn schema_name() -> Cow<'static, str> {
        "Approvals".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 0, "maximum": u32::MAX })
    }
}

/// The JSON Schema of `.github/tacit.yml` (draft 7, which editors support best),
/// self-contained, for `docs/tacit.schema.json` and `tacit config-schema`.
pub fn json_schema() -> serde_json::Value {
    let mut settings = schemars::generate::SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let schema = settings.into_generator().into_root_schema_for::<FileYaml>();
    let mut schema = schema.to_value();
    // An empty file (YAML null) means the defaults.
    schema["type"] = serde_json::json!(["object", "null"]);
    canonical(schema)
}

/// [`json_schema`] as the text of `docs/tacit.schema.json`: pretty, keys sorted at
/// every level (whatever the order of the map type underneath), ending in a newline.
pub fn json_schema_text() -> String {
    let mut text =
        serde_json::to_string_pretty(&json_schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Keys sorted at every level, whatever the order of the map type underneath; and
/// descriptions as paragraphs, without the line breaks of the doc comments they come
/// from (editors show them as text, not as Markdown source).
fn canonical(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| match value {
                        Value::String(text) if key == "description" => {
                            (key, Value::String(unwrap_lines(&text)))
                        }
                        value => (key, canonical(value)),
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

impl<'de> Deserialize<'de> for Approvals {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Approvals, D::Error> {
        struct ApprovalsVisitor;
        impl Visitor<'_> for ApprovalsVisitor {
            type Value = Approvals;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number of approvals, 0 or more")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Approvals, E> {
                u32::try_from(n)
                    .map(Approvals)
                    .map_err(|_| E::custom(format!("`{n}` approvals is too many")))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Approvals, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom(format!(
                        "`{n}` is negative: use 0 or more (0 turns early proceed off)"
                    ))),
                }
            }
        }
        deserializer.deserialize_any(ApprovalsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const H: u64 = 3_600;
    const D: u64 = 86_400;

    fn hours(n: u64) -> Duration {
        Duration::from_secs(n * H)
    }

    /// The policy every default intent shares, before its own settings.
    fn default_policy(label: &str, action: Action) -> Policy {
        Policy {
            label: label.to_owned(),
            action,
            window: hours(72),
            after_objection: hours(24),
            approvals: 1,
            objectors: Role::Write,
            authors: Role::Write,
            bots: vec![],
            close_reason: CloseReason::NotPlanned,
            merge_method: None,
            add_label: None,
            restart_on_push: true,
            timezone: "UTC".to_owned(),
            business_days: false,
            holidays: vec![],
            notify: vec![],
            approvers: vec![],
            act_within: None,
            digest: false,
            provenance: Provenance::default(),
        }
    }

    fn parse_err(yaml: &str) -> ConfigError {
        match RepoConfig::parse(yaml) {
            Ok(config) => panic!("expected an error for {yaml:?}, got {config:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn defaults_match_the_spec() {
        let config = RepoConfig::default();
        assert_eq!(
            config.intents,
            vec![
                default_policy("intent-to-merge", Action::Merge),
                default_policy("intent-to-close", Action::Close),
                Policy {
                    add_label: Some("consented".to_owned()),
                    ..default_policy("intent-to-proceed", Action::Accept)
                },
            ]
        );
        assert_eq!(
            config.intent_labels(),
            ["intent-to-merge", "intent-to-close", "intent-to-proceed"]
        );
        assert_eq!(config.extra_labels(), ["consented"]);
    }

    #[test]
    fn empty_files_mean_defaults() {
        for yaml in [
            "",
            "\n",
            "   \n\n",
            "# nothing yet\n",
            "# a\n# b",
            "---\n",
            "---\n# c\n",
            "~",
            "null",
        ] {
            assert_eq!(
                RepoConfig::parse(yaml),
                Ok(RepoConfig::default()),
                "yaml {yaml:?}"
            );
        }
    }

    #[test]
    fn null_values_mean_not_set() {
        let yaml = "window:\ntimezone: ~\nintents:\n";
        assert_eq!(RepoConfig::parse(yaml), Ok(RepoConfig::default()));
    }

    /// The example of SPEC section 5.
    const SPEC_EXAMPLE: &str = "\
window: 72h                 # 30s, 15m, 72h, 3d, 1w, 1d12h; at least 1s, at most 90d
timezone: Europe/Berlin     # IANA name; used for business days and in comments
business_days: false        # true: the window counts only Monday-Friday in `timezone`
holidays: [2026-12-24, 2026-12-25]   # skipped when business_days is true
authors: write              # who may open an intent: write | maintain | admin
bots: []                    # bot logins whose labels may open intents
objectors: write            # who may object and approve: triage | write | maintain | admin
approvals: 1                # approvals that end the window early; 0 = never early
approvers: []               # if given: only these users and @org/teams count toward `approvals`
after_objection: 24h
restart_on_push: true
close_reason: not_planned   # state_reason when closing an issue: completed | not_planned
notify: []                  # users and @org/teams mentioned when an intent opens
act_within: null            # e.g. \"09:00-17:00\": a window that closes outside these hours
                            # in `timezone` (on business days, when business_days is on)
                            # acts when they next begin
digest: false               # true: keep one issue, \"tacit: open intents\", listing them
intents:                    # replaces the default set when given
  intent-to-merge:   { action: merge, window: 48h, merge_method: squash }
  intent-to-close:   { action: close }
  intent-to-proceed: { action: accept, add_label: consented }
";

    #[test]
    fn the_spec_example_parses() {
        let config = RepoConfig::parse(SPEC_EXAMPLE).unwrap();
        let base = |label: &str, action| Policy {
            timezone: "Europe/Berlin".to_owned(),
            holidays: vec![date(2026, 12, 24), date(2026, 12, 25)],
            ..default_policy(label, action)
        };
        assert_eq!(
            config.intents,
            vec![
                Policy {
                    window: hours(48),
                    merge_method: Some(MergeMethod::Squash),
                    ..base("intent-to-merge", Action::Merge)
                },
                base("intent-to-close", Action::Close),
                Policy {
                    add_label: Some("consented".to_owned()),
                    ..base("intent-to-proceed", Action::Accept)
                },
            ]
        );
    }

    /// Every key, at the top level and in an intent.
    const FULL_EXAMPLE: &str = "\
window: 1w
timezone: america/new_york
business_days: true
holidays:
  - 2026-12-25
  - 2026-07-03
  - 2026-12-25
authors: maintain
bots:
  - renovate[bot]
  - 'my-app[bot]'
objectors: triage
approvals: 2
after_objection: 0s
restart_on_push: false
close_reason: completed
intents:
  Ship-It:
    action: merge
    window: 1d12h
    after_objection: 1h
    approvals: 0
    objectors: admin
    authors: admin
    close_reason: not_planned
    merge_method: rebase
  rfc-accept: { action: accept }
";

    #[test]
    fn top_level_values_and_per_intent_overrides() {
        let config = RepoConfig::parse(FULL_EXAMPLE).unwrap();
        let base = Policy {
            label: String::new(),
            action: Action::Accept,
            window: Duration::from_secs(7 * D),
            after_objection: Duration::ZERO,
            approvals: 2,
            objectors: Role::Triage,
            authors: Role::Maintain,
            bots: vec!["renovate[bot]".to_owned(), "my-app[bot]".to_owned()],
            close_reason: CloseReason::Completed,
            merge_method: None,
            add_label: None,
            restart_on_push: false,
            timezone: "America/New_York".to_owned(),
            business_days: true,
            holidays: vec![date(2026, 7, 3), date(2026, 12, 25)],
            notify: vec![],
            approvers: vec![],
            act_within: None,
            digest: false,
            provenance: Provenance::default(),
        };
        assert_eq!(
            config.intents,
            vec![
                Policy {
                    label: "Ship-It".to_owned(),
                    action: Action::Merge,
                    window: hours(36),
                    after_objection: hours(1),
                    approvals: 0,
                    objectors: Role::Admin,
                    authors: Role::Admin,
                    close_reason: CloseReason::NotPlanned,
                    merge_method: Some(MergeMethod::Rebase),
                    ..base.clone()
                },
                Policy {
                    label: "rfc-accept".to_owned(),
                    ..base
                },
            ]
        );
        assert_eq!(config.intent_labels(), ["Ship-It", "rfc-accept"]);
        assert_eq!(config.extra_labels(), Vec::<String>::new());
    }

    #[test]
    fn intents_replace_the_default_set() {
        let config =
            RepoConfig::parse("intents:\n  lgtm: { action: accept, add_label: agreed }\n").unwrap();
        assert_eq!(config.intent_labels(), ["lgtm"]);
        assert_eq!(config.extra_labels(), ["agreed"]);
        assert_eq!(config.policy("intent-to-merge"), None);
    }

    #[test]
    fn policy_lookup_ignores_case() {
        let config = RepoConfig::parse("intents:\n  Intent-To-Ship: { action: merge }\n").unwrap();
        for asked in ["Intent-To-Ship", "intent-to-ship", "INTENT-TO-SHIP"] {
            assert_eq!(
                config.policy(asked).unwrap().label,
                "Intent-To-Ship",
                "asked {asked}"
            );
        }
        assert_eq!(config.policy("intent-to-shi"), None);
        assert_eq!(config.policy(""), None);
        let config = RepoConfig::default();
        assert_eq!(
            config.policy("Intent-To-Merge").unwrap().action,
            Action::Merge
        );
        // Non-ASCII labels compare by Unicode lowercase.
        let config = RepoConfig::parse("intents:\n  ABSICHT-ÄNDERN: { action: close }\n").unwrap();
        assert_eq!(
            config.policy("absicht-ändern").unwrap().label,
            "ABSICHT-ÄNDERN"
        );
    }

    #[test]
    fn extra_labels_are_deduplicated() {
        let yaml = "\
intents:
  a: { action: accept, add_label: Done }
  b: { action: accept, add_label: done }
  c: { action: accept }
  d: { action: accept, add_label: shipped }
";
        assert_eq!(
            RepoConfig::parse(yaml).unwrap().extra_labels(),
            ["Done", "shipped"]
        );
    }

    #[test]
    fn duration_bounds() {
        let window =
            |v: &str| RepoConfig::parse(&format!("window: {v}")).map(|c| c.intents[0].window);
        assert_eq!(window("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(window("90d"), Ok(Duration::from_secs(90 * D)));
        assert_eq!(window("12w6d"), Ok(Duration::from_secs(90 * D)));
        assert!(window("0s").is_err());
        assert!(window("90d1s").is_err());
        assert!(window("13w").is_err());
        let after = |v: &str| {
            RepoConfig::parse(&format!("after_objection: {v}"))
                .map(|c| c.intents[0].after_objection)
        };
        assert_eq!(after("0s"), Ok(Duration::ZERO));
        assert_eq!(after("90d"), Ok(Duration::from_secs(90 * D)));
        assert!(after("91d").is_err());
    }

    /// Files the parser refuses: (yaml, line, column, message).
    const ERROR_CASES: &[(&str, usize, usize, &str)] = &[
        (
            "window: 72h\nwindw: 3d\n",
            2,
            1,
            "unknown key `windw`, expected one of `window`, `timezone`, `business_days`, `holidays`, `authors`, `bots`, `objectors`, `approvals`, `after_objection`, `restart_on_push`, `close_reason`, `notify`, `approvers`, `act_within`, `digest`, `intents`, `$schema`",
        ),
        (
            "window: 3x",
            1,
            9,
            "window: \"3x\" is not a duration: use a number and a unit, like 30s, 15m, 72h, 3d, 1w or 1d12h",
        ),
        (
            "window: 72",
            1,
            9,
            "window: \"72\" has no unit: add s, m, h, d or w, like 30s, 15m, 72h, 3d, 1w or 1d12h",
        ),
        (
            "window: 0s",
            1,
            9,
            "window: `0s` is too short: use at least 1s",
        ),
        (
            "window: 91d",
            1,
            9,
            "window: `91d` is too long: use at most 90d",
        ),
        (
            "window: [72h]",
            1,
            9,
            "window: invalid type: sequence, expected a duration, like 72h",
        ),
        (
            "after_objection: 100d",
            1,
            18,
            "after_objection: `100d` is too long: use at most 90d",
        ),
        (
            "window: 72h\nbusiness_days: true\ntimezone: Europe/Berln\n",
            3,
            11,
            "timezone: unknown time zone `Europe/Berln`: use an IANA name, like Europe/Berlin, America/New_York or UTC",
        ),
        (
            "timezone: ''",
            1,
            11,
            "timezone: unknown time zone ``: use an IANA name, like Europe/Berlin, America/New_York or UTC",
        ),
        (
            "holidays: [2026-12-24, 2026-02-30]",
            1,
            24,
            "holidays[1]: `2026-02-30` is not a date: use YYYY-MM-DD, like 2026-12-24",
        ),
        (
            "holidays:\n  - 2026-1-5\n",
            2,
            5,
            "holidays[0]: `2026-1-5` is not a date: use YYYY-MM-DD, like 2026-12-24",
        ),
        (
            "holidays: 2026-12-24",
            1,
            11,
            "holidays: invalid type: string \"2026-12-24\", expected a sequence",
        ),
        (
            "business_days: yes",
            1,
            16,
            "business_days: invalid type: string \"yes\", expected a boolean",
        ),
        (
            "restart_on_push: 1",
            1,
            18,
            "restart_on_push: invalid type: integer `1`, expected a boolean",
        ),
        (
            "authors: triage",
            1,
            10,
            "authors: `triage` may not open intents: use write, maintain, or admin",
        ),
        (
            "authors: read",
            1,
            10,
            "authors: `read` may not open intents: use write, maintain, or admin",
        ),
        (
            "authors: Write",
            1,
            10,
            "authors: unknown role `Write`: use write, maintain, or admin",
        ),
        (
            "authors: push",
            1,
            10,
            "authors: unknown role `push`: use write, maintain, or admin",
        ),
        (
            "objectors: read",
            1,
            12,
            "objectors: `read` may not object: use triage, write, maintain, or admin",
        ),
        (
            "objectors: everyone",
            1,
            12,
            "objectors: unknown role `everyone`: use triage, write, maintain, or admin",
        ),
        (
            "approvals: -1",
            1,
            12,
            "approvals: `-1` is negative: use 0 or more (0 turns early proceed off)",
        ),
        (
            "approvals: 1.5",
            1,
            12,
            "approvals: invalid type: floating point `1.5`, expected a whole number of approvals, 0 or more",
        ),
        (
            "approvals: two",
            1,
            12,
            "approvals: invalid type: string \"two\", expected a whole number of approvals, 0 or more",
        ),
        (
            "approvals: 4294967296",
            1,
            12,
            "approvals: `4294967296` approvals is too many",
        ),
        (
            "close_reason: done",
            1,
            15,
            "close_reason: unknown value `done`, expected `completed` or `not_planned`",
        ),
        (
            "bots: [\"\"]",
            1,
            8,
            "bots[0]: `` is not a login, like dependabot[bot]",
        ),
        (
            "bots: dependabot",
            1,
            7,
            "bots: invalid type: string \"dependabot\", expected a sequence",
        ),
        (
            "intents: {}",
            1,
            10,
            "intents: no intents: list at least one, or leave `intents` out for the default ones",
        ),
        (
            "intents:\n  intent-to-merge: { action: merg }\n",
            2,
            30,
            "intents.intent-to-merge.action: unknown value `merg`, expected one of `merge`, `close`, `accept`",
        ),
        (
            "intents:\n  intent-to-merge: { window: 48h }\n",
            2,
            20,
            "intents.intent-to-merge: missing key `action`",
        ),
        (
            "intents:\n  intent-to-merge:\n    action: merge\n    merge_methd: squash\n",
            4,
            5,
            "intents.intent-to-merge: unknown key `merge_methd`, expected one of `action`, `window`, `after_objection`, `approvals`, `objectors`, `authors`, `close_reason`, `merge_method`, `add_label`",
        ),
        (
            "intents:\n  intent-to-merge:\n    action: merge\n    timezone: UTC\n",
            4,
            5,
            "intents.intent-to-merge: unknown key `timezone`, expected one of `action`, `window`, `after_objection`, `approvals`, `objectors`, `authors`, `close_reason`, `merge_method`, `add_label`",
        ),
        (
            "intents:\n  intent-to-merge: { action: merge, merge_method: fast-forward }\n",
            2,
            51,
            "intents.intent-to-merge.merge_method: unknown value `fast-forward`, expected one of `merge`, `squash`, `rebase`",
        ),
        (
            "intents:\n  intent-to-close: { action: close, merge_method: squash }\n",
            2,
            3,
            "intents: merge_method only applies to `action: merge`, not `action: close`",
        ),
        (
            "intents:\n  intent-to-merge:\n    action: merge\n    add_label: merged\n",
            2,
            3,
            "intents: add_label only applies to `action: accept`, not `action: merge`",
        ),
        (
            "intents:\n  intent-to-merge: { action: merge, window: 0s }\n",
            2,
            45,
            "intents.intent-to-merge.window: `0s` is too short: use at least 1s",
        ),
        (
            "intents:\n  a: { action: accept, add_label: '' }\n",
            2,
            35,
            "intents.a.add_label: a label name cannot be empty",
        ),
        (
            "intents:\n  ? ''\n  : { action: accept }\n",
            2,
            5,
            "intents: a label name cannot be empty",
        ),
        (
            "intents:\n  a-label-name-that-is-much-longer-than-fifty-characters-x: { action: close }\n",
            2,
            3,
            "intents: `a-label-name-that-is-much-longer-than-fifty-characters-x` is longer than 50 characters, GitHub's limit for a label name",
        ),
        (
            "intents:\n  ship: { action: merge }\n  Ship: { action: close }\n",
            3,
            3,
            "intents: `Ship` is listed twice (as `ship`; label names ignore case)",
        ),
        (
            // Checked once all intents are read: serde_norway points at
            // the first entry of `intents`.
            "intents:\n  a: { action: accept, add_label: B }\n  b: { action: close }\n",
            2,
            3,
            "intents: `a` has add_label `B`, which is an intent label",
        ),
        (
            "intents: [intent-to-merge]",
            1,
            10,
            "intents: invalid type: sequence, expected a mapping from labels to intents, like `intent-to-merge: { action: merge }`",
        ),
        (
            "- window: 72h",
            1,
            1,
            "invalid type: sequence, expected a mapping of tacit settings, like `window: 72h`",
        ),
        (
            "just text",
            1,
            1,
            "invalid type: string \"just text\", expected a mapping of tacit settings, like `window: 72h`",
        ),
        ("window: 72h\nwindow: 48h\n", 1, 1, "duplicate key `window`"),
    ];

    #[test]
    fn errors_have_positions_and_say_what_to_do() {
        for &(yaml, line, column, message) in ERROR_CASES {
            let err = parse_err(yaml);
            assert_eq!(
                (err.line, err.column, err.message.as_str()),
                (Some(line), Some(column), message),
                "yaml {yaml:?}"
            );
            assert_eq!(
                err.to_string(),
                format!("line {line}, column {column}: {message}")
            );
        }
    }

    #[test]
    fn intent_only_keys_are_unknown_at_top_level() {
        for (yaml, key) in [
            ("action: merge", "action"),
            ("window: 72h\nmerge_method: squash", "merge_method"),
            ("add_label: consented", "add_label"),
        ] {
            let err = parse_err(yaml);
            assert!(
                err.message
                    .starts_with(&format!("unknown key `{key}`, expected one of `window`")),
                "{err}"
            );
        }
    }

    #[test]
    fn yaml_syntax_errors_have_positions() {
        let err = parse_err("window: 72h\nintents: {a: [\n");
        assert!(err.line.is_some() && err.column.is_some(), "{err:?}");
        assert!(!err.message.is_empty());
        let err = parse_err("window: 72h\n- x\n");
        assert_eq!(err.line, Some(2), "{err:?}");
        // `[` inside a flow sequence is YAML syntax: bot logins there must be
        // quoted (`bots: [\"dependabot[bot]\"]`), or written as a block list.
        let err = parse_err("window: 72h\nbots: [dependabot[bot]]\n");
        assert_eq!(err.line, Some(2), "{err:?}");
        let config = RepoConfig::parse("bots: [\"dependabot[bot]\"]").unwrap();
        assert_eq!(config.intents[0].bots, ["dependabot[bot]"]);
        let err = parse_err("\twindow: 72h\n");
        assert_eq!(err.line, Some(1), "{err:?}");
        for tagged in ["!", "!foo\n", "bots: [!x a]\n"] {
            let err = parse_err(tagged);
            assert!(err.message.contains("YAML tags"), "{tagged:?}: {err:?}");
        }
    }

    #[test]
    fn errors_without_position() {
        let err = parse_err("window: 72h\n---\nwindow: 48h\n");
        assert_eq!((err.line, err.column), (None, None));
        assert_eq!(
            err.to_string(),
            "deserializing from YAML containing more than one document is not supported"
        );
        let err = ConfigError {
            file: None,
            line: Some(4),
            column: None,
            message: "x".to_owned(),
        };
        assert_eq!(err.to_string(), "line 4: x");
    }

    #[test]
    fn valid_values_of_each_kind() {
        let one = |yaml: &str| RepoConfig::parse(yaml).unwrap().intents.remove(0);
        for (name, role) in [
            ("write", Role::Write),
            ("maintain", Role::Maintain),
            ("admin", Role::Admin),
        ] {
            assert_eq!(one(&format!("authors: {name}")).authors, role);
        }
        for (name, role) in [
            ("triage", Role::Triage),
            ("write", Role::Write),
            ("maintain", Role::Maintain),
            ("admin", Role::Admin),
        ] {
            assert_eq!(one(&format!("objectors: {name}")).objectors, role);
        }
        for (name, method) in [
            ("merge", MergeMethod::Merge),
            ("squash", MergeMethod::Squash),
            ("rebase", MergeMethod::Rebase),
        ] {
            let yaml = format!("intents:\n  m: {{ action: merge, merge_method: {name} }}");
            assert_eq!(one(&yaml).merge_method, Some(method));
        }
        assert_eq!(
            one("close_reason: completed").close_reason,
            CloseReason::Completed
        );
        assert_eq!(
            one("close_reason: not_planned").close_reason,
            CloseReason::NotPlanned
        );
        assert_eq!(one("approvals: 0").approvals, 0);
        assert_eq!(one("approvals: 4294967295").approvals, u32::MAX);
        for (tz, canonical) in [
            ("UTC", "UTC"),
            ("Europe/Berlin", "Europe/Berlin"),
            ("asia/kolkata", "Asia/Kolkata"),
            ("Asia/Kathmandu", "Asia/Kathmandu"),
        ] {
            assert_eq!(one(&format!("timezone: {tz}")).timezone, canonical);
        }
        assert_eq!(
            one("holidays: ['2028-02-29']").holidays,
            [date(2028, 2, 29)]
        );
        assert!(RepoConfig::parse("holidays: [2027-02-29]").is_err());
        assert!(one("business_days: true").business_days);
        assert!(!one("restart_on_push: false").restart_on_push);
    }

    #[test]
    fn roles() {
        let cases: &[(&str, Option<Role>)] = &[
            ("read", Some(Role::Read)),
            ("triage", Some(Role::Triage)),
            ("write", Some(Role::Write)),
            ("maintain", Some(Role::Maintain)),
            ("admin", Some(Role::Admin)),
            ("pull", Some(Role::Read)),
            ("push", Some(Role::Write)),
            ("Admin", Some(Role::Admin)),
            ("none", None),
            ("security-manager", None),
            ("", None),
        ];
        for &(name, role) in cases {
            assert_eq!(Role::from_role_name(name), role, "name {name}");
        }
        assert!(Role::Read < Role::Triage);
        assert!(Role::Triage < Role::Write);
        assert!(Role::Write < Role::Maintain);
        assert!(Role::Maintain < Role::Admin);
        for role in [
            Role::Read,
            Role::Triage,
            Role::Write,
            Role::Maintain,
            Role::Admin,
        ] {
            assert_eq!(Role::from_role_name(role.as_str()), Some(role));
        }
    }

    #[test]
    fn snapshots_round_trip_as_json() {
        let config = RepoConfig::parse(
            "timezone: Europe/Berlin\nholidays: [2026-12-24]\nintents:\n  m: { action: merge, merge_method: squash }\n  c: { action: close }\n",
        )
        .unwrap();
        let json = serde_json::to_value(&config).unwrap();
        let policy = &json["intents"][0];
        assert_eq!(policy["window"], 259_200);
        assert_eq!(policy["after_objection"], 86_400);
        assert_eq!(policy["action"], "merge");
        assert_eq!(policy["merge_method"], "squash");
        assert_eq!(policy["objectors"], "write");
        assert_eq!(policy["close_reason"], "not_planned");
        assert_eq!(policy["holidays"][0], "2026-12-24");
        assert_eq!(serde_json::from_value::<RepoConfig>(json).unwrap(), config);
    }

    // ---- the JSON Schema --------------------------------------------------------

    /// The file as the JSON a schema validator sees, if YAML lets it be JSON.
    fn as_json(yaml: &str) -> Option<serde_json::Value> {
        serde_norway::from_str(yaml).ok()
    }

    fn schema_validator() -> jsonschema::Validator {
        jsonschema::options()
            .should_validate_formats(true)
            .build(&json_schema())
            .expect("the schema compiles")
    }

    /// What only the parser refuses: values of the right shape whose bounds, names or
    /// relations to each other a JSON Schema cannot check.
    const PARSER_ONLY: &[&str] = &[
        "window: 0s",
        "window: 91d",
        "after_objection: 100d",
        "window: 72h\nbusiness_days: true\ntimezone: Europe/Berln\n",
        "intents:\n  intent-to-merge: { action: merge, window: 0s }\n",
        "intents:\n  ship: { action: merge }\n  Ship: { action: close }\n",
        "intents:\n  a: { action: accept, add_label: B }\n  b: { action: close }\n",
        // JSON has no duplicate keys (editors flag this one as a YAML error).
        "window: 72h\nwindow: 48h\n",
    ];

    #[test]
    fn the_schema_is_a_draft_7_schema_of_every_key() {
        let schema = json_schema();
        assert!(jsonschema::meta::is_valid(&schema));
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["additionalProperties"], false);
        let intent = &schema["properties"]["intents"]["additionalProperties"];
        assert_eq!(intent["additionalProperties"], false);
        assert_eq!(intent["required"], serde_json::json!(["action"]));
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        let mut top = keys(&schema["properties"]);
        top.sort();
        assert_eq!(
            top,
            [
                "$schema",
                "act_within",
                "after_objection",
                "approvals",
                "approvers",
                "authors",
                "bots",
                "business_days",
                "close_reason",
                "digest",
                "holidays",
                "intents",
                "notify",
                "objectors",
                "restart_on_push",
                "timezone",
                "window"
            ]
        );
        assert_eq!(keys(&intent["properties"]).len(), 9);
        // Every key says what it is for.
        for (key, property) in schema["properties"].as_object().unwrap() {
            assert!(property["description"].is_string(), "{key}");
        }
        for (key, property) in intent["properties"].as_object().unwrap() {
            assert!(property["description"].is_string(), "intents.*.{key}");
        }
        assert_eq!(
            schema["properties"]["window"]["description"],
            "How long the objection window stays open: a duration like 30s, 15m, 72h, 3d, \
             1w or 1d12h; at least 1s, at most 90d."
        );
        assert_eq!(unwrap_lines("a\nb\n\nc\n d"), "a b\n\nc d");
        // The text is stable: the same keys in the same order every time.
        assert_eq!(json_schema_text(), json_schema_text());
        assert!(json_schema_text().ends_with("}\n"));
    }

    #[test]
    fn the_schema_defaults_are_the_parsers() {
        let schema = json_schema();
        let mut defaults = serde_json::Map::new();
        for (key, property) in schema["properties"].as_object().unwrap() {
            if key == "$schema" {
                continue; // ignored: it has no value of tacit's
            }
            let default = property
                .get("default")
                .unwrap_or_else(|| panic!("`{key}` has no default in the schema"));
            defaults.insert(key.clone(), default.clone());
        }
        let defaults = serde_json::Value::Object(defaults);
        assert!(schema_validator().is_valid(&defaults));
        // JSON is YAML.
        let mut parsed = RepoConfig::parse(&defaults.to_string()).unwrap();
        let mut expected = RepoConfig::default();
        // The schema's keys are sorted, so are its default intents.
        parsed.intents.sort_by(|a, b| a.label.cmp(&b.label));
        expected.intents.sort_by(|a, b| a.label.cmp(&b.label));
        assert_eq!(parsed, expected);
    }

    #[test]
    fn the_schema_takes_what_the_parser_takes() {
        let mut cases: Vec<String> = [
            SPEC_EXAMPLE,
            FULL_EXAMPLE,
            "",
            "# nothing yet\n",
            "---\n",
            "~",
            "window:\ntimezone: ~\nintents:\n",
            "bots: [\"dependabot[bot]\"]",
            "holidays: ['2028-02-29']",
            "timezone: asia/kolkata",
            "approvals: 0",
            "approvals: 4294967295",
            "after_objection: 0s",
            "window: 12w6d",
            "window: 1D12H",
            "intents:\n  Intent-To-Ship: { action: merge }\n",
            "intents:\n  ABSICHT-ÄNDERN: { action: close }\n",
            "intents:\n  lgtm: { action: accept, add_label: agreed }\n",
            "intents:\n  m: { action: merge, merge_method: ~ }\n",
            "intents:\n  c: { action: close, add_label: ~ }\n",
        ]
        .map(str::to_owned)
        .to_vec();
        for role in ["write", "maintain", "admin"] {
            cases.push(format!("authors: {role}"));
        }
        for role in ["triage", "write", "maintain", "admin"] {
            cases.push(format!("objectors: {role}"));
        }
        for method in ["merge", "squash", "rebase"] {
            cases.push(format!(
                "intents:\n  m: {{ action: merge, merge_method: {method} }}"
            ));
        }
        for reason in ["completed", "not_planned"] {
            cases.push(format!("close_reason: {reason}"));
        }
        let validator = schema_validator();
        for yaml in &cases {
            assert!(RepoConfig::parse(yaml).is_ok(), "{yaml:?}");
            let json = as_json(yaml).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&json)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{yaml:?}: {errors:?}");
        }
    }

    #[test]
    fn the_schema_refuses_what_the_parser_refuses_where_it_can_say_so() {
        let validator = schema_validator();
        let mut cases: Vec<&str> = ERROR_CASES.iter().map(|case| case.0).collect();
        cases.extend([
            "action: merge",
            "window: 72h\nmerge_method: squash",
            "add_label: consented",
            "intents:\n  m: { action: merge, merge_method: squash, add_label: x }\n",
        ]);
        for yaml in cases {
            assert!(RepoConfig::parse(yaml).is_err(), "{yaml:?}");
            // A YAML syntax error comes before any schema.
            let Some(json) = as_json(yaml) else {
                continue;
            };
            assert_eq!(
                !validator.is_valid(&json),
                !PARSER_ONLY.contains(&yaml),
                "{yaml:?}: the schema should refuse it too, or it belongs in PARSER_ONLY"
            );
        }
    }

    #[test]
    fn as_str_names_match_serde() {
        for action in [Action::Merge, Action::Close, Action::Accept] {
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
        for method in [MergeMethod::Merge, MergeMethod::Squash, MergeMethod::Rebase] {
            assert_eq!(serde_json::to_value(method).unwrap(), method.as_str());
        }
        for reason in [CloseReason::Completed, CloseReason::NotPlanned] {
            assert_eq!(serde_json::to_value(reason).unwrap(), reason.as_str());
        }
        for role in [
            Role::Read,
            Role::Triage,
            Role::Write,
            Role::Maintain,
            Role::Admin,
        ] {
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
    }
}

/// `$schema`, `notify`, `approvers`, `act_within` and layering (SPEC 5).
#[cfg(test)]
mod people_tests {
    use super::*;

    fn only(yaml: &str) -> Policy {
        RepoConfig::parse(yaml).unwrap().intents.remove(0)
    }

    fn error(yaml: &str) -> ConfigError {
        RepoConfig::parse(yaml).expect_err(yaml)
    }

    #[test]
    fn a_schema_address_is_allowed_and_ignored() {
        let yaml = "$schema: https://example.com/tacit.schema.json\nwindow: 2h\n";
        assert_eq!(only(yaml).window, Duration::from_secs(7_200));
        assert_eq!(
            RepoConfig::parse("$schema: ./tacit.schema.json\n").unwrap(),
            RepoConfig::default()
        );
        // Only at the top: inside an intent it is a key like any other.
        let err = error("intents:\n  ship: { action: merge, $schema: x }\n");
        assert!(err.message.contains("unknown key `$schema`"), "{err}");
    }

    #[test]
    fn notify_and_approvers_take_logins_and_teams() {
        let policy = only(
            "notify: [alice, \"@acme/reviewers\", '@bob', Alice]\n\
             approvers: [carol-d, \"@acme/release_team.v2\"]\n",
        );
        // `@` dropped from logins, repeats (ignoring case) dropped.
        assert_eq!(policy.notify, ["alice", "@acme/reviewers", "bob"]);
        assert_eq!(policy.approvers, ["carol-d", "@acme/release_team.v2"]);
        assert_eq!(team_of("@acme/reviewers"), Some(("acme", "reviewers")));
        assert_eq!(team_of("alice"), None);
        let defaults = only("");
        assert!(defaults.notify.is_empty() && defaults.approvers.is_empty());
        assert_eq!(
            only("notify: []\napprovers:\n").approvers,
            Vec::<String>::new()
        );
    }

    #[test]
    fn people_are_checked_with_line_and_column() {
        for (yaml, line, column) in [
            ("window: 1h\nnotify: [alice, -bob]\n", 2, 17),
            ("approvers: [\"@acme/te am\"]\n", 1, 13),
            ("approvers: [\"@acme/\"]\n", 1, 13),
            ("approvers: [\"acme/team\"]\n", 1, 13),
            ("notify: [\"al ice\"]\n", 1, 10),
            ("notify: [a--b]\n", 1, 10),
            (
                "notify: [abcdefghijabcdefghijabcdefghijabcdefghij]\n",
                1,
                10,
            ),
        ] {
            let err = error(yaml);
            assert_eq!(
                (err.line, err.column),
                (Some(line), Some(column)),
                "{yaml:?}: {err}"
            );
            assert!(
                err.message.contains("is not a GitHub login or team"),
                "{err}"
            );
        }
        let err = error("notify: alice\n");
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("expected a sequence"), "{err}");
    }

    #[test]
    fn act_within_is_checked_when_parsed() {
        let policy = only("act_within: \"09:00-17:00\"\n");
        assert_eq!(
            policy.act_within,
            Some(DailyHours::parse("09:00-17:00").unwrap())
        );
        assert_eq!(only("act_within: null\n").act_within, None);
        let err = error("window: 1h\nact_within: 17:00-09:00\n");
        assert_eq!((err.line, err.column), (Some(2), Some(13)));
        assert!(err.message.contains("ends before it starts"), "{err}");
        let err = error("act_within: 9-5\n");
        assert!(err.message.contains("HH:MM-HH:MM"), "{err}");
        // Stored with the intent, and read back from rows written before it existed.
        let json = serde_json::to_value(&policy).unwrap();
        assert_eq!(json["act_within"], "09:00-17:00");
        let mut old = json.clone();
        for key in ["notify", "approvers", "act_within", "provenance"] {
            old.as_object_mut().unwrap().remove(key);
        }
        let read: Policy = serde_json::from_value(old).unwrap();
        assert_eq!(read.act_within, None);
        assert!(read.notify.is_empty() && read.provenance.files.is_empty());
    }

    #[test]
    fn digest_is_a_top_level_switch() {
        assert!(!only("").digest, "off by default");
        assert!(!only("digest: false\n").digest);
        let on = RepoConfig::parse("digest: true\n").unwrap();
        assert!(
            on.intents.iter().all(|p| p.digest),
            "every intent carries it"
        );
        let err = error("digest: yes please\n");
        assert!(err.message.contains("expected a boolean"), "{err}");
        // Not a per-intent key (SPEC 5 lists those): the digest is the repository's.
        let err = error("intents:\n  ship: { action: merge, digest: true }\n");
        assert!(err.message.contains("unknown key `digest`"), "{err}");
        // Layered like the other keys.
        let config =
            RepoConfig::layered(file(OWNER, "digest: true\n"), file(REPO, "window: 1h\n")).unwrap();
        assert!(config.intents[0].digest);
        let config =
            RepoConfig::layered(file(OWNER, "digest: true\n"), file(REPO, "digest: false\n"))
                .unwrap();
        assert!(!config.intents[0].digest);
        // Stored with the intent; rows written before it existed read `false`.
        let mut json = serde_json::to_value(&on.intents[0]).unwrap();
        assert_eq!(json["digest"], true);
        json.as_object_mut().unwrap().remove("digest");
        assert!(!serde_json::from_value::<Policy>(json).unwrap().digest);
    }

    fn file<'a>(name: &'a str, text: &'a str) -> Option<ConfigFile<'a>> {
        Some(ConfigFile { name, text })
    }

    const OWNER: &str = "acme/.github/.github/tacit.yml";
    const REPO: &str = "acme/widget/.github/tacit.yml";

    #[test]
    fn the_repository_file_is_laid_over_the_owners_key_by_key() {
        let owner = "window: 48h\ntimezone: Europe/Berlin\nnotify: [\"@acme/maintainers\"]\n\
                     intents:\n  ship: { action: merge }\n  drop: { action: close }\n";
        let repo = "$schema: x\nwindow: 2h\nnotify: [alice]\ntimezone:\n";
        let config = RepoConfig::layered(file(OWNER, owner), file(REPO, repo)).unwrap();
        let labels = config.intent_labels();
        assert_eq!(labels, ["ship", "drop"]);
        let ship = config.policy("ship").unwrap();
        assert_eq!(ship.window, Duration::from_secs(7_200));
        // A list is a value like any other: replaced, not joined.
        assert_eq!(ship.notify, ["alice"]);
        // `timezone:` (null) in the repository's file sets nothing.
        assert_eq!(ship.timezone, "Europe/Berlin");
        assert_eq!(ship.provenance.files, [OWNER, REPO]);

        // An `intents` map replaces the owner's as a whole.
        let repo = "intents:\n  intent-to-proceed: { action: accept }\n";
        let config = RepoConfig::layered(file(OWNER, owner), file(REPO, repo)).unwrap();
        assert_eq!(config.intent_labels(), ["intent-to-proceed"]);
        assert_eq!(
            config.intents[0].window,
            Duration::from_secs(48 * 3_600),
            "the owner's other keys stay"
        );
    }

    #[test]
    fn either_file_alone_or_neither() {
        let owner_only = RepoConfig::layered(file(OWNER, "approvals: 2\n"), None).unwrap();
        assert!(owner_only.intents.iter().all(|p| p.approvals == 2));
        assert_eq!(owner_only.intents[0].provenance.files, [OWNER]);
        let repo_only = RepoConfig::layered(None, file(REPO, "approvals: 3\n")).unwrap();
        assert!(repo_only.intents.iter().all(|p| p.approvals == 3));
        assert_eq!(repo_only.intents[0].provenance.files, [REPO]);
        assert_eq!(
            RepoConfig::layered(None, None).unwrap(),
            RepoConfig::default()
        );
        // Empty files and comments count as files, setting nothing.
        let empty = RepoConfig::layered(file(OWNER, "# soon\n"), file(REPO, "")).unwrap();
        assert_eq!(empty.intents[0].provenance.files, [OWNER, REPO]);
        assert_eq!(empty.intent_labels(), RepoConfig::default().intent_labels());
    }

    #[test]
    fn a_layering_error_names_its_file_with_line_and_column() {
        let err = RepoConfig::layered(file(OWNER, "window: 1h\nwindw: 2h\n"), file(REPO, ""))
            .unwrap_err();
        assert_eq!(err.file.as_deref(), Some(OWNER));
        assert_eq!((err.line, err.column), (Some(2), Some(1)));
        let err = RepoConfig::layered(file(OWNER, "window: 1h\n"), file(REPO, "approvers: [-x]\n"))
            .unwrap_err();
        assert_eq!(err.file.as_deref(), Some(REPO));
        assert_eq!((err.line, err.column), (Some(1), Some(13)));
        // The repository's file is checked on its own, whatever the owner's says.
        let err = RepoConfig::layered(None, file(REPO, "intents:\n")).map(|_| ());
        assert!(err.is_ok(), "null intents means the defaults: {err:?}");
    }

    #[test]
    fn the_schema_knows_the_new_keys() {
        let validator = jsonschema::options()
            .build(&json_schema())
            .expect("the schema compiles");
        for yaml in [
            "$schema: https://example.com/s.json\n",
            "notify: [alice, \"@acme/reviewers\", \"@bob\"]\n",
            "approvers: [carol-d, \"@acme/release_team.v2\"]\n",
            "act_within: \"09:00-17:00\"\n",
            "act_within: null\n",
            "digest: false\n",
            "digest: true\n",
        ] {
            assert!(RepoConfig::parse(yaml).is_ok(), "{yaml:?}");
            let json: serde_json::Value = serde_norway::from_str(yaml).unwrap();
            assert!(validator.is_valid(&json), "{yaml:?}");
        }
        for yaml in [
            "notify: [-bob]\n",
            "approvers: [\"acme/team\"]\n",
            "notify: alice\n",
            "act_within: 9-5\n",
            "act_within: \"09:00\"\n",
            "digest: 1\n",
            "intents:\n  ship: { action: merge, digest: true }\n",
        ] {
            assert!(RepoConfig::parse(yaml).is_err(), "{yaml:?}");
            let json: serde_json::Value = serde_norway::from_str(yaml).unwrap();
            assert!(!validator.is_valid(&json), "{yaml:?}");
        }
    }
}
