use super::*;
use super::{model::*, parse::*, schema::*};
use jiff::civil::date;
use std::time::Duration;

const H: u64 = 3_600;
const D: u64 = 86_400;

fn hours(n: u64) -> Duration {
    Duration::from_secs(n * H)
}

/// The policy every default intent shares, before its own settings.
fn default_policy(label: &str, action: Action) -> Policy {
    Policy {
        label: label.into(),
        action,
        window: hours(72),
        after_objection: hours(24),
        approvals: 1,
        objectors: Role::Write,
        authors: Role::Write,
        bots: vec![],
        close_reason: CloseReason::NotPlanned,
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
            default_policy("intent-to-merge", Action::Merge { method: None }),
            default_policy("intent-to-close", Action::Close),
            default_policy(
                "intent-to-proceed",
                Action::Accept {
                    add_label: Some("consented".into())
                }
            ),
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
                ..base(
                    "intent-to-merge",
                    Action::Merge {
                        method: Some(MergeMethod::Squash)
                    }
                )
            },
            base("intent-to-close", Action::Close),
            base(
                "intent-to-proceed",
                Action::Accept {
                    add_label: Some("consented".into())
                }
            ),
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
        label: Default::default(),
        action: Action::Accept { add_label: None },
        window: Duration::from_secs(7 * D),
        after_objection: Duration::ZERO,
        approvals: 2,
        objectors: Role::Triage,
        authors: Role::Maintain,
        bots: vec!["renovate[bot]".to_owned(), "my-app[bot]".to_owned()],
        close_reason: CloseReason::Completed,
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
                label: "Ship-It".into(),
                action: Action::Merge {
                    method: Some(MergeMethod::Rebase),
                },
                window: hours(36),
                after_objection: hours(1),
                approvals: 0,
                objectors: Role::Admin,
                authors: Role::Admin,
                close_reason: CloseReason::NotPlanned,
                ..base.clone()
            },
            Policy {
                label: "rfc-accept".into(),
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
        Action::Merge { method: None }
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
    let window = |v: &str| RepoConfig::parse(&format!("window: {v}")).map(|c| c.intents[0].window);
    assert_eq!(window("1s"), Ok(Duration::from_secs(1)));
    assert_eq!(window("90d"), Ok(Duration::from_secs(90 * D)));
    assert_eq!(window("12w6d"), Ok(Duration::from_secs(90 * D)));
    assert!(window("0s").is_err());
    assert!(window("90d1s").is_err());
    assert!(window("13w").is_err());
    let after = |v: &str| {
        RepoConfig::parse(&format!("after_objection: {v}")).map(|c| c.intents[0].after_objection)
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
        assert_eq!(
            one(&yaml).action,
            Action::Merge {
                method: Some(method)
            }
        );
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
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
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
    for action in [ActionKind::Merge, ActionKind::Close, ActionKind::Accept] {
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

/// The action's settings are stored flat beside `action`, as before they were part of
/// `Action`: a row written by an older release reads, and an older release reads ours.
#[test]
fn the_action_and_its_settings_are_stored_flat() {
    let config = RepoConfig::parse(
        "intents:\n  m: { action: merge, merge_method: squash }\n  c: { action: close }\n  a: { action: accept, add_label: ok }\n",
    )
    .unwrap();
    let json: Vec<serde_json::Value> = config
        .intents
        .iter()
        .map(|p| serde_json::to_value(p).unwrap())
        .collect();
    assert_eq!(json[0]["action"], "merge");
    assert_eq!(json[0]["merge_method"], "squash");
    assert_eq!(json[1]["action"], "close");
    assert!(json[1].get("merge_method").is_none() && json[1].get("add_label").is_none());
    assert_eq!(json[2]["action"], "accept");
    assert_eq!(json[2]["add_label"], "ok");
    for (policy, stored) in config.intents.iter().zip(&json) {
        let back: Policy = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(&back, policy);
    }
    // As an older release wrote a close policy: both keys present, null.
    let mut old = json[1].clone();
    old["merge_method"] = serde_json::Value::Null;
    old["add_label"] = serde_json::Value::Null;
    let back: Policy = serde_json::from_value(old).unwrap();
    assert_eq!(back.action, Action::Close);
}
