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
//!
//! An intent opens awaiting its notice: the window starts when the status comment
//! appears ([`Event::Noticed`], SPEC 2). Commands and reviews carry GitHub's times and
//! count from when the label was added (`opened_at`), in GitHub's order, whatever
//! order they arrive in (SPEC 3).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::business::Calendar;
use super::commands::Command;
use super::config::{Action, CloseReason, MergeMethod, Policy, Role};
use super::names::{LabelName, Login};

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
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Comment(u64),
    Review(u64),
    /// Carried over from an earlier intent on the same item that ended blocked.
    #[default]
    CarriedOver,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Objection {
    pub who: String,
    pub reason: String,
    pub url: Option<String>,
    pub at: Timestamp,
    pub source: Source,
    /// Set when the objection was added by someone editing another person's comment:
    /// that comment's author (the objection is the editor's, SPEC 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Approval {
    pub who: String,
    pub url: Option<String>,
    pub at: Timestamp,
    pub source: Source,
}

/// A command that was not counted, listed so that its author learns why.
///
/// `asked` and `reason` are facts that `render` words. Rows stored by releases before
/// them hold the words themselves in `what` and `why`, which are still read and shown
/// as they are (and written empty: an older binary needs the fields).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Concern {
    pub who: String,
    /// Stored by earlier releases: what they asked, in words ("/object: too risky").
    pub what: String,
    /// Stored by earlier releases: why it does not count, in words.
    pub why: String,
    pub url: Option<String>,
    /// What they asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<Asked>,
    /// Why it does not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<NotCounted>,
}

impl Concern {
    fn new(who: String, asked: Asked, reason: NotCounted, url: Option<String>) -> Concern {
        Concern {
            who,
            what: String::new(),
            why: String::new(),
            url,
            asked: Some(asked),
            reason: Some(reason),
        }
    }
}

/// What a command or review that did not count asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Asked {
    /// `/object`, with its reason (may be empty).
    Object {
        reason: String,
    },
    Approve,
    /// `/extend`, with what followed it.
    Extend {
        arg: String,
    },
    Cancel,
    /// A review requesting changes.
    RequestedChanges,
    /// A review approving.
    ApprovedReview,
}

/// Why a command or review did not count (a non-blocking concern, SPEC 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NotCounted {
    /// Objecting and approving need `needs`; they have `has` (`None`: no access).
    Permission { needs: Role, has: Option<Role> },
    /// The policy lists `approvers`, and they are not among them.
    NotAnApprover,
    /// Only the intent's author or a maintainer can cancel.
    CannotCancel,
    /// The intent's author approved their own intent.
    OwnIntent,
    /// The pull request's author approved it.
    OwnPullRequest,
    /// Given in the same second as the label: the order cannot be told (SPEC 3).
    SameSecondAsLabel,
    /// Given before the latest push.
    BeforePush,
}

/// Something the status comment tells its readers, kept as a fact (`render` words it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Note {
    /// `by` added another intent label, `label`, while this intent was open: ignored.
    OtherLabel { label: String, by: String },
    /// `who` objected while the merge was already under way.
    ObjectedWhileMerging { who: String },
    /// `who` wrote `/extend <arg>` with no duration tacit understands.
    ExtendNotUnderstood { who: String, arg: String },
    /// `who` asked to extend by `asked`; the cap ([`MAX_EXTENSION`]) let `added` in.
    ExtendCapped {
        who: String,
        #[serde(with = "super::duration::serde_secs")]
        asked: Duration,
        #[serde(with = "super::duration::serde_secs")]
        added: Duration,
    },
    /// New commits were pushed at `at` (GitHub's time): the window started again.
    Restarted { at: Timestamp },
}

/// Why a merge did not happen. GitHub's own refusal is kept in GitHub's words (data,
/// shown inert); the reasons tacit found itself are facts that `render` words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MergeRefusal {
    /// GitHub's message (required checks, reviews, conflicts, a merge queue...).
    GitHub { message: String },
    /// The repository allows none of the merge methods.
    NoMergeMethod,
    /// The pull request was closed while a merge was being retried.
    PullClosed,
    /// tacit never saw the pull request's head commit, so it merges nothing.
    HeadUnknown,
}

impl MergeRefusal {
    /// The stored pair of earlier releases' string (`message`, `reason`) and this
    /// release's typed field: GitHub's words go into the string, as before; the typed
    /// field holds only tacit's own reasons.
    fn stored(self) -> (String, Option<MergeRefusal>) {
        match self {
            MergeRefusal::GitHub { message } => (message, None),
            other => (String::new(), Some(other)),
        }
    }

    /// Read back what [`MergeRefusal::stored`] wrote (or an earlier release's string).
    pub fn from_stored(text: &str, typed: Option<&MergeRefusal>) -> MergeRefusal {
        match typed {
            Some(t) => t.clone(),
            None => MergeRefusal::GitHub {
                message: text.to_string(),
            },
        }
    }
}

