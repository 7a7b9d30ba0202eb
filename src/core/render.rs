//! What people read: the status comment, the outcome comment, the check run, and the
//! short notes when a label opens nothing. Pure functions of the intent and `now`.
//!
//! The voice: short, kind, and always teaching the next step.

use std::fmt::Write;

use jiff::Timestamp;

use super::config::{Action, Role};
use super::duration::format_duration;
use super::intent::{
    ApprovalEnd, CheckState, Intent, MERGE_GIVE_UP_AFTER, MERGE_RETRY_INTERVAL, NotOpened,
    ObjectionEnd, Outcome, Phase, Record, Source, Step, role_str,
};

mod digest;
pub use digest::{DIGEST_MARKER, DIGEST_TITLE, DigestEntry, digest_body};

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
        .map(|r| inert(r.message.trim_end_matches('.')))
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

/// At most this many characters of one piece of user text are shown (an ellipsis marks
/// the cut).
pub const MAX_USER_TEXT: usize = 300;

/// Every piece of text that tacit did not write itself (a reason, a quoted command, a
/// login that is not a valid GitHub login, a label or time zone name from a
/// configuration file, a message GitHub passed on) goes into Markdown through here.
///
/// It becomes a code span. Escaping the text instead would have to defeat every
/// construct GitHub adds on top of CommonMark (bare-URL autolinks, `@mentions`, `#123`
/// references, emoji shortcodes), some of which ignore backslash escapes; inside a code
/// span GitHub interprets nothing: no link, image, HTML, emphasis or mention. What can
/// still go wrong in a code span is closed off here:
///
/// - the backtick fence is one longer than the longest run of backticks in the text, so
///   the text cannot close the span early, and the text is padded with a space on each
///   side when it starts or ends with a backtick or a space (CommonMark strips exactly
///   one such space from each side);
/// - bidirectional controls and other invisible format characters (zero-width spaces,
///   joiners, word joiners, soft hyphens, tag characters...) are removed, so the text
///   cannot reorder what follows it or disguise itself; other control characters too;
/// - line breaks and other whitespace become one space, so the text stays on its line
///   (a list item or a quoted notice cannot be left);
/// - at most [`MAX_USER_TEXT`] characters are kept.
///
/// A code span that starts a line cannot open a fenced code block: the fence that closes
/// it is on the same line, and a backtick fence's info string may not hold a backtick.
/// Empty text (after cleaning) becomes a span of one space.
pub fn inert(text: &str) -> String {
    let mut clean = String::with_capacity(text.len().min(4 * MAX_USER_TEXT));
    let mut count = 0;
    let mut truncated = false;
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !clean.is_empty();
            continue;
        }
        if c.is_control() || is_invisible(c) {
            continue;
        }
        let need = 1 + usize::from(pending_space);
        if count + need > MAX_USER_TEXT {
            truncated = true;
            break;
        }
        if pending_space {
            clean.push(' ');
            pending_space = false;
        }
        clean.push(c);
        count += need;
    }
    if truncated {
        clean.push('…');
    }
    if clean.is_empty() {
        return "` `".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with(['`', ' ']) || clean.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// Characters that show nothing (or only change the direction of what follows) yet
/// change what a reader sees or what a comparison finds: Unicode's format characters
/// (category Cf: bidirectional controls U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
/// U+061C; zero-width space, joiners and word joiners; soft hyphen; the byte order mark;
/// tag characters...) and the fillers that render as blank without being whitespace.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Whether `login` is a GitHub login: letters, digits and hyphens, not starting with a
/// hyphen, at most 39 characters. Only such a login is ever written as `@login`; bot
/// accounts (`name[bot]`), teams (`org/team`) and anything else are not.
pub fn is_valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 39
        && !login.starts_with('-')
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `@login` for a valid GitHub login (GitHub links it and notifies the user when the
/// comment is created); anything else as inert text, so that no team or other account
/// is mentioned.
pub fn mention(login: &str) -> String {
    if is_valid_login(login) {
        format!("@{login}")
    } else {
        inert(login)
    }
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
    names.map(|n| mention(&n)).collect::<Vec<_>>().join(", ")
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
        _ if intent.draft_wait => "⏸️ Consent reached: waiting for the draft".to_string(),
        _ if intent.refusal.is_some() => "⏸️ Consent reached: waiting for GitHub".to_string(),
        _ => "⏳ Objection window open".to_string(),
    };
    let _ = writeln!(s, "### {}: {headline}\n", inert(label));
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
                "**GitHub refused the merge:** {}. tacit tries again when checks or reviews change, and at least every 15 minutes, until {}.\n",
                inert(r.message.trim_end_matches('.')),
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
            let carried = if o.source == super::intent::Source::CarriedOver {
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
                inert(&c.what),
                c.why,
                link("comment", &c.url)
            );
        }
        s.push('\n');
    }
    for n in &intent.notices {
        // Written by tacit, with user text already made inert; a line break would
        // still leave the quote, so none is kept.
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

/// A time zone from the configuration, which accepts only names it finds in the time
/// zone database: shown as it is when it has the characters of such names, else inert.
fn zone(name: &str) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
    {
        name.to_string()
    } else {
        inert(name)
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
        Outcome::Failed { step, .. } => format!("❌ Ended: tacit could not {}", step_verb(*step)),
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
        Outcome::Accepted => match &intent.policy.add_label {
            Some(l) => format!(
                "Consent reached ({consent}). tacit labelled this {}; go ahead.",
                inert(l)
            ),
            None => format!("Consent reached ({consent}); go ahead."),
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
        Outcome::Refused { reason } => format!(
            "GitHub refused the merge and waiting will not fix it: {}. tacit removed {label}; fix the cause, then add it again.",
            inert(reason.trim_end_matches('.'))
        ),
        Outcome::GaveUp { reason } => format!(
            "{}, tacit gave up: {}. It removed {label}; once the pull request can be merged, add it again.",
            mention(&intent.author),
            inert(reason.trim_end_matches('.'))
        ),
        Outcome::InstallationRemoved => {
            "tacit was removed from this repository, so this intent stopped.".into()
        }
        Outcome::Failed { step, error } => format!(
            "tacit could not {} ({}), and trying again would not help, so the intent ended and nothing was done. tacit removed `{label}`; add it again to start over.",
            step_verb(*step),
            inert(error.trim_end_matches('.'))
        ),
        Outcome::NotOpened { message } => message.clone(),
    }
}

fn step_verb(step: Step) -> &'static str {
    match step {
        Step::Notice => "post its status comment",
        Step::Verify => "re-read GitHub before acting",
        Step::Merge => "merge",
    }
}

