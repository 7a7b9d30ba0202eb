//! The operator dashboard, `GET /dashboard`: absent without `DASHBOARD_TOKEN`, then
//! only for requests that carry it; it lists what the store holds (intents opened by
//! real signed deliveries through the whole stack); and it renders in a real browser
//! (headless Chromium, which must be installed: this test fails, never skips, without
//! it), with a screenshot.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::deliveries as d;
use crate::support::fake_github::{DEFAULT_INSTALLATION, FakeGitHub};
use crate::support::tacit::{Db, Tacit, TestDb, settings, settings_with};
use tacit::core::config::RepoConfig;
use tacit::core::intent::{Intent, Opening};
use tacit::store::{Cause, IntentWrite, Store, WriteOutcome, new_id};

const TOKEN: &str = "dashboard-test-token-7f3a9c2e51";

/// Two repositories; `octo/repo` asks for two approvals, so that one approval shows
/// without ending the window. Windows are the default 72 hours: nothing ends during
/// a test.
async fn world() -> FakeGitHub {
    let gh = FakeGitHub::start().await;
    gh.add_repo("octo", "repo");
    gh.set_file("octo", "repo", ".github/tacit.yml", "approvals: 2\n");
    gh.add_repo("acme", "site");
    for (owner, repo) in [("octo", "repo"), ("acme", "site")] {
        gh.set_permission(owner, repo, "alice", "maintain");
        gh.set_permission(owner, repo, "bob", "write");
        gh.set_permission(owner, repo, "carol", "write");
    }
    gh.add_pull("octo", "repo", 7, "dave", "abc123");
    gh.add_issue("octo", "repo", 3, "dave");
    gh.add_issue("acme", "site", 5, "erin");
    gh
}

async fn comment(
    gh: &FakeGitHub,
    t: &Tacit,
    repo: &str,
    n: u64,
    is_pr: bool,
    who: &str,
    body: &str,
) {
    let (owner, name) = repo.split_once('/').expect("owner/name");
    let id = gh.add_comment(owner, name, n, who, body);
    let delivery = d::comment_created(owner, name, n, is_pr, id, who, body);
    assert_eq!(t.deliver(&delivery).await, 202, "{body}");
}

/// Opens three intents with signed label deliveries, then an objection and an approval.
async fn open_intents(gh: &FakeGitHub, t: &Tacit) {
    gh.set_labels_by("octo", "repo", 7, &["intent-to-merge"], "alice");
    let labeled = d::pr_labeled("octo", "repo", 7, "intent-to-merge", "alice", "abc123");
    assert_eq!(t.deliver(&labeled).await, 202);
    gh.set_labels_by("octo", "repo", 3, &["intent-to-close"], "alice");
    let labeled = d::issue_labeled("octo", "repo", 3, "intent-to-close", "alice");
    assert_eq!(t.deliver(&labeled).await, 202);
    gh.set_labels_by("acme", "site", 5, &["intent-to-proceed"], "alice");
    let labeled = d::issue_labeled("acme", "site", 5, "intent-to-proceed", "alice");
    assert_eq!(t.deliver(&labeled).await, 202);

    // Commands count only once their intent is open: drive the work, then check.
    t.settle().await;
    page_until(t, "three intents", |p| {
        p.contains("<strong>3</strong> open intents")
    })
    .await;
    comment(
        gh,
        t,
        "octo/repo",
        7,
        true,
        "bob",
        "/object this breaks the public API",
    )
    .await;
    comment(gh, t, "octo/repo", 3, false, "carol", "/approve").await;
    t.settle().await;
    page_until(t, "the objection and the approval", |p| {
        p.contains("this breaks the public API") && p.contains("<td>1 of 2</td>")
    })
    .await;
}

async fn get(t: &Tacit, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut r = t.client().get(format!("{}{path}", t.url));
    if let Some(token) = bearer {
        r = r.header("Authorization", format!("Bearer {token}"));
    }
    r.send().await.expect("GET")
}

