//! `tacit setup`: registers tacit's GitHub App from `app.yml` with GitHub's manifest
//! flow, as Probot apps do, and writes the App's id, private key and webhook secret
//! into `.env`.
//!
//! The flow (GitHub docs, "Registering a GitHub App from a manifest"):
//! 1. A small local server shows a page whose form POSTs the manifest to GitHub
//!    (`{web}/settings/apps/new`, or `{web}/organizations/{org}/settings/apps/new`)
//!    with a random `state`.
//! 2. The person confirms on GitHub (and may rename the App). GitHub sends the browser
//!    to the manifest's `redirect_url`: `GET /setup/callback?code=...&state=...`.
//! 3. tacit checks the state, exchanges the code once
//!    (`POST /app-manifests/{code}/conversions`), writes `.env`, shows the next steps
//!    and exits.
//!
//! The decisions (the manifest, the URLs, merging `.env`) are plain functions with
//! unit tests; the server around them is thin. `.env` is checked before the single-use
//! code is spent, and written only after the exchange succeeded.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::github::{self, GhError, ManifestApp};
use crate::settings::SetupSettings;

/// `app.yml` as it was when this binary was built: used when the working directory has
/// none (a container, an installed binary), so that setup works anywhere.
pub const BUILTIN_APP_YML: &str = include_str!("../../app.yml");

/// Where GitHub sends the browser back to, on the local server.
pub const CALLBACK_PATH: &str = "/setup/callback";

/// The path tacit receives deliveries on (SPEC section 1).
const WEBHOOK_PATH: &str = "/api/github/webhooks";

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

/// How long GitHub may take to answer the exchange.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The manifest

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

// ---------------------------------------------------------------------------
// Addresses

/// Where the new App's webhook points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Webhook {
    /// An https address GitHub can deliver to.
    Active(String),
    /// No such address is known yet: the App is registered with its webhook off, and
    /// the operator sets the address in the App's settings once tacit runs somewhere.
    /// (Delivering to a placeholder would send repository data to a stranger.)
    Inactive,
}

/// The webhook: `explicit` (`--webhook-url` or `WEBHOOK_URL`) if given, which must then be
/// usable; else `app.yml`'s if usable; else none yet. A bare origin
/// (`https://tacit.example.org`) gets tacit's path, `/api/github/webhooks`.
pub fn choose_webhook(explicit: Option<&str>, manifest_url: &str) -> anyhow::Result<Webhook> {
    match explicit.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => usable_webhook(url)
            .map(Webhook::Active)
            .map_err(|why| anyhow!("the webhook URL {url:?} {why}")),
        None => Ok(usable_webhook(manifest_url).map_or(Webhook::Inactive, Webhook::Active)),
    }
}

/// `url` with tacit's path when it has none, if GitHub could deliver to it: https, and
/// a host that is neither a reserved example name nor this machine.
fn usable_webhook(url: &str) -> Result<String, &'static str> {
    let mut parsed = url::Url::parse(url).map_err(|_| "is not a URL")?;
    if parsed.scheme() != "https" {
        return Err("is not https: GitHub must reach tacit over TLS");
    }
    let placeholder = match parsed.host() {
        None => true,
        Some(url::Host::Domain(domain)) => is_reserved_name(domain),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
    };
    if placeholder {
        return Err("names no public host (example and local names cannot receive deliveries)");
    }
    if parsed.path() == "/" || parsed.path().is_empty() {
        parsed.set_path(WEBHOOK_PATH);
    }
    Ok(parsed.to_string())
}

/// Names reserved for examples and local use (RFC 2606, RFC 6761).
fn is_reserved_name(domain: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let under = |suffix: &str| domain == suffix || domain.ends_with(&format!(".{suffix}"));
    ["example.com", "example.org", "example.net", "example"]
        .into_iter()
        .chain(["test", "invalid", "localhost", "local"])
        .any(under)
}

/// An http(s) URL with a host.
fn web_address(url: &str) -> anyhow::Result<url::Url> {
    let parsed = url::Url::parse(url)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        bail!("use an http or https address");
    }
    Ok(parsed)
}