/// Why a label opened nothing. Stored in [`Outcome::NotOpened`]; `render` says so,
/// briefly, to the person who added it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum NotOpened {
    /// Labels by bots and workflows open nothing, silently (they would loop).
    Bot,
    /// A merge label on an issue. `for_issues`: the configured labels that do work on
    /// issues, offered instead.
    NotAPullRequest {
        label: String,
        #[serde(default)]
        for_issues: Vec<String>,
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
    /// The repository's configuration cannot be used: tacit acts on nothing.
    BadConfig {
        label: String,
        problem: ConfigProblem,
    },
}

/// Why a repository's `.github/tacit.yml` cannot be used (SPEC 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ConfigProblem {
    /// `file` (`owner/repo/.github/tacit.yml`) is not UTF-8 text.
    NotUtf8 { file: String },
    /// `file` does not parse; `error` is the parser's message (with line and column).
    Invalid { file: String, error: String },
}

/// A merge the repository refused; the intent waits and retries.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Refusal {
    /// GitHub's words (and, in rows of earlier releases, tacit's own reasons in words).
    pub message: String,
    /// tacit's own reason, when it was not GitHub's refusal (see [`MergeRefusal`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<MergeRefusal>,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    pub attempts: u32,
    /// Retry within seconds ("Base branch was modified").
    pub soon: bool,
    /// Checks or reviews changed since the last attempt: retry now.
    pub nudged: bool,
}

impl Refusal {
    /// Why the merge was refused.
    pub fn refused(&self) -> MergeRefusal {
        MergeRefusal::from_stored(&self.message, self.cause.as_ref())
    }
}

/// The status comment's notice: the window opens when it appears (SPEC 2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Notice {
    /// Stored by a release that did not track notices: its status comment was posted
    /// when its window started, so it behaves as posted at `window_start`.
    #[default]
    Legacy,
    /// Opened, but the status comment has not appeared yet: never due, never acts.
    Awaiting,
    /// The status comment appeared at `at` (GitHub's time).
    Posted { at: Timestamp },
}

/// What tacit was doing when a failure it cannot retry ended an intent (SPEC 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Posting the status comment (the notice that opens the window).
    Notice,
    /// Re-reading the item before acting.
    Verify,
    /// Merging.
    Merge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The window is running, blocked, or waiting to retry a refused merge.
    #[default]
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
    /// GitHub refused the merge for good. `reason`: GitHub's words (in rows of earlier
    /// releases also tacit's); `cause`: tacit's own reason, if it was one.
    Refused {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<MergeRefusal>,
    },
    /// Refused merges for [`MERGE_GIVE_UP_AFTER`]. `reason`: the sentence, in rows of
    /// earlier releases (empty now); `last`: the last refusal.
    GaveUp {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last: Option<MergeRefusal>,
    },
    InstallationRemoved,
    /// A failure tacit cannot retry (an unexpected 4xx, an unreadable answer).
    Failed {
        step: Step,
        error: String,
    },
    /// The label opened nothing: `why`; rows of earlier releases hold the words
    /// instead, in `message` (empty now).
    NotOpened {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<NotOpened>,
    },
}

impl Outcome {
    /// Ended because the merge was refused for good.
    pub fn refused(refusal: MergeRefusal) -> Outcome {
        let (reason, cause) = refusal.stored();
        Outcome::Refused { reason, cause }
    }

    /// Its name in the decision record and `tacit decisions` (the stored `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Merged { .. } => "merged",
            Outcome::Closed => "closed",
            Outcome::Accepted => "accepted",
            Outcome::Cancelled { .. } => "cancelled",
            Outcome::LabelRemoved { .. } => "label_removed",
            Outcome::ItemClosed { .. } => "item_closed",
            Outcome::LabelDeleted => "label_deleted",
            Outcome::AuthorLostPermission { .. } => "author_lost_permission",
            Outcome::Refused { .. } => "refused",
            Outcome::GaveUp { .. } => "gave_up",
            Outcome::InstallationRemoved => "installation_removed",
            Outcome::Failed { .. } => "failed",
            Outcome::NotOpened { .. } => "not_opened",
        }
    }

    /// The commit tacit made (the merge's sha), if it made one.
    pub fn commit(&self) -> Option<&str> {
        match self {
            Outcome::Merged { sha } => Some(sha),
            _ => None,
        }
    }

    /// Whether the intended action happened.
    pub fn succeeded(&self) -> bool {
        matches!(
            self,
            Outcome::Merged { .. } | Outcome::Closed | Outcome::Accepted
        )
    }
}

