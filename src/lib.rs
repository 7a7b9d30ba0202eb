//! tacit: lazy consensus for GitHub.
//!
//! See ARCHITECTURE.md for the map of this crate. In short: `core` decides (pure),
//! everything else moves bytes: `webhook` receives, `store` remembers, `engine`
//! schedules and performs, `github` talks to the API, `http` serves the operators' dashboard,
//! `setup` registers the App, `server` wires it together.

pub mod cli;
pub mod clock;
pub mod core;
pub mod decisions;
pub mod engine;
pub mod github;
pub mod http;
pub mod metrics;
pub mod server;
pub mod settings;
pub mod setup;
pub mod store;
pub mod throttle;
pub mod webhook;
