//! The GitHub REST client: App JWT and installation tokens through octocrab, and the
//! handful of endpoints tacit uses, parsed into lenient structs of our own.
//!
//! Rules kept here:
//! - writes are never retried automatically (octocrab's retry layer is not compiled in);
//!   the effect runner decides, after re-reading, whether a write is needed again;
//! - writes per installation are spaced (`Tuning::write_interval`) and capped per minute
//!   (`Tuning::writes_per_minute`, see [`pace`]), and a rate-limit
//!   answer (429, or 403 with `retry-after` / exhausted `x-ratelimit-remaining`) comes
//!   back as [`GhError::RateLimited`] with the time to wait;
//! - paths are relative, so octocrab attaches the App's credentials only to the API host;
//! - when GitHub cannot be reached at all (connection refused, host or network
//!   unreachable), requests fail at once without being sent for [`UNREACHABLE_PAUSE`]:
//!   every queued effect would otherwise sign a JWT and open a connection in vain.

pub mod pace;
pub mod types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::settings::Settings;
pub use types::*;

#[derive(Debug, thiserror::Error)]
pub enum GhError {
    /// No answer (connect error, timeout): the request may or may not have happened.
    #[error("GitHub did not answer: {0}")]
    Transport(String),
    #[error("GitHub asked to wait {0:?}")]
    RateLimited(Duration),
    #[error("GitHub answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unexpected answer from GitHub: {0}")]
    Decode(String),
}

impl GhError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GhError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
    /// Worth trying again later (5xx, timeouts, rate limits)?
    pub fn is_transient(&self) -> bool {
        match self {
            GhError::Transport(_) | GhError::RateLimited(_) => true,
            GhError::Status { status, .. } => *status >= 500 || *status == 401,
            GhError::Decode(_) => false,
        }
    }
}

pub type GhResult<T> = Result<T, GhError>;

/// A raw answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> GhResult<T> {
        serde_json::from_str(&self.body)
            .map_err(|e| GhError::Decode(format!("{e}: {}", truncate(&self.body, 200))))
    }
}

/// Parse a PEM RSA key (PKCS#1 or PKCS#8), as GitHub issues them.
pub fn parse_private_key(pem: &str) -> anyhow::Result<octocrab::jsonwebtoken::EncodingKey> {
    Ok(octocrab::jsonwebtoken::EncodingKey::from_rsa_pem(
        pem.as_bytes(),
    )?)
}

/// The most items [`GitHub::open_issues_with_label`] lists (10 pages of 100).
pub const MAX_LISTED: usize = 1000;
/// Pages of 100 read of an item's timeline before tacit reads its comments and reviews
/// by their own lists instead.
pub const TIMELINE_PAGES: usize = 30;

/// Exchanges the temporary `code` of the App manifest flow for the new App, its private
/// key and webhook secret (`POST /app-manifests/{code}/conversions`). No credentials: the
/// code is the credential. Sent exactly once, never retried: the code is single-use, and
/// a second attempt could only get 404.
pub async fn convert_manifest(
    api_url: &str,
    code: &str,
    timeout: Duration,
) -> GhResult<ManifestApp> {
    // The code goes into the path: only what GitHub's codes are made of may pass, so
    // that a crafted callback cannot point this request at another endpoint.
    if code.is_empty()
        || code.len() > 100
        || !code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(GhError::Status {
            status: 400,
            message: "not a manifest code".to_string(),
        });
    }
    let client = Octocrab::builder()
        .base_uri(api_url)
        .map_err(|e| GhError::Transport(error_chain(&e)))?
        .set_connect_timeout(Some(timeout))
        .set_read_timeout(Some(timeout))
        .set_write_timeout(Some(timeout))
        .add_header(http::header::USER_AGENT, "tacit".to_string())
        .build()
        .map_err(|e| GhError::Transport(error_chain(&e)))?;
    let response = client
        ._post(format!("/app-manifests/{code}/conversions"), None::<&()>)
        .await
        .map_err(|e| GhError::Transport(error_chain(&e)))?;
    let status = response.status();
    let body = client
        .body_to_string(response)
        .await
        .map_err(|e| GhError::Transport(error_chain(&e)))?;
    if !status.is_success() {
        return Err(GhError::Status {
            status: status.as_u16(),
            message: error_message(&body),
        });
    }
    // Not the body in the error, unlike elsewhere: it holds the private key.
    serde_json::from_str(&body).map_err(|e| GhError::Decode(e.to_string()))
}

