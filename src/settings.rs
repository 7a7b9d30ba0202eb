//! Process configuration, read once from the environment (and `.env`) at start.
//!
//! This is the only module that reads environment variables. Everything else
//! receives a [`Settings`] (or the part of it it needs).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

/// Everything `tacit serve` needs, as SPEC section 1 names it.
#[derive(Clone)]
pub struct Settings {
    pub app_id: u64,
    /// The App's private key, PEM.
    pub private_key: String,
    pub webhook_secret: String,
    pub listen: SocketAddr,
    pub database_url: String,
    pub github_api_url: String,
    /// GitHub's web root for `github_api_url` ([`github_web_url`]): where the
    /// dashboard's links point.
    pub github_web_url: String,
    pub log_level: String,
    pub log_json: bool,
    /// `DASHBOARD_TOKEN`: `Some` turns `GET /dashboard` on, for requests carrying it.
    pub dashboard_token: Option<String>,
    pub tuning: Tuning,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("app_id", &self.app_id)
            .field("private_key", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("github_api_url", &self.github_api_url)
            .field("github_web_url", &self.github_web_url)
            .field("log_level", &self.log_level)
            .field("log_json", &self.log_json)
            .field(
                "dashboard_token",
                &self.dashboard_token.as_ref().map(|_| "<redacted>"),
            )
            .field("tuning", &self.tuning)
            .finish()
    }
}

/// A dashboard token shorter than this is refused: the page is reachable by anyone who
/// can reach the webhook URL, so the token is all that guards it.
pub const MIN_DASHBOARD_TOKEN_LEN: usize = 16;

/// A webhook secret shorter than this (in bytes) is refused: it is all that tells
/// GitHub's deliveries from anyone else's requests. GitHub's own are 40 characters.
pub const MIN_WEBHOOK_SECRET_LEN: usize = 16;

/// Internal timings. Their defaults are what production uses; they are fields, not
/// constants, so that tests can run the same code with shorter waits.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Minimum spacing of write requests to GitHub per installation (GitHub asks for 1 s).
    pub write_interval: Duration,
    /// At most this many write requests to GitHub per installation in any minute
    /// (GitHub's secondary rate limit allows about 80 content-creating requests).
    pub writes_per_minute: u32,
    /// Minimum spacing of status-comment edits per intent.
    pub status_edit_interval: Duration,
    /// How long a claim on a delivery, timer or effect lasts before another replica may take it.
    pub lease: Duration,
    /// The longest the scheduler sleeps without looking at the database (other replicas
    /// may have written earlier due times).
    pub max_idle: Duration,
    /// How often failed deliveries are listed and open items reconciled.
    pub reconcile_interval: Duration,
    /// Timeout of one request to GitHub.
    pub github_timeout: Duration,
    /// How long a repository's digest issue (`digest: true`) waits after an intent
    /// changes before it is edited, so that a burst of changes costs one edit.
    pub digest_delay: Duration,
    /// The HTTP server's limits toward clients (see the security section of
    /// docs/operations.md).
    pub http: HttpLimits,
}

/// What one client, or many, may hold of the HTTP server.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// A connection must send a request's headers within this, counted from when the
    /// server starts waiting for them: on a new connection, and on a kept-alive one after
    /// each answer (so it is also the keep-alive idle timeout).
    pub header_read_timeout: Duration,
    /// The longest a request may take once its headers are in: body and answer (408).
    pub request_timeout: Duration,
    /// The most bytes buffered per connection while reading a request's headers.
    pub max_header_bytes: usize,
    /// The most connections served at once; more wait in the listen queue. Capped below
    /// the open file limit at start.
    pub max_connections: usize,
    /// The most webhook body bytes buffered at once, all requests together.
    pub body_bytes_in_flight: usize,
    /// How long a webhook request waits for room among the bytes in flight before it
    /// gets 503.
    pub body_wait: Duration,
    /// At most one log line per this for rejected webhook requests (and for failed
    /// accepts), each with a count.
    pub log_interval: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
            max_header_bytes: 32 * 1024,
            max_connections: 2048,
            body_bytes_in_flight: 64 * 1024 * 1024,
            body_wait: Duration::from_secs(2),
            log_interval: Duration::from_secs(10),
        }
    }
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            write_interval: Duration::from_millis(1000),
            writes_per_minute: 80,
            status_edit_interval: Duration::from_secs(2),
            lease: Duration::from_secs(60),
            max_idle: Duration::from_secs(30),
            reconcile_interval: Duration::from_secs(3600),
            github_timeout: Duration::from_secs(10),
            digest_delay: Duration::from_secs(5),
            http: HttpLimits::default(),
        }
    }
}

