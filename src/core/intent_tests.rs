//! Unit tests and property tests of the decision machine over simulated time.
//!
//! Time is always passed in: every test starts at [`t0`] (Monday 2026-03-02 09:00 UTC)
//! and steps `now` forward by hand. Nothing here sleeps or reads a clock.

use super::*;
use crate::core::commands::parse_commands;
use crate::core::config::{ActionKind, RepoConfig};
use crate::core::render;
use jiff::SignedDuration;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Fixtures

const AUTHOR: &str = "alice";
const PR_AUTHOR: &str = "carol";
const HEAD: &str = "sha-0";

fn ts(s: &str) -> Timestamp {
    s.parse().expect("a valid RFC 3339 timestamp")
}

/// Monday 2026-03-02 09:00 UTC: when every intent in these tests opens.
fn t0() -> Timestamp {
    ts("2026-03-02T09:00:00Z")
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

/// `t0() + h hours`.
fn at_h(h: i64) -> Timestamp {
    t0() + hours(h)
}

fn std_hours(h: u64) -> Duration {
    Duration::from_secs(h * 3600)
}

fn policy(label: &str) -> Policy {
    RepoConfig::default()
        .policy(label)
        .expect("a default intent label")
}

fn opening(policy: Policy, is_pull: bool) -> Opening {
    Opening {
        policy,
        is_pull,
        item_author: PR_AUTHOR.to_string(),
        author: AUTHOR.to_string(),
        at: t0(),
        now: t0(),
        head_sha: is_pull.then(|| HEAD.to_string()),
        carried: Vec::new(),
    }
}

/// Opened at [`t0`], with its status comment posted at once (the window opens then).
fn open_with(policy: Policy, is_pull: bool) -> Intent {
    let mut intent = Intent::open(opening(policy, is_pull)).0;
    intent.handle(
        Event::Noticed {
            at: t0(),
            comment: None,
        },
        t0(),
    );
    intent
}

/// Opened from `o`, with its status comment posted as it opens.
fn noticed(o: Opening) -> Intent {
    let at = o.at.max(o.now);
    let mut intent = Intent::open(o).0;
    intent.handle(Event::Noticed { at, comment: None }, at);
    intent
}

/// `intent-to-merge` on a pull request, default policy (72h window, 1 approval).
fn merge_intent() -> Intent {
    open_with(policy("intent-to-merge"), true)
}

fn merge_intent_with(tweak: impl FnOnce(&mut Policy)) -> Intent {
    let mut p = policy("intent-to-merge");
    tweak(&mut p);
    open_with(p, true)
}

/// `intent-to-close` on an issue.
fn close_intent() -> Intent {
    open_with(policy("intent-to-close"), false)
}

/// `intent-to-proceed` on an issue (adds `consented`).
fn proceed_intent() -> Intent {
    open_with(policy("intent-to-proceed"), false)
}

/// The first command in a comment body (parsed as the shell would).
fn parsed(body: &str) -> Command {
    parse_commands(body)
        .into_iter()
        .next()
        .expect("the body holds a command")
}

fn url(comment: u64) -> Option<String> {
    Some(format!(
        "https://github.com/o/r/pull/1#issuecomment-{comment}"
    ))
}

fn cmd_as(login: &str, role: Option<Role>, command: Command, comment: u64, at: Timestamp) -> Event {
    Event::Command {
        actor: Actor {
            login: login.to_string(),
            role,
            approver: false,
        },
        command,
        source: Source::Comment(comment),
        url: url(comment),
        at,
        sender_is_author: true,
        edited_from: None,
    }
}

/// A command from someone with `write`.
fn cmd(login: &str, body: &str, comment: u64, at: Timestamp) -> Event {
    cmd_as(login, Some(Role::Write), parsed(body), comment, at)
}

fn object(login: &str, reason: &str, comment: u64, at: Timestamp) -> Event {
    cmd(login, &format!("/object {reason}"), comment, at)
}

fn withdraw(login: &str, comment: u64, at: Timestamp) -> Event {
    cmd(login, "/withdraw", comment, at)
}

fn approve(login: &str, comment: u64, at: Timestamp) -> Event {
    cmd(login, "/approve", comment, at)
}

/// The same command, but delivered as an edit made by someone else.
fn edited_by_other(event: Event) -> Event {
    match event {
        Event::Command {
            actor,
            command,
            source,
            url,
            at,
            ..
        } => Event::Command {
            actor,
            command,
            source,
            url,
            at,
            sender_is_author: false,
            edited_from: Some("someone".into()),
        },
        other => other,
    }
}

fn review(
    login: &str,
    id: u64,
    verdict: Verdict,
    body: &str,
    commit: Option<&str>,
    at: Timestamp,
) -> Event {
    Event::Review {
        actor: Actor {
            login: login.to_string(),
            role: Some(Role::Write),
            approver: false,
        },
        review_id: id,
        verdict,
        body: body.to_string(),
        commit_id: commit.map(str::to_string),
        url: Some(format!(
            "https://github.com/o/r/pull/1#pullrequestreview-{id}"
        )),
        at,
    }
}

/// What a re-read finds when nothing changed on GitHub.
fn good_facts(intent: &Intent) -> Facts {
    Facts {
        open: true,
        label_present: true,
        head_sha: intent.head_sha.clone(),
        draft: false,
        author_role: Some(Role::Write),
        valid_approvers: intent.approvals.iter().map(|a| a.who.clone()).collect(),
    }
}

fn merge_effect(sha: &str) -> Effect {
    Effect::Merge {
        sha: sha.to_string(),
        method: None,
    }
}

fn remove_label(name: &str) -> Effect {
    Effect::RemoveLabel { name: name.into() }
}

/// Whether an effect is the intended action itself (merge, close, add the label).
fn is_action(e: &Effect, p: &Policy) -> bool {
    match e {
        Effect::Merge { .. } | Effect::Close { .. } => true,
        Effect::AddLabel { name } => {
            matches!(&p.action, Action::Accept { add_label: Some(l) } if l == name)
        }
        _ => false,
    }
}

fn has_action(effects: &[Effect], p: &Policy) -> bool {
    effects.iter().any(|e| is_action(e, p))
}

/// `Due` at `now` must ask for a re-read; then the re-read finds nothing new.
fn due_and_verify(intent: &mut Intent, now: Timestamp) -> Vec<Effect> {
    assert_eq!(
        intent.handle(Event::Due, now),
        vec![Effect::Verify],
        "Due at {now}"
    );
    assert_eq!(intent.phase, Phase::Verifying);
    let facts = good_facts(intent);
    intent.handle(Event::Verified(facts), now)
}

/// Bring a merge intent to `Acting` (the merge request in flight) at the window's end.
fn acting_merge_intent() -> (Intent, Timestamp) {
    let mut intent = merge_intent();
    let now = at_h(72);
    let effects = due_and_verify(&mut intent, now);
    assert_eq!(effects, vec![Effect::SyncCheck, merge_effect(HEAD)]);
    assert_eq!(intent.phase, Phase::Acting);
    (intent, now)
}

// ---------------------------------------------------------------------------
// Opening and admission

#[test]
fn opening_effects_depend_on_action_and_item() {
    // (label, is_pull, expected effects)
    let cases = [
        (
            "intent-to-merge",
            true,
            vec![Effect::SyncStatus, Effect::SyncCheck],
        ),
        ("intent-to-close", true, vec![Effect::SyncStatus]),
        ("intent-to-close", false, vec![Effect::SyncStatus]),
        ("intent-to-proceed", true, vec![Effect::SyncStatus]),
        ("intent-to-proceed", false, vec![Effect::SyncStatus]),
    ];
    for (label, is_pull, expected) in cases {
        let (intent, effects) = Intent::open(opening(policy(label), is_pull));
        assert_eq!(effects, expected, "{label} on pull={is_pull}");
        assert_eq!(intent.phase, Phase::Open);
        assert_eq!(intent.opened_at, t0());
        assert_eq!(intent.window_start, t0());
        assert_eq!(intent.head_at, t0());
        assert!(intent.objections.is_empty() && intent.approvals.is_empty());
        assert_eq!(intent.check(), CheckState::Open);
        assert_eq!(intent.has_check(), label == "intent-to-merge" && is_pull);
    }
}

#[test]
fn admit_table() {
    let merge = policy("intent-to-merge");
    let close = policy("intent-to-close");
    let mut with_bot = policy("intent-to-close");
    with_bot.bots = vec!["Renovate[bot]".to_string()];
    let mut maintainers_only = policy("intent-to-close");
    maintainers_only.authors = Role::Maintain;

    struct Case<'a> {
        policy: &'a Policy,
        is_pull: bool,
        item_open: bool,
        sender: &'a str,
        bot: bool,
        role: Option<Role>,
        expected: Result<(), NotOpened>,
    }
    let case = |policy, is_pull, item_open, sender, bot, role, expected| Case {
        policy,
        is_pull,
        item_open,
        sender,
        bot,
        role,
        expected,
    };
    let no_permission = |label: &str, who: &str, needs, has| {
        Err(NotOpened::NoPermission {
            label: label.into(),
            who: who.into(),
            needs,
            has,
        })
    };
    let not_a_pull = Err(NotOpened::NotAPullRequest {
        label: "intent-to-merge".into(),
        for_issues: vec!["intent-to-close".into()],
    });
    let closed = || {
        Err(NotOpened::ItemClosed {
            label: "intent-to-close".into(),
        })
    };
    let (write, admin) = (Some(Role::Write), Some(Role::Admin));
    let cases = [
        case(&merge, true, true, "alice", false, write, Ok(())),
        case(&merge, true, true, "alice", false, admin, Ok(())),
        case(
            &close,
            false,
            true,
            "alice",
            false,
            Some(Role::Maintain),
            Ok(()),
        ),
        case(&merge, false, true, "alice", false, admin, not_a_pull),
        case(&close, false, false, "alice", false, admin, closed()),
        case(
            &close,
            true,
            true,
            "erin",
            false,
            Some(Role::Triage),
            no_permission("intent-to-close", "erin", Role::Write, Some(Role::Triage)),
        ),
        case(
            &close,
            true,
            true,
            "stranger",
            false,
            None,
            no_permission("intent-to-close", "stranger", Role::Write, None),
        ),
        case(
            &maintainers_only,
            false,
            true,
            "bob",
            false,
            write,
            no_permission("intent-to-close", "bob", Role::Maintain, write),
        ),
        // Bots are refused silently unless listed, before any other check.
        case(
            &close,
            false,
            true,
            "dependabot[bot]",
            true,
            None,
            Err(NotOpened::Bot),
        ),
        case(
            &merge,
            false,
            false,
            "dependabot[bot]",
            true,
            admin,
            Err(NotOpened::Bot),
        ),
        // A listed bot (case-insensitive) may open, whatever its role ...
        case(&with_bot, false, true, "renovate[bot]", true, None, Ok(())),
        // ... but not on a closed item.
        case(
            &with_bot,
            false,
            false,
            "renovate[bot]",
            true,
            None,
            closed(),
        ),
        // Being named like a listed bot does not help a human without permission.
        case(
            &with_bot,
            false,
            true,
            "renovate[bot]",
            false,
            Some(Role::Read),
            no_permission(
                "intent-to-close",
                "renovate[bot]",
                Role::Write,
                Some(Role::Read),
            ),
        ),
    ];
    for (i, c) in cases.into_iter().enumerate() {
        let got = admit(&Admission {
            policy: c.policy,
            is_pull: c.is_pull,
            item_open: c.item_open,
            sender: c.sender,
            sender_is_bot: c.bot,
            sender_role: c.role,
            for_issues: &["intent-to-close".to_string()],
        });
        assert_eq!(
            got, c.expected,
            "case {i}: {} on {}",
            c.sender, c.policy.label
        );
    }
}

#[test]
fn bot_refusal_says_nothing_other_refusals_explain() {
    assert_eq!(render::not_opened(&NotOpened::Bot), "");
    let text = render::not_opened(&NotOpened::NotAPullRequest {
        label: "intent-to-merge".into(),
        for_issues: vec!["intent-to-close".into(), "intent-to-proceed".into()],
    });
    assert!(text.contains("`intent-to-merge`") && text.contains("pull requests"));
    assert!(text.ends_with("For an issue, try `intent-to-close` or `intent-to-proceed`."));
    // The labels named are the configured ones, not the defaults.
    let text = render::not_opened(&NotOpened::NotAPullRequest {
        label: "ship-it".into(),
        for_issues: vec!["wontfix-soon".into()],
    });
    assert!(
        text.ends_with("For an issue, try `wontfix-soon`."),
        "{text}"
    );
    assert!(!text.contains("intent-to-close"), "{text}");
    let text = render::not_opened(&NotOpened::NotAPullRequest {
        label: "ship-it".into(),
        for_issues: vec!["a".into(), "b".into(), "c".into()],
    });
    assert!(text.ends_with("try `a`, `b` or `c`."), "{text}");
    let text = render::not_opened(&NotOpened::NotAPullRequest {
        label: "ship-it".into(),
        for_issues: Vec::new(),
    });
    assert!(!text.contains("For an issue"), "{text}");
    let text = render::not_opened(&NotOpened::NoPermission {
        label: "intent-to-close".into(),
        who: "erin".into(),
        needs: Role::Write,
        has: Some(Role::Triage),
    });
    assert!(text.contains("@erin") && text.contains("write") && text.contains("triage"));
}

#[test]
fn not_opened_is_done_and_only_posts_the_note() {
    let (mut intent, effects) = Intent::not_opened(
        policy("intent-to-merge"),
        false,
        "alice",
        t0(),
        NotOpened::NotAPullRequest {
            label: "intent-to-merge".into(),
            for_issues: vec!["intent-to-close".into()],
        },
    );
    assert_eq!(effects, vec![Effect::PostOutcome]);
    assert!(intent.is_done());
    assert_eq!(
        intent.outcome,
        Some(Outcome::NotOpened {
            message: String::new(),
            why: Some(NotOpened::NotAPullRequest {
                label: "intent-to-merge".into(),
                for_issues: vec!["intent-to-close".into()],
            }),
        })
    );
    assert_eq!(intent.next_due(), None);
    assert!(intent.carried_objections(t0()).is_empty());
    assert!(intent.handle(Event::Due, at_h(100)).is_empty());
    assert!(
        render::outcome_comment(&intent, "x").contains("only works on pull requests"),
        "the outcome comment carries the message"
    );
}

// ---------------------------------------------------------------------------
// The window

#[test]
fn next_due_is_open_time_plus_window() {
    assert_eq!(merge_intent().next_due(), Some(at_h(72)));
    assert_eq!(merge_intent().closes_at(), at_h(72));
    let short = merge_intent_with(|p| p.window = Duration::from_secs(90));
    assert_eq!(short.next_due(), Some(t0() + secs(90)));
    assert_eq!(close_intent().next_due(), Some(at_h(72)));
}

#[test]
fn due_before_the_window_closes_does_nothing() {
    let mut intent = merge_intent();
    let before = intent.clone();
    for now in [t0(), at_h(1), at_h(72) - secs(1)] {
        assert!(intent.handle(Event::Due, now).is_empty(), "Due at {now}");
    }
    assert_eq!(intent, before, "an early Due changes nothing");
}

#[test]
fn due_at_or_after_close_asks_for_a_reread() {
    for now in [at_h(72), at_h(72) + secs(1), at_h(500)] {
        let mut intent = merge_intent();
        assert_eq!(intent.handle(Event::Due, now), vec![Effect::Verify]);
        assert_eq!(intent.phase, Phase::Verifying);
        assert_eq!(intent.next_due(), None, "nothing scheduled while verifying");
        // A second Due while verifying does not ask again.
        assert!(intent.handle(Event::Due, now).is_empty());
    }
}

#[test]
fn verified_merge_checks_then_merges_the_recorded_head() {
    let (intent, _) = acting_merge_intent();
    assert_eq!(intent.check(), CheckState::Success);
    assert_eq!(intent.next_due(), None);
    assert!(!intent.is_done(), "done only when the merge answer arrives");
}

#[test]
fn verified_with_a_configured_merge_method_passes_it_on() {
    let mut intent = merge_intent_with(|p| {
        p.action = Action::Merge {
            method: Some(MergeMethod::Squash),
        }
    });
    let effects = due_and_verify(&mut intent, at_h(72));
    assert_eq!(
        effects,
        vec![
            Effect::SyncCheck,
            Effect::Merge {
                sha: HEAD.into(),
                method: Some(MergeMethod::Squash)
            }
        ]
    );
}

#[test]
fn close_intent_closes_and_removes_its_label() {
    let mut intent = close_intent();
    let effects = due_and_verify(&mut intent, at_h(72));
    assert_eq!(
        effects,
        vec![
            Effect::PostOutcome,
            Effect::Close {
                reason: CloseReason::NotPlanned
            },
            remove_label("intent-to-close"),
            Effect::SyncStatus,
        ]
    );
    assert!(intent.is_done());
    assert_eq!(intent.outcome, Some(Outcome::Closed));
    assert_eq!(intent.ended_at, Some(at_h(72)));
}

#[test]
fn close_intent_uses_the_configured_close_reason() {
    let mut p = policy("intent-to-close");
    p.close_reason = CloseReason::Completed;
    let mut intent = open_with(p, true);
    let effects = due_and_verify(&mut intent, at_h(72));
    assert!(effects.contains(&Effect::Close {
        reason: CloseReason::Completed
    }));
}

#[test]
fn accept_intent_adds_consented_and_removes_its_label() {
    let mut intent = proceed_intent();
    let effects = due_and_verify(&mut intent, at_h(80));
    assert_eq!(
        effects,
        vec![
            Effect::PostOutcome,
            Effect::AddLabel {
                name: "consented".into()
            },
            remove_label("intent-to-proceed"),
            Effect::SyncStatus,
        ]
    );
    assert_eq!(intent.outcome, Some(Outcome::Accepted));
    assert!(intent.is_done());
}