#[derive(Clone)]
pub struct GitHub {
    inner: Arc<Inner>,
}

struct Inner {
    metrics: Arc<crate::metrics::Metrics>,
    app: Octocrab,
    /// One token slot per installation, shared by every caller: concurrent callers wait
    /// on the slot's lock while one of them mints.
    tokens: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<Option<Token>>>>>,
    write_pace: Mutex<HashMap<u64, pace::WritePace>>,
    write_interval: Duration,
    writes_per_minute: u32,
    /// Until when requests fail without being sent (GitHub could not be reached).
    unreachable_until: Mutex<Option<Instant>>,
}

/// An installation token and when to stop using it.
#[derive(Clone)]
struct Token {
    secret: String,
    renew_at: Instant,
}

/// Installation tokens are renewed this long before GitHub says they expire.
pub const TOKEN_RENEW_BEFORE: Duration = Duration::from_secs(300);

/// How long requests are not sent after GitHub could not be connected to.
pub const UNREACHABLE_PAUSE: Duration = Duration::from_secs(2);

/// Whether an error means no connection could be made at all (so nothing was sent).
fn is_unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut src = Some(e);
    while let Some(err) = src {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionRefused | HostUnreachable | NetworkUnreachable | AddrNotAvailable
            );
        }
        src = err.source();
    }
    false
}

impl GitHub {
    pub fn new(
        settings: &Settings,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> anyhow::Result<GitHub> {
        let key = parse_private_key(&settings.private_key)?;
        let app = Octocrab::builder()
            .base_uri(settings.github_api_url.as_str())?
            .app(settings.app_id.into(), key)
            .set_connect_timeout(Some(settings.tuning.github_timeout))
            .set_read_timeout(Some(settings.tuning.github_timeout))
            .set_write_timeout(Some(settings.tuning.github_timeout))
            .add_header(http::header::USER_AGENT, "tacit".to_string())
            .build()?;
        Ok(GitHub {
            inner: Arc::new(Inner {
                metrics,
                app,
                tokens: Mutex::new(HashMap::new()),
                write_pace: Mutex::new(HashMap::new()),
                write_interval: settings.tuning.write_interval,
                writes_per_minute: settings.tuning.writes_per_minute,
                unreachable_until: Mutex::new(None),
            }),
        })
    }

    /// The installation's token slot.
    fn token_slot(&self, id: u64) -> Arc<tokio::sync::Mutex<Option<Token>>> {
        self.inner
            .tokens
            .lock()
            .expect("poisoned")
            .entry(id)
            .or_default()
            .clone()
    }

    /// The installation's token: the one held, unless it is near its expiry, else a new
    /// one (`POST /app/installations/{id}/access_tokens`). Callers that come while a
    /// token is minted wait for it instead of minting their own.
    async fn installation_token(&self, id: u64) -> GhResult<String> {
        let slot = self.token_slot(id);
        let mut held = slot.lock().await;
        if let Some(t) = held.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(t.secret.clone());
        }
        let token = self.mint_token(id).await?;
        *held = Some(token.clone());
        Ok(token.secret)
    }

    async fn mint_token(&self, id: u64) -> GhResult<Token> {
        #[derive(serde::Deserialize)]
        struct Minted {
            token: String,
            expires_at: jiff::Timestamp,
        }
        if self.held_for().is_some() {
            return Err(GhError::Transport(
                "GitHub could not be reached a moment ago; not sent".into(),
            ));
        }
        let minted: Minted = self
            .send_with(
                &self.inner.app,
                Method::POST,
                &format!("/app/installations/{id}/access_tokens"),
                None,
                None,
            )
            .await?
            .json()?;
        // GitHub's clock says when it expires; the time left is measured on ours (an
        // expiry already past, by our clock, leaves none: used once, then renewed).
        let left = Duration::try_from(minted.expires_at.duration_since(jiff::Timestamp::now()))
            .unwrap_or_default()
            .saturating_sub(TOKEN_RENEW_BEFORE);
        Ok(Token {
            secret: minted.token,
            renew_at: Instant::now() + left,
        })
    }

