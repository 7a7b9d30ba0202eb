//! Slash commands in comment and review bodies (SPEC section 3): `/object`,
//! `/withdraw`, `/approve`, `/extend`, `/cancel`.
//!
//! Pure: no I/O, no clock. [`parse_commands`] reads a Markdown body and
//! returns the commands in it, in line order; who may use them, and whether a
//! command counts once per comment, is decided elsewhere.
//!
//! A command is the first word of a line, after at most 3 spaces, followed by
//! whitespace or the end of the line, compared case-insensitively (`/Object`
//! counts; `/objection` and `/object:` do not). Lines that GitHub renders as
//! code, quotes or hidden text never hold commands:
//!
//! - fenced code blocks (```` ``` ```` or `~~~`, the fence indented at most 3
//!   spaces; a fence closes only with the same character, at least as many of
//!   them, and nothing else on the line; an unclosed fence runs to the end);
//! - indented code: a line indented 4 columns or more (a tab counts up to the
//!   next multiple of 4);
//! - block quotes: a line whose first character (after at most 3 spaces) is
//!   `>`;
//! - raw HTML blocks that GitHub shows preformatted or not at all: a line that
//!   starts (after at most 3 spaces) with `<pre`, `<textarea`, `<script` or
//!   `<style` opens one, which runs to the first line containing `</pre>`,
//!   `</textarea>`, `</script>` or `</style>` (CommonMark's HTML block of the
//!   first kind; an unclosed one runs to the end). Text in `<pre>` is read
//!   like code, so it never holds commands;
//! - HTML comments `<!-- ... -->`, over one or several lines. A comment opened
//!   at the start of a line runs until a line containing `-->` (or the end of
//!   the body), like a CommonMark HTML block. A comment opened in the middle
//!   of a line hides the following lines only if `-->` comes before the next
//!   blank line; otherwise Markdown shows it as text, and so do we.
//!
//! Lines inside `<details>` do count: GitHub shows them as soon as the reader
//! expands the block, and hiding an `/object` there takes a deliberate act.
//!
//! Unicode whitespace (a no-break space, an ideographic space...) before the
//! first word counts like a space, and invisible format characters (a
//! zero-width space, a byte order mark, bidirectional marks, see
//! [`is_invisible`]) count as nothing, before and inside the first word: a line
//! that shows `/object` to a reader is read as `/object`. The limit of 3
//! columns of indentation still holds. Block structure (fences, quotes) is
//! read by CommonMark's rules, where only spaces and tabs indent.
//!
//! This is a deliberately small, line-based reading of Markdown, not a full
//! CommonMark parser. Where the two differ it errs towards *seeing* a command
//! that a reader also sees: a line right below a quote (which CommonMark
//! would fold into the quote as a "lazy continuation") is read as its own
//! line, because an `/object` typed under a quoted passage is meant.
//!
//! Parsing is linear in the size of the body and never panics.

use super::duration::parse_duration;
use super::render::is_invisible;
use std::time::Duration;

/// One command, as written. Parsing does not check permissions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// `/object <reason>`: the reason is the rest of the line, trimmed, and
    /// may be empty.
    Object { reason: String },
    /// `/withdraw`: anything after it on the line is ignored.
    Withdraw,
    /// `/approve`: anything after it on the line is ignored.
    Approve,
    /// `/extend <duration>`: `arg` is the rest of the line, trimmed;
    /// `duration` is `arg` parsed with [`parse_duration`], `None` if it is
    /// missing or does not parse (the caller says so to the user).
    Extend {
        arg: String,
        duration: Option<Duration>,
    },
    /// `/cancel`: anything after it on the line is ignored.
    Cancel,
}

/// Every command's name as written, in the order the docs teach them. The reference
/// (`docs/reference.md`) must name each (`tests/it/config_schema.rs`), and each parses
/// to the command whose [`Command::name`] it is (unit test below).
pub const NAMES: [&str; 5] = ["/object", "/withdraw", "/approve", "/extend", "/cancel"];

impl Command {
    /// The command's name as written, e.g. `/object`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Object { .. } => "/object",
            Command::Withdraw => "/withdraw",
            Command::Approve => "/approve",
            Command::Extend { .. } => "/extend",
            Command::Cancel => "/cancel",
        }
    }
}

