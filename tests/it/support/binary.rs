//! The built `tacit` binary as a child process: started with the environment of SPEC
//! section 1 (nothing inherited), killed with SIGKILL, or stopped with SIGTERM.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::deliveries as d;
use super::fake_github::FakeGitHub;
use super::keys;
use super::tacit::TestDb;

pub struct Binary {
    child: Child,
    pub url: String,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start `tacit serve` and wait until `/healthz` answers.
pub async fn start(gh: &FakeGitHub, db: &TestDb, workdir: &std::path::Path, port: u16) -> Binary {
    start_with(gh, db, workdir, port, &[]).await
}

/// [`start`] with extra variables (operator tuning, such as write pacing).
pub async fn start_with(
    gh: &FakeGitHub,
    db: &TestDb,
    workdir: &std::path::Path,
    port: u16,
    extra: &[(&str, &str)],
) -> Binary {
    start_program(
        std::path::Path::new(env!("CARGO_BIN_EXE_tacit")),
        gh,
        db,
        workdir,
        port,
        extra,
    )
    .await
}

/// [`start_with`] for another build of tacit (the previous release, for rollbacks).
pub async fn start_program(
    program: &std::path::Path,
    gh: &FakeGitHub,
    db: &TestDb,
    workdir: &std::path::Path,
    port: u16,
    extra: &[(&str, &str)],
) -> Binary {
    let key_path = format!(
        "{}/tests/fixtures/test-app-key.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let child = Command::new(program)
        .arg("serve")
        .current_dir(workdir)
        .env_clear()
        .env("APP_ID", keys::APP_ID.to_string())
        .env("PRIVATE_KEY_PATH", key_path)
        .env("WEBHOOK_SECRET", keys::WEBHOOK_SECRET)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &db.url)
        .env("GITHUB_API_URL", gh.url())
        .env("LOG_LEVEL", "info")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tacit binary starts");
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{url}/healthz")).send().await
            && r.status().as_u16() == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "tacit did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Binary { child, url }
}

impl Drop for Binary {
    /// A failing test must not leave tacit running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Binary {
    pub fn kill9(mut self) {
        // Child::kill sends SIGKILL on Unix: no cleanup, no graceful shutdown.
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    pub async fn deliver(&self, delivery: &d::Delivery) -> u16 {
        d::send(
            &reqwest::Client::new(),
            &self.url,
            delivery,
            keys::WEBHOOK_SECRET,
        )
        .await
        .status()
        .as_u16()
    }

    /// [`Binary::terminate`] without holding up the test's runtime while tacit stops:
    /// the in-process fake GitHub runs on it, and tacit's requests in flight need its
    /// answers to finish (a blocked runtime makes each wait out its timeout).
    pub async fn stop(self) -> std::process::ExitStatus {
        tokio::task::spawn_blocking(move || self.terminate())
            .await
            .expect("terminate")
    }

    /// SIGTERM: stop taking deliveries, finish in-flight work, exit 0.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        self.child.wait().expect("exits")
    }
}
