//! `tacit decisions` (SPEC 1): the built binary reads the decision record from the
//! database alone (no App settings, no GitHub), on SQLite and PostgreSQL; and the
//! outcome comment of a real lifecycle carries the same record in its hidden block.

use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use tacit::core::config::RepoConfig;
use tacit::core::intent::{Actor, EndReason, Event, Facts, Intent, Opening, Source};
use tacit::store::{Cause, IntentWrite, Store, WriteOutcome};

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, Tacit, TestDb, WINDOW, wait};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn open(label: &str, is_pull: bool, at: Timestamp, title: &str) -> Intent {
    let policy = RepoConfig::default().policy(label).unwrap();
    let (mut intent, _) = Intent::open(Opening {
        policy,
        is_pull,
        item_author: "dave".into(),
        author: "alice".into(),
        at,
        now: at,
        head_sha: is_pull.then(|| "sha-1".to_string()),
        carried: vec![],
    });
    intent.title = title.into();
    intent.handle(Event::Noticed { at, comment: None }, at);
    intent
}

fn command(login: &str, body: &str, id: u64, at: Timestamp) -> Event {
    Event::Command {
        actor: Actor {
            login: login.into(),
            role: Some(tacit::core::config::Role::Write),
            approver: false,
        },
        command: tacit::core::commands::parse_commands(body).remove(0),
        source: Source::Comment(id),
        url: Some(format!(
            "https://github.com/octo/repo/issues/1#issuecomment-{id}"
        )),
        at,
        sender_is_author: true,
        edited_from: None,
    }
}

/// Run the window out and let the re-read find nothing new.
fn close_unopposed(intent: &mut Intent, now: Timestamp) {
    intent.handle(Event::Due, now);
    let facts = Facts {
        open: true,
        label_present: true,
        head_sha: intent.head_sha.clone(),
        draft: false,
        author_role: Some(tacit::core::config::Role::Maintain),
        valid_approvers: intent.approvals.iter().map(|a| a.who.clone()).collect(),
    };
    intent.handle(Event::Verified(facts), now);
    assert!(intent.is_done(), "{:?}", intent.phase);
}

async fn put(store: &Store, id: &str, repo: &str, number: i64, intent: Intent) {
    let write = IntentWrite {
        id: id.into(),
        expected_version: None,
        installation_id: 1,
        repo: repo.into(),
        number,
        intent,
        effects: vec![],
    };
    let now = Timestamp::now().as_millisecond();
    assert_eq!(
        store.write(Some(&write), &Cause::None, now).await.unwrap(),
        WriteOutcome::Written
    );
}

