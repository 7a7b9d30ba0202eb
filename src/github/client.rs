//! The transport: one client for the App, installation tokens minted and held here,
//! writes paced per installation, and every answer mapped to a [`GhError`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{error_chain, error_message, rate_limit_wait};
use super::{Answer, GhError, GhResult, pace};
use crate::settings::Settings;

/// Parse a PEM RSA key (PKCS#1 or PKCS#8), as GitHub issues them.
pub fn parse_private_key(pem: &str) -> anyhow::Result<octocrab::jsonwebtoken::EncodingKey> {
    Ok(octocrab::jsonwebtoken::EncodingKey::from_rsa_pem(
        pem.as_bytes(),
    )?)
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

    pub(super) async fn get<T: DeserializeOwned>(&self, inst: u64, path: &str) -> GhResult<T> {
        self.request(Some(inst), Method::GET, path, None, None)
            .await?
            .json()
    }

    pub(super) async fn send(
        &self,
        inst: u64,
        method: Method,
        path: &str,
        body: Value,
    ) -> GhResult<Answer> {
        self.request(Some(inst), method, path, Some(&body), None)
            .await
    }

    /// Pages of a list endpoint, up to `max_pages` of 100.
    pub(super) async fn list<T: DeserializeOwned>(
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
}

/// Percent-encode one path segment (label names may contain spaces, `/`, `:`).
pub fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_are_encoded_as_one_segment() {
        assert_eq!(encode("intent-to-merge"), "intent-to-merge");
        assert_eq!(encode("needs review/ok"), "needs%20review%2Fok");
    }
}
