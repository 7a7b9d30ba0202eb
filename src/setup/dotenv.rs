//! `.env`: merging the App's values into the file as dotenvy reads it, keeping every
//! other line as it was.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, anyhow};

use super::atomic;

/// Sets `values` in the text of a `.env` file. The first assignment of each key is
/// replaced where it stands (all of it, when its value spans lines), later ones are
/// dropped, and keys not there are appended. Every other line is kept as it was.
pub fn merge_env(existing: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut written: Vec<&str> = Vec::new();
    for entry in env_entries(existing) {
        let replaced = entry
            .key
            .and_then(|key| values.iter().find(|(k, _)| *k == key));
        match replaced {
            Some(&(key, value)) => {
                if !written.contains(&key) {
                    written.push(key);
                    out.push_str(entry.prefix);
                    out.push_str(&env_line(key, value));
                }
            }
            None => {
                out.push_str(entry.text);
                if !entry.text.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    let missing: Vec<_> = values
        .iter()
        .filter(|(key, _)| !written.contains(key))
        .collect();
    if !missing.is_empty() {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str("# The GitHub App, written by `tacit setup`.\n");
        for (key, value) in missing {
            out.push_str(&env_line(key, value));
        }
    }
    out
}

/// One assignment of a `.env` file, or one line that is not one.
struct EnvEntry<'a> {
    /// The variable assigned, if this is an assignment.
    key: Option<&'a str>,
    /// What stands before the key (indentation, `export `).
    prefix: &'a str,
    /// The whole entry, with its line break(s).
    text: &'a str,
}

/// Splits `.env` text into entries the way dotenvy reads it: an assignment whose quoted
/// value is still open at the end of a line goes on into the next lines.
fn env_entries(text: &str) -> Vec<EnvEntry<'_>> {
    let mut entries = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let rest = &text[start..];
        let end = assignment_end(rest);
        let entry = &rest[..end];
        let (prefix, key) = assignment_key(entry).unzip();
        entries.push(EnvEntry {
            key,
            prefix: prefix.unwrap_or(""),
            text: entry,
        });
        start += end;
    }
    entries
}

/// The length of the entry at the start of `text`: one line, or more while a quote
/// opened on it is not closed (a backslash escapes the next character, as in dotenvy).
fn assignment_end(text: &str) -> usize {
    let first_line = text.find('\n').map_or(text.len(), |i| i + 1);
    if text.trim_start().starts_with('#') {
        return first_line;
    }
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut after_space = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (_, '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\n') => return i + 1,
            // An unquoted `#` after a space starts a comment that ends the line.
            (None, '#') if after_space => return line_end(text, i),
            (None, '"' | '\'') => quote = Some(c),
            (None, _) => {}
        }
        after_space = quote.is_none() && (c == ' ' || c == '\t');
    }
    text.len()
}

fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i + 1)
}

/// `(prefix, key)` of an assignment `KEY=...` or `export KEY=...`.
fn assignment_key(entry: &str) -> Option<(&str, &str)> {
    let trimmed = entry.trim_start();
    let indent = entry.len() - trimmed.len();
    let (export, rest) = match trimmed.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => {
            let rest = rest.trim_start();
            (trimmed.len() - rest.len(), rest)
        }
        _ => (0, trimmed),
    };
    let key_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(rest.len());
    let key = &rest[..key_len];
    let starts_well = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !starts_well
        || !rest[key_len..]
            .trim_start_matches([' ', '\t'])
            .starts_with('=')
    {
        return None;
    }
    Some((&entry[..indent + export], key))
}

/// `KEY=value\n`: bare when the value is plain, else in double quotes with `\`, `"`
/// and `$` escaped (dotenvy would substitute `$NAME`); line breaks stay line breaks,
/// so a PEM key reads as a PEM key in the file too.
fn env_line(key: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:/+=@".contains(&b));
    if plain {
        return format!("{key}={value}\n");
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    format!("{key}=\"{quoted}\"\n")
}

/// Reads `.env` text as tacit will (dotenvy), or says which line it cannot read: a line
/// dotenvy cannot read stops it, so nothing after it would be seen.
pub fn read_env_text(text: &str) -> anyhow::Result<HashMap<String, String>> {
    let mut vars = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (key, value) = item.map_err(|e| anyhow!("{e}"))?;
        vars.insert(key, value);
    }
    Ok(vars)
}

