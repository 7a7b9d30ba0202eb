//! The read-only operator dashboard, `GET /dashboard`: the open intents by repository.
//!
//! Off unless `DASHBOARD_TOKEN` is set (then the route does not exist at all); when on,
//! only requests that carry the token see it. The page is rendered here by a pure
//! function of the stored intents and `now` ([`render`]); `server.rs` checks the
//! token, reads the store and sends the page with [`response_headers`].
//!
//! Everything shown comes from the store: the dashboard never asks GitHub, so opening
//! it costs no API quota and works while GitHub is down. Every piece of text that
//! came from GitHub (repository names, logins, labels, reasons, URLs) is escaped.
//! No scripts and no external assets: the Content-Security-Policy allows only the one
//! inline style sheet, by its hash.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::LazyLock;

use axum::http::HeaderValue;
use axum::http::header::{self, HeaderName};
use base64::Engine as _;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::core::intent::{Intent, Status};
use crate::core::render;
use crate::http::html::escape;
use crate::http::secret::Secret;
use crate::store::IntentRow;

/// The most intents one page shows; more are left out, and the page says so.
pub const MAX_ROWS: usize = 1000;

// ---- access -----------------------------------------------------------------------

/// The configured token. A presented token is compared with it in constant time
/// ([`Secret`]): the time taken says nothing about how much of the token was right,
/// nor about its length.
pub struct Token(Secret);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    pub fn new(secret: &str) -> Token {
        Token(Secret::new(secret))
    }

    /// Is `presented` the configured token?
    pub fn matches(&self, presented: &str) -> bool {
        self.0.matches(presented)
    }

    /// Does a request carry the token, as `Authorization: Bearer <token>` or as
    /// `?token=<token>` (so that an operator can open the page in a browser)?
    pub fn admits(&self, authorization: Option<&str>, query: Option<&str>) -> bool {
        presented(authorization, query).any(|t| self.matches(&t))
    }
}

/// The tokens a request presents: the bearer token, then every `token` query parameter.
fn presented(authorization: Option<&str>, query: Option<&str>) -> impl Iterator<Item = String> {
    let bearer = authorization.and_then(|h| {
        let (scheme, token) = h.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let from_query = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .collect::<Vec<_>>();
    bearer.into_iter().chain(from_query)
}

/// The answer to a request without the right token: short, and nothing else.
pub const UNAUTHORIZED: &str = "401: this dashboard needs its token, as `Authorization: Bearer <token>` or `?token=<token>`.\n";

/// Headers for every dashboard answer, the page and the 401 alike.
pub fn response_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        // Neither browsers nor proxies may keep a copy of a page that needs a token.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        // The token may be in the URL: links to GitHub must not carry it away.
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&CSP).expect("the policy is ASCII"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// No scripts, no images, no fonts, no forms, no framing: only [`STYLE`], by its hash.
static CSP: LazyLock<String> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
});

// ---- the page ---------------------------------------------------------------------

/// What one page shows.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// Open intents, at most [`MAX_ROWS`].
    pub intents: &'a [IntentRow],
    /// How many intents are open in all, when `intents` had to leave some out.
    pub left_out_of: Option<i64>,
    /// Installations that are suspended or removed: their intents are paused.
    pub frozen: &'a [i64],
    /// Where links point: GitHub's web root (`Settings::github_web_url`).
    pub web_root: &'a str,
    pub now: Timestamp,
}

