//! `$schema`, `notify`, `approvers`, `act_within` and layering (SPEC 5).

use super::*;
use super::{model::*, parse::*};
use crate::core::business::DailyHours;
use std::time::Duration;

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
        RepoConfig::layered(file(OWNER, "digest: true\n"), file(REPO, "digest: false\n")).unwrap();
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
    let err =
        RepoConfig::layered(file(OWNER, "window: 1h\nwindw: 2h\n"), file(REPO, "")).unwrap_err();
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