/// All commands in `body`, in line order (see the module documentation for
/// what counts as a command).
pub fn parse_commands(body: &str) -> Vec<Command> {
    let lines = split_lines(body);
    let mut commands = Vec::new();
    let mut state = State::Text;
    // Inline comments opened on a line before this index are known to have
    // no `-->` before the next blank line (see `Scanner::comment_closes`).
    let mut scanner = Scanner {
        lines: &lines,
        unclosed_before: 0,
    };

    for (index, &line) in lines.iter().enumerate() {
        match state {
            State::Fence { ch, len } => {
                if closes_fence(line, ch, len) {
                    state = State::Text;
                }
                continue;
            }
            State::HtmlBlock => {
                if line.contains("-->") {
                    state = State::Text;
                }
                continue;
            }
            State::RawHtml => {
                if closes_raw_html(line) {
                    state = State::Text;
                }
                continue;
            }
            State::InlineComment => {
                // The line is hidden up to `-->`; what follows is not at the
                // start of a line, but it may open another comment.
                if let Some(end) = line.find("-->") {
                    let (_, open) = scanner.visible(&line[end + 3..], index);
                    state = if open {
                        State::InlineComment
                    } else {
                        State::Text
                    };
                }
                continue;
            }
            State::Text => {}
        }

        let Some((column, content)) = strip_indent(line) else {
            continue; // indented code
        };
        if let Some((ch, len)) = opens_fence(content) {
            state = State::Fence { ch, len };
            continue;
        }
        if content.starts_with('>') {
            continue; // block quote
        }
        if content.starts_with("<!--") {
            if !content.contains("-->") {
                state = State::HtmlBlock;
            }
            continue;
        }
        if opens_raw_html(content) {
            if !closes_raw_html(content) {
                state = State::RawHtml;
            }
            continue;
        }

        let (visible, open) = scanner.visible(content, index);
        if open {
            state = State::InlineComment;
        }
        if let Some(command) = parse_line(&visible, column) {
            commands.push(command);
        }
    }
    commands
}

/// Splits at `\n`, `\r\n` and a lone `\r` (CommonMark line endings).
fn split_lines(body: &str) -> Vec<&str> {
    let bytes = body.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&body[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&body[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    lines.push(&body[start..]);
    lines
}

/// Where the line-by-line reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// Inside a fenced code block opened by `len` times `ch`.
    Fence {
        ch: u8,
        len: usize,
    },
    /// Inside an HTML comment that started a line, until a line with `-->`.
    HtmlBlock,
    /// Inside an HTML comment opened mid-line, until `-->`.
    InlineComment,
    /// Inside `<pre>` (or `<textarea>`, `<script>`, `<style>`), until a line
    /// with the closing tag of any of them.
    RawHtml,
}

/// Reads one visible line, already indented by `column` columns of spaces and
/// tabs: a command if its first word is one. Unicode whitespace before the
/// word counts as a column each, invisible characters as nothing.
fn parse_line(line: &str, mut column: usize) -> Option<Command> {
    let mut start = line.len();
    for (i, c) in line.char_indices() {
        match c {
            '\t' => column = (column / 4 + 1) * 4,
            c if c.is_whitespace() => column += 1,
            c if is_invisible(c) => {}
            _ => {
                start = i;
                break;
            }
        }
        if column >= 4 {
            return None;
        }
    }
    let line = &line[start..];
    let word_end = line.find(char::is_whitespace).unwrap_or(line.len());
    let (word, rest) = line.split_at(word_end);
    let word: String = word.chars().filter(|&c| !is_invisible(c)).collect();
    if !word.starts_with('/') {
        return None;
    }
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    let is = |name: &str| word.eq_ignore_ascii_case(name);
    if is("/object") {
        Some(Command::Object {
            reason: rest.to_owned(),
        })
    } else if is("/withdraw") {
        Some(Command::Withdraw)
    } else if is("/approve") {
        Some(Command::Approve)
    } else if is("/extend") {
        Some(Command::Extend {
            arg: rest.to_owned(),
            duration: parse_duration(rest).ok(),
        })
    } else if is("/cancel") {
        Some(Command::Cancel)
    } else {
        None
    }
}

/// The line's indentation in columns and the line without it, or `None` when
/// it is indented 4 columns or more (indented code). Only spaces and tabs
/// indent (CommonMark); tabs advance to the next multiple of 4.
fn strip_indent(line: &str) -> Option<(usize, &str)> {
    let mut column = 0;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b' ' => column += 1,
            b'\t' => column = (column / 4 + 1) * 4,
            _ => return (column < 4).then(|| (column, &line[i..])),
        }
        if column >= 4 {
            return None;
        }
    }
    Some((column, "")) // blank line
}

