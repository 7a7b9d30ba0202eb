//! The stored forms of intents and effects: the one place where the core's [`Intent`]
//! and [`Effect`] become the JSON of the `intents.state` and `effects.effect` columns,
//! and back. Nothing else in tacit calls `serde_json` on a stored type.
//!
//! # Stored state stays compatible
//!
//! A row outlives the binary that wrote it: an open intent written by one release is
//! decided by the next one, and after a rollback by the previous one again. So the
//! stored forms follow these rules (ARCHITECTURE.md, "Stored state stays compatible"):
//!
//! - **Format version.** Every row carries `"v": FORMAT` as its first key. A row
//!   without `"v"` was written by release 7d8afd3 or earlier and is format 1. The
//!   version changes only when a change cannot follow the rules below; then this
//!   module reads every older version and converts it. A row of a newer version than
//!   [`FORMAT`] is refused with an error, never guessed at.
//! - **Unknown fields are ignored** (serde's default; no stored type may use
//!   `deny_unknown_fields`), so a binary reads rows that a newer one wrote with more
//!   fields. `"v"` itself is such a field for the core types: no stored struct may
//!   have a field named `v`.
//! - **Missing fields take defaults, by rule.** `Intent`, `Policy` and the structs
//!   inside them are `#[serde(default)]` as a whole, backed by their `Default` impls:
//!   a field added later reads, in an older row, as its value in the `Default` impl
//!   (for a derived one, its type's default; for `Policy`, the default
//!   configuration's value). Fields inside enum variants (`Outcome`, `Effect`) have
//!   no container default: a field added there needs its own `#[serde(default)]`.
//! - **Never rename or retype a field**; add a new one, keep reading the old one.
//!   So where earlier releases stored sentences (notices, concerns, refusal and
//!   give-up reasons, "not opened" notes), the facts that replaced them are new
//!   fields beside the old strings, which are still read (and shown as they are) and
//!   written empty: an additive change, format 1 still.
//!   Removing a field is adding nothing: old rows still carry it and are read.
//! - **New enum variants** (a phase, an outcome, an effect) cannot be read by an
//!   older binary: a rollback fails on every row that holds one. Ship the reading
//!   before the writing: one release learns the variant, a later one writes it.
//! - **Fixtures.** `tests/fixtures/stored/release-*/` hold rows exactly as each
//!   release wrote them; they are never edited, only added to, and
//!   `tests/it/stored.rs` checks that the current build loads and decides every one.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::core::intent::{Effect, Intent};

/// The format version this build writes, and the newest it reads.
pub const FORMAT: u32 = 1;

/// A stored value with its format version first: `{"v":1, ...the value's fields}`.
#[derive(Serialize)]
struct Versioned<'a, T> {
    v: u32,
    #[serde(flatten)]
    value: &'a T,
}

/// Only the version of a stored value; everything else is skipped.
#[derive(Deserialize)]
struct Version {
    v: Option<u32>,
}

fn encode<T: Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&Versioned { v: FORMAT, value })?)
}

/// The format version of a stored row: 1 when it has none (release 7d8afd3).
fn version_of(json: &str) -> anyhow::Result<u32> {
    let version = serde_json::from_str::<Version>(json)?.v.unwrap_or(1);
    if version > FORMAT {
        bail!(
            "stored in format {version} by a newer release; this one reads formats up to {FORMAT}"
        );
    }
    Ok(version)
}

/// The `intents.state` column of an intent.
pub fn encode_intent(intent: &Intent) -> anyhow::Result<String> {
    encode(intent)
}

/// An intent from its `intents.state` column, of any format up to [`FORMAT`].
pub fn decode_intent(json: &str) -> anyhow::Result<Intent> {
    (|| {
        version_of(json)?;
        anyhow::Ok(serde_json::from_str(json)?)
    })()
    .context("stored intent state")
}

/// The `effects.effect` column of an effect. Identical effects encode identically:
/// `Store::has_later_pending` compares the text. (An effect still pending from
/// release 7d8afd3 has no `"v"` and so matches none written now: at worst one status
/// edit after the upgrade is not coalesced.)
pub fn encode_effect(effect: &Effect) -> anyhow::Result<String> {
    encode(effect)
}

