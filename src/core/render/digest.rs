//! The digest issue (SPEC 5, `digest: true`): one issue per repository, "tacit: open
//! intents", listing every open intent opened with `digest: true`. A pure function of
//! the listed intents: no time of rendering in it, so a refresh that changes nothing
//! renders the same text and costs no edit.
//!
//! It mentions nobody (logins without `@`, so that no edit notifies anyone) and links
//! items relatively (`../pull/12`, resolved from the issue's own page), so that a listed
//! item gets no "mentioned this" note at every edit and the links work on any GitHub
//! host. User text goes through [`inert`] and, in table cells, has its `|` escaped.

use std::fmt::Write;

use jiff::Timestamp;

use super::inert;
use crate::core::duration::format_duration;
use crate::core::intent::{Intent, Notice, Status};

/// The digest issue's title. tacit never looks for an issue by it: it keeps the
/// issue's number.
pub const DIGEST_TITLE: &str = "tacit: open intents";

/// The first line of the digest issue's body. Never used to find the issue.
pub const DIGEST_MARKER: &str = "<!-- tacit:digest -->";

/// At most this many objectors are named in one row.
const MAX_OBJECTORS: usize = 10;

/// The body stays well under GitHub's 65,536 characters: rows that would pass this are
/// left out, and a line says how many.
pub const MAX_DIGEST_CHARS: usize = 60_000;

/// One listed intent: the item's number and the intent.
#[derive(Debug, Clone, Copy)]
pub struct DigestEntry<'a> {
    pub number: u64,
    pub intent: &'a Intent,
}

