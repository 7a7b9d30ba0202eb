//! The decision machine for one intent.
//!
//! An [`Intent`] is the whole durable state of one lazy-consensus decision. The shell
//! feeds it [`Event`]s with the current time; [`Intent::handle`] updates the state and
//! returns the [`Effect`]s to perform, as data. [`Intent::next_due`] says when the
//! intent wants to be woken with [`Event::Due`]. Nothing here reads a clock or does
//! I/O, so every rule of SPEC sections 2–4 is a plain unit test over simulated time.
//!
//! The lifecycle:
//!
//! ```text
//!  open ──► Open ──(due)──► Verifying ──(Verified: all good)──► Acting ──(merged)──► Done
//!            ▲                  │                                  │
//!            └──(blocked, not yet, head moved)◄────────────────────┘ (refused: wait, retry)
//! ```
//!
//! `Verifying` exists because a payload is only a hint: before acting, the shell
//! re-reads the item from GitHub and reports what it found ([`Facts`]).

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::business::Calendar;
use super::commands::Command;
use super::config::{Action, CloseReason, MergeMethod, Policy, Role};

/// `/extend` may add at most this much to one intent, in all (wall-clock, SPEC 3).
pub const MAX_EXTENSION: Duration = Duration::from_secs(14 * 24 * 3600);
/// A refused merge is retried at least this often (SPEC 4).
pub const MERGE_RETRY_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// "Base branch was modified" is transient: retried within seconds.
pub const MERGE_RETRY_SOON: Duration = Duration::from_secs(5);
/// After this long of refused merges tacit gives up (wall-clock, SPEC 4/5).
pub const MERGE_GIVE_UP_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);
/// Objections of an intent that ended blocked carry over to a new one this long (SPEC 2).
pub const CARRY_OVER: Duration = Duration::from_secs(30 * 24 * 3600);
/// At most this many non-blocking concerns are listed in the status comment (SPEC 3).
pub const MAX_CONCERNS: usize = 10;
/// Notices (clamped extensions, ignored labels) kept for the status comment.
pub const MAX_NOTICES: usize = 5;

/// Where a command or review came from; also the key that makes it count once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Comment(u64),
    Review(u64),
    /// Carried over from an earlier intent on the same item that ended blocked.
    CarriedOver,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    pub who: String,
    pub reason: String,
    pub url: Option<String>,
    pub at: Timestamp,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub who: String,
    pub url: Option<String>,
    pub at: Timestamp,
    pub source: Source,
}

/// A command that was not counted, listed so that its author learns why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concern {
    pub who: String,
    /// What they asked, e.g. "/object: too risky".
    pub what: String,
    /// Why it does not count, e.g. "needs write permission (has read)".
    pub why: String,
    pub url: Option<String>,
}

/// A merge the repository refused; the intent waits and retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub message: String,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    pub attempts: u32,
    /// Retry within seconds ("Base branch was modified").
    pub soon: bool,
    /// Checks or reviews changed since the last attempt: retry now.
    pub nudged: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The window is running, blocked, or waiting to retry a refused merge.
    Open,
    /// Due: the shell is re-reading GitHub before acting.
    Verifying,
    /// The merge request is in flight.
    Acting,
    Done,
}

/// How an intent ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    Merged {
        sha: String,
    },
    Closed,
    Accepted,
    Cancelled {
        by: String,
    },
    LabelRemoved {
        by: Option<String>,
    },
    ItemClosed {
        by: Option<String>,
        merged: bool,
    },
    LabelDeleted,
    AuthorLostPermission {
        author: String,
    },
    Refused {
        reason: String,
    },
    GaveUp {
        reason: String,
    },
    InstallationRemoved,
    /// The label opened nothing; `message` says why (already rendered).
    NotOpened {
        message: String,
    },
}

impl Outcome {
    /// Whether the intended action happened.
    pub fn succeeded(&self) -> bool {
        matches!(
            self,
            Outcome::Merged { .. } | Outcome::Closed | Outcome::Accepted
        )
    }
}

/// Someone who wrote a command or a review, as the shell found them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub login: String,
    /// Their role on the repository (`None`: unknown or no access).
    pub role: Option<Role>,
    /// Whether they are among the policy's `approvers` through a team, as the shell
    /// found (an active member); logins listed by name the core checks itself. Only
    /// read when the policy lists approvers.
    #[serde(default)]
    pub approver: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    ChangesRequested,
}

