//! The fault suite's random part: the `tacit` binary is killed with SIGKILL at random
//! moments while deliveries stream in, and started again, round after round. Meanwhile
//! every delivery is sent one to three times, and a delivery that got no `2xx` (tacit
//! was down) is sent again until one does, as GitHub's redelivery would.
//!
//! At the end, on the fake GitHub: every unopposed intent was acted on exactly once (one
//! `PUT .../merge` at the labelled head, or one close), every opposed one never; each
//! item has one status comment and at most one outcome comment. Nothing lost, nothing
//! doubled.
//!
//! The seed is printed; `TACIT_FAULT_SEED=<n>` replays a run's choices (timing on a
//! busy machine still varies).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::support::binary::{Binary, free_port, start_with};
use crate::support::deliveries::{self as d, Delivery};
use crate::support::fake_github::FakeGitHub;
use crate::support::keys;
use crate::support::tacit::{Db, TestDb};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const O: &str = "octo";
const R: &str = "repo";
const ITEMS: u64 = 16;
const ROUNDS: usize = 6;
const STATUS_MARKER: &str = "<!-- tacit:intent -->";

#[derive(Clone, Copy, Debug)]
struct Item {
    number: u64,
    is_pull: bool,
    objected: bool,
}

impl Item {
    fn new(number: u64) -> Item {
        Item {
            number,
            is_pull: !number.is_multiple_of(2),
            // A third of the items (pull requests and issues) are opposed by a writer
            // and must never be acted on.
            objected: number.is_multiple_of(3),
        }
    }

    fn sha(self) -> String {
        format!("sha-{}", self.number)
    }
}