/// The whole HTML page: a pure function of the stored intents and `now`.
pub fn render(page: &Page<'_>) -> String {
    let mut by_repo: BTreeMap<&str, Vec<&IntentRow>> = BTreeMap::new();
    for row in page.intents {
        by_repo.entry(row.repo.as_str()).or_default().push(row);
    }
    for rows in by_repo.values_mut() {
        rows.sort_by_key(|r| r.number);
    }

    let mut s = String::with_capacity(4096 + 1024 * page.intents.len());
    s.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    s.push_str("<title>tacit: open intents</title>\n");
    let _ = writeln!(s, "<style>{STYLE}</style>");
    s.push_str("</head>\n<body>\n");
    header_html(&mut s, page, by_repo.len());
    s.push_str("<main>\n");
    if page.intents.is_empty() {
        s.push_str("<p class=\"empty\">There are no open intents. When someone adds an intent label, it shows here until tacit acts or the intent ends.</p>\n");
    }
    for (repo, rows) in &by_repo {
        repo_html(&mut s, page, repo, rows);
    }
    s.push_str("</main>\n<footer>Read-only. Times are UTC. This page shows what tacit has stored; GitHub has the last word.</footer>\n");
    s.push_str("</body>\n</html>\n");
    s
}

fn header_html(s: &mut String, page: &Page<'_>, repos: usize) {
    let n = page.intents.len();
    let blocked = page
        .intents
        .iter()
        .filter(|r| !r.intent.objections.is_empty())
        .count();
    s.push_str("<header>\n<h1>tacit <span>open intents</span></h1>\n<p class=\"summary\">");
    let total = page.left_out_of.unwrap_or(n as i64);
    let _ = write!(
        s,
        "<strong>{total}</strong> open intent{} in <strong>{repos}</strong> repositor{}",
        if total == 1 { "" } else { "s" },
        if repos == 1 { "y" } else { "ies" }
    );
    if blocked > 0 {
        let _ = write!(s, " · <strong>{blocked}</strong> blocked by objections");
    }
    let paused = page
        .intents
        .iter()
        .filter(|r| page.frozen.contains(&r.installation_id))
        .count();
    if paused > 0 {
        let _ = write!(
            s,
            " · <strong>{paused}</strong> paused (the App is suspended or uninstalled there)"
        );
    }
    let _ = writeln!(
        s,
        " · generated {}</p>",
        time_html(page.now, "%Y-%m-%d %H:%M:%S UTC")
    );
    if let Some(total) = page.left_out_of {
        let _ = writeln!(
            s,
            "<p class=\"note\">Only the first {n} of {total} open intents are shown (by repository and number).</p>"
        );
    }
    s.push_str("</header>\n");
}

fn repo_html(s: &mut String, page: &Page<'_>, repo: &str, rows: &[&IntentRow]) {
    let _ = writeln!(
        s,
        "<section>\n<h2><a href=\"{}/{}\">{}</a> <span class=\"count\">{}</span></h2>",
        escape(page.web_root),
        escape(repo),
        escape(repo),
        rows.len()
    );
    s.push_str("<table>\n<thead><tr><th>Item</th><th>Intent</th><th>Phase</th><th>Window closes</th><th>Objections</th><th>Approvals</th><th>Opened by</th></tr></thead>\n<tbody>\n");
    for row in rows {
        row_html(s, page, row);
    }
    s.push_str("</tbody>\n</table>\n</section>\n");
}

fn row_html(s: &mut String, page: &Page<'_>, row: &IntentRow) {
    let intent = &row.intent;
    let (kind, path) = if intent.is_pull {
        ("pull request", "pull")
    } else {
        ("issue", "issues")
    };
    let item_url = format!("{}/{}/{path}/{}", page.web_root, row.repo, row.number);
    let (phase_class, phase) = phase(intent);
    s.push_str("<tr>");
    let _ = write!(
        s,
        "<td><a href=\"{}\">#{}</a> <span class=\"muted\">{kind}</span></td>",
        escape(&item_url),
        row.number
    );
    let _ = write!(s, "<td><code>{}</code></td>", escape(&intent.policy.label));
    let _ = write!(s, "<td><span class=\"phase {phase_class}\">{phase}</span>");
    if let Some(r) = &intent.refusal {
        let _ = write!(
            s,
            "<div class=\"muted\">GitHub refused the merge ({} attempt{}): {}</div>",
            r.attempts,
            plural(r.attempts as usize),
            escape(&one_line(render::refusal_words(&r.refused())))
        );
    }
    if page.frozen.contains(&row.installation_id) {
        s.push_str("<div class=\"muted\">paused: the App is suspended or uninstalled on this account; tacit goes on when it is back</div>");
    }
    s.push_str("</td>");
    close_html(s, intent, page.now);
    objections_html(s, intent);
    approvals_html(s, intent);
    let _ = write!(
        s,
        "<td>@{}<div class=\"muted\">opened {}</div></td>",
        escape(&intent.author),
        relative(page.now, intent.opened_at)
    );
    s.push_str("</tr>\n");
}

