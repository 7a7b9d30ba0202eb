//! The JSON Schema of `.github/tacit.yml` (`docs/tacit.schema.json`): it is what the
//! code generates, `tacit config-schema` prints it, and it says yes to every
//! configuration that the docs, the SPEC and the tests show and tacit accepts, and no
//! to the mistakes it can see. (`src/core/config.rs` holds it against every error case
//! of the parser.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tacit::core::config::{RepoConfig, json_schema, json_schema_text};

const SCHEMA_FILE: &str = "docs/tacit.schema.json";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&json_schema())
        .expect("the schema compiles")
}

#[test]
fn the_schema_file_is_current() {
    let file = std::fs::read_to_string(root().join(SCHEMA_FILE)).unwrap_or_default();
    // Not assert_eq: a diff of two whole schemas says less than this.
    assert!(
        file == json_schema_text(),
        "{SCHEMA_FILE} is not what the code generates; regenerate it with\n\n    \
         cargo run -- config-schema > {SCHEMA_FILE}\n"
    );
}

#[test]
fn the_command_prints_the_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tacit"))
        .arg("config-schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        json_schema_text()
    );
}

/// The ```yaml blocks of a Markdown text.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        match &mut current {
            None if fence == "```yaml" || fence == "```yml" => current = Some(String::new()),
            Some(block) if fence.starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Every string literal in Rust source, inside macros too (the tests write most of
/// their configurations inside `format!`, `vec!` and the like).
fn string_literals(source: &str) -> Vec<String> {
    fn collect(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Group(group) => collect(group.stream(), out),
                proc_macro2::TokenTree::Literal(literal) => {
                    if let Ok(s) = syn::parse_str::<syn::LitStr>(&literal.to_string()) {
                        out.push(s.value());
                    }
                }
                _ => {}
            }
        }
    }
    let tokens: proc_macro2::TokenStream = source.parse().expect("Rust source lexes");
    let mut out = Vec::new();
    collect(tokens, &mut out);
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (where, text) of every candidate configuration: the YAML blocks of the docs and the
/// SPEC, and every string literal of the sources and tests.
fn examples() -> Vec<(String, String)> {
    let mut examples = Vec::new();
    let mut markdown = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            markdown.push(path);
        }
    }
    for path in markdown {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for block in yaml_blocks(&text) {
            examples.push((format!("docs:{}", path.display()), block));
        }
    }
    let mut sources = Vec::new();
    rust_files(&root().join("src"), &mut sources);
    rust_files(&root().join("tests"), &mut sources);
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for literal in string_literals(&text) {
            examples.push((format!("code:{}", path.display()), literal));
        }
    }
    examples
}

#[test]
fn every_configuration_shown_that_tacit_accepts_fits_the_schema() {
    let validator = validator();
    // Accepted configurations with at least one key, by kind of source.
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for (source, yaml) in examples() {
        if RepoConfig::parse(&yaml).is_err() {
            continue;
        }
        let json: Value = serde_norway::from_str(&yaml).expect("YAML tacit accepts is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{source}: {yaml:?}: {errors:?}");
        if json.as_object().is_some_and(|o| !o.is_empty()) {
            let kind = source.split(':').next().unwrap();
            *checked.entry(kind.to_string()).or_default() += 1;
        }
    }
    // The examples were found: the SPEC's and the user guide's, and the many in the tests.
    assert!(
        checked.get("docs").copied().unwrap_or(0) >= 5,
        "{checked:?}"
    );
    assert!(
        checked.get("code").copied().unwrap_or(0) >= 40,
        "{checked:?}"
    );
}

#[test]
fn mistakes_tacit_refuses_the_schema_refuses_too() {
    let validator = validator();
    for yaml in [
        // unknown keys
        "windw: 72h",
        "intents:\n  ship: { action: merge, merge_methd: squash }\n",
        "intents:\n  ship: { action: merge, timezone: UTC }\n",
        // wrong types
        "window: 72",
        "approvals: two",
        "business_days: yes",
        "bots: dependabot[bot]",
        "intents: [intent-to-merge]",
        // values outside an enumeration
        "objectors: everyone",
        "authors: triage",
        "close_reason: done",
        "intents:\n  ship: { action: deploy }\n",
        "intents:\n  ship: { action: merge, merge_method: fast-forward }\n",
        // keys that do not apply to the action
        "intents:\n  ship: { action: close, merge_method: squash }\n",
        "intents:\n  ship: { action: merge, add_label: shipped }\n",
    ] {
        assert!(RepoConfig::parse(yaml).is_err(), "tacit refuses {yaml:?}");
        let json: Value = serde_norway::from_str(yaml).unwrap();
        assert!(
            !validator.is_valid(&json),
            "the schema should refuse {yaml:?}"
        );
    }
}

/// `docs/reference.md` names every key of the configuration's JSON Schema (at any depth)
/// and every command, so the reference cannot fall behind the parser.
#[test]
fn the_reference_names_every_key_and_command() {
    fn keys(schema: &Value, out: &mut Vec<String>) {
        match schema {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    out.extend(props.keys().cloned());
                }
                map.values().for_each(|v| keys(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let reference = std::fs::read_to_string(root().join("docs/reference.md")).unwrap();
    let mut names = Vec::new();
    keys(&json_schema(), &mut names);
    assert!(names.len() >= 19, "{names:?}");
    names.extend(tacit::core::commands::NAMES.iter().map(|c| c.to_string()));
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !reference.contains(&format!("`{n}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/reference.md does not name {missing:?}"
    );
}
