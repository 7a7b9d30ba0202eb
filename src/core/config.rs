//! `.github/tacit.yml` (SPEC section 5): parsing, validation and the
//! per-intent [`Policy`] that is snapshotted into an intent when it opens.
//!
//! Pure: no I/O, no clock. The caller fetches the file; [`RepoConfig::parse`]
//! turns its text into a [`RepoConfig`] or a [`ConfigError`] with the line and
//! column to show the user.
//!
//! The reading is strict: an unknown key anywhere, a value of the wrong type
//! or out of range, or a key that does not apply to an intent's action is an
//! error, never silently ignored. Every value is checked *inside* the YAML
//! deserializer (custom `Deserialize` impls and visitors), so that
//! `serde_norway` attaches the position of the offending value to the error.
//!
//! A YAML `null` (`window:` with nothing after it, `window: ~`) means "not
//! set", like leaving the key out. An empty file, or one with only comments,
//! means all defaults.
//!
//! The serde derives on the public types are for stored snapshots (JSON):
//! durations there are whole seconds (see `super::duration::serde_secs`).
//! They are not the YAML format; use [`RepoConfig::parse`] for the file.
//!
//! [`json_schema`] describes the file for editors (`docs/tacit.schema.json`). It is
//! derived from the very types the file is read with (`FileYaml`, `IntentYaml` and the
//! value types), whose doc comments are the descriptions editors show. What a JSON
//! Schema cannot say (duration bounds, time zone names, labels that ignore case) only
//! the parser checks.

mod model;
mod parse;
mod schema;
mod validate;
mod yaml;

pub use model::{
    Action, ActionKind, CONFIG_FILE, CloseReason, ConfigFile, DEFAULT_AFTER_OBJECTION,
    DEFAULT_WINDOW, MAX_AFTER_OBJECTION, MAX_LABEL_CHARS, MAX_WINDOW, MIN_WINDOW, MergeMethod,
    Policy, Provenance, RepoConfig, Role, team_of,
};
pub use parse::ConfigError;
pub use schema::{json_schema, json_schema_text};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod people_tests;
