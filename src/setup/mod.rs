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
//! One concern a file: [`manifest`] (`app.yml`), [`urls`] (the addresses setup
//! builds and checks), [`dotenv`] (merging `.env`), [`atomic`] (replacing a file at
//! once), [`pages`] (the HTML) and [`server`] (the one-shot server). The decisions are
//! plain functions with unit tests; the server around them is thin. `.env` is checked
//! before the single-use code is spent, and written only after the exchange succeeded.

mod atomic;
mod dotenv;
mod manifest;
mod pages;
mod server;
mod urls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::settings::SetupSettings;
use dotenv::{check_env_file, read_env_text};
use manifest::Manifest;
use server::{SetupConfig, run};
use urls::{Webhook, choose_webhook};

/// `app.yml` as it was when this binary was built: used when the working directory has
/// none (a container, an installed binary), so that setup works anywhere.
pub const BUILTIN_APP_YML: &str = include_str!("../../app.yml");

/// Where GitHub sends the browser back to, on the local server.
pub const CALLBACK_PATH: &str = "/setup/callback";

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
    crate::cli::block_on("tacit setup", serve(config))
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
        web_url: settings.github_web_url,
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
            for (n, step) in pages::next_steps(&done).iter().enumerate() {
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