#[test]
fn accept_without_add_label_only_comments() {
    let mut p = policy("intent-to-proceed");
    p.action = Action::Accept { add_label: None };
    let mut intent = open_with(p, false);
    let effects = due_and_verify(&mut intent, at_h(72));
    assert_eq!(
        effects,
        vec![
            Effect::PostOutcome,
            remove_label("intent-to-proceed"),
            Effect::SyncStatus
        ]
    );
}

#[test]
fn verified_finding_the_item_changed_ends_without_acting() {
    // (what the re-read finds, expected outcome, label removed by tacit)
    type Change = fn(&mut Facts);
    let cases: Vec<(Change, Outcome, bool)> = vec![
        (
            |f| f.open = false,
            Outcome::ItemClosed {
                by: None,
                merged: false,
            },
            false,
        ),
        (
            |f| f.label_present = false,
            Outcome::LabelRemoved { by: None },
            false,
        ),
        (
            |f| f.author_role = Some(Role::Triage),
            Outcome::AuthorLostPermission {
                author: AUTHOR.into(),
            },
            true,
        ),
        (
            |f| f.author_role = None,
            Outcome::AuthorLostPermission {
                author: AUTHOR.into(),
            },
            true,
        ),
    ];
    for (i, (change, outcome, removes)) in cases.into_iter().enumerate() {
        let mut intent = merge_intent();
        assert_eq!(intent.handle(Event::Due, at_h(72)), vec![Effect::Verify]);
        let mut facts = good_facts(&intent);
        change(&mut facts);
        let effects = intent.handle(Event::Verified(facts), at_h(72));
        assert!(
            !has_action(&effects, &intent.policy),
            "case {i}: {effects:?}"
        );
        assert!(intent.is_done(), "case {i}");
        assert_eq!(intent.outcome.as_ref(), Some(&outcome), "case {i}");
        assert_eq!(
            effects.contains(&remove_label("intent-to-merge")),
            removes,
            "case {i}: {effects:?}"
        );
        assert!(effects.contains(&Effect::PostOutcome), "case {i}");
    }
}

#[test]
fn verified_when_not_verifying_is_ignored() {
    let mut intent = merge_intent();
    let facts = good_facts(&intent);
    assert!(intent.handle(Event::Verified(facts), at_h(100)).is_empty());
    assert_eq!(intent.phase, Phase::Open);
}

// ---------------------------------------------------------------------------
// Objections

#[test]
fn an_objection_blocks_the_window() {
    let mut intent = merge_intent();
    let effects = intent.handle(object("bob", "breaks the build", 1, at_h(1)), at_h(1));
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(intent.objections.len(), 1);
    let o = &intent.objections[0];
    assert_eq!(
        (o.who.as_str(), o.reason.as_str(), &o.source, o.at),
        ("bob", "breaks the build", &Source::Comment(1), at_h(1))
    );
    assert_eq!(intent.next_due(), None);
    assert_eq!(intent.ready_at(), None);
    assert_eq!(intent.check(), CheckState::Blocked);
    assert!(intent.handle(Event::Due, at_h(72)).is_empty());
    assert!(intent.handle(Event::Due, at_h(1000)).is_empty());
    assert_eq!(intent.phase, Phase::Open);
}

#[test]
fn an_objection_with_no_reason_still_blocks() {
    let mut intent = close_intent();
    intent.handle(cmd("bob", "/object", 1, at_h(1)), at_h(1));
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.objections[0].reason, "");
    assert_eq!(intent.next_due(), None);
}

#[test]
fn one_open_objection_per_person() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "first", 1, at_h(1)), at_h(1));
    let effects = intent.handle(object("BOB", "second", 2, at_h(2)), at_h(2));
    assert!(effects.is_empty());
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.objections[0].reason, "first");
}

#[test]
fn objections_are_per_person() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "too risky", 1, at_h(1)), at_h(1));
    intent.handle(object("dave", "needs docs", 2, at_h(2)), at_h(2));
    let effects = intent.handle(withdraw("bob", 3, at_h(3)), at_h(3));
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    let who: Vec<_> = intent.objections.iter().map(|o| o.who.as_str()).collect();
    assert_eq!(
        who,
        vec!["dave"],
        "bob's withdrawal leaves dave's objection"
    );
    assert_eq!(intent.cleared_at, None, "not cleared while one is open");
    assert_eq!(intent.next_due(), None);
}

#[test]
fn withdraw_by_someone_without_an_objection_does_nothing() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "too risky", 1, at_h(1)), at_h(1));
    let before = intent.objections.clone();
    // dave (even a maintainer) cannot withdraw bob's objection.
    let dave = cmd_as("dave", Some(Role::Maintain), Command::Withdraw, 2, at_h(2));
    assert!(intent.handle(dave, at_h(2)).is_empty());
    let author = withdraw(AUTHOR, 3, at_h(2));
    assert!(intent.handle(author, at_h(2)).is_empty());
    assert_eq!(intent.objections, before);
    assert_eq!(intent.next_due(), None);
}

#[test]
fn last_withdrawal_after_the_window_gates_the_close_by_after_objection() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "too risky", 1, at_h(1)), at_h(1));
    intent.handle(withdraw("bob", 2, at_h(80)), at_h(80));
    assert!(intent.objections.is_empty());
    assert_eq!(intent.cleared_at, Some(at_h(80)));
    assert_eq!(intent.closes_at(), at_h(104));
    assert_eq!(intent.next_due(), Some(at_h(104)));
    assert!(intent.handle(Event::Due, at_h(104) - secs(1)).is_empty());
    assert_eq!(due_and_verify(&mut intent, at_h(104)).len(), 2);
    assert_eq!(intent.phase, Phase::Acting);
}

#[test]
fn last_withdrawal_before_the_window_ends() {
    // (withdrawn at hour, expected close): the later of window end and withdrawal + 24h.
    for (withdrawn, closes) in [(2, 72), (48, 72), (60, 84), (71, 95)] {
        let mut intent = merge_intent();
        intent.handle(object("bob", "too risky", 1, at_h(1)), at_h(1));
        intent.handle(withdraw("bob", 2, at_h(withdrawn)), at_h(withdrawn));
        assert_eq!(
            intent.closes_at(),
            at_h(closes),
            "withdrawn at {withdrawn}h"
        );
        assert_eq!(intent.next_due(), Some(at_h(closes)));
    }
}

#[test]
fn after_objection_follows_the_policy() {
    let mut intent = merge_intent_with(|p| p.after_objection = std_hours(2));
    intent.handle(object("bob", "x", 1, at_h(1)), at_h(1));
    intent.handle(withdraw("bob", 2, at_h(90)), at_h(90));
    assert_eq!(intent.next_due(), Some(at_h(92)));
}

#[test]
fn a_command_counts_once_per_comment() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "too risky", 10, at_h(1)), at_h(1));
    intent.handle(withdraw("bob", 11, at_h(2)), at_h(2));
    assert!(intent.objections.is_empty());
    // Comment 10 is redelivered (or edited): its /object does not count again.
    let effects = intent.handle(object("bob", "too risky", 10, at_h(1)), at_h(3));
    assert!(effects.is_empty());
    assert!(intent.objections.is_empty());
    // A new comment does count.
    intent.handle(object("bob", "still risky", 12, at_h(4)), at_h(4));
    assert_eq!(intent.objections.len(), 1);
}

#[test]
fn one_comment_may_hold_different_commands() {
    // Comment 20 first says /object; an edit adds /withdraw: both count, once each.
    let mut intent = merge_intent();
    intent.handle(object("bob", "wait", 20, at_h(1)), at_h(1));
    intent.handle(withdraw("bob", 20, at_h(2)), at_h(2));
    assert!(intent.objections.is_empty());
    assert!(
        intent
            .handle(withdraw("bob", 20, at_h(2)), at_h(3))
            .is_empty()
    );
}

#[test]
fn an_edit_by_someone_else_counts_for_object_only() {
    let mut intent = merge_intent();
    // A maintainer edits bob's comment to add /object: it counts, as bob's.
    let effects = intent.handle(
        edited_by_other(object("bob", "added by an editor", 1, at_h(1))),
        at_h(1),
    );
    assert!(!effects.is_empty());
    assert_eq!(intent.objections.len(), 1);

    // ... but an edit adding /withdraw does not withdraw it.
    assert!(
        intent
            .handle(edited_by_other(withdraw("bob", 2, at_h(2))), at_h(2))
            .is_empty()
    );
    assert_eq!(intent.objections.len(), 1);

    // An edit adding /approve does not approve.
    let mut intent = merge_intent();
    assert!(
        intent
            .handle(edited_by_other(approve("dave", 3, at_h(1))), at_h(1))
            .is_empty()
    );
    assert!(intent.approvals.is_empty());
    // The author's own later edit of the same comment still counts.
    intent.handle(approve("dave", 3, at_h(2)), at_h(2));
    assert_eq!(intent.approvals.len(), 1);
}

#[test]
fn an_edit_by_someone_else_cannot_cancel_or_extend() {
    let mut intent = merge_intent();
    let cancel = cmd_as(AUTHOR, Some(Role::Write), Command::Cancel, 1, at_h(1));
    assert!(intent.handle(edited_by_other(cancel), at_h(1)).is_empty());
    assert!(!intent.is_done());
    assert!(
        intent
            .handle(
                edited_by_other(cmd("bob", "/extend 2d", 2, at_h(1))),
                at_h(1)
            )
            .is_empty()
    );
    assert_eq!(intent.extended, Duration::ZERO);
}

#[test]
fn commands_before_the_intent_opened_are_ignored() {
    let mut intent = merge_intent();
    let effects = intent.handle(object("bob", "old", 1, t0() - mins(1)), at_h(1));
    assert!(effects.is_empty());
    assert!(intent.objections.is_empty());
}

#[test]
fn objections_from_people_below_objectors_are_concerns() {
    // (role, counts as objection)
    let cases = [
        (None, false),
        (Some(Role::Read), false),
        (Some(Role::Triage), false),
        (Some(Role::Write), true),
        (Some(Role::Maintain), true),
        (Some(Role::Admin), true),
    ];
    for (role, counts) in cases {
        let mut intent = merge_intent();
        let effects = intent.handle(
            cmd_as("erin", role, parsed("/object too risky"), 1, at_h(1)),
            at_h(1),
        );
        assert!(!effects.is_empty(), "{role:?}");
        assert_eq!(intent.objections.len(), usize::from(counts), "{role:?}");
        assert_eq!(intent.concerns.len(), usize::from(!counts), "{role:?}");
        assert_eq!(intent.next_due().is_some(), !counts, "{role:?}");
        if !counts {
            let c = &intent.concerns[0];
            assert_eq!(c.who, "erin");
            let reason = "too risky".to_string();
            assert_eq!(c.asked, Some(Asked::Object { reason }));
            let needs = Role::Write;
            assert_eq!(c.reason, Some(NotCounted::Permission { needs, has: role }));
        }
    }
}

#[test]
fn objectors_triage_widens_who_may_object() {
    let mut intent = merge_intent_with(|p| p.objectors = Role::Triage);
    intent.handle(
        cmd_as("erin", Some(Role::Triage), parsed("/object no"), 1, at_h(1)),
        at_h(1),
    );
    assert_eq!(intent.objections.len(), 1);
}

#[test]
fn concerns_are_capped() {
    let mut intent = merge_intent();
    for i in 0..(MAX_CONCERNS as u64 + 5) {
        let login = format!("reader{i}");
        let effects = intent.handle(
            cmd_as(&login, Some(Role::Read), parsed("/object no"), i, at_h(1)),
            at_h(1),
        );
        if (i as usize) < MAX_CONCERNS {
            assert_eq!(effects, vec![Effect::SyncStatus]);
        } else {
            assert!(effects.is_empty());
        }
    }
    assert_eq!(intent.concerns.len(), MAX_CONCERNS);
    assert!(intent.objections.is_empty());
    assert_eq!(intent.next_due(), Some(at_h(72)), "concerns do not block");
}

// ---------------------------------------------------------------------------
// Approvals and early proceed

#[test]
fn one_approval_proceeds_at_once() {
    let mut intent = merge_intent();
    let effects = intent.handle(approve("bob", 1, at_h(1)), at_h(1));
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert!(intent.early_proceed());
    let due = intent.next_due().expect("due");
    assert!(due <= at_h(1), "due {due} should be now or earlier");
    let effects = due_and_verify(&mut intent, at_h(1));
    assert_eq!(effects, vec![Effect::SyncCheck, merge_effect(HEAD)]);
}

#[test]
fn early_proceed_on_an_issue_close() {
    let mut intent = close_intent();
    intent.handle(approve("bob", 1, at_h(5)), at_h(5));
    let effects = due_and_verify(&mut intent, at_h(5));
    assert!(effects.contains(&Effect::Close {
        reason: CloseReason::NotPlanned
    }));
    assert_eq!(intent.ended_at, Some(at_h(5)));
}

#[test]
fn approvals_that_do_not_count() {
    // (approver, expected concern reason)
    let cases = [
        (AUTHOR, NotCounted::OwnIntent),
        ("ALICE", NotCounted::OwnIntent),
        (PR_AUTHOR, NotCounted::OwnPullRequest),
    ];
    for (who, why) in cases {
        let mut intent = merge_intent();
        let effects = intent.handle(approve(who, 1, at_h(1)), at_h(1));
        assert_eq!(effects, vec![Effect::SyncStatus], "{who}");
        assert!(intent.approvals.is_empty(), "{who}");
        assert_eq!(intent.concerns.len(), 1, "{who}");
        assert_eq!(intent.concerns[0].reason, Some(why), "{who}");
        assert_eq!(intent.next_due(), Some(at_h(72)), "{who}");
    }
}

#[test]
fn an_issue_authors_approval_counts() {
    // Only on pull requests is the item's author excluded.
    let mut intent = close_intent();
    intent.handle(approve(PR_AUTHOR, 1, at_h(1)), at_h(1));
    assert_eq!(intent.approvals.len(), 1);
    assert!(intent.early_proceed());
}

#[test]
fn approval_by_someone_below_objectors_is_a_concern() {
    let mut intent = merge_intent();
    intent.handle(
        cmd_as("erin", Some(Role::Triage), Command::Approve, 1, at_h(1)),
        at_h(1),
    );
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.concerns.len(), 1);
    assert_eq!(intent.concerns[0].asked, Some(Asked::Approve));
}

#[test]
fn approvals_before_the_last_push_do_not_count() {
    let mut intent = merge_intent();
    intent.handle(
        Event::HeadChanged {
            sha: Some("sha-1".into()),
            at: at_h(2),
        },
        at_h(2),
    );
    assert_eq!(intent.head_at, at_h(2));
    // An approval written before the push, delivered after it.
    intent.handle(approve("bob", 1, at_h(1) + mins(30)), at_h(2) + mins(1));
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.concerns[0].reason, Some(NotCounted::BeforePush));
    assert_eq!(intent.next_due(), Some(at_h(74)));
    // One written at or after the push counts.
    intent.handle(approve("dave", 2, at_h(2)), at_h(2) + mins(1));
    assert_eq!(intent.approvals.len(), 1);
}

#[test]
fn approvals_zero_turns_early_proceed_off() {
    let mut intent = merge_intent_with(|p| p.approvals = 0);
    intent.handle(approve("bob", 1, at_h(1)), at_h(1));
    intent.handle(approve("dave", 2, at_h(1)), at_h(1));
    assert!(!intent.early_proceed());
    assert_eq!(intent.next_due(), Some(at_h(72)));
    assert!(intent.handle(Event::Due, at_h(2)).is_empty());
}

#[test]
fn two_approvals_needed_and_one_person_counts_once() {
    let mut intent = merge_intent_with(|p| p.approvals = 2);
    intent.handle(approve("bob", 1, at_h(1)), at_h(1));
    intent.handle(approve("Bob", 2, at_h(2)), at_h(2));
    assert_eq!(intent.approvals.len(), 1);
    assert_eq!(intent.next_due(), Some(at_h(72)));
    intent.handle(approve("dave", 3, at_h(3)), at_h(3));
    assert!(intent.early_proceed());
    assert!(intent.next_due().unwrap() <= at_h(3));
}

#[test]
fn approval_with_an_open_objection_does_not_act() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "no", 1, at_h(1)), at_h(1));
    intent.handle(approve("dave", 2, at_h(2)), at_h(2));
    assert_eq!(intent.approvals.len(), 1);
    assert_eq!(intent.next_due(), None);
    assert!(intent.handle(Event::Due, at_h(2)).is_empty());
    assert!(intent.handle(Event::Due, at_h(200)).is_empty());
}

#[test]
fn early_proceed_waits_after_objection_after_an_objection_ended() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "no", 1, at_h(1)), at_h(1));
    intent.handle(withdraw("bob", 2, at_h(2)), at_h(2));
    intent.handle(approve("dave", 3, at_h(3)), at_h(3));
    assert_eq!(intent.next_due(), Some(at_h(26)));
    assert!(intent.handle(Event::Due, at_h(3)).is_empty());
    assert!(intent.handle(Event::Due, at_h(26) - secs(1)).is_empty());
    let effects = due_and_verify(&mut intent, at_h(26));
    assert!(effects.contains(&merge_effect(HEAD)));
}

#[test]
fn verified_drops_an_approval_that_no_longer_stands() {
    let mut intent = merge_intent();
    intent.handle(approve("bob", 1, at_h(1)), at_h(1));
    assert_eq!(intent.handle(Event::Due, at_h(1)), vec![Effect::Verify]);
    let mut facts = good_facts(&intent);
    facts.valid_approvers.clear(); // bob deleted the comment or lost permission
    let effects = intent.handle(Event::Verified(facts), at_h(1));
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.phase, Phase::Open);
    assert_eq!(intent.next_due(), Some(at_h(72)));
}

#[test]
fn verified_keeps_standing_approvals_case_insensitively() {
    let mut intent = merge_intent();
    intent.handle(approve("Bob", 1, at_h(1)), at_h(1));
    intent.handle(Event::Due, at_h(1));
    let mut facts = good_facts(&intent);
    facts.valid_approvers = BTreeSet::from(["bob".to_string()]);
    let effects = intent.handle(Event::Verified(facts), at_h(1));
    assert!(effects.contains(&merge_effect(HEAD)));
}

