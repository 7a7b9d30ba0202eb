//! GitHub's REST description as a contract for what the client sends: every request must
//! name an operation of `tests/fixtures/github/rest-api-subset.json` (method and path
//! template), and its JSON body must fit that operation's request-body schema.
//!
//! The schemas are read as GitHub's OpenAPI 3.0 writes them, made a little stricter: `$ref`s
//! are inlined, `nullable` becomes a `null` alternative, and an object schema that lists its
//! `properties` without saying otherwise takes no other property (a field GitHub does not
//! know is silently ignored by GitHub, so sending one is a bug of the client). Formats
//! (`date-time`) are checked.

use std::sync::LazyLock;

use serde_json::{Map, Value};

/// Where the description is, relative to the crate.
const DESCRIPTION: &str = "tests/fixtures/github/rest-api-subset.json";

/// One operation: method, path template, and its request body's validator.
struct Operation {
    method: String,
    template: String,
    segments: Vec<Segment>,
    body: Option<Body>,
}

enum Segment {
    Literal(String),
    /// `{path}` and `{ref}` may span several segments (`.github/tacit.yml`, `heads/x`).
    Param {
        multi: bool,
    },
}

struct Body {
    required: bool,
    validator: jsonschema::Validator,
}

static OPERATIONS: LazyLock<Vec<Operation>> = LazyLock::new(load);

fn load() -> Vec<Operation> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DESCRIPTION);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fake GitHub: cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("the REST description is JSON");
    let mut ops = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let body = op.get("requestBody").and_then(|rb| {
                let schema = rb.pointer("/content/application~1json/schema")?;
                let schema = strict(&inline(schema, &doc, 0));
                let validator = jsonschema::options()
                    .should_validate_formats(true)
                    .build(&schema)
                    .unwrap_or_else(|e| {
                        panic!("fake GitHub: schema of {method} {template} compiles: {e}")
                    });
                Some(Body {
                    required: rb["required"].as_bool().unwrap_or(false),
                    validator,
                })
            });
            let segments = template
                .split('/')
                .filter(|s| !s.is_empty())
                .map(
                    |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => Segment::Param {
                            multi: name == "path" || name == "ref",
                        },
                        None => Segment::Literal(s.to_string()),
                    },
                )
                .collect();
            ops.push(Operation {
                method: method.to_uppercase(),
                template: template.clone(),
                segments,
                body,
            });
        }
    }
    ops
}

/// Replaces every `{"$ref": "#/..."}` with what it points at (the description's request
/// bodies are not recursive; `depth` guards anyway).
fn inline(v: &Value, doc: &Value, depth: usize) -> Value {
    assert!(depth < 32, "fake GitHub: $ref nesting too deep");
    match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                let target = doc
                    .pointer(r.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("fake GitHub: unresolved $ref {r}"));
                return inline(target, doc, depth + 1);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), inline(v, doc, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline(v, doc, depth)).collect()),
        other => other.clone(),
    }
}

/// OpenAPI 3.0 to JSON Schema, stricter (see the module's comment).
fn strict(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| {
                    // `example(s)` and `description` are documentation; `properties` keys
                    // are names, handled below.
                    !matches!(k.as_str(), "nullable" | "example" | "examples")
                })
                .map(|(k, v)| {
                    let v = if k == "properties" {
                        Value::Object(
                            v.as_object()
                                .map(|props| {
                                    props.iter().map(|(n, s)| (n.clone(), strict(s))).collect()
                                })
                                .unwrap_or_default(),
                        )
                    } else {
                        strict(v)
                    };
                    (k.clone(), v)
                })
                .collect();
            if out.contains_key("properties") {
                if !out.contains_key("additionalProperties") {
                    out.insert("additionalProperties".into(), Value::Bool(false));
                }
                // Properties say nothing about a string; GitHub means an object.
                if !out.contains_key("type") && !out.contains_key("anyOf") {
                    out.insert("type".into(), Value::from("object"));
                }
            }
            let out = Value::Object(out);
            if map.get("nullable") == Some(&Value::Bool(true)) {
                serde_json::json!({ "anyOf": [out, { "type": "null" }] })
            } else {
                out
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(strict).collect()),
        other => other.clone(),
    }
}

