//! The status comment: one per intent, edited in place at every change (SPEC 4).

use std::fmt::Write;

use jiff::Timestamp;

use super::super::duration::format_duration;
use super::super::intent::{
    Intent, MAX_EXTENSION, MERGE_GIVE_UP_AFTER, MERGE_RETRY_INTERVAL, Phase, Status,
};
use super::notes::{asked, not_counted, note};
use super::outcome::{outcome_headline, outcome_sentence, refusal_text};
use super::*;

/// The first line of every status comment (SPEC 4). tacit never searches for it: it
/// finds its comment by the stored id.
pub const STATUS_MARKER: &str = "<!-- tacit:intent -->";

/// Carries the intent id, so that a comment created just before a crash can be found
/// again among the App's own comments.
pub fn status_marker(intent_id: &str) -> String {
    format!("<!-- tacit:intent-id:{intent_id} -->")
}

/// The status comment: one per intent, edited in place at every change.
pub fn status_comment(intent: &Intent, intent_id: &str, now: Timestamp) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{STATUS_MARKER}");
    let _ = writeln!(s, "{}", status_marker(intent_id));
    let label = &intent.policy.label;
    let _ = writeln!(s, "### {}: {}\n", inert(label), headline(intent));
    let _ = writeln!(
        s,
        "{} intends to **{}**. This is lazy consensus: if nobody objects, it happens when the window closes.\n",
        mention(&intent.author),
        what(intent)
    );

    if intent.phase != Phase::Done && intent.draft_wait {
        let _ = writeln!(s, "{}\n", draft_wait_sentence());
    } else if intent.phase != Phase::Done {
        match intent.ready_at() {
            Some(t) if intent.early_proceed() && t <= now => {
                let _ = writeln!(s, "Enough approvals are in: tacit proceeds now.\n");
            }
            Some(t) => {
                let _ = writeln!(s, "The window closes {}.", when(intent, t, now));
                if intent.policy.business_days {
                    let _ = writeln!(
                        s,
                        "Only Monday to Friday in {} counts{}.",
                        zone(&intent.policy.timezone),
                        if intent.policy.holidays.is_empty() {
                            ""
                        } else {
                            ", holidays excepted"
                        }
                    );
                }
                if intent.policy.approvals > 0 {
                    let n = intent.policy.approvals;
                    let _ = writeln!(
                        s,
                        "{n} approval{} from someone other than the author close{} it early.",
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "s" } else { "" }
                    );
                }
                s.push('\n');
            }
            None => {
                let n = intent.objections.len();
                let _ = writeln!(
                    s,
                    "The window cannot close while {} open. Once {} withdrawn, it closes no sooner than {} later.\n",
                    if n == 1 {
                        "an objection is".to_string()
                    } else {
                        format!("{n} objections are")
                    },
                    if n == 1 { "it is" } else { "all are" },
                    format_duration(intent.policy.after_objection)
                );
            }
        }
        if let Some(r) = &intent.refusal {
            let give_up = r.first_at
                + jiff::SignedDuration::try_from(MERGE_GIVE_UP_AFTER).unwrap_or_default();
            let _ = writeln!(
                s,
                "**GitHub refused the merge:** {}. tacit tries again when checks or reviews change, and at least every {}, until {}.\n",
                refusal_text(&r.refused()),
                words(MERGE_RETRY_INTERVAL),
                utc(give_up)
            );
        }
    }

    if !intent.objections.is_empty() {
        let _ = writeln!(s, "**Objections ({})**", intent.objections.len());
        for o in &intent.objections {
            let reason = if o.reason.trim().is_empty() {
                "no reason given".to_string()
            } else {
                inert(&o.reason)
            };
            let carried = if o.source == super::super::intent::Source::CarriedOver {
                " (carried over from the last intent)"
            } else {
                ""
            };
            let edited = match &o.edited_from {
                Some(author) => format!(
                    " (added by {} to {}'s comment)",
                    mention(&o.who),
                    mention(author)
                ),
                None => String::new(),
            };
            let _ = writeln!(
                s,
                "- {}: {reason}{carried}{edited}{}",
                mention(&o.who),
                link("comment", &o.url)
            );
        }
        s.push('\n');
    }
    if !intent.approvals.is_empty() {
        let _ = writeln!(
            s,
            "**Approvals ({}):** {}\n",
            intent.approvals.len(),
            who_list(intent.approvals.iter().map(|a| a.who.clone()))
        );
    }
    if !intent.concerns.is_empty() {
        let _ = writeln!(s, "**Not counted** (these do not block):");
        for c in &intent.concerns {
            let _ = writeln!(
                s,
                "- {} {}: {}{}",
                mention(&c.who),
                asked(c),
                not_counted(intent, c),
                link("comment", &c.url)
            );
        }
        s.push('\n');
    }
    // Notices an earlier release stored in words (with user text already made inert)
    // come first: they are the older ones. A line break would still leave the quote,
    // so none is kept.
    let legacy = intent.notices.iter().cloned();
    for n in legacy.chain(intent.notes.iter().map(|n| note(intent, n))) {
        let _ = writeln!(s, "> {}\n", n.replace(['\n', '\r'], " "));
    }
    if let (Phase::Done, Some(o)) = (&intent.phase, &intent.outcome) {
        let _ = writeln!(s, "{}\n", outcome_sentence(intent, o));
    } else {
        let _ = writeln!(s, "<details><summary>How to take part</summary>\n");
        let _ = writeln!(s, "Write a command at the start of a line in a comment:\n");
        let _ = writeln!(
            s,
            "- `/object <reason>`: object; nothing happens while your objection is open."
        );
        let _ = writeln!(s, "- `/withdraw`: withdraw your own objection.");
        if intent.policy.approvals > 0 {
            let _ = writeln!(
                s,
                "- `/approve`: agree, so that it can happen before the window closes."
            );
        } else {
            let _ = writeln!(
                s,
                "- `/approve`: agree (recorded; this repository does not proceed early)."
            );
        }
        let _ = writeln!(
            s,
            "- `/extend <duration>`: ask for more time, like `/extend 2d` (at most {} in all).",
            words(MAX_EXTENSION)
        );
        let _ = writeln!(
            s,
            "- `/cancel`: the author or a maintainer ends the intent."
        );
        let _ = writeln!(
            s,
            "\nObjecting and approving need {} permission on this repository.\n</details>",
            role_phrase(intent.policy.objectors)
        );
    }
    s.push_str(&configuration_and_people(intent));
    s
}

