//! `tacit decisions`: the decision record from the database, one row per ended
//! intent (SPEC 1). It reads only the database, so it works while GitHub is down.
//!
//! The arguments, the rows and their formats (table, JSON, CSV) are plain functions,
//! unit-tested here; [`run`] only reads the store and prints.

use std::fmt::Write;

use anyhow::{Context, anyhow, bail};
use jiff::Timestamp;
use serde::Serialize;

use crate::core::intent::{Outcome, Record};
use crate::store::{IntentRow, Store};

/// How the rows are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// `tacit decisions [--repo OWNER/NAME] [--since YYYY-MM-DD] [--format table|json|csv]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub repo: Option<String>,
    /// Ended on or after this instant (the start of the given day, UTC).
    pub since: Option<Timestamp>,
    pub format: Format,
}

impl Query {
    pub fn parse(args: &[String]) -> anyhow::Result<Query> {
        let mut query = Query {
            repo: None,
            since: None,
            format: Format::Table,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| anyhow!("{name} needs a value"))
            };
            match name {
                "--repo" => {
                    let repo = value()?;
                    let valid = repo
                        .split_once('/')
                        .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'));
                    if !valid {
                        bail!("--repo must be OWNER/NAME, got {repo:?}");
                    }
                    query.repo = Some(repo);
                }
                "--since" => {
                    let day = value()?;
                    let date: jiff::civil::Date = day.parse().map_err(|_| {
                        anyhow!("--since must be a date like 2026-03-01, got {day:?}")
                    })?;
                    // Midnight UTC of a valid date is always a valid instant.
                    let start: Timestamp =
                        format!("{date}T00:00:00Z").parse().context("--since")?;
                    query.since = Some(start);
                }
                "--format" => {
                    query.format = match value()?.as_str() {
                        "table" => Format::Table,
                        "json" => Format::Json,
                        "csv" => Format::Csv,
                        other => bail!("--format must be table, json or csv, got {other:?}"),
                    }
                }
                _ => bail!("unexpected argument {arg:?}"),
            }
        }
        Ok(query)
    }
}

/// One ended intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub repository: String,
    pub number: i64,
    pub title: String,
    /// The intent label.
    pub intent: String,
    /// How it ended (`merged`, `closed`, `accepted`, `cancelled`, `label_removed`, ...).
    pub outcome: String,
    /// The merge commit, if tacit merged.
    pub commit: Option<String>,
    pub opened: Timestamp,
    pub closed: Option<Timestamp>,
    /// Objections raised (withdrawn ones included).
    pub objections: usize,
    /// Approvals given (ones a push cleared included).
    pub approvals: usize,
}

/// The row of an ended intent; `None` for what is not a decision: a label that opened
/// nothing, or an intent still open.
pub fn decision(row: &IntentRow) -> Option<Decision> {
    let intent = &row.intent;
    let outcome = intent.outcome.as_ref()?;
    if matches!(outcome, Outcome::NotOpened { .. }) {
        return None;
    }
    let records = intent.records();
    let count = |f: fn(&Record) -> bool| records.iter().filter(|r| f(r)).count();
    Some(Decision {
        repository: row.repo.clone(),
        number: row.number,
        title: intent.title.clone(),
        intent: intent.policy.label.to_string(),
        outcome: outcome.kind().to_string(),
        commit: outcome.commit().map(str::to_string),
        opened: intent.opened_at,
        closed: intent.ended_at,
        objections: count(|r| matches!(r, Record::Objected { .. })),
        approvals: count(|r| matches!(r, Record::Approved { .. })),
    })
}

const HEADER: [&str; 10] = [
    "repository",
    "number",
    "title",
    "intent",
    "outcome",
    "commit",
    "opened",
    "closed",
    "objections",
    "approvals",
];

fn cells(d: &Decision) -> [String; 10] {
    [
        d.repository.clone(),
        d.number.to_string(),
        d.title.clone(),
        d.intent.clone(),
        d.outcome.clone(),
        d.commit.clone().unwrap_or_default(),
        d.opened.to_string(),
        d.closed.map(|t| t.to_string()).unwrap_or_default(),
        d.objections.to_string(),
        d.approvals.to_string(),
    ]
}

