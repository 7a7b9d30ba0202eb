//! `tacit::core::duration::{parse_duration, format_duration}`.
//!
//! Invariants (a violation panics, so libFuzzer records a crash):
//! - `parse_duration` never panics on any string;
//! - what parses is whole seconds, and `format_duration` of it parses back to
//!   the same `Duration`; formatting is canonical (format, parse, format
//!   gives the same text) and never uses weeks;
//! - parsing ignores ASCII case and surrounding whitespace;
//! - an error's `Display` is not empty; `Empty` exactly when the input is
//!   blank; the input quoted in an error is a prefix of the trimmed input of
//!   at most 40 characters (plus `…` when cut);
//! - for any whole number of seconds `n` (the input's first 8 bytes) and any
//!   sub-second part, `format_duration` parses back to `n` seconds.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Duration;
use tacit::core::duration::{DurationError, format_duration, parse_duration};

fn round_trip(d: Duration) {
    let text = format_duration(d);
    assert!(!text.contains(['w', 'W']), "{text:?} uses weeks");
    let back = parse_duration(&text)
        .unwrap_or_else(|e| panic!("format_duration({d:?}) = {text:?} does not parse: {e}"));
    assert_eq!(back, Duration::from_secs(d.as_secs()), "{d:?} -> {text:?}");
    assert_eq!(format_duration(back), text, "formatting not canonical");
}

fuzz_target!(|data: &[u8]| {
    if let Some(first) = data.first_chunk::<8>() {
        let secs = u64::from_le_bytes(*first);
        let nanos = data.get(8).map_or(0, |&b| u32::from(b) * 3_921_568);
        round_trip(Duration::new(secs, nanos.min(999_999_999)));
    }

    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match parse_duration(s) {
        Ok(d) => {
            assert_eq!(d.subsec_nanos(), 0, "{s:?} has a sub-second part");
            round_trip(d);
            for variant in [
                s.to_ascii_uppercase(),
                s.to_ascii_lowercase(),
                format!(" \t{s}\n "),
            ] {
                assert_eq!(parse_duration(&variant), Ok(d), "{variant:?} vs {s:?}");
            }
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "empty error for {s:?}");
            let trimmed = s.trim();
            assert_eq!(
                matches!(e, DurationError::Empty),
                trimmed.is_empty(),
                "{s:?}: {e:?}"
            );
            let quoted = match &e {
                DurationError::Empty => None,
                DurationError::MissingUnit(q)
                | DurationError::Invalid(q)
                | DurationError::UnitOrder(q)
                | DurationError::Overflow(q) => Some(q),
            };
            if let Some(q) = quoted {
                let (prefix, cut) = match q.strip_suffix('…') {
                    Some(p) if trimmed.chars().count() > 40 => (p, true),
                    _ => (q.as_str(), false),
                };
                assert!(trimmed.starts_with(prefix), "{q:?} not from {s:?}");
                assert!(prefix.chars().count() <= 40, "{q:?} too long");
                assert_eq!(cut, prefix.len() < trimmed.len(), "{q:?} for {s:?}");
            }
        }
    }
});
