//! The `tacit` check run on a merge intent's head commit (SPEC 4).

use jiff::Timestamp;

use super::super::intent::{CheckState, Intent, Outcome, Status};
use super::outcome::{outcome_sentence, step_verb};
use super::*;

/// Title and summary of the `tacit` check run.
pub struct CheckView {
    pub title: String,
    pub summary: String,
}

pub fn check_run(intent: &Intent, now: Timestamp) -> CheckView {
    let n = intent.objections.len();
    // The conclusion is `Intent::check`, itself from `Intent::status`; the title says
    // which state, from the same `status`.
    let title = match (intent.status(), intent.check()) {
        (Status::Open | Status::Verifying, _) => match intent.ready_at() {
            Some(t) => format!("Objection window open until {}", utc(t)),
            None => "Objection window open".into(),
        },
        (Status::Blocked, _) => {
            format!("Blocked by {n} objection{}", if n == 1 { "" } else { "s" })
        }
        (Status::WaitingForDraft, _) => {
            "Consent reached; waiting for the draft to be marked ready for review".into()
        }
        (Status::WaitingForGitHub, _) => {
            "Consent reached; waiting until GitHub allows the merge".into()
        }
        (Status::Merging, _) | (Status::Ended, CheckState::Success) => "Consent reached".into(),
        (Status::Ended, CheckState::Cancelled) => "Intent cancelled".into(),
        (Status::Ended, _) => match &intent.outcome {
            Some(Outcome::GaveUp { .. } | Outcome::Refused { .. }) => {
                "tacit could not merge".into()
            }
            Some(Outcome::Failed { step, .. }) => format!("tacit could not {}", step_verb(*step)),
            _ => "Ended with objections open".into(),
        },
    };
    let summary = match &intent.outcome {
        Some(o) => outcome_sentence(intent, o),
        None => match intent.ready_at() {
            Some(t) => format!(
                "{} intends to merge this pull request. The window closes at {} ({} from {}). Comment `/object <reason>` to object.",
                mention(&intent.author),
                utc(t),
                about(now, t),
                utc(now)
            ),
            None => format!(
                "{n} objection{} open. Objectors can comment `/withdraw` when resolved.",
                if n == 1 { " is" } else { "s are" }
            ),
        },
    };
    CheckView { title, summary }
}
