//! Unit tests of the people and hours settings across the core: `approvers` and
//! `act_within` in the intent machine, and their wording with `notify` and the
//! configuration files in force in the status comment.

use std::time::Duration;

use jiff::Timestamp;

use super::business::DailyHours;
use super::commands::Command;
use super::config::{Policy, Provenance, RepoConfig, Role};
use super::intent::{Actor, Asked, Effect, Event, Intent, NotCounted, Opening, Source, Verdict};
use super::render;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn policy(yaml: &str, label: &str) -> Policy {
    RepoConfig::parse(yaml).unwrap().policy(label).unwrap()
}

/// An intent whose status comment appeared at `at`: its window runs from then.
fn open(policy: Policy, at: Timestamp) -> Intent {
    let mut intent = Intent::open(Opening {
        policy,
        is_pull: true,
        item_author: "dave".into(),
        author: "alice".into(),
        at,
        now: at,
        head_sha: Some("sha".into()),
        carried: Vec::new(),
    })
    .0;
    intent.handle(Event::Noticed { at, comment: None }, at);
    intent
}

fn approve(login: &str, approver: bool, comment: u64, at: Timestamp) -> Event {
    Event::Command {
        actor: Actor {
            login: login.into(),
            role: Some(Role::Write),
            approver,
        },
        command: Command::Approve,
        source: Source::Comment(comment),
        url: None,
        at,
        sender_is_author: true,
        edited_from: None,
    }
}

const APPROVERS: &str = "window: 72h\napprovers: [carol, \"@acme/release\"]\n";

#[test]
fn only_listed_approvers_count_and_others_are_told_why() {
    let t0 = ts("2026-03-02T09:00:00Z");
    let mut intent = open(policy(APPROVERS, "intent-to-merge"), t0);
    let later = t0 + Duration::from_secs(60);
    // bob may object, but is not an approver: a concern, not an approval.
    let effects = intent.handle(approve("bob", false, 1, later), later);
    assert_eq!(effects, vec![Effect::SyncStatus]);
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.concerns.len(), 1);
    assert_eq!(intent.concerns[0].reason, Some(NotCounted::NotAnApprover));
    let text = crate::core::render::status_comment(&intent, "x", later);
    assert!(
        text.contains("only approvals by `carol`, `@acme/release` count"),
        "{text}"
    );
    assert!(!intent.early_proceed());
    // Listed by name (any case): counts, whatever the shell said.
    intent.handle(approve("Carol", false, 2, later), later);
    assert_eq!(intent.approvals.len(), 1);
    assert!(intent.early_proceed());
}

#[test]
fn a_team_member_counts_when_the_shell_found_them() {
    let t0 = ts("2026-03-02T09:00:00Z");
    let mut intent = open(policy(APPROVERS, "intent-to-merge"), t0);
    let later = t0 + Duration::from_secs(60);
    intent.handle(approve("frank", true, 1, later), later);
    assert_eq!(intent.approvals.len(), 1);
    assert!(intent.concerns.is_empty());
}

#[test]
fn without_approvers_anyone_allowed_to_object_approves() {
    let t0 = ts("2026-03-02T09:00:00Z");
    let mut intent = open(policy("window: 72h\n", "intent-to-merge"), t0);
    let later = t0 + Duration::from_secs(60);
    intent.handle(approve("bob", false, 1, later), later);
    assert_eq!(intent.approvals.len(), 1);
}

#[test]
fn an_approving_review_by_a_non_approver_still_ends_their_review_objection() {
    let t0 = ts("2026-03-02T09:00:00Z");
    let mut intent = open(policy(APPROVERS, "intent-to-merge"), t0);
    let at = t0 + Duration::from_secs(60);
    let review = |id, verdict| Event::Review {
        actor: Actor {
            login: "bob".into(),
            role: Some(Role::Write),
            approver: false,
        },
        review_id: id,
        verdict,
        body: "needs tests".into(),
        commit_id: Some("sha".into()),
        url: None,
        at,
    };
    intent.handle(review(1, Verdict::ChangesRequested), at);
    assert_eq!(intent.objections.len(), 1);
    intent.handle(review(2, Verdict::Approved), at);
    assert!(intent.objections.is_empty());
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.concerns[0].asked, Some(Asked::ApprovedReview));
}

#[test]
fn a_window_closing_outside_the_hours_acts_when_they_begin() {
    // Monday 2026-03-02 10:00 Berlin (09:00 UTC) + 8h = 18:00, after 17:00.
    let yaml = "window: 8h\ntimezone: Europe/Berlin\nact_within: \"09:00-17:00\"\n";
    let t0 = ts("2026-03-02T09:00:00Z");
    let intent = open(policy(yaml, "intent-to-merge"), t0);
    assert_eq!(intent.closes_at(), ts("2026-03-03T08:00:00Z"));
    assert_eq!(intent.next_due(), Some(ts("2026-03-03T08:00:00Z")));
    // Inside the hours: unchanged.
    let intent = open(
        policy(
            "window: 2h\ntimezone: Europe/Berlin\nact_within: \"09:00-17:00\"\n",
            "intent-to-merge",
        ),
        t0,
    );
    assert_eq!(intent.closes_at(), ts("2026-03-02T11:00:00Z"));
    // Business days and a holiday: Friday 2026-03-06 16:00 Berlin + 2h = 18:00; the
    // Monday after is a holiday, so Tuesday 09:00.
    let yaml = "window: 2h\ntimezone: Europe/Berlin\nbusiness_days: true\n\
                holidays: [2026-03-09]\nact_within: \"09:00-17:00\"\n";
    let intent = open(policy(yaml, "intent-to-merge"), ts("2026-03-06T15:00:00Z"));
    assert_eq!(intent.closes_at(), ts("2026-03-10T08:00:00Z"));
    // The status comment shows the moved time and says why.
    let text = render::status_comment(&intent, "i1", ts("2026-03-06T15:00:00Z"));
    assert!(text.contains("2026-03-10 09:00 CET (+01:00)"), "{text}");
    assert!(
        text.contains("tacit acts only from 09:00 to 17:00 (Europe/Berlin, Monday to Friday)"),
        "{text}"
    );
}