/// HTML elements whose block (CommonMark's first kind) holds raw text.
const RAW_HTML: [&str; 4] = ["pre", "textarea", "script", "style"];

/// Whether `content` (unindented) opens a raw HTML block: `<pre`, `<textarea`,
/// `<script` or `<style`, case-insensitive, then whitespace, `>` or the end.
fn opens_raw_html(content: &str) -> bool {
    let Some(rest) = content.as_bytes().strip_prefix(b"<") else {
        return false;
    };
    RAW_HTML.iter().any(|tag| {
        rest.len() >= tag.len()
            && rest[..tag.len()].eq_ignore_ascii_case(tag.as_bytes())
            && matches!(rest.get(tag.len()), None | Some(b' ' | b'\t' | b'>'))
    })
}

/// Whether `line` holds a closing tag that ends a raw HTML block (any of
/// them, as CommonMark says).
fn closes_raw_html(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    ["</pre>", "</textarea>", "</script>", "</style>"]
        .iter()
        .any(|tag| lower.contains(tag))
}

/// The fence a line opens, if any: `(character, length)`.
fn opens_fence(content: &str) -> Option<(u8, usize)> {
    let ch = *content.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = content.bytes().take_while(|&b| b == ch).count();
    if len < 3 {
        return None;
    }
    // A backtick fence's info string cannot contain a backtick
    // (```` ```rust``` ```` is inline code, not a fence).
    if ch == b'`' && content[len..].contains('`') {
        return None;
    }
    Some((ch, len))
}

/// Whether `line` closes a fence opened by `len` times `ch`.
fn closes_fence(line: &str, ch: u8, len: usize) -> bool {
    let Some((_, content)) = strip_indent(line) else {
        return false;
    };
    let run = content.bytes().take_while(|&b| b == ch).count();
    run >= len && content[run..].trim().is_empty()
}

/// Finds HTML comments opened in the middle of lines.
struct Scanner<'a> {
    lines: &'a [&'a str],
    /// A comment opened on a line before this index never closes (a blank
    /// line or the end of the body comes first). Remembering this keeps
    /// the whole parse linear however many `<!--` a paragraph holds.
    unclosed_before: usize,
}

impl Scanner<'_> {
    /// `text` (part of line `index`) with its HTML comments removed, and
    /// whether a comment opened in it stays open past the end of the line.
    fn visible(&mut self, text: &str, index: usize) -> (String, bool) {
        let mut visible = String::new();
        let mut rest = text;
        while let Some(open) = find_comment_open(rest) {
            // `<!-->` and `<!--->` are complete (empty) comments.
            match rest[open + 2..].find("-->") {
                Some(close) => {
                    visible.push_str(&rest[..open]);
                    rest = &rest[open + 2 + close + 3..];
                }
                None if self.comment_closes(index) => {
                    visible.push_str(&rest[..open]);
                    return (visible, true);
                }
                // Never closed: Markdown shows `<!--` as text.
                None => break,
            }
        }
        visible.push_str(rest);
        (visible, false)
    }

    /// Whether a comment left open at the end of line `index` is closed by
    /// `-->` on a later line before a blank line.
    fn comment_closes(&mut self, index: usize) -> bool {
        if index < self.unclosed_before {
            return false;
        }
        for (later, line) in self.lines.iter().enumerate().skip(index + 1) {
            if line.contains("-->") {
                return true;
            }
            if line.trim().is_empty() {
                self.unclosed_before = later;
                return false;
            }
        }
        self.unclosed_before = self.lines.len();
        false
    }
}

