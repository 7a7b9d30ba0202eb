//! What tacit writes cannot be taken over by what people wrote: table tests of the
//! helpers that make user text inert, and a property test that renders intents full of
//! hostile text and reads the result with a CommonMark parser.

use super::*;
use crate::core::commands::Command;
use crate::core::config::RepoConfig;
use crate::core::intent::{
    Actor, Approval, ApprovalEnd, Asked, Concern, ConfigProblem, Event, MergeRefusal, NotCounted,
    NotOpened, Objection, ObjectionEnd, Opening, Outcome, Phase, Record, Refusal, Source,
};
use proptest::prelude::*;
use pulldown_cmark::{Event as Md, Options, Parser, Tag, TagEnd};

#[test]
fn inert_text_cannot_leave_its_code_span() {
    let long = "é".repeat(MAX_USER_TEXT + 1);
    let cut = format!("`{}…`", "é".repeat(MAX_USER_TEXT));
    let exact = "🦀".repeat(MAX_USER_TEXT);
    let exact_out = format!("`{exact}`");
    let wrapped = format!("{}\n{}", "a".repeat(MAX_USER_TEXT - 1), "b");
    let wrapped_out = format!("`{}…`", "a".repeat(MAX_USER_TEXT - 1));
    let cases: &[(&str, &str)] = &[
        ("too risky", "`too risky`"),
        // The fence is longer than any run of backticks inside.
        ("a`b", "``a`b``"),
        ("a ``` b", "````a ``` b````"),
        ("`x` and ``y``", "``` `x` and ``y`` ```"),
        // A backtick at either end is padded with a space (CommonMark strips one).
        ("`", "`` ` ``"),
        ("``x", "``` ``x ```"),
        ("x`", "`` x` ``"),
        // Closing tacit's span and opening a link, image, HTML or a mention.
        (
            "` [click](https://evil.example) `",
            "`` ` [click](https://evil.example) ` ``",
        ),
        (
            "![x](https://evil.example/x.png)",
            "`![x](https://evil.example/x.png)`",
        ),
        ("<details open>", "`<details open>`"),
        (
            "`<img src=x onerror=alert(1)>`",
            "`` `<img src=x onerror=alert(1)>` ``",
        ),
        ("@org/team please look", "`@org/team please look`"),
        ("<!-- tacit:intent -->", "`<!-- tacit:intent -->`"),
        // Line breaks become spaces: the text stays on its line.
        ("one\ntwo\r\nthree\rfour", "`one two three four`"),
        (
            "x\n\n- [y](https://evil.example)",
            "`x - [y](https://evil.example)`",
        ),
        ("a\u{2028}b\u{2029}c\u{85}d", "`a b c d`"),
        ("a\t\t b", "`a b`"),
        ("  padded  ", "`padded`"),
        // Bidirectional controls and other invisible characters are removed.
        ("abc\u{202e}fed", "`abcfed`"),
        (
            "a\u{202a}\u{202b}\u{202c}\u{202d}\u{2066}\u{2067}\u{2068}\u{2069}b",
            "`ab`",
        ),
        ("a\u{200e}\u{200f}\u{61c}b", "`ab`"),
        ("a\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}\u{ad}b", "`ab`"),
        ("tag\u{e0041}\u{e007f}s", "`tags`"),
        // Other control characters too.
        ("x\u{0}y\u{7}z\u{1b}[31m", "`xyz[31m`"),
        // Nothing left: one space, still a code span.
        ("", "` `"),
        ("   \n ", "` `"),
        ("\u{202e}\u{200b}", "` `"),
        // Bounded, cut on a character boundary.
        (&long, &cut),
        (&exact, &exact_out),
        (&wrapped, &wrapped_out),
    ];
    for (text, expected) in cases {
        assert_eq!(&inert(text), expected, "text {text:?}");
    }
}

