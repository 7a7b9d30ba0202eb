//! The command line: `tacit serve`, `tacit decisions`, `tacit setup`,
//! `tacit check-config`, `tacit config-schema`, `tacit backup`, `tacit healthcheck`
//! (and `tacit help`).

use std::process::ExitCode;

use crate::settings::Settings;

const USAGE: &str = "\
tacit: lazy consensus for GitHub

Usage:
  tacit serve                 run the webhook server and the scheduler
  tacit decisions [--repo OWNER/NAME] [--since YYYY-MM-DD] [--format table|json|csv]
                              the decision record from the database, one row per
                              ended intent (needs only DATABASE_URL)
  tacit setup [--webhook-url URL] [--host IP]
                              register the GitHub App from app.yml in the browser
                              and write APP_ID, PRIVATE_KEY, WEBHOOK_SECRET to .env
  tacit check-config [FILE] [--owner OWNER_FILE]
                              check a configuration file (default .github/tacit.yml),
                              laid over the owner's shared one (from OWNER/.github)
  tacit config-schema         print the JSON Schema of .github/tacit.yml
  tacit backup PATH           copy the SQLite database (DATABASE_URL) to a new file
                              PATH, consistently, while tacit runs
  tacit healthcheck           exit 0 if the tacit serving on PORT here answers
                              /healthz with 200 (for container health checks)
  tacit help                  show this help

Configuration comes from the environment and from .env in the working directory:
APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET (required); PORT, HOST,
DATABASE_URL, GITHUB_API_URL, LOG_LEVEL, LOG_FORMAT, DASHBOARD_TOKEN. See .env.example.
`tacit setup` needs none of the required ones: it listens on 127.0.0.1 (HOST is
not read; --host IP to open it to others) and PORT, and takes the App's webhook address from --webhook-url,
WEBHOOK_URL or app.yml (an https address GitHub can reach; without one the
webhook stays off until set in the App's settings).
";

pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("decisions") => decisions(&args[1..]),
        Some("setup") => setup(&args[1..]),
        Some("check-config") => check_config(&args[1..]),
        Some("backup") => backup(&args[1..]),
        Some("healthcheck") => healthcheck(),
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

/// `tacit setup [--webhook-url URL] [--host IP]`.
fn setup(args: &[String]) -> ExitCode {
    let (mut webhook_url, mut host) = (None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (slot, value) = match arg.as_str() {
            "--webhook-url" => (&mut webhook_url, args.next().cloned()),
            "--host" => (&mut host, args.next().cloned()),
            other => match other.split_once('=') {
                Some(("--webhook-url", v)) => (&mut webhook_url, Some(v.to_string())),
                Some(("--host", v)) => (&mut host, Some(v.to_string())),
                _ => (&mut webhook_url, None),
            },
        };
        match value {
            Some(v) => *slot = Some(v),
            None => {
                eprintln!("tacit setup: unexpected argument {arg:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    crate::setup::main(webhook_url, host)
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
    block_on("tacit", async {
        match crate::decisions::run(&settings.database_url, &query).await {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("tacit decisions: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// `tacit backup PATH`: exit 0 with a copy at PATH, 1 if none was made, 2 on usage.
fn backup(args: &[String]) -> ExitCode {
    let [path] = args else {
        eprintln!("tacit backup: give one path for the copy\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let url = match crate::settings::DatabaseSettings::from_env() {
        Ok(s) => s.database_url,
        Err(e) => {
            eprintln!("tacit backup: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tacit backup: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let dest = std::path::Path::new(path);
    match runtime.block_on(crate::store::backup::backup_sqlite(&url, dest)) {
        Ok(bytes) => {
            println!("tacit backup: wrote {path} ({bytes} bytes)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tacit backup: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `tacit healthcheck`: ask the tacit serving on this machine (`PORT`, default 3000,
/// on loopback unless `HOST` names one address) for `/healthz`. Exit 0 on 200, 1
/// otherwise. Plain HTTP/1.0 over a socket: the image needs no curl.
fn healthcheck() -> ExitCode {
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
    use std::time::Duration;

    let addr = match crate::settings::serve_address_from_env() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tacit healthcheck: {e:#}");
            return ExitCode::from(2);
        }
    };
    // A server on every interface answers on loopback.
    let addr = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port())
        }
        _ => addr,
    };
    // Within the image's HEALTHCHECK timeout (5 s).
    let timeout = Duration::from_secs(2);
    let answer = (|| -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut head = Vec::new();
        stream.take(256).read_to_end(&mut head)?;
        Ok(String::from_utf8_lossy(&head)
            .lines()
            .next()
            .unwrap_or("")
            .to_string())
    })();
    match answer {
        Ok(status) if status.split_whitespace().nth(1) == Some("200") => {
            println!("tacit healthcheck: {addr}: {status}");
            ExitCode::SUCCESS
        }
        Ok(status) => {
            eprintln!("tacit healthcheck: {addr}: {status:?}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tacit healthcheck: {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> ExitCode {
    crate::server::limit_malloc_arenas();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tacit: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    block_on("tacit", async {
        match crate::server::serve(settings).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e:#}");
                eprintln!("tacit: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Runs a command's work on a multi-threaded runtime; exit 1 if there is none
/// (`who` begins the message, as the command's other messages do).
pub(crate) fn block_on(who: &str, work: impl Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(work),
        Err(e) => {
            eprintln!("{who}: cannot start the runtime: {e}");
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
    // Colour codes only for a person at a terminal, not in files and log collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
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