/// Polls the dashboard (with the token) until `f` holds, or fails the test.
async fn page_until(t: &Tacit, what: &str, f: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let r = get(t, "/dashboard", Some(TOKEN)).await;
        let body = r.text().await.unwrap_or_default();
        if f(&body) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for the dashboard to show {what}:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn start_with_token(gh: &FakeGitHub, db: &TestDb) -> Tacit {
    Tacit::start_with(settings_with(gh, &db.url, &[("DASHBOARD_TOKEN", TOKEN)])).await
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn without_a_token_the_dashboard_does_not_exist() {
    let gh = world().await;
    let db = TestDb::new(Db::Sqlite).await;
    let t = Tacit::start_with(settings(&gh, &db.url)).await;

    let unknown = get(&t, "/no-such-page", None).await;
    let (unknown_status, unknown_body) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(unknown_status, 404);
    for r in [
        get(&t, "/dashboard", None).await,
        get(&t, "/dashboard", Some(TOKEN)).await,
        get(&t, &format!("/dashboard?token={TOKEN}"), None).await,
    ] {
        assert_eq!(r.status(), 404);
        assert_eq!(
            r.text().await.unwrap(),
            unknown_body,
            "answered like any path that does not exist"
        );
    }
    // An empty variable is off too.
    t.stop().await;
    let t = Tacit::start_with(settings_with(&gh, &db.url, &[("DASHBOARD_TOKEN", "")])).await;
    assert_eq!(get(&t, "/dashboard", Some("")).await.status(), 404);
    t.stop().await;
}

async fn token_guards_the_page_that_lists_open_intents(kind: Db) {
    let gh = world().await;
    let db = TestDb::new(kind).await;
    let t = start_with_token(&gh, &db).await;
    open_intents(&gh, &t).await;
    // GitHub text with markup in it, as anyone allowed to object may write.
    comment(
        &gh,
        &t,
        "octo/repo",
        7,
        true,
        "carol",
        "/object <script>alert(1)</script> first",
    )
    .await;
    page_until(&t, "the second objection", |p| p.contains("@carol")).await;

    let wrong = [
        get(&t, "/dashboard", None).await,
        get(&t, "/dashboard", Some("dashboard-test-token-7f3a9c2e5")).await,
        get(&t, "/dashboard?token=wrong", None).await,
        get(&t, &format!("/dashboard?token={TOKEN}x"), None).await,
        t.client()
            .get(format!("{}/dashboard", t.url))
            .basic_auth("operator", Some(TOKEN))
            .send()
            .await
            .unwrap(),
    ];
    for r in wrong {
        assert_eq!(r.status(), 401);
        assert_eq!(header(&r, "cache-control"), "no-store");
        assert_eq!(header(&r, "www-authenticate"), "Bearer");
        let body = r.text().await.unwrap();
        assert!(body.contains("needs its token"), "{body}");
        assert!(
            !body.contains("octo") && !body.contains("intent"),
            "reveals nothing: {body}"
        );
    }

    let by_header = get(&t, "/dashboard", Some(TOKEN)).await;
    let by_query = get(&t, &format!("/dashboard?token={TOKEN}"), None).await;
    for r in [by_header, by_query] {
        assert_eq!(r.status(), 200);
        assert!(header(&r, "content-type").starts_with("text/html"));
        assert_eq!(header(&r, "cache-control"), "no-store");
        assert_eq!(header(&r, "referrer-policy"), "no-referrer");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        let csp = header(&r, "content-security-policy");
        assert!(
            csp.starts_with("default-src 'none'; style-src 'sha256-"),
            "{csp}"
        );
        let page = r.text().await.unwrap();
        // Links point to GitHub's web root: for the fake GitHub, its own address.
        let web = gh.url();
        for link in [
            format!("href=\"{web}/octo/repo/pull/7\">#7</a>"),
            format!("href=\"{web}/octo/repo/issues/3\">#3</a>"),
            format!("href=\"{web}/acme/site/issues/5\">#5</a>"),
        ] {
            assert!(page.contains(&link), "missing {link:?} in\n{page}");
        }
        for expected in [
            ">octo/repo</a>",
            ">acme/site</a>",
            "<code>intent-to-merge</code>",
            "<code>intent-to-close</code>",
            "<code>intent-to-proceed</code>",
            "@bob</a>: this breaks the public API",
            "<span class=\"phase blocked\">blocked</span>",
            "<td>1 of 2</td>",
            "@alice",
            "<strong>3</strong> open intents in <strong>2</strong> repositories",
            "&lt;script&gt;alert(1)&lt;/script&gt; first",
        ] {
            assert!(page.contains(expected), "missing {expected:?} in\n{page}");
        }
        assert!(!page.contains("<script"), "GitHub text is escaped");
        // acme/site sorts before octo/repo.
        assert!(page.find(">acme/site</a>") < page.find(">octo/repo</a>"));
        assert!(!page.contains("paused"), "nothing is paused yet");
    }

    // The App is uninstalled: its intents stay listed, marked paused. (tacit confirms
    // from the API first; the fake has no uninstall, a suspended one is not active.)
    gh.suspend_installation(DEFAULT_INSTALLATION);
    let removed = d::installation_deleted(DEFAULT_INSTALLATION);
    assert_eq!(t.deliver(&removed).await, 202);
    let page = page_until(&t, "the intents marked paused", |p| {
        p.contains("<strong>3</strong> paused")
    })
    .await;
    assert_eq!(page.matches("paused: the App is suspended").count(), 3);
    t.stop().await;
}

#[tokio::test]
async fn token_guards_the_page_that_lists_open_intents_sqlite() {
    token_guards_the_page_that_lists_open_intents(Db::Sqlite).await;
}

#[tokio::test]
async fn token_guards_the_page_that_lists_open_intents_postgres() {
    token_guards_the_page_that_lists_open_intents(Db::Postgres).await;
}

/// The store's read is ordered and bounded, on both databases.
async fn open_intents_are_read_sorted_and_bounded(kind: Db) {
    let db = TestDb::new(kind).await;
    let store = Store::connect(&db.url).await.unwrap();
    let policy = RepoConfig::default().policy("intent-to-close").unwrap();
    let now = jiff::Timestamp::now();
    for (repo, number) in [("zeta/app", 1), ("Acme/Web", 12), ("acme/web", 3)] {
        let (intent, effects) = Intent::open(Opening {
            policy: policy.clone(),
            is_pull: false,
            item_author: "dave".into(),
            author: "alice".into(),
            at: now,
            now,
            head_sha: None,
            carried: Vec::new(),
        });
        let write = IntentWrite {
            id: new_id(),
            expected_version: None,
            installation_id: 1,
            repo: repo.into(),
            number,
            intent,
            effects,
        };
        let written = store
            .write(Some(&write), &Cause::None, now.as_millisecond())
            .await;
        assert_eq!(written.unwrap(), WriteOutcome::Written);
    }
    let items = |rows: &[tacit::store::IntentRow]| {
        rows.iter()
            .map(|r| format!("{}#{}", r.repo, r.number))
            .collect::<Vec<_>>()
    };
    let (rows, truncated) = store.open_intents_sorted(10).await.unwrap();
    assert_eq!(items(&rows), ["acme/web#3", "acme/web#12", "zeta/app#1"]);
    assert!(!truncated);
    let (rows, truncated) = store.open_intents_sorted(3).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(!truncated, "exactly the limit is not cut");
    let (rows, truncated) = store.open_intents_sorted(2).await.unwrap();
    assert_eq!(items(&rows), ["acme/web#3", "acme/web#12"]);
    assert!(truncated);

    // The page marks intents of suspended or removed installations as paused.
    let t = now.as_millisecond();
    store
        .set_installation(1, Some("acme"), false, false, t)
        .await
        .unwrap();
    store
        .set_installation(7, Some("zeta"), true, false, t)
        .await
        .unwrap();
    store
        .set_installation(8, None, false, true, t)
        .await
        .unwrap();
    let mut frozen = store.frozen_installations().await.unwrap();
    frozen.sort();
    assert_eq!(frozen, [7, 8]);
    store
        .set_installation(7, None, false, false, t)
        .await
        .unwrap();
    assert_eq!(store.frozen_installations().await.unwrap(), [8]);
    store.close().await;
}

#[tokio::test]
async fn open_intents_are_read_sorted_and_bounded_sqlite() {
    open_intents_are_read_sorted_and_bounded(Db::Sqlite).await;
}

#[tokio::test]
async fn open_intents_are_read_sorted_and_bounded_postgres() {
    open_intents_are_read_sorted_and_bounded(Db::Postgres).await;
}

// ---- in a browser -----------------------------------------------------------------

/// A Chromium that hangs must not hang the suite.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// `chromium` on `PATH` (as `.ci/run` checks), else where Debian puts it. Missing is a
/// failure, not a reason to skip.
fn chromium_path() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file());
    let path = on_path.unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "chromium is missing: this test needs Debian's chromium (apt-get install chromium; .ci/run installs it)"
    );
    path
}