fn seed() -> u64 {
    std::env::var("TACIT_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random())
}

/// Put item `it` into its labelled (and maybe objected) state on GitHub, and return the
/// deliveries GitHub would send for that.
fn act_on_github(gh: &FakeGitHub, it: Item) -> Vec<Delivery> {
    let mut out = Vec::new();
    if it.is_pull {
        gh.set_labels_by(O, R, it.number, &["intent-to-merge"], "alice");
        out.push(d::pr_labeled(
            O,
            R,
            it.number,
            "intent-to-merge",
            "alice",
            &it.sha(),
        ));
    } else {
        gh.set_labels_by(O, R, it.number, &["intent-to-close"], "alice");
        out.push(d::issue_labeled(
            O,
            R,
            it.number,
            "intent-to-close",
            "alice",
        ));
    }
    if it.objected {
        let body = "/object not yet, please";
        let id = gh.add_comment(O, R, it.number, "bob", body);
        out.push(d::comment_created(
            O, R, it.number, it.is_pull, id, "bob", body,
        ));
    }
    out
}

/// Send `delivery` until tacit answers 2xx; tacit may be down or starting meanwhile.
async fn deliver_until_recorded(client: &reqwest::Client, url: &str, delivery: &Delivery) {
    loop {
        let mut request = client
            .post(format!("{url}/api/github/webhooks"))
            .timeout(Duration::from_secs(5));
        for (name, value) in delivery.headers(keys::WEBHOOK_SECRET) {
            request = request.header(name, value);
        }
        if let Ok(r) = request.body(delivery.body.clone()).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// GitHub's side: items are labelled one after another; every delivery is sent until it is
/// recorded, and some are sent again later (same GUID), up to three times in all.
async fn stream(gh: FakeGitHub, url: String, items: Vec<Item>, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let client = reqwest::Client::new();
    let mut again: VecDeque<(Delivery, u32)> = VecDeque::new();
    for it in items {
        for delivery in act_on_github(&gh, it) {
            deliver_until_recorded(&client, &url, &delivery).await;
            let extra = rng.random_range(0..=2);
            if extra > 0 {
                again.push_back((delivery, extra));
            }
        }
        // Now and then, a redelivery of something sent earlier.
        if rng.random_bool(0.5)
            && let Some((delivery, left)) = again.pop_front()
        {
            deliver_until_recorded(&client, &url, &delivery).await;
            if left > 1 {
                again.push_back((delivery, left - 1));
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..700))).await;
    }
    while let Some((delivery, left)) = again.pop_front() {
        for _ in 0..left {
            deliver_until_recorded(&client, &url, &delivery).await;
        }
    }
}

async fn killed_at_random(kind: Db) {
    let seed = seed();
    eprintln!("fault suite on {kind:?}: TACIT_FAULT_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(O, R, ".github/tacit.yml", "window: 3s\n");
    gh.set_permission(O, R, "alice", "maintain");
    gh.set_permission(O, R, "bob", "write");
    let items: Vec<Item> = (1..=ITEMS).map(Item::new).collect();
    for it in &items {
        if it.is_pull {
            gh.add_pull(O, R, it.number, "dave", &it.sha());
        } else {
            gh.add_issue(O, R, it.number, "dave");
        }
    }
    let db = TestDb::new(kind).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");

    // GitHub's pacing (1 s between writes) would make 16 intents take minutes; it has
    // its own tests. Here it is relaxed so that the kills land among many effects.
    let pacing = [
        ("TACIT_WRITE_INTERVAL_MS", "20"),
        ("TACIT_WRITES_PER_MINUTE", "0"),
    ];
    let mut tacit: Option<Binary> = Some(start_with(&gh, &db, dir.path(), port, &pacing).await);
    let streamer = tokio::spawn(stream(gh.clone(), url, items.clone(), seed));
    let started = Instant::now();
    for round in 0..ROUNDS {
        let up = Duration::from_millis(rng.random_range(300..2_500));
        tokio::time::sleep(up).await;
        tacit.take().expect("running").kill9();
        let down = Duration::from_millis(rng.random_range(0..1_000));
        eprintln!(
            "round {round}: killed after {up:?} up, {} merges and {} closes so far; down {down:?}",
            gh.count("PUT", "/merge"),
            (1..=ITEMS)
                .filter(|&n| gh.issue(O, R, n).state == "closed")
                .count(),
        );
        tokio::time::sleep(down).await;
        tacit = Some(start_with(&gh, &db, dir.path(), port, &pacing).await);
    }
    tokio::time::timeout(Duration::from_secs(60), streamer)
        .await
        .expect("every delivery was recorded")
        .expect("the streamer did not panic");

    // Let the last windows close and the work finish, then check the world.
    let unopposed: Vec<Item> = items.iter().copied().filter(|i| !i.objected).collect();
    let finished = gh
        .wait_for(Duration::from_secs(45), |g| {
            unopposed.iter().all(|it| acted(g, *it))
        })
        .await;
    // A little longer: anything doubled would show now (a separate process, killed and
    // restarted: nothing to drive to completion from here, so this stays a wait).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let report = report(&gh, &items);
    assert!(
        finished,
        "not every unopposed intent was acted on:\n{report}"
    );
    eprintln!("all acted on after {:?}:\n{report}", started.elapsed());
    for it in &items {
        check(&gh, *it, &report);
    }
    let status = tacit.take().expect("running").terminate();
    assert!(status.success(), "SIGTERM exits 0, got {status:?}");
}

fn acted(gh: &FakeGitHub, it: Item) -> bool {
    let view = gh.issue(O, R, it.number);
    if it.is_pull {
        view.merged
    } else {
        view.state == "closed"
    }
}

fn bot_comments(gh: &FakeGitHub, n: u64) -> (usize, usize) {
    let bot: Vec<_> = gh
        .comments(O, R, n)
        .into_iter()
        .filter(|c| c.author.ends_with("[bot]"))
        .collect();
    let status = bot
        .iter()
        .filter(|c| c.body.starts_with(STATUS_MARKER))
        .count();
    (status, bot.len() - status)
}

fn report(gh: &FakeGitHub, items: &[Item]) -> String {
    let mut s = String::new();
    for it in items {
        let view = gh.issue(O, R, it.number);
        let (status, other) = bot_comments(gh, it.number);
        s += &format!(
            "  #{:<2} {} objected={:<5} state={} merged={} merge PUTs={} labels={:?} status comments={} other bot comments={}\n",
            it.number,
            if it.is_pull { "pull " } else { "issue" },
            it.objected,
            view.state,
            view.merged,
            gh.count("PUT", &format!("/pulls/{}/merge", it.number)),
            view.labels,
            status,
            other,
        );
    }
    s
}

fn check(gh: &FakeGitHub, it: Item, report: &str) {
    let n = it.number;
    let view = gh.issue(O, R, n);
    let puts = gh.count("PUT", &format!("/pulls/{n}/merge"));
    let (status, outcome) = bot_comments(gh, n);
    assert_eq!(status, 1, "#{n}: one status comment\n{report}");
    if it.objected {
        assert_eq!(view.state, "open", "#{n} was opposed\n{report}");
        assert_eq!(puts, 0, "#{n} was opposed\n{report}");
        assert_eq!(outcome, 0, "#{n}: no outcome while opposed\n{report}");
        return;
    }
    assert_eq!(outcome, 1, "#{n}: exactly one outcome comment\n{report}");
    assert!(view.labels.is_empty(), "#{n}: label removed\n{report}");
    if it.is_pull {
        assert_eq!(puts, 1, "#{n}: exactly one merge request\n{report}");
        let merges = gh.merges(O, R, n);
        assert_eq!(merges.len(), 1, "#{n}\n{report}");
        assert_eq!(merges[0]["sha"], it.sha(), "#{n}: merged the labelled head");
    } else {
        assert_eq!(view.state, "closed", "#{n}\n{report}");
        assert_eq!(puts, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_while_deliveries_stream_sqlite() {
    killed_at_random(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_while_deliveries_stream_postgres() {
    killed_at_random(Db::Postgres).await;
}
