//! Durations as people write them in `.github/tacit.yml` and in `/extend`:
//! `30s`, `15m`, `72h`, `3d`, `1w`, `1d12h`, `2w3d`.
//!
//! Pure: no I/O, no clock. Everything here is a function of its arguments.
//!
//! Grammar: one or more `<number><unit>` groups with no space between them,
//! units `w` (7 days), `d` (24 hours), `h`, `m`, `s`, each at most once and in
//! that (descending) order. Case-insensitive; surrounding whitespace is
//! ignored. A bare number (`30`) is refused on purpose: `30` minutes or `30`
//! days is exactly the kind of ambiguity a config file must not have.
//!
//! A "day" here is always 24 hours of counted time; whether those are
//! wall-clock or business hours is decided by `super::business`.

use std::fmt;
use std::time::Duration;

/// Units, largest first, with their length in seconds.
const UNITS: [(char, u64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// The example list every error message ends with, so that a user always sees
/// what a valid value looks like.
const EXAMPLES: &str = "like 30s, 15m, 72h, 3d, 1w or 1d12h";

/// At most this many characters of the user's input are quoted back in an
/// error (an `/extend` line can be arbitrarily long).
const QUOTE_MAX: usize = 40;

/// Why a string is not a duration. The `Display` text is meant to be shown to
/// the person who wrote the value, as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing (or only whitespace) was given.
    #[error("a duration is missing: use a number and a unit, {EXAMPLES}")]
    Empty,
    /// A number without a unit, such as `30`.
    #[error("\"{0}\" has no unit: add s, m, h, d or w, {EXAMPLES}")]
    MissingUnit(String),
    /// Anything that is not `<number><unit>...`: unknown units, signs,
    /// decimals, spaces inside, words.
    #[error("\"{0}\" is not a duration: use a number and a unit, {EXAMPLES}")]
    Invalid(String),
    /// A unit repeated or out of order, such as `12h1d` or `1h1h`.
    #[error("\"{0}\" is not a duration: write each unit once, largest first, like 1d12h or 2w3d")]
    UnitOrder(String),
    /// The value does not fit in a duration.
    #[error("\"{0}\" is too long a duration")]
    Overflow(String),
}

/// Parses `30s`, `15m`, `72h`, `3d`, `1w`, `1d12h`, `2w3d`, ... (see the
/// module documentation for the exact grammar). `0s` is a valid, zero
/// duration; bounds such as "at least 1s" belong to the caller.
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    let quoted = || quote(trimmed);

    let mut total: u64 = 0;
    // Index into UNITS of the next unit allowed (units must strictly descend).
    let mut next_unit = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(DurationError::Invalid(quoted()));
        }
        let (number, after) = rest.split_at(digits);
        let Some(unit) = after.chars().next() else {
            // Trailing digits with no unit: "30", or "1d12".
            return Err(if next_unit == 0 {
                DurationError::MissingUnit(quoted())
            } else {
                DurationError::Invalid(quoted())
            });
        };
        let unit = unit.to_ascii_lowercase();
        let Some(index) = UNITS.iter().position(|&(c, _)| c == unit) else {
            return Err(DurationError::Invalid(quoted()));
        };
        if index < next_unit {
            return Err(DurationError::UnitOrder(quoted()));
        }
        next_unit = index + 1;

        // Only ASCII digits here, so the parse can fail only by overflow.
        let value: u64 = number
            .parse()
            .map_err(|_| DurationError::Overflow(quoted()))?;
        total = value
            .checked_mul(UNITS[index].1)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| DurationError::Overflow(quoted()))?;
        rest = &after[unit.len_utf8()..];
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration compactly, largest units first, in whole seconds
/// (sub-second parts are dropped): `72h` -> `3d`, `36h` -> `1d12h`,
/// `90s` -> `1m30s`, zero -> `0s`.
///
/// Days are the largest unit written (`14d`, `90d`, never `2w` or `12w6d`):
/// people read "14d" faster than "2w". The output always parses back with
/// [`parse_duration`] to the same whole-second duration.
pub fn format_duration(d: Duration) -> String {
    FormatDuration(d).to_string()
}

