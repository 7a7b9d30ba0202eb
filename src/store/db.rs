//! The database: the dialect (SQLite or PostgreSQL), the connection pool, the
//! migrations and the SQL builders every table's queries use.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use super::Store;
use super::writer::start_writer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Rows per multi-row INSERT (8 parameters each, well under SQLite's limit).
pub(super) const INSERT_CHUNK: usize = 128;

/// `n` parameters, numbered from `first` (`$3, $4`) on PostgreSQL; on SQLite bare `?`
/// in order, because sqlx looks up the name of each `$n` parameter and SQLite finds a
/// name by walking the list of all of them (quadratic in a multi-row statement: 896
/// parameters per 128 rows). For `IN (...)` lists and the rows of [`placeholders_on`].
pub(super) fn in_list(conn: &sqlx::AnyConnection, first: usize, n: usize) -> String {
    let one = |i: usize| match conn.backend_name() {
        "SQLite" => "?".to_string(),
        _ => format!("${i}"),
    };
    (first..first + n).map(one).collect::<Vec<_>>().join(", ")
}

/// `($1, $2<tail>), ($3, $4<tail>)` for `rows` rows of `cols` parameters each, in the
/// style the connection binds fastest (see [`in_list`]).
pub(super) fn placeholders_on(
    conn: &sqlx::AnyConnection,
    rows: usize,
    cols: usize,
    tail: &str,
) -> String {
    (0..rows)
        .map(|r| format!("({}{tail})", in_list(conn, r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `items` in chunks of `max`, the rest in chunks of powers of two: a multi-row
/// statement has at most a few shapes, each prepared once per connection and then
/// taken from sqlx's statement cache instead of parsed again.
pub(super) fn chunks_of_few_shapes<T>(items: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let n = if rest.len() >= max {
            max
        } else {
            1 << rest.len().ilog2()
        };
        let (chunk, tail) = rest.split_at(n);
        out.push(chunk);
        rest = tail;
    }
    out
}

/// `values` without repeats, padded to a power of two by repeating the last (at least
/// one: the empty string, which no key equals): an `IN` list of few lengths, so each
/// shape of the statement is prepared once per connection.
pub(super) fn padded(mut values: Vec<&str>) -> Vec<&str> {
    values.sort_unstable();
    values.dedup();
    let last = values.last().copied().unwrap_or("");
    values.resize(values.len().max(1).next_power_of_two(), last);
    values
}

/// The schema migrations of `migrations/`, run at every start. A database that a
/// newer release migrated further is accepted (`ignore_missing`): migrations are
/// additive only (new tables, columns that are nullable or have a default, indexes),
/// so this release's queries still work on it, and a rollback to this release keeps
/// its successor's database. A migration of this release that the database lacks is
/// still applied, and one whose text changed after it was applied is still refused.
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
}

/// A pool of `max` connections to a SQLite database, each set up alike.
async fn sqlite_pool(max: u32, options: AnyConnectOptions) -> sqlx::Result<sqlx::AnyPool> {
    AnyPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .max_connections(max)
        // No ping before each use: a SQLite connection is a file opened in this
        // process, not a socket that can die idle, and the ping was one more round
        // trip to its thread on every write (the pool still pings on release).
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // WAL with synchronous=FULL: a commit is on disk before it returns, so a
                // delivery acknowledged with 2xx survives power loss. The busy timeout
                // covers other processes (`tacit backup`, `tacit decisions`). Statement
                // journals (the pages a multi-row statement inside a transaction may
                // have to put back) stay in memory instead of spilling to a temporary
                // file: a fifth of the SQLite thread's time when 10,000 windows close
                // at once (docs/benchmarks.md).
                for pragma in [
                    "PRAGMA journal_mode=WAL",
                    "PRAGMA synchronous=FULL",
                    "PRAGMA busy_timeout=5000",
                    "PRAGMA foreign_keys=ON",
                    "PRAGMA temp_store=MEMORY",
                ] {
                    sqlx::query(pragma).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
}

impl Store {
    /// Connect (creating the SQLite file if needed) and run the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("DATABASE_URL {}", crate::settings::redact_url(&url)))?;
        let opened = |e: sqlx::Error| {
            anyhow::Error::new(e).context(format!(
                "cannot open the database at {}",
                crate::settings::redact_url(&url)
            ))
        };
        let (pool, writes) = match backend {
            // Writes go through one connection of their own: they wait for each other
            // in its pool's queue, in order, instead of in SQLite's busy handler,
            // which sleeps 1, 2, 5, 10 ms ... between tries (the p99 of the intake at
            // 1,000 deliveries/s was 8 ms of such sleeps; docs/benchmarks.md). Reads,
            // which WAL never blocks, have four.
            Backend::Sqlite => (
                sqlite_pool(4, options.clone()).await.map_err(opened)?,
                sqlite_pool(1, options).await.map_err(opened)?,
            ),
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .acquire_timeout(Duration::from_secs(5))
                    .max_connections(16)
                    .connect_with(options)
                    .await
                    .map_err(opened)?;
                (pool.clone(), pool)
            }
        };
        let writer = start_writer(writes.clone(), backend);
        let store = Store {
            pool,
            writes,
            backend,
            writer,
            digest_delay: super::DIGEST_DELAY,
        };
        migrator()
            .run(&store.writes)
            .await
            .context("running database migrations")?;
        Ok(store)
    }

    /// Begin a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write never fails to upgrade its lock.
    pub(super) async fn write_tx(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.writes.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.writes.begin().await,
        }
    }

    /// Does the database answer?
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writes.close().await;
    }

    /// How many write transactions can usefully run at once: one on SQLite (one
    /// writer), several on PostgreSQL (the server works on one while tacit prepares
    /// the next).
    pub fn write_lanes(&self) -> usize {
        match self.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_have_few_shapes_and_keep_every_item_in_order() {
        let items: Vec<u32> = (0..300).collect();
        let chunks = chunks_of_few_shapes(&items, 128);
        let sizes: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![128, 128, 32, 8, 4]);
        assert_eq!(chunks.concat(), items);
        assert!(chunks_of_few_shapes::<u32>(&[], 128).is_empty());
    }

    #[test]
    fn in_lists_are_padded_to_few_lengths() {
        assert_eq!(padded(vec!["b", "a", "b", "c"]), ["a", "b", "c", "c"]);
        assert_eq!(padded(vec!["x"]), ["x"]);
        assert_eq!(padded(vec![]), [""], "never empty: `IN ()` is not SQL");
        let lengths: std::collections::BTreeSet<usize> = (1..=128)
            .map(|n| {
                let ids: Vec<String> = (0..n).map(|i| i.to_string()).collect();
                padded(ids.iter().map(String::as_str).collect()).len()
            })
            .collect();
        assert_eq!(
            lengths.into_iter().collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 64, 128]
        );
    }
}
