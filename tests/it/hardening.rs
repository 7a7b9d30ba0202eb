//! tacit's edges against clients that do not hold the webhook secret: connections that
//! never finish their headers, idle connections, floods of unsigned requests, bodies too
//! large to hold, made-up event names. Against the real server on loopback, with the
//! limits shortened through `Tuning`; every wait is bounded.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::binary::free_port;
use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::keys;
use crate::support::tacit::{Db, Tacit, TestDb, count_deliveries, settings};
use tacit::settings::HttpLimits;
use tacit::store::Store;

/// The longest any one step of these tests may take.
const BOUND: Duration = Duration::from_secs(20);

async fn started(limits: HttpLimits) -> (FakeGitHub, TestDb, Tacit) {
    let gh = FakeGitHub::start().await;
    gh.add_repo("octo", "repo");
    let db = TestDb::new(Db::Sqlite).await;
    let mut s = settings(&gh, &db.url);
    s.tuning.http = limits;
    let t = Tacit::start_with(s).await;
    (gh, db, t)
}

fn addr(t: &Tacit) -> String {
    t.url.trim_start_matches("http://").to_string()
}

async fn connect(t: &Tacit) -> TcpStream {
    TcpStream::connect(addr(t)).await.expect("connects")
}

/// Everything the server sends until it closes the connection (or resets it), within
/// [`BOUND`]; `None` if it is still open then.
async fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(BOUND, read).await.ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

/// The status line's code of a raw answer.
fn status_of(answer: &str) -> Option<u16> {
    answer.split(' ').nth(1)?.parse().ok()
}

/// A request's headers, unsigned, for a body of `len` bytes.
fn post_head(len: usize) -> String {
    format!(
        "POST /api/github/webhooks HTTP/1.1\r\nHost: tacit\r\nX-GitHub-Event: issues\r\n\
         X-GitHub-Delivery: raw-{}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n",
        rand::random::<u32>()
    )
}

async fn metrics(t: &Tacit) -> String {
    let (status, text) = t.get("/metrics").await;
    assert_eq!(status, 200);
    text
}

fn metric(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

fn limits() -> HttpLimits {
    HttpLimits {
        header_read_timeout: Duration::from_secs(1),
        ..HttpLimits::default()
    }
}

// ---- connections ------------------------------------------------------------------------

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let (_gh, _db, t) = started(limits()).await;
    let mut half_open = connect(&t).await;
    half_open
        .write_all(b"POST /api/github/webhooks HTTP/1.1\r\nHost: tacit\r\nX-Slow: ")
        .await
        .unwrap();
    let mut silent = connect(&t).await;
    assert!(
        until_closed(&mut half_open).await.is_some(),
        "a connection still sending headers after the header timeout is closed"
    );
    assert!(
        until_closed(&mut silent).await.is_some(),
        "so is one that sends nothing"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let (_gh, _db, t) = started(limits()).await;
    let mut conn = connect(&t).await;
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: tacit\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut conn)
        .await
        .expect("closed once idle after its answer");
    assert_eq!(status_of(&answer), Some(200), "{answer}");
    assert!(answer.ends_with("ok\n"), "{answer}");
    t.stop().await;
}

#[tokio::test]
async fn headers_larger_than_the_buffer_are_refused() {
    let (_gh, _db, t) = started(HttpLimits {
        header_read_timeout: Duration::from_secs(60),
        ..HttpLimits::default()
    })
    .await;
    let mut conn = connect(&t).await;
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: tacit\r\nX-Big: {}",
        "a".repeat(100 * 1024)
    );
    // The server may stop reading (and close) before all of it is written.
    let _ = conn.write_all(head.as_bytes()).await;
    let answer = until_closed(&mut conn)
        .await
        .expect("closed long before the header timeout, without the rest of the headers");
    assert!(
        answer.is_empty() || status_of(&answer) == Some(431),
        "{answer}"
    );
    t.stop().await;
}

/// More half-open connections than tacit serves at once: the extra ones wait to be
/// accepted, the header timeout clears the stalled ones, and a signed delivery and
/// `/healthz` are still answered. Never more connections than the cap are open.
#[tokio::test]
async fn connections_are_capped_and_stalled_ones_do_not_shut_out_deliveries() {
    let cap = 32;
    let (gh, db, t) = started(HttpLimits {
        max_connections: cap,
        ..limits()
    })
    .await;
    gh.add_issue("octo", "repo", 1, "dave");
    let mut stalled = Vec::new();
    for i in 0..120 {
        let mut c = connect(&t).await;
        if i % 2 == 0 {
            c.write_all(b"POST /api/github/webhooks HTTP/1.1\r\nHost: tacit\r\nX-Slow: ")
                .await
                .unwrap();
        }
        stalled.push(c);
    }
    let delivery = d::issue_labeled("octo", "repo", 1, "bug", "dave");
    let status = tokio::time::timeout(BOUND, t.deliver(&delivery))
        .await
        .expect("a signed delivery is answered while stalled connections are open");
    assert_eq!(status, 202);
    let health = tokio::time::timeout(BOUND, t.get("/healthz"))
        .await
        .expect("/healthz is answered");
    assert_eq!(health.0, 200);
    let text = metrics(&t).await;
    let peak = metric(&text, "tacit_http_connections_peak").expect("peak shown");
    assert_eq!(peak, cap as u64, "{cap} open at once, never more");
    assert_eq!(
        metric(&text, "tacit_http_connections_max"),
        Some(cap as u64)
    );
    assert!(
        Store::connect(&db.url)
            .await
            .unwrap()
            .delivery_exists(&delivery.id)
            .await
            .unwrap()
    );
    drop(stalled);
    t.stop().await;
}

