//! The decision record: in words in the outcome comment, and for tools as one hidden
//! line of JSON (docs/user-guide.md, "The decision record").

use std::fmt::Write;

use jiff::Timestamp;

use super::super::duration::format_duration;
use super::super::intent::{ApprovalEnd, Intent, ObjectionEnd, Outcome, Record, Source};
use super::super::names::Login;
use super::outcome::{Place, outcome_headline};
use super::*;

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
pub(super) fn record_line(intent: &Intent, r: &Record) -> String {
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
                    if Login::same(&o.who, &who) && o.ended_at.is_none() {
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
                    if Login::same(&a.who, &who) && a.cleared_at.is_none() {
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
        action: intent.policy.action.kind(),
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
    action: ActionKind,
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