#[test]
fn verified_dropping_an_approval_after_the_window_still_acts() {
    let mut intent = merge_intent();
    intent.handle(approve("bob", 1, at_h(1)), at_h(1));
    intent.handle(Event::Due, at_h(73));
    let mut facts = good_facts(&intent);
    facts.valid_approvers.clear();
    let effects = intent.handle(Event::Verified(facts), at_h(73));
    assert!(effects.contains(&merge_effect(HEAD)));
}

// ---------------------------------------------------------------------------
// /extend and /cancel

#[test]
fn extend_adds_time() {
    let mut intent = merge_intent();
    let effects = intent.handle(cmd("bob", "/extend 2d", 1, at_h(1)), at_h(1));
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(intent.extended, std_hours(48));
    assert_eq!(intent.closes_at(), at_h(120));
    assert_eq!(intent.next_due(), Some(at_h(120)));
    assert!(intent.notes.is_empty());
    // Extensions add up, and do not block.
    intent.handle(cmd("dave", "/extend 12h", 2, at_h(2)), at_h(2));
    assert_eq!(intent.closes_at(), at_h(132));
    assert!(intent.objections.is_empty());
}

#[test]
fn extend_is_clamped_at_fourteen_days_in_all() {
    let mut intent = merge_intent();
    intent.handle(cmd("bob", "/extend 10d", 1, at_h(1)), at_h(1));
    assert!(intent.notes.is_empty());
    intent.handle(cmd("dave", "/extend 10d", 2, at_h(2)), at_h(2));
    assert_eq!(intent.extended, MAX_EXTENSION);
    assert_eq!(intent.closes_at(), at_h(72 + 14 * 24));
    assert_eq!(
        intent.notes,
        vec![Note::ExtendCapped {
            who: "dave".into(),
            asked: std_hours(240),
            added: std_hours(96),
        }]
    );
    // Nothing more can be added.
    intent.handle(cmd("bob", "/extend 1h", 3, at_h(3)), at_h(3));
    assert_eq!(intent.extended, MAX_EXTENSION);
    assert_eq!(intent.notes.len(), 2);
}

#[test]
fn a_single_huge_extend_is_clamped() {
    let mut intent = close_intent();
    intent.handle(cmd("bob", "/extend 30d", 1, at_h(1)), at_h(1));
    assert_eq!(intent.extended, MAX_EXTENSION);
    assert_eq!(intent.notes.len(), 1);
}

#[test]
fn extend_with_a_bad_duration_says_so() {
    for body in ["/extend soon", "/extend"] {
        let mut intent = merge_intent();
        let effects = intent.handle(cmd("bob", body, 1, at_h(1)), at_h(1));
        assert_eq!(effects, vec![Effect::SyncStatus], "{body}");
        assert_eq!(intent.extended, Duration::ZERO, "{body}");
        let arg = body.trim_start_matches("/extend").trim().to_string();
        let who = "bob".to_string();
        let note = Note::ExtendNotUnderstood { who, arg };
        assert_eq!(intent.notes, vec![note], "{body}");
        assert_eq!(intent.next_due(), Some(at_h(72)));
    }
}

#[test]
fn extend_needs_objector_permission() {
    let mut intent = merge_intent();
    intent.handle(
        cmd_as("erin", Some(Role::Read), parsed("/extend 2d"), 1, at_h(1)),
        at_h(1),
    );
    assert_eq!(intent.extended, Duration::ZERO);
    assert_eq!(intent.concerns.len(), 1);
}

#[test]
fn cancel_by_author_or_maintainer_ends_the_intent() {
    // (who, role)
    let cases = [
        (AUTHOR, Some(Role::Write)),
        ("dave", Some(Role::Maintain)),
        ("root", Some(Role::Admin)),
    ];
    for (who, role) in cases {
        let mut intent = merge_intent();
        let effects = intent.handle(cmd_as(who, role, Command::Cancel, 1, at_h(5)), at_h(5));
        assert!(intent.is_done(), "{who}");
        assert_eq!(
            intent.outcome,
            Some(Outcome::Cancelled { by: who.into() }),
            "{who}"
        );
        assert!(effects.contains(&remove_label("intent-to-merge")), "{who}");
        assert!(effects.contains(&Effect::PostOutcome), "{who}");
        assert!(!has_action(&effects, &intent.policy), "{who}");
        assert_eq!(intent.check(), CheckState::Cancelled);
        assert_eq!(intent.next_due(), None);
    }
}

#[test]
fn cancel_by_a_writer_is_a_concern() {
    let mut intent = merge_intent();
    let effects = intent.handle(cmd("bob", "/cancel", 1, at_h(5)), at_h(5));
    assert_eq!(effects, vec![Effect::SyncStatus]);
    assert!(!intent.is_done());
    assert_eq!(intent.concerns.len(), 1);
    assert_eq!(intent.concerns[0].asked, Some(Asked::Cancel));
    assert_eq!(intent.concerns[0].reason, Some(NotCounted::CannotCancel));
    assert_eq!(intent.next_due(), Some(at_h(72)));
}

#[test]
fn cancel_with_objections_open_fails_the_check_and_carries_them() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "no", 1, at_h(1)), at_h(1));
    intent.handle(cmd(AUTHOR, "/cancel", 2, at_h(2)), at_h(2));
    assert!(intent.is_done());
    assert_eq!(intent.check(), CheckState::Failure);
    assert_eq!(intent.carried_objections(at_h(3)).len(), 1);
}

// ---------------------------------------------------------------------------
// Reviews

#[test]
fn changes_requested_is_an_objection_with_the_body_as_reason() {
    let mut intent = merge_intent();
    let effects = intent.handle(
        review(
            "bob",
            100,
            Verdict::ChangesRequested,
            "  Please add tests.\n",
            Some(HEAD),
            at_h(1),
        ),
        at_h(1),
    );
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.objections[0].reason, "Please add tests.");
    assert_eq!(intent.objections[0].source, Source::Review(100));
    assert_eq!(intent.next_due(), None);
}

#[test]
fn a_later_approval_by_the_same_reviewer_ends_their_review_objection() {
    let mut intent = merge_intent();
    intent.handle(
        review(
            "bob",
            100,
            Verdict::ChangesRequested,
            "tests",
            Some(HEAD),
            at_h(1),
        ),
        at_h(1),
    );
    intent.handle(
        review("bob", 101, Verdict::Approved, "", Some(HEAD), at_h(3)),
        at_h(3),
    );
    assert!(intent.objections.is_empty());
    assert_eq!(intent.cleared_at, Some(at_h(3)));
    assert_eq!(intent.approvals.len(), 1);
    // Early proceed, but no sooner than after_objection after the objection ended.
    assert_eq!(intent.next_due(), Some(at_h(27)));
}

#[test]
fn another_reviewers_approval_does_not_end_a_review_objection() {
    let mut intent = merge_intent();
    intent.handle(
        review(
            "bob",
            100,
            Verdict::ChangesRequested,
            "tests",
            Some(HEAD),
            at_h(1),
        ),
        at_h(1),
    );
    intent.handle(
        review("dave", 101, Verdict::Approved, "", Some(HEAD), at_h(3)),
        at_h(3),
    );
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.next_due(), None);
}

#[test]
fn an_approving_review_does_not_lift_a_comment_objection() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "no", 1, at_h(1)), at_h(1));
    intent.handle(
        review("bob", 101, Verdict::Approved, "", Some(HEAD), at_h(3)),
        at_h(3),
    );
    assert_eq!(intent.objections.len(), 1, "only /withdraw lifts a /object");
}

#[test]
fn a_dismissed_review_ends_its_objection() {
    let mut intent = merge_intent();
    intent.handle(
        review(
            "bob",
            100,
            Verdict::ChangesRequested,
            "tests",
            Some(HEAD),
            at_h(1),
        ),
        at_h(1),
    );
    let effects = intent.handle(Event::ReviewDismissed { review_id: 100 }, at_h(5));
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert!(intent.objections.is_empty());
    assert_eq!(intent.cleared_at, Some(at_h(5)));
    assert_eq!(intent.next_due(), Some(at_h(72)));
    // Dismissing an unknown review does nothing.
    assert!(
        intent
            .handle(Event::ReviewDismissed { review_id: 7 }, at_h(6))
            .is_empty()
    );
}

#[test]
fn a_dismissed_approving_review_no_longer_counts() {
    let mut intent = merge_intent();
    intent.handle(
        review("bob", 100, Verdict::Approved, "", Some(HEAD), at_h(1)),
        at_h(1),
    );
    assert!(intent.early_proceed());
    intent.handle(Event::ReviewDismissed { review_id: 100 }, at_h(2));
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.next_due(), Some(at_h(72)));
}

#[test]
fn an_approving_review_of_another_commit_does_not_count() {
    let mut intent = merge_intent();
    intent.handle(
        review("bob", 100, Verdict::Approved, "", Some("sha-old"), at_h(1)),
        at_h(1),
    );
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.next_due(), Some(at_h(72)));
    // Without a commit id (not known), it counts.
    intent.handle(
        review("dave", 101, Verdict::Approved, "", None, at_h(1)),
        at_h(1),
    );
    assert_eq!(intent.approvals.len(), 1);
}

#[test]
fn a_review_counts_once() {
    let mut intent = merge_intent();
    let r = review(
        "bob",
        100,
        Verdict::ChangesRequested,
        "no",
        Some(HEAD),
        at_h(1),
    );
    intent.handle(r.clone(), at_h(1));
    intent.handle(Event::ReviewDismissed { review_id: 100 }, at_h(2));
    assert!(intent.handle(r, at_h(3)).is_empty(), "redelivered review");
    assert!(intent.objections.is_empty());
}

#[test]
fn reviews_from_people_below_objectors_are_concerns() {
    let mut intent = merge_intent();
    for (id, verdict) in [(1, Verdict::ChangesRequested), (2, Verdict::Approved)] {
        intent.handle(
            Event::Review {
                actor: Actor {
                    login: "erin".into(),
                    role: Some(Role::Read),
                    approver: false,
                },
                review_id: id,
                verdict,
                body: "meh".into(),
                commit_id: Some(HEAD.into()),
                url: None,
                at: at_h(1),
            },
            at_h(1),
        );
    }
    assert!(intent.objections.is_empty() && intent.approvals.is_empty());
    assert_eq!(intent.concerns.len(), 2);
    assert_eq!(intent.next_due(), Some(at_h(72)));
}

// ---------------------------------------------------------------------------
// Pushes

fn push(sha: &str, at: Timestamp) -> Event {
    Event::HeadChanged {
        sha: Some(sha.to_string()),
        at,
    }
}

#[test]
fn a_push_restarts_a_merge_window_and_clears_approvals() {
    let mut intent = merge_intent_with(|p| p.approvals = 2);
    intent.handle(approve("bob", 1, at_h(1)), at_h(1));
    intent.handle(object("dave", "no", 2, at_h(1)), at_h(1));
    intent.handle(cmd("erin", "/extend 1d", 3, at_h(1)), at_h(1));
    let effects = intent.handle(push("sha-1", at_h(10)), at_h(10));
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(intent.window_start, at_h(10));
    assert_eq!(intent.head_sha.as_deref(), Some("sha-1"));
    assert_eq!(intent.head_at, at_h(10));
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.objections.len(), 1, "objections stay");
    assert_eq!(intent.extended, std_hours(24), "extensions stay");
    assert_eq!(intent.opened_at, t0());
    intent.handle(withdraw("dave", 4, at_h(11)), at_h(11));
    assert_eq!(intent.closes_at(), at_h(10 + 72 + 24));
    assert!(intent.notes.contains(&Note::Restarted { at: at_h(10) }));
}

#[test]
fn a_push_without_restart_on_push_moves_only_the_head() {
    let mut intent = merge_intent_with(|p| p.restart_on_push = false);
    intent.handle(push("sha-1", at_h(10)), at_h(10));
    assert_eq!(intent.window_start, t0());
    assert_eq!(intent.next_due(), Some(at_h(72)));
    assert_eq!(intent.head_sha.as_deref(), Some("sha-1"));
    let effects = due_and_verify(&mut intent, at_h(72));
    assert!(effects.contains(&merge_effect("sha-1")), "{effects:?}");
}

#[test]
fn a_push_does_not_restart_a_close_window() {
    let mut intent = open_with(policy("intent-to-close"), true);
    intent.handle(push("sha-1", at_h(10)), at_h(10));
    assert_eq!(intent.window_start, t0());
    assert_eq!(intent.head_sha.as_deref(), Some("sha-1"));
}

#[test]
fn a_redelivered_push_does_nothing() {
    let mut intent = merge_intent();
    intent.handle(push("sha-1", at_h(10)), at_h(10));
    intent.handle(approve("bob", 1, at_h(11)), at_h(11));
    let before = intent.clone();
    assert!(intent.handle(push("sha-1", at_h(10)), at_h(12)).is_empty());
    assert_eq!(intent, before);
}

#[test]
fn a_push_on_an_issue_does_nothing() {
    let mut intent = close_intent();
    assert!(intent.handle(push("sha-1", at_h(10)), at_h(10)).is_empty());
}

#[test]
fn verified_with_a_new_head_behaves_like_a_push() {
    let mut intent = merge_intent();
    intent.handle(approve("bob", 1, at_h(1)), at_h(1));
    assert_eq!(intent.handle(Event::Due, at_h(1)), vec![Effect::Verify]);
    let mut facts = good_facts(&intent);
    facts.head_sha = Some("sha-9".into());
    let effects = intent.handle(Event::Verified(facts), at_h(2));
    assert!(!has_action(&effects, &intent.policy), "{effects:?}");
    assert_eq!(intent.phase, Phase::Open);
    assert_eq!(intent.head_sha.as_deref(), Some("sha-9"));
    assert_eq!(intent.window_start, at_h(2));
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.next_due(), Some(at_h(74)));
}

#[test]
fn a_push_while_verifying_cancels_the_act() {
    let mut intent = merge_intent();
    intent.handle(Event::Due, at_h(72));
    intent.handle(push("sha-1", at_h(72)), at_h(72));
    assert_eq!(intent.phase, Phase::Open);
    let facts = good_facts(&intent);
    assert!(intent.handle(Event::Verified(facts), at_h(72)).is_empty());
    assert_eq!(intent.next_due(), Some(at_h(144)));
}

// ---------------------------------------------------------------------------
// Merging

#[test]
fn merged_ends_the_intent() {
    let (mut intent, now) = acting_merge_intent();
    let effects = intent.handle(
        Event::MergeResult(MergeResult::Merged {
            sha: "m3rg3d".into(),
        }),
        now + secs(2),
    );
    assert_eq!(
        effects,
        vec![
            remove_label("intent-to-merge"),
            Effect::PostOutcome,
            Effect::SyncStatus
        ]
    );
    assert!(intent.is_done());
    assert_eq!(
        intent.outcome,
        Some(Outcome::Merged {
            sha: "m3rg3d".into()
        })
    );
    assert_eq!(intent.check(), CheckState::Success);
    assert_eq!(intent.next_due(), None);
}

#[test]
fn head_moved_goes_back_to_open_with_the_window_restarted() {
    let (mut intent, now) = acting_merge_intent();
    let later = now + secs(2);
    let effects = intent.handle(
        Event::MergeResult(MergeResult::HeadMoved {
            sha: Some("sha-1".into()),
        }),
        later,
    );
    assert!(!has_action(&effects, &intent.policy));
    assert_eq!(intent.phase, Phase::Open);
    assert_eq!(intent.head_sha.as_deref(), Some("sha-1"));
    assert_eq!(intent.window_start, later);
    assert_eq!(intent.next_due(), Some(later + hours(72)));
}

#[test]
fn a_refused_merge_waits_and_retries_every_fifteen_minutes() {
    let (mut intent, now) = acting_merge_intent();
    let effects = intent.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "Required status check \"ci\" is expected".into(),
            soon: false,
        }),
        now,
    );
    // The author hears of it in a new comment (an edit notifies nobody), once per wait.
    assert_eq!(
        effects,
        vec![
            Effect::SyncStatus,
            Effect::SyncCheck,
            Effect::PostWaiting { since: now }
        ]
    );
    let text = render::waiting_comment(&intent, "id-1", now);
    assert!(
        text.contains("@alice, consent was reached, but GitHub refused"),
        "{text}"
    );
    assert!(text.contains("every 15m"), "{text}");
    assert_eq!(intent.phase, Phase::Open);
    assert_eq!(intent.check(), CheckState::Waiting);
    assert_eq!(intent.next_due(), Some(now + mins(15)));
    assert!(intent.handle(Event::Due, now + mins(14)).is_empty());
    let effects = due_and_verify(&mut intent, now + mins(15));
    assert_eq!(effects, vec![Effect::SyncCheck, merge_effect(HEAD)]);
    // The same refusal again: no new status edit, attempts counted.
    let effects = intent.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "Required status check \"ci\" is expected".into(),
            soon: false,
        }),
        now + mins(15),
    );
    assert!(effects.is_empty());
    let r = intent.refusal.as_ref().expect("refusal");
    assert_eq!(
        (r.attempts, r.first_at, r.last_at),
        (2, now, now + mins(15))
    );
    assert_eq!(intent.next_due(), Some(now + mins(30)));
}

#[test]
fn a_transient_refusal_is_retried_within_seconds() {
    let (mut intent, now) = acting_merge_intent();
    intent.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "Base branch was modified".into(),
            soon: true,
        }),
        now,
    );
    assert_eq!(intent.next_due(), Some(now + secs(5)));
}

#[test]
fn checks_changed_nudges_a_refused_merge_to_now() {
    let (mut intent, now) = acting_merge_intent();
    intent.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "checks pending".into(),
            soon: false,
        }),
        now,
    );
    let later = now + mins(3);
    assert!(intent.handle(Event::ChecksChanged, later).is_empty());
    let due = intent.next_due().expect("due");
    assert!(due <= later, "nudged: due {due} should be by {later}");
    let effects = due_and_verify(&mut intent, later);
    assert!(effects.contains(&merge_effect(HEAD)));
}

