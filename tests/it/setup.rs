//! `tacit setup` end to end: the built binary in a fresh working directory, against the
//! fake GitHub. The page posts `app.yml` as a manifest to GitHub, with a state; a
//! callback with another state, or with a code GitHub refuses, writes nothing; the right
//! one writes `.env`, and tacit stops.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::support::fake_github::{FakeGitHub, Fault, MANIFEST_CODE};
use serde_json::{Value, json};

const CONVERSIONS: &str = "/app-manifests/{code}/conversions";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `tacit setup`.
struct Setup {
    child: Child,
    url: String,
    port: u16,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Drop for Setup {
    /// A failing test must not leave the server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A page as the browser gets it.
struct Page {
    status: u16,
    html: String,
}

impl Setup {
    /// Starts `tacit setup` with `args` and `env` in a directory holding the repository's
    /// `app.yml` and, if given, a `.env`; waits until the page answers.
    async fn start(
        gh: &FakeGitHub,
        args: &[&str],
        env: &[(&str, &str)],
        dotenv: Option<&str>,
    ) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("app.yml"),
            dir.path().join("app.yml"),
        )
        .unwrap();
        if let Some(text) = dotenv {
            std::fs::write(dir.path().join(".env"), text).unwrap();
        }
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_tacit"))
            .arg("setup")
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("GITHUB_API_URL", gh.url())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tacit binary starts");
        let mut setup = Setup {
            child,
            url: format!("http://127.0.0.1:{port}"),
            port,
            dir,
            http: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = setup.http.get(format!("{}/", setup.url)).send().await
                && r.status().as_u16() == 200
            {
                return setup;
            }
            if let Some(status) = setup.child.try_wait().unwrap() {
                panic!("tacit setup exited with {status}: {}", setup.stderr());
            }
            assert!(Instant::now() < deadline, "tacit setup did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn get(&self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("the setup server answers");
        Page {
            status: r.status().as_u16(),
            html: r.text().await.unwrap(),
        }
    }

    fn env_path(&self) -> std::path::PathBuf {
        self.dir.path().join(".env")
    }

    fn env_text(&self) -> Option<String> {
        std::fs::read_to_string(self.env_path()).ok()
    }

    /// Waits up to 10 s for the process to end.
    async fn exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "tacit setup did not stop");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn stdout(&mut self) -> String {
        let mut out = String::new();
        if let Some(mut stdout) = self.child.stdout.take() {
            stdout.read_to_string(&mut out).unwrap();
        }
        out
    }

    fn stderr(&mut self) -> String {
        let mut out = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut out).unwrap();
        }
        out
    }
}

fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the first `attribute="..."` after `marker` in `html`.
fn attribute_after(html: &str, marker: &str, attribute: &str) -> String {
    let from = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let rest = &html[from..];
    let start = rest.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    let end = start + rest[start..].find('"').unwrap();
    unescape_html(&rest[start..end])
}

/// The form that posts to GitHub: its action and the manifest it carries.
fn github_form(html: &str) -> (String, Value) {
    let action = attribute_after(html, "<form method=\"post\"", "action");
    let manifest = attribute_after(html, "name=\"manifest\"", "value");
    (
        action,
        serde_json::from_str(&manifest).expect("the manifest is JSON"),
    )
}

/// The state in a form action `...?state=S`.
fn state_of(action: &str) -> String {
    action
        .split_once("?state=")
        .expect("the action carries a state")
        .1
        .to_string()
}

