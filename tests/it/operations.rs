//! The operator's commands of the built binary: `tacit backup PATH` (a consistent copy
//! of the SQLite database, taken while tacit runs; never over an existing file; not for
//! PostgreSQL) and `tacit healthcheck` (the image's HEALTHCHECK).

use std::path::Path;
use std::process::{Command, Output};

use tacit::store::Store;

use crate::support::binary::{free_port, start};
use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, TestDb, count_deliveries, wait};

const O: &str = "octo";
const R: &str = "repo";

/// `tacit <args>` with only the given variables (nothing inherited), in `dir`.
fn tacit(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tacit"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("tacit runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn backup_of_a_running_tacit_holds_its_intents_and_never_overwrites() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 1h\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh.add_issue(O, R, 6, "dave");
    gh.add_issue(O, R, 7, "dave");
    let db = TestDb::new(Db::Sqlite).await;
    let work = tempfile::tempdir().unwrap();
    let running = start(&gh, &db, work.path(), free_port()).await;
    for n in [6, 7] {
        gh.set_labels_by(O, R, n, &["intent-to-close"], "alice");
        assert_eq!(
            running
                .deliver(&d::issue_labeled(O, R, n, "intent-to-close", "alice"))
                .await,
            202
        );
    }
    wait(&gh, "both status comments", 15, |g| {
        [6, 7].iter().all(|&n| {
            g.comments(O, R, n)
                .iter()
                .any(|c| c.body.starts_with("<!-- tacit:intent -->"))
        })
    })
    .await;

    // While tacit runs (it holds the database open, in WAL mode).
    let out_dir = tempfile::tempdir().unwrap();
    let copy = out_dir.path().join("tacit-backup.db");
    let vars = [("DATABASE_URL", db.url.as_str())];
    let out = tacit(work.path(), &["backup", copy.to_str().unwrap()], &vars);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("tacit-backup.db"),
        "says where the copy is"
    );
    // Only the copy: no temporary file left beside it.
    let names: Vec<String> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["tacit-backup.db"]);

    // The copy is a whole tacit database on its own: both open intents are in it.
    let restored = Store::connect(&format!("sqlite://{}", copy.display()))
        .await
        .expect("the copy opens as a tacit database");
    let mut numbers: Vec<i64> = restored
        .open_intents(None)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            assert_eq!(row.label, "intent-to-close");
            row.number
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, [6, 7]);
    assert!(count_deliveries(&format!("sqlite://{}", copy.display())).await >= 2);
    restored.close().await;

    // A second backup to the same path is refused and leaves the first one as it was.
    let before = std::fs::read(&copy).unwrap();
    let out = tacit(work.path(), &["backup", copy.to_str().unwrap()], &vars);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "the copy is untouched"
    );

    // So is an empty file (which SQLite's VACUUM INTO alone would write over).
    let empty = out_dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let out = tacit(work.path(), &["backup", empty.to_str().unwrap()], &vars);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    // A relative path is relative to the working directory, like every path tacit takes.
    let out = tacit(work.path(), &["backup", "relative.db"], &vars);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(work.path().join("relative.db").is_file());
    running.kill9();
}

#[test]
fn backup_refuses_postgresql_and_points_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let out = tacit(
        dir.path(),
        &["backup", "copy.db"],
        &[("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tacit")],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("pg_dump"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one clear line: {err}");
    assert!(!dir.path().join("copy.db").exists());
}

#[test]
fn backup_of_a_missing_database_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tacit.db").display());
    let out = tacit(
        dir.path(),
        &["backup", "copy.db"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no database"), "{}", stderr(&out));
    assert!(!dir.path().join("tacit.db").exists(), "not created");
    assert!(!dir.path().join("copy.db").exists());

    // Without a path it is a usage error.
    let out = tacit(dir.path(), &["backup"], &[("DATABASE_URL", &url)]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn healthcheck_passes_against_a_serving_tacit_and_fails_without_one() {
    let gh = FakeGitHub::start().await;
    let db = TestDb::new(Db::Sqlite).await;
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let running = start(&gh, &db, work.path(), port).await;
    let port_text = port.to_string();
    // HOST as the image sets it: the wildcard, reached through loopback.
    let vars = [("HOST", "0.0.0.0"), ("PORT", port_text.as_str())];
    let out = tacit(work.path(), &["healthcheck"], &vars);
    assert!(out.status.success(), "{}", stderr(&out));

    running.kill9();
    let out = tacit(work.path(), &["healthcheck"], &vars);
    assert_eq!(out.status.code(), Some(1), "nothing listens any more");
}
