//! Several replicas on one PostgreSQL database: every delivery is sent to both, every
//! intent is acted on exactly once.

use crate::support::deliveries as d;
use crate::support::fake_github::FakeGitHub;
use crate::support::tacit::{Db, Tacit, TestDb, wait};
use tacit::core::intent::Status;

const O: &str = "octo";
const R: &str = "repo";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_one_postgres_act_once_per_intent() {
    let gh = FakeGitHub::start().await;
    gh.add_repo(O, R);
    gh.set_file(
        O,
        R,
        ".github/tacit.yml",
        "window: 2s\nafter_objection: 1s\n",
    );
    gh.set_permission(O, R, "alice", "maintain");
    gh.set_permission(O, R, "bob", "write");
    let db = TestDb::new(Db::Postgres).await;
    let a = Tacit::start(&gh, &db).await;
    let b = Tacit::start(&gh, &db).await;

    let numbers: Vec<u64> = (100..108).collect();
    for &n in &numbers {
        let sha = format!("sha{n}");
        gh.add_pull(O, R, n, "dave", &sha);
        gh.set_labels_by(O, R, n, &["intent-to-merge"], "alice");
        let delivery = d::pr_labeled(O, R, n, "intent-to-merge", "alice", &sha);
        // GitHub may deliver to any replica; redeliveries may reach another one.
        let (sa, sb) = tokio::join!(a.deliver(&delivery), b.deliver(&delivery));
        assert!(
            [sa, sb].contains(&202) && [sa, sb].iter().all(|s| *s == 202 || *s == 200),
            "{sa} {sb}"
        );
    }
    // One objection, withdrawn, on one of them, through the other replica.
    let id = gh.add_comment(O, R, 100, "bob", "/object wait");
    assert_eq!(
        b.deliver(&d::comment_created(
            O,
            R,
            100,
            true,
            id,
            "bob",
            "/object wait"
        ))
        .await,
        202
    );

    for &n in &numbers[1..] {
        wait(&gh, "merge", 20, |g| g.merges(O, R, n).len() == 1).await;
    }
    assert!(gh.merges(O, R, 100).is_empty(), "the objection blocks #100");
    let id = gh.add_comment(O, R, 100, "bob", "/withdraw");
    assert_eq!(
        a.deliver(&d::comment_created(O, R, 100, true, id, "bob", "/withdraw"))
            .await,
        202
    );
    wait(&gh, "merge of #100 after the withdrawal", 20, |g| {
        g.merges(O, R, 100).len() == 1
    })
    .await;

    // Both replicas run what is due and what it causes, at once: nothing more may happen,
    // and nothing is left that could.
    tokio::join!(a.settle(), b.settle());
    for &n in &numbers {
        let i = a
            .intent(&format!("{O}/{R}"), n)
            .await
            .expect("stored")
            .intent;
        assert_eq!(i.status(), Status::Ended, "#{n}: {:?}", i.outcome);
        assert_eq!(i.next_due(), None, "#{n}");
        assert_eq!(
            gh.count("PUT", &format!("/pulls/{n}/merge")),
            1,
            "#{n} merged once"
        );
        let bot: Vec<_> = gh
            .comments(O, R, n)
            .into_iter()
            .filter(|c| c.author.ends_with("[bot]"))
            .collect();
        let status = bot
            .iter()
            .filter(|c| c.body.starts_with("<!-- tacit:intent -->"))
            .count();
        assert_eq!(status, 1, "#{n}: one status comment");
        assert_eq!(
            bot.len(),
            2,
            "#{n}: one status and one outcome comment: {bot:?}"
        );
    }
    a.stop().await;
    b.stop().await;
}