#[test]
fn only_valid_logins_are_mentioned() {
    let cases: &[(&str, &str)] = &[
        ("alice", "@alice"),
        ("Bob-2", "@Bob-2"),
        ("a-b-c", "@a-b-c"),
        (
            "abcdefghijklmnopqrstuvwxyz0123456789abc",
            "@abcdefghijklmnopqrstuvwxyz0123456789abc",
        ),
        (
            "abcdefghijklmnopqrstuvwxyz0123456789abcd",
            "`abcdefghijklmnopqrstuvwxyz0123456789abcd`",
        ),
        ("dependabot[bot]", "`dependabot[bot]`"),
        ("org/team", "`org/team`"),
        ("@org/team", "`@org/team`"),
        ("-dash", "`-dash`"),
        ("al ice", "`al ice`"),
        ("ålice", "`ålice`"),
        ("bob\u{202e}", "`bob`"),
        ("bob`", "`` bob` ``"),
        ("", "` `"),
    ];
    for (login, expected) in cases {
        assert_eq!(&mention(login), expected, "login {login:?}");
    }
}

#[test]
fn time_zones_are_shown_only_when_they_look_like_names() {
    assert_eq!(zone("Europe/Berlin"), "Europe/Berlin");
    assert_eq!(zone("Etc/GMT+5"), "Etc/GMT+5");
    assert_eq!(
        zone("[x](https://evil.example)"),
        "`[x](https://evil.example)`"
    );
}

// ---------------------------------------------------------------------------
// Property: rendered comments hold nothing that tacit did not write itself.

const ID: &str = "0123456789abcdef";

fn comment_url(n: u64) -> String {
    format!("https://github.com/o/r/pull/1#issuecomment-{n}")
}

/// What tacit writes itself, and so the only links, HTML and mentions allowed:
/// - HTML: its hidden markers (`<!-- tacit:intent -->`, the intent-id and outcome
///   markers of this intent) and the `<details><summary>How to take part</summary>` ...
///   `</details>` block around its help;
/// - links: the "in your time zone" link to timeanddate.com and the links to the
///   comments that hold objections and concerns (URLs GitHub gave, never user text);
/// - mentions: `@login` for the valid logins of the people in the intent;
/// - no image, code block, footnote, bare URL or e-mail address.
///
/// Text inside code spans is inert: GitHub interprets nothing there. Returns each
/// thing found that is not allowed.
fn injected(markdown: &str, logins: &[String], urls: &[String]) -> Vec<String> {
    let allowed_html = [
        STATUS_MARKER.to_string(),
        status_marker(ID),
        outcome_marker(ID),
        "<details><summary>How to take part</summary>".to_string(),
        "</details>".to_string(),
    ];
    let mut found = Vec::new();
    if let Some(c) = markdown.chars().find(|&c| is_invisible(c)) {
        found.push(format!("invisible character U+{:04X}", c as u32));
    }
    let mut text = String::new();
    let check_text = |text: &mut String, found: &mut Vec<String>| {
        for pattern in ["://", "www."] {
            if text.contains(pattern) {
                found.push(format!("bare link in text {text:?}"));
            }
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find('@') {
            let after = &rest[at + 1..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(after.len());
            let login = &after[..end];
            if !login.is_empty() && !logins.iter().any(|l| l == login) {
                found.push(format!("mention @{login} in text {text:?}"));
            }
            rest = after;
        }
        text.clear();
    };
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(markdown, options) {
        if let Md::Text(t) = &event {
            text.push_str(t);
            continue;
        }
        check_text(&mut text, &mut found);
        match event {
            Md::Html(h) | Md::InlineHtml(h) if !allowed_html.iter().any(|a| a == h.trim_end()) => {
                found.push(format!("HTML {h:?}"));
            }
            Md::Start(Tag::Link { dest_url, .. }) => {
                let ours = dest_url
                    .starts_with("https://www.timeanddate.com/worldclock/fixedtime.html?iso=")
                    || urls.iter().any(|u| **u == *dest_url);
                if !ours {
                    found.push(format!("link to {dest_url:?}"));
                }
            }
            Md::Start(Tag::Image { dest_url, .. }) => found.push(format!("image {dest_url:?}")),
            Md::Start(Tag::CodeBlock(_)) => found.push("code block".into()),
            Md::FootnoteReference(f) => found.push(format!("footnote {f:?}")),
            Md::Start(Tag::FootnoteDefinition(f)) => found.push(format!("footnote {f:?}")),
            _ => {}
        }
    }
    check_text(&mut text, &mut found);
    found
}

/// List items and headings in `markdown`: user text that broke out of its line would
/// add or remove some.
fn structure(markdown: &str) -> (usize, usize) {
    let (mut items, mut headings) = (0, 0);
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Md::End(TagEnd::Item) => items += 1,
            Md::End(TagEnd::Heading(_)) => headings += 1,
            _ => {}
        }
    }
    (items, headings)
}