fn matches(segments: &[Segment], path: &[&str]) -> bool {
    match segments.split_first() {
        None => path.is_empty(),
        Some((Segment::Literal(l), rest)) => {
            path.first().is_some_and(|p| p == l) && matches(rest, &path[1..])
        }
        Some((Segment::Param { multi }, rest)) => {
            let most = if *multi {
                path.len()
            } else {
                path.len().min(1)
            };
            (1..=most).any(|n| matches(rest, &path[n..]))
        }
    }
}

/// The operation a request names: of those whose template matches, the one with the most
/// literal segments (`issues/comments/{id}` before `issues/{number}`).
fn operation(method: &str, path: &str) -> Option<&'static Operation> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    OPERATIONS
        .iter()
        .filter(|op| op.method.eq_ignore_ascii_case(method) && matches(&op.segments, &segments))
        .max_by_key(|op| {
            op.segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count()
        })
}

/// Checks one request against the description. `body` is `None` when the body was not
/// JSON, `Some(Null)` when there was none. `Err` says what is wrong.
pub fn check(method: &str, path_and_query: &str, body: Option<&Value>) -> Result<(), String> {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let Some(op) = operation(method, path) else {
        return Err(format!(
            "{method} {path}: GitHub's REST description has no such operation"
        ));
    };
    let Some(body) = body else {
        return Err(format!("{method} {}: the body is not JSON", op.template));
    };
    match (&op.body, body) {
        (None, Value::Null) => Ok(()),
        (None, _) => Err(format!(
            "{method} {}: the operation takes no body, got {body}",
            op.template
        )),
        (Some(b), Value::Null) if b.required => Err(format!(
            "{method} {}: the operation requires a body",
            op.template
        )),
        (Some(_), Value::Null) => Ok(()),
        (Some(b), body) => {
            let errors: Vec<String> = b
                .validator
                .iter_errors(body)
                .map(|e| format!("{e} (at {})", e.instance_path()))
                .collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{method} {}: the body {body} does not fit the schema: {}",
                    op.template,
                    errors.join("; ")
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_and_bodies_are_checked() {
        assert!(
            check(
                "GET",
                "/repos/o/r/issues/1?per_page=100",
                Some(&Value::Null)
            )
            .is_ok()
        );
        assert!(
            check(
                "GET",
                "/repos/o/r/contents/.github/tacit.yml",
                Some(&Value::Null)
            )
            .is_ok()
        );
        assert!(check("GET", "/repos/o/r/nothing", Some(&Value::Null)).is_err());
        let comment = "/repos/o/r/issues/comments/5";
        assert!(check("PATCH", comment, Some(&json!({"body": "x"}))).is_ok());
        assert!(check("PATCH", comment, Some(&json!({"body": 1}))).is_err());
        assert!(check("PATCH", comment, Some(&json!({"body": "x", "extra": 1}))).is_err());
        assert!(check("PATCH", comment, Some(&Value::Null)).is_err());
        let labels = "/repos/o/r/issues/1/labels";
        assert!(check("POST", labels, Some(&json!({"labels": ["a"]}))).is_ok());
        let merge = "/repos/o/r/pulls/1/merge";
        assert!(check("PUT", merge, Some(&json!({"merge_method": "fast"}))).is_err());
        let run = "/repos/o/r/check-runs/7";
        let done = json!({"status": "completed", "conclusion": "success",
            "completed_at": "2026-01-01T00:00:00Z", "output": {"title": "t", "summary": "s"}});
        assert!(check("PATCH", run, Some(&done)).is_ok());
        assert!(check("PATCH", run, Some(&json!({"completed_at": "yesterday"}))).is_err());
        assert!(check("PATCH", run, Some(&json!({"status": "completed"}))).is_err());
    }
}
