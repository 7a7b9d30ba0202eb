//! Writes `tests/fixtures/stored/release-7d8afd3/`: intents and effects exactly as the
//! store of release 7d8afd3 writes them (`serde_json::to_string` of the core types),
//! built through the core API. Run once, at that release's types; the files are a
//! contract and are never regenerated (this program is removed after the run).
//!
//! `cargo run --example stored_fixtures`

use std::collections::BTreeSet;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use tacit::core::commands::parse_commands;
use tacit::core::config::{CloseReason, MergeMethod, RepoConfig, Role};
use tacit::core::intent::{
    Actor, Effect, EndReason, Event, Facts, Intent, MergeResult, Objection, Opening, Source,
    Verdict,
};

const DIR: &str = "tests/fixtures/stored/release-7d8afd3";

fn t0() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn at(h: i64, m: i64) -> Timestamp {
    t0() + SignedDuration::from_hours(h) + SignedDuration::from_mins(m)
}

fn cmd(login: &str, role: Option<Role>, body: &str, id: u64, when: Timestamp) -> Event {
    Event::Command {
        actor: Actor {
            login: login.into(),
            role,
        },
        command: parse_commands(body).remove(0),
        source: Source::Comment(id),
        url: Some(format!(
            "https://github.com/octo/repo/pull/7#issuecomment-{id}"
        )),
        at: when,
        sender_is_author: true,
    }
}

fn facts(head: Option<&str>, approvers: &[&str]) -> Facts {
    Facts {
        open: true,
        label_present: true,
        head_sha: head.map(String::from),
        draft: false,
        author_role: Some(Role::Write),
        valid_approvers: approvers.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
    }
}

fn open(config: &RepoConfig, label: &str, is_pull: bool, carried: Vec<Objection>) -> Intent {
    Intent::open(Opening {
        policy: config.policy(label).unwrap(),
        is_pull,
        item_author: "carol".into(),
        author: "alice".into(),
        at: t0(),
        head_sha: is_pull.then(|| "sha-0".to_string()),
        carried,
    })
    .0
}

fn write(name: &str, json: String) {
    std::fs::write(Path::new(DIR).join(name), json).unwrap();
}

fn intent(name: &str, i: &Intent) {
    write(&format!("intent-{name}.json"), serde_json::to_string(i).unwrap());
}