/// Strings built from the pieces attacks are made of, and any characters.
fn hostile() -> impl Strategy<Value = String> {
    let pieces: Vec<&'static str> = vec![
        "`",
        "``",
        "```",
        "~~~",
        "<",
        ">",
        "[",
        "]",
        "(",
        ")",
        "!",
        "@",
        "*",
        "_",
        "#",
        "|",
        "\\",
        "&",
        ":",
        " ",
        "    ",
        "\t",
        "\n",
        "\r\n",
        "\n\n",
        "\n> ",
        "\n- ",
        "\n1. ",
        "\n---\n",
        "\n# ",
        "\u{202e}",
        "\u{2066}",
        "\u{200b}",
        "\u{feff}",
        "bob",
        "@bob",
        "@org/team",
        "a@b.example",
        "<details open>",
        "</details>",
        "<!--",
        "-->",
        "<!-- tacit:intent -->",
        "<img src=x>",
        "<a href=\"https://evil.example\">",
        "[x](https://evil.example)",
        "![i](https://evil.example/i.png)",
        "[x]: https://evil.example",
        "<https://evil.example>",
        "https://evil.example",
        "www.evil.example",
        "[^1]",
        "\n[^1]: note",
        "&lt;",
        "&#96;",
    ];
    let piece = prop_oneof![
        3 => prop::sample::select(pieces).prop_map(String::from),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.concat())
}

/// A login: usually a valid one, sometimes anything.
fn login() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9][a-zA-Z0-9-]{0,10}",
        1 => hostile(),
        1 => Just("dependabot[bot]".to_string()),
    ]
}

#[derive(Debug, Clone)]
struct People {
    author: String,
    objections: Vec<(String, String)>,
    concerns: Vec<(String, String)>,
    approvals: Vec<String>,
    /// `/extend` arguments that do not parse and labels added on top: notes.
    notes: Vec<(String, String)>,
    label: String,
    add_label: String,
    refusal: Option<String>,
    outcome: u8,
    outcome_text: String,
    outcome_login: String,
}

fn people() -> impl Strategy<Value = People> {
    (
        (
            login(),
            prop::collection::vec((login(), hostile()), 0..4),
            prop::collection::vec((login(), hostile()), 0..4),
            prop::collection::vec(login(), 0..3),
            prop::collection::vec((login(), hostile()), 0..3),
        ),
        (
            hostile(),
            hostile(),
            prop::option::of(hostile()),
            0u8..12,
            hostile(),
            login(),
        ),
    )
        .prop_map(
            |(
                (author, objections, concerns, approvals, notes),
                (label, add_label, refusal, outcome, outcome_text, outcome_login),
            )| People {
                author,
                objections,
                concerns,
                approvals,
                notes,
                label,
                add_label,
                refusal,
                outcome,
                outcome_text,
                outcome_login,
            },
        )
}

fn at() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