#[test]
fn checks_changed_without_a_refusal_does_nothing() {
    let mut intent = merge_intent();
    let before = intent.clone();
    assert!(intent.handle(Event::ChecksChanged, at_h(1)).is_empty());
    assert_eq!(intent, before);
}

#[test]
fn after_seven_days_of_refusals_tacit_gives_up() {
    let (mut intent, first) = acting_merge_intent();
    let refuse = || {
        Event::MergeResult(MergeResult::Refused {
            message: "Required reviews missing".into(),
            soon: false,
        })
    };
    intent.handle(refuse(), first);
    let mut retries = 0;
    let (now, end) = loop {
        let now = intent.next_due().expect("a refused merge stays scheduled");
        let effects = intent.handle(Event::Due, now);
        if effects == vec![Effect::Verify] {
            let facts = good_facts(&intent);
            let effects = intent.handle(Event::Verified(facts), now);
            assert!(effects.contains(&merge_effect(HEAD)));
            intent.handle(refuse(), now);
            retries += 1;
            assert!(retries < 1000, "never gave up");
        } else {
            break (now, effects);
        }
    };
    assert_eq!(now, first + hours(7 * 24));
    assert_eq!(retries, 7 * 24 * 4 - 1);
    assert_eq!(
        end,
        vec![
            Effect::SyncStatus,
            Effect::SyncCheck,
            remove_label("intent-to-merge"),
            Effect::PostOutcome
        ]
    );
    assert!(matches!(intent.outcome, Some(Outcome::GaveUp { .. })));
    assert_eq!(intent.check(), CheckState::Failure);
    assert!(render::outcome_comment(&intent, "x").contains("gave up"));
}

#[test]
fn a_late_due_after_seven_days_gives_up_directly() {
    let (mut intent, first) = acting_merge_intent();
    intent.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "conflicts".into(),
            soon: false,
        }),
        first,
    );
    let effects = intent.handle(Event::Due, first + hours(7 * 24) + mins(1));
    assert!(effects.contains(&remove_label("intent-to-merge")));
    assert!(matches!(intent.outcome, Some(Outcome::GaveUp { .. })));
}

#[test]
fn a_fatal_refusal_ends_at_once() {
    let (mut intent, now) = acting_merge_intent();
    let effects = intent.handle(
        Event::MergeResult(MergeResult::Fatal {
            message: "refusing to allow a GitHub App to update workflow".into(),
        }),
        now,
    );
    assert!(intent.is_done());
    assert_eq!(
        intent.outcome,
        Some(Outcome::Refused {
            reason: "refusing to allow a GitHub App to update workflow".into(),
            cause: None,
        })
    );
    assert!(effects.contains(&remove_label("intent-to-merge")));
    assert!(effects.contains(&Effect::PostOutcome));
    assert_eq!(intent.check(), CheckState::Failure);
}

#[test]
fn merge_results_when_not_merging_are_ignored() {
    let mut intent = merge_intent();
    let before = intent.clone();
    for r in [
        MergeResult::Merged { sha: "x".into() },
        MergeResult::Fatal {
            message: "x".into(),
        },
    ] {
        assert!(intent.handle(Event::MergeResult(r), at_h(1)).is_empty());
    }
    assert_eq!(intent, before);
}

#[test]
fn a_draft_pull_request_waits_for_ready_for_review_without_retries() {
    let mut intent = merge_intent();
    intent.handle(Event::Due, at_h(72));
    let mut facts = good_facts(&intent);
    facts.draft = true;
    let effects = intent.handle(Event::Verified(facts), at_h(72));
    assert!(!has_action(&effects, &intent.policy), "{effects:?}");
    assert!(effects.contains(&Effect::SyncStatus));
    assert_eq!(intent.phase, Phase::Open);
    // Not a refusal: no retries, no 7-day limit; it waits visibly.
    assert!(intent.refusal.is_none());
    assert!(intent.draft_wait);
    assert_eq!(intent.next_due(), None);
    assert_eq!(intent.check(), CheckState::Waiting);
    let text = render::status_comment(&intent, "id", at_h(72));
    assert!(text.contains("is a draft"), "{text}");
    assert!(text.contains("ready for review"), "{text}");
    assert!(!text.contains("refused"), "{text}");
    assert!(render::check_run(&intent, at_h(72)).title.contains("draft"));
    // Long after, nothing has given up.
    assert!(intent.handle(Event::Due, at_h(72 + 24 * 30)).is_empty());
    assert!(!intent.is_done());
    // ready_for_review counts as a push: the window starts again.
    intent.handle(
        Event::HeadChanged {
            sha: None,
            at: at_h(800),
        },
        at_h(800),
    );
    assert!(!intent.draft_wait);
    assert_eq!(intent.head_sha.as_deref(), Some(HEAD));
    assert_eq!(intent.next_due(), Some(at_h(800 + 72)));
}

#[test]
fn a_draft_does_not_stop_close_or_accept() {
    let mut intent = open_with(policy("intent-to-close"), true);
    intent.handle(Event::Due, at_h(72));
    let mut facts = good_facts(&intent);
    facts.draft = true;
    let effects = intent.handle(Event::Verified(facts), at_h(72));
    assert!(has_action(&effects, &intent.policy));
}

#[test]
fn merge_without_a_known_head_never_merges() {
    let mut o = opening(policy("intent-to-merge"), true);
    o.head_sha = None;
    let mut intent = noticed(o);
    intent.handle(Event::Due, at_h(72));
    let facts = good_facts(&intent);
    let effects = intent.handle(Event::Verified(facts), at_h(72));
    assert!(!has_action(&effects, &intent.policy), "{effects:?}");
    assert!(matches!(intent.outcome, Some(Outcome::Refused { .. })));
}

/// Regression: an `/object` that arrives while the merge request is in flight cannot stop
/// that request, but once GitHub refuses it the objection blocks the retry (it used to
/// be only a notice, and the retry merged anyway).
#[test]
fn an_objection_while_merging_blocks_a_retry_after_refusal() {
    let (mut intent, now) = acting_merge_intent();
    intent.handle(
        object("bob", "this breaks prod", 7, now + mins(1)),
        now + mins(1),
    );
    intent.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "checks pending".into(),
            soon: false,
        }),
        now + mins(2),
    );
    assert_eq!(intent.objections.len(), 1, "bob's objection should be open");
    assert_eq!(intent.objections[0].reason, "this breaks prod");
    let who = "bob".to_string();
    assert!(intent.notes.contains(&Note::ObjectedWhileMerging { who }));
    assert_eq!(intent.next_due(), None, "the retry must wait for bob");
    assert_eq!(intent.check(), CheckState::Blocked);
    assert!(
        intent
            .handle(Event::ChecksChanged, now + mins(3))
            .is_empty()
    );
    assert!(intent.handle(Event::Due, now + hours(1)).is_empty());
    // Once bob withdraws, the retry waits after_objection.
    intent.handle(withdraw("bob", 8, now + hours(1)), now + hours(1));
    assert_eq!(intent.next_due(), Some(now + hours(25)));
}

#[test]
fn an_objection_while_merging_does_not_undo_a_merge() {
    let (mut intent, now) = acting_merge_intent();
    intent.handle(object("bob", "too late", 7, now + secs(1)), now + secs(1));
    let effects = intent.handle(
        Event::MergeResult(MergeResult::Merged { sha: "m".into() }),
        now + secs(2),
    );
    assert!(effects.contains(&Effect::PostOutcome));
    assert_eq!(intent.outcome, Some(Outcome::Merged { sha: "m".into() }));
    assert_eq!(intent.check(), CheckState::Success);
}

/// Regression: the same when GitHub answers 409 (head moved): the window restarts and
/// bob's objection is still open.
#[test]
fn an_objection_while_merging_survives_head_moved() {
    let (mut intent, now) = acting_merge_intent();
    intent.handle(
        object("bob", "this breaks prod", 7, now + mins(1)),
        now + mins(1),
    );
    intent.handle(
        Event::MergeResult(MergeResult::HeadMoved {
            sha: Some("sha-1".into()),
        }),
        now + mins(2),
    );
    assert_eq!(intent.objections.len(), 1, "bob's objection should be open");
    assert_eq!(intent.next_due(), None);
}

/// Regression: one open objection per person, but an explicit `/object` by someone who
/// already has a changes-requested review objection replaces it, so that a maintainer
/// dismissing the review (or bob approving) does not lift bob's `/object`.
#[test]
fn dismissing_a_review_keeps_the_reviewers_comment_objection() {
    let mut intent = merge_intent();
    intent.handle(
        review(
            "bob",
            100,
            Verdict::ChangesRequested,
            "needs tests",
            Some(HEAD),
            at_h(1),
        ),
        at_h(1),
    );
    intent.handle(object("bob", "and the API is wrong", 5, at_h(2)), at_h(2));
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.objections[0].reason, "and the API is wrong");
    assert_eq!(intent.objections[0].source, Source::Comment(5));
    intent.handle(Event::ReviewDismissed { review_id: 100 }, at_h(3));
    assert_eq!(
        intent.objections.len(),
        1,
        "bob's /object was never withdrawn"
    );
    assert_eq!(intent.next_due(), None);
    // Nor does bob's approving review lift it; only his /withdraw does.
    intent.handle(
        review("bob", 101, Verdict::Approved, "", Some(HEAD), at_h(4)),
        at_h(4),
    );
    assert_eq!(intent.objections.len(), 1);
    intent.handle(withdraw("bob", 6, at_h(5)), at_h(5));
    assert!(intent.objections.is_empty());
    assert_eq!(intent.cleared_at, Some(at_h(5)));
}

#[test]
fn a_review_objection_does_not_replace_an_explicit_objection() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "the API is wrong", 5, at_h(1)), at_h(1));
    let effects = intent.handle(
        review(
            "bob",
            100,
            Verdict::ChangesRequested,
            "tests",
            Some(HEAD),
            at_h(2),
        ),
        at_h(2),
    );
    assert!(effects.is_empty());
    assert_eq!(intent.objections[0].source, Source::Comment(5));
    intent.handle(Event::ReviewDismissed { review_id: 100 }, at_h(3));
    assert_eq!(intent.objections.len(), 1);
}

// ---------------------------------------------------------------------------
// Ending

#[test]
fn ended_from_outside_ends_without_acting() {
    let reasons = [
        EndReason::LabelRemoved {
            by: Some("dave".into()),
        },
        EndReason::ItemClosed {
            by: Some("dave".into()),
            merged: false,
        },
        EndReason::ItemClosed {
            by: None,
            merged: true,
        },
        EndReason::LabelDeleted,
    ];
    for reason in reasons {
        for with_objection in [false, true] {
            let mut intent = merge_intent();
            if with_objection {
                intent.handle(object("bob", "no", 1, at_h(1)), at_h(1));
            }
            let effects = intent.handle(Event::Ended(reason.clone()), at_h(5));
            assert!(intent.is_done(), "{reason:?}");
            assert_eq!(intent.ended_at, Some(at_h(5)));
            assert!(!has_action(&effects, &intent.policy), "{reason:?}");
            assert!(
                !effects
                    .iter()
                    .any(|e| matches!(e, Effect::RemoveLabel { .. })),
                "a person ended it: nothing to remove ({reason:?})"
            );
            assert_eq!(
                effects,
                vec![Effect::SyncStatus, Effect::SyncCheck, Effect::PostOutcome]
            );
            let expected = if with_objection {
                CheckState::Failure
            } else {
                CheckState::Cancelled
            };
            assert_eq!(intent.check(), expected, "{reason:?}");
            assert_eq!(intent.next_due(), None);
        }
    }
}

#[test]
fn installation_removed_freezes_silently() {
    let mut intent = merge_intent();
    let effects = intent.handle(Event::Ended(EndReason::InstallationRemoved), at_h(5));
    assert!(effects.is_empty());
    assert!(intent.is_done());
    assert_eq!(intent.outcome, Some(Outcome::InstallationRemoved));
}

#[test]
fn ended_while_merging_is_done() {
    let (mut intent, now) = acting_merge_intent();
    intent.handle(
        Event::Ended(EndReason::LabelRemoved {
            by: Some("dave".into()),
        }),
        now,
    );
    assert!(intent.is_done());
    assert!(
        intent
            .handle(
                Event::MergeResult(MergeResult::Refused {
                    message: "x".into(),
                    soon: false
                }),
                now
            )
            .is_empty()
    );
    assert_eq!(intent.next_due(), None);
}

fn every_kind_of_event(now: Timestamp) -> Vec<Event> {
    vec![
        object("bob", "late", 90, now),
        withdraw("bob", 91, now),
        approve("dave", 92, now),
        cmd("dave", "/extend 1d", 93, now),
        cmd_as(AUTHOR, Some(Role::Admin), Command::Cancel, 94, now),
        review("bob", 95, Verdict::ChangesRequested, "x", None, now),
        Event::ReviewDismissed { review_id: 95 },
        Event::OtherIntentLabel {
            label: "intent-to-close".into(),
            by: "dave".into(),
        },
        push("sha-77", now),
        Event::ChecksChanged,
        Event::Ended(EndReason::LabelDeleted),
        Event::Due,
        Event::Verified(Facts {
            open: true,
            label_present: true,
            head_sha: Some("sha-78".into()),
            draft: false,
            author_role: Some(Role::Admin),
            valid_approvers: BTreeSet::new(),
        }),
        Event::MergeResult(MergeResult::Merged { sha: "x".into() }),
    ]
}

#[test]
fn events_after_done_produce_nothing() {
    let mut done = Vec::new();
    let (mut merged, now) = acting_merge_intent();
    merged.handle(
        Event::MergeResult(MergeResult::Merged { sha: "m".into() }),
        now,
    );
    done.push(merged);
    let mut closed = close_intent();
    due_and_verify(&mut closed, at_h(72));
    done.push(closed);
    let mut cancelled = merge_intent();
    cancelled.handle(cmd(AUTHOR, "/cancel", 1, at_h(1)), at_h(1));
    done.push(cancelled);
    let mut removed = merge_intent();
    removed.handle(Event::Ended(EndReason::LabelRemoved { by: None }), at_h(1));
    done.push(removed);

    for mut intent in done {
        assert!(intent.is_done());
        let before = intent.clone();
        for (i, event) in every_kind_of_event(at_h(500)).into_iter().enumerate() {
            assert!(
                intent.handle(event, at_h(500)).is_empty(),
                "event {i} after {:?}",
                before.outcome
            );
        }
        assert_eq!(intent, before, "a done intent never changes");
    }
}

#[test]
fn other_intent_label_is_noted_and_ignored() {
    let mut intent = merge_intent();
    let effects = intent.handle(
        Event::OtherIntentLabel {
            label: "intent-to-close".into(),
            by: "dave".into(),
        },
        at_h(1),
    );
    assert_eq!(effects, vec![Effect::SyncStatus]);
    let label = "intent-to-close".to_string();
    let by = "dave".to_string();
    assert_eq!(intent.notes, vec![Note::OtherLabel { label, by }]);
    assert_eq!(intent.next_due(), Some(at_h(72)));
    assert_eq!(intent.policy.label, "intent-to-merge");
}

#[test]
fn notices_are_capped() {
    let mut intent = merge_intent();
    for i in 0..(MAX_NOTICES + 3) {
        intent.handle(
            Event::OtherIntentLabel {
                label: format!("l{i}"),
                by: "dave".into(),
            },
            at_h(1),
        );
    }
    assert_eq!(intent.notes.len(), MAX_NOTICES);
    assert!(
        matches!(intent.notes.last(), Some(Note::OtherLabel { label, .. }) if *label == format!("l{}", MAX_NOTICES + 2)),
        "the newest notice is kept"
    );
}

/// Notices an earlier release stored in words count toward the cap and go first; they
/// are shown before the typed ones, as they are older.
#[test]
fn notices_in_words_from_an_earlier_release_are_kept_and_shown_first() {
    let mut intent = merge_intent();
    intent.notices = vec!["> an old notice".into(), "a second old notice".into()];
    intent.handle(push("sha-2", at_h(1)), at_h(1));
    let text = render::status_comment(&intent, "x", at_h(1));
    let old = text
        .find("> a second old notice")
        .expect("the old notice is shown");
    let new = text
        .find("> New commits were pushed at 2026-03-02 10:00 UTC, so the window started again.");
    assert!(new.is_some_and(|new| old < new), "{text}");
    for i in 0..MAX_NOTICES {
        intent.handle(
            Event::OtherIntentLabel {
                label: format!("l{i}"),
                by: "dave".into(),
            },
            at_h(2),
        );
    }
    assert!(
        intent.notices.is_empty(),
        "the oldest, in words, went first"
    );
    assert_eq!(intent.notes.len(), MAX_NOTICES);
}

#[test]
fn blocked_objections_carry_over_for_thirty_days() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "no", 1, at_h(1)), at_h(1));
    let end = at_h(5);
    intent.handle(Event::Ended(EndReason::LabelRemoved { by: None }), end);
    let carried = intent.carried_objections(end + hours(29 * 24));
    assert_eq!(carried.len(), 1);
    assert_eq!(carried[0].who, "bob");
    assert!(intent.carried_objections(end + hours(30 * 24)).is_empty());
    assert!(intent.carried_objections(end + hours(31 * 24)).is_empty());

    // A new intent opened with them is blocked, and they are marked carried over.
    let mut o = opening(policy("intent-to-merge"), true);
    o.at = end + hours(24);
    o.carried = carried.clone();
    o.carried.extend(carried); // duplicates by person collapse
    let (next, _) = Intent::open(o);
    assert_eq!(next.objections.len(), 1);
    assert_eq!(next.objections[0].source, Source::CarriedOver);
    assert_eq!(next.objections[0].reason, "no");
    assert_eq!(next.next_due(), None);
}

#[test]
fn nothing_carries_over_from_an_open_or_clean_intent() {
    let mut open = merge_intent();
    open.handle(object("bob", "no", 1, at_h(1)), at_h(1));
    assert!(open.carried_objections(at_h(2)).is_empty(), "not ended yet");
    let mut clean = merge_intent();
    clean.handle(cmd(AUTHOR, "/cancel", 1, at_h(1)), at_h(1));
    assert!(clean.carried_objections(at_h(2)).is_empty());
}