// ---- bodies -----------------------------------------------------------------------------

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_413_before_it_is_sent() {
    let (_gh, db, t) = started(HttpLimits::default()).await;
    let mut conn = connect(&t).await;
    conn.write_all(post_head(tacit::webhook::MAX_BODY + 1).as_bytes())
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(BOUND, conn.read(&mut buf))
        .await
        .expect("answered without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert_eq!(status_of(&answer), Some(413), "{answer}");
    assert_eq!(count_deliveries(&db.url).await, 0);
    assert!(
        metrics(&t)
            .await
            .contains("tacit_webhook_rejected_total{reason=\"too_large\"} 1")
    );
    t.stop().await;
}

/// Bodies being received hold their declared length against a budget of bytes in
/// flight: one that does not fit waits, then gets 503; a small delivery that fits
/// still passes; the room comes back when the large one goes.
#[tokio::test]
async fn body_bytes_in_flight_are_bounded() {
    let (gh, _db, t) = started(HttpLimits {
        body_bytes_in_flight: 1024 * 1024,
        body_wait: Duration::from_millis(300),
        ..HttpLimits::default()
    })
    .await;
    gh.add_issue("octo", "repo", 1, "dave");
    // A large body, started and never finished.
    let mut large = connect(&t).await;
    large
        .write_all(format!("{}{{\"a\":", post_head(900 * 1024)).as_bytes())
        .await
        .unwrap();
    // Another one that does not fit beside it gets 503, once the first holds its room.
    let deadline = Instant::now() + BOUND;
    while probe(&t, 200 * 1024).await != Some(503) {
        assert!(
            Instant::now() < deadline,
            "a body that does not fit gets 503"
        );
    }
    let small = d::issue_labeled("octo", "repo", 1, "bug", "dave");
    assert_eq!(
        t.deliver(&small).await,
        202,
        "a delivery that fits is taken"
    );
    // The large one goes away: its room comes back.
    drop(large);
    let deadline = Instant::now() + BOUND;
    while probe(&t, 200 * 1024).await != Some(401) {
        assert!(Instant::now() < deadline, "room comes back");
    }
    assert!(
        metric(
            &metrics(&t).await,
            "tacit_webhook_rejected_total{reason=\"busy\"}"
        )
        .is_some_and(|n| n >= 1)
    );
    t.stop().await;
}

/// An unsigned POST of `len` bytes, written whole: its status, or `None` if the
/// connection broke first (the server may answer 503 without reading the body).
async fn probe(t: &Tacit, len: usize) -> Option<u16> {
    let mut conn = connect(t).await;
    let mut request = post_head(len).into_bytes();
    request.extend(std::iter::repeat_n(b' ', len));
    conn.write_all(&request).await.ok()?;
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(BOUND, conn.read(&mut buf))
        .await
        .expect("answered")
        .ok()?;
    status_of(&String::from_utf8_lossy(&buf[..n]))
}

// ---- unverified requests ----------------------------------------------------------------

/// Made-up event names, signed or not, do not add series to `/metrics`.
#[tokio::test]
async fn event_names_from_requests_make_a_bounded_number_of_series() {
    let (_gh, _db, t) = started(HttpLimits::default()).await;
    let body = br#"{"action":"opened","installation":{"id":1}}"#.to_vec();
    let post = |event: String, secret: &'static str, id: String| {
        let request = t
            .client()
            .post(format!("{}/api/github/webhooks", t.url))
            .header("X-GitHub-Event", event)
            .header("X-GitHub-Delivery", id)
            .header("X-Hub-Signature-256", d::sign(secret.as_bytes(), &body))
            .body(body.clone());
        async move { request.send().await.expect("POST").status().as_u16() }
    };
    for i in 0..200 {
        let event = format!("made_up_{i}_{}", rand::random::<u32>());
        assert_eq!(post(event, "not-the-secret", format!("u-{i}")).await, 401);
    }
    for i in 0..50 {
        let event = format!("made_up_{i}_{}", rand::random::<u32>());
        assert_eq!(
            post(event, keys::WEBHOOK_SECRET, format!("s-{i}")).await,
            202
        );
    }
    assert_eq!(
        post("issues".into(), keys::WEBHOOK_SECRET, "s-known".into()).await,
        202
    );
    let text = metrics(&t).await;
    let series: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("tacit_deliveries_total{"))
        .collect();
    assert_eq!(
        series,
        [
            "tacit_deliveries_total{event=\"issues\",verdict=\"recorded\"} 1",
            "tacit_deliveries_total{event=\"other\",verdict=\"recorded\"} 50",
        ],
        "{text}"
    );
    assert_eq!(
        metric(&text, "tacit_webhook_rejected_total{reason=\"signature\"}"),
        Some(200)
    );
    assert!(!text.contains("made_up"), "{text}");
    t.stop().await;
}