/// `Display` adapter behind [`format_duration`], usable in `format!` without
/// an intermediate `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatDuration(pub Duration);

impl fmt::Display for FormatDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut secs = self.0.as_secs();
        if secs == 0 {
            return f.write_str("0s");
        }
        // Skip weeks: see `format_duration`.
        for &(unit, len) in &UNITS[1..] {
            let n = secs / len;
            if n > 0 {
                write!(f, "{n}{unit}")?;
                secs %= len;
            }
        }
        Ok(())
    }
}

/// Quotes at most `QUOTE_MAX` characters of user input for an error message.
fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTE_MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// `#[serde(with = "super::duration::serde_secs")]`: a `Duration` stored as a
/// whole number of seconds (sub-second parts are dropped). This is the form of
/// stored snapshots, not of `tacit.yml` (which uses `72h`-style strings).
pub mod serde_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1;
    const M: u64 = 60;
    const H: u64 = 3_600;
    const D: u64 = 86_400;
    const W: u64 = 7 * D;

    #[test]
    fn parses_valid_durations() {
        let cases: &[(&str, u64)] = &[
            ("30s", 30 * S),
            ("15m", 15 * M),
            ("72h", 72 * H),
            ("3d", 3 * D),
            ("1w", W),
            ("1d12h", D + 12 * H),
            ("2w3d", 2 * W + 3 * D),
            ("1w1d1h1m1s", W + D + H + M + S),
            ("1h30m", H + 30 * M),
            ("1m30s", M + 30 * S),
            ("0s", 0),
            ("0d", 0),
            ("00012h", 12 * H),
            ("90d", 90 * D),
            ("100000h", 100_000 * H),
            // Case-insensitive, whitespace around is trimmed.
            ("72H", 72 * H),
            ("1D12H", D + 12 * H),
            ("2W3d", 2 * W + 3 * D),
            ("  3d  ", 3 * D),
            ("\t1h\r\n", H),
        ];
        for &(input, secs) in cases {
            assert_eq!(
                parse_duration(input),
                Ok(Duration::from_secs(secs)),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn rejects_invalid_durations() {
        use DurationError::*;
        let cases: &[(&str, DurationError)] = &[
            ("", Empty),
            ("   ", Empty),
            ("30", MissingUnit("30".into())),
            (" 0 ", MissingUnit("0".into())),
            ("1d12", Invalid("1d12".into())),
            ("3x", Invalid("3x".into())),
            ("h", Invalid("h".into())),
            ("d3", Invalid("d3".into())),
            ("-3d", Invalid("-3d".into())),
            ("+3d", Invalid("+3d".into())),
            ("1.5h", Invalid("1.5h".into())),
            ("1d 12h", Invalid("1d 12h".into())),
            ("3 d", Invalid("3 d".into())),
            ("3days", Invalid("3days".into())),
            ("3d!", Invalid("3d!".into())),
            ("72h please", Invalid("72h please".into())),
            ("١٢h", Invalid("١٢h".into())), // non-ASCII digits
            ("3ｄ", Invalid("3ｄ".into())), // fullwidth d
            ("12h1d", UnitOrder("12h1d".into())),
            ("1h1h", UnitOrder("1h1h".into())),
            ("1s1m", UnitOrder("1s1m".into())),
            ("1d1w", UnitOrder("1d1w".into())),
            (
                "99999999999999999999s",
                Overflow("99999999999999999999s".into()),
            ),
            (
                "18446744073709551615w",
                Overflow("18446744073709551615w".into()),
            ),
            (
                "18446744073709551615s1s",
                UnitOrder("18446744073709551615s1s".into()),
            ),
            ("30500568904943w1w", UnitOrder("30500568904943w1w".into())),
            ("30500568904943w6d", Overflow("30500568904943w6d".into())),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_duration(input).as_ref(),
                Err(expected),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn largest_value_that_fits() {
        assert_eq!(
            parse_duration("18446744073709551615s"),
            Ok(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_duration("30500568904943w25215s"),
            Ok(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn error_messages_tell_the_user_what_to_write() {
        let cases: &[(&str, &str)] = &[
            (
                "3x",
                "\"3x\" is not a duration: use a number and a unit, like 30s, 15m, 72h, 3d, 1w or 1d12h",
            ),
            (
                "30",
                "\"30\" has no unit: add s, m, h, d or w, like 30s, 15m, 72h, 3d, 1w or 1d12h",
            ),
            (
                "",
                "a duration is missing: use a number and a unit, like 30s, 15m, 72h, 3d, 1w or 1d12h",
            ),
            (
                "12h1d",
                "\"12h1d\" is not a duration: write each unit once, largest first, like 1d12h or 2w3d",
            ),
            (
                "99999999999999999999s",
                "\"99999999999999999999s\" is too long a duration",
            ),
        ];
        for &(input, message) in cases {
            assert_eq!(
                parse_duration(input).unwrap_err().to_string(),
                message,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn long_input_is_quoted_shortened() {
        let input = format!("{}x", "1".repeat(10_000));
        let err = parse_duration(&input).unwrap_err();
        let DurationError::Invalid(quoted) = &err else {
            panic!("unexpected {err:?}");
        };
        assert_eq!(quoted.chars().count(), QUOTE_MAX + 1);
        assert!(quoted.ends_with('…'));
        // Multi-byte characters are cut on a character boundary.
        let err = parse_duration(&"é".repeat(100)).unwrap_err();
        assert_eq!(
            err,
            DurationError::Invalid(format!("{}…", "é".repeat(QUOTE_MAX)))
        );
    }

    #[test]
    fn formats_compactly() {
        let cases: &[(u64, &str)] = &[
            (0, "0s"),
            (1, "1s"),
            (59, "59s"),
            (60, "1m"),
            (90, "1m30s"),
            (H, "1h"),
            (H + 1, "1h1s"),
            (36 * H, "1d12h"),
            (72 * H, "3d"),
            (W, "7d"),
            (14 * D, "14d"),
            (90 * D, "90d"),
            (D + H + M + S, "1d1h1m1s"),
            (D + S, "1d1s"),
        ];
        for &(secs, expected) in cases {
            assert_eq!(
                format_duration(Duration::from_secs(secs)),
                expected,
                "secs {secs}"
            );
        }
    }

    #[test]
    fn format_drops_subseconds() {
        assert_eq!(format_duration(Duration::from_millis(999)), "0s");
        assert_eq!(format_duration(Duration::from_millis(90_500)), "1m30s");
        assert_eq!(
            format!("{}", FormatDuration(Duration::from_secs(3600))),
            "1h"
        );
    }

    #[test]
    fn format_then_parse_round_trips() {
        let samples = [
            0,
            1,
            59,
            61,
            3599,
            3601,
            86_399,
            86_401,
            90 * D + 1,
            1_234_567_890,
            u64::MAX,
        ];
        for secs in samples {
            let d = Duration::from_secs(secs);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "secs {secs}");
        }
    }

    #[test]
    fn serde_secs_stores_whole_seconds() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Snapshot {
            #[serde(with = "serde_secs")]
            window: Duration,
        }
        let snap = Snapshot {
            window: Duration::from_secs(72 * H),
        };
        let json = serde_json::to_string(&snap).unwrap();
        assert_eq!(json, r#"{"window":259200}"#);
        assert_eq!(serde_json::from_str::<Snapshot>(&json).unwrap(), snap);
        assert!(serde_json::from_str::<Snapshot>(r#"{"window":-1}"#).is_err());
        assert!(serde_json::from_str::<Snapshot>(r#"{"window":"72h"}"#).is_err());
    }
}
