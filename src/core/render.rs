//! What people read: the status comment, the outcome comment, the check run, and the
//! short notes when a label opens nothing. Pure functions of the intent and `now`.
//!
//! The voice: short, kind, and always teaching the next step.

use std::fmt::Write;

use jiff::Timestamp;

use super::config::{Action, Role};
use super::duration::format_duration;
use super::intent::{CheckState, Intent, MERGE_GIVE_UP_AFTER, NotOpened, Outcome, Phase, role_str};

/// The first line of every status comment (SPEC 4). tacit never searches for it: it
/// finds its comment by the stored id.
pub const STATUS_MARKER: &str = "<!-- tacit:intent -->";

/// Carries the intent id, so that a comment created just before a crash can be found
/// again among the App's own comments.
pub fn status_marker(intent_id: &str) -> String {
    format!("<!-- tacit:intent-id:{intent_id} -->")
}

pub fn outcome_marker(intent_id: &str) -> String {
    format!("<!-- tacit:outcome:{intent_id} -->")
}

fn what(intent: &Intent) -> &'static str {
    match (intent.policy.action, intent.is_pull) {
        (Action::Merge, _) => "merge this pull request",
        (Action::Close, true) => "close this pull request",
        (Action::Close, false) => "close this issue",
        (Action::Accept, _) => "proceed",
    }
}

fn item(intent: &Intent) -> &'static str {
    if intent.is_pull {
        "pull request"
    } else {
        "issue"
    }
}