fn decisions(db: &TestDb, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tacit"))
        .arg("decisions")
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("DATABASE_URL", &db.url)
        .output()
        .expect("tacit runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tacit decisions {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

async fn the_binary_lists_ended_intents(kind: Db) {
    let db = TestDb::new(kind).await;
    let store = Store::connect(&db.url).await.unwrap();
    let t0 = ts("2026-03-02T09:00:00Z");
    let h = SignedDuration::from_hours;

    // Closed after an objection that was withdrawn: ended 2026-03-06.
    let mut closed = open("intent-to-close", false, t0, "Drop the \"old\", slow API");
    closed.handle(
        command("bob", "/object wait for 2.0", 11, t0 + h(1)),
        t0 + h(1),
    );
    closed.handle(command("bob", "/withdraw", 12, t0 + h(2)), t0 + h(2));
    closed.handle(command("carol", "/approve", 13, t0 + h(3)), t0 + h(3));
    close_unopposed(&mut closed, t0 + h(26));
    put(&store, "a", "Octo/Repo", 1, closed).await;

    // Cancelled in February.
    let feb = ts("2026-02-20T10:00:00Z");
    let mut cancelled = open("intent-to-proceed", false, feb, "Adopt the RFC");
    cancelled.handle(command("alice", "/cancel", 21, feb + h(1)), feb + h(1));
    put(&store, "b", "octo/repo", 2, cancelled).await;

    // Another repository.
    let mut other = open("intent-to-proceed", false, t0, "Elsewhere");
    close_unopposed(&mut other, t0 + h(72));
    put(&store, "c", "other/thing", 3, other).await;

    // A label that opened nothing, and an intent still open: not decisions.
    let policy = RepoConfig::default().policy("intent-to-merge").unwrap();
    let closed = tacit::core::intent::NotOpened::ItemClosed {
        label: "intent-to-merge".into(),
    };
    let (nothing, _) = Intent::not_opened(policy, false, "alice", t0 + h(5), closed);
    put(&store, "d", "octo/repo", 4, nothing).await;
    put(
        &store,
        "e",
        "octo/repo",
        5,
        open("intent-to-close", false, t0, "Open"),
    )
    .await;
    // Removed by hand: ended, nothing done.
    let mut removed = open("intent-to-close", false, t0, "Removed");
    removed.handle(
        Event::Ended(EndReason::LabelRemoved {
            by: Some("dave".into()),
        }),
        t0 + h(4),
    );
    put(&store, "f", "octo/repo", 6, removed).await;
    store.close().await;

    let json = decisions(
        &db,
        &[
            "--format",
            "json",
            "--repo",
            "octo/Repo",
            "--since",
            "2026-03-01",
        ],
    );
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = rows.as_array().unwrap();
    let numbers: Vec<i64> = rows.iter().map(|r| r["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [6, 1], "in the order they ended: {json}");
    let r = &rows[1];
    assert_eq!(r["repository"], "octo/repo");
    assert_eq!(r["title"], "Drop the \"old\", slow API");
    assert_eq!(r["intent"], "intent-to-close");
    assert_eq!(r["outcome"], "closed");
    assert_eq!(r["commit"], serde_json::Value::Null);
    assert_eq!(r["opened"], "2026-03-02T09:00:00Z");
    assert_eq!(r["closed"], "2026-03-03T11:00:00Z");
    assert_eq!(
        (r["objections"].as_u64(), r["approvals"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(rows[0]["outcome"], "label_removed");

    let csv = decisions(
        &db,
        &[
            "--format=csv",
            "--since",
            "2026-02-01",
            "--repo",
            "octo/repo",
        ],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "repository,number,title,intent,outcome,commit,opened,closed,objections,approvals",
            "octo/repo,2,Adopt the RFC,intent-to-proceed,cancelled,,2026-02-20T10:00:00Z,2026-02-20T11:00:00Z,0,0",
            "octo/repo,6,Removed,intent-to-close,label_removed,,2026-03-02T09:00:00Z,2026-03-02T13:00:00Z,0,0",
            "octo/repo,1,\"Drop the \"\"old\"\", slow API\",intent-to-close,closed,,2026-03-02T09:00:00Z,2026-03-03T11:00:00Z,1,1",
        ],
        "{csv}"
    );

    // The table, every repository, no filter: four decisions under a header.
    let table = decisions(&db, &[]);
    assert_eq!(table.lines().count(), 5, "{table}");
    assert!(table.contains("other/thing"), "{table}");
    assert!(!table.contains("Open"), "{table}");
}

/// A real lifecycle against the fake GitHub: the outcome comment's hidden record holds
/// the repository, number, title (read when the intent opened) and commit, and
/// `tacit decisions` lists the same.
async fn a_merge_leaves_its_record(kind: Db) {
    let gh = FakeGitHub::start().await;
    gh.add_repo("octo", "repo");
    gh.set_file("octo", "repo", ".github/tacit.yml", WINDOW);
    gh.set_permission("octo", "repo", "alice", "maintain");
    gh.add_pull("octo", "repo", 7, "dave", "abc123");
    let db = TestDb::new(kind).await;
    let t = Tacit::start(&gh, &db).await;
    gh.set_labels_by("octo", "repo", 7, &["intent-to-merge"], "alice");
    let labeled = d::pr_labeled("octo", "repo", 7, "intent-to-merge", "alice", "abc123");
    assert_eq!(t.deliver(&labeled).await, 202);
    let record_of = |g: &FakeGitHub| {
        g.comments("octo", "repo", 7).into_iter().find_map(|c| {
            let at = c.body.rfind("<!-- tacit:record ")?;
            let line = c.body[at + "<!-- tacit:record ".len()..].lines().next()?;
            Some(line.strip_suffix(" -->")?.to_string())
        })
    };
    wait(&gh, "outcome comment with its record", 15, |g| {
        record_of(g).is_some()
    })
    .await;
    let record: serde_json::Value = serde_json::from_str(&record_of(&gh).unwrap()).unwrap();
    assert_eq!(record["v"], 1);
    assert_eq!(record["repo"], "octo/repo");
    assert_eq!(record["number"], 7);
    assert_eq!(record["title"], "Pull request 7");
    assert_eq!(record["outcome"], "merged");
    assert_eq!(record["author"], "alice");
    let commit = record["commit"].as_str().expect("the merge commit");
    assert!(!commit.is_empty());
    assert!(record["notice_at"].is_string() && record["closed_at"].is_string());

    let rows = decisions(&db, &["--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&rows).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["title"], "Pull request 7");
    assert_eq!(rows[0]["commit"], commit);
    t.stop().await;
}

/// A mistyped SQLite path is an error, not an empty database and no decisions.
#[test]
fn a_missing_database_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nothing-here.db");
    let out = Command::new(env!("CARGO_BIN_EXE_tacit"))
        .arg("decisions")
        .current_dir(dir.path())
        .env_clear()
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .output()
        .expect("tacit runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!path.exists(), "no database file was created");
    // Arguments are checked before anything is opened.
    let out = Command::new(env!("CARGO_BIN_EXE_tacit"))
        .args(["decisions", "--format", "xml"])
        .env_clear()
        .output()
        .expect("tacit runs");
    assert_eq!(out.status.code(), Some(2));
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::Db::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name(super::Db::Postgres).await; })*
        }
    };
}

both!(the_binary_lists_ended_intents, a_merge_leaves_its_record);