/// Byte offset of the first `<!--` in `text` that is not inside an inline code
/// span (a run of backticks closed by a run of the same length on this line).
fn find_comment_open(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            i += run;
            if let Some(close) = find_backtick_run(&bytes[i..], run) {
                i += close + run;
            }
        } else if bytes[i..].starts_with(b"<!--") {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// Offset of the first run of exactly `run` backticks in `bytes`.
fn find_backtick_run(bytes: &[u8], run: usize) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let len = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if len == run {
                return Some(i);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(reason: &str) -> Command {
        Command::Object {
            reason: reason.to_owned(),
        }
    }

    fn extend(arg: &str, secs: Option<u64>) -> Command {
        Command::Extend {
            arg: arg.to_owned(),
            duration: secs.map(Duration::from_secs),
        }
    }

    use Command::{Approve, Cancel, Withdraw};

    #[test]
    fn every_name_parses_to_its_command() {
        for name in NAMES {
            let parsed = parse_commands(&format!("{name} 1d"));
            assert_eq!(parsed.len(), 1, "{name}");
            assert_eq!(parsed[0].name(), name);
        }
    }

    /// Runs a table of `(body, expected commands)`.
    fn check(cases: &[(&str, Vec<Command>)]) {
        for (body, expected) in cases {
            assert_eq!(&parse_commands(body), expected, "body {body:?}");
        }
    }

    #[test]
    fn each_command() {
        check(&[
            (
                "/object this breaks the API",
                vec![object("this breaks the API")],
            ),
            ("/object", vec![object("")]),
            ("/object   ", vec![object("")]),
            ("/withdraw", vec![Withdraw]),
            ("/approve", vec![Approve]),
            ("/cancel", vec![Cancel]),
            ("/extend 2d", vec![extend("2d", Some(2 * 86_400))]),
            ("/extend 1d12h", vec![extend("1d12h", Some(36 * 3_600))]),
            ("/extend", vec![extend("", None)]),
            ("/extend soon", vec![extend("soon", None)]),
            ("/extend 2 days", vec![extend("2 days", None)]),
            ("/extend 30", vec![extend("30", None)]),
        ]);
    }

    #[test]
    fn word_boundaries_and_case() {
        check(&[
            ("/Object no", vec![object("no")]),
            ("/OBJECT no", vec![object("no")]),
            ("/APPROVE", vec![Approve]),
            ("/Extend 3D", vec![extend("3D", Some(3 * 86_400))]),
            ("/objection", vec![]),
            ("/object:", vec![]),
            ("/object: no", vec![]),
            ("/approved", vec![]),
            ("/approve.", vec![]),
            ("/approve!", vec![]),
            ("/cancelled", vec![]),
            ("/extend2d", vec![]),
            ("object", vec![]),
            ("\\/object", vec![]),
            ("/ object", vec![]),
            ("//object", vec![]),
            ("/unknown", vec![]),
            ("/", vec![]),
            // Not the first word of the line.
            ("I /object", vec![]),
            ("- /object", vec![]),
            ("* /approve", vec![]),
            ("1. /approve", vec![]),
            ("# /object", vec![]),
            ("**/object**", vec![]),
            ("`/object`", vec![]),
            ("x `/object`", vec![]),
            // Any whitespace ends the word: tab, no-break space.
            ("/object\tbecause", vec![object("because")]),
            ("/object\u{a0}because", vec![object("because")]),
            ("/approve\u{3000}", vec![Approve]),
        ]);
    }

    #[test]
    fn reason_is_rest_of_line_trimmed() {
        check(&[
            ("/object   too risky   ", vec![object("too risky")]),
            ("/object a\tb  c", vec![object("a\tb  c")]),
            ("/object see #123, @alice", vec![object("see #123, @alice")]),
            ("/object 日本語の理由 🚫", vec![object("日本語の理由 🚫")]),
            ("/object reason\nmore text", vec![object("reason")]),
            ("/object /approve", vec![object("/approve")]),
            ("/approve /object", vec![Approve]),
            ("/extend  72h  ", vec![extend("72h", Some(72 * 3_600))]),
            ("/extend 72h please", vec![extend("72h please", None)]),
        ]);
    }

    #[test]
    fn indentation() {
        check(&[
            (" /object a", vec![object("a")]),
            ("  /object a", vec![object("a")]),
            ("   /object a", vec![object("a")]),
            ("    /object a", vec![]),
            ("        /object a", vec![]),
            ("\t/object a", vec![]),
            (" \t/object a", vec![]),
            ("   \t/object a", vec![]),
        ]);
    }

    #[test]
    fn unicode_spaces_and_invisible_characters() {
        check(&[
            // Unicode whitespace before the word counts like a space...
            ("\u{a0}/object a", vec![object("a")]),
            ("\u{3000}/approve", vec![Approve]),
            ("\u{2003}\u{2009}/cancel", vec![Cancel]),
            (" \u{a0} /object a", vec![object("a")]),
            // ...so the 3-column limit still holds.
            ("\u{a0}\u{a0}\u{a0}\u{a0}/object a", vec![]),
            ("  \u{a0}\u{a0}/object a", vec![]),
            ("\u{a0}\t/object a", vec![]),
            // Invisible characters count as nothing, before or inside the word.
            ("\u{200b}/object a", vec![object("a")]),
            ("\u{feff}/object a", vec![object("a")]),
            ("\u{200e}\u{202e}\u{2066}/approve", vec![Approve]),
            ("/obj\u{200b}ect a", vec![object("a")]),
            ("/ob\u{ad}ject a", vec![object("a")]),
            ("/approve\u{200d}", vec![Approve]),
            (
                "\u{200b}\u{200b}\u{200b}\u{200b}\u{200b}/object a",
                vec![object("a")],
            ),
            ("   \u{200b}/object a", vec![object("a")]),
            ("\u{a0}\u{a0}\u{a0}\u{200b}/object a", vec![object("a")]),
            // Invisible characters around the reason are trimmed.
            ("/object \u{200b}a\u{200b}", vec![object("a")]),
            // A visible word stays a different word.
            ("/object\u{200b}reason", vec![]),
            ("x\u{200b}/object", vec![]),
            // Only spaces and tabs make indented code, as in CommonMark: these
            // are paragraphs whose first word a reader sees.
            ("\u{a0}```\n/object a", vec![object("a")]),
            ("\u{200b}```\n/object a\n```", vec![object("a")]),
            ("\u{a0}> /object", vec![]),
            // A quote or fence is not hidden by a zero-width space inside it.
            ("> \u{200b}/object", vec![]),
            ("```\n\u{a0}/object\n```", vec![]),
        ]);
    }

    #[test]
    fn raw_html_blocks_are_not_commands() {
        check(&[
            ("<pre>\n/object\n</pre>\n/approve", vec![Approve]),
            ("<PRE>\n/object\n</PRE>\n/approve", vec![Approve]),
            (
                "<pre class=\"x\">\n/object\n</pre>\n/approve",
                vec![Approve],
            ),
            ("   <pre>\n/object\n</pre>\n/approve", vec![Approve]),
            ("<pre>\n\n/object\n\n</pre>\n/approve", vec![Approve]),
            ("<pre>/object</pre>\n/approve", vec![Approve]),
            (
                "<pre>\n/object\nthe end</pre> after\n/approve",
                vec![Approve],
            ),
            ("<textarea>\n/object\n</textarea>\n/approve", vec![Approve]),
            ("<script>\n/object\n</script>\n/approve", vec![Approve]),
            ("<style>\n/object\n</style>\n/approve", vec![Approve]),
            // Any of the closing tags ends the block (CommonMark).
            ("<pre>\n/object\n</style>\n/approve", vec![Approve]),
            // Unclosed: runs to the end.
            ("<pre>\n/object\n/approve", vec![]),
            // Not a raw HTML block: other tags, or a longer name.
            ("<prefix>\n/object a", vec![object("a")]),
            ("<p>\n/object a\n</p>", vec![object("a")]),
            ("    <pre>\n/object a\n</pre>", vec![object("a")]),
            ("text <pre>\n/object a", vec![object("a")]),
            // Inside a fence, `<pre>` means nothing.
            ("```\n<pre>\n```\n/approve", vec![Approve]),
        ]);
    }

    #[test]
    fn details_blocks_hold_commands() {
        // GitHub shows a `<details>` block's content once it is expanded:
        // commands there count.
        check(&[
            (
                "<details>\n<summary>More</summary>\n\n/object hidden but there\n\n</details>",
                vec![object("hidden but there")],
            ),
            (
                "<details open>\n/object a\n</details>\n/approve",
                vec![object("a"), Approve],
            ),
            ("<details><summary>/object</summary></details>", vec![]),
            (
                "<details>\n\n```\n/object\n```\n\n</details>\n/approve",
                vec![Approve],
            ),
            (
                "<details>\n<pre>\n/object\n</pre>\n</details>\n/approve",
                vec![Approve],
            ),
        ]);
    }

    #[test]
    fn several_commands_in_line_order() {
        check(&[
            (
                "/object first\n/approve\n/withdraw\n/extend 1h\n/cancel\n/object second",
                vec![
                    object("first"),
                    Approve,
                    Withdraw,
                    extend("1h", Some(3_600)),
                    Cancel,
                    object("second"),
                ],
            ),
            ("/approve\n/approve", vec![Approve, Approve]),
            (
                "Thanks!\n\n/object needs a changelog entry\n\nOtherwise fine.",
                vec![object("needs a changelog entry")],
            ),
        ]);
    }

    #[test]
    fn crlf_line_endings() {
        check(&[
            ("/object a\r\n/approve\r\n", vec![object("a"), Approve]),
            ("/object\r\n", vec![object("")]),
            ("/extend 2d\r\n", vec![extend("2d", Some(2 * 86_400))]),
            ("```\r\n/object\r\n```\r\n/approve\r\n", vec![Approve]),
            // A lone `\r` is a line break too (CommonMark).
            ("/approve\r/object", vec![Approve, object("")]),
            ("/object a\r\r/approve", vec![object("a"), Approve]),
            // `\r\n` is one line break: no blank line between these two, so
            // the comment closes and hides `/object`.
            ("x <!-- a\r\n/object\r\n-->\r\n/approve", vec![Approve]),
        ]);
    }

    #[test]
    fn fenced_code_blocks() {
        check(&[
            ("```\n/object\n```", vec![]),
            ("```\n/object\n```\n/approve", vec![Approve]),
            ("~~~\n/object\n~~~\n/approve", vec![Approve]),
            ("```rust\n/object\n```\n/approve", vec![Approve]),
            (
                "``` text with spaces\n/object\n```\n/approve",
                vec![Approve],
            ),
            (
                "~~~ info with ` backtick\n/object\n~~~\n/approve",
                vec![Approve],
            ),
            // Fences may be indented up to 3 spaces, open or close.
            ("   ```\n/object\n```\n/approve", vec![Approve]),
            ("```\n/object\n   ```\n/approve", vec![Approve]),
            // An indented `/object` inside a fence is still code.
            ("```\n  /object\n```\n/approve", vec![Approve]),
            // Closing needs the same character...
            ("```\n~~~\n/object\n```\n/approve", vec![Approve]),
            ("~~~\n```\n/object\n~~~\n/approve", vec![Approve]),
            // ...at least as many of them...
            ("````\n```\n/object\n````\n/approve", vec![Approve]),
            ("```\n/object\n`````\n/approve", vec![Approve]),
            // ...and nothing else on the line.
            ("```\n``` x\n/object\n```\n/approve", vec![Approve]),
            ("```\n/object\n```   \n/approve", vec![Approve]),
            // Unclosed: runs to the end.
            ("```\n/object\n/approve", vec![]),
            ("/approve\n```", vec![Approve]),
            // Two backticks are not a fence.
            ("``\n/object", vec![object("")]),
            // Backticks in a backtick info string: inline code, not a fence.
            ("```foo```\n/object", vec![object("")]),
            (
                "```\n/object\n```\n```\n/approve\n```\n/cancel",
                vec![Cancel],
            ),
        ]);
    }

    #[test]
    fn indented_fence_lines_are_code() {
        // A fence indented 4 spaces is itself indented code; it opens nothing,
        // so the unindented line between the two is a command.
        check(&[("    ```\n/object\n    ```", vec![object("")])]);
    }

    #[test]
    fn block_quotes() {
        check(&[
            ("> /object", vec![]),
            (">/object", vec![]),
            ("   > /object", vec![]),
            ("> > /object", vec![]),
            ("> quoted\n/object mine", vec![object("mine")]),
            ("> /object theirs\n\n/approve", vec![Approve]),
            ("> ```\n> /object\n> ```\n/approve", vec![Approve]),
        ]);
    }

    #[test]
    fn html_comments() {
        check(&[
            ("<!-- /object -->", vec![]),
            ("<!--\n/object\n-->", vec![]),
            ("<!--\n/object\n-->\n/approve", vec![Approve]),
            ("<!-- note -->\n/approve", vec![Approve]),
            ("   <!--\n/object\n-->\n/approve", vec![Approve]),
            ("<!--\n/object\n\n/withdraw\n-->\n/approve", vec![Approve]),
            // A comment at the start of a line runs to the end if unclosed.
            ("<!--\n/object\n/approve", vec![]),
            // Mid-line, closed later before a blank line: hidden.
            ("text <!-- hidden\n/object\n-->\n/approve", vec![Approve]),
            ("/approve <!-- hidden\n/object\n-->", vec![Approve]),
            // Mid-line, never closed before a blank line: shown as text.
            ("text <!-- not a comment\n/object", vec![object("")]),
            (
                "text <!-- not a comment\n/object\n\n-->\n/approve",
                vec![object(""), Approve],
            ),
            // Comments removed from a reason.
            (
                "/object too risky <!-- internal -->",
                vec![object("too risky")],
            ),
            ("/object a <!-- x --> b", vec![object("a  b")]),
            ("/object<!-- x -->", vec![object("")]),
            ("/object<!-- x -->now", vec![]),
            ("/object a <!-- x\n-->", vec![object("a")]),
            // Empty comments `<!-->` and `<!--->` close at once.
            ("x <!--> y\n/approve", vec![Approve]),
            ("x <!---> y\n/approve", vec![Approve]),
            ("<!-->\n/approve", vec![Approve]),
            // After `-->` the line continues; another comment may open.
            (
                "x <!-- a\n--> y <!-- b\n/object\n-->\n/approve",
                vec![Approve],
            ),
            ("x <!-- a\n--> y\n/approve", vec![Approve]),
            // `<!--` inside inline code is not a comment.
            ("use `<!--` to hide\n/object\n-->", vec![object("")]),
            ("use ``a ` <!--`` x\n/object\n-->", vec![object("")]),
            // An unmatched backtick does not hide a comment after it.
            ("a ` b <!-- c\n/object\n-->\n/approve", vec![Approve]),
            // Inside a fence, `<!--` means nothing.
            ("```\n<!--\n```\n/approve\n-->", vec![Approve]),
        ]);
    }

    #[test]
    fn status_comment_and_templates() {
        let template =
            "<!--\nTo object, comment `/object <reason>`.\n/object example\n-->\n\n### Summary\n";
        check(&[
            (template, vec![]),
            (&format!("{template}/approve"), vec![Approve]),
            ("<!-- tacit:intent -->\n**intent-to-merge** by @a", vec![]),
        ]);
    }

    #[test]
    fn odd_input_never_panics() {
        let long_line = "a".repeat(200_000);
        let long_reason = format!("/object {long_line}");
        let many_lines = "/approve\n".repeat(10_000);
        let many_comment_opens = "x <!--\n".repeat(5_000) + "\n-->";
        let inputs: Vec<String> = vec![
            String::new(),
            "\n".into(),
            "\r\n\r\n".into(),
            "`".into(),
            "``".into(),
            "```".into(),
            "````````````````".into(),
            "~".into(),
            ">".into(),
            "<".into(),
            "<!-".into(),
            "<!--".into(),
            "-->".into(),
            "<!--->".into(),
            "/".into(),
            "\t".into(),
            " \t \t".into(),
            "\u{feff}/object".into(),
            "\u{200b}/object".into(),
            "é`é``é```é".into(),
            "🦀/object🦀\n/object🦀 🦀".into(),
            "/extend ١٢h".into(),
            "/extend 99999999999999999999w".into(),
            "\0/object\0".into(),
            "```\u{301}\n/object".into(),
            "<!--é\n-->é".into(),
            long_line.clone(),
            long_reason.clone(),
            format!("`{long_line}"),
            format!("<!--{long_line}"),
            many_lines.clone(),
            many_comment_opens.clone(),
        ];
        for input in &inputs {
            let _ = parse_commands(input);
        }
        assert_eq!(parse_commands(&long_reason), vec![object(&long_line)]);
        assert_eq!(parse_commands(&many_lines).len(), 10_000);
        assert_eq!(parse_commands("🦀/object🦀\n/object🦀 🦀"), vec![]);
        assert_eq!(parse_commands("/object 🦀 🦀"), vec![object("🦀 🦀")]);
        assert_eq!(
            parse_commands("/extend 99999999999999999999w"),
            vec![extend("99999999999999999999w", None)]
        );
    }

    #[test]
    fn many_unclosed_comment_opens_stay_linear() {
        // Each line opens a comment that a blank line makes literal; the
        // commands in between are visible. Quadratic rescanning would make
        // this slow; the memo in `Scanner` keeps it linear.
        let body = "x <!--\n/approve\n".repeat(50_000) + "\n-->";
        assert_eq!(parse_commands(&body).len(), 50_000);
    }

    #[test]
    fn commands_serialize() {
        let commands = parse_commands("/object a\n/extend 1h\n/approve");
        let json = serde_json::to_string(&commands).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<Command>>(&json).unwrap(),
            commands
        );
    }
}