/// `2026-11-28 14:00 CET (+01:00)` in the intent's time zone.
fn local(intent: &Intent, t: Timestamp) -> String {
    let cal = intent.calendar();
    let z = t.to_zoned_datetime(cal.timezone().clone());
    z.strftime("%Y-%m-%d %H:%M %Z (%:z)").to_string()
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// A page that shows this instant in every reader's own time zone.
fn everywhere_link(t: Timestamp) -> String {
    format!(
        "https://www.timeanddate.com/worldclock/fixedtime.html?iso={}&p1=1440",
        t.strftime("%Y%m%dT%H%M%S")
    )
}

/// "about 71 hours", "about 20 minutes".
fn about(from: Timestamp, to: Timestamp) -> String {
    let secs = (to.as_second() - from.as_second()).max(0);
    if secs < 3600 {
        let m = ((secs + 59) / 60).max(1);
        format!("about {m} minute{}", if m == 1 { "" } else { "s" })
    } else {
        let h = (secs + 1800) / 3600;
        format!("about {h} hour{}", if h == 1 { "" } else { "s" })
    }
}

fn when(intent: &Intent, t: Timestamp, now: Timestamp) -> String {
    let zone_is_utc = intent.policy.timezone.eq_ignore_ascii_case("UTC");
    let mut s = if zone_is_utc {
        format!("**{}**", utc(t))
    } else {
        format!("**{}**, {}", local(intent, t), utc(t))
    };
    let _ = write!(
        s,
        " ([in your time zone]({})), {} from {}",
        everywhere_link(t),
        about(now, t),
        utc(now)
    );
    s
}

fn who_list(names: impl Iterator<Item = String>) -> String {
    names
        .map(|n| format!("@{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn link(label: &str, url: &Option<String>) -> String {
    match url {
        Some(u) if !u.is_empty() => format!(" ([{label}]({u}))"),
        _ => String::new(),
    }
}

/// The status comment: one per intent, edited in place at every change.
pub fn status_comment(intent: &Intent, intent_id: &str, now: Timestamp) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{STATUS_MARKER}");
    let _ = writeln!(s, "{}", status_marker(intent_id));
    let label = &intent.policy.label;
    let headline = match (&intent.phase, &intent.outcome) {
        (Phase::Done, Some(o)) => outcome_headline(intent, o),
        _ if !intent.objections.is_empty() => "⛔ Blocked by objections".to_string(),
        (Phase::Acting, _) => "🔄 Consent reached: merging".to_string(),
        _ if intent.refusal.is_some() => "⏸️ Consent reached: waiting for GitHub".to_string(),
        _ => "⏳ Objection window open".to_string(),
    };
    let _ = writeln!(s, "### `{label}`: {headline}\n");
    let _ = writeln!(
        s,
        "@{} intends to **{}**. This is lazy consensus: if nobody objects, it happens when the window closes.\n",
        intent.author,
        what(intent)
    );

    if intent.phase != Phase::Done {
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
                        intent.policy.timezone,
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
                "**GitHub refused the merge:** {}. tacit tries again when checks or reviews change, and at least every 15 minutes, until {}.\n",
                r.message.trim_end_matches('.'),
                utc(give_up)
            );
        }
    }

    if !intent.objections.is_empty() {
        let _ = writeln!(s, "**Objections ({})**", intent.objections.len());
        for o in &intent.objections {
            let reason = if o.reason.is_empty() {
                "no reason given".to_string()
            } else {
                one_line(&o.reason)
            };
            let carried = if o.source == super::intent::Source::CarriedOver {
                " (carried over from the last intent)"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "- @{}: {reason}{carried}{}",
                o.who,
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
                "- @{} `{}`: {}{}",
                c.who,
                one_line(&c.what),
                c.why,
                link("comment", &c.url)
            );
        }
        s.push('\n');
    }
    for n in &intent.notices {
        let _ = writeln!(s, "> {n}\n");
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
            "- `/extend <duration>`: ask for more time, like `/extend 2d` (at most 14 days in all)."
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
pub fn configuration_line(policy: &super::config::Policy) -> Option<String> {
    let p = &policy.provenance;
    let files: Vec<String> = p.files.iter().map(|f| format!("`{f}`")).collect();
    match (files.as_slice(), &p.owner_unreadable) {
        ([], None) => None,
        ([], Some(shared)) => Some(format!(
            "Configuration: the defaults. There is no `.github/tacit.yml` in this repository, and tacit could not read one in `{shared}`: a shared file there counts only if tacit is installed on `{shared}`."
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

/// The description of an intent label tacit creates (GitHub allows 100 characters).
pub fn label_description(policy: &super::config::Policy) -> String {
    let does = match policy.action {
        Action::Merge => "merges this pull request",
        Action::Close => "closes this",
        Action::Accept => "records consent",
    };
    let text = format!(
        "tacit {does} after a {} window in which anyone may /object",
        format_duration(policy.window)
    );
    text.chars().take(100).collect()
}

/// Why an approval does not count when `approvers` is set (a non-blocking concern).
/// The names are in code spans, so that an edit of the status comment mentions nobody.
pub fn not_an_approver(approvers: &[String]) -> String {
    let names: Vec<String> = approvers.iter().map(|a| format!("`{a}`")).collect();
    format!(
        "only approvals by {} count toward proceeding early here (`approvers` in .github/tacit.yml)",
        names.join(", ")
    )
}

fn role_phrase(r: Role) -> String {
    match r {
        Role::Admin => "admin".into(),
        other => format!("{} (or higher)", role_str(other)),
    }
}

fn one_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    }
}

fn outcome_headline(intent: &Intent, o: &Outcome) -> String {
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
        Outcome::NotOpened { .. } => "ℹ️ Not opened".into(),
    }
}

fn carry_note(intent: &Intent) -> String {
    if intent.objections.is_empty() || intent.outcome.as_ref().is_some_and(Outcome::succeeded) {
        String::new()
    } else {
        format!(
            " The open objection{} carr{} over if a new intent starts here within 30 days.",
            if intent.objections.len() == 1 {
                ""
            } else {
                "s"
            },
            if intent.objections.len() == 1 {
                "ies"
            } else {
                "y"
            }
        )
    }
}

fn outcome_sentence(intent: &Intent, o: &Outcome) -> String {
    let label = &intent.policy.label;
    let consent = if intent.early_proceed() && !intent.approvals.is_empty() {
        format!(
            "approved by {} with no objections",
            who_list(intent.approvals.iter().map(|a| a.who.clone()))
        )
    } else {
        "nobody objected before the window closed".to_string()
    };
    let again = format!("Add `{label}` again to start a new window.");
    match o {
        Outcome::Merged { sha } => format!(
            "Consent reached ({consent}), so tacit merged this pull request (`{}`).",
            &sha[..sha.len().min(7)]
        ),
        Outcome::Closed => format!(
            "Consent reached ({consent}), so tacit closed this {}.",
            item(intent)
        ),
        Outcome::Accepted => match &intent.policy.add_label {
            Some(l) => format!("Consent reached ({consent}). tacit labelled this `{l}`; go ahead."),
            None => format!("Consent reached ({consent}); go ahead."),
        },
        Outcome::Cancelled { by } => format!(
            "@{by} cancelled this intent, so nothing was done.{} {again}",
            carry_note(intent)
        ),
        Outcome::LabelRemoved { by } => format!(
            "`{label}` was removed{}, so the intent ended and nothing was done.{} {again}",
            by.as_ref().map(|b| format!(" by @{b}")).unwrap_or_default(),
            carry_note(intent)
        ),
        Outcome::ItemClosed { merged: true, by } => format!(
            "This pull request was merged{} before the window closed, so tacit did nothing.",
            by.as_ref().map(|b| format!(" by @{b}")).unwrap_or_default()
        ),
        Outcome::ItemClosed { by, .. } => format!(
            "This {} was closed{}, so the intent ended and nothing was done. Reopening it does not revive the intent: {}",
            item(intent),
            by.as_ref().map(|b| format!(" by @{b}")).unwrap_or_default(),
            again.to_lowercase()
        ),
        Outcome::LabelDeleted => format!(
            "The `{label}` label was deleted or renamed in this repository, so the intent ended and nothing was done."
        ),
        Outcome::AuthorLostPermission { author } => format!(
            "@{author} no longer has {} permission here, so tacit did not act. Someone with that permission can add `{label}` again.",
            role_phrase(intent.policy.authors)
        ),
        Outcome::Refused { reason } => format!(
            "GitHub refused the merge and waiting will not fix it: {}. tacit removed `{label}`; fix the cause, then add it again.",
            reason.trim_end_matches('.')
        ),
        Outcome::GaveUp { reason } => format!(
            "tacit gave up: {}. It removed `{label}`; once the pull request can be merged, add it again.",
            reason.trim_end_matches('.')
        ),
        Outcome::InstallationRemoved => {
            "tacit was removed from this repository, so this intent stopped.".into()
        }
        Outcome::NotOpened { message } => message.clone(),
    }
}

/// The one short comment posted when an intent ends (edits notify nobody; this does).
pub fn outcome_comment(intent: &Intent, intent_id: &str) -> String {
    let body = match &intent.outcome {
        Some(o) => outcome_sentence(intent, o),
        None => "This intent ended.".to_string(),
    };
    format!("{}\n{body}\n", outcome_marker(intent_id))
}

/// Title and summary of the `tacit` check run.
pub struct CheckView {
    pub title: String,
    pub summary: String,
}

pub fn check_run(intent: &Intent, now: Timestamp) -> CheckView {
    let n = intent.objections.len();
    let title = match intent.check() {
        CheckState::Open => match intent.ready_at() {
            Some(t) => format!("Objection window open until {}", utc(t)),
            None => "Objection window open".into(),
        },
        CheckState::Blocked => format!("Blocked by {n} objection{}", if n == 1 { "" } else { "s" }),
        CheckState::Waiting => "Consent reached; waiting until GitHub allows the merge".into(),
        CheckState::Success => "Consent reached".into(),
        CheckState::Cancelled => "Intent cancelled".into(),
        CheckState::Failure => match &intent.outcome {
            Some(Outcome::GaveUp { .. } | Outcome::Refused { .. }) => {
                "tacit could not merge".into()
            }
            _ => "Ended with objections open".into(),
        },
    };
    let summary = match &intent.outcome {
        Some(o) => outcome_sentence(intent, o),
        None => match intent.ready_at() {
            Some(t) => format!(
                "@{} intends to merge this pull request. The window closes at {} ({} from {}). Comment `/object <reason>` to object.",
                intent.author,
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

/// The short comment when a label opens nothing.
pub fn not_opened(reason: &NotOpened) -> String {
    match reason {
        NotOpened::Bot => String::new(),
        NotOpened::NotAPullRequest { label } => format!(
            "`{label}` only works on pull requests, so nothing was started here. For an issue, try `intent-to-close` or `intent-to-proceed`."
        ),
        NotOpened::ItemClosed { label } => format!(
            "This is closed, so `{label}` starts nothing. Reopen it first, then add the label again."
        ),
        NotOpened::NoPermission {
            label,
            who,
            needs,
            has,
        } => format!(
            "@{who}, opening an intent with `{label}` needs {} permission on this repository (you have {}), so nothing was started. A maintainer can add the label instead.",
            role_phrase(*needs),
            has.map_or("none", |r| role_str(r))
        ),
    }
}

/// The short comment when the configuration file is broken.
pub fn config_problem(label: &str, problem: &str) -> String {
    format!(
        "`{label}` was not started: {problem}\n\ntacit acts on nothing in this repository until the file is fixed (check it with `tacit check-config`). Then add the label again."
    )
}