/// The digest issue's body: the open intents in the order given (by number), or, when
/// there are none, a short note that nothing is open (the issue is then closed).
pub fn digest_body(entries: &[DigestEntry<'_>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{DIGEST_MARKER}");
    if entries.is_empty() {
        let _ = writeln!(
            s,
            "Nothing is open right now. When someone adds an intent label to an issue or pull request here, tacit lists the intent in this issue and reopens it.\n"
        );
        s.push_str(FOOTER);
        return s;
    }
    let n = entries.len();
    let _ = writeln!(
        s,
        "{} intent{} open in this repository. Each happens when its window closes, unless someone objects. To object, approve or ask for more time, comment on the item itself.\n",
        n,
        if n == 1 { " is" } else { "s are" }
    );
    s.push_str("| Item | Intent | Author | State | Closes | Objections |\n");
    s.push_str("|---|---|---|---|---|---|\n");
    let mut left_out = 0;
    for entry in entries {
        let row = row(entry);
        if left_out > 0 || s.len() + row.len() + FOOTER.len() + 200 > MAX_DIGEST_CHARS {
            left_out += 1;
            continue;
        }
        s.push_str(&row);
    }
    s.push('\n');
    if left_out > 0 {
        let _ = writeln!(
            s,
            "… and {left_out} more, not listed here: an issue can only hold so much text.\n"
        );
    }
    s.push_str(FOOTER);
    s
}

const FOOTER: &str = "<sub>tacit keeps this issue up to date: it edits it as intents change, closes it when none is open and reopens it when one opens. Edits made here by hand are overwritten; `digest: false` in `.github/tacit.yml` turns it off.</sub>\n";

fn row(entry: &DigestEntry<'_>) -> String {
    let intent = entry.intent;
    let path = if intent.is_pull { "pull" } else { "issues" };
    let mut item = format!("[#{n}](../{path}/{n})", n = entry.number);
    if !intent.title.trim().is_empty() {
        let _ = write!(item, " {}", cell(&intent.title));
    }
    format!(
        "| {item} | {} | {} | {} | {} | {} |\n",
        cell(&intent.policy.label),
        login(&intent.author),
        state(intent),
        closes(intent),
        objections(intent)
    )
}

/// User text in a table cell: inert, and its `|` escaped (GitHub splits cells at
/// every unescaped `|`, even inside a code span, and drops the `\` before showing it).
fn cell(text: &str) -> String {
    inert(text).replace('|', "\\|")
}

/// A login as text, without `@` (nobody is notified by a digest edit).
fn login(who: &str) -> String {
    if super::is_valid_login(who) {
        who.to_string()
    } else {
        cell(who)
    }
}

/// Where the intent stands: [`Intent::status`], the one derivation the status comment's
/// headline, the check run and the dashboard share, in words that fit a table cell.
fn state(intent: &Intent) -> String {
    let n = intent.objections.len();
    match intent.status() {
        Status::Blocked => format!(
            "⛔ blocked by {n} objection{}",
            if n == 1 { "" } else { "s" }
        ),
        Status::Merging => "🔄 consent reached: merging".to_string(),
        Status::Verifying => "🔄 window closed: checking before acting".to_string(),
        Status::WaitingForDraft => "⏸️ consent reached: waiting for the draft".to_string(),
        Status::WaitingForGitHub => "⏸️ consent reached: waiting to merge".to_string(),
        Status::Open if intent.notice == Notice::Awaiting => "⏳ starting".to_string(),
        Status::Open => "⏳ open for objections".to_string(),
        // Not listed; shown truthfully if it ever is.
        Status::Ended => "ended".to_string(),
    }
}

/// When the window closes, in the intent's time zone with its offset and in UTC.
fn closes(intent: &Intent) -> String {
    match intent.status() {
        Status::Blocked => return "not while objections are open".to_string(),
        Status::Merging | Status::Verifying | Status::WaitingForGitHub | Status::Ended => {
            return "closed".to_string();
        }
        Status::WaitingForDraft => return "when marked ready for review".to_string(),
        Status::Open => {}
    }
    if intent.notice == Notice::Awaiting {
        return format!(
            "{} after its status comment appears",
            format_duration(intent.policy.window + intent.extended)
        );
    }
    match intent.ready_at() {
        Some(t) => time(intent, t),
        None => "not while objections are open".to_string(),
    }
}

fn time(intent: &Intent, t: Timestamp) -> String {
    let utc = t.strftime("%Y-%m-%d %H:%M UTC").to_string();
    if intent.policy.timezone.eq_ignore_ascii_case("UTC") {
        return utc;
    }
    let local = t
        .to_zoned_datetime(intent.calendar().timezone().clone())
        .strftime("%Y-%m-%d %H:%M %Z (%:z)")
        .to_string();
    format!("{local}, {utc}")
}

/// Who objects, each linked to their objection.
fn objections(intent: &Intent) -> String {
    if intent.objections.is_empty() {
        return "none".to_string();
    }
    let mut names: Vec<String> = intent
        .objections
        .iter()
        .take(MAX_OBJECTORS)
        .map(|o| match o.url.as_deref().filter(|u| is_plain_url(u)) {
            Some(url) if super::is_valid_login(&o.who) => format!("[{}]({url})", o.who),
            _ => login(&o.who),
        })
        .collect();
    let more = intent.objections.len().saturating_sub(MAX_OBJECTORS);
    if more > 0 {
        names.push(format!("{more} more"));
    }
    names.join(", ")
}

/// A URL GitHub gave (a comment's or review's `html_url`) that can stand in a Markdown
/// link inside a table cell as it is.
fn is_plain_url(u: &str) -> bool {
    u.starts_with("https://")
        && u.len() < 500
        && !u
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "()<>|[]`\\\"'".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::RepoConfig;
    use crate::core::intent::{Event, Objection, Opening, Phase, Source};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn opened(yaml: &str, label: &str, is_pull: bool, author: &str, title: &str) -> Intent {
        let policy = RepoConfig::parse(yaml).unwrap().policy(label).unwrap();
        let at = ts("2026-03-02T09:00:00Z");
        let (mut intent, _) = Intent::open(Opening {
            policy,
            is_pull,
            item_author: "dave".into(),
            author: author.into(),
            at,
            now: at,
            head_sha: is_pull.then(|| "abc".into()),
            carried: Vec::new(),
        });
        intent.title = title.into();
        intent.handle(
            Event::Noticed {
                at: at + jiff::SignedDuration::from_secs(5),
                comment: Some(1),
            },
            at,
        );
        intent
    }

    fn objection(who: &str, url: &str) -> Objection {
        Objection {
            who: who.into(),
            reason: "not yet".into(),
            url: Some(url.into()),
            at: ts("2026-03-02T10:00:00Z"),
            source: Source::Comment(7),
            edited_from: None,
        }
    }

    const CONFIG: &str = "digest: true\ntimezone: Europe/Berlin\n";

    /// The example of docs/user-guide.md: three intents, one blocked.
    fn example() -> String {
        let merge = opened(
            CONFIG,
            "intent-to-merge",
            true,
            "alice",
            "Add the export button",
        );
        let mut close = opened(
            CONFIG,
            "intent-to-close",
            false,
            "carol",
            "Old | flaky `test` (windows)",
        );
        close.objections.push(objection(
            "bob",
            "https://github.com/acme/widget/issues/15#issuecomment-1001",
        ));
        close.objections.push(objection(
            "erin",
            "https://github.com/acme/widget/issues/15#issuecomment-1002",
        ));
        let proceed = opened(
            CONFIG,
            "intent-to-proceed",
            false,
            "alice",
            "RFC: drop Python 3.9",
        );
        digest_body(&[
            DigestEntry {
                number: 12,
                intent: &merge,
            },
            DigestEntry {
                number: 15,
                intent: &close,
            },
            DigestEntry {
                number: 21,
                intent: &proceed,
            },
        ])
    }

    #[test]
    fn the_digest_lists_item_intent_author_state_times_and_objections() {
        let body = example();
        insta::assert_snapshot!("digest_issue", body);
        assert!(body.starts_with(DIGEST_MARKER));
        assert!(body.contains("| [#12](../pull/12) `Add the export button` | `intent-to-merge` | alice | ⏳ open for objections |"));
        // 72 hours after the notice at 09:00:05 UTC, in Berlin (+01:00) and in UTC.
        assert!(body.contains("2026-03-05 10:00 CET (+01:00), 2026-03-05 09:00 UTC"));
        // A `|` in user text is escaped, also inside its code span.
        assert!(
            body.contains("| [#15](../issues/15) ``Old \\| flaky `test` (windows)`` |"),
            "{body}"
        );
        assert!(body.contains("⛔ blocked by 2 objections | not while objections are open | [bob](https://github.com/acme/widget/issues/15#issuecomment-1001), [erin]("));
        assert!(!body.contains('@'), "nobody is mentioned: {body}");
        assert!(body.contains("3 intents are open"));
    }

    /// The example in docs/user-guide.md is the snapshot's, as rendered.
    #[test]
    fn the_documented_digest_is_the_rendered_one() {
        let guide = include_str!("../../../docs/user-guide.md");
        let snapshot =
            include_str!("snapshots/tacit__core__render__digest__tests__digest_issue.snap");
        let body = snapshot
            .splitn(3, "---\n")
            .nth(2)
            .expect("a snapshot has a header")
            .trim_end();
        assert!(body.starts_with(DIGEST_MARKER), "{body}");
        assert!(
            guide.contains(&format!("```markdown\n{body}\n```\n")),
            "docs/user-guide.md shows an old digest; copy it from the snapshot:\n{body}"
        );
    }

    #[test]
    fn nothing_open_says_so() {
        let body = digest_body(&[]);
        assert!(body.starts_with(DIGEST_MARKER));
        assert!(body.contains("Nothing is open right now."));
        assert!(!body.contains("| Item |"));
    }

    #[test]
    fn states_follow_the_intent() {
        let mut i = opened("digest: true\n", "intent-to-merge", true, "alice", "");
        assert!(
            row(&DigestEntry {
                number: 1,
                intent: &i
            })
            .contains("2026-03-05 09:00 UTC |")
        );
        assert!(i.policy.action.is_merge());
        i.phase = Phase::Acting;
        assert_eq!(state(&i), "🔄 consent reached: merging");
        i.phase = Phase::Verifying;
        assert_eq!(closes(&i), "closed");
        i.phase = Phase::Open;
        i.draft_wait = true;
        assert_eq!(closes(&i), "when marked ready for review");
        let fresh = {
            let policy = RepoConfig::parse("digest: true\n")
                .unwrap()
                .policy("intent-to-close")
                .unwrap();
            let at = ts("2026-03-02T09:00:00Z");
            Intent::open(Opening {
                policy,
                is_pull: false,
                item_author: "dave".into(),
                author: "alice".into(),
                at,
                now: at,
                head_sha: None,
                carried: Vec::new(),
            })
            .0
        };
        assert_eq!(state(&fresh), "⏳ starting");
        assert_eq!(closes(&fresh), "3d after its status comment appears");
        // Without a title, the link alone; a login that is not one is inert.
        let mut odd = fresh.clone();
        odd.author = "@team|x".into();
        let r = row(&DigestEntry {
            number: 3,
            intent: &odd,
        });
        assert!(r.starts_with("| [#3](../issues/3) | "), "{r}");
        assert!(r.contains("`@team\\|x`"), "{r}");
    }

    #[test]
    fn a_long_list_stays_within_githubs_limit() {
        let mut i = opened(
            "digest: true\n",
            "intent-to-close",
            false,
            "alice",
            &"x".repeat(400),
        );
        for k in 0..40 {
            i.objections.push(objection(
                &format!("user{k}"),
                "https://github.com/acme/widget/issues/1#issuecomment-1",
            ));
        }
        let entries: Vec<DigestEntry<'_>> = (1..=500)
            .map(|number| DigestEntry { number, intent: &i })
            .collect();
        let body = digest_body(&entries);
        assert!(body.len() <= MAX_DIGEST_CHARS, "{}", body.len());
        assert!(body.contains("more, not listed here"));
        assert!(body.contains("30 more"), "at most 10 objectors a row");
        assert!(body.ends_with(FOOTER));
    }

    /// Read as GitHub Flavored Markdown: one table, a row per intent, six cells each,
    /// and no link but the items' and the objections'.
    #[test]
    fn the_table_holds_whatever_the_text() {
        use pulldown_cmark::{Event as Md, Options, Parser, Tag, TagEnd};
        let mut i = opened(
            "digest: true\nintents:\n  'a|b': { action: close }\n",
            "a|b",
            false,
            "alice",
            "| ` [x](https://evil.example) <b>hi</b> @all #1 \\",
        );
        i.objections
            .push(objection("bob", "https://evil.example/) [y](z"));
        let body = digest_body(&[DigestEntry {
            number: 4,
            intent: &i,
        }]);
        let mut cells = 0;
        let mut rows = 0;
        let mut links = Vec::new();
        for event in Parser::new_ext(&body, Options::ENABLE_TABLES) {
            match event {
                Md::Start(Tag::TableCell) => cells += 1,
                Md::End(TagEnd::TableRow) => rows += 1,
                Md::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
                Md::Html(h) | Md::InlineHtml(h)
                    if !h.contains("tacit:digest") && !h.contains("sub>") =>
                {
                    panic!("HTML from user text: {h}")
                }
                _ => {}
            }
        }
        assert_eq!(rows, 1, "{body}");
        assert_eq!(cells, 12, "header and one row of six: {body}");
        assert_eq!(links, ["../issues/4"], "{body}");
    }
}