/// The window closed on a draft pull request (SPEC 4).
fn draft_wait_sentence() -> &'static str {
    "The window has closed, but this pull request is a draft, and tacit never merges a draft. Mark it ready for review when it is: that starts the window again."
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

/// At most this many entries of the record are listed in words (the first ones and the
/// last), and at most [`MAX_RECORD_ITEMS`] of each list in the JSON, each reason cut to
/// [`MAX_USER_TEXT`] characters: the outcome comment stays well under GitHub's 65,536.
pub const MAX_RECORD_LINES: usize = 40;
pub const MAX_RECORD_ITEMS: usize = 20;

/// How the hidden record line starts.
pub const RECORD_OPEN: &str = "<!-- tacit:record ";

/// `2026-03-02 09:00 UTC`, then the text.
fn at_line(t: Timestamp, text: String) -> String {
    format!("{}: {text}", utc(t))
}

/// One line of the record in words.
fn record_line(intent: &Intent, r: &Record) -> String {
    match r {
        Record::Opened { by, at, .. } => at_line(
            *at,
            format!("{} added {}", mention(by), inert(&intent.policy.label)),
        ),
        Record::Noticed { at } => at_line(
            *at,
            format!(
                "the {} objection window opened",
                format_duration(intent.policy.window)
            ),
        ),
        Record::Objected {
            who,
            reason,
            url,
            at,
            source,
        } => {
            let reason = if reason.trim().is_empty() {
                "no reason given".to_string()
            } else {
                inert(reason)
            };
            let (verb, note) = match source {
                Source::Review(_) => ("requested changes", ""),
                Source::CarriedOver => ("objected", " (carried over from the last intent)"),
                Source::Comment(_) => ("objected", ""),
            };
            at_line(
                *at,
                format!(
                    "{} {verb}: {reason}{note}{}",
                    mention(who),
                    link("comment", url)
                ),
            )
        }
        Record::ObjectionEnded { who, how, url, at } => {
            let what = match how {
                ObjectionEnd::Withdrawn => "withdrew their objection",
                ObjectionEnd::ReviewApproved => "approved, which ended their objection",
                ObjectionEnd::ReviewDismissed => {
                    "had their review dismissed, which ended their objection"
                }
            };
            at_line(
                *at,
                format!("{} {what}{}", mention(who), link("comment", url)),
            )
        }
        Record::Approved { who, url, at, .. } => at_line(
            *at,
            format!("{} approved{}", mention(who), link("comment", url)),
        ),
        Record::ApprovalCleared { who, why, at } => {
            let why = match why {
                ApprovalEnd::Push => "new commits were pushed",
                ApprovalEnd::Dismissed => "the review was dismissed",
                ApprovalEnd::Gone => "its comment was gone or the permission lost",
            };
            at_line(
                *at,
                format!("{}'s approval stopped counting: {why}", mention(who)),
            )
        }
        Record::Extended {
            who,
            added,
            url,
            at,
            ..
        } => at_line(
            *at,
            format!(
                "{} extended the window by {}{}",
                mention(who),
                format_duration(*added),
                link("comment", url)
            ),
        ),
        Record::Restarted { sha, at } => at_line(
            *at,
            match sha {
                Some(sha) => format!(
                    "new commits ({}) started the window again",
                    inert(&sha[..sha.len().min(7)])
                ),
                None => "new commits started the window again".to_string(),
            },
        ),
        Record::Ended { outcome, at } => at_line(*at, ended_phrase(intent, outcome)),
    }
}

