//! `tacit::github::event::Payload::parse` on arbitrary request bodies, and
//! `item_key()` of what parses.
//!
//! Invariants (a violation panics, so libFuzzer records a crash):
//! - `parse` never panics, and accepts only JSON objects or arrays (what it
//!   accepts also parses as a `serde_json::Value`, except for the leniency of
//!   serde_json in ignored fields noted below);
//! - `item_key()` never panics, is not empty, is lowercase, is deterministic
//!   and is exactly: `<owner/repo lowercased>#<number>` when the payload has
//!   a repository and an issue or pull request, `<owner/repo lowercased>`
//!   with a repository only, else `installation:<id>`, else `app`;
//! - parsing is lenient (module documentation): the same payload with an
//!   unknown top-level field added and its keys reordered parses too, to the
//!   same item key, action, installation and item number.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tacit::github::event::Payload;

fn expected_key(p: &Payload) -> String {
    let repo = p
        .repository
        .as_ref()
        .map(|r| r.full_name.as_str())
        .filter(|s| !s.is_empty());
    let number = p
        .issue
        .as_ref()
        .or(p.pull_request.as_ref())
        .map(|i| i.number);
    match (repo, number, &p.installation) {
        (Some(repo), Some(n), _) => format!("{}#{n}", repo.to_lowercase()),
        (Some(repo), None, _) => repo.to_lowercase(),
        (None, _, Some(i)) => format!("installation:{}", i.id),
        (None, _, None) => "app".to_owned(),
    }
}

fn number(p: &Payload) -> Option<u64> {
    p.item().map(|i| i.number)
}

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = Payload::parse(data) else {
        return;
    };
    let key = payload.item_key();
    assert!(!key.is_empty(), "empty item key");
    assert_eq!(payload.item_key(), key, "item_key not deterministic");
    assert_eq!(key, expected_key(&payload), "item key");
    assert_eq!(key.to_lowercase(), key, "item key not lowercase");

    let value: serde_json::Value = match serde_json::from_slice(data) {
        Ok(value) => value,
        // serde_json skips the fields a struct ignores without checking
        // their strings' UTF-8, their `\u` surrogate pairs or their numbers'
        // range. `receive` refuses a body that is not UTF-8 before storing
        // it; the other two are harmless text.
        Err(e)
            if std::str::from_utf8(data).is_err()
                || e.to_string().contains("surrogate")
                || e.to_string().contains("number out of range") =>
        {
            return;
        }
        Err(e) => panic!("Payload::parse accepted what serde_json::Value refuses: {e}"),
    };
    let mut object = match value {
        serde_json::Value::Object(object) => object,
        // serde's derived `Deserialize` also reads a struct from a JSON array,
        // field by field in declaration order (`[]` is an empty payload).
        // Harmless (only a body signed with the app's secret gets here) but
        // worth knowing; nothing more to check on it.
        serde_json::Value::Array(_) => return,
        _ => panic!("Payload::parse accepted a JSON scalar"),
    };

    // Lenient: unknown fields do not matter.
    object.insert(
        "tacit_fuzz_unknown".to_owned(),
        serde_json::json!({"nested": [1, -2.5, null, "x", {"y": true}]}),
    );
    let body = serde_json::to_vec(&object).expect("serializes");
    let again = Payload::parse(&body).unwrap_or_else(|e| {
        panic!(
            "an unknown field made the payload fail: {e}\n{}",
            String::from_utf8_lossy(&body)
        )
    });
    assert_eq!(
        again.item_key(),
        key,
        "item key changed with an unknown field"
    );
    assert_eq!(again.action, payload.action);
    assert_eq!(
        again.installation.as_ref().map(|i| i.id),
        payload.installation.as_ref().map(|i| i.id)
    );
    assert_eq!(number(&again), number(&payload));
});
