//! How an intent ended, in words: the outcome comment and the headlines of ended
//! intents; why a merge was refused; the comment when a refused merge now waits.

use std::fmt::Write;

use jiff::Timestamp;

use super::super::duration::format_duration;
use super::super::intent::{
    CARRY_OVER, Intent, MERGE_GIVE_UP_AFTER, MERGE_RETRY_INTERVAL, MergeRefusal, Outcome, Step,
};
use super::notes::not_opened;
use super::record::{MAX_RECORD_LINES, RECORD_OPEN, record_json, record_line};
use super::*;

pub fn outcome_marker(intent_id: &str) -> String {
    format!("<!-- tacit:outcome:{intent_id} -->")
}

/// The hidden marker of the comment that says a refused merge now waits (one per wait).
pub fn waiting_marker(intent_id: &str, since: Timestamp) -> String {
    format!(
        "<!-- tacit:waiting:{intent_id}:{} -->",
        since.as_millisecond()
    )
}

/// The new comment, mentioning the intent's author, when GitHub refused the merge and
/// the intent now waits (SPEC 4). Short: the status comment has the details.
pub fn waiting_comment(intent: &Intent, intent_id: &str, since: Timestamp) -> String {
    let why = intent
        .refusal
        .as_ref()
        .map(|r| refusal_text(&r.refused()))
        .unwrap_or_else(|| "no reason given".to_string());
    format!(
        "{}\n{}, consent was reached, but GitHub refused the merge: {why}. tacit waits and tries again when checks or reviews change, and at least every {}, for up to {}. Fix what GitHub asks for, or remove `{}` to stop.\n",
        waiting_marker(intent_id, since),
        mention(&intent.author),
        format_duration(MERGE_RETRY_INTERVAL),
        format_duration(MERGE_GIVE_UP_AFTER),
        intent.policy.label
    )
}

pub(super) fn outcome_headline(intent: &Intent, o: &Outcome) -> String {
    match o {
        Outcome::Merged { .. } => "✅ Merged".into(),
        Outcome::Closed => "✅ Closed: no objections".into(),
        Outcome::Accepted => "✅ Consent reached".into(),
        Outcome::Cancelled { .. } => "🚫 Cancelled".into(),
        Outcome::LabelRemoved { .. } => "🚫 Ended: label removed".into(),
        Outcome::ItemClosed { merged: true, .. } => "🚫 Ended: merged by someone else".into(),
        Outcome::ItemClosed { .. } => format!("🚫 Ended: {} closed", item(intent)),
        Outcome::LabelDeleted => "🚫 Ended: label deleted".into(),
        Outcome::AuthorLostPermission { .. } => "🚫 Ended: author lost permission".into(),
        Outcome::Refused { .. } => "❌ Ended: merge refused".into(),
        Outcome::GaveUp { .. } => "❌ Ended: tacit gave up merging".into(),
        Outcome::InstallationRemoved => "🚫 Ended: tacit was removed".into(),
        Outcome::Failed { step, .. } => format!("❌ Ended: tacit could not {}", step_verb(*step)),
        Outcome::NotOpened { .. } => "ℹ️ Not opened".into(),
    }
}

fn carry_note(intent: &Intent) -> String {
    if intent.objections.is_empty() || intent.outcome.as_ref().is_some_and(Outcome::succeeded) {
        String::new()
    } else {
        format!(
            " The open objection{} carr{} over if a new intent starts here within {}.",
            if intent.objections.len() == 1 {
                ""
            } else {
                "s"
            },
            if intent.objections.len() == 1 {
                "ies"
            } else {
                "y"
            },
            words(CARRY_OVER)
        )
    }
}

