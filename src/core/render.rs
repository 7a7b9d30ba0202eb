//! What people read: the status comment, the outcome comment, the check run, and the
//! short notes when a label opens nothing. Pure functions of the intent and `now`.
//!
//! All of tacit's English lives under this module, split by what it renders:
//!
//! - `status.rs`: the status comment (its headline from [`Intent::status`], the
//!   window, the configuration line, `act_within`, `notify`).
//! - `notes.rs`: the typed notices ([`Note`]), the concerns that did not count
//!   ([`Asked`], [`NotCounted`]), the "not opened" notes ([`NotOpened`]) and the
//!   labels' descriptions.
//! - `outcome.rs`: the outcome comment's sentence, the headlines of ended intents, why a
//!   merge was refused ([`MergeRefusal`]), and the comment when a refused merge waits.
//! - `record.rs`: the decision record, in words and as one hidden line of JSON.
//! - `check_run.rs`: the `tacit` check run. `config_check.rs`: the `tacit/config` one.
//!
//! The core stores facts, never sentences: a wording change here reaches intents that
//! are already open. Rows stored by earlier releases may still hold sentences; those
//! are shown as they are.
//!
//! Durations the rules fix are written from the same constants the core decides with
//! ([`words`]), never restated.
//!
//! The voice: short, kind, and always teaching the next step.
//!
//! [`Intent::status`]: super::intent::Intent::status
//! [`Note`]: super::intent::Note
//! [`Asked`]: super::intent::Asked
//! [`NotCounted`]: super::intent::NotCounted
//! [`NotOpened`]: super::intent::NotOpened
//! [`MergeRefusal`]: super::intent::MergeRefusal

use std::fmt::Write;
use std::time::Duration;

use jiff::Timestamp;

use super::config::{Action, ActionKind, Role};
use super::intent::{Intent, role_str};

mod check_run;
mod config_check;
mod digest;
mod notes;
mod outcome;
mod record;
mod status;

pub use check_run::{CheckView, check_run};
pub use config_check::config_check;
pub use digest::{DIGEST_MARKER, DIGEST_TITLE, DigestEntry, digest_body};
pub use notes::{config_problem, label_description, not_opened};
pub use outcome::{
    Place, outcome_comment, outcome_comment_at, outcome_marker, refusal_words, waiting_comment,
    waiting_marker,
};
pub use record::{
    MAX_RECORD_ITEMS, MAX_RECORD_LINES, RECORD_OPEN, RECORD_VERSION, comment_safe_json, record_json,
};
pub use status::{STATUS_MARKER, configuration_line, status_comment, status_marker};

/// A duration the rules fix, in words: "15 minutes", "14 days", "1 hour" (the largest
/// unit that divides it).
pub fn words(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(len, _)| secs > 0 && secs.is_multiple_of(*len))
        .map_or((secs, "second"), |(len, unit)| (secs / len, unit));
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
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
    match (intent.policy.action.kind(), intent.is_pull) {
        (ActionKind::Merge, _) => "merge this pull request",
        (ActionKind::Close, true) => "close this pull request",
        (ActionKind::Close, false) => "close this issue",
        (ActionKind::Accept, _) => "proceed",
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

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