/// The end, in a few words, for the record.
fn ended_phrase(intent: &Intent, o: &Outcome) -> String {
    match o {
        Outcome::Merged { sha } => format!("tacit merged it, as commit {}", inert(sha)),
        Outcome::Closed => format!("tacit closed this {}", item(intent)),
        Outcome::Accepted => "tacit recorded consent".into(),
        Outcome::Cancelled { by } => format!("{} cancelled the intent", mention(by)),
        _ => outcome_headline(intent, o)
            .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
            .trim_start_matches("Ended: ")
            .to_string(),
    }
}

/// Version of the record's JSON ([`record_json`]); raised only when a field changes
/// meaning or goes away (new fields may appear without it).
pub const RECORD_VERSION: u32 = 1;

/// The decision record for tools: one line of JSON (fields in docs/user-guide.md,
/// "The decision record"). It goes inside an HTML comment, which user text must not
/// be able to end: `<` and `>` are written `\u003c` and `\u003e`, and `--` as
/// `-\u002d`, which JSON readers turn back into the same text.
pub fn record_json(intent: &Intent, place: Option<Place<'_>>) -> String {
    let mut objections: Vec<RecordObjection> = Vec::new();
    let mut approvals: Vec<RecordApproval> = Vec::new();
    let mut extensions = Vec::new();
    let mut restarts = Vec::new();
    for r in intent.records() {
        match r {
            Record::Objected {
                who,
                reason,
                url,
                at,
                source,
            } => objections.push(RecordObjection {
                who,
                reason,
                url,
                at,
                source: source_name(&source),
                ended_at: None,
                ended: None,
            }),
            Record::ObjectionEnded { who, how, at, .. } => {
                for o in objections.iter_mut() {
                    if o.who.eq_ignore_ascii_case(&who) && o.ended_at.is_none() {
                        o.ended_at = Some(at);
                        o.ended = Some(how);
                    }
                }
            }
            Record::Approved {
                who,
                url,
                at,
                source,
            } => approvals.push(RecordApproval {
                who,
                url,
                at,
                source: source_name(&source),
                cleared_at: None,
                cleared: None,
            }),
            Record::ApprovalCleared { who, why, at } => {
                for a in approvals.iter_mut() {
                    if a.who.eq_ignore_ascii_case(&who) && a.cleared_at.is_none() {
                        a.cleared_at = Some(at);
                        a.cleared = Some(why);
                    }
                }
            }
            Record::Extended {
                who,
                added,
                url,
                at,
            } => extensions.push(RecordExtension {
                who,
                seconds: added.as_secs(),
                url,
                at,
            }),
            Record::Restarted { sha, at } => restarts.push(RecordRestart { sha, at }),
            Record::Opened { .. } | Record::Noticed { .. } | Record::Ended { .. } => {}
        }
    }
    let mut truncated = false;
    let mut cap = |len: usize| {
        truncated |= len > MAX_RECORD_ITEMS;
        len.min(MAX_RECORD_ITEMS)
    };
    objections.truncate(cap(objections.len()));
    approvals.truncate(cap(approvals.len()));
    extensions.truncate(cap(extensions.len()));
    restarts.truncate(cap(restarts.len()));
    for o in &mut objections {
        if o.reason.chars().count() > MAX_USER_TEXT {
            o.reason = o.reason.chars().take(MAX_USER_TEXT).collect::<String>() + "…";
            truncated = true;
        }
    }
    let title: String = intent.title.chars().take(MAX_USER_TEXT).collect();
    let outcome = intent.outcome.as_ref();
    let record = DecisionRecord {
        v: RECORD_VERSION,
        repo: place.map(|p| p.repo),
        number: place.map(|p| p.number),
        title: &title,
        intent: &intent.policy.label,
        action: intent.policy.action,
        outcome: outcome.map(Outcome::kind),
        commit: outcome.and_then(Outcome::commit),
        author: &intent.author,
        opened_at: intent.opened_at,
        notice_at: intent.noticed_at(),
        closed_at: intent.ended_at,
        window_seconds: intent.policy.window.as_secs(),
        approvals_needed: intent.policy.approvals,
        objections,
        approvals,
        extensions,
        restarts,
        truncated,
    };
    let json = serde_json::to_string(&record).expect("the record always serializes");
    comment_safe_json(&json)
}