impl Settings {
    /// Read `.env` (if present) and the environment.
    pub fn from_env() -> anyhow::Result<Settings> {
        let _ = dotenvy::dotenv();
        Settings::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Build settings from any variable lookup (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
        let app_id = get("APP_ID").ok_or_else(|| {
            anyhow!("APP_ID is not set: give the GitHub App's id (see .env.example)")
        })?;
        let app_id: u64 = app_id
            .trim()
            .parse()
            .map_err(|_| anyhow!("APP_ID must be a number, got {app_id:?}"))?;

        let private_key = match (get("PRIVATE_KEY"), get("PRIVATE_KEY_PATH")) {
            (Some(k), _) => k.replace("\\n", "\n"),
            (None, Some(path)) => std::fs::read_to_string(&path)
                .with_context(|| format!("PRIVATE_KEY_PATH: cannot read {path}"))?,
            (None, None) => bail!(
                "PRIVATE_KEY or PRIVATE_KEY_PATH is not set: give the GitHub App's private key (PEM)"
            ),
        };
        if jsonwebtoken_key_ok(&private_key).is_err() {
            bail!("PRIVATE_KEY is not a valid RSA private key in PEM format");
        }

        let webhook_secret = get("WEBHOOK_SECRET").ok_or_else(|| {
            anyhow!("WEBHOOK_SECRET is not set: tacit refuses to accept unsigned deliveries")
        })?;
        if webhook_secret.len() < MIN_WEBHOOK_SECRET_LEN {
            bail!(
                "WEBHOOK_SECRET must be at least {MIN_WEBHOOK_SECRET_LEN} bytes (make one with: openssl rand -hex 32, and set the same in the App's settings)"
            );
        }

        let listen = listen_address(&get, "0.0.0.0")?;

        let database_url = database_url(&get)?;
        let (github_api_url, github_web_url) = github_api_url(&get)?;

        let log_level = get("LOG_LEVEL")
            .unwrap_or_else(|| "info".into())
            .to_lowercase();
        if !["error", "warn", "info", "debug", "trace"].contains(&log_level.as_str()) {
            bail!("LOG_LEVEL must be one of error, warn, info, debug, trace; got {log_level:?}");
        }
        let log_json = match get("LOG_FORMAT")
            .as_deref()
            .map(str::to_lowercase)
            .as_deref()
        {
            None | Some("pretty") => false,
            Some("json") => true,
            Some(other) => bail!("LOG_FORMAT must be pretty or json, got {other:?}"),
        };

        // Write pacing toward GitHub (see `github::pace`). The defaults are what
        // github.com asks of integrations; GitHub Enterprise Server may allow more.
        let mut tuning = Tuning::default();
        if let Some(v) = get("TACIT_WRITE_INTERVAL_MS") {
            let ms: u64 = v.trim().parse().map_err(|_| {
                anyhow!("TACIT_WRITE_INTERVAL_MS must be a number of milliseconds, got {v:?}")
            })?;
            tuning.write_interval = std::time::Duration::from_millis(ms);
        }
        if let Some(v) = get("TACIT_WRITES_PER_MINUTE") {
            tuning.writes_per_minute = v.trim().parse().map_err(|_| {
                anyhow!("TACIT_WRITES_PER_MINUTE must be a whole number (0: no cap), got {v:?}")
            })?;
        }
        // Empty (or only whitespace) means off, like an unset variable. Surrounding
        // whitespace is dropped: secrets pasted from files often end in a newline.
        let dashboard_token = get("DASHBOARD_TOKEN")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if let Some(t) = &dashboard_token
            && t.chars().count() < MIN_DASHBOARD_TOKEN_LEN
        {
            bail!(
                "DASHBOARD_TOKEN must be at least {MIN_DASHBOARD_TOKEN_LEN} characters (make one with: openssl rand -hex 32), or empty to turn the dashboard off"
            );
        }

        Ok(Settings {
            app_id,
            private_key,
            webhook_secret,
            listen,
            database_url,
            github_api_url,
            github_web_url,
            log_level,
            log_json,
            dashboard_token,
            tuning,
        })
    }
}

/// What `tacit setup` needs: where to listen and where GitHub is. Nothing about the
/// App, which does not exist yet: that is what setup creates.
#[derive(Debug, Clone)]
pub struct SetupSettings {
    /// 127.0.0.1 (or `tacit setup --host`) and `PORT`. `HOST` is not read: it is set for
    /// `tacit serve` (often to 0.0.0.0), and the setup page, which holds the state that
    /// GitHub's answer is checked with, is for the person at this machine.
    pub listen: SocketAddr,
    pub github_api_url: String,
    /// GitHub's web root for `github_api_url` ([`github_web_url`]): where the App is
    /// registered.
    pub github_web_url: String,
    /// `WEBHOOK_URL`: the public address GitHub should deliver to, if known yet.
    pub webhook_url: Option<String>,
}

impl SetupSettings {
    /// Read `.env` (if present) and the environment; `host` is `--host`, if given.
    pub fn from_env(host: Option<&str>) -> anyhow::Result<SetupSettings> {
        let _ = dotenvy::dotenv();
        SetupSettings::from_lookup(
            |k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()),
            host,
        )
    }