/// An intent holding every piece of `p`, built through the decision machine where it
/// writes text itself (notes) and directly elsewhere.
fn intent_of(p: &People) -> Intent {
    let mut policy = RepoConfig::default()
        .policy("intent-to-merge")
        .expect("a default label");
    policy.label = p.label.as_str().into();
    let (mut intent, _) = Intent::open(Opening {
        policy,
        is_pull: true,
        item_author: "carol".into(),
        author: p.author.clone(),
        at: at(),
        now: at(),
        head_sha: Some("sha-0".into()),
        carried: Vec::new(),
    });
    let mut n = 0;
    for (who, arg) in &p.notes {
        n += 1;
        intent.handle(
            Event::Command {
                actor: Actor {
                    login: who.clone(),
                    role: Some(Role::Write),
                    approver: false,
                },
                command: Command::Extend {
                    arg: arg.clone(),
                    duration: None,
                },
                source: Source::Comment(n),
                url: Some(comment_url(n)),
                at: at(),
                sender_is_author: true,
                edited_from: None,
            },
            at(),
        );
        intent.handle(
            Event::OtherIntentLabel {
                label: arg.clone(),
                by: who.clone(),
            },
            at(),
        );
    }
    for (who, reason) in &p.objections {
        n += 1;
        intent.objections.push(Objection {
            who: who.clone(),
            reason: reason.clone(),
            url: Some(comment_url(n)),
            at: at(),
            source: Source::Comment(n),
            edited_from: None,
        });
        intent.history.push(Record::Objected {
            who: who.clone(),
            reason: reason.clone(),
            url: Some(comment_url(n)),
            at: at(),
            source: Source::Comment(n),
        });
        intent.history.push(Record::ObjectionEnded {
            who: who.clone(),
            how: ObjectionEnd::Withdrawn,
            url: Some(comment_url(n)),
            at: at(),
        });
    }
    for (who, what) in &p.concerns {
        n += 1;
        intent.concerns.push(Concern {
            who: who.clone(),
            url: Some(comment_url(n)),
            asked: Some(Asked::Object {
                reason: what.clone(),
            }),
            reason: Some(NotCounted::Permission {
                needs: Role::Write,
                has: Some(Role::Read),
            }),
            ..Concern::default()
        });
    }
    for who in &p.approvals {
        n += 1;
        intent.approvals.push(Approval {
            who: who.clone(),
            url: Some(comment_url(n)),
            at: at(),
            source: Source::Comment(n),
        });
        intent.history.push(Record::Approved {
            who: who.clone(),
            url: Some(comment_url(n)),
            at: at(),
            source: Source::Comment(n),
        });
        intent.history.push(Record::ApprovalCleared {
            who: who.clone(),
            why: ApprovalEnd::Push,
            at: at(),
        });
        intent.history.push(Record::Extended {
            who: who.clone(),
            added: std::time::Duration::from_secs(3600),
            url: Some(comment_url(n)),
            at: at(),
        });
    }
    if let Some(message) = &p.refusal {
        intent.refusal = Some(Refusal {
            message: message.clone(),
            first_at: at(),
            last_at: at(),
            attempts: 1,
            soon: false,
            nudged: false,
            cause: None,
        });
    }
    let text = p.outcome_text.clone();
    let who = p.outcome_login.clone();
    let outcome = match p.outcome {
        0 => None,
        1 => Some(Outcome::Merged {
            sha: "abcdef1234567".into(),
        }),
        2 => {
            // Only an accept intent adds a label: its name is rendered in the outcome.
            intent.policy.action = Action::Accept {
                add_label: Some(p.add_label.as_str().into()),
            };
            Some(Outcome::Accepted)
        }
        3 => Some(Outcome::Cancelled { by: who }),
        4 => Some(Outcome::LabelRemoved { by: Some(who) }),
        5 => Some(Outcome::ItemClosed {
            by: Some(who),
            merged: false,
        }),
        6 => Some(Outcome::ItemClosed {
            by: Some(who),
            merged: true,
        }),
        7 => Some(Outcome::AuthorLostPermission { author: who }),
        8 => Some(Outcome::Refused {
            reason: text,
            cause: None,
        }),
        9 => Some(Outcome::GaveUp {
            reason: String::new(),
            last: Some(MergeRefusal::GitHub { message: text }),
        }),
        10 => Some(Outcome::NotOpened {
            message: String::new(),
            why: Some(NotOpened::NoPermission {
                label: text,
                who,
                needs: Role::Write,
                has: None,
            }),
        }),
        _ => Some(Outcome::LabelDeleted),
    };
    if let Some(o) = outcome {
        intent.phase = Phase::Done;
        intent.outcome = Some(o);
        intent.ended_at = Some(at());
    }
    intent
}

