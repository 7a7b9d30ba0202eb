//! Fills a tacit database with open intents, for `bench/intents.sh`.
//!
//! ```text
//! cargo run --release --example seed_intents -- DATABASE_URL COUNT spread HOURS
//! cargo run --release --example seed_intents -- DATABASE_URL COUNT at UNIX_MS
//! cargo run --release --example seed_intents -- DATABASE_URL COUNT second UNIX_MS
//! ```
//!
//! `spread`: windows close evenly over the next HOURS (the restart-to-ready case: many
//! open intents, none due). `at`: every window closes at UNIX_MS (all due in the same
//! millisecond, the harshest case). `second`: windows close evenly over the second
//! that starts at UNIX_MS (all due in the same second). Each row holds a real `Intent` (opened by the core with the
//! default `intent-to-merge` policy, as `tacit serve` stores it), on pull requests
//! spread over 100 repositories of installation 1. The schema comes from tacit's own
//! migrations (`Store::connect`), so the rows are what tacit reads.

use std::time::Instant;

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use sqlx::any::AnyPoolOptions;
use tacit::core::config::RepoConfig;
use tacit::core::intent::{Event, Intent, Opening};
use tacit::store::Store;

const REPOS: u64 = 100;
const ROWS_PER_INSERT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 20_000;

enum Due {
    Spread { hours: i64 },
    At { ms: i64 },
    Second { ms: i64 },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, count, mode, value] = args.as_slice() else {
        bail!(
            "usage: seed_intents DATABASE_URL COUNT (spread HOURS | at UNIX_MS | second UNIX_MS)"
        );
    };
    let count: u64 = count.parse().context("COUNT")?;
    let due = match mode.as_str() {
        "spread" => Due::Spread {
            hours: value.parse().context("HOURS")?,
        },
        "at" => Due::At {
            ms: value.parse().context("UNIX_MS")?,
        },
        "second" => Due::Second {
            ms: value.parse().context("UNIX_MS")?,
        },
        other => bail!("unknown mode {other:?}: spread, at or second"),
    };

    // Runs tacit's migrations.
    Store::connect(url).await?.close().await;
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .context("connecting")?;

    let policy = RepoConfig::default()
        .policy("intent-to-merge")
        .context("the default configuration has intent-to-merge")?;
    let window = SignedDuration::try_from(policy.window)?;
    let now = Timestamp::now();
    let started = Instant::now();

    let mut rows = Vec::with_capacity(ROWS_PER_INSERT);
    let mut tx = pool.begin().await?;
    let mut in_tx = 0;
    for i in 0..count {
        let close_at = match due {
            Due::Spread { hours } => {
                let step = hours * 3_600_000 / count.max(1) as i64;
                now + SignedDuration::from_millis(60_000 + step * i as i64)
            }
            Due::At { ms } => Timestamp::from_millisecond(ms)?,
            Due::Second { ms } => {
                Timestamp::from_millisecond(ms + (i * 1000 / count.max(1)) as i64)?
            }
        };
        let opened = close_at - window;
        let (mut intent, _effects) = Intent::open(Opening {
            policy: policy.clone(),
            is_pull: true,
            item_author: format!("author{}", i % 97),
            author: "maintainer".into(),
            at: opened,
            now: opened,
            head_sha: Some(format!("{:040x}", i + 1)),
            carried: Vec::new(),
        });
        // Its status comment appeared as it opened: the window runs from then.
        intent.handle(
            Event::Noticed {
                at: opened,
                comment: None,
            },
            opened,
        );
        let due_at = intent.next_due().context("an open intent is due")?;
        let wanted = match due {
            Due::At { ms } => Some(ms..ms + 1),
            Due::Second { ms } => Some(ms..ms + 1000),
            Due::Spread { .. } => None,
        };
        if let Some(wanted) = wanted {
            anyhow::ensure!(
                wanted.contains(&due_at.as_millisecond()),
                "due at {due_at}, not within {wanted:?}"
            );
        }
        let state = tacit::store::codec::encode_intent(&intent)?;
        let repo = format!("bench/repo{}", i % REPOS);
        let number = (i / REPOS + 1) as i64;
        rows.push((
            format!("seed-{i:08}"),
            repo,
            number,
            state,
            due_at.as_millisecond(),
            now.as_millisecond(),
        ));
        if rows.len() == ROWS_PER_INSERT || i + 1 == count {
            insert(&mut tx, &policy.label, &rows).await?;
            in_tx += rows.len();
            rows.clear();
            if in_tx >= ROWS_PER_TRANSACTION {
                tx.commit().await?;
                tx = pool.begin().await?;
                in_tx = 0;
            }
        }
    }
    tx.commit().await?;
    pool.close().await;
    eprintln!(
        "seeded {count} open intents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

type Row = (String, String, i64, String, i64, i64);

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    label: &str,
    rows: &[Row],
) -> anyhow::Result<()> {
    // `$n` placeholders, as tacit's store writes them: both SQLite and PostgreSQL
    // take them (sqlx's QueryBuilder for `Any` writes `?`, which PostgreSQL refuses).
    let mut sql = String::from(
        "INSERT INTO intents (id, installation_id, repo, number, label, is_open, state, due_at, version, created_at, updated_at) VALUES ",
    );
    for n in 0..rows.len() {
        let p = n * 7;
        if n > 0 {
            sql.push(',');
        }
        let [id, repo, number, label, state, due_at, created] = std::array::from_fn(|k| p + k + 1);
        sql.push_str(&format!(
            "(${id}, 1, ${repo}, ${number}, ${label}, 1, ${state}, ${due_at}, 1, ${created}, ${created})"
        ));
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (id, repo, number, state, due_at, created) in rows {
        q = q
            .bind(id.clone())
            .bind(repo.clone())
            .bind(*number)
            .bind(label.to_string())
            .bind(state.clone())
            .bind(*due_at)
            .bind(*created);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