/// The record's JSON, field by field, in this order (docs/user-guide.md, "The decision
/// record"). Times are RFC 3339 in UTC.
#[derive(serde::Serialize)]
struct DecisionRecord<'a> {
    v: u32,
    repo: Option<&'a str>,
    number: Option<u64>,
    title: &'a str,
    intent: &'a str,
    action: Action,
    outcome: Option<&'static str>,
    commit: Option<&'a str>,
    author: &'a str,
    opened_at: Timestamp,
    notice_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    window_seconds: u64,
    approvals_needed: u32,
    objections: Vec<RecordObjection>,
    approvals: Vec<RecordApproval>,
    extensions: Vec<RecordExtension>,
    restarts: Vec<RecordRestart>,
    /// Lists were cut to their first [`MAX_RECORD_ITEMS`], or reasons shortened.
    truncated: bool,
}

#[derive(serde::Serialize)]
struct RecordObjection {
    who: String,
    reason: String,
    url: Option<String>,
    at: Timestamp,
    source: &'static str,
    ended_at: Option<Timestamp>,
    ended: Option<ObjectionEnd>,
}

#[derive(serde::Serialize)]
struct RecordApproval {
    who: String,
    url: Option<String>,
    at: Timestamp,
    source: &'static str,
    cleared_at: Option<Timestamp>,
    cleared: Option<ApprovalEnd>,
}

