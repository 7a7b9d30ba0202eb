//! tacit's integration and end-to-end tests, in one test binary.
//!
//! One binary, not one per file: each Cargo integration test is linked on its own against
//! every dependency (sqlx, octocrab, rustls, axum), which costs a link and hundreds of
//! megabytes of disk per file. Here they share one link, and `cargo test` still runs
//! them in parallel. Pick a group with its module path: `cargo test --test it store::`.
//!
//! - `support`: the in-process fake GitHub, the test App's keys, signed webhook
//!   deliveries, and helpers that start tacit in-process or as its built binary.
//! - in-process server against the fake GitHub: `scenarios`, `contract`, `consent`, `webhook`,
//!   `reconcile`, `replicas`, `clock`, `api_calls`, `dashboard`, `setup`, `check_runs`,
//!   `chaos` (seeded histories through GitHub's real delivery behaviour), `config_check`
//!   (the `tacit/config` check run from pushes), `digest` (the `digest: true` issue, and
//!   its refresh queue in the store on both databases);
//! - the store alone, on SQLite and PostgreSQL: `store`; stored state across releases
//!   (fixtures of earlier releases, a database a newer release migrated): `stored`;
//! - the built `tacit` binary, started, killed and restarted: `e2e`, `faults`,
//!   `config_schema`, `operations` (`tacit backup`, `tacit healthcheck`), `decisions`;
//!   and with the previous release's binary, rolled back to and forward again:
//!   `rollback`;
//! - the server's edges against clients without the secret (slow or idle connections,
//!   floods, large bodies, made-up events), in-process and as the binary: `hardening`;
//! - the fake GitHub itself: `fake_github_selftest`.

mod support;

mod api_calls;
mod chaos;
mod check_runs;
mod clock;
mod config_check;
mod config_schema;
mod consent;
mod contract;
mod dashboard;
mod decisions;
mod digest;
mod e2e;
mod fake_github_selftest;
mod faults;
mod github_client;
mod hardening;
mod operations;
mod people;
mod reconcile;
mod replicas;
mod rollback;
mod scenarios;
mod setup;
mod store;
mod stored;
mod webhook;
