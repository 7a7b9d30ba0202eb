//! The file as written: the types `serde_norway` reads `tacit.yml` into, each
//! checking its value as it is read, and whose doc comments are the JSON Schema's
//! descriptions; and how a file read resolves into a [`RepoConfig`] (defaults filled in).

use super::model::{
    AUTHORS_MIN, Action, ActionKind, CloseReason, DEFAULT_AFTER_OBJECTION, DEFAULT_WINDOW,
    MAX_AFTER_OBJECTION, MAX_WINDOW, MIN_WINDOW, MergeMethod, OBJECTORS_MIN, Policy, Provenance,
    RepoConfig, Role,
};
use super::schema::{duration_schema, label_schema, role_schema};
use super::validate::{parse_bounded, parse_date, parse_label, parse_person, parse_role};
use crate::core::business::DailyHours;
use crate::core::names::{LabelName, Login};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

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
pub(super) struct FileYaml {
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
pub(super) struct IntentYaml {
    /// What tacit does when the window closes unopposed: merge (pull requests only),
    /// close, or accept (comment that consent was reached).
    action: ActionKind,
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
    add_label: Option<LabelYaml>,
}

/// One intent's own settings; `None` means "the top-level value".
#[derive(Deserialize)]
#[serde(try_from = "IntentYaml")]
pub(super) struct IntentSpec {
    action: Action,
    window: Option<Duration>,
    after_objection: Option<Duration>,
    approvals: Option<u32>,
    objectors: Option<Role>,
    authors: Option<Role>,
    close_reason: Option<CloseReason>,
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
        }
    }
}

impl TryFrom<IntentYaml> for IntentSpec {
    type Error = String;

    fn try_from(intent: IntentYaml) -> Result<IntentSpec, String> {
        let kind = intent.action;
        if intent.merge_method.is_some() && kind != ActionKind::Merge {
            return Err(format!(
                "merge_method only applies to `action: merge`, not `action: {}`",
                kind.as_str()
            ));
        }
        if intent.add_label.is_some() && kind != ActionKind::Accept {
            return Err(format!(
                "add_label only applies to `action: accept`, not `action: {}`",
                kind.as_str()
            ));
        }
        let action = match kind {
            ActionKind::Merge => Action::Merge {
                method: intent.merge_method,
            },
            ActionKind::Close => Action::Close,
            ActionKind::Accept => Action::Accept {
                add_label: intent.add_label.map(|l| LabelName::new(l.0)),
            },
        };
        Ok(IntentSpec {
            action,
            window: intent.window.map(|w| w.0),
            after_objection: intent.after_objection.map(|d| d.0),
            approvals: intent.approvals.map(|a| a.0),
            objectors: intent.objectors.map(|r| r.0),
            authors: intent.authors.map(|r| r.0),
            close_reason: intent.close_reason,
        })
    }
}

/// `intents:`, in file order.
pub(super) struct Intents(Vec<(String, IntentSpec)>);

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

pub(super) struct IntentsVisitor;

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
            if let Action::Accept {
                add_label: Some(add),
            } = &spec.action
                && intents
                    .iter()
                    .any(|(other, _)| LabelName::new(other.as_str()) == *add)
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
pub(super) struct IntentLabel<'a> {
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
        if let Some((first, _)) = self
            .seen
            .iter()
            .find(|(seen, _)| LabelName::new(seen.as_str()) == label)
        {
            return Err(E::custom(format!(
                "`{label}` is listed twice (as `{first}`; label names ignore case)"
            )));
        }
        Ok(label)
    }
}

/// Deserializes a string through `parse`, inside the YAML deserializer, so
/// that an error carries the position of the value.
pub(super) fn parse_str<'de, D, T>(
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
str_value!(LabelYaml(String), "a label name", parse_label, schema: label_schema());
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

/// `approvals`: a whole number, 0 or more.
pub(super) struct Approvals(u32);

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

impl Default for RepoConfig {
    /// The configuration of a repository without `tacit.yml` (SPEC sections
    /// 2 and 5).
    fn default() -> RepoConfig {
        RepoConfig::from_file(FileYaml::default())
    }
}

impl RepoConfig {
    pub(super) fn from_file(file: FileYaml) -> RepoConfig {
        let mut holidays: Vec<jiff::civil::Date> = file
            .holidays
            .unwrap_or_default()
            .into_iter()
            .map(|holiday| holiday.0)
            .collect();
        holidays.sort();
        holidays.dedup();
        let base = Policy {
            label: LabelName::default(),
            action: Action::Close,
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
                    label: LabelName::new(label),
                    action: spec.action,
                    window: spec.window.unwrap_or(base.window),
                    after_objection: spec.after_objection.unwrap_or(base.after_objection),
                    approvals: spec.approvals.unwrap_or(base.approvals),
                    objectors: spec.objectors.unwrap_or(base.objectors),
                    authors: spec.authors.unwrap_or(base.authors),
                    close_reason: spec.close_reason.unwrap_or(base.close_reason),
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
        if !people.iter().any(|known| Login::same(known, &who)) {
            people.push(who);
        }
    }
    people
}

/// The intents of a repository without `intents:` (SPEC section 2).
pub(super) fn default_intents() -> Vec<(String, IntentSpec)> {
    let intent = |label: &str, action| (label.to_owned(), IntentSpec::new(action));
    vec![
        intent("intent-to-merge", Action::Merge { method: None }),
        intent("intent-to-close", Action::Close),
        intent(
            "intent-to-proceed",
            Action::Accept {
                add_label: Some("consented".into()),
            },
        ),
    ]
}