/// Runs headless Chromium with a fresh profile; returns stdout, stderr.
async fn chromium(args: &[String]) -> (String, String) {
    let profile = tempfile::tempdir().expect("tempdir");
    let mut command = tokio::process::Command::new(chromium_path());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--window-size=1200,800",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .kill_on_drop(true);
    let output = tokio::time::timeout(BROWSER_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("chromium did not finish within {BROWSER_TIMEOUT:?}"))
        .expect("chromium runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "chromium failed ({}):\n{stderr}",
        output.status
    );
    (stdout, stderr)
}

/// Where the screenshot goes: under the target directory, kept after the test.
fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshot.png")
}

#[tokio::test]
async fn chromium_renders_the_dashboard_and_takes_a_screenshot() {
    let gh = world().await;
    let db = TestDb::new(Db::Sqlite).await;
    let t = start_with_token(&gh, &db).await;
    open_intents(&gh, &t).await;
    let url = format!("{}/dashboard?token={TOKEN}", t.url);

    let (dom, stderr) = chromium(&["--dump-dom".to_string(), url.clone()]).await;
    let web = gh.url();
    for expected in [
        "<title>tacit: open intents</title>".to_string(),
        format!("href=\"{web}/octo/repo/pull/7\">#7</a>"),
        format!("href=\"{web}/acme/site/issues/5\">#5</a>"),
        "this breaks the public API".to_string(),
        "<span class=\"phase blocked\">blocked</span>".to_string(),
    ] {
        assert!(
            dom.contains(&expected),
            "the rendered DOM lacks {expected:?}:\n{dom}"
        );
    }
    // The style sheet is allowed by its hash: a mismatch would be reported here.
    assert!(
        !stderr.contains("Content Security Policy"),
        "the page broke its own policy:\n{stderr}"
    );

    let path = screenshot_path();
    let _ = std::fs::remove_file(&path);
    chromium(&[format!("--screenshot={}", path.display()), url]).await;
    let png =
        std::fs::read(&path).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", path.display()));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1200, 800), "the window size asked for");
    assert!(
        png.len() > 20_000,
        "a {} byte screenshot is too small to show the page",
        png.len()
    );
    eprintln!("dashboard screenshot: {}", path.display());
    t.stop().await;
}
