//! `app.yml`: the GitHub App manifest, checked before an App is registered with it.

use anyhow::{Context, anyhow, bail};
use serde_json::{Map, Value, json};

use super::urls::{Webhook, web_address};

/// The keys of a GitHub App manifest (GitHub docs, "GitHub App Manifest parameters").
const MANIFEST_KEYS: [&str; 12] = [
    "name",
    "url",
    "hook_attributes",
    "redirect_url",
    "callback_urls",
    "setup_url",
    "description",
    "public",
    "default_events",
    "default_permissions",
    "request_oauth_on_install",
    "setup_on_update",
];

/// What tacit needs (SPEC section 6), so that an edited `app.yml` that lacks some of it
/// is noticed before an App is registered with it.
const NEEDED_PERMISSIONS: [(&str, &str); 8] = [
    ("contents", "write"),
    ("issues", "write"),
    ("pull_requests", "write"),
    ("checks", "write"),
    ("workflows", "write"),
    ("statuses", "read"),
    ("metadata", "read"),
    ("members", "read"),
];
const NEEDED_EVENTS: [&str; 9] = [
    "issues",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "check_suite",
    "check_run",
    "status",
    "label",
    "push",
];

/// A checked GitHub App manifest (`app.yml`), as the JSON object GitHub takes.
#[derive(Debug, Clone)]
pub struct Manifest {
    fields: Map<String, Value>,
}