fn main() {
    std::fs::create_dir_all(DIR).unwrap();
    let defaults = RepoConfig::default();
    let w = Some(Role::Write);

    // Open, blocked by an explicit objection and a review's, with an approval, a
    // concern, a notice and an extension.
    let mut i = open(&defaults, "intent-to-merge", true, vec![]);
    i.handle(cmd("bob", w, "/approve", 101, at(1, 0)), at(1, 0));
    i.handle(
        cmd("dave", w, "/object too risky before the release", 102, at(2, 0)),
        at(2, 0),
    );
    i.handle(
        cmd("erin", Some(Role::Read), "/object I do not like it", 103, at(3, 0)),
        at(3, 0),
    );
    i.handle(cmd("bob", w, "/extend 1d", 104, at(4, 0)), at(4, 0));
    i.handle(
        Event::OtherIntentLabel {
            label: "intent-to-close".into(),
            by: "frank".into(),
        },
        at(5, 0),
    );
    i.handle(
        Event::Review {
            actor: Actor {
                login: "grace".into(),
                role: w,
            },
            review_id: 555,
            verdict: Verdict::ChangesRequested,
            body: "Please add a test.".into(),
            commit_id: Some("sha-0".into()),
            url: Some("https://github.com/octo/repo/pull/7#pullrequestreview-555".into()),
            at: at(6, 0),
        },
        at(6, 0),
    );
    intent("open-merge-objected", &i);

    // Verifying: the window closed, tacit re-reads GitHub.
    let mut i = open(&defaults, "intent-to-merge", true, vec![]);
    assert_eq!(i.handle(Event::Due, at(72, 0)), vec![Effect::Verify]);
    intent("verifying", &i);

    // Acting: a squash merge in flight, after early proceed by one approval.
    let squash = RepoConfig::parse(
        "intents:\n  intent-to-merge: { action: merge, merge_method: squash }\n",
    )
    .unwrap();
    let mut i = open(&squash, "intent-to-merge", true, vec![]);
    i.handle(cmd("bob", w, "/approve", 201, at(1, 0)), at(1, 0));
    i.handle(Event::Due, at(1, 0));
    i.handle(Event::Verified(facts(Some("sha-0"), &["bob"])), at(1, 1));
    intent("acting", &i);

    // Done: merged.
    i.handle(
        Event::MergeResult(MergeResult::Merged {
            sha: "merge-sha".into(),
        }),
        at(1, 2),
    );
    intent("done-merged", &i);

    // Done: an issue closed by intent-to-close.
    let mut i = open(&defaults, "intent-to-close", false, vec![]);
    i.handle(Event::Due, at(72, 0));
    i.handle(Event::Verified(facts(None, &[])), at(72, 1));
    intent("done-closed", &i);

    // Done: intent-to-proceed accepted (adds `consented`).
    let mut i = open(&defaults, "intent-to-proceed", false, vec![]);
    i.handle(Event::Due, at(72, 0));
    i.handle(Event::Verified(facts(None, &[])), at(72, 1));
    intent("done-accepted", &i);

    // Done: cancelled by its author, with an objection open (it carries over).
    let mut i = open(&defaults, "intent-to-close", false, vec![]);
    i.handle(cmd("dave", w, "/object not yet", 301, at(1, 0)), at(1, 0));
    i.handle(cmd("alice", w, "/cancel", 302, at(2, 0)), at(2, 0));
    intent("done-cancelled", &i);

    // Done: the label was removed by someone.
    let mut i = open(&defaults, "intent-to-merge", true, vec![]);
    i.handle(
        Event::Ended(EndReason::LabelRemoved {
            by: Some("bob".into()),
        }),
        at(3, 0),
    );
    intent("done-label-removed", &i);

    // Done: the label opened nothing.
    let (i, _) = Intent::not_opened(
        defaults.policy("intent-to-merge").unwrap(),
        false,
        "alice",
        t0(),
        "`intent-to-merge` only works on pull requests.".into(),
    );
    intent("done-not-opened", &i);

    // Open, waiting: the repository refused the merge.
    let mut i = open(&defaults, "intent-to-merge", true, vec![]);
    i.handle(Event::Due, at(72, 0));
    i.handle(Event::Verified(facts(Some("sha-0"), &[])), at(72, 1));
    i.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "Required status check \"ci\" is failing.".into(),
            soon: false,
        }),
        at(72, 2),
    );
    intent("open-merge-refused", &i);

    // Open, on business days in Berlin, with a holiday (Wednesday 2026-03-04).
    let business = RepoConfig::parse(
        "window: 3d\ntimezone: Europe/Berlin\nbusiness_days: true\nholidays: [2026-03-04, 2026-12-25]\nclose_reason: completed\nbots: [\"dependabot[bot]\"]\n",
    )
    .unwrap();
    let i = open(&business, "intent-to-close", false, vec![]);
    intent("open-close-business-days", &i);

    // Open, with an objection carried over from an earlier intent that ended blocked.
    let carried = Objection {
        who: "dave".into(),
        reason: "breaks the API".into(),
        url: Some("https://github.com/octo/repo/pull/7#issuecomment-99".into()),
        at: t0() - SignedDuration::from_hours(24),
        source: Source::Comment(99),
    };
    let i = open(&defaults, "intent-to-merge", true, vec![carried]);
    intent("open-merge-carried-over", &i);

    // Every effect variant.
    let effects = [
        ("sync-status", Effect::SyncStatus),
        ("sync-check", Effect::SyncCheck),
        ("verify", Effect::Verify),
        (
            "merge",
            Effect::Merge {
                sha: "sha-0".into(),
                method: None,
            },
        ),
        (
            "merge-squash",
            Effect::Merge {
                sha: "sha-1".into(),
                method: Some(MergeMethod::Squash),
            },
        ),
        (
            "close",
            Effect::Close {
                reason: CloseReason::NotPlanned,
            },
        ),
        (
            "add-label",
            Effect::AddLabel {
                name: "consented".into(),
            },
        ),
        (
            "remove-label",
            Effect::RemoveLabel {
                name: "intent-to-merge".into(),
            },
        ),
        ("post-outcome", Effect::PostOutcome),
    ];
    for (name, e) in effects {
        write(&format!("effect-{name}.json"), serde_json::to_string(&e).unwrap());
    }
}
