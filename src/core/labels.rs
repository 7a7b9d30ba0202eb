//! What a label added to an item leads to (SPEC 2): nothing, news for the intent already
//! open, a record that it opened nothing (and why), or a new intent.
//!
//! The decision needs facts that cost a read each (the configuration, the item's open
//! intent and its recent ones, the item itself, the sender's role), and most labels are
//! decided after the first. So [`decide`] is asked with the facts gathered so far
//! ([`LabelFacts`]) and answers either with the decision or with the one fact it needs
//! next ([`Step::Need`]); the shell (`engine::deliveries::decide_label`) reads that fact
//! and asks again. Which facts are read, in which order, and what they mean is all
//! decided here; the shell only reads and applies.

use jiff::Timestamp;

use super::config::{Policy, RepoConfig, Role};
use super::intent::{
    Admission, ConfigProblem, Event, Intent, NotOpened, Objection, Outcome, admit,
};
use super::names::LabelName;
use super::order::label_was_ignored;

/// What is known about a label added to an item. `None` fields are not read yet.
#[derive(Debug, Clone)]
pub struct LabelFacts {
    /// The label's name.
    pub label: String,
    /// When it was added, by GitHub's time where known.
    pub at: Timestamp,
    /// Who added it (the delivery's sender, or the timeline's actor).
    pub sender: String,
    pub sender_is_bot: bool,
    /// Whether the item is a pull request, as the delivery (or listing) said.
    pub is_pull: bool,
    /// The repository's configuration, or why it cannot be used.
    pub config: Option<Result<RepoConfig, ConfigProblem>>,
    /// The label of the item's open intent (`Some(None)`: none is open).
    pub open_intent: Option<Option<LabelName>>,
    /// The item's most recent intents that ended, newest first (labels that opened
    /// nothing included).
    pub ended: Option<Vec<Intent>>,
    /// The item as GitHub says now (`Some(None)`: not found).
    pub item: Option<Option<ItemFacts>>,
    /// The sender's role on the repository (`Some(None)`: none). Never needed for a bot.
    pub role: Option<Option<Role>>,
}

/// The item re-read from GitHub (a payload is a hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemFacts {
    pub open: bool,
    pub is_pull: bool,
    /// Whether it carries the label now.
    pub has_label: bool,
}

/// A fact [`decide`] needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Config,
    OpenIntent,
    Ended,
    Item,
    Role,
}

/// [`decide`]'s answer: a fact to read, or the decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Need(Need),
    Done(Box<LabelDecision>),
}

/// What the label leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelDecision {
    /// Nothing at all, not even a comment.
    Nothing(Skip),
    /// Another intent label on an item with an open intent: this event for that intent.
    ToOpenIntent(Event),
    /// An intent label that opens nothing, recorded with the reason (which the status
    /// comment tells).
    NotOpened {
        policy: Policy,
        is_pull: bool,
        why: NotOpened,
    },
    /// A new intent, with the objections it carries over from the item's last one.
    Open {
        policy: Policy,
        is_pull: bool,
        carried: Vec<Objection>,
    },
}

/// Why a label leads to nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not an intent label (with a broken configuration, not one of the defaults').
    NotAnIntentLabel,
    /// The open intent's own label again (or a redelivery of it).
    SameLabel,
    /// Added while another intent was open, so answered as ignored: it opens nothing,
    /// then or later (SPEC 2), whoever sees it again.
    WasIgnored,
    /// A replayed `labeled` body: an intent already ran for this label event.
    Replayed,
    /// The item is gone (not found).
    ItemGone,
    /// The label was removed again before tacit got to it (or delivered out of order).
    LabelGone,
    /// Added by a bot that the intent's `bots` does not list: silently nothing.
    Bot,
}

impl LabelFacts {
    /// A label `label` added at `at` by `sender`, nothing read yet.
    pub fn new(
        label: &str,
        at: Timestamp,
        sender: &str,
        sender_is_bot: bool,
        is_pull: bool,
    ) -> Self {
        LabelFacts {
            label: label.to_string(),
            at,
            sender: sender.to_string(),
            sender_is_bot,
            is_pull,
            config: None,
            open_intent: None,
            ended: None,
            item: None,
            role: None,
        }
    }
}

