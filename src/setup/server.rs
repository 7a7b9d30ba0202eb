//! The one-shot setup server: the start page, and the callback that exchanges GitHub's
//! code once, writes `.env` and stops the server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::CALLBACK_PATH;
use super::atomic;
use super::dotenv::{check_env_file, merge_env, read_env_text};
use super::manifest::Manifest;
use super::pages::{error_page, start_page, success_page};
use super::urls::{Webhook, local_base, new_app_url, valid_org};
use crate::github::{self, GhError, ManifestApp};
use crate::http::secret::Secret;

/// How long GitHub may take to answer the exchange.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

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
pub struct Registered {
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
enum RunEnd {
    Registered(Registered),
    /// The App was registered, but `.env` could not be written.
    Failed(String),
}

struct Shared {
    config: SetupConfig,
    /// The `state` handed to GitHub and expected back (CSRF protection).
    state: String,
    /// `state`, to compare what comes back with in constant time.
    expected_state: Secret,
    /// Held while a code is exchanged: one exchange at a time, none after the end.
    outcome: tokio::sync::Mutex<Option<RunEnd>>,
    finished: tokio::sync::Notify,
}

/// Serves the setup pages on `listener` until an App is registered and written into
/// `.env` (Ok), writing `.env` failed after the App was registered (Err), or `cancel`
/// completes (Ok(None)).
pub async fn run(
    config: SetupConfig,
    listener: tokio::net::TcpListener,
    cancel: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Option<Registered>> {
    let state = hex::encode(rand::random::<[u8; 16]>());
    let shared = Arc::new(Shared {
        config,
        expected_state: Secret::new(&state),
        state,
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
        Some(RunEnd::Registered(done)) => Ok(Some(done)),
        Some(RunEnd::Failed(message)) => Err(anyhow!(message)),
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
    if !shared.expected_state.matches(state) {
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
async fn exchange(config: &SetupConfig, code: &str) -> (StatusCode, String, Option<RunEnd>) {
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
            let done = Registered {
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
                Some(RunEnd::Registered(done)),
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
                Some(RunEnd::Failed(message)),
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
    atomic::write_private(&config.env_path, &merged)
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
