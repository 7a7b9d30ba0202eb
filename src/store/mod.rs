//! The durable store: deliveries, intents, due times and the effect outbox.
//!
//! One schema (`migrations/`) and one set of queries for SQLite and PostgreSQL,
//! through sqlx's `Any` driver. Only portable SQL is used; times are Unix
//! milliseconds passed in by the caller (the store never reads the clock).
//!
//! Invariants kept here:
//! - a delivery is recorded exactly once per `X-GitHub-Delivery` id;
//! - an intent's state, its next due time, its new effects and the delivery or effect
//!   that caused the change are written in one transaction;
//! - every intent write checks the version it read (optimistic concurrency), so two
//!   writers can never both apply a decision to the same state;
//! - work (deliveries, effects) is claimed with a lease; completing it checks the lease
//!   owner and attempt number (the fencing token) in the same transaction.

pub mod codec;

mod db;
mod deliveries;
mod effects;
pub mod group_commit;
mod installations;
mod intents;
mod kv;
mod queue;
mod writer;

pub use db::{Backend, migrator};
pub use deliveries::{DeliveryRow, Need, NewDelivery, Recorded};
pub use effects::EffectRow;
pub use intents::IntentRow;
pub use queue::{Lease, Queue};
pub use writer::{Cause, IntentWrite, WriteOutcome};

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use writer::Writer;

mod decisions;
mod digests;

pub use digests::DigestRow;

pub type Millis = i64;

#[derive(Clone)]
pub struct Store {
    /// Reads (and, on PostgreSQL, everything).
    pool: AnyPool,
    /// Writes: on SQLite a pool of one connection, so that writers queue here rather
    /// than in SQLite's busy handler; on PostgreSQL the same pool as `pool`.
    writes: AnyPool,
    backend: Backend,
    /// The group-commit writer of [`Store::write`].
    writer: Writer,
    /// How long after an intent write with `digest: true` its repository's digest is
    /// refreshed (see `digests.rs`).
    digest_delay: Millis,
}

/// [`Store::set_digest_delay`]'s default, `Tuning::digest_delay`'s.
const DIGEST_DELAY: Millis = 5_000;

/// The rows this release can read, in order. A row it cannot read (written by a newer
/// release that was rolled back, say) is logged with its id and left out, so that it
/// holds up only itself, never the batch or the queue it came in: a claimed row keeps
/// its lease and is tried again when that runs out, by this release or the next.
fn readable<T>(rows: &[AnyRow], read: impl Fn(&AnyRow) -> anyhow::Result<T>) -> Vec<T> {
    rows.iter()
        .filter_map(|r| match read(r) {
            Ok(t) => Some(t),
            Err(e) => {
                let id: Option<String> = r.try_get("id").ok();
                tracing::error!(
                    row = id.as_deref().unwrap_or("?"),
                    error = format!("{e:#}"),
                    "a stored row this release cannot read is left for a release that can"
                );
                None
            }
        })
        .collect()
}

/// A random 128-bit id, as 32 hex digits.
pub fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// `tacit backup`: a consistent copy of the SQLite database.
pub mod backup;