/// One fact in an intent's history, the decision record (SPEC 4). The history is
/// append-only: entries are added where the state changes and never removed or
/// reordered, so an objection later withdrawn and an approval a push cleared stay in
/// it. Facts, not sentences: `render` words them. Times are GitHub's where GitHub
/// gave one (comments, reviews, pushes), else when tacit learned of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Record {
    /// The label was added by `by` at `at`, on `head_sha` (pull requests).
    Opened {
        by: String,
        at: Timestamp,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head_sha: Option<String>,
    },
    /// The status comment appeared: the window opened.
    Noticed { at: Timestamp },
    /// An objection was raised: a `/object`, a changes-requested review, or one
    /// carried over from the last intent.
    Objected {
        who: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        at: Timestamp,
        source: Source,
    },
    /// `who`'s objection ended.
    ObjectionEnded {
        who: String,
        how: ObjectionEnd,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        at: Timestamp,
    },
    Approved {
        who: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        at: Timestamp,
        source: Source,
    },
    /// `who`'s approval no longer counts.
    ApprovalCleared {
        who: String,
        why: ApprovalEnd,
        at: Timestamp,
    },
    /// `/extend`: `added` is what was added (a request over the cap is clamped).
    Extended {
        who: String,
        #[serde(with = "super::duration::serde_secs")]
        added: Duration,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        at: Timestamp,
    },
    /// New commits (or a new base, or ready-for-review): the window started again.
    Restarted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha: Option<String>,
        at: Timestamp,
    },
    /// The intent ended.
    Ended { outcome: Outcome, at: Timestamp },
}

/// How an objection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionEnd {
    /// `/withdraw`.
    Withdrawn,
    /// The reviewer approved after requesting changes.
    ReviewApproved,
    /// The changes-requested review was dismissed.
    ReviewDismissed,
}

/// Why an approval stopped counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalEnd {
    /// New commits were pushed: consent is given to the code that was shown.
    Push,
    /// The approving review was dismissed.
    Dismissed,
    /// Found gone when re-read before acting (comment deleted, permission lost).
    Gone,
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
    /// The repository allows none of the merge methods (waiting may fix it).
    NoMergeMethod,
    /// The pull request was found closed when a merge was retried.
    PullClosed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A command from a comment or review body. `at` is GitHub's time (`created_at`,
    /// `updated_at` of an edit, `submitted_at`). `sender_is_author` is false when
    /// someone edited another person's comment: then `actor` is the editor (the
    /// webhook's sender), `edited_from` the comment's author, and only `/object` counts.
    Command {
        actor: Actor,
        command: Command,
        source: Source,
        url: Option<String>,
        at: Timestamp,
        sender_is_author: bool,
        edited_from: Option<String>,
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
    /// A changes-requested review that still stands when the intent opens (or when it
    /// is re-read before acting): an objection whenever it was submitted (SPEC 3).
    StandingReview {
        actor: Actor,
        review_id: u64,
        body: String,
        url: Option<String>,
        at: Timestamp,
    },
    ReviewDismissed {
        review_id: u64,
    },
    /// The status comment appeared at `at` (GitHub's `created_at`): the window opens.
    /// `comment` is its id: GitHub's comment ids grow, so a comment with a larger id was
    /// written after the notice, even in the same second.
    Noticed {
        at: Timestamp,
        comment: Option<u64>,
    },
    /// A failure that retrying cannot fix, during `step`.
    Failed {
        step: Step,
        error: String,
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
        name: LabelName,
    },
    RemoveLabel {
        name: LabelName,
    },
    /// Post the one short outcome comment.
    PostOutcome,
    /// Post a short new comment telling the intent's author that GitHub refused the
    /// merge and tacit now waits (an edit notifies nobody; SPEC 4). `since`: when this
    /// wait began, which makes the comment findable again after a crash.
    PostWaiting {
        since: Timestamp,
    },
}

/// Everything the shell learned before opening an intent.
#[derive(Debug, Clone)]
pub struct Opening {
    pub policy: Policy,
    pub is_pull: bool,
    pub item_author: String,
    pub author: String,
    /// When the label was added, by GitHub's time: commands before it do not count.
    pub at: Timestamp,
    /// When tacit opens it. The window opens later, when the status comment appears
    /// ([`Event::Noticed`]); until then it is shown as starting now.
    pub now: Timestamp,
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
    /// The configured labels that work on issues (offered when a merge label is put on
    /// an issue).
    pub for_issues: &'a [String],
}

