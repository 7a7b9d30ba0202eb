//! The App itself: its installations, its webhook's deliveries, and the manifest flow
//! that creates it.

use std::time::Duration;

use http::Method;
use octocrab::Octocrab;

use super::error::{error_chain, error_message};
use super::{
    App, GhError, GhResult, GitHub, HookDelivery, InstallationInfo, ManifestApp, Repository,
};

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

impl GitHub {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_is_read_from_the_link_header() {
        let link = "<https://api.github.com/app/hook/deliveries?per_page=100&cursor=v1_12077215967>; rel=\"next\"";
        assert_eq!(next_cursor(link).as_deref(), Some("v1_12077215967"));
        assert_eq!(next_cursor("<x>; rel=\"prev\""), None);
    }
}