    /// Build setup settings from any variable lookup and `--host`.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        host: Option<&str>,
    ) -> anyhow::Result<SetupSettings> {
        let (github_api_url, github_web_url) = github_api_url(&get)?;
        Ok(SetupSettings {
            listen: socket_address(host.unwrap_or("127.0.0.1"), "--host", get("PORT"))?,
            github_api_url,
            github_web_url,
            webhook_url: get("WEBHOOK_URL").map(|u| u.trim().to_string()),
        })
    }
}

/// What `tacit decisions` needs: only the database (no App, no GitHub).
#[derive(Clone)]
pub struct DatabaseSettings {
    pub database_url: String,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("database_url", &redact_url(&self.database_url))
            .finish()
    }
}

impl DatabaseSettings {
    /// Read `.env` (if present) and the environment.
    pub fn from_env() -> anyhow::Result<DatabaseSettings> {
        let _ = dotenvy::dotenv();
        DatabaseSettings::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<DatabaseSettings> {
        Ok(DatabaseSettings {
            database_url: database_url(&get)?,
        })
    }
}

/// `DATABASE_URL`, default `sqlite://tacit.db`.
fn database_url(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<String> {
    let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://tacit.db".into());
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        bail!("DATABASE_URL must start with sqlite:// or postgres://");
    }
    Ok(database_url)
}

/// Where `tacit serve` listens, as it reads it (`.env`, then the environment): for
/// `tacit healthcheck`, which needs nothing else.
pub fn serve_address_from_env() -> anyhow::Result<SocketAddr> {
    let _ = dotenvy::dotenv();
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    listen_address(&get, "0.0.0.0")
}

/// `HOST` (an IP address, default `default_host`) and `PORT` (default 3000).
fn listen_address(
    get: &impl Fn(&str) -> Option<String>,
    default_host: &str,
) -> anyhow::Result<SocketAddr> {
    let host = get("HOST").unwrap_or_else(|| default_host.into());
    socket_address(&host, "HOST", get("PORT"))
}

/// An IP address (`host`, named `what` in errors) and `PORT` (default 3000).
fn socket_address(host: &str, what: &str, port: Option<String>) -> anyhow::Result<SocketAddr> {
    let port = port.unwrap_or_else(|| "3000".into());
    let port: u16 = port
        .trim()
        .parse()
        .map_err(|_| anyhow!("PORT must be a port number, got {port:?}"))?;
    let ip: std::net::IpAddr = host
        .trim()
        .trim_matches(['[', ']'])
        .parse()
        .map_err(|_| anyhow!("{what} must be an IP address, got {host:?}"))?;
    Ok(SocketAddr::new(ip, port))
}

/// `GITHUB_API_URL` without a trailing slash, default `https://api.github.com`, and
/// its web root ([`github_web_url`]).
fn github_api_url(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<(String, String)> {
    let github_api_url = get("GITHUB_API_URL")
        .unwrap_or_else(|| "https://api.github.com".into())
        .trim_end_matches('/')
        .to_string();
    let url = url::Url::parse(&github_api_url)
        .map_err(|e| anyhow!("GITHUB_API_URL is not a URL ({e}): {github_api_url:?}"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => bail!(
            "GITHUB_API_URL must use https:// (tacit sends its tokens there); plain http:// is for 127.0.0.1, ::1 or localhost only, got {github_api_url:?}"
        ),
        other => bail!("GITHUB_API_URL must use https://, got {other}:// in {github_api_url:?}"),
    }
    Ok((github_api_url, github_web_url(&url)))
}

/// GitHub's web root for its API root: where people read what the API serves (the
/// dashboard's links) and where an App is registered (`tacit setup`). The one mapping
/// of the two; without a trailing slash.
///
/// - `https://api.github.com` -> `https://github.com`;
/// - GitHub Enterprise Server, `https://HOST/api/v3` -> `https://HOST` (port and any
///   path before `/api/v3` kept);
/// - GHE.com, `https://api.SUBDOMAIN.ghe.com` -> `https://SUBDOMAIN.ghe.com`;
/// - any other root -> itself. Where such a server keeps its web pages cannot be
///   known, and the root is the one address known to be it: a proxy, or the tests'
///   fake GitHub, which serves both. No other name is guessed (`https://api.corp.example`
///   stays itself, not `https://corp.example`).
///
/// User name, password, query and fragment are dropped: the result is shown on pages.
pub fn github_web_url(api: &url::Url) -> String {
    let mut web = api.clone();
    let _ = web.set_username("");
    let _ = web.set_password(None);
    web.set_query(None);
    web.set_fragment(None);
    let path = api.path().trim_end_matches('/');
    let host = api.host_str().unwrap_or_default();
    let ghe_com = host
        .strip_prefix("api.")
        .filter(|rest| rest.ends_with(".ghe.com"));
    if host == "api.github.com" && path.is_empty() {
        return "https://github.com".to_string();
    } else if let Some(prefix) = path.strip_suffix("/api/v3") {
        web.set_path(prefix);
    } else if let Some(rest) = ghe_com
        && path.is_empty()
    {
        // A GHE.com name with its first label taken off is a valid host too.
        let _ = web.set_host(Some(rest));
    }
    web.as_str().trim_end_matches('/').to_string()
}

/// Whether a URL's host is this machine: 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn jsonwebtoken_key_ok(pem: &str) -> Result<(), ()> {
    crate::github::parse_private_key(pem)
        .map(|_| ())
        .map_err(|_| ())
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, for logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = include_str!("../tests/fixtures/test-app-key.pem");
    const SECRET: &str = "0123456789abcdef";

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_follow_the_spec() {
        let s = Settings::from_lookup(lookup(&[
            ("APP_ID", "12"),
            ("PRIVATE_KEY", KEY),
            ("WEBHOOK_SECRET", SECRET),
        ]))
        .unwrap();
        assert_eq!(s.listen.to_string(), "0.0.0.0:3000");
        assert_eq!(s.database_url, "sqlite://tacit.db");
        assert_eq!(s.github_api_url, "https://api.github.com");
        assert_eq!(s.log_level, "info");
        assert!(!s.log_json);
        assert_eq!(s.dashboard_token, None, "the dashboard is off by default");
        assert_eq!(s.tuning.write_interval, Duration::from_secs(1));
        assert_eq!(s.tuning.writes_per_minute, 80);
    }

    #[test]
    fn write_pacing_can_be_tuned_and_is_checked() {
        let base = [
            ("APP_ID", "12"),
            ("PRIVATE_KEY", KEY),
            ("WEBHOOK_SECRET", SECRET),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            Settings::from_lookup(lookup(&vars))
        };
        let s = with(&[
            ("TACIT_WRITE_INTERVAL_MS", "250"),
            ("TACIT_WRITES_PER_MINUTE", "0"),
        ])
        .unwrap();
        assert_eq!(s.tuning.write_interval, Duration::from_millis(250));
        assert_eq!(s.tuning.writes_per_minute, 0);
        let err = with(&[("TACIT_WRITE_INTERVAL_MS", "1s")]).unwrap_err();
        assert!(err.to_string().contains("TACIT_WRITE_INTERVAL_MS"), "{err}");
        let err = with(&[("TACIT_WRITES_PER_MINUTE", "-1")]).unwrap_err();
        assert!(err.to_string().contains("TACIT_WRITES_PER_MINUTE"), "{err}");
    }

    #[test]
    fn dashboard_token_is_optional_and_empty_means_off() {
        let base = [
            ("APP_ID", "1"),
            ("PRIVATE_KEY", KEY),
            ("WEBHOOK_SECRET", SECRET),
        ];
        let with = |token: &str| {
            let mut vars = base.to_vec();
            vars.push(("DASHBOARD_TOKEN", token));
            Settings::from_lookup(lookup(&vars))
        };
        assert_eq!(with("").unwrap().dashboard_token, None);
        assert_eq!(with("  \n").unwrap().dashboard_token, None);
        assert_eq!(
            with(" 0123456789abcdef0123\n").unwrap().dashboard_token,
            Some("0123456789abcdef0123".to_string()),
            "surrounding whitespace is not part of the token"
        );
        let err = with("short").unwrap_err().to_string();
        assert!(err.contains("DASHBOARD_TOKEN"), "{err}");
    }

    #[test]
    fn each_missing_variable_is_named() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[("PRIVATE_KEY", KEY), ("WEBHOOK_SECRET", SECRET)],
                "APP_ID",
            ),
            (
                &[("APP_ID", "1"), ("WEBHOOK_SECRET", SECRET)],
                "PRIVATE_KEY",
            ),
            (&[("APP_ID", "1"), ("PRIVATE_KEY", KEY)], "WEBHOOK_SECRET"),
            (
                &[
                    ("APP_ID", "1"),
                    ("PRIVATE_KEY", "not a key"),
                    ("WEBHOOK_SECRET", SECRET),
                ],
                "PRIVATE_KEY is not a valid",
            ),
        ];
        for (vars, expected) in cases {
            let err = Settings::from_lookup(lookup(vars)).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} should mention {expected}");
        }
    }

    #[test]
    fn escaped_newlines_in_an_inline_key_are_accepted() {
        let inline = KEY.replace('\n', "\\n");
        let s = Settings::from_lookup(lookup(&[
            ("APP_ID", "1"),
            ("PRIVATE_KEY", &inline),
            ("WEBHOOK_SECRET", SECRET),
        ]));
        assert!(s.is_ok());
    }

    #[test]
    fn setup_needs_no_app_and_listens_locally() {
        let s = SetupSettings::from_lookup(lookup(&[]), None).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(s.github_api_url, "https://api.github.com");
        assert_eq!(s.webhook_url, None);
        let s = SetupSettings::from_lookup(
            lookup(&[
                ("HOST", "0.0.0.0"),
                ("PORT", "8080"),
                ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
                ("WEBHOOK_URL", " https://tacit.example.org "),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            s.listen.to_string(),
            "127.0.0.1:8080",
            "HOST is for tacit serve: setup stays on loopback"
        );
        assert_eq!(s.github_api_url, "https://ghe.example.com/api/v3");
        assert_eq!(s.webhook_url.as_deref(), Some("https://tacit.example.org"));
        let s = SetupSettings::from_lookup(lookup(&[("HOST", "127.0.0.1")]), Some("0.0.0.0"));
        assert_eq!(s.unwrap().listen.to_string(), "0.0.0.0:3000", "--host is");
        let err = SetupSettings::from_lookup(lookup(&[]), Some("example.org")).unwrap_err();
        assert!(err.to_string().contains("--host"), "{err}");
        let err = SetupSettings::from_lookup(lookup(&[("PORT", "http")]), None).unwrap_err();
        assert!(err.to_string().contains("PORT"), "{err}");
    }

    #[test]
    fn short_webhook_secrets_are_refused() {
        let with = |secret: &str| {
            Settings::from_lookup(lookup(&[
                ("APP_ID", "1"),
                ("PRIVATE_KEY", KEY),
                ("WEBHOOK_SECRET", secret),
            ]))
        };
        for short in ["a", "fifteen-bytes!!"] {
            let err = with(short).unwrap_err().to_string();
            assert!(err.contains("WEBHOOK_SECRET"), "{err}");
            assert!(err.contains("16"), "{err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        }
        assert!(with("sixteen-bytes!!!").is_ok());
    }

    #[test]
    fn web_addresses_follow_the_api_root() {
        let web = |api: &str| github_web_url(&url::Url::parse(api).unwrap());
        for (api, expected) in [
            // github.com
            ("https://api.github.com", "https://github.com"),
            ("https://api.github.com/", "https://github.com"),
            ("https://API.GitHub.com", "https://github.com"),
            // GitHub Enterprise Server
            ("https://ghe.acme.org/api/v3", "https://ghe.acme.org"),
            ("https://ghe.acme.org/api/v3/", "https://ghe.acme.org"),
            (
                "https://ghe.acme.org:8443/api/v3",
                "https://ghe.acme.org:8443",
            ),
            ("https://acme.org/github/api/v3", "https://acme.org/github"),
            ("http://localhost:8080/api/v3", "http://localhost:8080"),
            // GHE.com
            ("https://api.octo.ghe.com", "https://octo.ghe.com"),
            ("https://api.octo.ghe.com/", "https://octo.ghe.com"),
            // Any other root is its own web root: nothing is guessed.
            ("https://api.corp.example", "https://api.corp.example"),
            (
                "https://github-proxy.acme.org/gh",
                "https://github-proxy.acme.org/gh",
            ),
            (
                "https://api.github.com/proxied",
                "https://api.github.com/proxied",
            ),
            ("http://127.0.0.1:4567", "http://127.0.0.1:4567"),
            ("http://[::1]:4567/", "http://[::1]:4567"),
            // What a page must not show is dropped.
            (
                "https://me:pw@ghe.acme.org/api/v3?x=1#y",
                "https://ghe.acme.org",
            ),
        ] {
            assert_eq!(web(api), expected, "{api}");
        }
        // Both settings carry it.
        let serve = Settings::from_lookup(lookup(&[
            ("APP_ID", "1"),
            ("PRIVATE_KEY", KEY),
            ("WEBHOOK_SECRET", SECRET),
            ("GITHUB_API_URL", "https://ghe.acme.org/api/v3/"),
        ]))
        .unwrap();
        assert_eq!(serve.github_web_url, "https://ghe.acme.org");
        let setup = SetupSettings::from_lookup(lookup(&[]), None).unwrap();
        assert_eq!(setup.github_web_url, "https://github.com");
    }

    #[test]
    fn plain_http_is_for_this_machine_only() {
        let with = |url: &str| {
            Settings::from_lookup(lookup(&[
                ("APP_ID", "1"),
                ("PRIVATE_KEY", KEY),
                ("WEBHOOK_SECRET", SECRET),
                ("GITHUB_API_URL", url),
            ]))
        };
        for ok in [
            "https://ghe.example.com/api/v3",
            "http://127.0.0.1:8080",
            "http://127.3.2.1",
            "http://[::1]:9000/api",
            "http://localhost:3000",
            "http://LOCALHOST",
        ] {
            assert!(with(ok).is_ok(), "{ok} is accepted");
        }
        for bad in [
            "http://api.github.com",
            "http://ghe.example.com/api/v3",
            "http://10.0.0.1",
            "http://localhost.example.com",
            "http://[::2]",
            "ftp://127.0.0.1",
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("GITHUB_API_URL"), "{bad}: {err}");
        }
        // The same rule for `tacit setup`, which talks to the same GitHub.
        let err = SetupSettings::from_lookup(
            lookup(&[("GITHUB_API_URL", "http://ghe.example.com")]),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
    }

    #[test]
    fn decisions_need_only_the_database() {
        let s = DatabaseSettings::from_lookup(lookup(&[])).unwrap();
        assert_eq!(s.database_url, "sqlite://tacit.db");
        let s =
            DatabaseSettings::from_lookup(lookup(&[("DATABASE_URL", "postgres://h/db")])).unwrap();
        assert_eq!(s.database_url, "postgres://h/db");
        let err = DatabaseSettings::from_lookup(lookup(&[("DATABASE_URL", "mysql://h/db")]));
        assert!(err.unwrap_err().to_string().contains("DATABASE_URL"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = Settings::from_lookup(lookup(&[
            ("APP_ID", "1"),
            ("PRIVATE_KEY", KEY),
            ("WEBHOOK_SECRET", "hunter2-hunter2-hunter2"),
            ("DATABASE_URL", "postgres://u:pw@h/db"),
            ("DASHBOARD_TOKEN", "dashboard-token-swordfish"),
        ]))
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains(":pw@") && !shown.contains("swordfish"),
            "{shown}"
        );
    }
}