fn app_yml() -> Value {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("app.yml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_page_posts_app_yml_to_github_as_a_manifest() {
    let gh = FakeGitHub::start().await;
    let setup = Setup::start(&gh, &[], &[], None).await;

    let page = setup.get("/").await;
    assert_eq!(page.status, 200);
    let (action, manifest) = github_form(&page.html);
    let state = state_of(&action);
    assert_eq!(
        action,
        format!("{}/settings/apps/new?state={state}", gh.url())
    );
    assert!(
        state.len() >= 32 && state.bytes().all(|b| b.is_ascii_hexdigit()),
        "a random state: {state}"
    );

    // app.yml, with this setup's callback, and the placeholder webhook turned off.
    let expected = app_yml();
    for key in [
        "name",
        "url",
        "description",
        "public",
        "default_permissions",
        "default_events",
    ] {
        assert_eq!(manifest[key], expected[key], "{key}");
    }
    assert_eq!(
        manifest["redirect_url"],
        format!("http://127.0.0.1:{}/setup/callback", setup.port)
    );
    assert_eq!(
        manifest["hook_attributes"],
        json!({ "url": expected["hook_attributes"]["url"], "active": false })
    );
    assert_eq!(manifest["default_permissions"]["contents"], "write");
    assert!(
        manifest["default_events"]
            .as_array()
            .unwrap()
            .contains(&json!("label"))
    );
    assert!(page.html.contains("webhook turned off"), "{}", page.html);

    // For an organisation: its page, the same state.
    let page = setup.get("/?org=acme-corp").await;
    let (action, _) = github_form(&page.html);
    assert_eq!(
        action,
        format!(
            "{}/organizations/acme-corp/settings/apps/new?state={state}",
            gh.url()
        )
    );
    assert_eq!(setup.get("/?org=acme%2Fx").await.status, 400);

    // Another site whose name resolves to this machine gets no page (DNS rebinding).
    let foreign = setup
        .http
        .get(format!("{}/", setup.url))
        .header("host", format!("attacker.example:{}", setup.port))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status().as_u16(), 400);

    assert_eq!(gh.count("*", "/"), 0, "nothing was asked of GitHub");
    assert_eq!(setup.env_text(), None);
}

#[tokio::test]
async fn a_webhook_address_makes_the_webhook_active() {
    let gh = FakeGitHub::start().await;
    // The flag wins over the variable; a bare origin gets tacit's path.
    let setup = Setup::start(
        &gh,
        &["--webhook-url", "https://tacit.acme.org"],
        &[("WEBHOOK_URL", "https://other.acme.org")],
        None,
    )
    .await;
    let (_, manifest) = github_form(&setup.get("/").await.html);
    assert_eq!(
        manifest["hook_attributes"],
        json!({ "url": "https://tacit.acme.org/api/github/webhooks", "active": true })
    );

    let setup = Setup::start(
        &gh,
        &[],
        &[("WEBHOOK_URL", "https://other.acme.org/hooks")],
        None,
    )
    .await;
    let (_, manifest) = github_form(&setup.get("/").await.html);
    assert_eq!(
        manifest["hook_attributes"]["url"],
        "https://other.acme.org/hooks"
    );
}