/// Why an intent ends without acting, when something outside it ends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    LabelRemoved { by: Option<String> },
    ItemClosed { by: Option<String>, merged: bool },
    LabelDeleted,
    InstallationRemoved,
}

/// What the shell found when it re-read GitHub before acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub open: bool,
    pub label_present: bool,
    /// The pull request's current head (pull requests only).
    pub head_sha: Option<String>,
    pub draft: bool,
    /// The intent author's current role.
    pub author_role: Option<Role>,
    /// Logins whose approval still stands: its comment or review still exists and they
    /// still have the permission to approve.
    pub valid_approvers: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeResult {
    Merged {
        sha: String,
    },
    /// 409: the head moved since it was recorded; `sha` is the new head if known.
    HeadMoved {
        sha: Option<String>,
    },
    /// 405/422 and friends: the repository's rules refuse the merge for now.
    Refused {
        message: String,
        soon: bool,
    },
    /// A refusal that waiting cannot fix (403, such as missing `workflows` permission).
    Fatal {
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A command from a comment or review body. `sender_is_author` is false when
    /// someone edited another person's comment: then only `/object` counts.
    Command {
        actor: Actor,
        command: Command,
        source: Source,
        url: Option<String>,
        at: Timestamp,
        sender_is_author: bool,
    },
    Review {
        actor: Actor,
        review_id: u64,
        verdict: Verdict,
        body: String,
        commit_id: Option<String>,
        url: Option<String>,
        at: Timestamp,
    },
    ReviewDismissed {
        review_id: u64,
    },
    /// Another intent label was added while this intent is open.
    OtherIntentLabel {
        label: String,
        by: String,
    },
    /// New commits, a new base branch, or ready-for-review (SPEC 2/3).
    HeadChanged {
        sha: Option<String>,
        at: Timestamp,
    },
    /// Checks, statuses or reviews changed: a refused merge may succeed now.
    ChecksChanged,
    Ended(EndReason),
    Due,
    Verified(Facts),
    MergeResult(MergeResult),
}

/// Work for the shell. Each is performed idempotently, in order, per intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Effect {
    /// Create or edit the status comment so that it shows the current state.
    SyncStatus,
    /// Create or update the `tacit` check run on the recorded head (merge intents).
    SyncCheck,
    /// Re-read the item from GitHub and answer with [`Event::Verified`].
    Verify,
    /// Merge with the recorded head; answer with [`Event::MergeResult`].
    Merge {
        sha: String,
        method: Option<MergeMethod>,
    },
    Close {
        reason: CloseReason,
    },
    AddLabel {
        name: String,
    },
    RemoveLabel {
        name: String,
    },
    /// Post the one short outcome comment.
    PostOutcome,
}

/// Everything the shell learned before opening an intent.
#[derive(Debug, Clone)]
pub struct Opening {
    pub policy: Policy,
    pub is_pull: bool,
    pub item_author: String,
    pub author: String,
    /// When the window opens: when the label was added.
    pub at: Timestamp,
    pub head_sha: Option<String>,
    /// Objections of an earlier intent on this item that ended blocked (SPEC 2).
    pub carried: Vec<Objection>,
}

/// The facts that decide whether a label may open an intent at all.
#[derive(Debug, Clone)]
pub struct Admission<'a> {
    pub policy: &'a Policy,
    pub is_pull: bool,
    pub item_open: bool,
    pub sender: &'a str,
    pub sender_is_bot: bool,
    pub sender_role: Option<Role>,
}

/// Why a label opened nothing. `comment()` says so, briefly, to the person who added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotOpened {
    /// Labels by bots and workflows open nothing, silently (they would loop).
    Bot,
    NotAPullRequest {
        label: String,
    },
    ItemClosed {
        label: String,
    },
    NoPermission {
        label: String,
        who: String,
        needs: Role,
        has: Option<Role>,
    },
}

/// Decide whether a label may open an intent (SPEC 2).
pub fn admit(a: &Admission<'_>) -> Result<(), NotOpened> {
    let label = a.policy.label.clone();
    if a.sender_is_bot
        && !a
            .policy
            .bots
            .iter()
            .any(|b| b.eq_ignore_ascii_case(a.sender))
    {
        return Err(NotOpened::Bot);
    }
    if a.policy.action == Action::Merge && !a.is_pull {
        return Err(NotOpened::NotAPullRequest { label });
    }
    if !a.item_open {
        return Err(NotOpened::ItemClosed { label });
    }
    let allowed_bot = a.sender_is_bot; // listed in `bots` (checked above)
    if !allowed_bot && a.sender_role.is_none_or(|r| r < a.policy.authors) {
        return Err(NotOpened::NoPermission {
            label,
            who: a.sender.to_string(),
            needs: a.policy.authors,
            has: a.sender_role,
        });
    }
    Ok(())
}