/// The logins tacit may mention for `p`: the valid ones among its people.
fn logins_of(p: &People) -> Vec<String> {
    let mut all = vec![p.author.clone(), p.outcome_login.clone()];
    all.extend(p.objections.iter().map(|(w, _)| w.clone()));
    all.extend(p.concerns.iter().map(|(w, _)| w.clone()));
    all.extend(p.approvals.iter().cloned());
    all.extend(p.notes.iter().map(|(w, _)| w.clone()));
    all.retain(|l| is_valid_login(l));
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn user_text_never_becomes_markdown(p in people()) {
        let intent = intent_of(&p);
        let logins = logins_of(&p);
        let urls: Vec<String> = (1..=64).map(comment_url).collect();
        let now = at();

        let status = status_comment(&intent, ID, now);
        let found = injected(&status, &logins, &urls);
        prop_assert!(found.is_empty(), "status comment: {found:?}\n{status}");
        // Every objection and concern is one list item; the help lists five commands
        // while the intent runs; tacit's heading is the only one.
        let help = if intent.phase == Phase::Done { 0 } else { 5 };
        prop_assert_eq!(
            structure(&status),
            (p.objections.len() + p.concerns.len() + help, 1),
            "{}", status
        );

        let outcome = outcome_comment(&intent, ID);
        // tacit's own hidden record, one line at the end: user text cannot end it.
        let (outcome, record) = split_record(&outcome);
        if let Some(json) = record {
            let value: serde_json::Value = serde_json::from_str(json)
                .map_err(|e| TestCaseError::fail(format!("record: {e}: {json}")))?;
            prop_assert_eq!(value["v"].as_u64(), Some(1));
            prop_assert!(!json.contains("--") && !json.contains('>') && !json.contains('<'));
        }
        let found = injected(outcome, &logins, &urls);
        prop_assert!(found.is_empty(), "outcome comment: {found:?}\n{outcome}");
        // One list item per entry of the record (none when the label opened nothing).
        let entries = if record.is_some() { intent.records().len() } else { 0 };
        prop_assert_eq!(structure(outcome), (entries, 0), "{}", outcome);

        let check = check_run(&intent, now);
        let found = injected(&check.summary, &logins, &urls);
        prop_assert!(found.is_empty(), "check run: {found:?}\n{}", check.summary);

        for note in [
            not_opened(&NotOpened::NotAPullRequest {
                label: p.label.clone(),
                for_issues: vec![p.label.clone(), p.outcome_text.clone()],
            }),
            not_opened(&NotOpened::ItemClosed { label: p.label.clone() }),
            config_problem(
                &p.label,
                &ConfigProblem::Invalid {
                    file: "o/r/.github/tacit.yml".into(),
                    error: p.outcome_text.clone(),
                },
            ),
        ] {
            let found = injected(&note, &logins, &urls);
            prop_assert!(found.is_empty(), "note: {found:?}\n{note}");
            prop_assert_eq!(structure(&note), (0, 0), "{}", note);
        }
    }
}

/// An outcome comment without its hidden record line (the last one: a reason may quote
/// the opening), and the record's JSON.
fn split_record(comment: &str) -> (&str, Option<&str>) {
    match comment.rfind(RECORD_OPEN) {
        Some(at) => {
            let line = comment[at..].trim_end_matches('\n');
            assert!(!line.contains('\n'), "the record is one line: {line}");
            let json = line[RECORD_OPEN.len()..]
                .strip_suffix(" -->")
                .expect("the record line ends the comment");
            (&comment[..at], Some(json))
        }
        None => (comment, None),
    }
}

/// The property's checker finds what it is meant to find (a check that cannot fail
/// proves nothing).
#[test]
fn the_checker_sees_injections() {
    let logins = vec!["alice".to_string()];
    let urls = vec![comment_url(1)];
    let clean = format!(
        "{STATUS_MARKER}\n@alice: `x` ([comment]({}))\n",
        comment_url(1)
    );
    assert_eq!(injected(&clean, &logins, &urls), Vec::<String>::new());
    for bad in [
        "[x](https://evil.example)",
        "![x](https://evil.example/x.png)",
        "<details open>",
        "a <b>bold</b>",
        "@bob",
        "@org/team",
        "see https://evil.example",
        "see www.evil.example",
        "a\u{202e}b",
        "```\ncode\n```",
        "x[^1]\n\n[^1]: y",
        "<https://evil.example>",
    ] {
        assert!(
            !injected(bad, &logins, &urls).is_empty(),
            "not seen: {bad:?}"
        );
    }
}