/// An effect from its `effects.effect` column, of any format up to [`FORMAT`].
pub fn decode_effect(json: &str) -> anyhow::Result<Effect> {
    (|| {
        version_of(json)?;
        anyhow::Ok(serde_json::from_str(json)?)
    })()
    .context("stored effect")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{CloseReason, MergeMethod, Policy, RepoConfig};
    use crate::core::intent::{Objection, Opening, Phase, Source};

    fn intent() -> Intent {
        let at = "2026-03-02T09:00:00Z".parse().unwrap();
        Intent::open(Opening {
            policy: RepoConfig::default().policy("intent-to-merge").unwrap(),
            is_pull: true,
            item_author: "carol".into(),
            author: "alice".into(),
            at,
            now: at,
            head_sha: Some("sha-0".into()),
            carried: vec![Objection {
                who: "dave".into(),
                reason: "no".into(),
                url: None,
                at,
                source: Source::Comment(1),
                edited_from: None,
            }],
        })
        .0
    }

    #[test]
    fn writes_the_version_first_and_reads_it_back() {
        let i = intent();
        let json = encode_intent(&i).unwrap();
        assert!(json.starts_with(r#"{"v":1,"policy":{"#), "{json}");
        assert_eq!(decode_intent(&json).unwrap(), i);
        let e = Effect::Merge {
            sha: "sha-0".into(),
            method: Some(MergeMethod::Rebase),
        };
        let json = encode_effect(&e).unwrap();
        assert_eq!(
            json,
            r#"{"v":1,"kind":"merge","sha":"sha-0","method":"rebase"}"#
        );
        assert_eq!(decode_effect(&json).unwrap(), e);
        assert_eq!(
            encode_effect(&Effect::SyncStatus).unwrap(),
            r#"{"v":1,"kind":"sync_status"}"#
        );
    }

    /// Release 7d8afd3 decodes with plain `serde_json::from_str` of types without
    /// defaults: what this release writes must stay readable there (rollback).
    #[test]
    fn the_previous_release_reads_what_this_one_writes() {
        let i = intent();
        let back: Intent = serde_json::from_str(&encode_intent(&i).unwrap()).unwrap();
        assert_eq!(back, i);
        for e in [
            Effect::SyncStatus,
            Effect::Close {
                reason: CloseReason::Completed,
            },
        ] {
            let back: Effect = serde_json::from_str(&encode_effect(&e).unwrap()).unwrap();
            assert_eq!(back, e);
        }
    }

    #[test]
    fn unknown_fields_are_ignored_at_every_level() {
        let mut json: serde_json::Value =
            serde_json::from_str(&encode_intent(&intent()).unwrap()).unwrap();
        json["from_the_future"] = "x".into();
        json["policy"]["from_the_future"] = 1.into();
        json["objections"][0]["from_the_future"] = true.into();
        assert_eq!(decode_intent(&json.to_string()).unwrap(), intent());
        assert_eq!(
            decode_effect(r#"{"v":1,"kind":"verify","from_the_future":[1]}"#).unwrap(),
            Effect::Verify
        );
        assert_eq!(
            decode_effect(r#"{"kind":"add_label","name":"x","from_the_future":{}}"#).unwrap(),
            Effect::AddLabel { name: "x".into() }
        );
    }

    /// A field missing from a stored row (it did not exist when the row was written)
    /// takes its value from the `Default` impl of the struct that holds it.
    #[test]
    fn missing_fields_take_the_container_default() {
        let mut json: serde_json::Value =
            serde_json::from_str(&encode_intent(&intent()).unwrap()).unwrap();
        let obj = json.as_object_mut().unwrap();
        obj.remove("notices");
        obj.remove("phase");
        obj.remove("extended");
        let policy = obj["policy"].as_object_mut().unwrap();
        policy.remove("restart_on_push");
        policy.remove("timezone");
        policy.remove("after_objection");
        obj["objections"][0]
            .as_object_mut()
            .unwrap()
            .remove("reason");
        let back = decode_intent(&json.to_string()).unwrap();
        assert!(back.notices.is_empty());
        assert_eq!(back.phase, Phase::Open);
        assert_eq!(back.extended, std::time::Duration::ZERO);
        let defaults = Policy::default();
        assert_eq!(back.policy.restart_on_push, defaults.restart_on_push);
        assert_eq!(back.policy.timezone, "UTC");
        assert_eq!(back.policy.after_objection, defaults.after_objection);
        assert_eq!(
            back.policy.label, "intent-to-merge",
            "present fields are kept"
        );
        assert_eq!(back.objections[0].reason, "");
        assert_eq!(back.objections[0].who, "dave");
    }

    /// Rows of earlier releases hold sentences where this one holds facts: they load
    /// as they were (and `render` shows them as they are), with no fact.
    #[test]
    fn sentences_of_earlier_releases_load_beside_the_facts() {
        use crate::core::intent::{MergeRefusal, Outcome};
        let mut json: serde_json::Value =
            serde_json::from_str(&encode_intent(&intent()).unwrap()).unwrap();
        json["notices"] = serde_json::json!(["an old notice"]);
        json["concerns"] = serde_json::json!([
            {"who": "erin", "what": "/object: no", "why": "needs write permission (has read)", "url": null}
        ]);
        json["refusal"] = serde_json::json!({
            "message": "no merge method is allowed on this repository",
            "first_at": "2026-03-02T09:00:00Z", "last_at": "2026-03-02T09:00:00Z",
            "attempts": 1, "soon": false, "nudged": false
        });
        json["outcome"] =
            serde_json::json!({"kind": "gave_up", "reason": "the merge was refused for 7d (x)"});
        let back = decode_intent(&json.to_string()).unwrap();
        assert_eq!(back.notices, vec!["an old notice".to_string()]);
        assert!(back.notes.is_empty());
        let c = &back.concerns[0];
        assert_eq!((c.what.as_str(), c.asked.as_ref()), ("/object: no", None));
        assert_eq!(c.why, "needs write permission (has read)");
        assert_eq!(c.reason, None);
        let r = back.refusal.as_ref().unwrap();
        assert_eq!(
            r.refused(),
            MergeRefusal::GitHub {
                message: "no merge method is allowed on this repository".into()
            },
            "shown in its words, as before"
        );
        assert_eq!(
            back.outcome,
            Some(Outcome::GaveUp {
                reason: "the merge was refused for 7d (x)".into(),
                last: None
            })
        );
    }

    /// Facts are new fields beside the sentences' ones, which are still written (empty),
    /// since release 7d8afd3 fails on a missing field.
    #[test]
    fn facts_are_written_beside_empty_sentences() {
        use crate::core::commands::parse_commands;
        use crate::core::config::Role;
        use crate::core::intent::{Actor, Event};
        let mut i = intent();
        let at = i.opened_at;
        i.handle(
            Event::Command {
                actor: Actor {
                    login: "erin".into(),
                    role: Some(Role::Read),
                    approver: false,
                },
                command: parse_commands("/approve").remove(0),
                source: Source::Comment(5),
                url: None,
                at,
                sender_is_author: true,
                edited_from: None,
            },
            at,
        );
        let json: serde_json::Value = serde_json::from_str(&encode_intent(&i).unwrap()).unwrap();
        let c = &json["concerns"][0];
        assert_eq!((&c["what"], &c["why"]), (&"".into(), &"".into()));
        assert_eq!(c["asked"], serde_json::json!({"kind": "approve"}));
        assert_eq!(
            c["reason"],
            serde_json::json!({"kind": "permission", "needs": "write", "has": "read"})
        );
        assert_eq!(json["notices"], serde_json::json!([]));
        assert_eq!(decode_intent(&json.to_string()).unwrap(), i);
    }

    #[test]
    fn a_newer_format_is_refused_not_guessed() {
        let json = encode_intent(&intent())
            .unwrap()
            .replacen(r#""v":1"#, r#""v":2"#, 1);
        let err = format!("{:#}", decode_intent(&json).unwrap_err());
        assert!(err.contains("format 2 by a newer release"), "{err}");
        let err = format!(
            "{:#}",
            decode_effect(r#"{"v":7,"kind":"verify"}"#).unwrap_err()
        );
        assert!(err.contains("format 7"), "{err}");
    }
}