/// The built binary, its log in a file: a flood of unsigned requests with long header
/// values writes a line per interval (10 s), with the values cut short, and no colour
/// codes in a log that is not a terminal.
#[tokio::test]
async fn unverified_requests_are_logged_once_per_interval_without_colour() {
    let gh = FakeGitHub::start().await;
    let db = TestDb::new(Db::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("tacit.log");
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tacit"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("APP_ID", keys::APP_ID.to_string())
        .env(
            "PRIVATE_KEY_PATH",
            format!(
                "{}/tests/fixtures/test-app-key.pem",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .env("WEBHOOK_SECRET", keys::WEBHOOK_SECRET)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &db.url)
        .env("GITHUB_API_URL", gh.url())
        .env("LOG_LEVEL", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("tacit binary starts");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + BOUND;
    while !client
        .get(format!("{url}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 200)
    {
        assert!(Instant::now() < deadline, "tacit did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let started = Instant::now();
    let long = "x".repeat(4000);
    let n = 300;
    for i in 0..n {
        let status = client
            .post(format!("{url}/api/github/webhooks"))
            .header("X-GitHub-Event", format!("{long}{i}"))
            .header("X-GitHub-Delivery", format!("{long}{i}"))
            .body("{}")
            .send()
            .await
            .expect("POST")
            .status();
        assert_eq!(status.as_u16(), 401);
    }
    let intervals = started.elapsed().as_secs() / 10 + 1;
    let metrics = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "tacit_webhook_rejected_total{{reason=\"signature\"}} {n}"
        )),
        "{metrics}"
    );
    let child = Kill(child);
    let pid = child.0.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let mut child = child;
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "{exit}");

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains('\u{1b}'), "no colour codes in a file: {log}");
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("unverified")).collect();
    assert!(
        !lines.is_empty() && lines.len() as u64 <= intervals,
        "one line per interval ({intervals} at most), got {}: {log}",
        lines.len()
    );
    assert!(lines[0].contains("requests=1"), "{}", lines[0]);
    assert!(
        log.lines().all(|l| l.len() < 1000),
        "header values are cut short: {log}"
    );
    assert!(!log.contains(&long), "{log}");
}

#[test]
fn open_file_limit_is_raised_to_the_hard_limit() {
    let soft = tacit::server::raise_open_file_limit();
    let mut limit = libc_rlimit();
    assert_eq!(soft, limit.0, "what it returns is what is in force");
    if limit.1 < 1 << 30 {
        assert_eq!(limit.0, limit.1, "the soft limit is the hard one");
    }
    limit = libc_rlimit();
    assert!(limit.0 >= 1024);
}

/// (soft, hard) open file limits, read from /proc (no libc in the tests).
fn libc_rlimit() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let nums: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| match w {
            "unlimited" => Some(u64::MAX),
            w => w.parse().ok(),
        })
        .collect();
    (nums[0], nums[1])
}

// ---- a flood of comments ----------------------------------------------------------------

/// SPEC 4: status comment edits are rate-limited, so that a flood of comments cannot
/// exhaust the API. Ten objections within a moment cost a few edits, the last of
/// which shows them all; the edits held back are no failures (`result="later"`, never
/// `retry`, so they are never given up on).
#[tokio::test]
async fn a_flood_of_comments_costs_a_few_status_edits_and_loses_nothing() {
    use crate::support::tacit::wait;
    use crate::support::world::{O, R, comment, open_pr, status};
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 1h\n");
    gh.set_permission(O, R, "alice", "maintain");
    let people: Vec<String> = (0..10).map(|i| format!("dev{i}")).collect();
    for p in &people {
        gh.set_permission(O, R, p, "write");
    }
    let db = TestDb::new(Db::Sqlite).await;
    let mut s = settings(&gh, &db.url);
    s.tuning.status_edit_interval = Duration::from_secs(3);
    let t = Tacit::start_with(s).await;
    open_pr(&gh, &t, 7, "s7").await;
    let edits = || gh.count("PATCH", "/issues/comments/{id}");
    let before = edits();
    for p in &people {
        comment(&gh, &t, 7, p, &format!("/object not yet, says {p}")).await;
    }
    wait(&gh, "every objection in the status comment", 20, |g| {
        let body = status(g, 7);
        people.iter().all(|p| body.contains(&format!("says {p}")))
    })
    .await;
    t.settle().await;
    let made = edits() - before;
    assert!(
        (1..=3).contains(&made),
        "{made} status edits for 10 comments within one 3 s interval"
    );
    let text = metrics(&t).await;
    let later = r#"tacit_effects_total{kind="sync_status",result="later"}"#;
    let retry = r#"tacit_effects_total{kind="sync_status",result="retry"}"#;
    assert!(metric(&text, later).unwrap_or(0) >= 1, "{text}");
    assert_eq!(metric(&text, retry), None, "{text}");
    t.stop().await;
}