/// Decide whether a label may open an intent (SPEC 2).
pub fn admit(a: &Admission<'_>) -> Result<(), NotOpened> {
    let label = a.policy.label.to_string();
    if a.sender_is_bot && !a.policy.bots.iter().any(|b| same_login(b, a.sender)) {
        return Err(NotOpened::Bot);
    }
    if a.policy.action.is_merge() && !a.is_pull {
        return Err(NotOpened::NotAPullRequest {
            label,
            for_issues: a.for_issues.to_vec(),
        });
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
///
/// Stored as JSON (`store::codec`), so it is a contract: a field added here (or to
/// `Policy` or the structs inside) reads, in rows written before it existed, as its
/// value in `Default` (`#[serde(default)]` on the container); fields are never
/// renamed or retyped. See ARCHITECTURE.md, "Stored state stays compatible".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Intent {
    pub policy: Policy,
    pub is_pull: bool,
    pub item_author: String,
    pub author: String,
    /// When the label was added, by GitHub's time (commands before it do not count).
    pub opened_at: Timestamp,
    /// When the current window started: when the status comment appeared, and later on
    /// a push under `restart_on_push`.
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
    /// Notices in words, stored by earlier releases: still shown, before `notes`.
    pub notices: Vec<String>,
    /// What the status comment tells its readers besides the state (see [`Note`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Keys of comments and reviews already counted ("a command counts once per comment").
    pub counted: BTreeSet<String>,
    pub phase: Phase,
    pub refusal: Option<Refusal>,
    pub outcome: Option<Outcome>,
    pub ended_at: Option<Timestamp>,
    #[serde(default)]
    pub notice: Notice,
    /// The status comment's id when it first appeared (see [`Event::Noticed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_comment: Option<u64>,
    /// The window closed on a draft pull request: waiting for ready-for-review (SPEC 4).
    #[serde(default)]
    pub draft_wait: bool,
    /// Each person's latest counted `/withdraw` (login in lower case -> GitHub's time):
    /// an objection of theirs made before it, delivered late, is already withdrawn.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub withdrawn: BTreeMap<String, Timestamp>,
    /// The item's title when the intent opened (for `tacit decisions`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Everything that happened, in order, append-only (see [`Record`]). Empty for
    /// intents stored by a release before it: [`Intent::records`] rebuilds what it can.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Record>,
}

impl Intent {
    /// Open an intent. The caller has checked [`admit`].
    pub fn open(o: Opening) -> (Intent, Vec<Effect>) {
        let mut intent = Intent {
            is_pull: o.is_pull,
            item_author: o.item_author,
            author: o.author,
            opened_at: o.at,
            // Provisional: the window starts when the status comment appears.
            window_start: o.at.max(o.now),
            head_sha: o.head_sha,
            head_at: o.at,
            extended: Duration::ZERO,
            objections: Vec::new(),
            cleared_at: None,
            approvals: Vec::new(),
            concerns: Vec::new(),
            notices: Vec::new(),
            notes: Vec::new(),
            counted: BTreeSet::new(),
            phase: Phase::Open,
            refusal: None,
            outcome: None,
            ended_at: None,
            notice: Notice::Awaiting,
            notice_comment: None,
            draft_wait: false,
            withdrawn: BTreeMap::new(),
            title: String::new(),
            history: Vec::new(),
            policy: o.policy,
        };
        intent.history.push(Record::Opened {
            by: intent.author.clone(),
            at: intent.opened_at,
            head_sha: intent.head_sha.clone(),
        });
        for mut carried in o.carried {
            if !intent
                .objections
                .iter()
                .any(|x| same_login(&x.who, &carried.who))
            {
                carried.source = Source::CarriedOver;
                intent.history.push(objected(&carried));
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
        why: NotOpened,
    ) -> (Intent, Vec<Effect>) {
        let (mut intent, _) = Intent::open(Opening {
            policy,
            is_pull,
            item_author: String::new(),
            author: author.to_string(),
            at,
            now: at,
            head_sha: None,
            carried: Vec::new(),
        });
        intent.finish(
            Outcome::NotOpened {
                message: String::new(),
                why: Some(why),
            },
            at,
        );
        (intent, vec![Effect::PostOutcome])
    }

    pub fn calendar(&self) -> Calendar {
        Calendar::from_policy(&self.policy)
    }

    /// Merge intents on pull requests carry the `tacit` check run.
    pub fn has_check(&self) -> bool {
        self.is_pull && self.policy.action.is_merge()
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
    fn not_an_approver(&self, actor: &Actor, what: Asked, url: &Option<String>) -> Option<Concern> {
        let approvers = &self.policy.approvers;
        let listed = approvers.is_empty()
            || actor.approver
            || approvers.iter().any(|a| same_login(a, &actor.login));
        (!listed).then(|| {
            Concern::new(
                actor.login.clone(),
                what,
                NotCounted::NotAnApprover,
                url.clone(),
            )
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
        if self.phase != Phase::Open || self.notice == Notice::Awaiting || self.draft_wait {
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

    /// Apply `events` in order after `effects` (already due), at time `now`; the
    /// effects come back in order, each once.
    pub fn handle_all(
        &mut self,
        mut effects: Vec<Effect>,
        events: Vec<Event>,
        now: Timestamp,
    ) -> Vec<Effect> {
        for event in events {
            effects.extend(self.handle(event, now));
        }
        dedup(effects)
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
                edited_from,
            } => self.on_command(
                actor,
                command,
                source,
                url,
                at,
                (sender_is_author, edited_from),
            ),
            Event::Review {
                actor,
                review_id,
                verdict,
                body,
                commit_id,
                url,
                at,
            } => self.on_review(actor, review_id, verdict, body, commit_id, url, at, false),
            Event::StandingReview {
                actor,
                review_id,
                body,
                url,
                at,
            } => self.on_review(
                actor,
                review_id,
                Verdict::ChangesRequested,
                body,
                None,
                url,
                at,
                true,
            ),
            Event::ReviewDismissed { review_id } => self.on_review_dismissed(review_id, now),
            Event::Noticed { at, comment } => {
                if self.notice == Notice::Awaiting {
                    // A status comment deleted and posted again restarts nothing.
                    self.notice = Notice::Posted { at };
                    self.notice_comment = comment;
                    self.window_start = self.window_start.max(at);
                    self.history.push(Record::Noticed { at });
                }
                Vec::new()
            }
            Event::Failed { step, error } => {
                // Only a failure of what the intent waits for ends it.
                let waiting = match step {
                    Step::Notice => self.notice == Notice::Awaiting,
                    Step::Verify => self.phase == Phase::Verifying,
                    Step::Merge => self.phase == Phase::Acting,
                };
                if !waiting {
                    return Vec::new();
                }
                self.end(Outcome::Failed { step, error }, now, true)
            }
            Event::OtherIntentLabel { label, by } => {
                self.notice(Note::OtherLabel { label, by });
                vec![Effect::SyncStatus]
            }
            Event::HeadChanged { sha, at } => self.on_head_changed(sha, at, now),
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
                        self.history.push(Record::Ended {
                            outcome: Outcome::InstallationRemoved,
                            at: now,
                        });
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
        (sender_is_author, edited_from): (bool, Option<String>),
    ) -> Vec<Effect> {
        if at < self.opened_at {
            return Vec::new(); // made before the label was added (GitHub's time)
        }
        let mut key = count_key(&source, &command);
        if !sender_is_author {
            // An edit by someone else counts in the editor's name, once per editor.
            key = format!("{key}:{}", Login::key_of(&actor.login));
        }
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
        let not_allowed = |this: &Intent, asked: Asked| {
            Concern::new(
                who.clone(),
                asked,
                this.lacks_permission(actor.role),
                url.clone(),
            )
        };
        match command {
            Command::Object { reason } => {
                if !may_object {
                    let c = not_allowed(self, Asked::Object { reason });
                    return self.concern(c);
                }
                if self.phase == Phase::Acting {
                    // Too late to stop the request in flight, but if GitHub refuses it
                    // or the head moves, the objection blocks like any other.
                    self.notice(Note::ObjectedWhileMerging { who: who.clone() });
                }
                self.add_objection(Objection {
                    who,
                    reason,
                    url,
                    at,
                    source,
                    edited_from: edited_from.filter(|_| !sender_is_author),
                })
            }
            // Only objections made before the withdrawal (GitHub's order) end.
            Command::Withdraw => {
                let last = self.withdrawn.entry(Login::key_of(&who)).or_insert(at);
                *last = (*last).max(at);
                let end = (ObjectionEnd::Withdrawn, url);
                self.withdraw(&who, at, end, |o| o.at <= at)
            }
            Command::Approve => {
                if !may_object {
                    let c = not_allowed(self, Asked::Approve);
                    return self.concern(c);
                }
                if let Some(c) = self.not_an_approver(&actor, Asked::Approve, &url) {
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
                    let c = not_allowed(self, Asked::Extend { arg });
                    return self.concern(c);
                }
                let Some(d) = duration else {
                    self.notice(Note::ExtendNotUnderstood { who, arg });
                    return vec![Effect::SyncStatus];
                };
                let added = d.min(self.extension_room());
                self.extended += added;
                if !added.is_zero() {
                    self.history.push(Record::Extended {
                        who: who.clone(),
                        added,
                        url: url.clone(),
                        at,
                    });
                }
                if added < d {
                    self.notice(Note::ExtendCapped {
                        who,
                        asked: d,
                        added,
                    });
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
                    let c = Concern::new(who, Asked::Cancel, NotCounted::CannotCancel, url);
                    return self.concern(c);
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
        standing: bool,
    ) -> Vec<Effect> {
        let key = format!("r:{review_id}");
        if (at < self.opened_at && !standing) || self.counted.contains(&key) {
            return Vec::new();
        }
        self.counted.insert(key);
        let who = actor.login.clone();
        let may_object = actor.role.is_some_and(|r| r >= self.policy.objectors);
        let lacks = self.lacks_permission(actor.role);
        let why = || lacks.clone();
        match verdict {
            Verdict::ChangesRequested => {
                if !may_object {
                    let c = Concern::new(who, Asked::RequestedChanges, why(), url);
                    return self.concern(c);
                }
                self.add_objection(Objection {
                    who,
                    reason: body.trim().to_string(),
                    url,
                    at,
                    source: Source::Review(review_id),
                    edited_from: None,
                })
            }
            Verdict::Approved => {
                // An approving review ends that reviewer's review objection.
                let end = (ObjectionEnd::ReviewApproved, url.clone());
                let mut effects = self.withdraw(&who, at, end, |o| {
                    matches!(o.source, Source::Review(_)) && o.at <= at
                });
                if !may_object {
                    let c = Concern::new(who, Asked::ApprovedReview, why(), url);
                    effects.extend(self.concern(c));
                    return dedup(effects);
                }
                if commit_id.is_some() && commit_id != self.head_sha {
                    return dedup(effects);
                }
                if let Some(c) = self.not_an_approver(&actor, Asked::ApprovedReview, &url) {
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
        for a in self.approvals.iter().filter(|a| a.source == src) {
            self.history.push(Record::ApprovalCleared {
                who: a.who.clone(),
                why: ApprovalEnd::Dismissed,
                at: now,
            });
        }
        self.approvals.retain(|a| a.source != src);
        let had_objections = !self.objections.is_empty();
        for o in self.objections.iter().filter(|o| o.source == src) {
            self.history.push(Record::ObjectionEnded {
                who: o.who.clone(),
                how: ObjectionEnd::ReviewDismissed,
                url: None,
                at: now,
            });
        }
        self.objections.retain(|o| o.source != src);
        if had_objections && self.objections.is_empty() {
            self.cleared_at = Some(now);
        }
        if before == (self.objections.len(), self.approvals.len()) {
            return Vec::new();
        }
        self.status_effects()
    }

    fn add_objection(&mut self, mut objection: Objection) -> Vec<Effect> {
        if self
            .withdrawn
            .get(&Login::key_of(&objection.who))
            .is_some_and(|w| objection.at <= *w)
        {
            // Made before a withdrawal of theirs that was delivered first: by GitHub's
            // order it is withdrawn already.
            return Vec::new();
        }
        if let Some(existing) = self
            .objections
            .iter_mut()
            .find(|o| same_login(&o.who, &objection.who))
        {
            // One open objection per person. An explicit `/object` outranks a review's
            // objection: it ends only by `/withdraw`, not by approving or dismissal.
            let explicit = matches!(objection.source, Source::Comment(_));
            if explicit && matches!(existing.source, Source::Review(_)) {
                // It stands for both: only a withdrawal after both ends it.
                objection.at = objection.at.max(existing.at);
                let record = objected(&objection);
                *existing = objection;
                self.history.push(record);
                return self.status_effects();
            }
            // The first stays shown; but a later one (delivered out of order) keeps it
            // standing past a withdrawal made between the two.
            existing.at = existing.at.max(objection.at);
            return Vec::new();
        }
        self.history.push(objected(&objection));
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
        (how, url): (ObjectionEnd, Option<String>),
        which: impl Fn(&Objection) -> bool,
    ) -> Vec<Effect> {
        let before = self.objections.len();
        let ends = |o: &Objection| same_login(&o.who, who) && which(o);
        for o in self.objections.iter().filter(|o| ends(o)) {
            self.history.push(Record::ObjectionEnded {
                who: o.who.clone(),
                how,
                url: url.clone(),
                at,
            });
        }
        self.objections.retain(|o| !ends(o));
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
            Some(NotCounted::OwnIntent)
        } else if self.is_pull && same_login(&who, &self.item_author) {
            Some(NotCounted::OwnPullRequest)
        } else if approval.at <= self.opened_at && !self.written_after_notice(&approval.source) {
            // GitHub's times have whole seconds: in the label's own second the order
            // cannot be told, and then an approval does not count (SPEC 3).
            Some(NotCounted::SameSecondAsLabel)
        } else if self.is_pull && approval.at < self.head_at {
            // GitHub's time of the push, where known; else when tacit learned of it.
            Some(NotCounted::BeforePush)
        } else {
            None
        };
        if let Some(why) = reason {
            let c = Concern::new(who, Asked::Approve, why, approval.url);
            return self.concern(c);
        }
        if self.approvals.iter().any(|a| same_login(&a.who, &who)) {
            return Vec::new();
        }
        self.history.push(Record::Approved {
            who: approval.who.clone(),
            url: approval.url.clone(),
            at: approval.at,
            source: approval.source.clone(),
        });
        self.approvals.push(approval);
        self.status_effects()
    }

    /// A comment GitHub numbered after the status comment: written after the notice,
    /// so after the label, whatever their times say.
    fn written_after_notice(&self, source: &Source) -> bool {
        match (source, self.notice_comment) {
            (Source::Comment(id), Some(notice)) => *id > notice,
            _ => false,
        }
    }

    /// A push at `at` (GitHub's time, where known) that tacit learns of at `now`.
    fn on_head_changed(
        &mut self,
        sha: Option<String>,
        at: Timestamp,
        now: Timestamp,
    ) -> Vec<Effect> {
        if !self.is_pull {
            return Vec::new();
        }
        if sha.is_some() && sha == self.head_sha && self.phase != Phase::Acting {
            return Vec::new(); // a redelivered push we already applied
        }
        if sha.is_some() && at < self.head_at && self.phase == Phase::Open {
            // A push older than the head tacit knows (GitHub's time), delivered late.
            return Vec::new();
        }
        self.draft_wait = false;
        // Consent is given to the code that was shown: approvals before this head
        // no longer count.
        for a in &self.approvals {
            self.history.push(Record::ApprovalCleared {
                who: a.who.clone(),
                why: ApprovalEnd::Push,
                at: at.max(a.at),
            });
        }
        self.approvals.clear();
        self.head_sha = sha.or(self.head_sha.take());
        self.head_at = at;
        self.refusal = None;
        if self.policy.action.is_merge() && self.policy.restart_on_push {
            // Approvals count from the push; the new window from when people can see
            // that it started again (a push learned late still gets a whole window).
            self.window_start = at.max(now);
            self.history.push(Record::Restarted {
                sha: self.head_sha.clone(),
                at,
            });
            self.notice(Note::Restarted { at });
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
            let last = Some(r.refused());
            let reason = String::new();
            return self.end(Outcome::GaveUp { reason, last }, now, true);
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
            return self.on_head_changed(facts.head_sha, now, now);
        }
        let before = self.approvals.len();
        let valid = |a: &Approval| facts.valid_approvers.iter().any(|v| same_login(v, &a.who));
        for a in self.approvals.iter().filter(|a| !valid(a)) {
            self.history.push(Record::ApprovalCleared {
                who: a.who.clone(),
                why: ApprovalEnd::Gone,
                at: now,
            });
        }
        self.approvals.retain(valid);
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
        if self.is_pull && self.policy.action.is_merge() && facts.draft {
            // Not a refusal: wait, without retries or a limit, for ready-for-review
            // (which counts as a push and restarts the window).
            self.phase = Phase::Open;
            self.refusal = None;
            if self.draft_wait {
                return Vec::new();
            }
            self.draft_wait = true;
            return self.status_effects();
        }
        self.act(now)
    }

    fn act(&mut self, now: Timestamp) -> Vec<Effect> {
        let label = RemoveLabel(self.policy.label.clone());
        match &self.policy.action {
            Action::Merge { method } => {
                let Some(sha) = self.head_sha.clone() else {
                    // Never merge a commit nobody saw.
                    return self.end(Outcome::refused(MergeRefusal::HeadUnknown), now, true);
                };
                self.phase = Phase::Acting;
                vec![
                    Effect::SyncCheck,
                    Effect::Merge {
                        sha,
                        method: *method,
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
            Action::Accept { add_label } => {
                let add_label = add_label.clone();
                self.finish(Outcome::Accepted, now);
                let mut effects = vec![Effect::PostOutcome];
                if let Some(name) = &add_label {
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
            MergeResult::HeadMoved { sha } => self.on_head_changed(sha, now, now),
            MergeResult::Refused { message, soon } => {
                self.phase = Phase::Open;
                self.refused(MergeRefusal::GitHub { message }, soon, now)
            }
            MergeResult::NoMergeMethod => {
                self.phase = Phase::Open;
                self.refused(MergeRefusal::NoMergeMethod, false, now)
            }
            MergeResult::Fatal { message } => {
                let refusal = MergeRefusal::GitHub { message };
                self.end(Outcome::refused(refusal), now, true)
            }
            MergeResult::PullClosed => {
                self.end(Outcome::refused(MergeRefusal::PullClosed), now, true)
            }
        }
    }

    fn refused(&mut self, refusal: MergeRefusal, soon: bool, now: Timestamp) -> Vec<Effect> {
        let (first_at, attempts) = self
            .refusal
            .as_ref()
            .map_or((now, 0), |r| (r.first_at, r.attempts));
        let changed = self.refusal.as_ref().is_none_or(|r| r.refused() != refusal);
        let began = self.refusal.is_none();
        let (message, cause) = refusal.stored();
        self.refusal = Some(Refusal {
            message,
            cause,
            first_at,
            last_at: now,
            attempts: attempts + 1,
            soon,
            nudged: false,
        });
        let mut effects = if changed {
            self.status_effects()
        } else {
            Vec::new()
        };
        if began {
            // The author must hear of it: a new comment, once per wait.
            effects.push(Effect::PostWaiting { since: first_at });
        }
        effects
    }

    fn finish(&mut self, outcome: Outcome, now: Timestamp) {
        self.phase = Phase::Done;
        self.history.push(Record::Ended {
            outcome: outcome.clone(),
            at: now,
        });
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
    fn lacks_permission(&self, role: Option<Role>) -> NotCounted {
        NotCounted::Permission {
            needs: self.policy.objectors,
            has: role,
        }
    }

    fn concern(&mut self, concern: Concern) -> Vec<Effect> {
        if self.concerns.len() >= MAX_CONCERNS {
            return Vec::new();
        }
        self.concerns.push(concern);
        vec![Effect::SyncStatus]
    }

    /// Keep `note` for the status comment: at most [`MAX_NOTICES`], counting those an
    /// earlier release stored in words (the oldest go first).
    fn notice(&mut self, note: Note) {
        if self.notices.len() + self.notes.len() >= MAX_NOTICES {
            if self.notices.is_empty() {
                self.notes.remove(0);
            } else {
                self.notices.remove(0);
            }
        }
        self.notes.push(note);
    }

    fn status_effects(&self) -> Vec<Effect> {
        let mut effects = vec![Effect::SyncStatus];
        if self.has_check() {
            effects.push(Effect::SyncCheck);
        }
        effects
    }

    /// Where the intent stands, as people are shown it: the one derivation that the
    /// status comment's headline, the check run and the dashboard all map from.
    pub fn status(&self) -> Status {
        match self.phase {
            Phase::Done => Status::Ended,
            // An objection raised while the merge is in flight is shown, not hidden.
            _ if !self.objections.is_empty() => Status::Blocked,
            Phase::Acting => Status::Merging,
            _ if self.draft_wait => Status::WaitingForDraft,
            _ if self.refusal.is_some() => Status::WaitingForGitHub,
            Phase::Verifying => Status::Verifying,
            Phase::Open => Status::Open,
        }
    }

    /// The check run's conclusion for this intent's current state.
    pub fn check(&self) -> CheckState {
        match self.status() {
            Status::Ended => match &self.outcome {
                Some(o) if o.succeeded() => CheckState::Success,
                Some(Outcome::GaveUp { .. } | Outcome::Refused { .. } | Outcome::Failed { .. }) => {
                    CheckState::Failure
                }
                _ if !self.objections.is_empty() => CheckState::Failure,
                _ => CheckState::Cancelled,
            },
            Status::Blocked => CheckState::Blocked,
            Status::Merging => CheckState::Success,
            Status::WaitingForDraft | Status::WaitingForGitHub => CheckState::Waiting,
            Status::Open | Status::Verifying => CheckState::Open,
        }
    }

    /// The decision record: [`Intent::history`]; for an intent stored by a release that
    /// kept none, what its state still shows (the opening, the notice, the objections
    /// and approvals standing at the end, the outcome), in that order.
    pub fn records(&self) -> Vec<Record> {
        if !self.history.is_empty() {
            return self.history.clone();
        }
        let mut records = vec![Record::Opened {
            by: self.author.clone(),
            at: self.opened_at,
            head_sha: self.head_sha.clone(),
        }];
        match self.notice {
            Notice::Posted { at } => records.push(Record::Noticed { at }),
            Notice::Legacy => records.push(Record::Noticed {
                at: self.window_start,
            }),
            Notice::Awaiting => {}
        }
        records.extend(self.objections.iter().map(objected));
        records.extend(self.approvals.iter().map(|a| Record::Approved {
            who: a.who.clone(),
            url: a.url.clone(),
            at: a.at,
            source: a.source.clone(),
        }));
        if let (Some(outcome), Some(at)) = (&self.outcome, self.ended_at) {
            records.push(Record::Ended {
                outcome: outcome.clone(),
                at,
            });
        }
        records
    }

    /// When the status comment appeared (the window opened), if it did.
    pub fn noticed_at(&self) -> Option<Timestamp> {
        match self.notice {
            Notice::Posted { at } => Some(at),
            Notice::Legacy => Some(self.window_start),
            Notice::Awaiting => None,
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

/// Where an intent stands ([`Intent::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The window is open.
    Open,
    /// Due: tacit is re-reading GitHub before acting (shown as the open window).
    Verifying,
    /// Objections are open: the window cannot close.
    Blocked,
    /// Consent reached; the merge is in flight.
    Merging,
    /// Consent reached on a draft: waiting for ready-for-review.
    WaitingForDraft,
    /// Consent reached, but GitHub refused the merge: waiting and retrying.
    WaitingForGitHub,
    /// Ended ([`Intent::outcome`] says how).
    Ended,
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

struct RemoveLabel(LabelName);
impl RemoveLabel {
    fn effect(self) -> Effect {
        Effect::RemoveLabel { name: self.0 }
    }
}

/// A role's name as GitHub spells it ([`Role::as_str`], the one map).
pub fn role_str(r: Role) -> &'static str {
    r.as_str()
}

/// The history entry of a new objection.
fn objected(o: &Objection) -> Record {
    Record::Objected {
        who: o.who.clone(),
        reason: o.reason.clone(),
        url: o.url.clone(),
        at: o.at,
        source: o.source.clone(),
    }
}

fn same_login(a: &str, b: &str) -> bool {
    Login::same(a, b)
}

fn add_wall(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

fn count_key(source: &Source, command: &Command) -> String {
    let kind = command.name().trim_start_matches('/');
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
