//! Error mapping: GitHub's answer, or its absence, as a [`GhError`], and the wait a
//! rate-limit answer asks for.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum GhError {
    /// No answer (connect error, timeout): the request may or may not have happened.
    #[error("GitHub did not answer: {0}")]
    Transport(String),
    #[error("GitHub asked to wait {0:?}")]
    RateLimited(Duration),
    #[error("GitHub answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unexpected answer from GitHub: {0}")]
    Decode(String),
}

impl GhError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GhError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
    /// 404 or 410: deleted, transferred, or not visible to the App.
    pub fn is_gone(&self) -> bool {
        matches!(self.status(), Some(404 | 410))
    }
    /// 403 that is not a rate limit (those are [`GhError::RateLimited`]): the App may
    /// not do or see this.
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }
    /// 422: GitHub understood the request and will not do it (a label that exists, a
    /// check run already completed).
    pub fn is_unprocessable(&self) -> bool {
        self.status() == Some(422)
    }
    /// Worth trying again later: no answer, a rate limit, a 5xx, or a 401 (refused even
    /// with a new token; nothing was done)? Everything else is permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            GhError::Transport(_) | GhError::RateLimited(_) => true,
            GhError::Status { status, .. } => *status >= 500 || *status == 401,
            GhError::Decode(_) => false,
        }
    }
}

pub type GhResult<T> = Result<T, GhError>;

/// A raw answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> GhResult<T> {
        serde_json::from_str(&self.body)
            .map_err(|e| GhError::Decode(format!("{e}: {}", truncate(&self.body, 200))))
    }
}

/// Wait time from a rate-limit answer: 429, or 403 with `retry-after` or an exhausted
/// primary limit (`x-ratelimit-remaining: 0`).
pub(super) fn rate_limit_wait(a: &Answer) -> Option<Duration> {
    let status = a.status.as_u16();
    if status != 429 && status != 403 {
        return None;
    }
    let header = |name: &str| {
        a.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs.max(1)));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok())
    {
        let now = jiff::Timestamp::now().as_second();
        return Some(Duration::from_secs((reset - now).clamp(1, 3600) as u64));
    }
    if status == 429 || a.body.contains("secondary rate limit") {
        return Some(Duration::from_secs(60));
    }
    None
}

/// GitHub's `message` from an error answer, or the start of the body.
pub(super) fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| truncate(body, 200))
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_by_kind() {
        let status = |status: u16| GhError::Status {
            status,
            message: String::new(),
        };
        for s in [401, 500, 502, 503] {
            assert!(status(s).is_transient(), "{s}");
        }
        for s in [400, 403, 404, 409, 410, 422] {
            assert!(!status(s).is_transient(), "{s}");
        }
        assert!(GhError::Transport("timeout".into()).is_transient());
        assert!(GhError::RateLimited(Duration::from_secs(1)).is_transient());
        assert!(!GhError::Decode("eof".into()).is_transient());

        assert!(status(404).is_not_found() && !status(410).is_not_found());
        assert!(status(404).is_gone() && status(410).is_gone() && !status(403).is_gone());
        assert!(status(403).is_forbidden() && !status(404).is_forbidden());
        assert!(status(422).is_unprocessable() && !status(405).is_unprocessable());
        assert!(!GhError::Transport("x".into()).is_gone());
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: body.to_string(),
        }
    }

    #[test]
    fn rate_limits_are_recognised() {
        assert_eq!(
            rate_limit_wait(&answer(429, &[("retry-after", "7")], "")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(&answer(403, &[("retry-after", "3")], "")),
            Some(Duration::from_secs(3))
        );
        assert!(
            rate_limit_wait(&answer(
                403,
                &[],
                "{\"message\":\"You have exceeded a secondary rate limit\"}"
            ))
            .is_some()
        );
        // A plain 403 (no permission) is not a rate limit.
        assert_eq!(
            rate_limit_wait(&answer(
                403,
                &[],
                "{\"message\":\"Resource not accessible by integration\"}"
            )),
            None
        );
        assert_eq!(
            rate_limit_wait(&answer(500, &[("retry-after", "3")], "")),
            None
        );
    }
}
