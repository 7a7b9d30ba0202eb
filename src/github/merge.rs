//! GitHub's answer to a merge (`PUT /repos/{repo}/pulls/{number}/merge`), classified
//! once, here. The engine maps the class to the core's `MergeResult`; it never reads a
//! status number or GitHub's message to decide.
//!
//! | GitHub answers                                        | class                      |
//! |-------------------------------------------------------|----------------------------|
//! | 200, `merged: true`                                   | `Merged`                   |
//! | 200, `merged: false`                                  | `NotMerged`                |
//! | 409 (head branch was modified)                        | `Refused(HeadMoved)`       |
//! | 405 naming the merge method ("... are not allowed")   | `Refused(MethodNotAllowed)`|
//! | 405 or 422 "Base branch was modified"                 | `Refused(BaseModified)`    |
//! | 405 or 422 otherwise (checks, reviews, conflicts, merge queue, draft) | `Refused(NotYet)` |
//! | 403 (not a rate limit: those are `GhError::RateLimited`) | `Refused(Forbidden)`    |
//! | 404                                                   | `Refused(NotFound)`        |
//! | any other 4xx, 5xx, no answer, a body it cannot read  | `Failed(GhError)`          |

use super::{GhError, GhResult, MergeResponse};

/// What a merge request came to.
#[derive(Debug)]
pub enum MergeAnswer {
    /// Merged; `sha` is the merge commit, when GitHub said.
    Merged { sha: Option<String> },
    /// GitHub answered without merging and without an error (its message is kept).
    NotMerged { message: String },
    /// GitHub refused: `kind` says what can be done about it, `message` is GitHub's own
    /// words (shown to people as data).
    Refused { kind: MergeRefused, message: String },
    /// No answer this module can classify: none at all, a 5xx, a rate limit, an
    /// unexpected 4xx, or a body that cannot be read. The merge may have happened (no
    /// answer, 5xx): the caller re-reads the pull request first.
    /// [`GhError::is_transient`] says whether trying again later can help.
    Failed(GhError),
}

/// Why GitHub refused a merge, as far as tacit acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRefused {
    /// 409: the head moved since tacit recorded it; counts as a push.
    HeadMoved,
    /// 405 naming the merge method: the repository does not allow it; the next allowed
    /// method may do.
    MethodNotAllowed,
    /// "Base branch was modified" (405 or 422): tried again within seconds.
    BaseModified,
    /// Any other 405 or 422: required checks, reviews, conflicts, a merge queue, a
    /// draft. Waiting may fix it.
    NotYet,
    /// 403: waiting cannot fix it (such as a pull request that changes
    /// `.github/workflows/` while the App lacks the `workflows` permission).
    Forbidden,
    /// 404: the pull request is gone, or the App cannot see it.
    NotFound,
}

impl MergeAnswer {
    /// Classify the merge request's result.
    pub fn classify(result: GhResult<MergeResponse>) -> MergeAnswer {
        match result {
            Ok(r) if r.merged => MergeAnswer::Merged { sha: r.sha },
            Ok(r) => MergeAnswer::NotMerged { message: r.message },
            Err(GhError::Status { status, message }) => {
                match MergeRefused::classify(status, &message) {
                    Some(kind) => MergeAnswer::Refused { kind, message },
                    None => MergeAnswer::Failed(GhError::Status { status, message }),
                }
            }
            Err(e) => MergeAnswer::Failed(e),
        }
    }
}

impl MergeRefused {
    /// The refusal an error status and GitHub's message mean, if it is one.
    fn classify(status: u16, message: &str) -> Option<MergeRefused> {
        let m = message.to_lowercase();
        Some(match status {
            409 => MergeRefused::HeadMoved,
            405 if names_the_method(&m) => MergeRefused::MethodNotAllowed,
            405 | 422 if m.contains("base branch was modified") => MergeRefused::BaseModified,
            405 | 422 => MergeRefused::NotYet,
            403 => MergeRefused::Forbidden,
            404 => MergeRefused::NotFound,
            _ => return None,
        })
    }
}