#[tokio::test]
async fn the_callback_writes_env_once_and_stops() {
    let gh = FakeGitHub::start().await;
    let before = "# mine\nAPP_ID=999\nDATABASE_URL=sqlite://keep.db\nPRIVATE_KEY_PATH=./old.pem\n";
    let mut setup = Setup::start(&gh, &[], &[], Some(before)).await;
    let (action, _) = github_form(&setup.get("/").await.html);
    let state = state_of(&action);
    let callback = |code: &str, state: &str| format!("/setup/callback?code={code}&state={state}");

    // Not this setup's state: refused before GitHub is asked, so the code is not spent.
    let page = setup
        .get(&callback(MANIFEST_CODE, "0123456789abcdef0123456789abcdef"))
        .await;
    assert_eq!(page.status, 403);
    assert!(page.html.contains("does not match"), "{}", page.html);
    assert_eq!(
        setup
            .get(&format!("/setup/callback?code={MANIFEST_CODE}"))
            .await
            .status,
        400
    );
    assert_eq!(gh.count("POST", CONVERSIONS), 0);
    assert_eq!(setup.env_text().as_deref(), Some(before));

    // A code GitHub does not know, then one it refuses: one request each, nothing written,
    // and the setup goes on.
    let page = setup.get(&callback("expired-code", &state)).await;
    assert_eq!(page.status, 502);
    assert!(
        page.html.contains("GitHub does not know this code"),
        "{}",
        page.html
    );
    gh.inject(
        Fault::new("POST", CONVERSIONS, 422).body(json!({ "message": "Manifest is invalid" })),
    );
    let page = setup.get(&callback(MANIFEST_CODE, &state)).await;
    assert_eq!(page.status, 502);
    assert!(page.html.contains("Manifest is invalid"), "{}", page.html);
    assert_eq!(gh.count("POST", CONVERSIONS), 2);
    assert_eq!(setup.env_text().as_deref(), Some(before));
    assert!(setup.child.try_wait().unwrap().is_none(), "still running");

    // The right state and code.
    let page = setup.get(&callback(MANIFEST_CODE, &state)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    for shown in [
        "https://github.com/apps/octoapp",
        "https://github.com/apps/octoapp/installations/new",
        "cargo run --release -- serve",
    ] {
        assert!(page.html.contains(shown), "{shown} in {}", page.html);
    }
    assert!(setup.exit().await.success(), "{}", setup.stderr());
    let stdout = setup.stdout();
    assert!(
        stdout.contains("https://github.com/apps/octoapp/installations/new")
            && stdout.contains("PRIVATE_KEY_PATH"),
        "{stdout}"
    );
    assert_eq!(
        gh.count("POST", CONVERSIONS),
        3,
        "one request per callback, no retries"
    );

    // .env: GitHub's values, read back as tacit reads them, and the other lines kept.
    let app = gh.manifest_conversion();
    let text = setup.env_text().unwrap();
    let vars: std::collections::HashMap<String, String> = dotenvy::from_path_iter(setup.env_path())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(vars["APP_ID"], app["id"].to_string());
    assert_eq!(vars["PRIVATE_KEY"], app["pem"].as_str().unwrap());
    assert_eq!(
        vars["WEBHOOK_SECRET"],
        app["webhook_secret"].as_str().unwrap()
    );
    assert_eq!(vars["DATABASE_URL"], "sqlite://keep.db");
    assert!(text.starts_with("# mine\nAPP_ID=1\n"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(setup.env_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The code was single-use: GitHub would not give the key out again.
    let again = reqwest::Client::new()
        .post(format!(
            "{}/app-manifests/{MANIFEST_CODE}/conversions",
            gh.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 404);
}

#[tokio::test]
async fn an_env_file_tacit_cannot_read_stops_setup_before_anything_happens() {
    let gh = FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "PORT=1\nthis is not dotenv\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tacit"))
        .arg("setup")
        .current_dir(dir.path())
        .env_clear()
        .env("PORT", free_port().to_string())
        .env("GITHUB_API_URL", gh.url())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".env has a line tacit cannot read"),
        "{stderr}"
    );
    // It stopped before announcing anything.
    assert!(String::from_utf8_lossy(&output.stdout).is_empty());
}

/// `HOST` is set for `tacit serve` (`.env.example` and the image set `0.0.0.0`): setup
/// does not read it, and stays on 127.0.0.1 unless `--host` says otherwise. Another
/// loopback address (127.0.0.2) stands for "from elsewhere": it reaches a listener on
/// every interface, not one on 127.0.0.1.
#[tokio::test]
async fn setup_listens_on_loopback_whatever_host_says() {
    let gh = FakeGitHub::start().await;
    let from_elsewhere = |port: u16| {
        std::net::TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 2], port)),
            Duration::from_secs(5),
        )
        .is_ok()
    };
    let setup = Setup::start(&gh, &[], &[("HOST", "0.0.0.0")], None).await;
    assert!(
        !from_elsewhere(setup.port),
        "HOST=0.0.0.0 must not open the setup page to the network"
    );
    drop(setup);
    let setup = Setup::start(&gh, &["--host", "0.0.0.0"], &[], None).await;
    assert!(from_elsewhere(setup.port), "--host 0.0.0.0 does");
    drop(setup);
}