#[test]
fn the_hours_move_the_close_after_an_objection_too() {
    let yaml = "window: 1h\nafter_objection: 1h\nact_within: \"09:00-17:00\"\n";
    let t0 = ts("2026-03-02T09:00:00Z");
    let mut intent = open(policy(yaml, "intent-to-close"), t0);
    let object = |comment, command, at| Event::Command {
        actor: Actor {
            login: "bob".into(),
            role: Some(Role::Write),
            approver: false,
        },
        command,
        source: Source::Comment(comment),
        url: None,
        at,
        sender_is_author: true,
        edited_from: None,
    };
    let at = ts("2026-03-02T09:30:00Z");
    intent.handle(
        object(
            1,
            Command::Object {
                reason: "wait".into(),
            },
            at,
        ),
        at,
    );
    let at = ts("2026-03-02T16:30:00Z");
    intent.handle(object(2, Command::Withdraw, at), at);
    // 16:30 + 1h = 17:30 UTC: outside, so the next morning.
    assert_eq!(intent.ready_at(), Some(ts("2026-03-03T09:00:00Z")));
}

#[test]
fn notify_is_one_cc_line_in_every_version_of_the_status_comment() {
    let yaml = "notify: [bob, \"@acme/reviewers\"]\n";
    let t0 = ts("2026-03-02T09:00:00Z");
    let mut intent = open(policy(yaml, "intent-to-merge"), t0);
    let first = render::status_comment(&intent, "i1", t0);
    assert_eq!(
        first.matches("cc @bob @acme/reviewers").count(),
        1,
        "{first}"
    );
    let later = t0 + Duration::from_secs(60);
    intent.handle(approve("erin", false, 1, later), later);
    let edit = render::status_comment(&intent, "i1", later);
    assert_eq!(edit.matches("cc @bob @acme/reviewers").count(), 1, "{edit}");
    // Without `notify`, nobody is mentioned but the author.
    let quiet = open(policy("", "intent-to-merge"), t0);
    assert!(!render::status_comment(&quiet, "i1", t0).contains("cc "));
}

#[test]
fn the_status_comment_names_the_files_in_force() {
    let mut p = policy("", "intent-to-merge");
    assert_eq!(
        render::configuration_line(&p),
        None,
        "intents stored before"
    );
    p.provenance = Provenance {
        files: vec![
            "acme/.github/.github/tacit.yml".into(),
            "acme/w/.github/tacit.yml".into(),
        ],
        owner_unreadable: None,
    };
    assert_eq!(
        render::configuration_line(&p).unwrap(),
        "Configuration: `acme/w/.github/tacit.yml`, laid over `acme/.github/.github/tacit.yml`."
    );
    p.provenance = Provenance {
        files: vec![],
        owner_unreadable: Some("acme/.github".into()),
    };
    let line = render::configuration_line(&p).unwrap();
    assert!(line.contains("the defaults"), "{line}");
    assert!(
        line.contains("counts only if tacit is installed on `acme/.github`"),
        "{line}"
    );
    p.provenance = Provenance {
        files: vec!["acme/w/.github/tacit.yml".into()],
        owner_unreadable: Some("acme/.github".into()),
    };
    let line = render::configuration_line(&p).unwrap();
    assert!(
        line.starts_with("Configuration: `acme/w/.github/tacit.yml`."),
        "{line}"
    );
    assert!(line.contains("could not read `acme/.github`"), "{line}");
    let intent = open(p, ts("2026-03-02T09:00:00Z"));
    let text = render::status_comment(&intent, "i1", ts("2026-03-02T09:00:00Z"));
    assert!(
        text.contains("<sub>Configuration: `acme/w/.github/tacit.yml`."),
        "{text}"
    );
}

#[test]
fn label_descriptions_say_what_each_label_does_within_githubs_limit() {
    let config = RepoConfig::parse("window: 1w3d\n").unwrap();
    let descriptions: Vec<String> = config
        .intents
        .iter()
        .map(render::label_description)
        .collect();
    assert_eq!(
        descriptions,
        [
            "tacit merges this pull request after a 10d window in which anyone may /object",
            "tacit closes this after a 10d window in which anyone may /object",
            "tacit records consent after a 10d window in which anyone may /object",
        ]
    );
    assert!(descriptions.iter().all(|d| d.chars().count() <= 100));
    let _ = DailyHours::parse("09:00-17:00").unwrap();
}