#[test]
fn a_carried_objection_can_be_withdrawn_by_its_owner() {
    let mut o = opening(policy("intent-to-merge"), true);
    o.carried = vec![Objection {
        who: "bob".into(),
        reason: "no".into(),
        url: None,
        at: t0() - hours(48),
        source: Source::Comment(1),
        edited_from: None,
    }];
    let mut intent = noticed(o);
    intent.handle(withdraw("dave", 2, at_h(1)), at_h(1));
    assert_eq!(intent.objections.len(), 1);
    intent.handle(withdraw("bob", 3, at_h(1)), at_h(1));
    assert!(intent.objections.is_empty());
    assert_eq!(intent.next_due(), Some(at_h(72)));
}

// ---------------------------------------------------------------------------
// Business days

fn berlin_business(window_h: u64) -> Intent {
    let mut p = policy("intent-to-proceed");
    p.timezone = "Europe/Berlin".into();
    p.business_days = true;
    p.window = std_hours(window_h);
    let mut o = opening(p, false);
    // Friday 2026-03-06 16:00 in Berlin (CET, +01:00).
    o.at = ts("2026-03-06T15:00:00Z");
    noticed(o)
}

#[test]
fn business_days_skip_the_weekend() {
    let friday = ts("2026-03-06T15:00:00Z").in_tz("Europe/Berlin").unwrap();
    assert_eq!(friday.weekday(), jiff::civil::Weekday::Friday);
    assert_eq!(friday.hour(), 16);

    // 24 business hours from Friday 16:00: 8 on Friday, 16 on Monday.
    let close = berlin_business(24)
        .closes_at()
        .in_tz("Europe/Berlin")
        .unwrap();
    assert_eq!(close.weekday(), jiff::civil::Weekday::Monday);
    assert_eq!(
        close.datetime(),
        jiff::civil::datetime(2026, 3, 9, 16, 0, 0, 0)
    );

    // 48 business hours land on Tuesday 16:00.
    let close = berlin_business(48)
        .closes_at()
        .in_tz("Europe/Berlin")
        .unwrap();
    assert_eq!(close.weekday(), jiff::civil::Weekday::Tuesday);
    assert_eq!(
        close.datetime(),
        jiff::civil::datetime(2026, 3, 10, 16, 0, 0, 0)
    );
    assert_eq!(
        berlin_business(48).next_due(),
        Some(ts("2026-03-10T15:00:00Z"))
    );
}

#[test]
fn the_extend_cap_is_wall_clock_with_business_days() {
    // SPEC 5: durations count business time, the 14-day cap counts wall-clock time.
    let mut intent = berlin_business(24);
    let unextended = intent.closes_at();
    let fri = ts("2026-03-06T15:00:00Z");
    intent.handle(cmd("bob", "/extend 30d", 1, fri + hours(1)), fri + hours(1));
    assert_eq!(intent.notes.len(), 1, "the clamp is explained");
    let moved = intent.closes_at().duration_since(unextended);
    assert!(
        moved <= jiff::SignedDuration::from_hours(14 * 24),
        "the close moved {moved:?}"
    );
    // Ten business days fit in fourteen calendar days: the close moves by all 14.
    assert_eq!(moved, jiff::SignedDuration::from_hours(14 * 24));
    assert_eq!(intent.extended, std_hours(10 * 24));
    // Nothing more fits.
    intent.handle(cmd("dave", "/extend 1h", 2, fri + hours(2)), fri + hours(2));
    assert_eq!(intent.closes_at().duration_since(unextended), moved);
    assert_eq!(intent.notes.len(), 2);
}

#[test]
fn business_days_also_count_after_objection() {
    let mut intent = berlin_business(24);
    let fri = ts("2026-03-06T15:00:00Z");
    intent.handle(object("bob", "no", 1, fri + hours(1)), fri + hours(1));
    // Withdrawn Friday 22:00 local: 2h of Friday + 22h of Monday.
    intent.handle(withdraw("bob", 2, fri + hours(6)), fri + hours(6));
    assert_eq!(intent.closes_at(), ts("2026-03-09T21:00:00Z"));
}

#[test]
fn without_business_days_the_weekend_counts() {
    let mut p = policy("intent-to-proceed");
    p.timezone = "Europe/Berlin".into();
    p.window = std_hours(24);
    let mut o = opening(p, false);
    o.at = ts("2026-03-06T15:00:00Z");
    assert_eq!(Intent::open(o).0.closes_at(), ts("2026-03-07T15:00:00Z"));
}

// ---------------------------------------------------------------------------
// Persistence

#[test]
fn serde_round_trip_keeps_everything() {
    let mut intent = merge_intent_with(|p| {
        p.approvals = 2;
        p.action = Action::Merge {
            method: Some(MergeMethod::Rebase),
        };
    });
    intent.handle(object("bob", "no: \"quoted\" ✓", 1, at_h(1)), at_h(1));
    intent.handle(
        review(
            "erin",
            77,
            Verdict::ChangesRequested,
            "x",
            Some(HEAD),
            at_h(1),
        ),
        at_h(1),
    );
    intent.handle(Event::ReviewDismissed { review_id: 77 }, at_h(1) + secs(1));
    intent.handle(approve("dave", 2, at_h(2)), at_h(2));
    intent.handle(
        cmd_as("zed", Some(Role::Read), parsed("/object hmm"), 3, at_h(2)),
        at_h(2),
    );
    intent.handle(cmd("dave", "/extend 90m", 4, at_h(2)), at_h(2));
    intent.handle(withdraw("bob", 5, at_h(3)), at_h(3));
    intent.handle(approve("frank", 6, at_h(4)), at_h(4));
    let now = at_h(27);
    assert_eq!(due_and_verify(&mut intent, now).len(), 2);
    intent.handle(
        Event::MergeResult(MergeResult::Refused {
            message: "Base branch was modified".into(),
            soon: true,
        }),
        now,
    );
    intent.handle(object("bob", "again", 8, now + secs(1)), now + secs(1));
    assert!(!intent.objections.is_empty());
    assert!(!intent.approvals.is_empty());
    assert!(intent.refusal.is_some());
    assert!(!intent.concerns.is_empty() && !intent.counted.is_empty());

    let json = serde_json::to_string(&intent).expect("serializes");
    let back: Intent = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, intent);
    assert_eq!(back.next_due(), intent.next_due());

    // Done intents too.
    intent.handle(cmd(AUTHOR, "/cancel", 9, now + secs(2)), now + secs(2));
    let back: Intent = serde_json::from_str(&serde_json::to_string(&intent).unwrap()).unwrap();
    assert_eq!(back, intent);
}

// ---------------------------------------------------------------------------
// GitHub's order, notices, failures (SPEC 2-4)

#[test]
fn an_objection_made_after_the_label_counts_even_when_delivered_late() {
    let mut intent = merge_intent();
    // Written at 1h, delivered at 70h: it counts, by GitHub's time.
    intent.handle(object("bob", "late news", 1, at_h(1)), at_h(70));
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.objections[0].at, at_h(1));
    // An approval written before the label does not count, whenever delivered.
    intent.handle(approve("dave", 2, t0() - secs(1)), at_h(2));
    assert!(intent.approvals.is_empty() && intent.concerns.is_empty());
}

#[test]
fn a_withdrawal_lifts_only_objections_made_before_it() {
    let mut intent = merge_intent();
    // Delivered out of order: the objection at 3h arrives before the withdrawal at 2h.
    intent.handle(object("bob", "second thoughts", 2, at_h(3)), at_h(4));
    intent.handle(withdraw("bob", 1, at_h(2)), at_h(4));
    assert_eq!(intent.objections.len(), 1, "the later objection stands");
    intent.handle(withdraw("bob", 3, at_h(5)), at_h(5));
    assert!(intent.objections.is_empty());
    // An approving review before a review objection does not end it either.
    let mut intent = merge_intent();
    intent.handle(
        review(
            "bob",
            7,
            Verdict::ChangesRequested,
            "no",
            Some(HEAD),
            at_h(3),
        ),
        at_h(3),
    );
    intent.handle(
        review("bob", 6, Verdict::Approved, "", Some(HEAD), at_h(2)),
        at_h(4),
    );
    assert_eq!(intent.objections.len(), 1);
}

#[test]
fn an_edit_by_someone_else_objects_in_the_editors_name() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "mine", 1, at_h(1)), at_h(1));
    // erin (write) edits bob's comment 1 to add an objection: it is erin's.
    let edit = Event::Command {
        actor: Actor {
            login: "erin".into(),
            role: Some(Role::Write),
            approver: false,
        },
        command: parsed("/object added by erin"),
        source: Source::Comment(1),
        url: url(1),
        at: at_h(2),
        sender_is_author: false,
        edited_from: Some("bob".into()),
    };
    intent.handle(edit.clone(), at_h(2));
    assert_eq!(intent.objections.len(), 2);
    let erin = &intent.objections[1];
    assert_eq!(erin.who, "erin");
    assert_eq!(erin.edited_from.as_deref(), Some("bob"));
    let text = render::status_comment(&intent, "id", at_h(2));
    assert!(text.contains("added by @erin to @bob's comment"), "{text}");
    // The same edit delivered again counts once.
    assert!(intent.handle(edit, at_h(3)).is_empty());
    // bob's withdrawal lifts only bob's objection.
    intent.handle(withdraw("bob", 5, at_h(4)), at_h(4));
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.objections[0].who, "erin");
}

#[test]
fn a_replayed_body_cannot_count_again_or_after_the_fact() {
    let mut intent = merge_intent();
    intent.handle(approve("dave", 1, at_h(1)), at_h(1));
    assert_eq!(intent.approvals.len(), 1);
    intent.handle(push("sha-1", at_h(2)), at_h(2));
    assert!(intent.approvals.is_empty());
    // The same signed body under a new delivery id: already counted.
    assert!(
        intent
            .handle(approve("dave", 1, at_h(1)), at_h(3))
            .is_empty()
    );
    assert!(intent.approvals.is_empty());
    // An approval in another old comment, seen only now: before the push, so not counted.
    intent.handle(approve("dave", 2, at_h(1) + mins(30)), at_h(3));
    assert!(intent.approvals.is_empty());
}

#[test]
fn a_push_older_than_the_known_head_is_ignored() {
    let mut intent = merge_intent();
    intent.handle(push("sha-2", at_h(5)), at_h(5));
    let before = intent.clone();
    // The push of sha-1 at 3h, delivered late.
    assert!(intent.handle(push("sha-1", at_h(3)), at_h(6)).is_empty());
    assert_eq!(intent, before);
}

#[test]
fn an_intent_waits_for_its_notice_and_the_window_opens_then() {
    let (mut intent, effects) = Intent::open(opening(policy("intent-to-merge"), true));
    assert!(effects.contains(&Effect::SyncStatus));
    assert_eq!(intent.notice, Notice::Awaiting);
    // Never due, never acts, even with an early approval.
    assert_eq!(intent.next_due(), None);
    intent.handle(approve("dave", 1, t0() + secs(1)), t0() + secs(1));
    assert_eq!(intent.next_due(), None);
    assert!(intent.handle(Event::Due, at_h(500)).is_empty());
    // The status comment appeared 5 seconds after the label.
    intent.handle(
        Event::Noticed {
            at: t0() + secs(5),
            comment: None,
        },
        t0() + secs(6),
    );
    assert_eq!(intent.notice, Notice::Posted { at: t0() + secs(5) });
    assert_eq!(intent.window_start, t0() + secs(5));
    assert_eq!(intent.closes_at(), at_h(72) + secs(5));
    // The early approval now proceeds.
    assert_eq!(intent.next_due(), Some(t0() + secs(5)));
}

#[test]
fn a_label_learned_late_gets_a_whole_window_from_its_notice() {
    let mut o = opening(policy("intent-to-close"), false);
    // Added 100 hours before tacit learned of it (an outage, or before install).
    o.at = t0() - hours(100);
    o.now = t0();
    let (mut intent, _) = Intent::open(o);
    // Shown as opening now, never as a window that is already over.
    assert_eq!(intent.closes_at(), at_h(72));
    // An objection made during the outage, after the label, counts.
    intent.handle(object("bob", "from the outage", 1, t0() - hours(50)), t0());
    assert_eq!(intent.objections.len(), 1);
    intent.handle(withdraw("bob", 2, t0() + secs(1)), t0() + secs(1));
    intent.handle(
        Event::Noticed {
            at: t0() + secs(3),
            comment: None,
        },
        t0() + secs(3),
    );
    assert_eq!(intent.window_start, t0() + secs(3));
    assert_eq!(intent.next_due(), Some(at_h(72) + secs(3)));
    assert!(intent.handle(Event::Due, at_h(71)).is_empty());
}

#[test]
fn a_reposted_status_comment_does_not_restart_the_window() {
    let mut intent = merge_intent(); // noticed at t0
    intent.handle(
        Event::Noticed {
            at: at_h(10),
            comment: None,
        },
        at_h(10),
    );
    assert_eq!(intent.window_start, t0());
    assert_eq!(intent.notice, Notice::Posted { at: t0() });
}

#[test]
fn an_intent_stored_without_a_notice_behaves_as_posted() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "x", 1, at_h(1)), at_h(1));
    let mut json: serde_json::Value = serde_json::to_value(&intent).unwrap();
    let map = json.as_object_mut().unwrap();
    for new_field in ["notice", "draft_wait"] {
        map.remove(new_field);
    }
    for o in map["objections"].as_array_mut().unwrap() {
        o.as_object_mut().unwrap().remove("edited_from");
    }
    let old: Intent = serde_json::from_value(json).expect("the previous release's row loads");
    assert_eq!(old.notice, Notice::Legacy);
    assert_eq!(old.window_start, t0());
    let mut old = old;
    old.handle(withdraw("bob", 2, at_h(2)), at_h(2));
    assert_eq!(old.next_due(), Some(at_h(72)));
    // A late `Noticed` (its status comment reposted) changes nothing.
    old.handle(
        Event::Noticed {
            at: at_h(3),
            comment: None,
        },
        at_h(3),
    );
    assert_eq!(old.next_due(), Some(at_h(72)));
}

#[test]
fn a_standing_changes_requested_review_objects_whenever_submitted() {
    let mut intent = merge_intent();
    let standing = Event::StandingReview {
        actor: Actor {
            login: "bob".into(),
            role: Some(Role::Write),
            approver: false,
        },
        review_id: 40,
        body: "needs tests".into(),
        url: None,
        at: t0() - hours(300),
    };
    intent.handle(standing.clone(), t0());
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.objections[0].reason, "needs tests");
    // Counted once; it ends when bob approves after it, or it is dismissed.
    assert!(intent.handle(standing, at_h(1)).is_empty());
    intent.handle(Event::ReviewDismissed { review_id: 40 }, at_h(2));
    assert!(intent.objections.is_empty());
    // The same review delivered as a plain (old) review event does not count.
    let mut intent = merge_intent();
    intent.handle(
        review(
            "bob",
            41,
            Verdict::ChangesRequested,
            "old",
            Some(HEAD),
            t0() - hours(1),
        ),
        t0(),
    );
    assert!(intent.objections.is_empty());
}

#[test]
fn a_failure_that_cannot_be_retried_ends_the_intent_with_the_reason() {
    for step in [Step::Verify, Step::Merge] {
        let mut intent = merge_intent();
        intent.handle(Event::Due, at_h(72));
        if step == Step::Merge {
            let facts = good_facts(&intent);
            intent.handle(Event::Verified(facts), at_h(72));
            assert_eq!(intent.phase, Phase::Acting);
        }
        let effects = intent.handle(
            Event::Failed {
                step,
                error: "GitHub answered 422: Unprocessable".into(),
            },
            at_h(72),
        );
        assert!(intent.is_done());
        assert!(matches!(intent.outcome, Some(Outcome::Failed { .. })));
        assert_eq!(intent.check(), CheckState::Failure);
        for e in [
            Effect::SyncStatus,
            Effect::SyncCheck,
            remove_label("intent-to-merge"),
            Effect::PostOutcome,
        ] {
            assert!(effects.contains(&e), "{step:?}: {effects:?}");
        }
        let outcome = render::outcome_comment(&intent, "id");
        assert!(outcome.contains("422: Unprocessable"), "{outcome}");
        // A late failure of something the intent no longer waits for changes nothing.
        let mut open = merge_intent();
        let failed = Event::Failed {
            step,
            error: "x".into(),
        };
        assert!(open.handle(failed, at_h(1)).is_empty());
        assert!(!open.is_done());
        assert!(
            render::check_run(&intent, at_h(72))
                .title
                .contains("could not")
        );
    }
}

#[test]
fn the_status_comment_says_which_defaults_apply() {
    let mut p = policy("intent-to-merge");
    p.provenance.owner_unreadable = Some("octo/.github".into());
    let intent = noticed(opening(p, true));
    let text = render::status_comment(&intent, "id", t0());
    assert!(
        text.contains("the defaults (a 3d window, 1 approval to proceed early"),
        "{text}"
    );
    assert!(text.contains("installed on `octo/.github`"), "{text}");
}

