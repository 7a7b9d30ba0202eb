use super::*;
use crate::core::intent::{CARRY_OVER, EndReason, Opening};

const MERGE: &str = "intent-to-merge";
const CLOSE: &str = "intent-to-close";

fn t(h: i64) -> Timestamp {
    "2026-03-02T09:00:00Z".parse::<Timestamp>().unwrap() + jiff::SignedDuration::from_hours(h)
}

fn policy(label: &str) -> Policy {
    RepoConfig::default().policy(label).unwrap()
}

fn problem() -> ConfigProblem {
    ConfigProblem::Invalid {
        file: "o/r/.github/tacit.yml".into(),
        error: "line 1, column 1: unknown key".into(),
    }
}

/// `label` added at `t(1)` by alice (a person) to an open pull request.
fn facts(label: &str) -> LabelFacts {
    LabelFacts::new(label, t(1), "alice", false, true)
}

/// The facts of a label on an open pull request carrying it, with the default
/// configuration, nothing open or ended before, alice a writer.
fn all_read(label: &str) -> LabelFacts {
    LabelFacts {
        config: Some(Ok(RepoConfig::default())),
        open_intent: Some(None),
        ended: Some(Vec::new()),
        item: Some(Some(ItemFacts {
            open: true,
            is_pull: true,
            has_label: true,
        })),
        role: Some(Some(Role::Write)),
        ..facts(label)
    }
}

/// An intent labelled `label` opened at `t(opened)` (ended at `t(end)` if given).
fn intent(label: &str, opened: i64, end: Option<i64>) -> Intent {
    let (mut i, _) = Intent::open(Opening {
        policy: policy(label),
        is_pull: true,
        item_author: "carol".into(),
        author: "alice".into(),
        at: t(opened),
        now: t(opened),
        head_sha: Some("s".into()),
        carried: Vec::new(),
    });
    if let Some(end) = end {
        i.handle(Event::Ended(EndReason::LabelRemoved { by: None }), t(end));
    }
    i
}

fn decided(f: &LabelFacts) -> LabelDecision {
    match decide(f, t(2)) {
        Step::Done(d) => *d,
        Step::Need(n) => panic!("decided nothing, needs {n:?}"),
    }
}

fn opens(label: &str) -> LabelDecision {
    LabelDecision::Open {
        policy: policy(label),
        is_pull: true,
        carried: Vec::new(),
    }
}

#[test]
fn each_fact_is_read_when_it_is_needed_and_in_this_order() {
    let mut f = facts(MERGE);
    let full = all_read(MERGE);
    let steps = [
        Need::Config,
        Need::OpenIntent,
        Need::Ended,
        Need::Item,
        Need::Role,
    ];
    for need in steps {
        assert_eq!(decide(&f, t(2)), Step::Need(need));
        match need {
            Need::Config => f.config = full.config.clone(),
            Need::OpenIntent => f.open_intent = full.open_intent.clone(),
            Need::Ended => f.ended = full.ended.clone(),
            Need::Item => f.item = full.item,
            Need::Role => f.role = full.role,
        }
    }
    assert_eq!(decide(&f, t(2)), Step::Done(Box::new(opens(MERGE))));
    // A bot's role is never read.
    let bot = LabelFacts {
        sender_is_bot: true,
        role: None,
        ..all_read(MERGE)
    };
    assert_eq!(
        decide(&bot, t(2)),
        Step::Done(Box::new(LabelDecision::Nothing(Skip::Bot)))
    );
}

#[test]
fn which_labels_are_intent_labels() {
    let custom = RepoConfig {
        intents: vec![Policy {
            label: "ship-it".into(),
            ..policy(MERGE)
        }],
    };
    let not = Step::Done(Box::new(LabelDecision::Nothing(Skip::NotAnIntentLabel)));
    let intent = Step::Need(Need::OpenIntent);
    let cases: [(Result<RepoConfig, ConfigProblem>, &str, &Step); 9] = [
        (Ok(RepoConfig::default()), MERGE, &intent),
        (Ok(RepoConfig::default()), "Intent-To-Close", &intent),
        (Ok(RepoConfig::default()), "bug", &not),
        (Ok(custom.clone()), "ship-it", &intent),
        (Ok(custom.clone()), "SHIP-IT", &intent),
        // A file without the default labels: they are labels like any other.
        (Ok(custom), MERGE, &not),
        // A broken file: the defaults' labels still say an intent was meant.
        (Err(problem()), MERGE, &intent),
        (Err(problem()), "intent-to-proceed", &intent),
        (Err(problem()), "ship-it", &not),
    ];
    for (config, label, want) in cases {
        let f = LabelFacts {
            config: Some(config.clone()),
            ..facts(label)
        };
        assert_eq!(&decide(&f, t(2)), want, "{label} under {config:?}");
    }
}