/// The hidden record carries any reason back intact, and nothing in it ends the HTML
/// comment early (a reason holding `-->`, `<!--`, `--!>` or a line break).
#[test]
fn a_reason_cannot_end_the_record_and_round_trips() {
    use crate::core::intent::{ObjectionEnd, Record};
    let reason = "no --> <!-- tacit:record {} --> --!> ---- <b>x</b>\n`code` \u{202e}";
    let mut intent = Intent::open(Opening {
        policy: RepoConfig::default().policy("intent-to-close").unwrap(),
        is_pull: false,
        item_author: "carol".into(),
        author: "alice".into(),
        at: at(),
        now: at(),
        head_sha: None,
        carried: Vec::new(),
    })
    .0;
    intent.title = "Title --> with <script>".into();
    intent.handle(
        Event::Command {
            actor: Actor {
                login: "bob".into(),
                role: Some(Role::Write),
                approver: false,
            },
            command: Command::Object {
                reason: reason.into(),
            },
            source: Source::Comment(1),
            url: Some(comment_url(1)),
            at: at(),
            sender_is_author: true,
            edited_from: None,
        },
        at(),
    );
    intent.handle(
        Event::Command {
            actor: Actor {
                login: "bob".into(),
                role: Some(Role::Write),
                approver: false,
            },
            command: Command::Withdraw,
            source: Source::Comment(2),
            url: Some(comment_url(2)),
            at: at(),
            sender_is_author: true,
            edited_from: None,
        },
        at(),
    );
    assert!(matches!(
        intent.history.last(),
        Some(Record::ObjectionEnded {
            how: ObjectionEnd::Withdrawn,
            ..
        })
    ));
    intent.handle(
        Event::Ended(crate::core::intent::EndReason::LabelRemoved { by: None }),
        at(),
    );
    let place = Place {
        repo: "octo/repo",
        number: 7,
    };
    let comment = outcome_comment_at(&intent, ID, Some(place));
    let (rest, json) = split_record(&comment);
    let json = json.expect("a record");
    // Nothing in the record can close (or open) the HTML comment it sits in.
    assert!(!json.contains("--") && !json.contains('<') && !json.contains('>'));
    assert!(!json.chars().any(is_invisible), "{json}");
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["v"], 1);
    assert_eq!(value["repo"], "octo/repo");
    assert_eq!(value["number"], 7);
    assert_eq!(value["title"], "Title --> with <script>");
    assert_eq!(value["outcome"], "label_removed");
    assert_eq!(value["objections"][0]["reason"], reason);
    assert_eq!(value["objections"][0]["who"], "bob");
    assert_eq!(value["objections"][0]["ended"], "withdrawn");
    assert_eq!(value["objections"][0]["ended_at"], "2026-03-02T09:00:00Z");
    // In the words above it, the reason is inert text, and the withdrawal is listed.
    assert!(rest.contains("@bob withdrew their objection"), "{rest}");
    assert!(
        injected(
            rest,
            &["alice".into(), "bob".into()],
            &[comment_url(1), comment_url(2)]
        )
        .is_empty(),
        "{rest}"
    );
    // A label that opened nothing decided nothing: no record.
    let (not_opened_intent, _) = Intent::not_opened(
        RepoConfig::default().policy("intent-to-merge").unwrap(),
        false,
        "alice",
        at(),
        NotOpened::ItemClosed {
            label: "intent-to-merge".into(),
        },
    );
    let text = outcome_comment_at(&not_opened_intent, ID, Some(place));
    assert!(
        !text.contains(RECORD_OPEN) && !text.contains("Decision record"),
        "{text}"
    );
}

/// However long the history, the outcome comment stays within GitHub's 65,536
/// characters, says what it left out, and its record still parses.
#[test]
fn a_long_history_stays_within_a_comment() {
    use crate::core::intent::{ObjectionEnd, Record};
    let mut intent = Intent::open(Opening {
        policy: RepoConfig::default().policy("intent-to-close").unwrap(),
        is_pull: false,
        item_author: "carol".into(),
        author: "alice".into(),
        at: at(),
        now: at(),
        head_sha: None,
        carried: Vec::new(),
    })
    .0;
    intent.title = "<".repeat(5000);
    for n in 0..2000 {
        intent.history.push(Record::Objected {
            who: format!("user{n}"),
            reason: "<-->".repeat(2000),
            url: Some(comment_url(n)),
            at: at(),
            source: Source::Comment(n),
        });
        intent.history.push(Record::ObjectionEnded {
            who: format!("user{n}"),
            how: ObjectionEnd::Withdrawn,
            url: Some(comment_url(n)),
            at: at(),
        });
    }
    intent.handle(
        Event::Ended(crate::core::intent::EndReason::LabelRemoved { by: None }),
        at(),
    );
    let comment = outcome_comment_at(&intent, ID, None);
    assert!(comment.chars().count() < 65_536, "{}", comment.len());
    assert!(comment.contains("- … 3962 more entries …"), "{comment}");
    assert!(comment.contains("label removed"), "the end is shown");
    let (_, json) = split_record(&comment);
    let value: serde_json::Value = serde_json::from_str(json.unwrap()).unwrap();
    assert_eq!(value["truncated"], true);
    assert_eq!(
        value["objections"].as_array().unwrap().len(),
        MAX_RECORD_ITEMS
    );
    // The first 30 entries, a line saying how many more, the last 10.
    assert_eq!(structure(&comment).0, MAX_RECORD_LINES + 1, "lines listed");
}

