//! The GitHub REST client: App JWT and installation tokens through octocrab, and the
//! handful of endpoints tacit uses, parsed into lenient structs of our own.
//!
//! Rules kept here:
//! - writes are never retried automatically (octocrab's retry layer is not compiled in);
//!   the effect runner decides, after re-reading, whether a write is needed again;
//! - writes per installation are spaced (`Tuning::write_interval`) and capped per minute
//!   (`Tuning::writes_per_minute`, see [`pace`]), and a rate-limit
//!   answer (429, or 403 with `retry-after` / exhausted `x-ratelimit-remaining`) comes
//!   back as [`GhError::RateLimited`] with the time to wait;
//! - paths are relative, so octocrab attaches the App's credentials only to the API host;
//! - when GitHub cannot be reached at all (connection refused, host or network
//!   unreachable), requests fail at once without being sent for [`UNREACHABLE_PAUSE`]:
//!   every queued effect would otherwise sign a JWT and open a connection in vain.
//!
//! The transport is `client.rs` (tokens, pacing, sending) and `error.rs` (answers to
//! [`GhError`]); the endpoints are grouped by resource, one file each; `types.rs` holds
//! the wire types, GitHub's objects as tacit reads them.

mod app;
mod checks;
mod client;
mod contents;
mod error;
pub mod event;
mod issues;
mod labels;
mod merge;
pub mod pace;
mod permissions;
mod pulls;
pub mod types;

pub use app::convert_manifest;
pub use client::{GitHub, TOKEN_RENEW_BEFORE, UNREACHABLE_PAUSE, encode, parse_private_key};
pub use error::{Answer, GhError, GhResult};
pub use issues::{MAX_LISTED, TIMELINE_PAGES};
pub use merge::{MergeAnswer, MergeRefused};
pub use types::*;
