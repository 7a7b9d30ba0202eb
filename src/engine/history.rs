//! An item's comments and reviews, re-read from the API and timed by GitHub (SPEC 3).
//!
//! Used when an intent opens (commands written after the label, before tacit knew of
//! the intent, are not lost; a changes-requested review that still stands is an
//! objection) and before acting (an objection or a review tacit has not seen blocks).
//! Both come from one read of the item's timeline (`GitHub::conversation`).

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use crate::core::commands::{Command, parse_commands};
use crate::core::intent::{Actor, Event, Intent, Source, Verdict};
use crate::core::order::{ReviewState, standing_changes_requested};
use crate::github::{Comment, GhResult, Review};

use super::Engine;

/// GitHub's times have whole seconds; an intent stored by an older release has its
/// label time in milliseconds, from when the delivery arrived. Objections this close
/// before it still count (the safe side); approvals never do.
const SLACK: SignedDuration = SignedDuration::from_secs(2);

/// What a re-read found.
pub(crate) struct History {
    /// Core events for commands and reviews not counted yet, oldest first.
    pub events: Vec<Event>,
    /// `c:<id>` / `r:<id>` of comments and reviews that still hold an approval.
    pub approvals_standing: BTreeSet<String>,
}

/// Which commands a re-read feeds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reread {
    /// The intent just opened: every command and review made after the label.
    Opening,
    /// Before acting: only what blocks (objections, standing changes-requested reviews).
    BeforeActing,
}

impl Engine {
    pub(crate) async fn history(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        intent: &Intent,
        mode: Reread,
    ) -> GhResult<History> {
        let (comments, reviews) = self.conversation(inst, repo, number, intent).await?;
        let mut events = Vec::new();
        let mut approvals_standing = BTreeSet::new();
        for c in &comments {
            if c.user.is_bot() {
                continue; // bots, tacit included, never command
            }
            let commands = parse_commands(&c.body);
            if commands.contains(&Command::Approve) {
                approvals_standing.insert(format!("c:{}", c.id));
            }
            let chosen = comment_commands(c, &commands, intent, mode);
            if chosen.is_empty() {
                continue;
            }
            let role = self.role(inst, repo, &c.user.login, false).await?;
            let approver = chosen.iter().any(|(c, _)| *c == Command::Approve)
                && self
                    .approver(inst, &intent.policy, &c.user.login, false)
                    .await?;
            for (command, at) in chosen {
                events.push(Event::Command {
                    actor: Actor {
                        login: c.user.login.clone(),
                        role,
                        approver,
                    },
                    command,
                    source: Source::Comment(c.id),
                    url: Some(c.html_url.clone()),
                    at,
                    sender_is_author: true,
                    edited_from: None,
                });
            }
        }
        let states: Vec<ReviewState<'_>> = reviews
            .iter()
            .map(|r| ReviewState {
                login: &r.user.login,
                state: &r.state,
            })
            .collect();
        let standing = standing_changes_requested(&states);
        for (i, r) in reviews.iter().enumerate() {
            if r.state.eq_ignore_ascii_case("approved") {
                approvals_standing.insert(format!("r:{}", r.id));
            }
            if r.user.is_bot() || intent.counted.contains(&format!("r:{}", r.id)) {
                continue;
            }
            let at = r.submitted_at;
            let after_label = at.is_some_and(|t| t >= intent.opened_at);
            if standing.contains(&i) {
                let role = self.role(inst, repo, &r.user.login, false).await?;
                events.push(Event::StandingReview {
                    actor: Actor {
                        login: r.user.login.clone(),
                        role,
                        approver: false,
                    },
                    review_id: r.id,
                    body: r.body.clone().unwrap_or_default(),
                    url: Some(r.html_url.clone()),
                    at: at.unwrap_or(intent.opened_at).max(intent.opened_at),
                });
            } else if mode == Reread::Opening && after_label {
                events.extend(self.review_events(inst, repo, &intent.policy, r).await?);
            }
        }
        Ok(History {
            events,
            approvals_standing,
        })
    }