/// Decide what the label leads to, or which fact is needed for that (see the module's
/// comment). `now` is when it is decided: objections carry over from an intent that
/// ended blocked shortly before.
pub fn decide(f: &LabelFacts, now: Timestamp) -> Step {
    use LabelDecision::{Nothing, ToOpenIntent};
    let label = f.label.as_str();
    let Some(config) = &f.config else {
        return Step::Need(Need::Config);
    };
    // Is this an intent label at all? With a broken file, the defaults' labels still
    // tell us the person meant to open an intent.
    let policy = config.as_ref().ok().and_then(|c| c.policy(label));
    let default_policy = RepoConfig::default().policy(label);
    if policy.is_none() && (config.is_ok() || default_policy.is_none()) {
        return done(Nothing(Skip::NotAnIntentLabel));
    }
    let Some(open) = &f.open_intent else {
        return Step::Need(Need::OpenIntent);
    };
    if let Some(open) = open {
        if *open == *label {
            return done(Nothing(Skip::SameLabel));
        }
        return done(ToOpenIntent(Event::OtherIntentLabel {
            label: label.to_string(),
            by: f.sender.clone(),
        }));
    }
    let Some(ended) = &f.ended else {
        return Step::Need(Need::Ended);
    };
    let others: Vec<&Intent> = ended.iter().collect();
    if label_was_ignored(label, f.at, &others) {
        return done(Nothing(Skip::WasIgnored));
    }
    if ended
        .iter()
        .any(|i| i.policy.label == *label && i.opened_at >= f.at)
    {
        return done(Nothing(Skip::Replayed));
    }
    let policy = match (policy, config) {
        (Some(p), _) => p,
        (None, Err(problem)) => {
            let Some(policy) = default_policy else {
                return done(Nothing(Skip::NotAnIntentLabel)); // returned above
            };
            let why = NotOpened::BadConfig {
                label: policy.label.to_string(),
                problem: problem.clone(),
            };
            return done(LabelDecision::NotOpened {
                policy,
                is_pull: f.is_pull,
                why,
            });
        }
        (None, Ok(_)) => return done(Nothing(Skip::NotAnIntentLabel)), // returned above
    };
    let item = match &f.item {
        None => return Step::Need(Need::Item),
        Some(None) => return done(Nothing(Skip::ItemGone)),
        Some(Some(item)) => item,
    };
    if !item.has_label {
        return done(Nothing(Skip::LabelGone));
    }
    let sender_role = match (f.sender_is_bot, f.role) {
        (true, _) => None,
        (false, None) => return Step::Need(Need::Role),
        (false, Some(role)) => role,
    };
    let for_issues = for_issues(config.as_ref().ok());
    let admission = Admission {
        policy: &policy,
        is_pull: item.is_pull,
        item_open: item.open,
        sender: &f.sender,
        sender_is_bot: f.sender_is_bot,
        sender_role,
        for_issues: &for_issues,
    };
    match admit(&admission) {
        Ok(()) => done(LabelDecision::Open {
            carried: carried(ended, now),
            policy,
            is_pull: item.is_pull,
        }),
        Err(NotOpened::Bot) => done(Nothing(Skip::Bot)),
        Err(why) => done(LabelDecision::NotOpened {
            policy,
            is_pull: item.is_pull,
            why,
        }),
    }
}

fn done(d: LabelDecision) -> Step {
    Step::Done(Box::new(d))
}

/// The configured labels that work on issues, offered when a merge label is put on one.
fn for_issues(config: Option<&RepoConfig>) -> Vec<String> {
    config
        .iter()
        .flat_map(|c| &c.intents)
        .filter(|p| !p.action.is_merge())
        .map(|p| p.label.to_string())
        .collect()
}

/// The objections a new intent carries over: those of the item's last real intent
/// (labels that opened nothing are skipped), if it ended blocked shortly before `now`.
fn carried(ended: &[Intent], now: Timestamp) -> Vec<Objection> {
    ended
        .iter()
        .find(|prev| !matches!(prev.outcome, Some(Outcome::NotOpened { .. })))
        .map(|prev| prev.carried_objections(now))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "labels_tests.rs"]
mod tests;