#[derive(serde::Serialize)]
struct RecordExtension {
    who: String,
    seconds: u64,
    url: Option<String>,
    at: Timestamp,
}

#[derive(serde::Serialize)]
struct RecordRestart {
    sha: Option<String>,
    at: Timestamp,
}

/// JSON text that cannot end or open an HTML comment, for a reader that decodes it:
/// `<`, `>` and the second `-` of `--` are written as `\uXXXX` escapes (they occur in
/// JSON text only inside strings), and so are invisible characters ([`is_invisible`]),
/// which would otherwise hide in the comment's source.
pub fn comment_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut last = '\0';
    for c in json.chars() {
        let escape = c == '<' || c == '>' || (c == '-' && last == '-') || is_invisible(c);
        if escape {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
            // An escaped `-` does not pair with the next one.
            last = '\0';
        } else {
            out.push(c);
            last = c;
        }
    }
    out
}

fn source_name(source: &Source) -> &'static str {
    match source {
        Source::Comment(_) => "comment",
        Source::Review(_) => "review",
        Source::CarriedOver => "carried_over",
    }
}

/// Title and summary of the `tacit` check run.
pub struct CheckView {
    pub title: String,
    pub summary: String,
}

/// The `tacit/config` check run for `file` (`owner/repo/.github/tacit.yml`) at a
/// pushed commit: `Ok` when it is valid or absent, the parser's error (with line and
/// column) otherwise (SPEC 5).
pub fn config_check(
    file: &str,
    present: bool,
    result: Result<(), &super::config::ConfigError>,
) -> (bool, CheckView) {
    match (present, result) {
        (false, _) => (
            true,
            CheckView {
                title: "No .github/tacit.yml at this commit".into(),
                summary: format!(
                    "`{file}` is not in this commit, so the owner's shared file or the defaults apply."
                ),
            },
        ),
        (true, Ok(())) => (
            true,
            CheckView {
                title: ".github/tacit.yml is valid".into(),
                summary: format!(
                    "`{file}` is valid. It counts for intents opened after it reaches the default branch."
                ),
            },
        ),
        (true, Err(e)) => (
            false,
            CheckView {
                title: ".github/tacit.yml has an error".into(),
                summary: format!(
                    "`{file}`: {}\n\nFix it before merging: while the file is invalid, tacit acts on nothing in this repository. `tacit check-config` checks a file locally, and the user guide lists every key.",
                    inert(&e.to_string())
                ),
            },
        ),
    }
}

pub fn check_run(intent: &Intent, now: Timestamp) -> CheckView {
    let n = intent.objections.len();
    let title = match intent.check() {
        CheckState::Open => match intent.ready_at() {
            Some(t) => format!("Objection window open until {}", utc(t)),
            None => "Objection window open".into(),
        },
        CheckState::Blocked => format!("Blocked by {n} objection{}", if n == 1 { "" } else { "s" }),
        CheckState::Waiting if intent.draft_wait => {
            "Consent reached; waiting for the draft to be marked ready for review".into()
        }
        CheckState::Waiting => "Consent reached; waiting until GitHub allows the merge".into(),
        CheckState::Success => "Consent reached".into(),
        CheckState::Cancelled => "Intent cancelled".into(),
        CheckState::Failure => match &intent.outcome {
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

/// The short comment when a label opens nothing.
pub fn not_opened(reason: &NotOpened) -> String {
    match reason {
        NotOpened::Bot => String::new(),
        NotOpened::NotAPullRequest { label } => format!(
            "{} only works on pull requests, so nothing was started here. For an issue, try `intent-to-close` or `intent-to-proceed`.",
            inert(label)
        ),
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
    }
}

/// The short comment when the configuration file is broken.
///
/// `problem` (which may quote the file) is shown inert.
pub fn config_problem(label: &str, problem: &str) -> String {
    format!(
        "{} was not started: {}\n\ntacit acts on nothing in this repository until the file is fixed (check it with `tacit check-config`). Then add the label again.",
        inert(label),
        inert(problem)
    )
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