/// The example of the record in docs/user-guide.md is the snapshot's, as rendered.
#[test]
fn the_documented_record_is_the_rendered_one() {
    let guide = include_str!("../../docs/user-guide.md");
    let snapshot =
        include_str!("snapshots/tacit__core__intent__tests__snapshots__decision_record.snap");
    let record = snapshot
        .lines()
        .find(|l| l.starts_with(RECORD_OPEN))
        .expect("the snapshot has a record");
    assert!(
        guide.lines().any(|l| l == record),
        "docs/user-guide.md shows an old record; copy it from the snapshot:\n{record}"
    );
}

// ---------------------------------------------------------------------------
// The examples in docs/user-guide.md are renderings: each excerpt below is taken from
// what tacit renders, and the guide must show it, quoted, exactly.

const GUIDE: &str = include_str!("../../docs/user-guide.md");

/// `text` as a Markdown block quote, as the guide shows renderings.
fn quoted(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The guide shows `excerpts` of `rendered` (each a run of whole lines of it), quoted,
/// with a `> …` line between two excerpts.
fn documented(what: &str, rendered: &str, excerpts: &[&str]) {
    for e in excerpts {
        assert!(
            rendered
                .lines()
                .collect::<Vec<_>>()
                .windows(e.lines().count())
                .any(|w| w.join("\n") == *e),
            "{what}: not whole lines of the rendering:\n{e}\n---\n{rendered}"
        );
    }
    let shown = excerpts
        .iter()
        .map(|e| quoted(&unlinked(e)))
        .collect::<Vec<_>>()
        .join("\n>\n> …\n>\n");
    assert!(
        GUIDE.contains(&format!("\n{shown}\n")),
        "docs/user-guide.md lacks the example of {what}; copy it from the rendering:\n{shown}"
    );
}

/// The guide links to nothing outside the repository: the link that shows a time in
/// the reader's own zone is shown as its text, as in "(in your time zone)".
fn unlinked(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("](https://www.timeanddate.com/") {
        let open = rest[..i].rfind('[').expect("a link's text");
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..i]);
        let close = rest[i..].find(')').expect("a link's end");
        rest = &rest[i + close + 1..];
    }
    out.push_str(rest);
    out
}

/// The lines of `text` from the one starting with `from` to the one starting with `to`.
fn lines_between<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(&format!("\n{from}")).map(|i| i + 1).expect(from);
    let rest = &text[start..];
    let end = if rest.starts_with(to) {
        0
    } else {
        rest.find(&format!("\n{to}")).map(|i| i + 1).expect(to)
    };
    let end = end + rest[end..].find('\n').unwrap_or(rest.len() - end);
    &rest[..end]
}

fn opened(config: &RepoConfig, at: Timestamp) -> Intent {
    let mut intent = Intent::open(Opening {
        policy: config.policy("intent-to-merge").unwrap(),
        is_pull: true,
        item_author: "carol".into(),
        author: "alice".into(),
        at,
        now: at,
        head_sha: Some("sha-0".into()),
        carried: Vec::new(),
    })
    .0;
    intent.handle(
        Event::Noticed {
            at,
            comment: Some(1),
        },
        at,
    );
    intent
}

fn acme_config() -> RepoConfig {
    RepoConfig::layered(
        Some(crate::core::config::ConfigFile {
            name: "acme/.github/.github/tacit.yml",
            text: "timezone: Europe/Berlin\nnotify: [\"@acme/maintainers\"]\n",
        }),
        Some(crate::core::config::ConfigFile {
            name: "acme/widget/.github/tacit.yml",
            text: "window: 24h\n",
        }),
    )
    .unwrap()
}

#[test]
fn the_documented_status_comment_endings_are_rendered_ones() {
    let t: Timestamp = "2026-11-24T13:00:00Z".parse().unwrap();
    let text = status_comment(&opened(&acme_config(), t), ID, t);
    let end = lines_between(&text, "<sub>Configuration:", "cc ");
    documented("the files in force and notify", &text, &[end]);
    let config = RepoConfig::parse("notify: [alice, \"@acme/maintainers\"]\n").unwrap();
    let text = status_comment(&opened(&config, t), ID, t);
    documented("notify", &text, &["cc @alice @acme/maintainers"]);
}