    /// The item's comments and (on a pull request) reviews: one read of its timeline,
    /// which lists both; the two lists of their own when the timeline cannot be read
    /// whole.
    async fn conversation(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        intent: &Intent,
    ) -> GhResult<(Vec<Comment>, Vec<Review>)> {
        let is_pull = intent.is_pull;
        let label = &intent.policy.label;
        if let Some((comments, reviews)) = self.gh.conversation(inst, repo, number, label).await? {
            return Ok((comments, if is_pull { reviews } else { Vec::new() }));
        }
        let comments = self.gh.comments(inst, repo, number).await?;
        let reviews = if is_pull {
            self.gh.reviews(inst, repo, number).await?
        } else {
            Vec::new()
        };
        Ok((comments, reviews))
    }

    /// An approving review made after the label, and its body's commands.
    async fn review_events(
        &self,
        inst: u64,
        repo: &str,
        policy: &crate::core::config::Policy,
        r: &Review,
    ) -> GhResult<Vec<Event>> {
        let Some(at) = r.submitted_at else {
            return Ok(Vec::new()); // order unknown: an approval does not count
        };
        let commands = parse_commands(r.body.as_deref().unwrap_or(""));
        let approved = r.state.eq_ignore_ascii_case("approved");
        if commands.is_empty() && !approved {
            return Ok(Vec::new());
        }
        let role = self.role(inst, repo, &r.user.login, false).await?;
        let approver = (approved || commands.contains(&Command::Approve))
            && self.approver(inst, policy, &r.user.login, false).await?;
        let actor = Actor {
            login: r.user.login.clone(),
            role,
            approver,
        };
        let url = Some(r.html_url.clone());
        let mut events: Vec<Event> = commands
            .into_iter()
            .map(|command| Event::Command {
                actor: actor.clone(),
                command,
                source: Source::Review(r.id),
                url: url.clone(),
                at,
                sender_is_author: true,
                edited_from: None,
            })
            .collect();
        if approved {
            events.push(Event::Review {
                actor,
                review_id: r.id,
                verdict: Verdict::Approved,
                body: r.body.clone().unwrap_or_default(),
                commit_id: r.commit_id.clone(),
                url,
                at,
            });
        }
        Ok(events)
    }
}

/// The commands of one comment that a re-read feeds, each with GitHub's time.
///
/// Written after the label: all of them (when opening), or its objections. Written
/// before the label but edited after it: the edit may have added objections, and
/// without the old body nobody can tell, so its objections count (the safe side) and
/// nothing else does. Untouched since before the label: nothing.
fn comment_commands(
    c: &Comment,
    commands: &[Command],
    intent: &Intent,
    mode: Reread,
) -> Vec<(Command, Timestamp)> {
    let label = intent.opened_at;
    let is_object = |cmd: &Command| matches!(cmd, Command::Object { .. });
    let unseen = |cmd: &&Command| {
        !(is_object(cmd) && intent.counted.contains(&format!("c:{}:object", c.id)))
    };
    let created_after = c.created_at.is_some_and(|t| t >= label);
    if created_after && mode == Reread::Opening {
        let at = c.created_at.unwrap_or(label);
        return commands
            .iter()
            .filter(unseen)
            .map(|cmd| (cmd.clone(), at))
            .collect();
    }
    let touched = c.updated_at.or(c.created_at);
    let Some(touched) = touched else {
        // No time at all: the safe side.
        return objections(commands, unseen, label);
    };
    if touched + SLACK < label {
        return Vec::new();
    }
    objections(commands, unseen, touched.max(label))
}

fn objections(
    commands: &[Command],
    unseen: impl Fn(&&Command) -> bool,
    at: Timestamp,
) -> Vec<(Command, Timestamp)> {
    commands
        .iter()
        .filter(|c| matches!(c, Command::Object { .. }))
        .filter(unseen)
        .map(|c| (c.clone(), at))
        .collect()
}