#[test]
fn an_open_intent_hears_of_another_intent_label_and_ignores_its_own() {
    let with_open = |label: &str, open: &str| LabelFacts {
        open_intent: Some(Some(open.into())),
        ..all_read(label)
    };
    let same = LabelDecision::Nothing(Skip::SameLabel);
    assert_eq!(decided(&with_open(MERGE, MERGE)), same);
    assert_eq!(decided(&with_open("INTENT-to-merge", MERGE)), same);
    let other = LabelDecision::ToOpenIntent(Event::OtherIntentLabel {
        label: CLOSE.into(),
        by: "alice".into(),
    });
    assert_eq!(decided(&with_open(CLOSE, MERGE)), other);
    // Also with a broken configuration (the label is one of the defaults').
    let broken = LabelFacts {
        config: Some(Err(problem())),
        ..with_open(CLOSE, MERGE)
    };
    assert_eq!(decided(&broken), other);
}

#[test]
fn a_label_ignored_while_another_intent_was_open_stays_ignored() {
    // A merge intent open from t(0) to t(5).
    let at = |label: &str, h: i64| LabelFacts {
        at: t(h),
        ended: Some(vec![intent(MERGE, 0, Some(5))]),
        ..all_read(label)
    };
    let ignored = LabelDecision::Nothing(Skip::WasIgnored);
    assert_eq!(decided(&at(CLOSE, 1)), ignored);
    assert_eq!(decided(&at(CLOSE, 5)), ignored);
    // Before it opened, or after it ended: a label like any other.
    assert_eq!(decided(&at(CLOSE, -1)), opens(CLOSE));
    assert_eq!(decided(&at(CLOSE, 6)), opens(CLOSE));
    // A label that opened nothing ignores nothing.
    let mut not_opened = intent(MERGE, 0, None);
    not_opened.outcome = Some(Outcome::NotOpened {
        message: String::new(),
        why: None,
    });
    let f = LabelFacts {
        ended: Some(vec![not_opened]),
        ..at(CLOSE, 1)
    };
    assert_eq!(decided(&f), opens(CLOSE));
}

#[test]
fn a_replayed_label_event_opens_nothing_again() {
    let after = |h: i64| LabelFacts {
        at: t(h),
        ended: Some(vec![intent(MERGE, 3, Some(5))]),
        ..all_read(MERGE)
    };
    let replayed = LabelDecision::Nothing(Skip::Replayed);
    // An intent of this label opened at or after the label's time: it ran for it.
    assert_eq!(decided(&after(3)), replayed);
    assert_eq!(decided(&after(1)), replayed);
    // The label added again later opens anew.
    assert_eq!(decided(&after(6)), opens(MERGE));
}

#[test]
fn a_broken_configuration_is_recorded_with_the_default_policy_before_the_item_is_read() {
    let f = LabelFacts {
        config: Some(Err(problem())),
        item: None,
        role: None,
        is_pull: false,
        ..all_read(CLOSE)
    };
    assert_eq!(
        decide(&f, t(2)),
        Step::Done(Box::new(LabelDecision::NotOpened {
            policy: policy(CLOSE),
            is_pull: false,
            why: NotOpened::BadConfig {
                label: CLOSE.into(),
                problem: problem(),
            },
        }))
    );
    // The label spelled otherwise: the policy keeps the configured spelling.
    let f = LabelFacts {
        label: "Intent-To-Close".into(),
        ..f
    };
    let LabelDecision::NotOpened { policy, .. } = decided(&f) else {
        panic!("not recorded");
    };
    assert_eq!(policy.label, CLOSE);
}

