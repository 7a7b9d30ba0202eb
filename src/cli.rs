//! The command line: `tacit serve`, `tacit setup`, `tacit check-config`,
//! `tacit config-schema` (and `tacit help`).

use std::process::ExitCode;

use crate::settings::Settings;

const USAGE: &str = "\
tacit: lazy consensus for GitHub

Usage:
  tacit serve                 run the webhook server and the scheduler
  tacit setup [--webhook-url URL]
                              register the GitHub App from app.yml in the browser
                              and write APP_ID, PRIVATE_KEY, WEBHOOK_SECRET to .env
  tacit check-config [FILE] [--owner OWNER_FILE]
                              check a configuration file (default .github/tacit.yml),
                              laid over the owner's shared one (from OWNER/.github)
  tacit config-schema         print the JSON Schema of .github/tacit.yml
  tacit help                  show this help

Configuration comes from the environment and from .env in the working directory:
APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET (required); PORT, HOST,
DATABASE_URL, GITHUB_API_URL, LOG_LEVEL, LOG_FORMAT, DASHBOARD_TOKEN. See .env.example.
`tacit setup` needs none of the required ones: it listens on HOST (default
127.0.0.1) and PORT, and takes the App's webhook address from --webhook-url,
WEBHOOK_URL or app.yml (an https address GitHub can reach; without one the
webhook stays off until set in the App's settings).
";

pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("setup") => setup(&args[1..]),
        Some("check-config") => check_config(&args[1..]),
        Some("config-schema") => {
            print!("{}", crate::core::config::json_schema_text());
            ExitCode::SUCCESS
        }
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("--version" | "-V" | "version") => {
            println!("tacit {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("tacit: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `tacit setup [--webhook-url URL]`.
fn setup(args: &[String]) -> ExitCode {
    let mut webhook_url = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--webhook-url" => args.next().cloned(),
            other => other.strip_prefix("--webhook-url=").map(str::to_string),
        };
        match value {
            Some(url) => webhook_url = Some(url),
            None => {
                eprintln!("tacit setup: unexpected argument {arg:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    crate::setup::main(webhook_url)
}

/// Validate a `.github/tacit.yml`, laid over the owner's file with `--owner`: exit 0 if
/// tacit would accept them, 1 with the error (file, line and column) if not, 2 if one
/// cannot be read or the arguments are wrong.
fn check_config(args: &[String]) -> ExitCode {
    let mut path = None;
    let mut owner = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--owner" => match args.next() {
                Some(file) => owner = Some(file.clone()),
                None => {
                    eprintln!("tacit check-config: --owner needs a file\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            other if other.starts_with("--owner=") => {
                owner = Some(other["--owner=".len()..].to_string());
            }
            other if path.is_none() && !other.starts_with("--") => path = Some(other.to_string()),
            other => {
                eprintln!("tacit check-config: unexpected argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let path = path.unwrap_or_else(|| ".github/tacit.yml".to_string());
    let read = |path: &str| match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("tacit: cannot read {path}: {e}");
            None
        }
    };
    let Some(text) = read(&path) else {
        return ExitCode::from(2);
    };
    let owner_text = match &owner {
        Some(owner) => match read(owner) {
            Some(text) => Some(text),
            None => return ExitCode::from(2),
        },
        None => None,
    };
    use crate::core::config::{ConfigFile, RepoConfig};
    let owner_file = owner
        .as_deref()
        .zip(owner_text.as_deref())
        .map(|(name, text)| ConfigFile { name, text });
    let repo_file = Some(ConfigFile {
        name: &path,
        text: &text,
    });
    match RepoConfig::layered(owner_file, repo_file) {
        Ok(config) => {
            let over = owner
                .map(|o| format!(" (laid over {o})"))
                .unwrap_or_default();
            println!(
                "{path}: valid{over}; intent labels: {}",
                config.intent_labels().join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", e.file.as_deref().unwrap_or(&path));
            ExitCode::from(1)
        }
    }
}

fn serve() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tacit: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tacit: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(crate::server::serve(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("tacit: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(format!(
        "{level},hyper=warn,sqlx=warn,octocrab=warn,tower_http=warn",
        level = settings.log_level
    ))
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}