    /// Drop the token held for an installation if it is still `secret` (GitHub refused it).
    async fn drop_token(&self, id: u64, secret: &str) {
        let slot = self.token_slot(id);
        let mut held = slot.lock().await;
        if held.as_ref().is_some_and(|t| t.secret == secret) {
            *held = None;
        }
    }

    /// The installation's client, authenticated with its shared token.
    async fn installation(&self, id: u64) -> GhResult<(Octocrab, String)> {
        let token = self.installation_token(id).await?;
        let client = self
            .inner
            .app
            .user_access_token(token.clone())
            .map_err(|e| GhError::Transport(e.to_string()))?;
        Ok((client, token))
    }

    /// How long requests are still held after GitHub refused a connection (see
    /// [`UNREACHABLE_PAUSE`]); `None` when they are sent.
    pub fn held_for(&self) -> Option<Duration> {
        let until = (*self.inner.unreachable_until.lock().expect("poisoned"))?;
        until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    /// Forget an installation's token (it was removed or suspended).
    pub fn forget_installation(&self, id: u64) {
        self.inner.tokens.lock().expect("poisoned").remove(&id);
    }

    /// Wait until this installation may write again (see [`pace`]).
    async fn pace_write(&self, installation: u64) {
        if self.inner.write_interval.is_zero() && self.inner.writes_per_minute == 0 {
            return;
        }
        let wait = {
            let mut map = self.inner.write_pace.lock().expect("poisoned");
            let now = Instant::now();
            if map.len() > 1024 {
                map.retain(|_, p| !p.idle(now));
            }
            let slot = map
                .entry(installation)
                .or_insert_with(|| {
                    pace::WritePace::new(self.inner.write_interval, self.inner.writes_per_minute)
                })
                .reserve(now);
            slot - now
        };
        if !wait.is_zero() {
            self.inner.metrics.write_paced(wait);
            tokio::time::sleep(wait).await;
        }
    }

    /// One request. `installation: None` authenticates as the App (JWT). An
    /// installation token GitHub refuses (401: revoked, expired early) is dropped and the
    /// request is sent once more with a new one: a 401 means nothing was done.
    pub async fn request(
        &self,
        installation: Option<u64>,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: Option<HeaderMap>,
    ) -> GhResult<Answer> {
        let first = self
            .request_once(installation, method.clone(), path, body, headers.clone())
            .await;
        match (first, installation) {
            (Err((GhError::Status { status: 401, .. }, Some(token))), Some(id)) => {
                self.drop_token(id, &token).await;
                self.request_once(installation, method, path, body, headers)
                    .await
                    .map_err(|(e, _)| e)
            }
            (first, _) => first.map_err(|(e, _)| e),
        }
    }

    /// One attempt; an error comes with the installation token it used.
    async fn request_once(
        &self,
        installation: Option<u64>,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: Option<HeaderMap>,
    ) -> Result<Answer, (GhError, Option<String>)> {
        if self.held_for().is_some() {
            self.inner.metrics.github_error("unreachable");
            return Err((
                GhError::Transport("GitHub could not be reached a moment ago; not sent".into()),
                None,
            ));
        }
        let (client, token) = match installation {
            Some(id) => {
                let (c, t) = self.installation(id).await.map_err(|e| (e, None))?;
                (c, Some(t))
            }
            None => (self.inner.app.clone(), None),
        };
        if method != Method::GET
            && let Some(id) = installation
        {
            self.pace_write(id).await;
        }
        self.send_with(&client, method, path, body, headers)
            .await
            .map_err(|e| (e, token))
    }

    async fn send_with(
        &self,
        client: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: Option<HeaderMap>,
    ) -> GhResult<Answer> {
        let uri = path.to_string();
        let result = match method {
            Method::GET => client._get_with_headers(uri, headers).await,
            Method::POST => client._post(uri, body).await,
            Method::PATCH => client._patch(uri, body).await,
            Method::PUT => client._put(uri, body).await,
            Method::DELETE => client._delete(uri, body).await,
            other => return Err(GhError::Transport(format!("unsupported method {other}"))),
        };
        let response = result.map_err(|e| {
            self.inner.metrics.github_error("transport");
            if is_unreachable(&e) {
                *self.inner.unreachable_until.lock().expect("poisoned") =
                    Some(Instant::now() + UNREACHABLE_PAUSE);
            }
            GhError::Transport(error_chain(&e))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = client
            .body_to_string(response)
            .await
            .map_err(|e| GhError::Transport(error_chain(&e)))?;
        let answer = Answer {
            status,
            headers,
            body,
        };
        if let Some(wait) = rate_limit_wait(&answer) {
            tracing::warn!(path, ?wait, "GitHub rate limit: waiting as told");
            self.inner.metrics.rate_limit_wait();
            return Err(GhError::RateLimited(wait));
        }
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            Ok(answer)
        } else {
            self.inner.metrics.github_error(status.as_str());
            Err(GhError::Status {
                status: status.as_u16(),
                message: error_message(&answer.body),
            })
        }
    }

    async fn get<T: DeserializeOwned>(&self, inst: u64, path: &str) -> GhResult<T> {
        self.request(Some(inst), Method::GET, path, None, None)
            .await?
            .json()
    }

    async fn send(&self, inst: u64, method: Method, path: &str, body: Value) -> GhResult<Answer> {
        self.request(Some(inst), method, path, Some(&body), None)
            .await
    }

    /// Pages of a list endpoint, up to `max_pages` of 100.
    async fn list<T: DeserializeOwned>(
        &self,
        inst: Option<u64>,
        path: &str,
        max_pages: usize,
    ) -> GhResult<Vec<T>> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        for page in 1..=max_pages {
            let a = self
                .request(
                    inst,
                    Method::GET,
                    &format!("{path}{sep}per_page=100&page={page}"),
                    None,
                    None,
                )
                .await?;
            let items: Vec<T> = a.json()?;
            let more = a
                .headers
                .get(http::header::LINK)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|l| l.contains("rel=\"next\""));
            let n = items.len();
            out.extend(items);
            if !more || n == 0 {
                break;
            }
        }
        Ok(out)
    }