/// GitHub's times have whole seconds. An approval in the label's own second counts only
/// when GitHub numbered its comment after tacit's status comment (written after the
/// notice, so after the label); otherwise the order cannot be told, and an approval
/// does not count (SPEC 3). An objection in that second counts.
#[test]
fn in_the_labels_second_only_comments_after_the_notice_approve() {
    let notice = |intent: &mut Intent| {
        intent.handle(
            Event::Noticed {
                at: t0(),
                comment: Some(100),
            },
            t0(),
        )
    };
    // Written before the status comment (a smaller id), in the same second.
    let mut intent = Intent::open(opening(policy("intent-to-merge"), true)).0;
    notice(&mut intent);
    intent.handle(approve("dave", 99, t0()), t0());
    assert!(intent.approvals.is_empty());
    assert_eq!(intent.concerns.len(), 1);
    let reason = Some(NotCounted::SameSecondAsLabel);
    assert_eq!(intent.concerns[0].reason, reason, "{:?}", intent.concerns);
    // Read before the status comment existed (when the intent opened): unknown.
    let mut intent = Intent::open(opening(policy("intent-to-merge"), true)).0;
    intent.handle(approve("dave", 99, t0()), t0());
    notice(&mut intent);
    assert!(intent.approvals.is_empty());
    // An approving review in that second: reviews have no comment id to compare.
    let mut intent = Intent::open(opening(policy("intent-to-merge"), true)).0;
    notice(&mut intent);
    intent.handle(
        review("dave", 7, Verdict::Approved, "", Some(HEAD), t0()),
        t0(),
    );
    assert!(intent.approvals.is_empty());
    // Numbered after the status comment: written after it, so it counts.
    let mut intent = Intent::open(opening(policy("intent-to-merge"), true)).0;
    notice(&mut intent);
    intent.handle(approve("dave", 101, t0()), t0());
    assert_eq!(intent.approvals.len(), 1);
    assert_eq!(intent.next_due(), Some(t0()));
    // A second later, any comment counts; an objection in the label's second counts.
    let mut intent = Intent::open(opening(policy("intent-to-merge"), true)).0;
    notice(&mut intent);
    intent.handle(object("erin", "wait", 98, t0()), t0());
    intent.handle(approve("dave", 99, t0() + secs(1)), t0() + secs(1));
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.approvals.len(), 1);
}

#[test]
fn commands_read_when_an_intent_opens_are_applied_in_order() {
    let (mut intent, effects) = Intent::open(opening(policy("intent-to-merge"), true));
    let effects = intent.handle_all(
        effects,
        vec![
            object("bob", "during the outage", 1, at_h(1)),
            approve("dave", 2, at_h(2)),
        ],
        at_h(3),
    );
    assert_eq!(effects, vec![Effect::SyncStatus, Effect::SyncCheck]);
    assert_eq!(intent.objections.len(), 1);
    assert_eq!(intent.approvals.len(), 1);
}

// ---------------------------------------------------------------------------
// What people read

#[test]
fn status_comment_of_an_open_window() {
    let intent = merge_intent();
    let text = render::status_comment(&intent, "id-1", at_h(1));
    assert!(text.starts_with("<!-- tacit:intent -->"), "{text}");
    assert!(
        text.contains("@alice intends to **merge this pull request**"),
        "{text}"
    );
    assert!(
        text.contains("2026-03-05 09:00 UTC"),
        "closing time in UTC: {text}"
    );
    assert!(text.contains("about 71 hours"), "{text}");
    assert!(text.contains("How to take part"), "{text}");
    assert!(text.contains("/object <reason>") && text.contains("/withdraw"));
    assert!(text.contains("/approve") && text.contains("/extend") && text.contains("/cancel"));
}

#[test]
fn status_comment_shows_local_time_and_utc() {
    let intent = merge_intent_with(|p| p.timezone = "Europe/Berlin".into());
    let text = render::status_comment(&intent, "id-1", at_h(1));
    assert!(text.contains("2026-03-05 10:00 CET (+01:00)"), "{text}");
    assert!(text.contains("2026-03-05 09:00 UTC"), "{text}");
}

#[test]
fn status_comment_lists_objections_and_concerns() {
    let mut intent = merge_intent();
    intent.handle(object("bob", "breaks the build", 42, at_h(1)), at_h(1));
    intent.handle(
        cmd_as(
            "erin",
            Some(Role::Read),
            parsed("/object dislike"),
            43,
            at_h(1),
        ),
        at_h(1),
    );
    let text = render::status_comment(&intent, "id-1", at_h(2));
    assert!(text.starts_with("<!-- tacit:intent -->"));
    assert!(text.contains("Blocked"), "{text}");
    assert!(text.contains("@bob: `breaks the build`"), "{text}");
    assert!(
        text.contains("issuecomment-42"),
        "link to the objection: {text}"
    );
    assert!(text.contains("@erin") && text.contains("dislike"), "{text}");
    assert!(text.contains("needs write permission"), "{text}");
    assert!(text.contains("How to take part"), "{text}");
    assert!(
        !text.contains("2026-03-05 09:00 UTC"),
        "no close time while blocked"
    );

    let check = render::check_run(&intent, at_h(2));
    assert_eq!(check.title, "Blocked by 1 objection");
}

#[test]
fn status_comment_when_done_says_what_happened() {
    let mut intent = close_intent();
    due_and_verify(&mut intent, at_h(72));
    let text = render::status_comment(&intent, "id-1", at_h(72));
    assert!(text.starts_with("<!-- tacit:intent -->"));
    assert!(text.contains("closed this issue"), "{text}");
    assert!(!text.contains("How to take part"), "{text}");
}

#[test]
fn outcome_comments_say_what_happened() {
    let (mut merged, now) = acting_merge_intent();
    merged.handle(
        Event::MergeResult(MergeResult::Merged {
            sha: "abc1234def".into(),
        }),
        now,
    );
    let text = render::outcome_comment(&merged, "i");
    assert!(text.contains("merged this pull request"), "{text}");
    // The sentence names the short commit; the record below it the whole one.
    let (sentence, record) = text.split_once("**Decision record**").unwrap();
    assert!(
        sentence.contains("abc1234") && !sentence.contains("abc1234d"),
        "{text}"
    );
    assert!(record.contains("`abc1234def`"), "{text}");

    let mut approved = close_intent();
    approved.handle(approve("bob", 1, at_h(1)), at_h(1));
    due_and_verify(&mut approved, at_h(1));
    let text = render::outcome_comment(&approved, "i");
    assert!(
        text.contains("closed this issue") && text.contains("@bob"),
        "{text}"
    );

    let mut accepted = proceed_intent();
    due_and_verify(&mut accepted, at_h(72));
    let text = render::outcome_comment(&accepted, "i");
    assert!(
        text.contains("Consent reached") && text.contains("consented"),
        "{text}"
    );

    let mut cancelled = merge_intent();
    cancelled.handle(object("bob", "no", 1, at_h(1)), at_h(1));
    cancelled.handle(
        cmd_as("dave", Some(Role::Maintain), Command::Cancel, 2, at_h(2)),
        at_h(2),
    );
    let text = render::outcome_comment(&cancelled, "i");
    assert!(text.contains("@dave cancelled"), "{text}");
    assert!(text.contains("carries over"), "{text}");

    let mut removed = close_intent();
    removed.handle(
        Event::Ended(EndReason::LabelRemoved {
            by: Some("dave".into()),
        }),
        at_h(2),
    );
    let text = render::outcome_comment(&removed, "i");
    assert!(text.contains("removed by @dave"), "{text}");
}

#[test]
fn check_run_titles_follow_the_state() {
    let intent = merge_intent();
    assert!(
        render::check_run(&intent, at_h(1))
            .title
            .contains("2026-03-05 09:00 UTC")
    );
    let (acting, now) = acting_merge_intent();
    assert_eq!(render::check_run(&acting, now).title, "Consent reached");
    let mut cancelled = merge_intent();
    cancelled.handle(cmd(AUTHOR, "/cancel", 1, at_h(1)), at_h(1));
    assert_eq!(
        render::check_run(&cancelled, at_h(1)).title,
        "Intent cancelled"
    );
}

// ---------------------------------------------------------------------------
// Property tests: random event sequences, invariants after every step

const USERS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "Bob"];

#[derive(Debug, Clone)]
enum CmdKind {
    Object,
    Withdraw,
    Approve,
    Extend(u64),
    BadExtend,
    Cancel,
}

#[derive(Debug, Clone)]
struct FactsGen {
    closed: bool,
    label_gone: bool,
    new_head: Option<u8>,
    draft: bool,
    author_lost: bool,
    drop_approvers: bool,
}

#[derive(Debug, Clone)]
enum MergeGen {
    Merged,
    HeadMoved(Option<u8>),
    Refused { soon: bool, msg: u8 },
    Fatal,
}

#[derive(Debug, Clone)]
enum Op {
    /// Let time pass (minutes).
    Wait(i64),
    Cmd {
        user: usize,
        role: Option<Role>,
        kind: CmdKind,
        comment: u64,
        by_author: bool,
        ago_mins: i64,
    },
    Review {
        user: usize,
        role: Option<Role>,
        id: u64,
        approve: bool,
        stale: bool,
    },
    Dismiss(u64),
    Push(u8),
    ReadyForReview,
    ChecksChanged,
    /// `Due` at the current time.
    Due,
    /// Jump to `next_due()` (if later), deliver `Due`, and answer a `Verify`.
    Proceed(FactsGen),
    Verified(FactsGen),
    Merge(MergeGen),
    End(u8),
    OtherLabel,
}

fn role_strategy() -> impl Strategy<Value = Option<Role>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Role::Read)),
        1 => Just(Some(Role::Triage)),
        6 => Just(Some(Role::Write)),
        2 => Just(Some(Role::Maintain)),
        1 => Just(Some(Role::Admin)),
    ]
}

fn facts_strategy() -> impl Strategy<Value = FactsGen> {
    (
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.03),
        prop::option::weighted(0.1, 0u8..4),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(closed, label_gone, new_head, draft, author_lost, drop_approvers)| FactsGen {
                closed,
                label_gone,
                new_head,
                draft,
                author_lost,
                drop_approvers,
            },
        )
}

fn cmd_kind_strategy() -> impl Strategy<Value = CmdKind> {
    prop_oneof![
        8 => Just(CmdKind::Object),
        14 => Just(CmdKind::Withdraw),
        12 => Just(CmdKind::Approve),
        4 => (1u64..400).prop_map(CmdKind::Extend),
        2 => Just(CmdKind::BadExtend),
        1 => Just(CmdKind::Cancel),
    ]
}

fn merge_strategy() -> impl Strategy<Value = MergeGen> {
    prop_oneof![
        3 => Just(MergeGen::Merged),
        2 => prop::option::of(0u8..4).prop_map(MergeGen::HeadMoved),
        4 => (any::<bool>(), 0u8..2).prop_map(|(soon, msg)| MergeGen::Refused { soon, msg }),
        1 => Just(MergeGen::Fatal),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        16 => prop_oneof![1i64..30, 30i64..6000].prop_map(Op::Wait),
        40 => (
            0..USERS.len(),
            role_strategy(),
            cmd_kind_strategy(),
            0u64..12,
            prop::bool::weighted(0.9),
            prop_oneof![4 => Just(0i64), 1 => 0i64..120],
        )
            .prop_map(|(user, role, kind, comment, by_author, ago_mins)| Op::Cmd {
                user,
                role,
                kind,
                comment,
                by_author,
                ago_mins,
            }),
        12 => (0..USERS.len(), role_strategy(), 0u64..6, any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(user, role, id, approve, stale)| Op::Review {
                user,
                role,
                id,
                approve,
                stale
            }),
        4 => (0u64..6).prop_map(Op::Dismiss),
        8 => (0u8..4).prop_map(Op::Push),
        3 => Just(Op::ReadyForReview),
        4 => Just(Op::ChecksChanged),
        8 => Just(Op::Due),
        24 => facts_strategy().prop_map(Op::Proceed),
        4 => facts_strategy().prop_map(Op::Verified),
        12 => merge_strategy().prop_map(Op::Merge),
        // Rare, so that most runs get to act or block before something ends them.
        1 => (0u8..4).prop_map(Op::End),
        2 => Just(Op::OtherLabel),
    ]
}

#[derive(Debug, Clone)]
struct PolicyGen {
    action: ActionKind,
    is_pull: bool,
    approvals: u32,
    restart_on_push: bool,
    window_mins: u64,
    after_objection_mins: u64,
    objectors: Role,
    business_days: bool,
}

fn policy_strategy() -> impl Strategy<Value = PolicyGen> {
    (
        prop_oneof![
            3 => Just(ActionKind::Merge),
            1 => Just(ActionKind::Close),
            1 => Just(ActionKind::Accept)
        ],
        any::<bool>(),
        0u32..3,
        prop::bool::weighted(0.8),
        prop_oneof![1u64..120, 120u64..(96 * 60)],
        0u64..(30 * 60),
        prop_oneof![3 => Just(Role::Write), 1 => Just(Role::Triage)],
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(
                action,
                is_pull,
                approvals,
                restart_on_push,
                window_mins,
                after_objection_mins,
                objectors,
                business_days,
            )| PolicyGen {
                action,
                // Merge intents only open on pull requests (admit).
                is_pull: is_pull || action == ActionKind::Merge,
                approvals,
                restart_on_push,
                window_mins,
                after_objection_mins,
                objectors,
                business_days,
            },
        )
}

impl PolicyGen {
    fn policy(&self) -> Policy {
        let label = match self.action {
            ActionKind::Merge => "intent-to-merge",
            ActionKind::Close => "intent-to-close",
            ActionKind::Accept => "intent-to-proceed",
        };
        let mut p = policy(label);
        p.approvals = self.approvals;
        p.restart_on_push = self.restart_on_push;
        p.window = Duration::from_secs(self.window_mins * 60);
        p.after_objection = Duration::from_secs(self.after_objection_mins * 60);
        p.objectors = self.objectors;
        if self.business_days {
            p.business_days = true;
            p.timezone = "Europe/Berlin".into();
        }
        p
    }
}

/// One random run, checking the invariants after every event.
struct Run {
    intent: Intent,
    now: Timestamp,
    /// Close and AddLabel effects so far (each may happen at most once).
    final_actions: usize,
    /// Merge effects so far, and merge answers accepted as `Merged`.
    merges_succeeded: usize,
}

impl Run {
    fn step(&mut self, event: Event) -> Result<Vec<Effect>, TestCaseError> {
        let before = self.intent.clone();
        let now = self.now;
        let effects = self.intent.handle(event.clone(), now);
        let intent = &self.intent;
        let p = &intent.policy;

        // The decision record is append-only: nothing removed or reordered; every open
        // objection and counted approval is in it; an ended intent says so once.
        prop_assert!(
            intent.history.starts_with(&before.history),
            "history rewritten: {:?} -> {:?}",
            before.history,
            intent.history
        );
        for o in &intent.objections {
            prop_assert!(
                intent
                    .history
                    .iter()
                    .any(|r| matches!(r, Record::Objected { who, .. } if same_login(who, &o.who))),
                "objection of {} not recorded",
                o.who
            );
        }
        for a in &intent.approvals {
            prop_assert!(
                intent
                    .history
                    .iter()
                    .any(|r| matches!(r, Record::Approved { who, .. } if same_login(who, &a.who))),
                "approval of {} not recorded",
                a.who
            );
        }
        let ended = intent
            .history
            .iter()
            .filter(|r| matches!(r, Record::Ended { .. }))
            .count();
        prop_assert_eq!(ended, usize::from(intent.is_done()));

        // 4. After Done (including cancel), nothing more.
        if before.is_done() {
            prop_assert!(effects.is_empty(), "effects after done: {:?}", effects);
            prop_assert_eq!(&before, intent, "a done intent changed");
        }

        let actions: Vec<&Effect> = effects.iter().filter(|e| is_action(e, p)).collect();
        if !actions.is_empty() {
            // 1. Never an action while an objection is open.
            prop_assert!(
                before.objections.is_empty() && intent.objections.is_empty(),
                "acted with objections open: {:?}",
                intent.objections
            );
            // 2. Never before the close unless early proceed holds (and never before
            //    the intent's own ready time).
            prop_assert!(
                now >= intent.closes_at() || intent.early_proceed(),
                "acted at {} before close {} without early proceed",
                now,
                intent.closes_at()
            );
            prop_assert!(
                intent.ready_at().is_some_and(|t| t <= now),
                "acted at {} but ready_at is {:?}",
                now,
                intent.ready_at()
            );
            // Acting only follows a re-read.
            prop_assert!(matches!(event, Event::Verified(_)), "acted on {:?}", event);
            prop_assert_eq!(before.phase, Phase::Verifying);
            prop_assert_eq!(actions.len(), 1, "one action at a time: {:?}", effects);
        }
        for e in &actions {
            match e {
                Effect::Merge { sha, .. } => {
                    prop_assert_eq!(Some(sha), intent.head_sha.as_ref());
                    prop_assert_eq!(intent.phase, Phase::Acting);
                    prop_assert!(before.phase != Phase::Acting, "a second merge in flight");
                    prop_assert!(intent.is_pull && p.action.is_merge());
                }
                _ => {
                    self.final_actions += 1;
                    prop_assert!(intent.is_done());
                }
            }
        }
        if matches!(intent.outcome, Some(Outcome::Merged { .. })) && !before.is_done() {
            self.merges_succeeded += 1;
        }
        // 3. Never act twice.
        prop_assert!(self.final_actions <= 1, "acted twice");
        prop_assert!(self.merges_succeeded <= 1, "merged twice");
        prop_assert!(self.final_actions + self.merges_succeeded <= 1);
        if self.final_actions + self.merges_succeeded == 1 {
            prop_assert!(intent.outcome.as_ref().is_some_and(Outcome::succeeded));
        }

        // 5. A new head on an open merge intent restarts the window (restart_on_push).
        if let Event::HeadChanged { sha: Some(sha), at } = &event
            && !before.is_done()
            && before.is_pull
            && before.policy.action.is_merge()
            && before.policy.restart_on_push
            && before.head_sha.as_ref() != Some(sha)
        {
            prop_assert_eq!(intent.window_start, *at);
            prop_assert!(intent.approvals.is_empty());
            prop_assert_eq!(intent.head_sha.as_ref(), Some(sha));
            prop_assert_eq!(&intent.objections, &before.objections, "objections stay");
            prop_assert_eq!(intent.extended, before.extended, "extensions stay");
        }
        if let Event::HeadChanged { sha: Some(sha), .. } = &event
            && !before.is_done()
            && before.is_pull
        {
            prop_assert_eq!(intent.head_sha.as_ref(), Some(sha), "the head follows");
        }

        // Per person: a withdrawal never lifts anyone else's objection.
        if let Event::Command {
            actor,
            command: Command::Withdraw,
            ..
        } = &event
        {
            for o in &before.objections {
                if !o.who.eq_ignore_ascii_case(&actor.login) {
                    prop_assert!(
                        intent.objections.contains(o),
                        "{}'s withdrawal lifted {}'s objection",
                        actor.login,
                        o.who
                    );
                }
            }
        }
        // A counted /object (or changes-requested review) by someone allowed to object
        // always leaves that person with an open objection, whatever the phase.
        let objector = match &event {
            Event::Command {
                actor,
                command: command @ Command::Object { .. },
                source,
                at,
                sender_is_author,
                ..
            } if !before.counted.contains(&if *sender_is_author {
                count_key(source, command)
            } else {
                format!(
                    "{}:{}",
                    count_key(source, command),
                    actor.login.to_lowercase()
                )
            }) =>
            {
                Some((actor, *at))
            }
            Event::Review {
                actor,
                review_id,
                verdict: Verdict::ChangesRequested,
                at,
                ..
            } if !before.counted.contains(&format!("r:{review_id}")) => Some((actor, *at)),
            _ => None,
        };
        if let Some((actor, at)) = objector
            && !before.is_done()
            && at >= before.opened_at
            // Made before a withdrawal of theirs already counted: withdrawn by GitHub's order.
            && before
                .withdrawn
                .get(&actor.login.to_lowercase())
                .is_none_or(|w| at > *w)
            && actor.role.is_some_and(|r| r >= before.policy.objectors)
        {
            prop_assert!(
                intent
                    .objections
                    .iter()
                    .any(|o| o.who.eq_ignore_ascii_case(&actor.login)),
                "{}'s objection was not recorded",
                actor.login
            );
        }
        // An early Due does nothing.
        if matches!(event, Event::Due) && before.next_due().is_none_or(|d| d > now) {
            prop_assert!(effects.is_empty(), "early Due gave {:?}", effects);
            prop_assert_eq!(&before, intent);
        }

        // State invariants.
        prop_assert!(intent.extended <= MAX_EXTENSION);
        prop_assert!(intent.concerns.len() <= MAX_CONCERNS);
        prop_assert!(intent.notices.len() <= MAX_NOTICES);
        for (i, a) in intent.objections.iter().enumerate() {
            for b in &intent.objections[i + 1..] {
                prop_assert!(
                    !a.who.eq_ignore_ascii_case(&b.who),
                    "two objections by {}",
                    a.who
                );
            }
        }
        for (i, a) in intent.approvals.iter().enumerate() {
            prop_assert!(!a.who.eq_ignore_ascii_case(&intent.author));
            prop_assert!(!(intent.is_pull && a.who.eq_ignore_ascii_case(&intent.item_author)));
            prop_assert!(a.at >= intent.opened_at);
            prop_assert!(!intent.is_pull || a.at >= intent.head_at);
            for b in &intent.approvals[i + 1..] {
                prop_assert!(!a.who.eq_ignore_ascii_case(&b.who));
            }
        }
        if intent.phase == Phase::Open && !intent.objections.is_empty() {
            prop_assert_eq!(intent.next_due(), None);
        }
        if intent.phase != Phase::Open {
            prop_assert_eq!(intent.next_due(), None);
        }
        if intent.is_done() {
            prop_assert!(intent.outcome.is_some() && intent.ended_at.is_some());
        }
        // Effects name only this intent's labels.
        for e in &effects {
            if let Effect::RemoveLabel { name } = e {
                prop_assert_eq!(name, &p.label);
            }
            if matches!(e, Effect::SyncCheck) {
                prop_assert!(intent.has_check());
            }
        }
        Ok(effects)
    }