#[test]
fn the_item_as_github_says_it_is_now() {
    let item = |item: Option<ItemFacts>| LabelFacts {
        item: Some(item),
        ..all_read(MERGE)
    };
    let open_pull = ItemFacts {
        open: true,
        is_pull: true,
        has_label: true,
    };
    assert_eq!(decided(&item(None)), LabelDecision::Nothing(Skip::ItemGone));
    let removed = ItemFacts {
        has_label: false,
        ..open_pull
    };
    assert_eq!(
        decided(&item(Some(removed))),
        LabelDecision::Nothing(Skip::LabelGone)
    );
    let closed = ItemFacts {
        open: false,
        ..open_pull
    };
    assert_eq!(
        decided(&item(Some(closed))),
        LabelDecision::NotOpened {
            policy: policy(MERGE),
            is_pull: true,
            why: NotOpened::ItemClosed {
                label: MERGE.into()
            },
        }
    );
    // An issue, whatever the delivery said: a merge label there offers the labels that
    // work on issues.
    let issue = ItemFacts {
        is_pull: false,
        ..open_pull
    };
    assert_eq!(
        decided(&item(Some(issue))),
        LabelDecision::NotOpened {
            policy: policy(MERGE),
            is_pull: false,
            why: NotOpened::NotAPullRequest {
                label: MERGE.into(),
                for_issues: vec![CLOSE.into(), "intent-to-proceed".into()],
            },
        }
    );
    let close_issue = LabelFacts {
        item: Some(Some(issue)),
        ..all_read(CLOSE)
    };
    assert_eq!(
        decided(&close_issue),
        LabelDecision::Open {
            policy: policy(CLOSE),
            is_pull: false,
            carried: Vec::new(),
        }
    );
}

#[test]
fn who_may_open_an_intent() {
    let by = |role: Option<Role>, bot: bool, bots: &[&str]| {
        let config = RepoConfig {
            intents: vec![Policy {
                bots: bots.iter().map(|b| b.to_string()).collect(),
                ..policy(MERGE)
            }],
        };
        let f = LabelFacts {
            config: Some(Ok(config)),
            sender: if bot { "helper[bot]" } else { "alice" }.into(),
            sender_is_bot: bot,
            role: (!bot).then_some(role),
            ..all_read(MERGE)
        };
        decided(&f)
    };
    let is_open = |d: &LabelDecision| matches!(d, LabelDecision::Open { .. });
    assert!(is_open(&by(Some(Role::Write), false, &[])));
    assert!(is_open(&by(Some(Role::Admin), false, &[])));
    let refused = |has: Option<Role>| LabelDecision::NotOpened {
        policy: policy(MERGE),
        is_pull: true,
        why: NotOpened::NoPermission {
            label: MERGE.into(),
            who: "alice".into(),
            needs: Role::Write,
            has,
        },
    };
    assert_eq!(
        by(Some(Role::Triage), false, &[]),
        refused(Some(Role::Triage))
    );
    assert_eq!(by(None, false, &[]), refused(None));
    // Bots: silently nothing, unless listed (then no role is needed).
    assert_eq!(by(None, true, &[]), LabelDecision::Nothing(Skip::Bot));
    assert!(is_open(&by(None, true, &["Helper[bot]"])));
}

#[test]
fn objections_carry_over_from_the_last_intent_that_opened() {
    let objection = Objection {
        who: "bob".into(),
        reason: "not yet".into(),
        at: t(-5),
        ..Objection::default()
    };
    // A close intent, blocked, ended at t(-1); since then a label that opened nothing.
    let mut blocked = intent(CLOSE, -10, Some(-1));
    blocked.objections = vec![objection.clone()];
    let mut refused = intent(CLOSE, -1, Some(-1));
    refused.objections = vec![objection.clone()];
    refused.outcome = Some(Outcome::NotOpened {
        message: String::new(),
        why: None,
    });
    let f = LabelFacts {
        ended: Some(vec![refused, blocked]),
        ..all_read(MERGE)
    };
    let carried = |now: Timestamp| match decide(&f, now) {
        Step::Done(d) => match *d {
            LabelDecision::Open { carried, .. } => carried,
            other => panic!("{other:?}"),
        },
        Step::Need(n) => panic!("needs {n:?}"),
    };
    assert_eq!(carried(t(2)), vec![objection]);
    // Only for a while after the last one ended.
    let later = t(-1) + jiff::SignedDuration::try_from(CARRY_OVER).unwrap();
    assert_eq!(carried(later), Vec::new());
}