    // ---- the App ------------------------------------------------------------------

    pub async fn app(&self) -> GhResult<App> {
        self.request(None, Method::GET, "/app", None, None)
            .await?
            .json()
    }

    pub async fn app_installations(&self) -> GhResult<Vec<InstallationInfo>> {
        self.list(None, "/app/installations", 10).await
    }

    /// Recent deliveries of the App's webhook, newest first (one page).
    pub async fn hook_deliveries(
        &self,
        cursor: Option<&str>,
    ) -> GhResult<(Vec<HookDelivery>, Option<String>)> {
        let path = match cursor {
            Some(c) => format!("/app/hook/deliveries?per_page=100&cursor={c}"),
            None => "/app/hook/deliveries?per_page=100".to_string(),
        };
        let a = self.request(None, Method::GET, &path, None, None).await?;
        let next = a
            .headers
            .get(http::header::LINK)
            .and_then(|v| v.to_str().ok())
            .and_then(next_cursor);
        Ok((a.json()?, next))
    }

    pub async fn redeliver(&self, delivery_id: u64) -> GhResult<()> {
        self.request(
            None,
            Method::POST,
            &format!("/app/hook/deliveries/{delivery_id}/attempts"),
            None,
            None,
        )
        .await
        .map(|_| ())
    }

