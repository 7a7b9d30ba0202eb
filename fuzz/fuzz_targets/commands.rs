//! `tacit::core::commands::parse_commands` on arbitrary comment bodies.
//!
//! Invariants (a violation panics, so libFuzzer records a crash):
//! - it never panics and is deterministic;
//! - at most one command per line; an `/object` reason or `/extend` argument
//!   is trimmed and single-line; `/extend`'s duration is exactly
//!   `parse_duration(arg).ok()`;
//! - `\r\n` and a lone `\r` read exactly like `\n`;
//! - a `/approve` line and a blank line put before the body add exactly one
//!   `Approve` in front and change nothing else;
//! - the whole body inside a `~~~~` fence, an HTML comment, a block quote, or
//!   indented 4 spaces yields no command;
//! - on "plain" bodies (no fence, no `<!--`), the result equals a direct
//!   line-by-line reading of SPEC section 3;
//! - `Vec<Command>` survives a serde_json round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tacit::core::commands::{Command, parse_commands};
use tacit::core::duration::parse_duration;

/// Lines as CommonMark splits them: at `\n`, `\r\n` or a lone `\r`.
fn lines(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        match rest.find(['\n', '\r']) {
            None => {
                out.push(rest);
                return out;
            }
            Some(i) => {
                out.push(&rest[..i]);
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
            }
        }
    }
}

/// SPEC section 3 for a body with no fence and no HTML comment: a command is
/// the first word of a line after at most 3 columns of indentation (a tab
/// advances to the next multiple of 4), not in a `>` quote.
fn plain_reading(body: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for line in lines(body) {
        let mut column = 0;
        let mut start = line.len();
        for (i, c) in line.char_indices() {
            match c {
                ' ' => column += 1,
                '\t' => column = (column / 4 + 1) * 4,
                _ => {
                    start = i;
                    break;
                }
            }
        }
        if column >= 4 {
            continue;
        }
        let content = &line[start..];
        if content.starts_with('>') {
            continue;
        }
        let end = content.find(char::is_whitespace).unwrap_or(content.len());
        let (word, rest) = content.split_at(end);
        let rest = rest.trim().to_owned();
        let command = match word.to_ascii_lowercase().as_str() {
            "/object" => Command::Object { reason: rest },
            "/withdraw" => Command::Withdraw,
            "/approve" => Command::Approve,
            "/cancel" => Command::Cancel,
            "/extend" => Command::Extend {
                duration: parse_duration(&rest).ok(),
                arg: rest,
            },
            _ => continue,
        };
        out.push(command);
    }
    out
}

fn each_line(body: &str, f: impl Fn(&str) -> String) -> String {
    lines(body)
        .into_iter()
        .map(f)
        .collect::<Vec<_>>()
        .join("\n")
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let commands = parse_commands(body);

    assert_eq!(parse_commands(body), commands, "not deterministic");
    let line_count = lines(body).len();
    assert!(
        commands.len() <= line_count,
        "{} commands from {line_count} lines",
        commands.len()
    );
    for command in &commands {
        match command {
            Command::Object { reason } => {
                assert_eq!(reason.trim(), reason, "reason not trimmed");
                assert!(
                    !reason.contains(['\n', '\r']),
                    "multi-line reason {reason:?}"
                );
            }
            Command::Extend { arg, duration } => {
                assert_eq!(arg.trim(), arg, "extend argument not trimmed");
                assert!(!arg.contains(['\n', '\r']), "multi-line argument {arg:?}");
                assert_eq!(*duration, parse_duration(arg).ok(), "extend {arg:?}");
            }
            Command::Withdraw | Command::Approve | Command::Cancel => {}
        }
    }

    // Line endings.
    let unix = body.replace("\r\n", "\n").replace('\r', "\n");
    assert_eq!(parse_commands(&unix), commands, "line endings matter");

    // A command line before the body is independent of it.
    let mut prefixed = vec![Command::Approve];
    prefixed.extend(commands.iter().cloned());
    assert_eq!(
        parse_commands(&format!("/approve\n\n{body}")),
        prefixed,
        "a line before the body changed its commands"
    );

    // Hidden bodies.
    if !body.contains("~~~~") {
        let fenced = format!("~~~~\n{body}\n~~~~");
        assert_eq!(parse_commands(&fenced), vec![], "command inside a fence");
    }
    if !body.contains("-->") {
        let commented = format!("<!--\n{body}\n-->");
        assert_eq!(
            parse_commands(&commented),
            vec![],
            "command inside <!-- -->"
        );
    }
    let quoted = each_line(body, |l| format!("> {l}"));
    assert_eq!(parse_commands(&quoted), vec![], "command inside a quote");
    let indented = each_line(body, |l| format!("    {l}"));
    assert_eq!(
        parse_commands(&indented),
        vec![],
        "command in indented code"
    );

    // Plain bodies: the reading of SPEC section 3, line by line.
    if !body.contains("```") && !body.contains("~~~") && !body.contains("<!--") {
        assert_eq!(commands, plain_reading(body), "plain body read differently");
    }

    let json = serde_json::to_string(&commands).expect("commands serialize");
    let back: Vec<Command> = serde_json::from_str(&json).expect("commands deserialize");
    assert_eq!(back, commands, "serde_json round trip");
});
