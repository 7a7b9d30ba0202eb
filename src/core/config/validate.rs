//! The checks of single values (logins and teams, labels, durations within bounds,
//! dates, roles), each turning the text into its value or a message for the user.

use super::model::{MAX_LABEL_CHARS, Role};
use crate::core::duration::{format_duration, parse_duration};
use std::time::Duration;

/// GitHub's longest login.
pub(super) const MAX_LOGIN_CHARS: usize = 39;
/// GitHub's longest team slug, generously.
pub(super) const MAX_TEAM_CHARS: usize = 100;

/// A GitHub login (letters, digits, single hyphens inside; at most 39), written with or
/// without `@`, or a team `@org/team-slug`. Logins come out without `@`; teams with it.
pub(super) fn parse_person(s: &str) -> Result<String, String> {
    let invalid = || {
        format!(
            "`{s}` is not a GitHub login or team: write a login, like octocat, or a team, like \"@acme/reviewers\""
        )
    };
    let is_login = |name: &str| {
        !name.is_empty()
            && name.len() <= MAX_LOGIN_CHARS
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !name.starts_with('-')
            && !name.ends_with('-')
            && !name.contains("--")
    };
    let is_slug = |slug: &str| {
        !slug.is_empty()
            && slug.len() <= MAX_TEAM_CHARS
            && slug
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    let s = s.trim();
    match s.strip_prefix('@').unwrap_or(s).split_once('/') {
        Some((org, team)) if s.starts_with('@') && is_login(org) && is_slug(team) => {
            Ok(format!("@{org}/{team}"))
        }
        Some(_) => Err(invalid()),
        None if is_login(s.strip_prefix('@').unwrap_or(s)) => {
            Ok(s.strip_prefix('@').unwrap_or(s).to_owned())
        }
        None => Err(invalid()),
    }
}

/// A label name: surrounding spaces dropped, not empty, within GitHub's
/// length limit.
pub(super) fn parse_label(s: &str) -> Result<String, String> {
    let label = s.trim();
    if label.is_empty() {
        Err("a label name cannot be empty".to_owned())
    } else if label.chars().count() > MAX_LABEL_CHARS {
        Err(format!(
            "`{label}` is longer than {MAX_LABEL_CHARS} characters, GitHub's limit for a label name"
        ))
    } else {
        Ok(label.to_owned())
    }
}

pub(super) fn parse_bounded(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = parse_duration(s).map_err(|e| e.to_string())?;
    if d < min {
        Err(format!(
            "`{}` is too short: use at least {}",
            s.trim(),
            format_duration(min)
        ))
    } else if d > max {
        Err(format!(
            "`{}` is too long: use at most {}",
            s.trim(),
            format_duration(max)
        ))
    } else {
        Ok(d)
    }
}

/// `YYYY-MM-DD`, exactly.
pub(super) fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    let invalid = || format!("`{s}` is not a date: use YYYY-MM-DD, like 2026-12-24");
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(invalid());
    }
    // Only ASCII digits, so the parses below cannot fail.
    let number = |range: std::ops::Range<usize>| s[range].parse::<i16>().map_err(|_| invalid());
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (Ok(month), Ok(day)) = (i8::try_from(month), i8::try_from(day)) else {
        return Err(invalid());
    };
    jiff::civil::Date::new(year, month, day).map_err(|_| invalid())
}

/// A role of at least `min`, named exactly as in `tacit.yml`.
pub(super) fn parse_role(s: &str, min: Role, what: &str) -> Result<Role, String> {
    // `read` is never allowed: neither intents nor objections are for it.
    let mut allowed = String::new();
    for role in [Role::Triage, Role::Write, Role::Maintain] {
        if role >= min {
            allowed.push_str(role.as_str());
            allowed.push_str(", ");
        }
    }
    allowed.push_str("or admin");
    match Role::from_yaml(s) {
        Some(role) if role >= min => Ok(role),
        Some(_) => Err(format!("`{s}` may not {what}: use {allowed}")),
        None => Err(format!("unknown role `{s}`: use {allowed}")),
    }
}
