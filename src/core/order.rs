//! GitHub's order, not arrival's (SPEC 3): which commands an edit added, which reviews
//! still stand, and whether a label was one tacit answered as ignored.
//!
//! Deliveries come late, twice, or out of order; these rules decide from what GitHub
//! recorded (bodies, review states, times), so that a replay or a late delivery cannot
//! count twice or count after the fact.

use jiff::Timestamp;

use super::commands::{Command, parse_commands};
use super::intent::{Intent, Outcome};
use super::names::Login;

/// The commands an edit added: those of `after` that `before` did not hold (as a
/// multiset, in `after`'s line order). `before: None` (GitHub did not say what the
/// body was): the order cannot be told, so only objections count (the safe side).
pub fn commands_added(before: Option<&str>, after: &str) -> Vec<Command> {
    let now = parse_commands(after);
    let Some(before) = before else {
        return now
            .into_iter()
            .filter(|c| matches!(c, Command::Object { .. }))
            .collect();
    };
    let mut old = parse_commands(before);
    now.into_iter()
        .filter(|c| match old.iter().position(|o| o == c) {
            Some(i) => {
                old.remove(i);
                false
            }
            None => true,
        })
        .collect()
}

/// One review as GitHub lists it (oldest first).
#[derive(Debug, Clone, Copy)]
pub struct ReviewState<'a> {
    pub login: &'a str,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    pub state: &'a str,
}

/// Indexes of the changes-requested reviews that still stand: each reviewer's latest
/// review that decided something (approved, requested changes, or was dismissed)
/// requested changes. A comment-only review changes nothing.
pub fn standing_changes_requested(reviews: &[ReviewState<'_>]) -> Vec<usize> {
    let mut latest: Vec<(String, usize)> = Vec::new();
    for (i, r) in reviews.iter().enumerate() {
        let decisive = ["approved", "changes_requested", "dismissed"]
            .iter()
            .any(|s| r.state.eq_ignore_ascii_case(s));
        if !decisive {
            continue;
        }
        let login = Login::key_of(r.login);
        match latest.iter_mut().find(|(l, _)| *l == login) {
            Some(entry) => entry.1 = i,
            None => latest.push((login, i)),
        }
    }
    let mut standing: Vec<usize> = latest
        .into_iter()
        .map(|(_, i)| i)
        .filter(|&i| reviews[i].state.eq_ignore_ascii_case("changes_requested"))
        .collect();
    standing.sort_unstable();
    standing
}

/// Whether `label`, added at `added_at` (GitHub's time), was added while another
/// intent was open on the item, and so was answered as ignored (SPEC 2: a second
/// intent label opens nothing, then or later). `others` are the item's intents,
/// open or ended; labels that opened nothing do not count.
pub fn label_was_ignored(label: &str, added_at: Timestamp, others: &[&Intent]) -> bool {
    others.iter().any(|i| {
        i.policy.label != *label
            && !matches!(i.outcome, Some(Outcome::NotOpened { .. }))
            && i.opened_at <= added_at
            && i.ended_at.is_none_or(|end| added_at <= end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(cs: &[Command]) -> Vec<String> {
        cs.iter().map(|c| format!("{c:?}")).collect()
    }

    #[test]
    fn an_edit_counts_only_the_lines_it_added() {
        let added = commands_added(Some("/approve\nlooks fine"), "/approve\n/object wait\n");
        assert_eq!(
            kinds(&added),
            kinds(&[Command::Object {
                reason: "wait".into()
            }])
        );
        // A body re-sent unchanged adds nothing.
        assert!(commands_added(Some("/object no"), "/object no").is_empty());
        // Removing a line adds nothing either.
        assert!(commands_added(Some("/object no\n/approve"), "/object no").is_empty());
        // A second, identical line is an added one.
        assert_eq!(
            commands_added(Some("/extend 1d"), "/extend 1d\n/extend 1d").len(),
            1
        );
    }

    #[test]
    fn an_edit_whose_old_body_is_unknown_counts_objections_only() {
        let added = commands_added(None, "/approve\n/withdraw\n/object late\n/cancel");
        assert_eq!(
            kinds(&added),
            kinds(&[Command::Object {
                reason: "late".into()
            }])
        );
    }

    #[test]
    fn the_latest_decisive_review_per_reviewer_stands() {
        let r = |login, state| ReviewState { login, state };
        let reviews = [
            r("bob", "CHANGES_REQUESTED"),
            r("carol", "CHANGES_REQUESTED"),
            r("bob", "COMMENTED"),
            r("carol", "APPROVED"),
            r("dave", "CHANGES_REQUESTED"),
            r("Dave", "DISMISSED"),
            r("erin", "APPROVED"),
            r("erin", "CHANGES_REQUESTED"),
        ];
        assert_eq!(standing_changes_requested(&reviews), vec![0, 7]);
    }

    #[test]
    fn a_label_added_while_another_intent_was_open_stays_ignored() {
        use crate::core::config::RepoConfig;
        use crate::core::intent::Opening;
        let t = |h: i64| {
            "2026-03-02T09:00:00Z".parse::<Timestamp>().unwrap()
                + jiff::SignedDuration::from_hours(h)
        };
        let (mut merge, _) = Intent::open(Opening {
            policy: RepoConfig::default().policy("intent-to-merge").unwrap(),
            is_pull: true,
            item_author: "carol".into(),
            author: "alice".into(),
            at: t(0),
            now: t(0),
            head_sha: Some("s".into()),
            carried: Vec::new(),
        });
        // Open: a label added meanwhile is ignored.
        assert!(label_was_ignored("intent-to-close", t(1), &[&merge]));
        // The same label is not "another" label, in any case (GitHub's rule, beyond
        // ASCII too: one rule for labels, `LabelName`).
        assert!(!label_was_ignored("intent-to-merge", t(1), &[&merge]));
        assert!(!label_was_ignored("Intent-To-Merge", t(1), &[&merge]));
        let mut accord = merge.clone();
        accord.policy.label = "Prêt-À-Fusionner".into();
        assert!(!label_was_ignored("prêt-à-fusionner", t(1), &[&accord]));
        // Before it opened: not ignored by it.
        assert!(!label_was_ignored("intent-to-close", t(-1), &[&merge]));
        merge.handle(
            crate::core::intent::Event::Ended(crate::core::intent::EndReason::LabelRemoved {
                by: None,
            }),
            t(5),
        );
        // After the first ended, the ignored label stays ignored (then or later) ...
        assert!(label_was_ignored("intent-to-close", t(1), &[&merge]));
        // ... but the label added again after it ended opens.
        assert!(!label_was_ignored("intent-to-close", t(6), &[&merge]));
    }
}
