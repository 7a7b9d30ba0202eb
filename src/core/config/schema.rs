//! The JSON Schema of `tacit.yml` for editors: the shapes of values, and the
//! schema derived from the file's types in its canonical text.

use super::model::{MAX_LABEL_CHARS, Role};
use super::yaml::FileYaml;
use schemars::{Schema, json_schema};

/// The shape [`parse_duration`] takes: `<number><unit>` groups, units `w d h m s` in
/// that order, each at most once. (Bounds are the parser's to check.)
pub(super) fn duration_schema() -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^\\s*(?=[0-9])([0-9]+[wW])?([0-9]+[dD])?([0-9]+[hH])?([0-9]+[mM])?([0-9]+[sS])?\\s*$",
        "examples": ["30s", "15m", "72h", "3d", "1w", "1d12h"],
    })
}

/// The roles [`parse_role`] accepts for `min`, weakest first.
pub(super) fn role_schema(min: Role) -> Schema {
    let roles: Vec<&str> = [Role::Triage, Role::Write, Role::Maintain, Role::Admin]
        .into_iter()
        .filter(|role| *role >= min)
        .map(Role::as_str)
        .collect();
    json_schema!({ "type": "string", "enum": roles })
}

/// What [`parse_label`] takes (it trims the name first).
pub(super) fn label_schema() -> Schema {
    json_schema!({ "type": "string", "pattern": "\\S", "maxLength": MAX_LABEL_CHARS })
}

/// The JSON Schema of `.github/tacit.yml` (draft 7, which editors support best),
/// self-contained, for `docs/tacit.schema.json` and `tacit config-schema`.
pub fn json_schema() -> serde_json::Value {
    let mut settings = schemars::generate::SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let schema = settings.into_generator().into_root_schema_for::<FileYaml>();
    let mut schema = schema.to_value();
    // An empty file (YAML null) means the defaults.
    schema["type"] = serde_json::json!(["object", "null"]);
    canonical(schema)
}

/// [`json_schema`] as the text of `docs/tacit.schema.json`: pretty, keys sorted at
/// every level (whatever the order of the map type underneath), ending in a newline.
pub fn json_schema_text() -> String {
    let mut text =
        serde_json::to_string_pretty(&json_schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Keys sorted at every level, whatever the order of the map type underneath; and
/// descriptions as paragraphs, without the line breaks of the doc comments they come
/// from (editors show them as text, not as Markdown source).
pub(super) fn canonical(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| match value {
                        Value::String(text) if key == "description" => {
                            (key, Value::String(unwrap_lines(&text)))
                        }
                        value => (key, canonical(value)),
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

pub(super) fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