/// GitHub's web root for its API root: `https://api.github.com` -> `https://github.com`;
/// GitHub Enterprise Server `https://HOST/api/v3` -> `https://HOST`; GHE.com
/// `https://api.SUBDOMAIN.ghe.com` -> `https://SUBDOMAIN.ghe.com`. Any other API root
/// (the fake GitHub of the tests) serves the web pages itself.
pub fn web_url(api_url: &str) -> anyhow::Result<String> {
    let mut url = web_address(api_url)
        .with_context(|| format!("GITHUB_API_URL is not a web address: {api_url:?}"))?;
    let path = url.path().trim_end_matches('/').to_string();
    if let Some(root) = path.strip_suffix("/api/v3") {
        url.set_path(root);
    } else if path.is_empty()
        && let Some(web_host) = url.host_str().and_then(|h| h.strip_prefix("api."))
    {
        let web_host = web_host.to_string();
        url.set_host(Some(&web_host))?;
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Where the form posts the manifest: the account's or an organisation's "register a new
/// GitHub App" page, with the state GitHub hands back to the callback.
pub fn new_app_url(web: &str, org: Option<&str>, state: &str) -> String {
    match org {
        Some(org) => format!("{web}/organizations/{org}/settings/apps/new?state={state}"),
        None => format!("{web}/settings/apps/new?state={state}"),
    }
}

/// An organisation login as GitHub allows them: 1 to 39 letters, digits and hyphens,
/// not starting or ending with a hyphen.
pub fn valid_org(org: &str) -> bool {
    (1..=39).contains(&org.len())
        && org.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !org.starts_with('-')
        && !org.ends_with('-')
}

/// `http://<host>` from the request's `Host` header: the address the browser used, so
/// that GitHub sends it back to the same place. Loopback names only, unless tacit
/// listens on a non-loopback address on purpose: a page of another site whose name
/// resolves to 127.0.0.1 (DNS rebinding) must not be able to drive this server.
pub fn local_base(host_header: &str, listen: SocketAddr) -> Result<String, String> {
    let invalid = || format!("{host_header:?} is not a host name");
    let url = url::Url::parse(&format!("http://{host_header}/")).map_err(|_| invalid())?;
    let clean = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    let Some(host) = url.host() else {
        return Err(invalid());
    };
    if !clean {
        return Err(invalid());
    }
    let loopback = match host {
        url::Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    if !loopback && listen.ip().is_loopback() {
        return Err(format!(
            "open this page as http://localhost:{} (it was opened as {host_header:?})",
            listen.port()
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

// ---------------------------------------------------------------------------
// `.env`

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
    let probe = temp_path(path);
    std::fs::File::create(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .with_context(|| format!("cannot write next to {}", path.display()))?;
    Ok(existing)
}

/// Replaces the file at `path` with `contents` at once (a temporary file in the same
/// directory, then a rename): a crash leaves the old file or the new one, never half of
/// one. The file is readable by its owner only: it holds a private key.
pub fn write_env_file(path: &Path, contents: &str) -> std::io::Result<()> {
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

// ---------------------------------------------------------------------------
// Pages

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n\
         body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 3rem auto; padding: 0 1rem; }}\n\
         code {{ background: #f3f3f3; padding: 0 .2em; }}\n\
         button {{ font: inherit; padding: .4em 1em; cursor: pointer; }}\n\
         .note {{ border-left: 4px solid #d4a72c; padding-left: 1rem; }}\n\
         .error {{ border-left: 4px solid #cf222e; padding-left: 1rem; }}\n\
         </style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        title = escape_html(title),
    )
}

/// The start page: what happens, and the form that posts the manifest to GitHub.
fn start_page(
    manifest: &Manifest,
    manifest_json: &Value,
    action: &str,
    org: Option<&str>,
    webhook: &Webhook,
    env_path: &Path,
) -> String {
    let name = escape_html(manifest.name());
    let webhook_note = match webhook {
        Webhook::Active(url) => format!(
            "<p>GitHub will deliver events to <code>{}</code>.</p>\n",
            escape_html(url)
        ),
        Webhook::Inactive => format!(
            "<p class=\"note\">No public address for tacit is known yet (<code>app.yml</code>'s \
             <code>{}</code> cannot receive deliveries), so the App is registered with its \
             webhook turned off. Once tacit runs where GitHub can reach it, set the webhook URL to \
             <code>https://&lt;your host&gt;{WEBHOOK_PATH}</code> and turn it on in the \
             App's settings; or stop this setup and start it again with \
             <code>--webhook-url https://&lt;your host&gt;</code>.</p>\n",
            escape_html(manifest.hook_url())
        ),
    };
    let (button, switch) = match org {
        Some(org) => (
            format!(
                "Register the App for the organisation <b>{}</b>",
                escape_html(org)
            ),
            "<p><a href=\"/\">Register it on my personal account instead</a></p>\n".to_string(),
        ),
        None => (
            "Register the App on my account".to_string(),
            "<form method=\"get\" action=\"/\">\n<p>Or for an organisation you own: \
             <input name=\"org\" placeholder=\"organisation\" required>\n\
             <button type=\"submit\">Continue</button></p>\n</form>\n"
                .to_string(),
        ),
    };
    let body = format!(
        "<h1>Register tacit as a GitHub App</h1>\n\
         <p>This registers a GitHub App named <b>{name}</b> from <code>app.yml</code>, with \
         the permissions and events tacit needs. GitHub asks you to confirm, and lets you \
         change the name (App names are unique on GitHub). Then it sends you back here, \
         and tacit writes the App's id, private key and webhook secret into \
         <code>{env}</code>.</p>\n\
         {webhook_note}\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"manifest\" value=\"{manifest}\">\n\
         <p><button type=\"submit\">{button}</button></p>\n\
         </form>\n\
         {switch}",
        env = escape_html(&env_path.display().to_string()),
        action = escape_html(action),
        manifest = escape_html(&manifest_json.to_string()),
    );
    layout("tacit setup", &body)
}

fn error_page(message: &str) -> String {
    layout(
        "tacit setup: error",
        &format!(
            "<h1>tacit setup</h1>\n<p class=\"error\">{}</p>\n\
             <p><a href=\"/\">Start again</a></p>\n",
            escape_html(message)
        ),
    )
}

/// What to do next, as lines of text (for the terminal) and as the success page.
fn next_steps(done: &Done) -> Vec<String> {
    let mut steps = vec![format!(
        "Install it on the repositories tacit should look after: {}/installations/new",
        done.html_url
    )];
    if done.webhook == Webhook::Inactive {
        steps.push(format!(
            "When tacit runs where GitHub can reach it, set the webhook URL to \
             https://<your host>{WEBHOOK_PATH} and turn the webhook on: {}",
            done.settings_url
        ));
    }
    if done.secret_generated {
        steps.push(format!(
            "GitHub gave no webhook secret, so tacit made one (WEBHOOK_SECRET in {}): \
             enter it as the webhook secret in the App's settings: {}",
            done.env_path.display(),
            done.settings_url
        ));
    }
    if done.private_key_path_unused {
        steps.push(format!(
            "PRIVATE_KEY_PATH in {} is no longer used: PRIVATE_KEY takes precedence",
            done.env_path.display()
        ));
    }
    steps.push("Start tacit: cargo run --release -- serve (or `tacit serve`)".to_string());
    steps
}

fn success_page(done: &Done) -> String {
    let steps: String = next_steps(done)
        .iter()
        .map(|step| format!("<li>{}</li>\n", link_urls(&escape_html(step))))
        .collect();
    layout(
        "tacit setup: done",
        &format!(
            "<h1>The GitHub App is registered</h1>\n\
             <p><a href=\"{url}\">{slug}</a> exists, and its id, private key and webhook \
             secret are in <code>{env}</code>. This setup has stopped.</p>\n\
             <h2>Next</h2>\n<ol>\n{steps}</ol>\n",
            url = escape_html(&done.html_url),
            slug = escape_html(&done.slug),
            env = escape_html(&done.env_path.display().to_string()),
        ),
    )
}

/// Makes the http(s) URLs in already escaped text clickable (not the templates with
/// `<your host>` in them).
fn link_urls(escaped: &str) -> String {
    escaped
        .split(' ')
        .map(|word| {
            if (word.starts_with("https://") || word.starts_with("http://")) && !word.contains('&')
            {
                format!("<a href=\"{word}\">{word}</a>")
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------
// The server

/// Everything the setup server needs, decided before it starts.
#[derive(Debug, Clone)]
pub struct SetupConfig {
    pub listen: SocketAddr,
    pub github_api_url: String,
    pub web_url: String,
    pub manifest: Manifest,
    pub webhook: Webhook,
    pub env_path: PathBuf,
}

/// A registered App, written into `.env`.
#[derive(Debug, Clone)]
pub struct Done {
    pub id: u64,
    pub slug: String,
    pub html_url: String,
    /// The App's settings page (webhook, secret, keys).
    pub settings_url: String,
    pub webhook: Webhook,
    pub env_path: PathBuf,
    /// GitHub sent no webhook secret and tacit made one.
    pub secret_generated: bool,
    /// `.env` also sets `PRIVATE_KEY_PATH`, now shadowed by `PRIVATE_KEY`.
    pub private_key_path_unused: bool,
}

/// How a run ended.
#[derive(Debug)]
enum Outcome {
    Done(Done),
    /// The App was registered, but `.env` could not be written.
    Failed(String),
}

struct Shared {
    config: SetupConfig,
    /// The `state` handed to GitHub and expected back (CSRF protection).
    state: String,
    /// Held while a code is exchanged: one exchange at a time, none after the end.
    outcome: tokio::sync::Mutex<Option<Outcome>>,
    finished: tokio::sync::Notify,
}

/// Serves the setup pages on `listener` until an App is registered and written into
/// `.env` (Ok), writing `.env` failed after the App was registered (Err), or `cancel`
/// completes (Ok(None)).
pub async fn run(
    config: SetupConfig,
    listener: tokio::net::TcpListener,
    cancel: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Option<Done>> {
    let shared = Arc::new(Shared {
        config,
        state: hex::encode(rand::random::<[u8; 16]>()),
        outcome: tokio::sync::Mutex::new(None),
        finished: tokio::sync::Notify::new(),
    });
    let app = Router::new()
        .route("/", get(start))
        .route(CALLBACK_PATH, get(callback))
        .with_state(shared.clone());
    let stop = {
        let shared = shared.clone();
        async move {
            tokio::select! {
                () = shared.finished.notified() => {}
                () = cancel => {}
            }
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
        .context("the setup server failed")?;
    // Stopped: no request holds the lock any more (graceful shutdown waited for them).
    let outcome = shared.outcome.lock().await.take();
    match outcome {
        Some(Outcome::Done(done)) => Ok(Some(done)),
        Some(Outcome::Failed(message)) => Err(anyhow!(message)),
        None => Ok(None),
    }
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

fn query(uri: &Uri) -> HashMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// `GET /`: the start page; `?org=NAME` registers the App for an organisation.
async fn start(State(shared): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let config = &shared.config;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let base = match local_base(host, config.listen) {
        Ok(base) => base,
        Err(why) => return page(StatusCode::BAD_REQUEST, error_page(&why)),
    };
    let query = query(&uri);
    let org = query.get("org").map(|o| o.trim()).filter(|o| !o.is_empty());
    if let Some(org) = org
        && !valid_org(org)
    {
        return page(
            StatusCode::BAD_REQUEST,
            error_page(&format!("{org:?} is not an organisation name")),
        );
    }
    let manifest = config
        .manifest
        .for_github(&format!("{base}{CALLBACK_PATH}"), &config.webhook);
    let action = new_app_url(&config.web_url, org, &shared.state);
    let html = start_page(
        &config.manifest,
        &manifest,
        &action,
        org,
        &config.webhook,
        &config.env_path,
    );
    page(StatusCode::OK, html)
}

/// Compares without stopping at the first difference, so that the time taken tells
/// nothing about the expected state.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// `GET /setup/callback?code=...&state=...`: GitHub sends the browser here after the
/// App was registered.
async fn callback(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let query = query(&uri);
    let (Some(code), Some(state)) = (query.get("code"), query.get("state")) else {
        return page(
            StatusCode::BAD_REQUEST,
            error_page(
                "This address is where GitHub sends you back; it lacks the code or the state. Nothing was written.",
            ),
        );
    };
    if !same_secret(state, &shared.state) {
        return page(
            StatusCode::FORBIDDEN,
            error_page(
                "This answer does not belong to this setup (its state does not match), so it was not used. Nothing was written.",
            ),
        );
    }
    let mut outcome = shared.outcome.lock().await;
    if outcome.is_some() {
        return page(
            StatusCode::CONFLICT,
            error_page("This setup has already ended."),
        );
    }
    let (status, html, end) = exchange(&shared.config, code).await;
    if let Some(end) = end {
        *outcome = Some(end);
        shared.finished.notify_one();
    }
    page(status, html)
}

/// Checks `.env`, exchanges the code, writes `.env`. Returns the page, and the outcome
/// when the run is over (an App was registered, whether or not `.env` could be written).
async fn exchange(config: &SetupConfig, code: &str) -> (StatusCode, String, Option<Outcome>) {
    // Before the single-use code is spent: .env must be readable and writable.
    let existing = match check_env_file(&config.env_path) {
        Ok(text) => text,
        Err(e) => {
            let message = format!("{e:#}. Fix that and start again; the App was not registered.");
            eprintln!("tacit setup: {message}");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_page(&message),
                None,
            );
        }
    };
    let app = match github::convert_manifest(&config.github_api_url, code, EXCHANGE_TIMEOUT).await {
        Ok(app) => app,
        Err(e) => {
            let message = exchange_error(&e, &config.web_url);
            eprintln!("tacit setup: {message}");
            return (StatusCode::BAD_GATEWAY, error_page(&message), None);
        }
    };
    let settings_url = if app.slug.is_empty() {
        format!("{}/settings/apps", config.web_url)
    } else {
        format!("{}/settings/apps/{}", config.web_url, app.slug)
    };
    match write_app(config, &existing, &app) {
        Ok(secret_generated) => {
            let done = Done {
                id: app.id,
                slug: if app.slug.is_empty() {
                    app.id.to_string()
                } else {
                    app.slug.clone()
                },
                html_url: if app.html_url.is_empty() {
                    settings_url.clone()
                } else {
                    app.html_url.clone()
                },
                settings_url,
                webhook: config.webhook.clone(),
                env_path: config.env_path.clone(),
                secret_generated,
                private_key_path_unused: read_env_text(&existing)
                    .is_ok_and(|vars| vars.contains_key("PRIVATE_KEY_PATH")),
            };
            (
                StatusCode::OK,
                success_page(&done),
                Some(Outcome::Done(done)),
            )
        }
        Err(e) => {
            let message = format!(
                "The App {} was registered, but {e:#}. Its private key and webhook secret are \
                 not kept anywhere else: in its settings ({settings_url}) generate a new private \
                 key and set a new webhook secret, and put them with APP_ID={} into .env by hand.",
                app.html_url, app.id
            );
            eprintln!("tacit setup: {message}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                error_page(&message),
                Some(Outcome::Failed(message)),
            )
        }
    }
}

/// Writes the App into `.env`; returns whether the webhook secret had to be made here.
fn write_app(config: &SetupConfig, existing: &str, app: &ManifestApp) -> anyhow::Result<bool> {
    let given = app.webhook_secret.as_deref().filter(|s| !s.is_empty());
    let secret = given.map_or_else(|| hex::encode(rand::random::<[u8; 32]>()), str::to_string);
    let id = app.id.to_string();
    let values = [
        ("APP_ID", id.as_str()),
        ("PRIVATE_KEY", app.pem.as_str()),
        ("WEBHOOK_SECRET", secret.as_str()),
    ];
    let merged = merge_env(existing, &values);
    // Never write a file that tacit would read back differently.
    let read_back = read_env_text(&merged)?;
    for (key, value) in values {
        if read_back.get(key).map(String::as_str) != Some(value) {
            bail!("{key} would not read back from .env as written");
        }
    }
    write_env_file(&config.env_path, &merged)
        .with_context(|| format!("cannot write {}", config.env_path.display()))?;
    Ok(given.is_none())
}

fn exchange_error(e: &GhError, web_url: &str) -> String {
    match e {
        GhError::Status { status: 400, .. } => {
            "GitHub sent back something that is not a manifest code. Nothing was written."
                .to_string()
        }
        GhError::Status { status: 404, .. } => "GitHub does not know this code: a code works \
             once, within an hour. Nothing was written; start again."
            .to_string(),
        GhError::Status { status, message } => format!(
            "GitHub refused the code ({status}: {message}). Nothing was written; start again."
        ),
        GhError::Transport(_) | GhError::RateLimited(_) => format!(
            "GitHub did not answer ({e}). Nothing was written. If the App was registered \
             anyway ({web_url}/settings/apps), delete it there and start again."
        ),
        GhError::Decode(_) => format!(
            "GitHub's answer could not be read ({e}). Nothing was written. If the App was \
             registered anyway ({web_url}/settings/apps), delete it there and start again."
        ),
    }
}

// ---------------------------------------------------------------------------
// The command

/// `tacit setup [--webhook-url URL] [--host IP]`: exit 0 once the App is registered and
/// in `.env`, 1 if that failed or was interrupted, 2 if setup cannot start.
pub fn main(webhook_url: Option<String>, host: Option<String>) -> ExitCode {
    let config = match prepare(webhook_url, host.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("tacit setup: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tacit setup: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

/// Reads the settings and `app.yml` and checks `.env`, printing what will happen.
fn prepare(webhook_flag: Option<String>, host: Option<&str>) -> anyhow::Result<SetupConfig> {
    let settings = SetupSettings::from_env(host)?;
    let (manifest_text, source) = match std::fs::read_to_string("app.yml") {
        Ok(text) => (text, "app.yml"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (BUILTIN_APP_YML.to_string(), "the app.yml built into tacit")
        }
        Err(e) => bail!("cannot read app.yml: {e}"),
    };
    let manifest = Manifest::parse(&manifest_text).context(source)?;
    for warning in manifest.warnings() {
        eprintln!("tacit setup: warning: {source}: {warning}");
    }
    let webhook = choose_webhook(
        webhook_flag.as_deref().or(settings.webhook_url.as_deref()),
        manifest.hook_url(),
    )?;
    let env_path = PathBuf::from(".env");
    let existing = check_env_file(&env_path)?;
    if read_env_text(&existing).is_ok_and(|vars| vars.contains_key("APP_ID")) {
        eprintln!(
            "tacit setup: warning: .env already sets APP_ID; a new App replaces it \
             (and PRIVATE_KEY and WEBHOOK_SECRET)"
        );
    }
    println!("tacit setup: registering the GitHub App from {source}.");
    match &webhook {
        Webhook::Active(url) => println!("Webhook: {url}"),
        Webhook::Inactive => println!(
            "Webhook: off for now (app.yml's {} cannot receive deliveries; set WEBHOOK_URL \
             or pass --webhook-url to give tacit's public address)",
            manifest.hook_url()
        ),
    }
    Ok(SetupConfig {
        listen: settings.listen,
        web_url: web_url(&settings.github_api_url)?,
        github_api_url: settings.github_api_url,
        manifest,
        webhook,
        env_path,
    })
}

async fn serve(config: SetupConfig) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tacit setup: cannot listen on {}: {e}", config.listen);
            return ExitCode::from(2);
        }
    };
    let port = listener
        .local_addr()
        .map_or(config.listen.port(), |a| a.port());
    let shown = if config.listen.ip().is_loopback() || config.listen.ip().is_unspecified() {
        format!("http://localhost:{port}/")
    } else {
        format!("http://{}/", SocketAddr::new(config.listen.ip(), port))
    };
    println!("Open {shown} in your browser to continue (Ctrl-C to stop).");
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match run(config, listener, cancel).await {
        Ok(Some(done)) => {
            println!(
                "\nRegistered the GitHub App {} ({}) and wrote APP_ID={}, PRIVATE_KEY and \
                 WEBHOOK_SECRET into {}.\nNext:",
                done.slug,
                done.html_url,
                done.id,
                done.env_path.display()
            );
            for (n, step) in next_steps(&done).iter().enumerate() {
                println!("  {}. {step}", n + 1);
            }
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("tacit setup: stopped; nothing was written");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tacit setup: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAuEPz+/=\nX0Bj4j5s\n-----END RSA PRIVATE KEY-----\n";

    fn listen(addr: &str) -> SocketAddr {
        addr.parse().unwrap()
    }

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

    #[test]
    fn the_webhook_is_an_address_github_can_reach_or_none() {
        let placeholder = "https://tacit.example.com/api/github/webhooks";
        let active = |url: &str| Ok(Webhook::Active(url.to_string()));
        assert_eq!(
            choose_webhook(None, placeholder).unwrap(),
            Webhook::Inactive
        );
        assert_eq!(
            choose_webhook(Some("  "), placeholder).unwrap(),
            Webhook::Inactive
        );
        assert_eq!(
            choose_webhook(None, "https://tacit.acme.org/api/github/webhooks")
                .map_err(|e| e.to_string()),
            active("https://tacit.acme.org/api/github/webhooks")
        );
        // An explicit address wins, and a bare origin gets tacit's path.
        assert_eq!(
            choose_webhook(Some("https://tacit.fly.dev"), placeholder).map_err(|e| e.to_string()),
            active("https://tacit.fly.dev/api/github/webhooks")
        );
        assert_eq!(
            choose_webhook(Some("https://h.org:8443/hooks/tacit"), placeholder)
                .map_err(|e| e.to_string()),
            active("https://h.org:8443/hooks/tacit")
        );
        for unusable in [
            "http://tacit.acme.org",
            "https://tacit.example.com",
            "https://example.org/x",
            "https://tacit.test",
            "https://localhost:3000",
            "https://127.0.0.1/",
            "https://[::1]/",
            "not a url",
        ] {
            assert!(
                choose_webhook(Some(unusable), placeholder).is_err(),
                "{unusable}"
            );
            assert_eq!(
                choose_webhook(None, unusable).unwrap(),
                Webhook::Inactive,
                "{unusable}"
            );
        }
        assert!(!is_reserved_name("notexample.com"));
        assert!(is_reserved_name("Tacit.Example.COM."));
    }

    #[test]
    fn web_roots_follow_the_api_root() {
        for (api, web) in [
            ("https://api.github.com", "https://github.com"),
            ("https://api.github.com/", "https://github.com"),
            ("https://ghe.acme.org/api/v3", "https://ghe.acme.org"),
            ("https://ghe.acme.org/api/v3/", "https://ghe.acme.org"),
            ("https://api.octo.ghe.com", "https://octo.ghe.com"),
            ("http://127.0.0.1:4567", "http://127.0.0.1:4567"),
        ] {
            assert_eq!(web_url(api).unwrap(), web, "{api}");
        }
        assert!(web_url("not a url").is_err());
        assert_eq!(
            new_app_url("https://github.com", None, "s1"),
            "https://github.com/settings/apps/new?state=s1"
        );
        assert_eq!(
            new_app_url("https://github.com", Some("acme"), "s1"),
            "https://github.com/organizations/acme/settings/apps/new?state=s1"
        );
    }

    #[test]
    fn organisation_names() {
        for ok in ["acme", "a", "acme-corp", "A1-b2", &"x".repeat(39)] {
            assert!(valid_org(ok), "{ok}");
        }
        for bad in [
            "",
            "-acme",
            "acme-",
            "ac me",
            "acme/x",
            "acme?x",
            &"x".repeat(40),
        ] {
            assert!(!valid_org(bad), "{bad}");
        }
    }

    #[test]
    fn the_callback_goes_back_to_the_address_the_browser_used() {
        let local = listen("127.0.0.1:3000");
        assert_eq!(
            local_base("localhost:3000", local).unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(
            local_base("127.0.0.1:3000", local).unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            local_base("[::1]:3000", local).unwrap(),
            "http://[::1]:3000"
        );
        assert_eq!(
            local_base("tacit.localhost", local).unwrap(),
            "http://tacit.localhost"
        );
        // Another name for this machine is refused on a loopback listener.
        let err = local_base("evil.example:3000", local).unwrap_err();
        assert!(err.contains("http://localhost:3000"), "{err}");
        // ... and taken on a listener the operator opened to the network.
        let open = listen("0.0.0.0:3000");
        assert_eq!(
            local_base("box.lan:3000", open).unwrap(),
            "http://box.lan:3000"
        );
        for bad in [
            "",
            "a@localhost",
            "localhost/x",
            "localhost?x",
            "local host",
            "localhost#x",
        ] {
            assert!(local_base(bad, open).is_err(), "{bad:?}");
        }
    }

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
        write_env_file(&path, "PORT=2\n").unwrap();
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

    #[test]
    fn pages_escape_what_they_show() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let manifest = Manifest::parse(
            "name: \"<b>x</b>\"\nurl: https://a.org\nhook_attributes: {url: https://a.org}\n",
        )
        .unwrap();
        let json = manifest.for_github("http://localhost:3000/setup/callback", &Webhook::Inactive);
        let html = start_page(
            &manifest,
            &json,
            "https://github.com/settings/apps/new?state=s",
            None,
            &Webhook::Inactive,
            Path::new(".env"),
        );
        assert!(!html.contains("<b>x</b>"));
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
    }

    #[test]
    fn states_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("ab", "abc"));
        assert!(!same_secret("", "abc"));
    }
}