/// The current `.env` (empty if there is none), if tacit could add to it: readable by
/// dotenvy, and in a directory where a new file can be written.
pub fn check_env_file(path: &Path) -> anyhow::Result<String> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
    };
    read_env_text(&existing)
        .with_context(|| format!("{} has a line tacit cannot read", path.display()))?;
    atomic::check_writable(path)
        .with_context(|| format!("cannot write next to {}", path.display()))?;
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAuEPz+/=\nX0Bj4j5s\n-----END RSA PRIVATE KEY-----\n";

    #[test]
    fn a_new_env_file_gets_the_three_values() {
        let merged = merge_env(
            "",
            &[
                ("APP_ID", "12"),
                ("PRIVATE_KEY", PEM),
                ("WEBHOOK_SECRET", "e340f"),
            ],
        );
        assert_eq!(
            merged,
            format!(
                "# The GitHub App, written by `tacit setup`.\nAPP_ID=12\nPRIVATE_KEY=\"{PEM}\"\nWEBHOOK_SECRET=e340f\n"
            )
        );
        let vars = read_env_text(&merged).unwrap();
        assert_eq!(vars["APP_ID"], "12");
        assert_eq!(vars["PRIVATE_KEY"], PEM);
        assert_eq!(vars["WEBHOOK_SECRET"], "e340f");
    }

    #[test]
    fn an_existing_env_file_keeps_its_other_lines() {
        let existing = "\
# tacit
APP_ID=1
PORT=8080
export WEBHOOK_SECRET=old # the old one
PRIVATE_KEY=\"-----BEGIN OLD-----
abc # not a comment
-----END OLD-----\"
DATABASE_URL='sqlite://x.db'
APP_ID=2
LOG_LEVEL=debug";
        let merged = merge_env(
            existing,
            &[
                ("APP_ID", "12"),
                ("PRIVATE_KEY", PEM),
                ("WEBHOOK_SECRET", "new"),
            ],
        );
        assert_eq!(
            merged,
            format!(
                "# tacit\nAPP_ID=12\nPORT=8080\nexport WEBHOOK_SECRET=new\nPRIVATE_KEY=\"{PEM}\"\n\
                 DATABASE_URL='sqlite://x.db'\nLOG_LEVEL=debug\n"
            )
        );
        let vars = read_env_text(&merged).unwrap();
        assert_eq!(vars["PRIVATE_KEY"], PEM);
        assert_eq!(vars["PORT"], "8080");
        assert_eq!(vars["DATABASE_URL"], "sqlite://x.db");
        assert_eq!(vars["LOG_LEVEL"], "debug");
    }

    #[test]
    fn values_that_need_quoting_read_back_exactly() {
        for value in [
            "plain",
            "with space",
            "quote\"inside",
            "back\\slash",
            "dollar$HOME and ${PATH}",
            "single'quote",
            "hash # sign",
            "two\nlines\n",
            "",
        ] {
            let merged = merge_env("OTHER=1\n", &[("WEBHOOK_SECRET", value)]);
            let vars = read_env_text(&merged).unwrap();
            assert_eq!(vars["WEBHOOK_SECRET"], value, "{merged}");
            assert_eq!(vars["OTHER"], "1");
        }
    }

    #[test]
    fn env_entries_follow_dotenvy() {
        let text = "A=1\n  # comment with \"quote\n\nB=\"x\ny\" # c\nexport C='p\nq'\nnot an assignment\nD=\"e\\\"f\ng\"\n";
        let keys: Vec<(Option<&str>, &str)> =
            env_entries(text).iter().map(|e| (e.key, e.text)).collect();
        assert_eq!(
            keys,
            [
                (Some("A"), "A=1\n"),
                (None, "  # comment with \"quote\n"),
                (None, "\n"),
                (Some("B"), "B=\"x\ny\" # c\n"),
                (Some("C"), "export C='p\nq'\n"),
                (None, "not an assignment\n"),
                (Some("D"), "D=\"e\\\"f\ng\"\n"),
            ]
        );
    }

    #[test]
    fn the_env_file_is_replaced_whole_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "PORT=1\n").unwrap();
        assert_eq!(check_env_file(&path).unwrap(), "PORT=1\n");
        atomic::write_private(&path, "PORT=2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "PORT=2\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [".env"]);
        std::fs::write(&path, "PORT=1\nthis is not dotenv\n").unwrap();
        let err = format!("{:#}", check_env_file(&path).unwrap_err());
        assert!(err.contains("cannot read"), "{err}");
        assert_eq!(check_env_file(&dir.path().join("none")).unwrap(), "");
    }
}
