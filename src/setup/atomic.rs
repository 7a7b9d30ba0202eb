//! Replacing a file at once, so that a crash never leaves half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Replaces the file at `path` with `contents` at once (a temporary file in the same
/// directory, then a rename): a crash leaves the old file or the new one, never half of
/// one. The file is readable by its owner only: `.env` holds a private key.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let temp = temp_path(path);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // The rename itself is durable once the directory is.
    if let Ok(dir) = std::fs::File::open(parent_dir(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Whether a new file can be made next to `path` ([`write_private`] makes one there),
/// checked by making and removing one.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    let probe = temp_path(path);
    std::fs::File::create(&probe).and_then(|_| std::fs::remove_file(&probe))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| ".env".to_string(), |n| n.to_string_lossy().into_owned());
    parent_dir(path).join(format!(
        ".{name}.tacit-setup-{:016x}.tmp",
        rand::random::<u64>()
    ))
}