impl Manifest {
    /// Reads `app.yml`: a mapping with at least `name`, `url` and `hook_attributes.url`,
    /// and the other keys GitHub knows of the right types.
    pub fn parse(yaml: &str) -> anyhow::Result<Manifest> {
        let value: Value = serde_norway::from_str(yaml)?;
        let Value::Object(fields) = value else {
            bail!("not a mapping of manifest keys, like `name: tacit`");
        };
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::trim);
        match text("name") {
            None | Some("") => bail!("`name` is missing: the App's name, like `name: tacit`"),
            // GitHub's limit for an App name.
            Some(name) if name.chars().count() > 34 => {
                bail!("`name` is longer than 34 characters, GitHub's limit: {name:?}")
            }
            Some(_) => {}
        }
        let url = text("url").ok_or_else(|| anyhow!("`url` is missing: the App's homepage"))?;
        web_address(url).with_context(|| format!("`url` is not a web address: {url:?}"))?;
        let hook = fields
            .get("hook_attributes")
            .and_then(|h| h.get("url"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                anyhow!("`hook_attributes.url` is missing: where GitHub delivers events")
            })?;
        web_address(hook)
            .with_context(|| format!("`hook_attributes.url` is not a web address: {hook:?}"))?;
        if fields.get("public").is_some_and(|p| !p.is_boolean()) {
            bail!("`public` must be true or false");
        }
        let permissions_ok = fields.get("default_permissions").is_none_or(|p| {
            p.as_object().is_some_and(|p| {
                p.values().all(|level| {
                    matches!(level.as_str(), Some("read" | "write" | "admin" | "none"))
                })
            })
        });
        if !permissions_ok {
            bail!("`default_permissions` must map permissions to read, write or none");
        }
        let events_ok = fields.get("default_events").is_none_or(|e| {
            e.as_array()
                .is_some_and(|e| e.iter().all(|event| event.as_str().is_some()))
        });
        if !events_ok {
            bail!("`default_events` must be a list of event names");
        }
        Ok(Manifest { fields })
    }

    pub fn name(&self) -> &str {
        self.fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `hook_attributes.url` as written in `app.yml`.
    pub fn hook_url(&self) -> &str {
        self.fields
            .get("hook_attributes")
            .and_then(|h| h.get("url"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Things worth saying before the App is registered: keys GitHub does not know,
    /// and permissions or events tacit needs that the manifest does not ask for.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for key in self.fields.keys() {
            if !MANIFEST_KEYS.contains(&key.as_str()) {
                warnings.push(format!("`{key}` is not a manifest key GitHub knows"));
            }
        }
        if self.fields.contains_key("redirect_url") {
            warnings.push("`redirect_url` is replaced by this setup's own address".to_string());
        }
        let permissions = self.fields.get("default_permissions");
        for (permission, level) in NEEDED_PERMISSIONS {
            let given = permissions
                .and_then(|p| p.get(permission))
                .and_then(Value::as_str);
            let enough = matches!(
                (given, level),
                (Some("write" | "admin"), _) | (Some("read"), "read")
            );
            if !enough {
                warnings.push(format!(
                    "`default_permissions` lacks `{permission}: {level}`, which tacit needs"
                ));
            }
        }
        let events = self.fields.get("default_events").and_then(Value::as_array);
        for event in NEEDED_EVENTS {
            if !events.is_some_and(|e| e.iter().any(|given| given == event)) {
                warnings.push(format!(
                    "`default_events` lacks `{event}`, which tacit needs"
                ));
            }
        }
        warnings
    }

    /// The manifest to send to GitHub: `app.yml` with this setup's callback as
    /// `redirect_url` and the chosen webhook.
    pub fn for_github(&self, redirect_url: &str, webhook: &Webhook) -> Value {
        let mut fields = self.fields.clone();
        fields.insert("redirect_url".to_string(), json!(redirect_url));
        let mut hook = fields
            .get("hook_attributes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match webhook {
            Webhook::Active(url) => {
                hook.insert("url".to_string(), json!(url));
                hook.insert("active".to_string(), json!(true));
            }
            // GitHub requires a url even for an inactive webhook: app.yml's stays.
            Webhook::Inactive => {
                hook.insert("active".to_string(), json!(false));
            }
        }
        fields.insert("hook_attributes".to_string(), Value::Object(hook));
        Value::Object(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::BUILTIN_APP_YML;

    #[test]
    fn the_repositorys_app_yml_is_a_manifest_with_what_tacit_needs() {
        let manifest = Manifest::parse(BUILTIN_APP_YML).unwrap();
        assert_eq!(manifest.name(), "tacit");
        assert_eq!(
            manifest.hook_url(),
            "https://tacit.example.com/api/github/webhooks"
        );
        assert_eq!(manifest.warnings(), Vec::<String>::new());
        let json = manifest.for_github("http://localhost:3000/setup/callback", &Webhook::Inactive);
        assert_eq!(json["public"], false);
        assert_eq!(json["url"], "https://github.com/OWNER/tacit");
        for (permission, level) in NEEDED_PERMISSIONS {
            assert_eq!(json["default_permissions"][permission], level);
        }
        let events: Vec<&str> = json["default_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(events, NEEDED_EVENTS);
    }

    /// An event tacit subscribes to is counted under its own name in the metrics.
    #[test]
    fn every_needed_event_has_its_own_metrics_series() {
        for event in NEEDED_EVENTS {
            assert!(
                crate::webhook::KNOWN_EVENTS.contains(&event),
                "{event} would be counted as `other`"
            );
        }
    }

    #[test]
    fn the_manifest_gets_the_callback_and_the_webhook() {
        let manifest = Manifest::parse(BUILTIN_APP_YML).unwrap();
        let active = manifest.for_github(
            "http://localhost:3000/setup/callback",
            &Webhook::Active("https://tacit.fly.dev/api/github/webhooks".into()),
        );
        assert_eq!(
            active["redirect_url"],
            "http://localhost:3000/setup/callback"
        );
        assert_eq!(
            active["hook_attributes"],
            json!({ "url": "https://tacit.fly.dev/api/github/webhooks", "active": true })
        );
        let inactive =
            manifest.for_github("http://localhost:3000/setup/callback", &Webhook::Inactive);
        assert_eq!(
            inactive["hook_attributes"],
            json!({ "url": "https://tacit.example.com/api/github/webhooks", "active": false })
        );
        // Everything else is app.yml's.
        assert_eq!(active["name"], "tacit");
        assert!(
            active["description"]
                .as_str()
                .unwrap()
                .starts_with("Lazy consensus")
        );
    }

    #[test]
    fn broken_manifests_are_refused_with_the_reason() {
        let base = "name: x\nurl: https://a.org\nhook_attributes:\n  url: https://a.org/h\n";
        assert!(Manifest::parse(base).is_ok());
        let cases = [
            ("- a\n", "not a mapping"),
            (
                "url: https://a.org\nhook_attributes: {url: https://a.org}\n",
                "`name` is missing",
            ),
            (
                "name: x\nhook_attributes: {url: https://a.org}\n",
                "`url` is missing",
            ),
            (
                "name: x\nurl: ftp://a.org\nhook_attributes: {url: https://a.org}\n",
                "`url` is not",
            ),
            (
                "name: x\nurl: https://a.org\n",
                "`hook_attributes.url` is missing",
            ),
            (&format!("{base}public: yes\n"), "`public`"),
            (
                &format!("{base}default_permissions: {{issues: all}}\n"),
                "`default_permissions`",
            ),
            (
                &format!("{base}default_events: issues\n"),
                "`default_events`",
            ),
            (
                "name: a-name-much-longer-than-github-allows\nurl: https://a.org\nhook_attributes: {url: https://a.org}\n",
                "34 characters",
            ),
        ];
        for (yaml, expected) in cases {
            let err = format!("{:#}", Manifest::parse(yaml).unwrap_err());
            assert!(err.contains(expected), "{yaml:?}: {err}");
        }
        let odd = Manifest::parse(&format!(
            "{base}redirect_url: https://a.org/r\nfavourite_colour: blue\n"
        ))
        .unwrap();
        let warnings = odd.warnings();
        assert!(
            warnings.iter().any(|w| w.contains("`favourite_colour`")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("`redirect_url` is replaced")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("`contents: write`")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("lacks `label`")),
            "{warnings:?}"
        );
    }
}
