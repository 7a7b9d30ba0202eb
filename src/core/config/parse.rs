//! `tacit.yml`'s text -> [`RepoConfig`]: one file or the owner's and the
//! repository's laid over each other, defaults filled in, errors with a position.

use super::model::{ConfigFile, RepoConfig};
use super::yaml::FileYaml;

/// YAML tags (`!name`) mean nothing in `tacit.yml`; a file that uses one is refused
/// rather than read as something its author may not have meant (a lone `!` would
/// otherwise read as an empty file, the defaults).
pub(super) fn reject_tags(yaml: &str) -> Result<(), ConfigError> {
    fn tagged(v: &serde_norway::Value) -> bool {
        match v {
            serde_norway::Value::Tagged(_) => true,
            serde_norway::Value::Sequence(items) => items.iter().any(tagged),
            serde_norway::Value::Mapping(map) => map.iter().any(|(k, v)| tagged(k) || tagged(v)),
            _ => false,
        }
    }
    match serde_norway::from_str::<serde_norway::Value>(yaml) {
        Ok(v) if tagged(&v) => Err(ConfigError {
            message: "YAML tags (`!...`) are not used in tacit.yml; remove the tag.".into(),
            line: None,
            column: None,
            file: None,
        }),
        // Syntax errors are reported, with their position, by the typed parse.
        _ => Ok(()),
    }
}

impl RepoConfig {
    /// Parses and validates the text of `.github/tacit.yml`.
    pub fn parse(yaml: &str) -> Result<RepoConfig, ConfigError> {
        reject_tags(yaml)?;
        let file: Option<FileYaml> =
            serde_norway::from_str(yaml).map_err(ConfigError::from_yaml)?;
        Ok(RepoConfig::from_file(file.unwrap_or_default()))
    }

    /// The owner's file with the repository's laid over it, key by key (SPEC 5): a key
    /// the repository's file sets (to anything but null) replaces the owner's value, and
    /// an `intents` map replaces the owner's as a whole. Without either file, the
    /// defaults. Each file must be valid on its own; an error names the file and keeps
    /// its line and column. The policies record the files in force.
    pub fn layered(
        owner: Option<ConfigFile<'_>>,
        repo: Option<ConfigFile<'_>>,
    ) -> Result<RepoConfig, ConfigError> {
        let mut merged = serde_norway::Mapping::new();
        let mut files = Vec::new();
        for file in [owner, repo].into_iter().flatten() {
            let in_file = |e: ConfigError| ConfigError {
                file: Some(file.name.to_owned()),
                ..e
            };
            RepoConfig::parse(file.text).map_err(in_file)?;
            let value: serde_norway::Value = serde_norway::from_str(file.text)
                .map_err(|e| in_file(ConfigError::from_yaml(e)))?;
            if let serde_norway::Value::Mapping(map) = value {
                for (key, value) in map {
                    if !value.is_null() {
                        merged.insert(key, value);
                    }
                }
            }
            files.push(file.name.to_owned());
        }
        let file: FileYaml = serde_norway::from_value(serde_norway::Value::Mapping(merged))
            .map_err(|e| ConfigError {
                file: Some(files.join(" + ")),
                ..ConfigError::from_yaml(e)
            })?;
        let mut config = RepoConfig::from_file(file);
        for policy in &mut config.intents {
            policy.provenance.files = files.clone();
        }
        Ok(config)
    }
}

/// Why `tacit.yml` was refused, with the 1-based position of the problem when
/// known. `Display`: `line 3, column 9: unknown key `windw`, expected one of
/// ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location_prefix(*.line, *.column))]
pub struct ConfigError {
    /// The file the error is in, when several were read (layering); the caller
    /// shows it.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

pub(super) fn location_prefix(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("line {line}, column {column}: "),
        (Some(line), None) => format!("line {line}: "),
        _ => String::new(),
    }
}

impl ConfigError {
    pub(super) fn from_yaml(err: serde_norway::Error) -> ConfigError {
        let location = err.location();
        let mut message = err.to_string();
        if let Some(location) = &location {
            // serde_norway appends the position to its message; it is kept in
            // `line`/`column` instead.
            let suffix = format!(" at line {} column {}", location.line(), location.column());
            if let Some(at) = message.find(&suffix) {
                message.replace_range(at..at + suffix.len(), "");
            }
        }
        // serde's words are about Rust structs; the user wrote YAML keys.
        for (from, to) in [
            ("unknown field", "unknown key"),
            ("missing field", "missing key"),
            ("duplicate field", "duplicate key"),
            ("unknown variant", "unknown value"),
        ] {
            if let Some(at) = message.find(from)
                && (at == 0 || message[..at].ends_with(": "))
            {
                message.replace_range(at..at + from.len(), to);
            }
        }
        ConfigError {
            file: None,
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    }
}
