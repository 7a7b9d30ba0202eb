//! Running tacit in-process for integration tests: a real `Server` (HTTP, intake,
//! engine) on an ephemeral port, configured like production except for shorter waits,
//! against a `FakeGitHub` and a fresh database (SQLite file or PostgreSQL database).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tacit::clock::{Clock, SystemClock};
use tacit::server::Server;
use tacit::settings::{Settings, Tuning};
use tacit::store::{IntentRow, Store};

use super::deliveries::{Delivery, send};
use super::fake_github::FakeGitHub;
use super::keys;

/// Where a test's data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server the test suite uses (`.ci/run` makes sure it runs).
pub fn postgres_admin_url() -> String {
    std::env::var("TACIT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub async fn new(kind: Db) -> TestDb {
        match kind {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}", dir.path().join("tacit.db").display());
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                use sqlx::Connection;
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL is required for this test ({admin}): {e}")
                    });
                let name = format!("tacit_test_{:016x}", rand::random::<u64>());
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin);
                TestDb {
                    url: format!("{base}/{name}"),
                    _dir: None,
                }
            }
        }
    }
}

/// How many deliveries the database at `url` holds. Read with SQL here: tacit itself
/// never counts them.
pub async fn count_deliveries(url: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url)
        .await
        .expect("open the database");
    let n = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deliveries")
        .fetch_one(&pool)
        .await
        .expect("count deliveries");
    pool.close().await;
    n
}

/// Settings as `tacit serve` would read them, pointed at the fake GitHub.
pub fn settings(github: &FakeGitHub, database_url: &str) -> Settings {
    settings_with(github, database_url, &[])
}

/// [`settings`] with more variables (`DASHBOARD_TOKEN`, ...), read the same way.
pub fn settings_with(github: &FakeGitHub, database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut vars = vec![
        ("APP_ID", keys::APP_ID.to_string()),
        ("PRIVATE_KEY", keys::private_key_pem().to_string()),
        ("WEBHOOK_SECRET", keys::WEBHOOK_SECRET.to_string()),
        ("HOST", "127.0.0.1".to_string()),
        ("PORT", "0".to_string()),
        ("DATABASE_URL", database_url.to_string()),
        ("GITHUB_API_URL", github.url()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let mut s =
        Settings::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .expect("test settings are valid");
    s.tuning = fast_tuning();
    s
}

/// Production timings, shortened so that tests run in seconds.
pub fn fast_tuning() -> Tuning {
    Tuning {
        write_interval: Duration::ZERO,
        writes_per_minute: 0,
        status_edit_interval: Duration::ZERO,
        lease: Duration::from_secs(5),
        max_idle: Duration::from_millis(500),
        reconcile_interval: Duration::from_secs(3600),
        github_timeout: Duration::from_secs(5),
        ..Tuning::default()
    }
}

pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
}

/// A running tacit.
pub struct Tacit {
    server: Option<Server>,
    pub url: String,
    client: reqwest::Client,
    database_url: String,
    /// A connection of the test's own to tacit's database, opened on first use, to read
    /// what tacit stored (see [`Tacit::intent`]).
    store: tokio::sync::OnceCell<Store>,
}

impl Tacit {
    pub async fn start(github: &FakeGitHub, db: &TestDb) -> Tacit {
        Tacit::start_with(settings(github, &db.url)).await
    }

    pub async fn start_with(settings: Settings) -> Tacit {
        Tacit::start_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Start with a clock the test moves (see [`JumpClock`]).
    pub async fn start_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Tacit {
        init_logs();
        let database_url = settings.database_url.clone();
        let server = Server::start_with_clock(settings, clock)
            .await
            .expect("tacit starts");
        let url = format!("http://{}", server.addr());
        Tacit {
            server: Some(server),
            url,
            client: reqwest::Client::new(),
            database_url,
            store: tokio::sync::OnceCell::new(),
        }
    }

    /// Deliver a signed webhook; returns the HTTP status.
    pub async fn deliver(&self, d: &Delivery) -> u16 {
        send(&self.client, &self.url, d, keys::WEBHOOK_SECRET)
            .await
            .status()
            .as_u16()
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// Drive tacit until nothing is due: recorded deliveries processed, due timers fired,
    /// effects performed, and whatever they caused (see `Engine::run_pending`). Work
    /// scheduled for later (a window, a retry) stays scheduled.
    pub async fn settle(&self) {
        self.server
            .as_ref()
            .expect("tacit runs")
            .run_pending(Duration::from_secs(30))
            .await
            .expect("tacit settles");
    }

    /// The test's own connection to tacit's database.
    async fn store(&self) -> &Store {
        self.store
            .get_or_init(|| async {
                Store::connect(&self.database_url)
                    .await
                    .expect("the test reads tacit's database")
            })
            .await
    }

    /// Item `n`'s intent in `repo` as tacit stored it: the open one, else the one that
    /// ended last (`None`: no intent was ever stored for it).
    pub async fn intent(&self, repo: &str, n: u64) -> Option<IntentRow> {
        let store = self.store().await;
        let n = n as i64;
        if let Some(row) = store.open_intent_for(repo, n).await.expect("read intents") {
            return Some(row);
        }
        store
            .recent_ended_intents(repo, n, 1)
            .await
            .expect("read intents")
            .into_iter()
            .next()
    }

    /// Wait until item `n`'s stored intent satisfies `f`, or fail the test with `what`
    /// (and the row as it stood); returns the row.
    pub async fn wait_intent(
        &self,
        repo: &str,
        n: u64,
        what: &str,
        secs: u64,
        f: impl Fn(&IntentRow) -> bool,
    ) -> IntentRow {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let row = self.intent(repo, n).await;
            if let Some(row) = row.as_ref().filter(|r| f(r)) {
                return row.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting: {what}; stored: {:#?}",
                row.map(|r| r.intent)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// One reconciliation pass now, as at start (redelivery requests included).
    pub async fn reconcile(&self) -> tacit::engine::Report {
        self.server.as_ref().expect("tacit runs").reconcile().await
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        if let Some(store) = self.store.take() {
            store.close().await;
        }
    }
}

/// A window long enough for a test to act inside it, short enough to wait for.
pub const WINDOW: &str = "window: 2s\nafter_objection: 1s\n";

/// Wait for a condition on the fake GitHub, or fail the test with `what`.
pub async fn wait(github: &FakeGitHub, what: &str, secs: u64, f: impl Fn(&FakeGitHub) -> bool) {
    assert!(
        github.wait_for(Duration::from_secs(secs), f).await,
        "timed out waiting: {what}"
    );
}

/// A wall clock that the test can jump forward or back: the real time plus an offset.
#[derive(Default)]
pub struct JumpClock {
    offset_ms: AtomicI64,
}

impl JumpClock {
    /// Move the clock by `ms` (negative: back) from where it is now.
    pub fn jump(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for JumpClock {
    fn now(&self) -> jiff::Timestamp {
        let offset = jiff::SignedDuration::from_millis(self.offset_ms.load(Ordering::SeqCst));
        jiff::Timestamp::now()
            .checked_add(offset)
            .expect("in range")
    }
}