/// The state's CSS class and the words for it, from [`Intent::status`] (as the status
/// comment and the check run).
fn phase(intent: &Intent) -> (&'static str, &'static str) {
    match intent.status() {
        Status::Blocked => ("blocked", "blocked"),
        Status::WaitingForGitHub => ("waiting", "waiting to merge"),
        Status::WaitingForDraft => ("waiting", "waiting for the draft"),
        Status::Open => ("open", "open"),
        Status::Verifying => ("verifying", "verifying"),
        Status::Merging => ("acting", "acting"),
        // Not listed as open; shown truthfully if it ever is.
        Status::Ended => ("done", "done"),
    }
}

fn close_html(s: &mut String, intent: &Intent, now: Timestamp) {
    s.push_str("<td>");
    match intent.ready_at() {
        Some(t) => {
            let _ = write!(
                s,
                "{}<div class=\"muted\">{}</div>",
                time_html(t, "%Y-%m-%d %H:%M UTC"),
                relative(now, t)
            );
            if intent.early_proceed() {
                s.push_str("<div class=\"muted\">early: enough approvals</div>");
            }
        }
        // Blocked: the window cannot close; show when it would have.
        None => {
            let t = intent.closes_at();
            let _ = write!(
                s,
                "<span class=\"muted\">not while objections are open</span><div class=\"muted\">window ends {} ({})</div>",
                time_html(t, "%Y-%m-%d %H:%M UTC"),
                relative(now, t)
            );
        }
    }
    s.push_str("</td>");
}

fn objections_html(s: &mut String, intent: &Intent) {
    if intent.objections.is_empty() {
        s.push_str("<td><span class=\"muted\">none</span></td>");
        return;
    }
    s.push_str("<td><ul>");
    for o in &intent.objections {
        let who = format!("@{}", escape(&o.who));
        s.push_str("<li>");
        match o.url.as_deref().filter(|u| is_web_url(u)) {
            Some(url) => {
                let _ = write!(s, "<a href=\"{}\">{who}</a>", escape(url));
            }
            None => s.push_str(&who),
        }
        if o.reason.trim().is_empty() {
            s.push_str(" <span class=\"muted\">(no reason given)</span>");
        } else {
            let _ = write!(s, ": {}", escape(&one_line(&o.reason)));
        }
        if o.source == crate::core::intent::Source::CarriedOver {
            s.push_str(" <span class=\"muted\">(carried over)</span>");
        }
        s.push_str("</li>");
    }
    s.push_str("</ul></td>");
}

fn approvals_html(s: &mut String, intent: &Intent) {
    let n = intent.approvals.len();
    let needed = intent.policy.approvals;
    if needed == 0 {
        let _ = write!(
            s,
            "<td>{n} <span class=\"muted\">(no early proceed)</span></td>"
        );
    } else {
        let _ = write!(s, "<td>{n} of {needed}</td>");
    }
}

/// `<time datetime="2026-03-02T09:00:00Z">2026-03-02 09:00 UTC</time>`.
fn time_html(t: Timestamp, format: &str) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        t.strftime(format)
    )
}

