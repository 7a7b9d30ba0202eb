//! The short things tacit says besides the state: the status comment's notices, the
//! commands and reviews that did not count and why, the note when a label opens
//! nothing, and the descriptions of the labels it creates.

use super::super::duration::format_duration;
use std::fmt::Write;

use super::super::intent::{
    Asked, Concern, ConfigProblem, Intent, MAX_EXTENSION, NotCounted, NotOpened, Note,
};
use super::*;

/// The description of an intent label tacit creates (GitHub allows 100 characters).
pub fn label_description(policy: &super::super::config::Policy) -> String {
    let does = match policy.action.kind() {
        ActionKind::Merge => "merges this pull request",
        ActionKind::Close => "closes this",
        ActionKind::Accept => "records consent",
    };
    let text = format!(
        "tacit {does} after a {} window in which anyone may /object",
        format_duration(policy.window)
    );
    text.chars().take(100).collect()
}

/// A notice in the status comment (see [`Note`]). User text goes through `inert` and
/// `mention`.
pub(super) fn note(intent: &Intent, note: &Note) -> String {
    match note {
        Note::OtherLabel { label, by } => {
            let open = inert(&intent.policy.label);
            format!(
                "{} added {}, but {open} is already open here, so it was ignored. Remove {open} first to start a different intent.",
                mention(by),
                inert(label),
            )
        }
        Note::ObjectedWhileMerging { who } => {
            format!(
                "{} objected while the merge was already under way.",
                mention(who)
            )
        }
        Note::ExtendNotUnderstood { who, arg } => format!(
            "{}: {} was not understood. Give a duration, like `/extend 2d` or `/extend 12h`.",
            mention(who),
            inert(&format!("/extend {arg}"))
        ),
        Note::ExtendCapped { who, asked, added } => format!(
            "{} asked to extend by {}; extensions are capped at {} per intent, so {} was added.",
            mention(who),
            format_duration(*asked),
            format_duration(MAX_EXTENSION),
            format_duration(*added)
        ),
        Note::Restarted { at } => format!(
            "New commits were pushed at {}, so the window started again.",
            utc(*at)
        ),
    }
}

/// What a concern asked for, as shown (inert): the command as written, or the review.
/// Rows of earlier releases hold it in words (`what`).
pub(super) fn asked(c: &Concern) -> String {
    let text = match &c.asked {
        None => return inert(&c.what),
        Some(Asked::Object { reason }) if reason.is_empty() => "/object".to_string(),
        Some(Asked::Object { reason }) => format!("/object: {reason}"),
        Some(Asked::Approve) => "/approve".to_string(),
        Some(Asked::Extend { arg }) => format!("/extend {arg}"),
        Some(Asked::Cancel) => "/cancel".to_string(),
        Some(Asked::RequestedChanges) => "requested changes".to_string(),
        Some(Asked::ApprovedReview) => "approved".to_string(),
    };
    inert(&text)
}

/// Why a concern did not count. Rows of earlier releases hold it in words (`why`).
pub(super) fn not_counted(intent: &Intent, c: &Concern) -> String {
    let Some(reason) = &c.reason else {
        return c.why.clone();
    };
    match reason {
        NotCounted::Permission { needs, has } => format!(
            "needs {} permission (has {})",
            role_str(*needs),
            has.map_or("none", role_str)
        ),
        NotCounted::NotAnApprover => not_an_approver(&intent.policy.approvers),
        NotCounted::CannotCancel => "only the intent's author or a maintainer can cancel".into(),
        NotCounted::OwnIntent => "the intent's author cannot approve their own intent".into(),
        NotCounted::OwnPullRequest => "the pull request's author cannot approve it".into(),
        NotCounted::SameSecondAsLabel => "it was given in the same second as the label, so tacit cannot tell which came first; approve again to count".into(),
        NotCounted::BeforePush => "it was given before the latest push".into(),
    }
}

/// Why an approval does not count when `approvers` is set (a non-blocking concern).
/// The names are in code spans, so that an edit of the status comment mentions nobody.
fn not_an_approver(approvers: &[String]) -> String {
    let names: Vec<String> = approvers.iter().map(|a| format!("`{a}`")).collect();
    format!(
        "only approvals by {} count toward proceeding early here (`approvers` in .github/tacit.yml)",
        names.join(", ")
    )
}

/// The short comment when a label opens nothing.
pub fn not_opened(reason: &NotOpened) -> String {
    match reason {
        NotOpened::Bot => String::new(),
        NotOpened::NotAPullRequest { label, for_issues } => {
            let mut s = format!(
                "{} only works on pull requests, so nothing was started here.",
                inert(label)
            );
            if !for_issues.is_empty() {
                let labels: Vec<String> = for_issues.iter().map(|l| inert(l)).collect();
                let (last, rest) = labels.split_last().expect("not empty");
                let list = if rest.is_empty() {
                    last.clone()
                } else {
                    format!("{} or {last}", rest.join(", "))
                };
                let _ = write!(s, " For an issue, try {list}.");
            }
            s
        }
        NotOpened::ItemClosed { label } => format!(
            "This is closed, so {} starts nothing. Reopen it first, then add the label again.",
            inert(label)
        ),
        NotOpened::NoPermission {
            label,
            who,
            needs,
            has,
        } => format!(
            "{}, opening an intent with {} needs {} permission on this repository (you have {}), so nothing was started. A maintainer can add the label instead.",
            mention(who),
            inert(label),
            role_phrase(*needs),
            has.map_or("none", |r| role_str(r))
        ),
        NotOpened::BadConfig { label, problem } => config_problem(label, problem),
    }
}

/// The short comment when the configuration file is broken. The parser's message
/// (which may quote the file) is shown inert.
pub fn config_problem(label: &str, problem: &ConfigProblem) -> String {
    let problem = match problem {
        ConfigProblem::NotUtf8 { file } => format!("`{file}` is not UTF-8 text."),
        ConfigProblem::Invalid { file, error } => format!("`{file}` is not valid: {error}"),
    };
    format!(
        "{} was not started: {}\n\ntacit acts on nothing in this repository until the file is fixed (check it with `tacit check-config`). Then add the label again.",
        inert(label),
        inert(&problem)
    )
}
