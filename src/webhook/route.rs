//! The one routing table: which deliveries the engine has work for, and what work.
//!
//! [`route`] maps a parsed delivery (its `X-GitHub-Event` and payload) to a typed
//! [`Route`], or to `None`: nothing to do. The intake asks it to decide whether to keep
//! a delivery's body (`None`: recorded as done at once, without it); the engine's
//! `deliveries::route` matches on the [`Route`] it returns and on nothing else, so the
//! two cannot disagree.
//!
//! It is a pure function of the payload, here in the receiver rather than in `core`
//! (which never sees GitHub's wire types, `github::event`): the engine may depend on
//! the receiver's routing, and the receiver may not depend on the engine.
//!
//! A route carries what the engine branches on and borrows the rest from the payload.
//! A delivery lacking what its route needs (an item's number, a comment, a commit sha,
//! a label's name) routes nowhere: the engine did nothing with such a delivery either.

use crate::core::names::RepoName;
use crate::github::Installation;
use crate::github::event::{Payload, PayloadComment, PayloadReview};
use crate::github::types::User;
use crate::store::Need;

/// What the engine does with a delivery.
#[derive(Debug, Clone)]
pub enum Route<'a> {
    /// A delivery about an installation (`installation`, `installation_repositories`):
    /// freeze, thaw, create the intent labels. Only payloads without a repository are
    /// these (GitHub sends none with one).
    Installation {
        installation: &'a Installation,
        change: InstallationChange,
    },
    /// A delivery about one repository of an installation.
    Repo {
        inst: u64,
        repo: &'a str,
        change: RepoChange<'a>,
    },
}

/// The installation deliveries the engine acts on (`installation.<action>`,
/// `installation_repositories.<action>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallationChange {
    Created,
    Deleted,
    Suspend,
    Unsuspend,
    NewPermissionsAccepted,
    /// `installation_repositories.added`: create the labels there.
    ReposAdded,
    /// `installation_repositories.removed`: end the intents there.
    ReposRemoved,
}

/// The repository deliveries the engine acts on.
#[derive(Debug, Clone)]
pub enum RepoChange<'a> {
    /// `issues.labeled`, `pull_request.labeled`: may open an intent.
    LabelAdded {
        number: u64,
        label: &'a str,
        is_pull: bool,
    },
    /// The item's intent may have ended: a label removed (`removed`, with its name), the
    /// item closed (`merged` as the payload says), deleted or transferred.
    Ending {
        number: u64,
        label: Option<&'a str>,
        removed: bool,
        merged: bool,
    },
    /// `pull_request.opened` / `reopened` from a fork: the `tacit/config` check of its
    /// head (`None`: the payload names no head commit).
    ForkPull { head: Option<&'a str> },
    /// `pull_request.synchronize`: a push to the head (`sha`: the new head, from the
    /// pull request or the payload's `after`); `fork_head` when the pull request is from a
    /// fork (its `tacit/config` check).
    HeadChanged {
        number: u64,
        sha: Option<&'a str>,
        fork_head: Option<&'a str>,
    },
    /// `pull_request.ready_for_review`: counts as a push (the head may be unchanged).
    ReadyForReview { number: u64 },
    /// `pull_request.edited` with a new base branch: counts as a push.
    BaseChanged { number: u64 },
    /// `issue_comment.created` / `edited` by a person, with a command line.
    Comment {
        number: u64,
        comment: &'a PayloadComment,
        edited: bool,
    },
    /// `pull_request_review.submitted` / `edited`.
    Review {
        number: u64,
        review: &'a PayloadReview,
        edited: bool,
    },
    /// `pull_request_review.dismissed`.
    ReviewDismissed { number: u64, review_id: u64 },
    /// `check_suite`, `check_run`, `status`: checks changed on commit `sha`.
    Checks { sha: &'a str },
    /// `label.deleted`, or `label.edited` renaming it: the label `name` (before a
    /// rename) is gone from the repository.
    LabelDefinitionChanged { name: &'a str },
    /// A `push` to branch that adds, changes or removes `.github/tacit.yml`; `sha` is
    /// the pushed commit (`after`).
    ConfigPush { sha: &'a str, to_default: bool },
}

impl Route<'_> {
    /// Whether the engine has work for this delivery, as the receiver can tell it:
    /// the intake settles the conditional answers against the open intents in the
    /// transaction that records the delivery (see [`Need`]). Each condition is the
    /// one the engine's handler checks first and ends on when it fails: a delivery
    /// recorded as done here is one the engine would have marked done unchanged.
    /// `item_key` is the delivery's (`Payload::item_key`).
    pub fn need(&self) -> Need {
        let Route::Repo { repo, change, .. } = self else {
            return Need::Always;
        };
        let item = Need::Item {
            repo: RepoName::key_of(repo),
        };
        match change {
            RepoChange::LabelAdded { .. }
            | RepoChange::ForkPull { .. }
            | RepoChange::HeadChanged {
                fork_head: Some(_), ..
            }
            | RepoChange::LabelDefinitionChanged { .. }
            | RepoChange::ConfigPush { .. } => Need::Always,
            RepoChange::Ending { .. }
            | RepoChange::HeadChanged { .. }
            | RepoChange::ReadyForReview { .. }
            | RepoChange::BaseChanged { .. }
            | RepoChange::Comment { .. }
            | RepoChange::Review { .. }
            | RepoChange::ReviewDismissed { .. } => item,
            RepoChange::Checks { sha } => Need::Head {
                repo: RepoName::key_of(repo),
                sha: sha.to_string(),
            },
        }
    }
}

/// Where delivery `p`, of `X-GitHub-Event` `event`, goes; `None`: nothing to do (an
/// issue opened, a pull request opened from a branch of its own repository, a comment
/// without a command, a ping, ...).
pub fn route<'a>(event: &str, p: &'a Payload) -> Option<Route<'a>> {
    let action = p.action.as_deref().unwrap_or("");
    let (Some(inst), Some(repo)) = (p.installation.as_ref(), p.repo()) else {
        let installation = p.installation.as_ref()?;
        let change = match (event, action) {
            ("installation", "created") => InstallationChange::Created,
            ("installation", "deleted") => InstallationChange::Deleted,
            ("installation", "suspend") => InstallationChange::Suspend,
            ("installation", "unsuspend") => InstallationChange::Unsuspend,
            ("installation", "new_permissions_accepted") => {
                InstallationChange::NewPermissionsAccepted
            }
            ("installation_repositories", "added") => InstallationChange::ReposAdded,
            ("installation_repositories", "removed") => InstallationChange::ReposRemoved,
            _ => return None,
        };
        return Some(Route::Installation {
            installation,
            change,
        });
    };
    let change = repo_change(event, action, p)?;
    Some(Route::Repo {
        inst: inst.id,
        repo,
        change,
    })
}