/// "in 3 h", "12 min ago", "now": how far `t` is from `now`, rounded to the nearest
/// minute, hour, or (from two days on) day and hour.
fn relative(now: Timestamp, t: Timestamp) -> String {
    let secs = t.as_second() - now.as_second();
    let abs = secs.unsigned_abs();
    if abs < 60 {
        return "now".to_string();
    }
    let (minutes, hours) = ((abs + 30) / 60, (abs + 1800) / 3600);
    let span = if minutes < 60 {
        format!("{minutes} min")
    } else if hours < 48 {
        format!("{hours} h")
    } else {
        match hours % 24 {
            0 => format!("{} d", hours / 24),
            h => format!("{} d {h} h", hours / 24),
        }
    };
    if secs > 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The first line of a reason, at most 200 characters (the status comment's rule).
fn one_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Only web links become links: a stored URL is GitHub's, but is never trusted to be.
fn is_web_url(u: &str) -> bool {
    u.starts_with("https://") || u.starts_with("http://")
}

/// The page's only style sheet, allowed by the Content-Security-Policy by its hash.
/// Light and dark, after the operator's system setting.
const STYLE: &str = r#"
:root { color-scheme: light dark; --bg: #f6f8fa; --card: #ffffff; --text: #1f2328; --muted: #656d76; --line: #d0d7de; --head: #f6f8fa; --link: #0969da;
  --open-bg: #ddf4ff; --open: #0969da; --blocked-bg: #ffebe9; --blocked: #cf222e; --waiting-bg: #fff8c5; --waiting: #9a6700;
  --verifying-bg: #fbefff; --verifying: #8250df; --acting-bg: #dafbe1; --acting: #1a7f37; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #8d96a0; --line: #30363d; --head: #1c2128; --link: #4493f8;
    --open-bg: #0c2d6b; --open: #79c0ff; --blocked-bg: #5d0f12; --blocked: #ff9492; --waiting-bg: #4b3800; --waiting: #e3b341;
    --verifying-bg: #3c1e70; --verifying: #d2a8ff; --acting-bg: #033a16; --acting: #7ee787; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; background: var(--bg); color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
header, main, footer { max-width: 1280px; margin: 0 auto; }
h1 { font-size: 22px; font-weight: 600; margin: 0 0 4px; }
h1 span { color: var(--muted); font-weight: 400; }
.summary { margin: 0 0 20px; color: var(--muted); }
.summary strong { color: var(--text); }
.note { margin: -8px 0 20px; padding: 8px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--card); }
section { margin: 0 0 24px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
h2 { font-size: 15px; font-weight: 600; margin: 0; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--head); }
.count { display: inline-block; min-width: 20px; padding: 0 7px; border-radius: 10px; background: var(--line); color: var(--text); font-size: 12px; font-weight: 500; text-align: center; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 9px 16px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
/* The same columns in every repository's table: Item, Intent, Phase, Window closes, Objections, Approvals, Opened by. */
th:nth-child(1) { width: 12%; } th:nth-child(2) { width: 15%; } th:nth-child(3) { width: 11%; }
th:nth-child(4) { width: 20%; } th:nth-child(5) { width: 20%; } th:nth-child(6) { width: 9%; } th:nth-child(7) { width: 13%; }
td:first-child { white-space: nowrap; }
th { font-size: 12px; font-weight: 600; color: var(--muted); }
tbody tr:last-child td { border-bottom: none; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; padding: 2px 6px; border-radius: 6px; background: var(--head); border: 1px solid var(--line); white-space: nowrap; }
ul { margin: 0; padding-left: 16px; }
time { white-space: nowrap; }
.muted { color: var(--muted); font-size: 12px; }
.phase { display: inline-block; padding: 1px 10px; border-radius: 12px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.phase.open { background: var(--open-bg); color: var(--open); }
.phase.blocked { background: var(--blocked-bg); color: var(--blocked); }
.phase.waiting { background: var(--waiting-bg); color: var(--waiting); }
.phase.verifying { background: var(--verifying-bg); color: var(--verifying); }
.phase.acting, .phase.done { background: var(--acting-bg); color: var(--acting); }
.empty { padding: 32px; text-align: center; color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: 8px; }
footer { margin-top: 8px; color: var(--muted); font-size: 12px; }
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::RepoConfig;
    use crate::core::intent::{Approval, Objection, Opening, Phase, Refusal, Source};
    use jiff::SignedDuration;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("RFC 3339")
    }

    /// Monday 2026-03-02 09:00 UTC, when the intents below open.
    fn t0() -> Timestamp {
        ts("2026-03-02T09:00:00Z")
    }

    fn row(repo: &str, number: i64, label: &str, is_pull: bool) -> IntentRow {
        let policy = RepoConfig::default()
            .policy(label)
            .expect("a default label");
        let (intent, _) = Intent::open(Opening {
            policy,
            is_pull,
            item_author: "dave".into(),
            author: "alice".into(),
            at: t0(),
            now: t0(),
            head_sha: is_pull.then(|| "abc123".into()),
            carried: Vec::new(),
        });
        IntentRow {
            id: format!("id-{repo}-{number}"),
            installation_id: 1,
            repo: repo.into(),
            number,
            label: label.into(),
            intent,
            version: 1,
            status_comment_id: None,
            check_run_id: None,
            check_run_sha: None,
            check_run_conclusion: None,
            updated_at: 0,
        }
    }

    fn objection(who: &str, reason: &str, url: Option<&str>) -> Objection {
        Objection {
            who: who.into(),
            reason: reason.into(),
            url: url.map(Into::into),
            at: t0(),
            source: Source::Comment(1),
            edited_from: None,
        }
    }

    fn page(rows: &[IntentRow], now: Timestamp) -> String {
        render(&Page {
            intents: rows,
            left_out_of: None,
            frozen: &[],
            web_root: "https://github.com",
            now,
        })
    }

    #[test]
    fn github_text_is_escaped_everywhere() {
        let mut r = row("octo/<b>repo</b>", 7, "intent-to-merge", true);
        r.intent.policy.label = "<i>label</i>".into();
        r.intent.author = "<script>alert('author')</script>".into();
        r.intent.objections.push(objection(
            "<script>alert(1)</script>",
            "<script>alert(\"reason\")</script> & more",
            Some("https://github.com/o/r/issues/7#\"><script>alert(2)</script>"),
        ));
        let html = page(&[r], t0());
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>repo") && !html.contains("<i>label"));
        assert!(
            html.contains("@&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt; &amp; more"));
        assert!(html.contains("@&lt;script&gt;alert(&#39;author&#39;)"));
        assert!(html.contains("octo/&lt;b&gt;repo&lt;/b&gt;"));
        // The URL stays inside its attribute.
        assert!(html.contains("issues/7#&quot;&gt;&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_web_urls_become_links() {
        let mut r = row("octo/repo", 7, "intent-to-merge", true);
        r.intent
            .objections
            .push(objection("mallory", "x", Some("javascript:alert(1)")));
        r.intent.objections.push(objection(
            "bob",
            "breaks the API",
            Some("https://github.com/octo/repo/pull/7#issuecomment-1"),
        ));
        let html = page(&[r], t0());
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<li>@mallory: x</li>"), "{html}");
        assert!(html.contains(
            "<a href=\"https://github.com/octo/repo/pull/7#issuecomment-1\">@bob</a>: breaks the API"
        ));
    }

    #[test]
    fn grouped_by_repository_in_order_with_links_to_items() {
        let rows = [
            row("zeta/app", 2, "intent-to-close", false),
            row("acme/web", 10, "intent-to-merge", true),
            row("acme/web", 9, "intent-to-proceed", false),
        ];
        let html = page(&rows, t0());
        let acme = html.find("<h2><a href=\"https://github.com/acme/web\">acme/web</a> <span class=\"count\">2</span></h2>").expect("acme/web heading");
        let zeta = html.find(">zeta/app</a>").expect("zeta/app heading");
        assert!(acme < zeta, "repositories are sorted");
        let nine = html
            .find("https://github.com/acme/web/issues/9")
            .expect("issue link");
        let ten = html
            .find("https://github.com/acme/web/pull/10")
            .expect("pull link");
        assert!(
            acme < nine && nine < ten && ten < zeta,
            "items sorted by number within their repository"
        );
        assert!(html.contains("https://github.com/zeta/app/issues/2"));
        assert!(
            html.contains("<strong>3</strong> open intents in <strong>2</strong> repositories")
        );
        assert!(html.contains("<code>intent-to-merge</code>"));
        assert!(html.contains("@alice"), "the author is shown");
    }

    #[test]
    fn empty_state_says_so() {
        let html = page(&[], t0());
        assert!(html.contains("There are no open intents."));
        assert!(
            html.contains("<strong>0</strong> open intents in <strong>0</strong> repositories")
        );
        assert!(!html.contains("<table"));
    }

    #[test]
    fn close_time_in_utc_with_relative_time() {
        let r = row("octo/repo", 7, "intent-to-merge", true);
        let now = t0() + SignedDuration::from_hours(69);
        let html = page(&[r], now);
        // Default window: 72 h.
        assert!(
            html.contains("<time datetime=\"2026-03-05T09:00:00Z\">2026-03-05 09:00 UTC</time><div class=\"muted\">in 3 h</div>"),
            "{html}"
        );
        assert!(html.contains(
            "generated <time datetime=\"2026-03-05T06:00:00Z\">2026-03-05 06:00:00 UTC</time>"
        ));
        assert!(html.contains("<span class=\"phase open\">open</span>"));
        assert!(html.contains("opened 2 d 21 h ago"), "{html}");
        assert!(html.contains("<td>0 of 1</td>"));
    }

    #[test]
    fn blocked_intents_say_why_and_are_counted() {
        let mut r = row("octo/repo", 7, "intent-to-merge", true);
        r.intent.objections.push(objection("bob", "", None));
        let html = page(&[r, row("octo/repo", 8, "intent-to-close", false)], t0());
        assert!(html.contains("<span class=\"phase blocked\">blocked</span>"));
        assert!(html.contains("not while objections are open"));
        assert!(html.contains("@bob <span class=\"muted\">(no reason given)</span>"));
        assert!(html.contains("<strong>1</strong> blocked by objections"));
    }

    #[test]
    fn phases_approvals_and_refusals_are_shown() {
        let mut verifying = row("o/r", 1, "intent-to-merge", true);
        verifying.intent.phase = Phase::Verifying;
        let mut acting = row("o/r", 2, "intent-to-merge", true);
        acting.intent.phase = Phase::Acting;
        acting.intent.approvals.push(Approval {
            who: "carol".into(),
            url: None,
            at: t0(),
            source: Source::Comment(2),
        });
        let mut waiting = row("o/r", 3, "intent-to-merge", true);
        waiting.intent.refusal = Some(Refusal {
            message: "Required status check \"ci\" is <failing>".into(),
            first_at: t0(),
            last_at: t0(),
            attempts: 2,
            soon: false,
            nudged: false,
            ..Refusal::default()
        });
        let mut no_early = row("o/r", 4, "intent-to-close", false);
        no_early.intent.policy.approvals = 0;
        let html = page(&[verifying, acting, waiting, no_early], t0());
        assert!(html.contains("<span class=\"phase verifying\">verifying</span>"));
        assert!(html.contains("<span class=\"phase acting\">acting</span>"));
        assert!(html.contains("<td>1 of 1</td>"));
        assert!(html.contains("early: enough approvals"));
        assert!(html.contains("<span class=\"phase waiting\">waiting to merge</span>"));
        assert!(html.contains(
            "GitHub refused the merge (2 attempts): Required status check &quot;ci&quot; is &lt;failing&gt;"
        ));
        assert!(html.contains("0 <span class=\"muted\">(no early proceed)</span>"));
    }

    #[test]
    fn intents_of_a_suspended_installation_are_marked_paused() {
        let mut other = row("o/r", 2, "intent-to-close", false);
        other.installation_id = 7;
        let rows = [row("o/r", 1, "intent-to-close", false), other];
        let frozen = [7];
        let html = render(&Page {
            intents: &rows,
            left_out_of: None,
            frozen: &frozen,
            web_root: "https://github.com",
            now: t0(),
        });
        assert_eq!(html.matches("paused: the App is suspended").count(), 1);
        assert!(html.contains("<strong>1</strong> paused"));
        assert!(!page(&rows, t0()).contains("paused"));
    }

    #[test]
    fn a_cut_list_says_so() {
        let html = render(&Page {
            intents: &[row("o/r", 1, "intent-to-close", false)],
            left_out_of: Some(1234),
            frozen: &[],
            web_root: "https://github.com",
            now: t0(),
        });
        assert!(html.contains("Only the first 1 of 1234 open intents are shown"));
        assert!(html.contains("<strong>1234</strong> open intents"));
    }

    #[test]
    fn relative_times_round_to_the_nearest_unit() {
        let at = |secs: i64| relative(t0(), t0() + SignedDuration::from_secs(secs));
        assert_eq!(at(0), "now");
        assert_eq!(at(59), "now");
        assert_eq!(at(-59), "now");
        assert_eq!(at(60), "in 1 min");
        assert_eq!(at(89), "in 1 min");
        assert_eq!(at(90), "in 2 min");
        assert_eq!(at(-12 * 60), "12 min ago");
        assert_eq!(at(59 * 60 + 29), "in 59 min");
        assert_eq!(at(59 * 60 + 30), "in 1 h");
        assert_eq!(at(3600), "in 1 h");
        assert_eq!(at(3 * 3600 + 1799), "in 3 h");
        assert_eq!(at(3 * 3600 + 1800), "in 4 h");
        assert_eq!(at(-47 * 3600), "47 h ago");
        assert_eq!(at(48 * 3600), "in 2 d");
        assert_eq!(at(72 * 3600 + 5 * 3600), "in 3 d 5 h");
        assert_eq!(at(-(14 * 24 * 3600)), "14 d ago");
    }

    #[test]
    fn tokens_compare_whole_and_come_from_header_or_query() {
        let t = Token::new("0123456789abcdef-secret");
        assert!(t.matches("0123456789abcdef-secret"));
        assert!(!t.matches("0123456789abcdef-secreT"));
        assert!(!t.matches("0123456789abcdef-secret "));
        assert!(!t.matches("0123456789abcdef"));
        assert!(!t.matches(""));

        assert!(t.admits(Some("Bearer 0123456789abcdef-secret"), None));
        assert!(t.admits(Some("bearer  0123456789abcdef-secret "), None));
        assert!(!t.admits(Some("Basic 0123456789abcdef-secret"), None));
        assert!(!t.admits(Some("Bearer wrong"), None));
        assert!(t.admits(None, Some("token=0123456789abcdef-secret")));
        assert!(t.admits(None, Some("a=1&token=0123456789abcdef%2Dsecret")));
        assert!(!t.admits(None, Some("token=wrong")));
        assert!(!t.admits(None, Some("tokens=0123456789abcdef-secret")));
        assert!(!t.admits(None, None));
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn the_policy_allows_exactly_the_style_sheet() {
        let csp = CSP.as_str();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!csp.contains("script-src") && !csp.contains("unsafe"));
        let html = page(&[], t0());
        // The hashed text must be the element's whole content, byte for byte.
        assert!(html.contains(&format!("<style>{STYLE}</style>")));
        let headers = response_headers();
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == header::REFERRER_POLICY && v == "no-referrer")
        );
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == header::CACHE_CONTROL && v == "no-store")
        );
    }
}
