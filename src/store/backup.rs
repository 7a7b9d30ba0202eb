//! `tacit backup`: a consistent copy of the SQLite database, taken while tacit runs.
//!
//! `VACUUM INTO` reads the database in one read transaction, so the copy is the state
//! of one moment even while tacit writes (WAL readers do not block the writer). It is
//! written under a temporary name next to the destination, checked, flushed to disk,
//! and only then given its name, without ever replacing a file: a backup that failed
//! halfway is never mistaken for a good one, and an existing file is never overwritten.
//! PostgreSQL has `pg_dump` for this.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// Copy the SQLite database at `database_url` (a `DATABASE_URL`) to a new file at
/// `dest`. Returns the size of the copy in bytes. Refuses PostgreSQL, a `dest` that
/// exists (even empty), and a database that does not exist (it is not created).
pub async fn backup_sqlite(database_url: &str, dest: &Path) -> anyhow::Result<u64> {
    if !database_url.starts_with("sqlite:") {
        bail!(
            "DATABASE_URL is PostgreSQL: back it up with pg_dump (tacit backup copies SQLite only)"
        );
    }
    if dest.symlink_metadata().is_ok() {
        bail!(
            "{} exists already; tacit backup never overwrites a file: give a new path",
            dest.display()
        );
    }
    let name = dest
        .file_name()
        .with_context(|| format!("{} is not a file path", dest.display()))?;
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }

    let options = SqliteConnectOptions::from_str(database_url)
        .with_context(|| format!("DATABASE_URL {database_url:?}"))?
        .create_if_missing(false);
    let source = options.get_filename().to_path_buf();
    if !source.is_file() {
        bail!(
            "there is no database at {} (DATABASE_URL {database_url:?})",
            source.display()
        );
    }
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open the database at {}", source.display()))?;
    // A running tacit may hold the write lock for a moment: wait for it, as tacit does.
    sqlx::query("PRAGMA busy_timeout=5000")
        .execute(&mut conn)
        .await?;

    let partial = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = copy_into(&mut conn, &partial, dest).await;
    let _ = conn.close().await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// `VACUUM INTO` the temporary file, check and flush it, then give it its name.
async fn copy_into(
    conn: &mut SqliteConnection,
    partial: &Path,
    dest: &Path,
) -> anyhow::Result<u64> {
    let partial_text = partial
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", partial.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(partial_text)
        .execute(&mut *conn)
        .await
        .with_context(|| format!("writing the copy to {}", partial.display()))?;

    let copy_options = SqliteConnectOptions::new()
        .filename(partial)
        .create_if_missing(false)
        .read_only(true);
    let mut copy = SqliteConnection::connect_with(&copy_options).await?;
    let check: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut copy)
        .await?;
    copy.close().await?;
    if check != "ok" {
        bail!("the copy failed SQLite's quick_check: {check}");
    }

    let file = std::fs::File::open(partial)?;
    file.sync_all()?;
    let size = file.metadata()?.len();
    drop(file);

    // A hard link gives the copy its name only if that name is still free (no race
    // with another file appearing meanwhile); the temporary name is then dropped.
    match std::fs::hard_link(partial, dest) {
        Ok(()) => std::fs::remove_file(partial)?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} exists already; tacit backup never overwrites a file: give a new path",
                dest.display()
            );
        }
        // A file system without hard links: rename, having checked the name is free.
        Err(_) if dest.symlink_metadata().is_err() => std::fs::rename(partial, dest)?,
        Err(e) => return Err(e).with_context(|| format!("naming the copy {}", dest.display())),
    }
    if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    Ok(size)
}