    fn facts(&self, g: &FactsGen) -> Facts {
        let intent = &self.intent;
        Facts {
            open: !g.closed,
            label_present: !g.label_gone,
            head_sha: g
                .new_head
                .map(|n| format!("sha-{n}"))
                .or_else(|| intent.head_sha.clone())
                .filter(|_| intent.is_pull),
            draft: g.draft && intent.is_pull,
            author_role: Some(if g.author_lost {
                Role::Read
            } else {
                Role::Write
            }),
            valid_approvers: if g.drop_approvers {
                BTreeSet::new()
            } else {
                intent.approvals.iter().map(|a| a.who.clone()).collect()
            },
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let now = self.now;
        let event = match op {
            Op::Wait(m) => {
                self.now = now + mins(*m);
                return Ok(());
            }
            Op::Cmd {
                user,
                role,
                kind,
                comment,
                by_author,
                ago_mins,
            } => {
                let command = match kind {
                    CmdKind::Object => Command::Object {
                        reason: format!("reason {comment}"),
                    },
                    CmdKind::Withdraw => Command::Withdraw,
                    CmdKind::Approve => Command::Approve,
                    CmdKind::Extend(h) => Command::Extend {
                        arg: format!("{h}h"),
                        duration: Some(std_hours(*h)),
                    },
                    CmdKind::BadExtend => Command::Extend {
                        arg: "later".into(),
                        duration: None,
                    },
                    CmdKind::Cancel => Command::Cancel,
                };
                Event::Command {
                    actor: Actor {
                        login: USERS[*user].to_string(),
                        role: *role,
                        approver: false,
                    },
                    command,
                    source: Source::Comment(*comment),
                    url: url(*comment),
                    at: now - mins(*ago_mins),
                    sender_is_author: *by_author,
                    edited_from: (!*by_author).then(|| "someone".to_string()),
                }
            }
            Op::Review {
                user,
                role,
                id,
                approve,
                stale,
            } => Event::Review {
                actor: Actor {
                    login: USERS[*user].to_string(),
                    role: *role,
                    approver: false,
                },
                review_id: *id,
                verdict: if *approve {
                    Verdict::Approved
                } else {
                    Verdict::ChangesRequested
                },
                body: format!("review {id}"),
                commit_id: if *stale {
                    Some("sha-stale".into())
                } else {
                    self.intent.head_sha.clone()
                },
                url: None,
                at: now,
            },
            Op::Dismiss(id) => Event::ReviewDismissed { review_id: *id },
            Op::Push(n) => push(&format!("sha-{n}"), now),
            Op::ReadyForReview => Event::HeadChanged { sha: None, at: now },
            Op::ChecksChanged => Event::ChecksChanged,
            Op::Due => Event::Due,
            Op::Proceed(g) => {
                if let Some(due) = self.intent.next_due() {
                    self.now = now.max(due);
                }
                let effects = self.step(Event::Due)?;
                if effects.contains(&Effect::Verify) {
                    let facts = self.facts(g);
                    self.step(Event::Verified(facts))?;
                }
                return Ok(());
            }
            Op::Verified(g) => Event::Verified(self.facts(g)),
            Op::Merge(m) => Event::MergeResult(match m {
                MergeGen::Merged => MergeResult::Merged {
                    sha: "merge-commit".into(),
                },
                MergeGen::HeadMoved(n) => MergeResult::HeadMoved {
                    sha: n.map(|n| format!("sha-{n}")),
                },
                MergeGen::Refused { soon, msg } => MergeResult::Refused {
                    message: format!("refused {msg}"),
                    soon: *soon,
                },
                MergeGen::Fatal => MergeResult::Fatal {
                    message: "forbidden".into(),
                },
            }),
            Op::End(n) => Event::Ended(match n {
                0 => EndReason::LabelRemoved {
                    by: Some("dave".into()),
                },
                1 => EndReason::ItemClosed {
                    by: None,
                    merged: false,
                },
                2 => EndReason::LabelDeleted,
                _ => EndReason::InstallationRemoved,
            }),
            Op::OtherLabel => Event::OtherIntentLabel {
                label: "intent-to-close".into(),
                by: "dave".into(),
            },
        };
        self.step(event)?;
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn invariants_hold_over_random_runs(
        pg in policy_strategy(),
        ops in prop::collection::vec(op_strategy(), 1..80),
    ) {
        let mut o = opening(pg.policy(), pg.is_pull);
        if !pg.is_pull {
            o.item_author = "someone".into();
        }
        let (mut intent, effects) = Intent::open(o);
        intent.handle(Event::Noticed { at: t0(), comment: None }, t0());
        prop_assert!(!has_action(&effects, &intent.policy));
        let mut run = Run {
            intent,
            now: t0(),
            final_actions: 0,
            merges_succeeded: 0,
        };
        for op in &ops {
            run.apply(op)?;
        }
        // The state survives storage at any point.
        let json = serde_json::to_string(&run.intent).unwrap();
        let back: Intent = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, run.intent);
    }

    /// A quiet intent always ends by acting at exactly its close, whatever the policy.
    #[test]
    fn an_unopposed_intent_acts_exactly_when_the_window_closes(pg in policy_strategy()) {
        let mut intent = noticed(opening(pg.policy(), pg.is_pull));
        let close = intent.closes_at();
        prop_assert_eq!(intent.next_due(), Some(close));
        prop_assert!(close > t0());
        prop_assert!(intent.handle(Event::Due, close - secs(1)).is_empty());
        let effects = due_and_verify(&mut intent, close);
        prop_assert!(has_action(&effects, &intent.policy), "{:?}", effects);
    }

    /// However objections and withdrawals interleave, the intent can act only after the
    /// last one ended plus `after_objection`, and never while one is open.
    #[test]
    fn withdrawals_gate_the_close(
        steps in prop::collection::vec((0usize..3, any::<bool>(), 1i64..(48 * 60)), 1..20),
    ) {
        let mut intent = merge_intent_with(|p| p.approvals = 0);
        let mut now = t0();
        for (i, (who, obj, wait)) in steps.iter().enumerate() {
            now += mins(*wait);
            let login = ["bob", "dave", "erin"][*who];
            let event = if *obj {
                object(login, "no", i as u64, now)
            } else {
                withdraw(login, i as u64, now)
            };
            intent.handle(event, now);
            match intent.next_due() {
                None => prop_assert!(!intent.objections.is_empty()),
                Some(due) => {
                    prop_assert!(intent.objections.is_empty());
                    prop_assert!(due >= at_h(72));
                    if let Some(c) = intent.cleared_at {
                        prop_assert!(due >= c + hours(24));
                    }
                }
            }
        }
    }
}

#[test]
fn the_check_shows_an_objection_raised_while_merging() {
    let (mut intent, now) = acting_merge_intent();
    assert_eq!(intent.check(), CheckState::Success);
    intent.handle(object("bob", "stop", 77, now + mins(1)), now + mins(1));
    assert_eq!(intent.check(), CheckState::Blocked);
}

// ---------------------------------------------------------------------------
// Rendering snapshots: what people read, for each state (reviewed by hand; update with
// `INSTA_UPDATE=always cargo test` and read the diff before committing).

mod snapshots {
    use super::*;
    use crate::core::render::{check_run, outcome_comment_at, status_comment};

    const ID: &str = "0123456789abcdef";

    fn snap(name: &str, intent: &Intent, now: Timestamp) {
        let view = check_run(intent, now);
        let text = format!(
            "{}\n---- outcome comment ----\n{}\n---- check run ----\n{}\n{}\n",
            status_comment(intent, ID, now),
            if intent.is_done() {
                let place = render::Place {
                    repo: "octo/repo",
                    number: 1,
                };
                outcome_comment_at(intent, ID, Some(place))
            } else {
                "(none yet)".into()
            },
            view.title,
            view.summary
        );
        insta::assert_snapshot!(name, text);
    }

    #[test]
    fn open_window() {
        snap("open_window", &merge_intent(), at_h(1));
    }

    #[test]
    fn open_window_in_berlin_on_business_days() {
        let intent = merge_intent_with(|p| {
            p.timezone = "Europe/Berlin".into();
            p.business_days = true;
        });
        snap("open_window_berlin_business_days", &intent, at_h(1));
    }

    #[test]
    fn blocked_with_a_concern() {
        let mut intent = merge_intent();
        intent.handle(
            object("bob", "this breaks the public API", 11, at_h(2)),
            at_h(2),
        );
        let reader = cmd_as("erin", Some(Role::Read), parsed("/object no"), 12, at_h(3));
        intent.handle(reader, at_h(3));
        snap("blocked_with_a_concern", &intent, at_h(4));
    }

    #[test]
    fn waiting_for_github() {
        let (mut intent, now) = acting_merge_intent();
        intent.handle(
            Event::MergeResult(MergeResult::Refused {
                message: "Required status check \"ci\" is failing.".into(),
                soon: false,
            }),
            now,
        );
        snap("waiting_for_github", &intent, now + mins(1));
    }

    #[test]
    fn merged_after_an_approval() {
        let mut intent = merge_intent();
        intent.handle(approve("bob", 21, at_h(1)), at_h(1));
        let effects = due_and_verify(&mut intent, at_h(1));
        assert!(has_action(&effects, &intent.policy));
        intent.handle(
            Event::MergeResult(MergeResult::Merged {
                sha: "abcdef1234567".into(),
            }),
            at_h(1),
        );
        snap("merged_after_an_approval", &intent, at_h(1));
    }

    /// The example of the decision record in docs/user-guide.md.
    #[test]
    fn decision_record() {
        let mut intent = merge_intent();
        intent.title = "Cache the parsed configuration".into();
        intent.handle(object("bob", "needs a benchmark", 41, at_h(2)), at_h(2));
        intent.handle(withdraw("bob", 42, at_h(5)), at_h(5));
        intent.handle(approve("dave", 43, at_h(6)), at_h(6));
        intent.handle(push("5d41402abc4b2a76b9719d911017c592", at_h(7)), at_h(7));
        intent.handle(cmd("erin", "/extend 1d", 44, at_h(8)), at_h(8));
        intent.handle(approve("dave", 45, at_h(9)), at_h(9));
        let now = at_h(29);
        due_and_verify(&mut intent, now);
        intent.handle(
            Event::MergeResult(MergeResult::Merged {
                sha: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b".into(),
            }),
            now,
        );
        snap("decision_record", &intent, now);
    }

    #[test]
    fn cancelled_with_an_objection_open() {
        let mut intent = merge_intent();
        intent.handle(object("bob", "not yet", 31, at_h(2)), at_h(2));
        intent.handle(
            cmd_as(AUTHOR, Some(Role::Maintain), Command::Cancel, 32, at_h(3)),
            at_h(3),
        );
        snap("cancelled_with_an_objection_open", &intent, at_h(3));
    }

    #[test]
    fn issue_closed_and_consent_recorded() {
        let mut intent = close_intent();
        due_and_verify(&mut intent, at_h(72));
        snap("issue_closed", &intent, at_h(72));
        let mut intent = proceed_intent();
        due_and_verify(&mut intent, at_h(72));
        snap("consent_recorded", &intent, at_h(72));
    }
}

// ---------------------------------------------------------------------------
// GitHub's order over random histories (SPEC 2-3)
//
// A history is what happened on GitHub, each thing at its own GitHub time: comments
// with commands (some of them edits adding a line to an earlier comment), approving
// and changes-requested reviews, and pushes. tacit learns of it through deliveries
// in random order, late, duplicated and replayed, and through the re-read before
// acting (which finds objections and standing reviews that were not delivered yet).
// The status comment appears at a random time after the label.

/// One thing that happened on GitHub, `at_s` seconds after the label (may be before).
#[derive(Debug, Clone)]
enum Happened {
    Comment {
        who: usize,
        kind: u8, // 0 object, 1 withdraw, 2 approve
        /// An edit adding this line to this person's earlier comment (by index).
        edit_of: Option<usize>,
        at_s: i64,
    },
    Review {
        who: usize,
        approve: bool,
        at_s: i64,
    },
    Push {
        at_s: i64,
    },
}

const PEOPLE: [&str; 4] = ["bob", "dave", "erin", AUTHOR];

fn happened_strategy(objections: bool) -> impl Strategy<Value = Happened> {
    let kinds = if objections { 0u8..3 } else { 1u8..3 };
    prop_oneof![
        4 => (0..PEOPLE.len(), kinds, prop::option::of(0usize..40), -7200i64..400_000)
            .prop_map(|(who, kind, edit_of, at_s)| Happened::Comment { who, kind, edit_of, at_s }),
        2 => (0..PEOPLE.len(), any::<bool>(), -7200i64..400_000)
            .prop_map(move |(who, approve, at_s)| Happened::Review {
                who,
                approve: approve || !objections,
                at_s,
            }),
        1 => (0i64..400_000).prop_map(|at_s| Happened::Push { at_s }),
    ]
}

/// One delivery: the index of what happened, and how long after it tacit learns of it.
fn schedule_strategy(n: usize) -> impl Strategy<Value = Vec<(usize, i64)>> {
    prop::collection::vec((0..n.max(1), 0i64..300_000), 0..(n * 2 + 1))
}

struct World {
    history: Vec<Happened>,
    label: Timestamp,
}

impl World {
    /// Unique GitHub times: `at_s` plus the index in milliseconds.
    fn time(&self, i: usize) -> Timestamp {
        let at_s = match self.history[i] {
            Happened::Comment { at_s, .. }
            | Happened::Review { at_s, .. }
            | Happened::Push { at_s } => at_s,
        };
        self.label + secs(at_s) + SignedDuration::from_millis(i as i64 + 1)
    }

    /// The comment id of a comment (an edit keeps its original's id, when the original
    /// is an earlier comment by the same person with another command).
    fn comment_id(&self, i: usize) -> u64 {
        if let Happened::Comment {
            who,
            kind,
            edit_of: Some(j),
            ..
        } = self.history[i]
            && j < i
            && let Happened::Comment {
                who: w, kind: k, ..
            } = self.history[j]
            && w == who
            && k != kind
            && self.time(j) < self.time(i)
        {
            return self.comment_id(j);
        }
        1000 + i as u64
    }

    fn event(&self, i: usize) -> Option<Event> {
        let at = self.time(i);
        match self.history[i] {
            Happened::Comment { who, kind, .. } => {
                let body = ["/object not yet", "/withdraw", "/approve"][kind as usize];
                Some(cmd(PEOPLE[who], body, self.comment_id(i), at))
            }
            Happened::Review { who, approve, .. } => Some(review(
                PEOPLE[who],
                2000 + i as u64,
                if approve {
                    Verdict::Approved
                } else {
                    Verdict::ChangesRequested
                },
                "review",
                None,
                at,
            )),
            Happened::Push { .. } => Some(push(&format!("p{i}"), at)),
        }
    }