pub(super) fn outcome_sentence(intent: &Intent, o: &Outcome) -> String {
    let label = inert(&intent.policy.label);
    let consent = if intent.early_proceed() && !intent.approvals.is_empty() {
        format!(
            "approved by {} with no objections",
            who_list(intent.approvals.iter().map(|a| a.who.clone()))
        )
    } else {
        "nobody objected before the window closed".to_string()
    };
    let again = format!("Add {label} again to start a new window.");
    match o {
        Outcome::Merged { sha } => format!(
            "Consent reached ({consent}), so tacit merged this pull request (`{}`).",
            &sha[..sha.len().min(7)]
        ),
        Outcome::Closed => format!(
            "Consent reached ({consent}), so tacit closed this {}.",
            item(intent)
        ),
        Outcome::Accepted => match &intent.policy.action {
            Action::Accept { add_label: Some(l) } => format!(
                "Consent reached ({consent}). tacit labelled this {}; go ahead.",
                inert(l)
            ),
            _ => format!("Consent reached ({consent}); go ahead."),
        },
        Outcome::Cancelled { by } => format!(
            "{} cancelled this intent, so nothing was done.{} {again}",
            mention(by),
            carry_note(intent)
        ),
        Outcome::LabelRemoved { by } => format!(
            "{label} was removed{}, so the intent ended and nothing was done.{} {again}",
            by.as_ref()
                .map(|b| format!(" by {}", mention(b)))
                .unwrap_or_default(),
            carry_note(intent)
        ),
        Outcome::ItemClosed { merged: true, by } => format!(
            "This pull request was merged{} before the window closed, so tacit did nothing.",
            by.as_ref()
                .map(|b| format!(" by {}", mention(b)))
                .unwrap_or_default()
        ),
        Outcome::ItemClosed { by, .. } => format!(
            "This {} was closed{}, so the intent ended and nothing was done. Reopening it does not revive the intent: add {label} again to start a new window.",
            item(intent),
            by.as_ref()
                .map(|b| format!(" by {}", mention(b)))
                .unwrap_or_default(),
        ),
        Outcome::LabelDeleted => format!(
            "The {label} label was deleted or renamed in this repository, so the intent ended and nothing was done."
        ),
        Outcome::AuthorLostPermission { author } => format!(
            "{} no longer has {} permission here, so tacit did not act. Someone with that permission can add {label} again.",
            mention(author),
            role_phrase(intent.policy.authors)
        ),
        Outcome::Refused { reason, cause } => format!(
            "GitHub refused the merge and waiting will not fix it: {}. tacit removed {label}; fix the cause, then add it again.",
            refusal_text(&MergeRefusal::from_stored(reason, cause.as_ref()))
        ),
        Outcome::GaveUp { reason, last } => format!(
            "{}, tacit gave up: {}. It removed {label}; once the pull request can be merged, add it again.",
            mention(&intent.author),
            gave_up(reason, last.as_ref())
        ),
        Outcome::InstallationRemoved => {
            "tacit was removed from this repository, so this intent stopped.".into()
        }
        Outcome::Failed { step, error } => format!(
            "tacit could not {} ({}), and trying again would not help, so the intent ended and nothing was done. tacit removed `{label}`; add it again to start over.",
            step_verb(*step),
            inert(error.trim_end_matches('.'))
        ),
        Outcome::NotOpened { message, why } => match why {
            Some(why) => not_opened(why),
            None => message.clone(),
        },
    }
}

/// Why a merge was refused, as shown: GitHub's words inert, tacit's own reason in its
/// words (also inert, as GitHub's words were when earlier releases stored them).
pub(super) fn refusal_text(refusal: &MergeRefusal) -> String {
    inert(refusal_words(refusal).trim_end_matches('.'))
}

/// Why a merge was refused, in plain words (GitHub's, or tacit's own).
pub fn refusal_words(refusal: &MergeRefusal) -> &str {
    match refusal {
        MergeRefusal::GitHub { message } => message,
        MergeRefusal::NoMergeMethod => "no merge method is allowed on this repository",
        MergeRefusal::PullClosed => "the pull request was closed",
        MergeRefusal::HeadUnknown => "tacit does not know the pull request's head commit",
    }
}

/// Why tacit gave up merging: refused for [`MERGE_GIVE_UP_AFTER`]. Rows of earlier
/// releases hold the sentence itself (`reason`).
fn gave_up(reason: &str, last: Option<&MergeRefusal>) -> String {
    let Some(last) = last else {
        return inert(reason.trim_end_matches('.'));
    };
    let sentence = format!(
        "the merge was refused for {} ({})",
        format_duration(MERGE_GIVE_UP_AFTER),
        refusal_words(last)
    );
    inert(sentence.trim_end_matches('.'))
}

pub(super) fn step_verb(step: Step) -> &'static str {
    match step {
        Step::Notice => "post its status comment",
        Step::Verify => "re-read GitHub before acting",
        Step::Merge => "merge",
    }
}

/// Where an intent ran, for the decision record.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// `owner/name`.
    pub repo: &'a str,
    pub number: u64,
}

/// The one short comment posted when an intent ends (edits notify nobody; this does),
/// without the item's address in its record (see [`outcome_comment_at`]).
pub fn outcome_comment(intent: &Intent, intent_id: &str) -> String {
    outcome_comment_at(intent, intent_id, None)
}

/// The outcome comment: what was decided and done, the decision record (who objected,
/// withdrew, approved, extended, when, with links), and the same record for tools in
/// a hidden `<!-- tacit:record {...} -->` line (see [`record_json`]). A label that
/// opened nothing decided nothing: its comment only says why.
pub fn outcome_comment_at(intent: &Intent, intent_id: &str, place: Option<Place<'_>>) -> String {
    let body = match &intent.outcome {
        Some(o) => outcome_sentence(intent, o),
        None => "This intent ended.".to_string(),
    };
    let mut s = format!("{}\n{body}\n", outcome_marker(intent_id));
    if matches!(intent.outcome, Some(Outcome::NotOpened { .. })) {
        return s;
    }
    let records = intent.records();
    let _ = writeln!(s, "\n**Decision record**\n");
    // A comment holds at most 65,536 characters: a very long history shows its start
    // and its end.
    let skipped = records.len().saturating_sub(MAX_RECORD_LINES);
    let (head, tail) = (MAX_RECORD_LINES - 10, records.len() - 10.min(records.len()));
    for (i, r) in records.iter().enumerate() {
        if skipped > 0 && i == head {
            let _ = writeln!(s, "- … {skipped} more entries …");
        }
        if skipped == 0 || i < head || i >= tail {
            let _ = writeln!(s, "- {}", record_line(intent, r));
        }
    }
    s.push('\n');
    let _ = writeln!(s, "{RECORD_OPEN}{} -->", record_json(intent, place));
    s
}