fn repo_change<'a>(event: &str, action: &str, p: &'a Payload) -> Option<RepoChange<'a>> {
    let number = p.item().map(|i| i.number);
    let change = match (event, action) {
        ("issues" | "pull_request", "labeled") => RepoChange::LabelAdded {
            number: number?,
            label: p.label.as_ref()?.name.as_str(),
            is_pull: p.pull_request.is_some()
                || p.issue.as_ref().is_some_and(|i| i.pull_request.is_some()),
        },
        ("issues" | "pull_request", "unlabeled" | "closed")
        | ("issues", "deleted" | "transferred") => RepoChange::Ending {
            number: number?,
            label: p.label.as_ref().map(|l| l.name.as_str()),
            removed: action == "unlabeled",
            merged: p
                .pull_request
                .as_ref()
                .and_then(|x| x.merged)
                .unwrap_or(false),
        },
        ("pull_request", "opened" | "reopened") if p.from_fork() => {
            RepoChange::ForkPull { head: fork_head(p) }
        }
        ("pull_request", "synchronize") => RepoChange::HeadChanged {
            number: number?,
            sha: p
                .pull_request
                .as_ref()
                .and_then(|x| x.head.as_ref())
                .map(|h| h.sha.as_str())
                .or(p.after.as_deref()),
            fork_head: p.from_fork().then(|| fork_head(p)).flatten(),
        },
        ("pull_request", "ready_for_review") => RepoChange::ReadyForReview { number: number? },
        ("pull_request", "edited")
            if p.changes.as_ref().is_some_and(|c| c.get("base").is_some()) =>
        {
            RepoChange::BaseChanged { number: number? }
        }
        ("issue_comment", "created" | "edited") => {
            let comment = p.comment.as_ref()?;
            if !may_command(comment, p.sender.as_ref()) {
                return None;
            }
            RepoChange::Comment {
                number: number?,
                comment,
                edited: action == "edited",
            }
        }
        ("pull_request_review", "submitted" | "edited") => RepoChange::Review {
            number: number?,
            review: p.review.as_ref()?,
            edited: action == "edited",
        },
        ("pull_request_review", "dismissed") => RepoChange::ReviewDismissed {
            number: number?,
            review_id: p.review.as_ref().map(|r| r.id).unwrap_or_default(),
        },
        ("check_suite" | "check_run" | "status", _) => RepoChange::Checks {
            sha: p
                .check_suite
                .as_ref()
                .or(p.check_run.as_ref())
                .and_then(|c| c.head_sha.as_deref())
                .or(p.sha.as_deref())?,
        },
        ("label", "deleted") => RepoChange::LabelDefinitionChanged {
            name: p.label.as_ref()?.name.as_str(),
        },
        ("label", "edited") => RepoChange::LabelDefinitionChanged {
            name: p
                .changes
                .as_ref()
                .and_then(|c| c.pointer("/name/from"))
                .and_then(|v| v.as_str())?,
        },
        ("push", _) if p.touches_config() => {
            let (_, to_default) = p.pushed_branch()?; // not a tag
            RepoChange::ConfigPush {
                sha: p.after.as_deref()?,
                to_default,
            }
        }
        _ => return None,
    };
    Some(change)
}

/// A fork pull request's head commit, for its `tacit/config` check.
fn fork_head(p: &Payload) -> Option<&str> {
    p.pull_request
        .as_ref()
        .and_then(|pull| pull.head.as_ref())
        .map(|head| head.sha.as_str())
        .filter(|sha| !sha.is_empty())
}

/// Whether a comment could be a command for tacit: it has a command line and neither
/// its author nor the sender is a bot (SPEC 3: bots, tacit included, never command).
fn may_command(comment: &PayloadComment, sender: Option<&User>) -> bool {
    let bot = comment.user.as_ref().is_some_and(User::is_bot) || sender.is_some_and(User::is_bot);
    !bot && !crate::core::commands::parse_commands(comment.body.as_deref().unwrap_or("")).is_empty()
}

#[cfg(test)]
#[path = "route_tests.rs"]
mod tests;