/// The headline, from [`Intent::status`] (the check run and the dashboard map from it
/// too).
fn headline(intent: &Intent) -> String {
    match intent.status() {
        Status::Ended => match &intent.outcome {
            Some(o) => outcome_headline(intent, o),
            None => "🚫 Ended".to_string(),
        },
        Status::Blocked => "⛔ Blocked by objections".to_string(),
        Status::Merging => "🔄 Consent reached: merging".to_string(),
        Status::WaitingForDraft => "⏸️ Consent reached: waiting for the draft".to_string(),
        Status::WaitingForGitHub => "⏸️ Consent reached: waiting for GitHub".to_string(),
        Status::Open | Status::Verifying => "⏳ Objection window open".to_string(),
    }
}

/// The end of the status comment: the hours tacit acts in (`act_within`), the
/// configuration files in force, and the people in `notify`. The `cc` line is in every
/// version of the comment, so the text stays stable, but only the creating one notifies
/// (GitHub sends no notifications for edits). Logins and teams were validated when the
/// file was parsed, so they are safe to write as they are.
fn configuration_and_people(intent: &Intent) -> String {
    let mut s = String::new();
    let policy = &intent.policy;
    if let Some(hours) = policy.act_within
        && intent.phase != Phase::Done
    {
        let _ = writeln!(
            s,
            "\ntacit acts only from {} to {} ({}{}): a window that ends outside these hours closes when they next begin, as the time above shows.",
            hours.start.strftime("%H:%M"),
            hours.end.strftime("%H:%M"),
            policy.timezone,
            if policy.business_days {
                ", Monday to Friday"
            } else {
                ""
            }
        );
    }
    if let Some(line) = configuration_line(policy) {
        let _ = writeln!(s, "\n<sub>{line}</sub>");
    }
    if !policy.notify.is_empty() {
        let _ = writeln!(s, "\ncc {}", who_list_plain(&policy.notify));
    }
    s
}

/// Which `.github/tacit.yml` files are in force (SPEC 5); `None` for intents recorded
/// before tacit kept this.
pub fn configuration_line(policy: &super::super::config::Policy) -> Option<String> {
    let p = &policy.provenance;
    let files: Vec<String> = p.files.iter().map(|f| format!("`{f}`")).collect();
    match (files.as_slice(), &p.owner_unreadable) {
        ([], None) => None,
        ([], Some(shared)) => Some(format!(
            "Configuration: the defaults (a {} window, {} to proceed early, objections from anyone with {} permission). There is no `.github/tacit.yml` in this repository, and tacit could not read one in `{shared}`: a shared file there counts only if tacit is installed on `{shared}`.",
            format_duration(policy.window),
            match policy.approvals {
                0 => "no early proceed".to_string(),
                1 => "1 approval".to_string(),
                n => format!("{n} approvals"),
            },
            role_phrase(policy.objectors)
        )),
        ([one], unreadable) => Some(format!(
            "Configuration: {one}.{}",
            unreadable
                .as_ref()
                .map(|shared| format!(
                    " tacit could not read `{shared}`, so a shared file there does not apply."
                ))
                .unwrap_or_default()
        )),
        ([owner, repo, ..], _) => Some(format!("Configuration: {repo}, laid over {owner}.")),
    }
}

/// `@alice @acme/reviewers`: logins and teams from `notify`, each mentioned once.
fn who_list_plain(people: &[String]) -> String {
    people
        .iter()
        .map(|who| format!("@{}", who.trim_start_matches('@')))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The window closed on a draft pull request (SPEC 4).
fn draft_wait_sentence() -> &'static str {
    "The window has closed, but this pull request is a draft, and tacit never merges a draft. Mark it ready for review when it is: that starts the window again."
}
