//! `tacit::core::config::RepoConfig::parse` on arbitrary `tacit.yml` text.
//!
//! Invariants (a violation panics, so libFuzzer records a crash):
//! - it never panics and is deterministic;
//! - on success: at least one intent; labels trimmed, not empty, at most 50
//!   characters and distinct ignoring case; `policy(label)` is `Some` and is
//!   that intent, also with the label's ASCII case changed; every value is
//!   within the bounds of SPEC section 5 (window 1s..=90d, after_objection
//!   0s..=90d, whole seconds, objectors >= triage, authors >= write,
//!   merge_method only for merge, add_label only for accept and never an
//!   intent label, holidays sorted without duplicates, a known time zone,
//!   bot logins without whitespace, file-wide settings equal in every
//!   intent); each `Policy` and the whole config survive a serde_json round
//!   trip; and writing the config back as YAML parses to the same config;
//! - on failure: `Display` and `message` are not empty, and a position, when
//!   given, is 1-based with a line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::fmt::Write as _;
use std::time::Duration;
use tacit::core::config::{
    Action, MAX_AFTER_OBJECTION, MAX_LABEL_CHARS, MAX_WINDOW, MIN_WINDOW, Policy, RepoConfig, Role,
};
use tacit::core::duration::format_duration;

fn lower(s: &str) -> Vec<char> {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// A YAML double-quoted scalar, ASCII only (everything else escaped).
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => write!(out, "\\U{:08X}", c as u32).unwrap(),
        }
    }
    out.push('"');
    out
}

fn secs(d: Duration) -> String {
    quoted(&format_duration(d))
}

/// `config` written back as `tacit.yml`: file-wide settings at the top, every
/// per-intent value spelled out in each intent.
fn to_yaml(config: &RepoConfig) -> String {
    let first = &config.intents[0];
    let mut y = String::new();
    writeln!(y, "timezone: {}", quoted(&first.timezone)).unwrap();
    writeln!(y, "business_days: {}", first.business_days).unwrap();
    writeln!(y, "restart_on_push: {}", first.restart_on_push).unwrap();
    let holidays: Vec<String> = first
        .holidays
        .iter()
        .map(|d| quoted(&d.to_string()))
        .collect();
    writeln!(y, "holidays: [{}]", holidays.join(", ")).unwrap();
    let bots: Vec<String> = first.bots.iter().map(|b| quoted(b)).collect();
    writeln!(y, "bots: [{}]", bots.join(", ")).unwrap();
    y.push_str("intents:\n");
    for p in &config.intents {
        writeln!(y, "  {}:", quoted(&p.label)).unwrap();
        writeln!(y, "    action: {}", p.action.as_str()).unwrap();
        writeln!(y, "    window: {}", secs(p.window)).unwrap();
        writeln!(y, "    after_objection: {}", secs(p.after_objection)).unwrap();
        writeln!(y, "    approvals: {}", p.approvals).unwrap();
        writeln!(y, "    objectors: {}", p.objectors.as_str()).unwrap();
        writeln!(y, "    authors: {}", p.authors.as_str()).unwrap();
        writeln!(y, "    close_reason: {}", p.close_reason.as_str()).unwrap();
        if let Some(m) = p.merge_method {
            writeln!(y, "    merge_method: {}", m.as_str()).unwrap();
        }
        if let Some(l) = &p.add_label {
            writeln!(y, "    add_label: {}", quoted(l)).unwrap();
        }
    }
    y
}

fn check_label(label: &str) {
    assert!(!label.is_empty(), "empty label");
    assert_eq!(label.trim(), label, "label not trimmed");
    assert!(
        label.chars().count() <= MAX_LABEL_CHARS,
        "label {label:?} too long"
    );
}

fn check_policy(config: &RepoConfig, p: &Policy) {
    check_label(&p.label);
    for spelling in [
        p.label.clone(),
        p.label.to_ascii_lowercase(),
        p.label.to_ascii_uppercase(),
    ] {
        assert_eq!(
            config.policy(&spelling).as_ref(),
            Some(p),
            "policy({spelling:?})"
        );
    }
    assert!(
        MIN_WINDOW <= p.window && p.window <= MAX_WINDOW,
        "window {p:?}"
    );
    assert!(
        p.after_objection <= MAX_AFTER_OBJECTION,
        "after_objection {p:?}"
    );
    assert_eq!(p.window.subsec_nanos(), 0);
    assert_eq!(p.after_objection.subsec_nanos(), 0);
    assert!(p.objectors >= Role::Triage, "objectors {p:?}");
    assert!(p.authors >= Role::Write, "authors {p:?}");
    assert!(
        p.merge_method.is_none() || p.action == Action::Merge,
        "merge_method on {p:?}"
    );
    if let Some(add) = &p.add_label {
        assert_eq!(p.action, Action::Accept, "add_label on {p:?}");
        check_label(add);
        assert!(
            config.intents.iter().all(|q| lower(&q.label) != lower(add)),
            "add_label {add:?} is an intent label"
        );
    }
    assert!(
        p.holidays.windows(2).all(|w| w[0] < w[1]),
        "holidays not sorted/unique"
    );
    assert!(
        jiff::tz::TimeZone::get(&p.timezone).is_ok(),
        "unknown time zone {:?}",
        p.timezone
    );
    for bot in &p.bots {
        assert!(
            !bot.is_empty() && !bot.contains(char::is_whitespace),
            "bot {bot:?}"
        );
    }
    let json = serde_json::to_string(p).expect("policy serializes");
    let back: Policy = serde_json::from_str(&json).expect("policy deserializes");
    assert_eq!(&back, p, "Policy serde_json round trip");
}

fuzz_target!(|data: &[u8]| {
    let Ok(yaml) = std::str::from_utf8(data) else {
        return;
    };
    let result = RepoConfig::parse(yaml);
    assert_eq!(RepoConfig::parse(yaml), result, "not deterministic");
    match result {
        Ok(config) => {
            assert!(!config.intents.is_empty(), "no intents");
            for (i, p) in config.intents.iter().enumerate() {
                for q in &config.intents[..i] {
                    assert_ne!(lower(&p.label), lower(&q.label), "labels not distinct");
                }
                check_policy(&config, p);
                let first = &config.intents[0];
                assert_eq!(p.timezone, first.timezone);
                assert_eq!(p.business_days, first.business_days);
                assert_eq!(p.holidays, first.holidays);
                assert_eq!(p.bots, first.bots);
                assert_eq!(p.restart_on_push, first.restart_on_push);
            }
            let json = serde_json::to_string(&config).expect("config serializes");
            let back: RepoConfig = serde_json::from_str(&json).expect("config deserializes");
            assert_eq!(back, config, "RepoConfig serde_json round trip");

            let written = to_yaml(&config);
            match RepoConfig::parse(&written) {
                Ok(again) => assert_eq!(again, config, "written back:\n{written}"),
                Err(e) => panic!("written back does not parse: {e}\n{written}"),
            }
        }
        Err(e) => {
            assert!(!e.to_string().trim().is_empty(), "empty error Display");
            assert!(!e.message.trim().is_empty(), "empty error message: {e:?}");
            assert!(e.line.is_none_or(|l| l >= 1), "line 0: {e:?}");
            assert!(e.column.is_none_or(|c| c >= 1), "column 0: {e:?}");
            assert!(
                e.column.is_none() || e.line.is_some(),
                "column without line"
            );
        }
    }
});