    pub async fn installation_repositories(&self, inst: u64) -> GhResult<Vec<Repository>> {
        #[derive(serde::Deserialize)]
        struct Page {
            repositories: Vec<Repository>,
        }
        let mut out = Vec::new();
        for page in 1..=50 {
            let a = self
                .request(
                    Some(inst),
                    Method::GET,
                    &format!("/installation/repositories?per_page=100&page={page}"),
                    None,
                    None,
                )
                .await?;
            let p: Page = a.json()?;
            let n = p.repositories.len();
            out.extend(p.repositories);
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }

    // ---- repositories, items --------------------------------------------------------

    pub async fn repository(&self, inst: u64, repo: &str) -> GhResult<Repository> {
        self.get(inst, &format!("/repos/{repo}")).await
    }

    /// A file on the default branch, read conditionally: with the ETag of the copy we
    /// hold, GitHub answers 304 (not counted against the rate limit) if it is unchanged.
    pub async fn file_if_changed(
        &self,
        inst: u64,
        repo: &str,
        path: &str,
        etag: Option<&str>,
    ) -> GhResult<FileAnswer> {
        let mut headers = HeaderMap::new();
        if let Some(tag) = etag
            && let Ok(v) = http::HeaderValue::from_str(tag)
        {
            headers.insert(http::header::IF_NONE_MATCH, v);
        }
        match self
            .request(
                Some(inst),
                Method::GET,
                &format!("/repos/{repo}/contents/{path}"),
                None,
                Some(headers),
            )
            .await
        {
            Ok(a) if a.status == StatusCode::NOT_MODIFIED => Ok(FileAnswer::NotModified),
            Ok(a) => {
                let etag = a
                    .headers
                    .get(http::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok(FileAnswer::Found(a.json()?, etag))
            }
            Err(e) if e.is_not_found() => Ok(FileAnswer::Missing),
            Err(e) => Err(e),
        }
    }

    /// A file at a commit or branch (`git_ref`); `None` if it is not there.
    pub async fn file_at(
        &self,
        inst: u64,
        repo: &str,
        path: &str,
        git_ref: &str,
    ) -> GhResult<Option<FileContent>> {
        let git_ref = url::form_urlencoded::byte_serialize(git_ref.as_bytes()).collect::<String>();
        match self
            .get(
                inst,
                &format!("/repos/{repo}/contents/{path}?ref={git_ref}"),
            )
            .await
        {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn issue(&self, inst: u64, repo: &str, number: u64) -> GhResult<Issue> {
        self.get(inst, &format!("/repos/{repo}/issues/{number}"))
            .await
    }

    pub async fn pull(&self, inst: u64, repo: &str, number: u64) -> GhResult<Pull> {
        self.get(inst, &format!("/repos/{repo}/pulls/{number}"))
            .await
    }

    /// The item's state in one request when it is known to be a pull request, in two
    /// when an issue turns out to be one.
    pub async fn item(&self, inst: u64, repo: &str, number: u64, is_pull: bool) -> GhResult<Item> {
        if is_pull {
            return Ok(self.pull(inst, repo, number).await?.into());
        }
        let issue = self.issue(inst, repo, number).await?;
        if issue.is_pull() {
            return Ok(self.pull(inst, repo, number).await?.into());
        }
        Ok(Item {
            open: issue.is_open(),
            is_pull: false,
            labels: issue.labels,
            head_sha: None,
            draft: false,
            author: issue.user.login,
            title: issue.title,
        })
    }

    /// Open issues and pull requests carrying `label`, at most [`MAX_LISTED`]
    /// (a list that long may be cut short).
    pub async fn open_issues_with_label(
        &self,
        inst: u64,
        repo: &str,
        label: &str,
    ) -> GhResult<Vec<Issue>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/issues?state=open&labels={}", encode(label)),
            MAX_LISTED / 100,
        )
        .await
    }

    pub async fn issue_events(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
    ) -> GhResult<Vec<IssueEvent>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/issues/{number}/events"),
            10,
        )
        .await
    }