/// The longest title shown in a table (the JSON and CSV have it whole).
const TABLE_TITLE: usize = 40;

pub fn format(rows: &[Decision], format: Format) -> String {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(rows).expect("rows always serialize");
            s.push('\n');
            s
        }
        Format::Csv => {
            let mut s = String::new();
            let _ = writeln!(s, "{}", HEADER.join(","));
            for d in rows {
                let line: Vec<String> = cells(d).iter().map(|c| csv_field(c)).collect();
                // RFC 4180 ends records with CRLF; LF is what most tools write and read.
                let _ = writeln!(s, "{}", line.join(","));
            }
            s
        }
        Format::Table => table(rows),
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Columns aligned with spaces; text on one line, long titles cut.
fn table(rows: &[Decision]) -> String {
    let mut lines: Vec<[String; 10]> = vec![HEADER.map(str::to_string)];
    for d in rows {
        let mut c = cells(d).map(|t| one_line(&t));
        if c[2].chars().count() > TABLE_TITLE {
            c[2] = c[2].chars().take(TABLE_TITLE - 1).collect::<String>() + "…";
        }
        if c[5].len() > 12 {
            c[5].truncate(12); // a commit's first 12 hex digits
        }
        lines.push(c);
    }
    let mut widths = [0usize; 10];
    for line in &lines {
        for (w, c) in widths.iter_mut().zip(line) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut s = String::new();
    for line in &lines {
        let mut out = String::new();
        for (i, (c, w)) in line.iter().zip(widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(c);
            out.extend(std::iter::repeat_n(' ', w - c.chars().count()));
        }
        let _ = writeln!(s, "{}", out.trim_end());
    }
    if rows.is_empty() {
        s.push_str("(no decisions)\n");
    }
    s
}

/// Control characters (line breaks, escapes) become spaces: a title cannot move the
/// terminal's cursor or break the table.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Read the ended intents that match `query` and print them.
pub async fn run(database_url: &str, query: &Query) -> anyhow::Result<String> {
    let store = Store::connect(&existing_only(database_url))
        .await
        .context("cannot open the database (is DATABASE_URL the one tacit serve uses?)")?;
    let since = query.since.map(|t| t.as_millisecond());
    let rows = store.ended_intents(query.repo.as_deref(), since).await;
    store.close().await;
    let decisions: Vec<Decision> = rows?.iter().filter_map(decision).collect();
    Ok(format(&decisions, query.format))
}

/// A SQLite address that opens the file only if it exists: a mistyped path must not
/// leave an empty database behind and report no decisions.
fn existing_only(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rw")
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::RepoConfig;
    use crate::core::intent::{Intent, Opening};

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_sqlite_file_is_never_created() {
        assert_eq!(
            existing_only("sqlite://tacit.db"),
            "sqlite://tacit.db?mode=rw"
        );
        assert_eq!(
            existing_only("sqlite://t.db?x=1"),
            "sqlite://t.db?x=1&mode=rw"
        );
        assert_eq!(
            existing_only("sqlite://t.db?mode=ro"),
            "sqlite://t.db?mode=ro"
        );
        assert_eq!(existing_only("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn arguments_are_read_and_checked() {
        let q = Query::parse(&args(&[
            "--repo",
            "Octo/Repo",
            "--since=2026-03-01",
            "--format",
            "csv",
        ]))
        .unwrap();
        assert_eq!(q.repo.as_deref(), Some("Octo/Repo"));
        assert_eq!(q.since, Some("2026-03-01T00:00:00Z".parse().unwrap()));
        assert_eq!(q.format, Format::Csv);
        assert_eq!(Query::parse(&[]).unwrap().format, Format::Table);
        for (bad, says) in [
            (&["--repo", "octo"][..], "OWNER/NAME"),
            (&["--since", "March"][..], "--since"),
            (&["--since", "2026-02-30"][..], "--since"),
            (&["--format", "xml"][..], "--format"),
            (&["--format"][..], "needs a value"),
            (&["--everything"][..], "unexpected"),
        ] {
            let err = Query::parse(&args(bad)).unwrap_err().to_string();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    fn row(number: i64, outcome: Option<Outcome>) -> IntentRow {
        let policy = RepoConfig::default().policy("intent-to-merge").unwrap();
        let at: Timestamp = "2026-03-02T09:00:00Z".parse().unwrap();
        let (mut intent, _) = Intent::open(Opening {
            policy,
            is_pull: true,
            item_author: "carol".into(),
            author: "alice".into(),
            at,
            now: at,
            head_sha: Some("sha".into()),
            carried: Vec::new(),
        });
        intent.title = "Fix \"parsing\", again\nand more".into();
        intent.phase = crate::core::intent::Phase::Done;
        intent.ended_at = outcome
            .as_ref()
            .map(|_| at + jiff::SignedDuration::from_hours(72));
        intent.outcome = outcome;
        IntentRow {
            id: format!("id{number}"),
            installation_id: 1,
            repo: "octo/repo".into(),
            number,
            label: "intent-to-merge".into(),
            intent,
            version: 1,
            status_comment_id: None,
            check_run_id: None,
            check_run_sha: None,
            check_run_conclusion: None,
            updated_at: 0,
        }
    }

    #[test]
    fn labels_that_opened_nothing_are_not_decisions() {
        assert_eq!(decision(&row(1, None)), None, "still open");
        let not_opened = Outcome::NotOpened {
            message: "no".into(),
            why: None,
        };
        assert_eq!(decision(&row(2, Some(not_opened))), None);
        let merged = decision(&row(3, Some(Outcome::Merged { sha: "abc".into() }))).unwrap();
        assert_eq!(merged.outcome, "merged");
        assert_eq!(merged.commit.as_deref(), Some("abc"));
        assert_eq!(merged.closed, Some("2026-03-05T09:00:00Z".parse().unwrap()));
        let cancelled = decision(&row(4, Some(Outcome::Cancelled { by: "a".into() }))).unwrap();
        assert_eq!(
            (cancelled.outcome.as_str(), cancelled.commit),
            ("cancelled", None)
        );
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\r"), "\"cr\r\"");
        let d = decision(&row(3, Some(Outcome::Merged { sha: "abc".into() }))).unwrap();
        let csv = format(&[d], Format::Csv);
        assert_eq!(
            csv,
            "repository,number,title,intent,outcome,commit,opened,closed,objections,approvals\n\
             octo/repo,3,\"Fix \"\"parsing\"\", again\nand more\",intent-to-merge,merged,abc,\
             2026-03-02T09:00:00Z,2026-03-05T09:00:00Z,0,0\n"
        );
    }

    #[test]
    fn json_and_table_hold_every_row() {
        let rows: Vec<Decision> = [
            row(
                3,
                Some(Outcome::Merged {
                    sha: "0123456789abcdef".into(),
                }),
            ),
            row(4, Some(Outcome::Closed)),
        ]
        .iter()
        .filter_map(decision)
        .collect();
        let json: serde_json::Value = serde_json::from_str(&format(&rows, Format::Json)).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 2);
        assert_eq!(json[0]["repository"], "octo/repo");
        assert_eq!(json[0]["number"], 3);
        assert_eq!(json[0]["title"], "Fix \"parsing\", again\nand more");
        assert_eq!(json[0]["commit"], "0123456789abcdef");
        assert_eq!(json[1]["commit"], serde_json::Value::Null);
        assert_eq!(json[1]["opened"], "2026-03-02T09:00:00Z");
        let table = format(&rows, Format::Table);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("repository  number  title"), "{table}");
        // The title's line break does not break the row; the commit is shortened.
        assert!(
            lines[1].contains("Fix \"parsing\", again and more"),
            "{table}"
        );
        assert!(
            lines[1].contains("0123456789ab ") && !lines[1].contains("0123456789abc"),
            "{table}"
        );
        assert_eq!(
            format(&[], Format::Table).lines().last(),
            Some("(no decisions)")
        );
    }
}
