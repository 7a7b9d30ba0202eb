//! The digest issue (SPEC 5, `digest: true`): one issue per repository listing its open
//! intents, refreshed from the store alone (no GitHub read).
//!
//! Every intent write that carries `digest: true` asks for a refresh of its
//! repository's digest in the same transaction (`store/digests.rs`), `Tuning::
//! digest_delay` later, so a burst of changes is one refresh. Refreshes run in the
//! effects loop, with a lease, and:
//! - render the body from the repository's open intents opened with `digest: true`;
//! - without a stored issue: create one if anything is open (`POST .../issues`);
//! - with one: edit body and state in one request (`PATCH .../issues/{n}`) only when
//!   the body or the state tacit last left differs: reopened when something is open,
//!   closed (`completed`) when nothing is;
//! - a stored issue that answers 404, 410 or 301 (deleted, transferred) is replaced by
//!   a new one when something is open, and forgotten otherwise.
//!
//! The issue is found by its stored number, never by its title or marker: an issue a
//! person titled "tacit: open intents" is never touched.

use sha2::{Digest as _, Sha256};

use crate::core::names::Login;
use crate::core::render::{self, DigestEntry};
use crate::github::GhError;
use crate::store::{DigestRow, Lease};

use super::{Engine, backoff};

/// What a refresh left on GitHub, to be stored.
struct Left {
    issue_number: Option<i64>,
    is_open: bool,
    body_sha256: Option<String>,
}

impl Engine {
    pub(crate) async fn refresh_digest(&self, d: DigestRow, lease: Lease) {
        let now = self.now().as_millisecond();
        if self
            .store
            .installation_frozen(d.installation_id)
            .await
            .unwrap_or(false)
        {
            let later = Some(now + 3_600_000);
            let _ = self
                .store
                .retry_digest(&d, &lease, later, "installation suspended", now)
                .await;
            return;
        }
        match self.perform_digest(&d).await {
            Ok(left) => {
                self.metrics.effect("digest", "done");
                let done = self
                    .store
                    .finish_digest(
                        &d,
                        &lease,
                        left.issue_number,
                        left.is_open,
                        left.body_sha256.as_deref(),
                        self.now().as_millisecond(),
                    )
                    .await;
                match done {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(repo = %d.repo, "digest lease lost"),
                    Err(e) => {
                        tracing::warn!(repo = %d.repo, error = %e, "cannot record the digest")
                    }
                }
            }
            Err(e) => {
                let transient = match &e {
                    DigestError::GitHub(g) => {
                        g.is_transient() || matches!(g, GhError::RateLimited(_))
                    }
                    DigestError::Store(_) => true,
                };
                let wait = match &e {
                    DigestError::GitHub(GhError::RateLimited(wait)) => *wait,
                    _ => backoff(d.attempts),
                };
                // A refusal that waiting cannot fix (issues turned off in the repository,
                // the permission missing) is tried again at the next change, not before.
                let run_after = transient.then(|| now + wait.as_millis() as i64);
                let error = e.to_string();
                self.metrics
                    .effect("digest", if transient { "retry" } else { "dead" });
                if transient {
                    tracing::warn!(repo = %d.repo, %error, ?wait, "digest refresh failed");
                } else {
                    tracing::error!(repo = %d.repo, %error, "digest refresh refused; tried again at the next change");
                }
                let _ = self
                    .store
                    .retry_digest(&d, &lease, run_after, &error, now)
                    .await;
            }
        }
    }

    async fn perform_digest(&self, d: &DigestRow) -> Result<Left, DigestError> {
        let rows = self.store.digest_intents(&d.repo).await?;
        let entries: Vec<DigestEntry<'_>> = rows
            .iter()
            .map(|r| DigestEntry {
                number: r.number as u64,
                intent: &r.intent,
            })
            .collect();
        let body = render::digest_body(&entries);
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        let open = !entries.is_empty();
        let inst = d.installation_id as u64;
        if let Some(number) = d.issue_number {
            if d.is_open == open && d.body_sha256.as_deref() == Some(hash.as_str()) {
                return Ok(Left {
                    issue_number: Some(number),
                    is_open: open,
                    body_sha256: Some(hash),
                });
            }
            match self
                .gh
                .update_issue(inst, &d.repo, number as u64, &body, open)
                .await
            {
                Ok(_) => {
                    return Ok(Left {
                        issue_number: Some(number),
                        is_open: open,
                        body_sha256: Some(hash),
                    });
                }
                // Deleted (410, or 404 once gone) or transferred (301 to its new
                // repository): a new one, if it is needed.
                Err(e) if e.is_not_found() || matches!(e.status(), Some(301 | 410)) => {
                    tracing::info!(repo = %d.repo, number, "the digest issue is gone");
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !open {
            return Ok(Left {
                issue_number: None,
                is_open: false,
                body_sha256: None,
            });
        }
        if d.issue_number.is_none()
            && d.attempts > 1
            && let Some(number) = self.created_before(d).await?
        {
            // Created by an attempt whose answer was lost (a 5xx, a timeout, a crash
            // before its number was stored): that one, not a second.
            self.store
                .set_digest_issue(&d.repo, number, "", self.now().as_millisecond())
                .await?;
            self.gh
                .update_issue(inst, &d.repo, number as u64, &body, true)
                .await?;
            return Ok(Left {
                issue_number: Some(number),
                is_open: true,
                body_sha256: Some(hash),
            });
        }
        let issue = self
            .gh
            .create_issue(inst, &d.repo, render::DIGEST_TITLE, &body)
            .await?;
        let number = issue.number as i64;
        // Stored at once: from now on it is found by this number.
        self.store
            .set_digest_issue(&d.repo, number, &hash, self.now().as_millisecond())
            .await?;
        Ok(Left {
            issue_number: Some(number),
            is_open: true,
            body_sha256: Some(hash),
        })
    }
}

impl Engine {
    /// After a failed attempt, whether it created the digest issue anyway: an issue by
    /// the App's own bot (nobody else can author as it) with the digest's title and
    /// marker. Only then, and only among the App's own issues: the digest is never
    /// looked for by title among people's issues.
    async fn created_before(&self, d: &DigestRow) -> Result<Option<i64>, DigestError> {
        let Some(bot) = self.bot_login() else {
            return Ok(None);
        };
        let issues = self
            .gh
            .issues_created_by(d.installation_id as u64, &d.repo, &bot)
            .await?;
        Ok(issues
            .into_iter()
            .find(|i| {
                Login::same(&i.user.login, &bot)
                    && !i.is_pull()
                    && i.title == render::DIGEST_TITLE
                    && i.body
                        .as_deref()
                        .is_some_and(|b| b.starts_with(render::DIGEST_MARKER))
            })
            .map(|i| i.number as i64))
    }
}

#[derive(Debug, thiserror::Error)]
enum DigestError {
    #[error("{0}")]
    GitHub(#[from] GhError),
    #[error("{0:#}")]
    Store(#[from] anyhow::Error),
}