    /// The collaborator-permission answer for `user` (`None`: not found).
    pub async fn permission(
        &self,
        inst: u64,
        repo: &str,
        user: &str,
    ) -> GhResult<Option<PermissionAnswer>> {
        match self
            .get::<PermissionAnswer>(
                inst,
                &format!("/repos/{repo}/collaborators/{}/permission", encode(user)),
            )
            .await
        {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `user` is an active member of the team `org/team` (for `approvers`):
    /// `GET /orgs/{org}/teams/{team}/memberships/{user}`. A pending invitation is not
    /// membership; 404 (not a member, or no such team) is `false`. Needs the
    /// organisation permission "members: read".
    pub async fn team_member(
        &self,
        inst: u64,
        org: &str,
        team: &str,
        user: &str,
    ) -> GhResult<bool> {
        #[derive(serde::Deserialize)]
        struct Membership {
            state: Option<String>,
        }
        match self
            .get::<Membership>(
                inst,
                &format!(
                    "/orgs/{}/teams/{}/memberships/{}",
                    encode(org),
                    encode(team),
                    encode(user)
                ),
            )
            .await
        {
            Ok(m) => Ok(m.state.as_deref() == Some("active")),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    // ---- comments -------------------------------------------------------------------

    pub async fn comments(&self, inst: u64, repo: &str, number: u64) -> GhResult<Vec<Comment>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/issues/{number}/comments"),
            30,
        )
        .await
    }

    pub async fn create_comment(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        body: &str,
    ) -> GhResult<Comment> {
        self.send(
            inst,
            Method::POST,
            &format!("/repos/{repo}/issues/{number}/comments"),
            serde_json::json!({ "body": body }),
        )
        .await?
        .json()
    }

    /// Edit a comment; `Ok(None)` when it no longer exists.
    pub async fn edit_comment(
        &self,
        inst: u64,
        repo: &str,
        id: u64,
        body: &str,
    ) -> GhResult<Option<Comment>> {
        match self
            .send(
                inst,
                Method::PATCH,
                &format!("/repos/{repo}/issues/comments/{id}"),
                serde_json::json!({ "body": body }),
            )
            .await
        {
            Ok(a) => Ok(Some(a.json()?)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn reviews(&self, inst: u64, repo: &str, number: u64) -> GhResult<Vec<Review>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/pulls/{number}/reviews"),
            10,
        )
        .await
    }

    /// An item's comments and reviews in one list: the issue timeline
    /// (`GET /repos/{o}/{r}/issues/{n}/timeline`), whose `commented` events are the
    /// issue comments and whose `reviewed` events are the pull request's reviews, each
    /// with the fields [`comments`](Self::comments) and [`reviews`](Self::reviews) give,
    /// in GitHub's order. It holds other events too, so it is paged by `Link` to its end,
    /// whatever a page holds. `None` when it cannot be used whole (no such endpoint, or
    /// longer than [`TIMELINE_PAGES`] pages), or when it does not hold the `labeled`
    /// event of `label` (the intent's label): GitHub's timeline always does, so an
    /// answer without it is not a whole timeline, and objections must never be missed
    /// by trusting one. The caller then reads the two lists.
    pub async fn conversation(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        label: &str,
    ) -> GhResult<Option<(Vec<Comment>, Vec<Review>)>> {
        let (mut comments, mut reviews) = (Vec::new(), Vec::new());
        let mut labeled = false;
        for page in 1..=TIMELINE_PAGES {
            let path = format!("/repos/{repo}/issues/{number}/timeline?per_page=100&page={page}");
            let a = match self
                .request(Some(inst), Method::GET, &path, None, None)
                .await
            {
                Ok(a) => a,
                Err(e) if e.is_not_found() && page == 1 => return Ok(None),
                Err(e) => return Err(e),
            };
            let events: Vec<Value> = a.json()?;
            for event in events {
                match event.get("event").and_then(Value::as_str) {
                    Some("commented") => comments.push(
                        serde_json::from_value(event)
                            .map_err(|e| GhError::Decode(format!("timeline comment: {e}")))?,
                    ),
                    Some("reviewed") => reviews.push(
                        serde_json::from_value(event)
                            .map_err(|e| GhError::Decode(format!("timeline review: {e}")))?,
                    ),
                    Some("labeled") => {
                        labeled |= event
                            .pointer("/label/name")
                            .and_then(Value::as_str)
                            .is_some_and(|name| crate::core::config::same_label(name, label));
                    }
                    _ => {}
                }
            }
            let more = a
                .headers
                .get(http::header::LINK)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|l| l.contains("rel=\"next\""));
            if !more {
                return Ok(labeled.then_some((comments, reviews)));
            }
        }
        Ok(None)
    }

    // ---- acting ---------------------------------------------------------------------

    pub async fn merge(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        sha: &str,
        method: &str,
    ) -> GhResult<MergeAnswer> {
        self.send(
            inst,
            Method::PUT,
            &format!("/repos/{repo}/pulls/{number}/merge"),
            serde_json::json!({ "sha": sha, "merge_method": method }),
        )
        .await?
        .json()
    }

    pub async fn close_issue(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        state_reason: Option<&str>,
    ) -> GhResult<()> {
        let mut body = serde_json::json!({ "state": "closed" });
        if let Some(r) = state_reason {
            body["state_reason"] = Value::from(r);
        }
        self.send(
            inst,
            Method::PATCH,
            &format!("/repos/{repo}/issues/{number}"),
            body,
        )
        .await
        .map(|_| ())
    }

    pub async fn add_labels(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        labels: &[&str],
    ) -> GhResult<()> {
        self.send(
            inst,
            Method::POST,
            &format!("/repos/{repo}/issues/{number}/labels"),
            serde_json::json!({ "labels": labels }),
        )
        .await
        .map(|_| ())
    }

    /// Remove a label from an item; a label that is already gone is fine.
    pub async fn remove_label(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        label: &str,
    ) -> GhResult<()> {
        match self
            .request(
                Some(inst),
                Method::DELETE,
                &format!("/repos/{repo}/issues/{number}/labels/{}", encode(label)),
                None,
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Create a label in the repository unless it exists.
    pub async fn ensure_label(
        &self,
        inst: u64,
        repo: &str,
        name: &str,
        color: &str,
        description: &str,
    ) -> GhResult<()> {
        match self
            .request(
                Some(inst),
                Method::GET,
                &format!("/repos/{repo}/labels/{}", encode(name)),
                None,
                None,
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        match self
            .send(
                inst,
                Method::POST,
                &format!("/repos/{repo}/labels"),
                serde_json::json!({ "name": name, "color": color, "description": description }),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(GhError::Status { status: 422, .. }) => Ok(()), // created meanwhile
            Err(e) => Err(e),
        }
    }

    pub async fn create_check_run(&self, inst: u64, repo: &str, body: Value) -> GhResult<CheckRun> {
        self.send(
            inst,
            Method::POST,
            &format!("/repos/{repo}/check-runs"),
            body,
        )
        .await?
        .json()
    }

    pub async fn update_check_run(
        &self,
        inst: u64,
        repo: &str,
        id: u64,
        body: Value,
    ) -> GhResult<()> {
        self.send(
            inst,
            Method::PATCH,
            &format!("/repos/{repo}/check-runs/{id}"),
            body,
        )
        .await
        .map(|_| ())
    }
}

/// Wait time from a rate-limit answer: 429, or 403 with `retry-after` or an exhausted
/// primary limit (`x-ratelimit-remaining: 0`).
fn rate_limit_wait(a: &Answer) -> Option<Duration> {
    let status = a.status.as_u16();
    if status != 429 && status != 403 {
        return None;
    }
    let header = |name: &str| {
        a.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs.max(1)));
    }
    if header("x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok())
    {
        let now = jiff::Timestamp::now().as_second();
        return Some(Duration::from_secs((reset - now).clamp(1, 3600) as u64));
    }
    if status == 429 || a.body.contains("secondary rate limit") {
        return Some(Duration::from_secs(60));
    }
    None
}

fn next_cursor(link: &str) -> Option<String> {
    link.split(',')
        .find(|part| part.contains("rel=\"next\""))
        .and_then(|part| part.split("cursor=").nth(1))
        .map(|rest| {
            rest.split(['&', '>'])
                .next()
                .unwrap_or_default()
                .to_string()
        })
}

/// Percent-encode one path segment (label names may contain spaces, `/`, `:`).
pub fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// GitHub's `message` from an error answer, or the start of the body.
fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| truncate(body, 200))
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_are_encoded_as_one_segment() {
        assert_eq!(encode("intent-to-merge"), "intent-to-merge");
        assert_eq!(encode("needs review/ok"), "needs%20review%2Fok");
    }

    #[test]
    fn cursor_is_read_from_the_link_header() {
        let link = "<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_12077215967>; rel=\"next\"";
        assert_eq!(next_cursor(link).as_deref(), Some("v1_12077215967"));
        assert_eq!(next_cursor("<x>; rel=\"prev\""), None);
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: body.to_string(),
        }
    }

    #[test]
    fn rate_limits_are_recognised() {
        assert_eq!(
            rate_limit_wait(&answer(429, &[("retry-after", "7")], "")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(&answer(403, &[("retry-after", "3")], "")),
            Some(Duration::from_secs(3))
        );
        assert!(
            rate_limit_wait(&answer(
                403,
                &[],
                "{\"message\":\"You have exceeded a secondary rate limit\"}"
            ))
            .is_some()
        );
        // A plain 403 (no permission) is not a rate limit.
        assert_eq!(
            rate_limit_wait(&answer(
                403,
                &[],
                "{\"message\":\"Resource not accessible by integration\"}"
            )),
            None
        );
        assert_eq!(
            rate_limit_wait(&answer(500, &[("retry-after", "3")], "")),
            None
        );
    }
}