/// The whole durable state of one intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub policy: Policy,
    pub is_pull: bool,
    pub item_author: String,
    pub author: String,
    pub opened_at: Timestamp,
    /// When the current window started (moves on a push under `restart_on_push`).
    pub window_start: Timestamp,
    pub head_sha: Option<String>,
    /// When the current head was first seen; approvals before it do not count.
    pub head_at: Timestamp,
    #[serde(with = "super::duration::serde_secs")]
    pub extended: Duration,
    pub objections: Vec<Objection>,
    /// When the last open objection ended (gates the close by `after_objection`).
    pub cleared_at: Option<Timestamp>,
    pub approvals: Vec<Approval>,
    pub concerns: Vec<Concern>,
    pub notices: Vec<String>,
    /// Keys of comments and reviews already counted ("a command counts once per comment").
    pub counted: BTreeSet<String>,
    pub phase: Phase,
    pub refusal: Option<Refusal>,
    pub outcome: Option<Outcome>,
    pub ended_at: Option<Timestamp>,
}

impl Intent {
    /// Open an intent. The caller has checked [`admit`].
    pub fn open(o: Opening) -> (Intent, Vec<Effect>) {
        let mut intent = Intent {
            is_pull: o.is_pull,
            item_author: o.item_author,
            author: o.author,
            opened_at: o.at,
            window_start: o.at,
            head_sha: o.head_sha,
            head_at: o.at,
            extended: Duration::ZERO,
            objections: Vec::new(),
            cleared_at: None,
            approvals: Vec::new(),
            concerns: Vec::new(),
            notices: Vec::new(),
            counted: BTreeSet::new(),
            phase: Phase::Open,
            refusal: None,
            outcome: None,
            ended_at: None,
            policy: o.policy,
        };
        for mut carried in o.carried {
            if !intent
                .objections
                .iter()
                .any(|x| same_login(&x.who, &carried.who))
            {
                carried.source = Source::CarriedOver;
                intent.objections.push(carried);
            }
        }
        let mut effects = vec![Effect::SyncStatus];
        if intent.has_check() {
            effects.push(Effect::SyncCheck);
        }
        (intent, effects)
    }

    /// A label that opened nothing: recorded as an intent that is already done, so
    /// that the short comment saying why goes through the same durable outbox.
    pub fn not_opened(
        policy: Policy,
        is_pull: bool,
        author: &str,
        at: Timestamp,
        message: String,
    ) -> (Intent, Vec<Effect>) {
        let (mut intent, _) = Intent::open(Opening {
            policy,
            is_pull,
            item_author: String::new(),
            author: author.to_string(),
            at,
            head_sha: None,
            carried: Vec::new(),
        });
        intent.finish(Outcome::NotOpened { message }, at);
        (intent, vec![Effect::PostOutcome])
    }

    pub fn calendar(&self) -> Calendar {
        Calendar::from_policy(&self.policy)
    }

