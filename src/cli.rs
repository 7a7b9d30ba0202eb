//! The command line: `tacit serve`, `tacit decisions`, `tacit setup`,
//! `tacit check-config`, `tacit config-schema` (and `tacit help`).

use std::process::ExitCode;

use crate::settings::Settings;

const USAGE: &str = "\
tacit: lazy consensus for GitHub

Usage:
  tacit serve                 run the webhook server and the scheduler
  tacit decisions [--repo OWNER/NAME] [--since YYYY-MM-DD] [--format table|json|csv]
                              the decision record from the database, one row per
                              ended intent (needs only DATABASE_URL)
  tacit setup [--webhook-url URL]
                              register the GitHub App from app.yml in the browser
                              and write APP_ID, PRIVATE_KEY, WEBHOOK_SECRET to .env
  tacit check-config [FILE]   check a configuration file (default .github/tacit.yml)
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
        Some("decisions") => decisions(&args[1..]),
        Some("setup") => setup(&args[1..]),
        Some("check-config") => check_config(args.get(1).map(String::as_str)),
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

/// Validate a `.github/tacit.yml`: exit 0 if tacit would accept it, 1 with the error
/// (line and column) if not, 2 if it cannot be read.
fn check_config(path: Option<&str>) -> ExitCode {
    let path = path.unwrap_or(".github/tacit.yml");
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("tacit: cannot read {path}: {e}");
            return ExitCode::from(2);
        }
    };
    match crate::core::config::RepoConfig::parse(&text) {
        Ok(config) => {
            println!(
                "{path}: valid; intent labels: {}",
                config.intent_labels().join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::from(1)
        }
    }
}

/// `tacit decisions`: reads only the database (works while GitHub is down).
fn decisions(args: &[String]) -> ExitCode {
    let query = match crate::decisions::Query::parse(args) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("tacit decisions: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let settings = match crate::settings::DatabaseSettings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tacit: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tacit: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(crate::decisions::run(&settings.database_url, &query)) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tacit decisions: {e:#}");
            ExitCode::FAILURE
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