#[test]
fn the_documented_act_within_status_is_a_rendered_one() {
    let config = RepoConfig::parse(
        "timezone: America/New_York\nbusiness_days: true\nact_within: \"09:00-17:00\"\nwindow: 24h\n",
    )
    .unwrap();
    // Thursday 18:00 in New York: 24 business hours end on Friday at 18:00, after hours.
    let t: Timestamp = "2026-11-19T23:00:00Z".parse().unwrap();
    let text = status_comment(&opened(&config, t), ID, t);
    let window = lines_between(&text, "The window closes", "Only Monday");
    let hours = lines_between(&text, "tacit acts only", "tacit acts only");
    documented("act_within", &text, &[window, hours]);
}

/// A merge refused by GitHub on Tuesday 2026-11-24 at 13:00 UTC.
fn refused(message: &str) -> (Intent, Timestamp) {
    let t: Timestamp = "2026-11-24T13:00:00Z".parse().unwrap();
    let mut intent = opened(&RepoConfig::default(), t);
    let done = t + jiff::SignedDuration::from_hours(72);
    intent.handle(Event::Due, done);
    intent.handle(
        Event::Verified(crate::core::intent::Facts {
            open: true,
            label_present: true,
            head_sha: Some("sha-0".into()),
            draft: false,
            author_role: Some(Role::Write),
            valid_approvers: Default::default(),
        }),
        done,
    );
    intent.handle(
        Event::MergeResult(crate::core::intent::MergeResult::Refused {
            message: message.into(),
            soon: false,
        }),
        done,
    );
    (intent, done)
}

#[test]
fn the_documented_waiting_and_give_up_comments_are_rendered_ones() {
    let (mut intent, since) = refused("Required status check \"ci\" is failing.");
    let waiting = waiting_comment(&intent, ID, since);
    let body = waiting.split_once('\n').unwrap().1.trim_end();
    documented("the comment when a refused merge waits", &waiting, &[body]);

    let later = since + jiff::SignedDuration::from_hours(7 * 24 + 1);
    intent.handle(Event::Due, later);
    assert!(matches!(intent.outcome, Some(Outcome::GaveUp { .. })));
    let comment = outcome_comment(&intent, ID);
    let sentence = comment.lines().nth(1).unwrap();
    documented("the give-up comment", &comment, &[sentence]);
}

#[test]
fn the_documented_config_check_is_a_rendered_one() {
    let file = "acme/widget/.github/tacit.yml";
    let err = RepoConfig::parse("window: 24h\napprovals: two\n").unwrap_err();
    let (ok, view) = config_check(file, true, Err(&err));
    assert!(!ok);
    let shown = format!("**{}**\n\n{}", view.title, view.summary);
    documented("the tacit/config check run", &shown, &[&shown]);
}

#[test]
fn fixed_durations_are_written_from_their_constants() {
    use crate::core::intent::{CARRY_OVER, MAX_EXTENSION, MERGE_RETRY_INTERVAL};
    use std::time::Duration;
    assert_eq!(words(MERGE_RETRY_INTERVAL), "15 minutes");
    assert_eq!(words(MAX_EXTENSION), "14 days");
    assert_eq!(words(CARRY_OVER), "30 days");
    assert_eq!(words(Duration::from_secs(3600)), "1 hour");
    assert_eq!(words(Duration::from_secs(90)), "90 seconds");
    assert_eq!(words(Duration::ZERO), "0 seconds");
    // No rendering restates them: every one is formatted from the `const`.
    let sources = [
        include_str!("render.rs"),
        include_str!("render/status.rs"),
        include_str!("render/notes.rs"),
        include_str!("render/outcome.rs"),
        include_str!("render/record.rs"),
        include_str!("render/check_run.rs"),
        include_str!("render/config_check.rs"),
    ];
    for literal in [
        "15 minutes",
        "14 days",
        "30 days",
        "7 days",
        "every 15",
        "within 30",
    ] {
        for source in sources {
            let code: Vec<&str> = source
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            assert!(
                !code.iter().any(|l| l.contains(literal)),
                "a rendering restates {literal:?}: format it from its constant"
            );
        }
    }
}