    /// Merge intents on pull requests carry the `tacit` check run.
    pub fn has_check(&self) -> bool {
        self.is_pull && self.policy.action == Action::Merge
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// When the window closes if nobody objects: the window plus extensions, and no
    /// sooner than `after_objection` after the last objection ended.
    pub fn closes_at(&self) -> Timestamp {
        let cal = self.calendar();
        let close = cal.add(self.window_start, self.policy.window + self.extended);
        let close = match self.gate() {
            Some(gate) if gate > close => gate,
            _ => close,
        };
        self.within_hours(close)
    }

    /// `act_within` (SPEC 5): `t`, or when it falls outside the hours tacit may act in,
    /// the moment they next begin.
    fn within_hours(&self, t: Timestamp) -> Timestamp {
        match self.policy.act_within {
            Some(hours) => self.calendar().within_hours(t, hours),
            None => t,
        }
    }

    /// Why `actor`'s approval does not count under `approvers` (SPEC 5), if it does not.
    fn not_an_approver(&self, actor: &Actor, what: &str, url: &Option<String>) -> Option<Concern> {
        let approvers = &self.policy.approvers;
        let listed = approvers.is_empty()
            || actor.approver
            || approvers.iter().any(|a| same_login(a, &actor.login));
        (!listed).then(|| Concern {
            who: actor.login.clone(),
            what: what.to_string(),
            why: super::render::not_an_approver(approvers),
            url: url.clone(),
        })
    }

    /// How much more `/extend` may add. The cap is [`MAX_EXTENSION`] of wall-clock
    /// time by which the close moves (SPEC 5), also when durations count business
    /// days only: then it is the business time inside the 14 days after the close
    /// without extensions.
    fn extension_room(&self) -> Duration {
        let cal = self.calendar();
        let unextended = cal.add(self.window_start, self.policy.window);
        let limit = unextended
            .checked_add(MAX_EXTENSION)
            .unwrap_or(Timestamp::MAX);
        cal.elapsed(unextended, limit).saturating_sub(self.extended)
    }

    /// `after_objection` after the last objection ended, if one did.
    fn gate(&self) -> Option<Timestamp> {
        self.cleared_at
            .map(|c| self.calendar().add(c, self.policy.after_objection))
    }

    /// Approvals enough for early proceed (SPEC 3)?
    pub fn early_proceed(&self) -> bool {
        self.policy.approvals > 0 && self.approvals.len() >= self.policy.approvals as usize
    }

    /// When the intent may act, if nothing changes; `None` while objections block it.
    pub fn ready_at(&self) -> Option<Timestamp> {
        if !self.objections.is_empty() {
            return None;
        }
        if self.early_proceed() {
            return Some(self.gate().unwrap_or(self.window_start));
        }
        Some(self.closes_at())
    }

    /// When the shell should deliver [`Event::Due`]; `None` when nothing is scheduled
    /// (blocked by objections, waiting for an effect's answer, or done).
    pub fn next_due(&self) -> Option<Timestamp> {
        if self.phase != Phase::Open {
            return None;
        }
        let ready = self.ready_at()?;
        let Some(r) = &self.refusal else {
            return Some(ready);
        };
        if r.nudged {
            return Some(ready);
        }
        let wait = if r.soon {
            MERGE_RETRY_SOON
        } else {
            MERGE_RETRY_INTERVAL
        };
        let retry = add_wall(r.last_at, wait);
        let give_up = add_wall(r.first_at, MERGE_GIVE_UP_AFTER);
        Some(ready.max(retry.min(give_up)))
    }

    /// Apply one event at time `now`; returns the effects to perform, in order.
    pub fn handle(&mut self, event: Event, now: Timestamp) -> Vec<Effect> {
        if self.phase == Phase::Done {
            return Vec::new();
        }
        match event {
            Event::Command {
                actor,
                command,
                source,
                url,
                at,
                sender_is_author,
            } => self.on_command(actor, command, source, url, at, sender_is_author),
            Event::Review {
                actor,
                review_id,
                verdict,
                body,
                commit_id,
                url,
                at,
            } => self.on_review(actor, review_id, verdict, body, commit_id, url, at),
            Event::ReviewDismissed { review_id } => self.on_review_dismissed(review_id, now),
            Event::OtherIntentLabel { label, by } => {
                self.notice(format!(
                    "@{by} added `{label}`, but `{}` is already open here, so it was ignored. \
                     Remove `{}` first to start a different intent.",
                    self.policy.label, self.policy.label
                ));
                vec![Effect::SyncStatus]
            }
            Event::HeadChanged { sha, at } => self.on_head_changed(sha, at),
            Event::ChecksChanged => {
                if let Some(r) = &mut self.refusal {
                    r.nudged = true;
                }
                Vec::new()
            }
            Event::Ended(reason) => {
                let outcome = match reason {
                    EndReason::LabelRemoved { by } => Outcome::LabelRemoved { by },
                    EndReason::ItemClosed { by, merged } => Outcome::ItemClosed { by, merged },
                    EndReason::LabelDeleted => Outcome::LabelDeleted,
                    EndReason::InstallationRemoved => {
                        // Frozen: nothing can be written with a revoked token.
                        self.phase = Phase::Done;
                        self.outcome = Some(Outcome::InstallationRemoved);
                        self.ended_at = Some(now);
                        return Vec::new();
                    }
                };
                self.end(outcome, now, false)
            }
            Event::Due => self.on_due(now),
            Event::Verified(facts) => self.on_verified(facts, now),
            Event::MergeResult(result) => self.on_merge_result(result, now),
        }
    }

    fn on_command(
        &mut self,
        actor: Actor,
        command: Command,
        source: Source,
        url: Option<String>,
        at: Timestamp,
        sender_is_author: bool,
    ) -> Vec<Effect> {
        if at < self.opened_at {
            return Vec::new();
        }
        let key = count_key(&source, &command);
        if self.counted.contains(&key) {
            return Vec::new();
        }
        if !sender_is_author && !matches!(command, Command::Object { .. }) {
            // Someone edited another person's comment: they cannot approve, withdraw,
            // extend or cancel on that person's behalf. Not counted, and not marked
            // counted either, so that the author's own edit can still count.
            return Vec::new();
        }
        self.counted.insert(key);
        let who = actor.login.clone();
        let may_object = actor.role.is_some_and(|r| r >= self.policy.objectors);
        let not_allowed = |this: &Intent, what: String| Concern {
            who: who.clone(),
            what,
            why: this.lacks_permission(actor.role),
            url: url.clone(),
        };
        match command {
            Command::Object { reason } => {
                if !may_object {
                    let what = if reason.is_empty() {
                        "/object".to_string()
                    } else {
                        format!("/object: {reason}")
                    };
                    let c = not_allowed(self, what);
                    return self.concern(c);
                }
                if self.phase == Phase::Acting {
                    // Too late to stop the request in flight, but if GitHub refuses it
                    // or the head moves, the objection blocks like any other.
                    self.notice(format!(
                        "@{who} objected while the merge was already under way."
                    ));
                }
                self.add_objection(Objection {
                    who,
                    reason,
                    url,
                    at,
                    source,
                })
            }
            Command::Withdraw => self.withdraw(&who, at, |_| true),
            Command::Approve => {
                if !may_object {
                    let c = not_allowed(self, "/approve".to_string());
                    return self.concern(c);
                }
                if let Some(c) = self.not_an_approver(&actor, "/approve", &url) {
                    return self.concern(c);
                }
                self.add_approval(Approval {
                    who,
                    url,
                    at,
                    source,
                })
            }
            Command::Extend { arg, duration } => {
                if !may_object {
                    let c = not_allowed(self, format!("/extend {arg}"));
                    return self.concern(c);
                }
                let Some(d) = duration else {
                    self.notice(format!(
                        "@{who}: `/extend {arg}` was not understood. Give a duration, \
                         like `/extend 2d` or `/extend 12h`."
                    ));
                    return vec![Effect::SyncStatus];
                };
                let added = d.min(self.extension_room());
                self.extended += added;
                if added < d {
                    self.notice(format!(
                        "@{who} asked to extend by {}; extensions are capped at {} per \
                         intent, so {} was added.",
                        super::duration::format_duration(d),
                        super::duration::format_duration(MAX_EXTENSION),
                        super::duration::format_duration(added)
                    ));
                }
                let mut effects = vec![Effect::SyncStatus];
                if self.has_check() {
                    effects.push(Effect::SyncCheck);
                }
                effects
            }
            Command::Cancel => {
                let may_cancel = same_login(&who, &self.author)
                    || actor.role.is_some_and(|r| r >= Role::Maintain);
                if !may_cancel {
                    return self.concern(Concern {
                        who: who.clone(),
                        what: "/cancel".to_string(),
                        why: "only the intent's author or a maintainer can cancel".to_string(),
                        url,
                    });
                }
                self.end(Outcome::Cancelled { by: who }, at, true)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_review(
        &mut self,
        actor: Actor,
        review_id: u64,
        verdict: Verdict,
        body: String,
        commit_id: Option<String>,
        url: Option<String>,
        at: Timestamp,
    ) -> Vec<Effect> {
        let key = format!("r:{review_id}");
        if at < self.opened_at || self.counted.contains(&key) {
            return Vec::new();
        }
        self.counted.insert(key);
        let who = actor.login.clone();
        let may_object = actor.role.is_some_and(|r| r >= self.policy.objectors);
        let why_text = self.lacks_permission(actor.role);
        let why = || why_text.clone();
        match verdict {
            Verdict::ChangesRequested => {
                if !may_object {
                    let c = Concern {
                        who,
                        what: "requested changes".to_string(),
                        why: why(),
                        url,
                    };
                    return self.concern(c);
                }
                self.add_objection(Objection {
                    who,
                    reason: body.trim().to_string(),
                    url,
                    at,
                    source: Source::Review(review_id),
                })
            }
            Verdict::Approved => {
                // An approving review ends that reviewer's review objection.
                let mut effects =
                    self.withdraw(&who, at, |o| matches!(o.source, Source::Review(_)));
                if !may_object {
                    let c = Concern {
                        who,
                        what: "approved".to_string(),
                        why: why(),
                        url,
                    };
                    effects.extend(self.concern(c));
                    return dedup(effects);
                }
                if commit_id.is_some() && commit_id != self.head_sha {
                    return dedup(effects);
                }
                if let Some(c) = self.not_an_approver(&actor, "approved", &url) {
                    effects.extend(self.concern(c));
                    return dedup(effects);
                }
                effects.extend(self.add_approval(Approval {
                    who,
                    url,
                    at,
                    source: Source::Review(review_id),
                }));
                dedup(effects)
            }
        }
    }

    fn on_review_dismissed(&mut self, review_id: u64, now: Timestamp) -> Vec<Effect> {
        let src = Source::Review(review_id);
        let before = (self.objections.len(), self.approvals.len());
        self.approvals.retain(|a| a.source != src);
        let had_objections = !self.objections.is_empty();
        self.objections.retain(|o| o.source != src);
        if had_objections && self.objections.is_empty() {
            self.cleared_at = Some(now);
        }
        if before == (self.objections.len(), self.approvals.len()) {
            return Vec::new();
        }
        self.status_effects()
    }

    fn add_objection(&mut self, objection: Objection) -> Vec<Effect> {
        if let Some(existing) = self
            .objections
            .iter_mut()
            .find(|o| same_login(&o.who, &objection.who))
        {
            // One open objection per person. An explicit `/object` outranks a review's
            // objection: it ends only by `/withdraw`, not by approving or dismissal.
            let explicit = matches!(objection.source, Source::Comment(_));
            if explicit && matches!(existing.source, Source::Review(_)) {
                *existing = objection;
                return self.status_effects();
            }
            return Vec::new();
        }
        self.objections.push(objection);
        if self.phase == Phase::Verifying {
            // The re-read found an objection it had not seen: do not act.
            self.phase = Phase::Open;
        }
        self.status_effects()
    }

    /// Withdraw `who`'s open objection (if `which` matches it). Never anyone else's.
    fn withdraw(
        &mut self,
        who: &str,
        at: Timestamp,
        which: impl Fn(&Objection) -> bool,
    ) -> Vec<Effect> {
        let before = self.objections.len();
        self.objections
            .retain(|o| !(same_login(&o.who, who) && which(o)));
        if self.objections.len() == before {
            return Vec::new();
        }
        if self.objections.is_empty() {
            self.cleared_at = Some(at);
        }
        self.status_effects()
    }

    fn add_approval(&mut self, approval: Approval) -> Vec<Effect> {
        let who = approval.who.clone();
        let reason = if same_login(&who, &self.author) {
            Some("the intent's author cannot approve their own intent")
        } else if self.is_pull && same_login(&who, &self.item_author) {
            Some("the pull request's author cannot approve it")
        } else if self.is_pull && approval.at < self.head_at {
            Some("it was given before the latest push")
        } else {
            None
        };
        if let Some(why) = reason {
            return self.concern(Concern {
                who,
                what: "/approve".to_string(),
                why: why.to_string(),
                url: approval.url,
            });
        }
        if self.approvals.iter().any(|a| same_login(&a.who, &who)) {
            return Vec::new();
        }
        self.approvals.push(approval);
        self.status_effects()
    }

    fn on_head_changed(&mut self, sha: Option<String>, at: Timestamp) -> Vec<Effect> {
        if !self.is_pull {
            return Vec::new();
        }
        if sha.is_some() && sha == self.head_sha && self.phase != Phase::Acting {
            return Vec::new(); // a redelivered push we already applied
        }
        // Consent is given to the code that was shown: approvals before this head
        // no longer count.
        self.approvals.clear();
        self.head_sha = sha.or(self.head_sha.take());
        self.head_at = at;
        self.refusal = None;
        if self.policy.action == Action::Merge && self.policy.restart_on_push {
            self.window_start = at;
            self.notice(format!(
                "New commits were pushed at {}, so the window started again.",
                at.strftime("%Y-%m-%d %H:%M UTC")
            ));
        }
        if matches!(self.phase, Phase::Verifying | Phase::Acting) {
            self.phase = Phase::Open;
        }
        self.status_effects()
    }

    fn on_due(&mut self, now: Timestamp) -> Vec<Effect> {
        if self.phase != Phase::Open {
            return Vec::new();
        }
        let Some(due) = self.next_due() else {
            return Vec::new();
        };
        if due > now {
            return Vec::new();
        }
        if let Some(r) = &self.refusal
            && now >= add_wall(r.first_at, MERGE_GIVE_UP_AFTER)
        {
            let reason = format!(
                "the merge was refused for {} ({})",
                super::duration::format_duration(MERGE_GIVE_UP_AFTER),
                r.message
            );
            return self.end(Outcome::GaveUp { reason }, now, true);
        }
        self.phase = Phase::Verifying;
        vec![Effect::Verify]
    }

    fn on_verified(&mut self, facts: Facts, now: Timestamp) -> Vec<Effect> {
        if self.phase != Phase::Verifying {
            return Vec::new();
        }
        if !facts.open {
            return self.end(
                Outcome::ItemClosed {
                    by: None,
                    merged: false,
                },
                now,
                false,
            );
        }
        if !facts.label_present {
            return self.end(Outcome::LabelRemoved { by: None }, now, false);
        }
        if facts.author_role.is_none_or(|r| r < self.policy.authors)
            && !self.policy.bots.iter().any(|b| same_login(b, &self.author))
        {
            let author = self.author.clone();
            return self.end(Outcome::AuthorLostPermission { author }, now, true);
        }
        if self.is_pull && facts.head_sha.is_some() && facts.head_sha != self.head_sha {
            return self.on_head_changed(facts.head_sha, now);
        }
        let before = self.approvals.len();
        self.approvals
            .retain(|a| facts.valid_approvers.iter().any(|v| same_login(v, &a.who)));
        let approvals_changed = before != self.approvals.len();
        match self.ready_at() {
            Some(t) if t <= now => {}
            _ => {
                self.phase = Phase::Open;
                return if approvals_changed {
                    self.status_effects()
                } else {
                    Vec::new()
                };
            }
        }
        if self.is_pull && self.policy.action == Action::Merge && facts.draft {
            self.phase = Phase::Open;
            return self.refused(
                "the pull request is a draft; mark it ready for review".into(),
                false,
                now,
            );
        }
        self.act(now)
    }

    fn act(&mut self, now: Timestamp) -> Vec<Effect> {
        let label = RemoveLabel(self.policy.label.clone());
        match self.policy.action {
            Action::Merge => {
                let Some(sha) = self.head_sha.clone() else {
                    // Never merge a commit nobody saw.
                    return self.end(
                        Outcome::Refused {
                            reason: "tacit does not know the pull request's head commit".into(),
                        },
                        now,
                        true,
                    );
                };
                self.phase = Phase::Acting;
                vec![
                    Effect::SyncCheck,
                    Effect::Merge {
                        sha,
                        method: self.policy.merge_method,
                    },
                ]
            }
            Action::Close => {
                self.finish(Outcome::Closed, now);
                vec![
                    Effect::PostOutcome,
                    Effect::Close {
                        reason: self.policy.close_reason,
                    },
                    label.effect(),
                    Effect::SyncStatus,
                ]
            }
            Action::Accept => {
                self.finish(Outcome::Accepted, now);
                let mut effects = vec![Effect::PostOutcome];
                if let Some(name) = &self.policy.add_label {
                    effects.push(Effect::AddLabel { name: name.clone() });
                }
                effects.push(label.effect());
                effects.push(Effect::SyncStatus);
                effects
            }
        }
    }

    fn on_merge_result(&mut self, result: MergeResult, now: Timestamp) -> Vec<Effect> {
        if self.phase != Phase::Acting {
            return Vec::new();
        }
        match result {
            MergeResult::Merged { sha } => {
                self.finish(Outcome::Merged { sha }, now);
                vec![
                    RemoveLabel(self.policy.label.clone()).effect(),
                    Effect::PostOutcome,
                    Effect::SyncStatus,
                ]
            }
            MergeResult::HeadMoved { sha } => self.on_head_changed(sha, now),
            MergeResult::Refused { message, soon } => {
                self.phase = Phase::Open;
                self.refused(message, soon, now)
            }
            MergeResult::Fatal { message } => {
                self.end(Outcome::Refused { reason: message }, now, true)
            }
        }
    }

    fn refused(&mut self, message: String, soon: bool, now: Timestamp) -> Vec<Effect> {
        let (first_at, attempts) = self
            .refusal
            .as_ref()
            .map_or((now, 0), |r| (r.first_at, r.attempts));
        let changed = self.refusal.as_ref().is_none_or(|r| r.message != message);
        self.refusal = Some(Refusal {
            message,
            first_at,
            last_at: now,
            attempts: attempts + 1,
            soon,
            nudged: false,
        });
        if changed {
            self.status_effects()
        } else {
            Vec::new()
        }
    }

    fn finish(&mut self, outcome: Outcome, now: Timestamp) {
        self.phase = Phase::Done;
        self.outcome = Some(outcome);
        self.ended_at = Some(now);
    }

    /// End without acting. `remove_label`: tacit ends it itself, so it takes its label
    /// off (cancel, give up); when a person removed the label or closed the item,
    /// there is nothing to remove.
    fn end(&mut self, outcome: Outcome, now: Timestamp, remove_label: bool) -> Vec<Effect> {
        self.finish(outcome, now);
        let mut effects = vec![Effect::SyncStatus];
        if self.has_check() {
            effects.push(Effect::SyncCheck);
        }
        if remove_label {
            effects.push(RemoveLabel(self.policy.label.clone()).effect());
        }
        effects.push(Effect::PostOutcome);
        effects
    }

    /// Why a command by someone with `role` does not count.
    fn lacks_permission(&self, role: Option<Role>) -> String {
        format!(
            "needs {} permission (has {})",
            role_str(self.policy.objectors),
            role.map_or("none", role_str)
        )
    }

    fn concern(&mut self, concern: Concern) -> Vec<Effect> {
        if self.concerns.len() >= MAX_CONCERNS {
            return Vec::new();
        }
        self.concerns.push(concern);
        vec![Effect::SyncStatus]
    }

    fn notice(&mut self, text: String) {
        if self.notices.len() >= MAX_NOTICES {
            self.notices.remove(0);
        }
        self.notices.push(text);
    }

    fn status_effects(&self) -> Vec<Effect> {
        let mut effects = vec![Effect::SyncStatus];
        if self.has_check() {
            effects.push(Effect::SyncCheck);
        }
        effects
    }

    /// The check run's conclusion for this intent's current state.
    pub fn check(&self) -> CheckState {
        match (&self.phase, &self.outcome) {
            (Phase::Done, Some(o)) if o.succeeded() => CheckState::Success,
            (Phase::Done, Some(Outcome::GaveUp { .. } | Outcome::Refused { .. })) => {
                CheckState::Failure
            }
            (Phase::Done, _) if !self.objections.is_empty() => CheckState::Failure,
            (Phase::Done, _) => CheckState::Cancelled,
            // An objection raised while the merge is in flight is shown, not hidden.
            (Phase::Acting, _) if !self.objections.is_empty() => CheckState::Blocked,
            (Phase::Acting, _) => CheckState::Success,
            _ if !self.objections.is_empty() => CheckState::Blocked,
            _ if self.refusal.is_some() => CheckState::Waiting,
            _ => CheckState::Open,
        }
    }

    /// Objections still open when the intent ended: they carry over (SPEC 2).
    pub fn carried_objections(&self, now: Timestamp) -> Vec<Objection> {
        if matches!(self.outcome, Some(Outcome::NotOpened { .. })) {
            return Vec::new();
        }
        match self.ended_at {
            Some(end) if add_wall(end, CARRY_OVER) > now => self.objections.clone(),
            _ => Vec::new(),
        }
    }
}

/// The `tacit` check run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckState {
    Open,
    Blocked,
    Waiting,
    Success,
    Cancelled,
    Failure,
}

struct RemoveLabel(String);
impl RemoveLabel {
    fn effect(self) -> Effect {
        Effect::RemoveLabel { name: self.0 }
    }
}

/// A role's name as GitHub spells it.
pub fn role_str(r: Role) -> &'static str {
    match r {
        Role::Read => "read",
        Role::Triage => "triage",
        Role::Write => "write",
        Role::Maintain => "maintain",
        Role::Admin => "admin",
    }
}

fn same_login(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn add_wall(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

fn count_key(source: &Source, command: &Command) -> String {
    let kind = match command {
        Command::Object { .. } => "object",
        Command::Withdraw => "withdraw",
        Command::Approve => "approve",
        Command::Extend { .. } => "extend",
        Command::Cancel => "cancel",
    };
    match source {
        Source::Comment(id) => format!("c:{id}:{kind}"),
        Source::Review(id) => format!("r:{id}:{kind}"),
        Source::CarriedOver => format!("carried:{kind}"),
    }
}

fn dedup(mut effects: Vec<Effect>) -> Vec<Effect> {
    let mut seen = Vec::new();
    effects.retain(|e| {
        if seen.contains(e) {
            false
        } else {
            seen.push(e.clone());
            true
        }
    });
    effects
}

#[cfg(test)]
#[path = "intent_tests.rs"]
mod tests;