/// "Merge commits are not allowed on this repository.", "Squash merges are not
/// allowed ...", "Rebase merges ...", or "Merge method ... is not allowed"
/// (`lowercase` is the message in lower case).
fn names_the_method(lowercase: &str) -> bool {
    lowercase.contains("merge method")
        || (lowercase.contains("not allowed") && lowercase.contains("merge"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn refused(status: u16, message: &str) -> MergeAnswer {
        MergeAnswer::classify(Err(GhError::Status {
            status,
            message: message.to_string(),
        }))
    }

    fn kind(status: u16, message: &str) -> Option<MergeRefused> {
        match refused(status, message) {
            MergeAnswer::Refused { kind, message: m } => {
                assert_eq!(m, message, "GitHub's message is kept as it was");
                Some(kind)
            }
            _ => None,
        }
    }

    #[test]
    fn refusals_that_waiting_may_fix_wait() {
        for (status, message) in [
            (405, "Required status check \"ci\" is failing."),
            (405, "Required status check \"build\" is expected."),
            (
                405,
                "At least 1 approving review is required by reviewers with write access.",
            ),
            (405, "Waiting on code owner review from octo-org/docs."),
            // Conflicts (GitHub does not say which).
            (405, "Pull Request is not mergeable"),
            (
                405,
                "Repository rule violations found\n\nChanges must be made through the merge queue",
            ),
            (405, "Pull Request is still a draft"),
            (422, "Required status check \"ci\" is expected."),
        ] {
            assert_eq!(
                kind(status, message),
                Some(MergeRefused::NotYet),
                "{status} {message}"
            );
        }
    }

    #[test]
    fn a_modified_base_branch_is_told_apart_in_any_case() {
        for (status, message) in [
            (
                405,
                "Base branch was modified. Review and try the merge again.",
            ),
            (422, "base branch was modified"),
        ] {
            assert_eq!(kind(status, message), Some(MergeRefused::BaseModified));
        }
    }

    #[test]
    fn a_method_the_repository_does_not_allow_is_told_apart() {
        for message in [
            "Merge commits are not allowed on this repository.",
            "Squash merges are not allowed on this repository.",
            "Rebase merges are not allowed on this repository.",
            "Merge method rebase is not allowed",
        ] {
            assert_eq!(kind(405, message), Some(MergeRefused::MethodNotAllowed));
        }
        // Only a 405 names the method: a 422 saying so is a refusal that may pass.
        assert_eq!(
            kind(422, "Squash merges are not allowed on this repository."),
            Some(MergeRefused::NotYet)
        );
    }

    #[test]
    fn a_conflict_is_a_moved_head_whatever_it_says() {
        assert_eq!(
            kind(
                409,
                "Head branch was modified. Review and try the merge again."
            ),
            Some(MergeRefused::HeadMoved)
        );
        assert_eq!(kind(409, ""), Some(MergeRefused::HeadMoved));
    }

    #[test]
    fn forbidden_and_not_found_cannot_be_waited_out() {
        assert_eq!(
            kind(
                403,
                "Resource not accessible by integration: refusing to allow a GitHub App \
                 to create or update workflow `.github/workflows/ci.yml` without \
                 `workflows` permission"
            ),
            Some(MergeRefused::Forbidden)
        );
        assert_eq!(kind(404, "Not Found"), Some(MergeRefused::NotFound));
    }

    #[test]
    fn unexpected_answers_are_failures_with_their_error() {
        for status in [400, 401, 410, 418, 451, 500, 502] {
            match refused(status, "whatever") {
                MergeAnswer::Failed(e) => assert_eq!(e.status(), Some(status)),
                other => panic!("{status}: {other:?}"),
            }
        }
        let unreadable = MergeAnswer::classify(Err(GhError::Decode("expected value".into())));
        assert!(matches!(
            unreadable,
            MergeAnswer::Failed(GhError::Decode(_))
        ));
        let no_answer = MergeAnswer::classify(Err(GhError::Transport("timeout".into())));
        assert!(matches!(no_answer, MergeAnswer::Failed(ref e) if e.is_transient()));
        let limited = MergeAnswer::classify(Err(GhError::RateLimited(Duration::from_secs(9))));
        assert!(matches!(
            limited,
            MergeAnswer::Failed(GhError::RateLimited(d)) if d == Duration::from_secs(9)
        ));
    }

    #[test]
    fn a_merge_answer_says_merged_or_why_not() {
        let merged = MergeAnswer::classify(Ok(MergeResponse {
            sha: Some("abc".into()),
            merged: true,
            message: "Pull Request successfully merged".into(),
        }));
        assert!(matches!(merged, MergeAnswer::Merged { sha: Some(s) } if s == "abc"));
        let not = MergeAnswer::classify(Ok(MergeResponse {
            sha: None,
            merged: false,
            message: "not now".into(),
        }));
        assert!(matches!(not, MergeAnswer::NotMerged { message } if message == "not now"));
    }
}