    /// The head at `now`, and when it was pushed.
    fn head(&self, now: Timestamp) -> (String, Timestamp) {
        let mut head = (HEAD.to_string(), self.label);
        for i in 0..self.history.len() {
            if matches!(self.history[i], Happened::Push { .. })
                && self.time(i) <= now
                && self.time(i) >= head.1
                && self.time(i) >= self.label
            {
                head = (format!("p{i}"), self.time(i));
            }
        }
        head
    }

    /// Whether, by GitHub's order, someone's objection made after the label is open at
    /// `now`: their latest counted `/object` or changes-requested review after the
    /// label is later than their latest `/withdraw` (or approving review, for reviews).
    fn objection_open(&self, now: Timestamp) -> Option<String> {
        for (p, name) in PEOPLE.iter().enumerate() {
            let mut seen_ids: Vec<(u64, u8)> = Vec::new();
            let (mut object, mut withdraw, mut review_obj, mut review_ok) =
                (None, None, None, None);
            let mut order: Vec<usize> = (0..self.history.len()).collect();
            order.sort_by_key(|&i| self.time(i));
            for i in order {
                let t = self.time(i);
                if t < self.label || t > now {
                    continue;
                }
                match self.history[i] {
                    Happened::Comment { who, kind, .. } if who == p => {
                        // A command counts once per comment.
                        let key = (self.comment_id(i), kind);
                        if seen_ids.contains(&key) {
                            continue;
                        }
                        seen_ids.push(key);
                        match kind {
                            0 => object = Some(t),
                            1 => withdraw = Some(t),
                            _ => {}
                        }
                    }
                    Happened::Review { who, approve, .. } if who == p => {
                        if approve {
                            review_ok = Some(t);
                        } else {
                            review_obj = Some(t);
                        }
                    }
                    _ => {}
                }
            }
            let open_comment = object.is_some_and(|o| withdraw.is_none_or(|w| o > w));
            let open_review = review_obj
                .is_some_and(|o| withdraw.is_none_or(|w| o > w) && review_ok.is_none_or(|a| o > a));
            if open_comment || open_review {
                return Some(name.to_string());
            }
        }
        None
    }
}

struct OrderRun<'a> {
    world: &'a World,
    intent: Intent,
    now: Timestamp,
    notice_at: Timestamp,
    merges: u32,
}

impl OrderRun<'_> {
    fn step(&mut self, event: Event) -> Result<(), TestCaseError> {
        let effects = self.intent.handle(event, self.now);
        self.follow(effects)
    }

    /// Perform effects as the shell would: a re-read answers `Verify`, GitHub answers
    /// `Merge`; every act is checked against the history.
    fn follow(&mut self, effects: Vec<Effect>) -> Result<(), TestCaseError> {
        for effect in effects {
            match effect {
                Effect::Verify => {
                    // The re-read: objections and reviews made so far, by GitHub's time.
                    let mut events = Vec::new();
                    for i in 0..self.world.history.len() {
                        if self.world.time(i) > self.now {
                            continue;
                        }
                        let blocks = matches!(
                            self.world.history[i],
                            Happened::Comment { kind: 0, .. }
                                | Happened::Review { approve: false, .. }
                        );
                        if blocks && let Some(e) = self.world.event(i) {
                            events.push(e);
                        }
                    }
                    for e in events {
                        let effects = self.intent.handle(e, self.now);
                        self.follow(effects)?;
                    }
                    let mut facts = good_facts(&self.intent);
                    facts.head_sha = Some(self.world.head(self.now).0);
                    let effects = self.intent.handle(Event::Verified(facts), self.now);
                    self.follow(effects)?;
                }
                Effect::Merge { sha, .. } => {
                    self.check_act(&sha)?;
                    let (head, _) = self.world.head(self.now);
                    let result = if head == sha {
                        self.merges += 1;
                        MergeResult::Merged { sha }
                    } else {
                        MergeResult::HeadMoved { sha: Some(head) }
                    };
                    let effects = self.intent.handle(Event::MergeResult(result), self.now);
                    self.follow(effects)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn check_act(&self, sha: &str) -> Result<(), TestCaseError> {
        let i = &self.intent;
        prop_assert!(
            self.world.objection_open(self.now).is_none(),
            "acted at {} while {:?} objected (GitHub's order)",
            self.now,
            self.world.objection_open(self.now)
        );
        prop_assert!(self.now >= self.notice_at, "acted before the notice");
        if !i.early_proceed() {
            let whole = add_wall(self.notice_at, i.policy.window);
            prop_assert!(self.now >= whole, "acted at {} before {whole}", self.now);
        }
        let pushed = self.world.head(self.now);
        prop_assert_eq!(sha, pushed.0.as_str(), "merged a head nobody saw");
        for a in &i.approvals {
            prop_assert!(a.at >= self.world.label, "approval before the label: {a:?}");
            prop_assert!(a.at >= pushed.1, "approval before the head: {a:?}");
        }
        prop_assert_eq!(self.merges, 0, "acted twice");
        Ok(())
    }

    /// Wake the intent whenever it is due, until `until`.
    fn run_timers(&mut self, until: Timestamp) -> Result<(), TestCaseError> {
        for _ in 0..50 {
            match self.intent.next_due() {
                Some(due) if due <= until => {
                    self.now = self.now.max(due);
                    self.step(Event::Due)?;
                }
                _ => break,
            }
        }
        Ok(())
    }
}

fn run_history(
    history: Vec<Happened>,
    delays: Vec<i64>,
    schedule: Vec<(usize, i64)>,
    notice_delay_s: i64,
) -> Result<OrderRun<'static>, TestCaseError> {
    let world: &'static World = Box::leak(Box::new(World {
        history,
        label: t0(),
    }));
    let mut p = policy("intent-to-merge");
    p.window = std_hours(24);
    let mut o = opening(p, true);
    o.now = t0() + secs(notice_delay_s / 2);
    let (intent, _) = Intent::open(o);
    let mut run = OrderRun {
        world,
        intent,
        now: t0(),
        notice_at: t0() + secs(notice_delay_s),
        merges: 0,
    };
    // Deliveries in time order of arrival; each thing happened delivered at least once
    // (the original, late by its delay: after an outage, in any order), plus the
    // schedule's late copies and replays.
    let n = world.history.len();
    let mut arrivals: Vec<(Timestamp, Option<usize>)> = (0..n)
        .map(|i| {
            (
                world.time(i) + secs(1 + delays.get(i).copied().unwrap_or(0)),
                Some(i),
            )
        })
        .chain(
            schedule
                .iter()
                .filter(|(i, _)| *i < n)
                .map(|&(i, late)| (world.time(i) + secs(late), Some(i))),
        )
        .collect();
    arrivals.push((run.notice_at, None));
    arrivals.sort_by_key(|(t, _)| *t);
    for (t, what) in arrivals {
        run.run_timers(t)?;
        run.now = run.now.max(t);
        let event = match what {
            None => Event::Noticed {
                at: run.notice_at,
                comment: None,
            },
            Some(i) => match world.event(i) {
                Some(e) => e,
                None => continue,
            },
        };
        run.step(event)?;
    }
    let end = run.now + hours(24 * 60);
    run.run_timers(end)?;
    run.now = run.now.max(end);
    Ok(run)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// Never acts while an objection made after the label (GitHub's time) is open,
    /// never sooner than a whole window after the status comment appeared (early
    /// approvals aside), counts approvals only after the label and the current head,
    /// and every intent ends or waits visibly.
    #[test]
    fn githubs_order_holds_over_random_histories(
        history in prop::collection::vec(happened_strategy(true), 0..24),
        delays in prop::collection::vec(prop_oneof![3 => Just(0i64), 1 => 0i64..300_000], 24),
        schedule in schedule_strategy(24),
        notice_delay_s in 0i64..200_000,
    ) {
        let run = run_history(history, delays, schedule, notice_delay_s)?;
        let i = &run.intent;
        prop_assert!(run.merges <= 1);
        let visible = i.is_done() || !i.objections.is_empty() || i.draft_wait;
        prop_assert!(visible, "neither ended nor visibly waiting: {i:?}");
        if i.is_done() {
            prop_assert_eq!(run.merges, 1);
        }
    }

    /// With nobody objecting, whatever the order, it acts exactly once.
    #[test]
    fn an_unopposed_history_acts_exactly_once(
        history in prop::collection::vec(happened_strategy(false), 0..24),
        delays in prop::collection::vec(prop_oneof![3 => Just(0i64), 1 => 0i64..300_000], 24),
        schedule in schedule_strategy(24),
        notice_delay_s in 0i64..200_000,
    ) {
        let run = run_history(history, delays, schedule, notice_delay_s)?;
        prop_assert_eq!(run.merges, 1, "{:?}", run.intent);
        prop_assert!(run.intent.is_done());
    }
}

// ---------------------------------------------------------------------------
// The decision record (SPEC 4): an append-only history of facts.

mod history {
    use super::*;

    fn kinds(intent: &Intent) -> Vec<&'static str> {
        intent
            .records()
            .iter()
            .map(|r| match r {
                Record::Opened { .. } => "opened",
                Record::Noticed { .. } => "noticed",
                Record::Objected { .. } => "objected",
                Record::ObjectionEnded { .. } => "objection_ended",
                Record::Approved { .. } => "approved",
                Record::ApprovalCleared { .. } => "approval_cleared",
                Record::Extended { .. } => "extended",
                Record::Restarted { .. } => "restarted",
                Record::Ended { .. } => "ended",
            })
            .collect()
    }

    #[test]
    fn withdrawn_objections_and_cleared_approvals_stay_in_the_history() {
        let mut intent = merge_intent();
        let mut seen: Vec<Record> = intent.history.clone();
        let mut step = |intent: &mut Intent, event: Event, now: Timestamp| {
            intent.handle(event, now);
            assert!(
                intent.history.starts_with(&seen),
                "entries are never removed or reordered"
            );
            seen = intent.history.clone();
        };
        step(
            &mut intent,
            object("bob", "needs a test", 11, at_h(1)),
            at_h(1),
        );
        step(&mut intent, withdraw("bob", 12, at_h(2)), at_h(2));
        step(&mut intent, approve("dave", 13, at_h(3)), at_h(3));
        step(&mut intent, push("sha-1", at_h(4)), at_h(4));
        step(&mut intent, cmd("erin", "/extend 1d", 14, at_h(5)), at_h(5));
        step(&mut intent, approve("erin", 15, at_h(6)), at_h(6));
        assert!(intent.objections.is_empty());
        assert_eq!(intent.approvals.len(), 1);
        // `after_objection` (24h after the withdrawal) has passed.
        let now = at_h(27);
        due_and_verify(&mut intent, now);
        step(
            &mut intent,
            Event::MergeResult(MergeResult::Merged {
                sha: "merge-sha".into(),
            }),
            now,
        );
        assert_eq!(
            kinds(&intent),
            [
                "opened",
                "noticed",
                "objected",
                "objection_ended",
                "approved",
                "approval_cleared",
                "restarted",
                "extended",
                "approved",
                "ended"
            ]
        );
        let h = &intent.history;
        assert_eq!(
            h[0],
            Record::Opened {
                by: AUTHOR.into(),
                at: t0(),
                head_sha: Some(HEAD.into())
            }
        );
        assert_eq!(
            h[2],
            Record::Objected {
                who: "bob".into(),
                reason: "needs a test".into(),
                url: url(11),
                at: at_h(1),
                source: Source::Comment(11),
            }
        );
        assert_eq!(
            h[3],
            Record::ObjectionEnded {
                who: "bob".into(),
                how: ObjectionEnd::Withdrawn,
                url: url(12),
                at: at_h(2),
            }
        );
        assert_eq!(
            h[5],
            Record::ApprovalCleared {
                who: "dave".into(),
                why: ApprovalEnd::Push,
                at: at_h(4),
            }
        );
        assert_eq!(
            h[6],
            Record::Restarted {
                sha: Some("sha-1".into()),
                at: at_h(4)
            }
        );
        assert!(matches!(&h[7], Record::Extended { who, added, .. }
            if who == "erin" && *added == std_hours(24)));
        assert_eq!(
            h[9],
            Record::Ended {
                outcome: Outcome::Merged {
                    sha: "merge-sha".into()
                },
                at: now
            }
        );
        // The history survives storage, and a finished intent adds nothing more.
        let stored = serde_json::to_string(&intent).unwrap();
        let mut back: Intent = serde_json::from_str(&stored).unwrap();
        assert_eq!(back.history, intent.history);
        back.handle(object("bob", "late", 16, now + hours(1)), now + hours(1));
        assert_eq!(back.history, intent.history);
    }

    #[test]
    fn reviews_dismissals_and_re_reads_are_recorded() {
        let mut intent = merge_intent();
        intent.handle(
            review(
                "bob",
                7,
                Verdict::ChangesRequested,
                "split it",
                None,
                at_h(1),
            ),
            at_h(1),
        );
        intent.handle(
            review("bob", 8, Verdict::Approved, "", Some(HEAD), at_h(2)),
            at_h(2),
        );
        intent.handle(
            review("erin", 9, Verdict::Approved, "", Some(HEAD), at_h(3)),
            at_h(3),
        );
        intent.handle(Event::ReviewDismissed { review_id: 9 }, at_h(4));
        assert_eq!(
            kinds(&intent),
            [
                "opened",
                "noticed",
                "objected",
                "objection_ended",
                "approved",
                "approved",
                "approval_cleared"
            ]
        );
        assert!(
            matches!(&intent.history[3], Record::ObjectionEnded { how, .. }
            if *how == ObjectionEnd::ReviewApproved)
        );
        assert!(
            matches!(&intent.history[6], Record::ApprovalCleared { who, why, .. }
            if who == "erin" && *why == ApprovalEnd::Dismissed)
        );
        // Before acting (24h after the objection ended), bob's approval is found gone.
        assert_eq!(intent.handle(Event::Due, at_h(26)), vec![Effect::Verify]);
        let mut facts = good_facts(&intent);
        facts.valid_approvers.clear();
        intent.handle(Event::Verified(facts), at_h(26));
        assert!(
            matches!(intent.history.last(), Some(Record::ApprovalCleared { who, why, at })
            if who == "bob" && *why == ApprovalEnd::Gone && *at == at_h(26))
        );
    }

    #[test]
    fn carried_objections_and_cancels_are_recorded() {
        let mut first = merge_intent();
        first.handle(object("bob", "not yet", 1, at_h(1)), at_h(1));
        first.handle(
            cmd_as(AUTHOR, Some(Role::Maintain), Command::Cancel, 2, at_h(2)),
            at_h(2),
        );
        assert!(
            matches!(first.history.last(), Some(Record::Ended { outcome: Outcome::Cancelled { by }, at })
            if by == AUTHOR && *at == at_h(2))
        );
        let mut o = opening(policy("intent-to-merge"), true);
        o.at = at_h(3);
        o.now = at_h(3);
        o.carried = first.carried_objections(at_h(3));
        let second = noticed(o);
        assert!(
            matches!(&second.history[1], Record::Objected { who, source, .. }
            if who == "bob" && *source == Source::CarriedOver)
        );
    }

    /// An intent stored before the history existed still loads and yields a record
    /// from what it has.
    #[test]
    fn an_intent_without_history_yields_a_record_from_its_state() {
        let mut intent = close_intent();
        intent.handle(object("bob", "wait", 1, at_h(1)), at_h(1));
        intent.handle(
            Event::Ended(EndReason::LabelRemoved {
                by: Some("dave".into()),
            }),
            at_h(2),
        );
        let mut stored = serde_json::to_value(&intent).unwrap();
        let map = stored.as_object_mut().unwrap();
        map.remove("history");
        map.remove("title");
        map.insert("notice".into(), serde_json::json!({"state": "legacy"}));
        let old: Intent = serde_json::from_value(stored).unwrap();
        assert!(old.history.is_empty() && old.title.is_empty());
        assert_eq!(kinds(&old), ["opened", "noticed", "objected", "ended"]);
        assert_eq!(old.noticed_at(), Some(old.window_start));
        let text = render::outcome_comment_at(
            &old,
            "x",
            Some(render::Place {
                repo: "o/r",
                number: 3,
            }),
        );
        assert!(text.contains("@bob objected: `wait`"), "{text}");
        assert!(text.contains("<!-- tacit:record {"), "{text}");
    }
}

/// `status()` is the one derivation of where an intent stands; the check run's
/// conclusion maps from it.
#[test]
fn status_is_derived_once_and_the_check_maps_from_it() {
    let mut intent = merge_intent();
    assert_eq!(
        (intent.status(), intent.check()),
        (Status::Open, CheckState::Open)
    );
    intent.handle(Event::Due, at_h(72));
    assert_eq!(
        (intent.status(), intent.check()),
        (Status::Verifying, CheckState::Open)
    );

    let (mut intent, now) = acting_merge_intent();
    assert_eq!(
        (intent.status(), intent.check()),
        (Status::Merging, CheckState::Success)
    );
    // An objection raised while the merge is in flight shows.
    intent.handle(object("bob", "stop", 77, now), now);
    assert_eq!(
        (intent.status(), intent.check()),
        (Status::Blocked, CheckState::Blocked)
    );

    let (mut intent, now) = acting_merge_intent();
    let refused = MergeResult::Refused {
        message: "checks".into(),
        soon: false,
    };
    intent.handle(Event::MergeResult(refused), now);
    assert_eq!(intent.status(), Status::WaitingForGitHub);
    assert_eq!(intent.check(), CheckState::Waiting);

    let mut intent = merge_intent();
    intent.draft_wait = true;
    assert_eq!(
        (intent.status(), intent.check()),
        (Status::WaitingForDraft, CheckState::Waiting)
    );

    let (mut intent, now) = acting_merge_intent();
    intent.handle(Event::MergeResult(MergeResult::PullClosed), now);
    assert_eq!(
        (intent.status(), intent.check()),
        (Status::Ended, CheckState::Failure)
    );
    let cause = Some(MergeRefusal::PullClosed);
    assert_eq!(
        intent.outcome,
        Some(Outcome::Refused {
            reason: String::new(),
            cause
        })
    );
}
