//! Performing the outbox's effects against GitHub, idempotently.
//!
//! Every effect may run more than once (a crash after the request, before it was
//! marked done; a lease that ran out). So each one first looks at GitHub's state, or
//! is naturally idempotent:
//! - a merge re-reads the pull request on a retry: merged already counts as done;
//! - a close re-reads the issue; labels are added and removed idempotently;
//! - a comment created on a retry is first looked for among the App's own comments,
//!   by a marker that carries the intent id (only comments by the App's bot count).

use std::collections::BTreeSet;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::json;
use tracing::Instrument;

use crate::core::config::{MergeMethod, Role};
use crate::core::intent::{CheckState, Effect, Event, Facts, MergeResult, Notice, Source, Step};
use crate::core::names::Login;
use crate::core::render;
use crate::github::{Comment, GhError, MergeAnswer, MergeRefused};
use crate::store::{Cause, EffectRow, IntentRow, Lease};

use super::history::{History, Reread};
use super::{Engine, backoff};

/// Comments and labels that still fail after this many attempts are dropped (logged).
const MAX_ATTEMPTS: i64 = 30;

/// What became of one attempt.
enum Attempt {
    /// Performed; feed these events back to the core.
    Events(Vec<Event>),
    /// Try again later.
    Retry(String, Option<Duration>),
    /// Not yet, by design (a status edit within its interval): at `Duration` from now,
    /// logged as no failure and never counted toward giving up.
    Later(&'static str, Duration),
    /// Cannot be performed, ever (logged; the effect is marked dead).
    Dead(String),
}

impl From<GhError> for Attempt {
    fn from(e: GhError) -> Attempt {
        match e {
            GhError::RateLimited(wait) => Attempt::Retry("rate limited".into(), Some(wait)),
            e if e.is_transient() => Attempt::Retry(e.to_string(), None),
            e => Attempt::Dead(e.to_string()),
        }
    }
}

impl From<anyhow::Error> for Attempt {
    fn from(e: anyhow::Error) -> Attempt {
        Attempt::Retry(format!("{e:#}"), None)
    }
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Attempt::from(e),
        }
    };
}

impl Engine {
    /// Perform one claimed effect; every log line inside carries the intent id.
    pub(crate) async fn run_effect(&self, e: EffectRow, lease: Lease) {
        let span = tracing::info_span!("effect", intent = %e.intent_id, effect = ?e.effect);
        self.run_effect_in_span(e, lease).instrument(span).await
    }

    async fn run_effect_in_span(&self, e: EffectRow, lease: Lease) {
        let row = match self.store.intent(&e.intent_id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                let _ = self
                    .store
                    .retry_effect(&e.id, &lease, 0, "intent missing", true)
                    .await;
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot read intent");
                return; // the lease runs out and the effect is tried again
            }
        };
        if self
            .store
            .installation_frozen(row.installation_id)
            .await
            .unwrap_or(false)
        {
            let later = self.now().as_millisecond() + 3_600_000;
            let _ = self
                .store
                .retry_effect(&e.id, &lease, later, "installation suspended", false)
                .await;
            return;
        }
        let mut done = self.perform(&e, &row).await;
        // Nothing is ever stuck (SPEC 4): a failure that retrying cannot fix, on an
        // effect the intent waits for, ends the intent with the reason.
        let failed_step = match &e.effect {
            Effect::Verify => Some(Step::Verify),
            Effect::Merge { .. } => Some(Step::Merge),
            // Until its status comment appears, an intent waits for it.
            Effect::SyncStatus if row.intent.notice == Notice::Awaiting => Some(Step::Notice),
            _ => None,
        };
        if let Some(step) = failed_step {
            let exhausted = step == Step::Notice && e.attempts >= MAX_ATTEMPTS;
            match &done {
                Attempt::Dead(error) => {
                    tracing::error!(%error, ?step, "effect cannot be performed; ending the intent");
                    done = Attempt::Events(vec![Event::Failed {
                        step,
                        error: error.clone(),
                    }]);
                }
                Attempt::Retry(error, _) if exhausted => {
                    tracing::error!(%error, ?step, "effect kept failing; ending the intent");
                    done = Attempt::Events(vec![Event::Failed {
                        step,
                        error: error.clone(),
                    }]);
                }
                _ => {}
            }
        }
        let result = match &done {
            Attempt::Events(_) => "done",
            Attempt::Retry(..) => "retry",
            Attempt::Later(..) => "later",
            Attempt::Dead(_) => "dead",
        };
        self.metrics.effect(effect_kind(&e.effect), result);
        match done {
            Attempt::Events(events) => {
                let cause = Cause::Effect {
                    id: e.id.clone(),
                    lease: lease.clone(),
                };
                match self.apply_to(&row.id, events, cause).await {
                    Ok(outcome) => tracing::debug!(?outcome, "effect done"),
                    Err(err) => tracing::warn!(error = %err, "cannot record the effect's result"),
                }
            }
            Attempt::Retry(error, wait) => {
                let wait = wait.unwrap_or_else(|| backoff(e.attempts));
                // A merge or a verification is never dropped: the intent depends on it.
                let vital = matches!(e.effect, Effect::Merge { .. } | Effect::Verify);
                let dead = !vital && e.attempts >= MAX_ATTEMPTS;
                tracing::warn!(%error, ?wait, attempts = e.attempts, dead, "effect failed");
                let at = self.now().as_millisecond() + wait.as_millis() as i64;
                let _ = self
                    .store
                    .retry_effect(&e.id, &lease, at, &error, dead)
                    .await;
            }
            Attempt::Later(why, wait) => {
                tracing::debug!(why, ?wait, "effect deferred");
                let at = self.now().as_millisecond() + wait.as_millis() as i64;
                let _ = self.store.retry_effect(&e.id, &lease, at, why, false).await;
            }
            Attempt::Dead(error) => {
                tracing::error!(%error, "effect cannot be performed");
                let _ = self
                    .store
                    .retry_effect(&e.id, &lease, 0, &error, true)
                    .await;
            }
        }
    }

    async fn perform(&self, e: &EffectRow, row: &IntentRow) -> Attempt {
        let inst = row.installation_id as u64;
        let repo = row.repo.as_str();
        let number = row.number as u64;
        match &e.effect {
            Effect::SyncStatus => self.sync_status(e, row).await,
            Effect::SyncCheck => self.sync_check(row).await,
            Effect::Verify => self.verify(row).await,
            Effect::Merge { sha, method } => self.merge(e, row, sha, *method).await,
            Effect::Close { reason } => {
                // The verify just before found it open. A retry first checks whether an
                // earlier attempt (or someone) closed it already.
                if e.attempts > 1 {
                    let issue = tri!(self.gh.issue(inst, repo, number).await);
                    if !issue.is_open() {
                        return Attempt::Events(vec![]);
                    }
                }
                // Pull requests have no state_reason.
                let reason = (!row.intent.is_pull).then_some(reason.as_str());
                tri!(self.gh.close_issue(inst, repo, number, reason).await);
                Attempt::Events(vec![])
            }
            Effect::AddLabel { name } => {
                tri!(
                    self.ensure_added_label(
                        inst,
                        repo,
                        name,
                        "0e8a16",
                        "Consent was reached (tacit)"
                    )
                    .await
                );
                tri!(self.gh.add_labels(inst, repo, number, &[name]).await);
                Attempt::Events(vec![])
            }
            Effect::RemoveLabel { name } => {
                tri!(self.gh.remove_label(inst, repo, number, name).await);
                Attempt::Events(vec![])
            }
            Effect::PostOutcome => {
                let marker = render::outcome_marker(&row.id);
                if e.attempts > 1 && tri!(self.find_own_comment(row, &marker).await).is_some() {
                    return Attempt::Events(vec![]); // posted before a crash
                }
                let place = render::Place { repo, number };
                let body = render::outcome_comment_at(&row.intent, &row.id, Some(place));
                tri!(self.gh.create_comment(inst, repo, number, &body).await);
                Attempt::Events(vec![])
            }
            Effect::PostWaiting { since } => {
                let marker = render::waiting_marker(&row.id, *since);
                if e.attempts > 1 && tri!(self.find_own_comment(row, &marker).await).is_some() {
                    return Attempt::Events(vec![]); // posted before a crash
                }
                let body = render::waiting_comment(&row.intent, &row.id, *since);
                tri!(self.gh.create_comment(inst, repo, number, &body).await);
                Attempt::Events(vec![])
            }
        }
    }

    /// A comment by the App's own bot that contains `marker`.
    async fn find_own_comment(
        &self,
        row: &IntentRow,
        marker: &str,
    ) -> Result<Option<Comment>, GhError> {
        let bot = self.bot_login();
        let comments = self
            .gh
            .comments(row.installation_id as u64, &row.repo, row.number as u64)
            .await?;
        Ok(comments.into_iter().find(|c| {
            let ours = match &bot {
                Some(b) => Login::same(&c.user.login, b),
                None => c.user.is_bot(),
            };
            ours && c.body.contains(marker)
        }))
    }

    async fn sync_status(&self, e: &EffectRow, row: &IntentRow) -> Attempt {
        // A later status sync of the same intent will show the newer state anyway.
        if tri!(
            self.store
                .has_later_pending(&row.id, e.seq, &Effect::SyncStatus)
                .await
        ) {
            return Attempt::Events(vec![]);
        }
        let now = self.now();
        // Edits are rate-limited per intent, so a flood of comments cannot exhaust the API.
        let last = self
            .last_status_edit
            .lock()
            .expect("poisoned")
            .get(&row.id)
            .copied();
        if let Some(last) = last {
            let next = last
                + jiff::SignedDuration::try_from(self.tuning.status_edit_interval)
                    .unwrap_or_default();
            if next > now && !row.intent.is_done() {
                let wait = (next - now).unsigned_abs();
                return Attempt::Later("status edits are rate-limited", wait);
            }
        }
        let inst = row.installation_id as u64;
        let body = render::status_comment(&row.intent, &row.id, now);
        if let Some(id) = row.status_comment_id {
            // `None`: deleted by someone, so a new one is posted below.
            if let Some(c) = tri!(
                self.gh
                    .edit_comment(inst, &row.repo, id as u64, &body)
                    .await
            ) {
                self.note_edit(&row.id, now);
                return Attempt::Events(noticed(row, &c, now));
            }
        } else if e.attempts > 1
            && let Some(c) = tri!(
                self.find_own_comment(row, &render::status_marker(&row.id))
                    .await
            )
        {
            // Created before a crash, but its id was not stored.
            tri!(
                self.store
                    .set_status_comment(&row.id, Some(c.id as i64))
                    .await
            );
            tri!(self.gh.edit_comment(inst, &row.repo, c.id, &body).await);
            self.note_edit(&row.id, now);
            return Attempt::Events(noticed(row, &c, now));
        }
        let c = tri!(
            self.gh
                .create_comment(inst, &row.repo, row.number as u64, &body)
                .await
        );
        tri!(
            self.store
                .set_status_comment(&row.id, Some(c.id as i64))
                .await
        );
        self.note_edit(&row.id, now);
        Attempt::Events(noticed(row, &c, now))
    }

    fn note_edit(&self, intent_id: &str, now: Timestamp) {
        let mut map = self.last_status_edit.lock().expect("poisoned");
        if map.len() > 10_000 {
            map.clear();
        }
        map.insert(intent_id.to_string(), now);
    }

    /// Show the intent's state in its `tacit` check run. A run in progress is edited; a
    /// run tacit completed is never edited into another state (GitHub refuses to change
    /// a completed run's status or conclusion): a later state gets a new run on the same
    /// commit, which is the one GitHub shows.
    async fn sync_check(&self, row: &IntentRow) -> Attempt {
        let intent = &row.intent;
        let Some(sha) = intent.head_sha.clone() else {
            return Attempt::Events(vec![]);
        };
        let inst = row.installation_id as u64;
        let now = self.now();
        let view = render::check_run(intent, now);
        let conclusion = match intent.check() {
            CheckState::Open | CheckState::Blocked | CheckState::Waiting => None,
            CheckState::Success => Some("success"),
            CheckState::Cancelled => Some("cancelled"),
            _ => Some("failure"),
        };
        let mut fields = json!({
            "output": { "title": view.title, "summary": view.summary },
        });
        match conclusion {
            None => fields["status"] = json!("in_progress"),
            Some(c) => {
                fields["status"] = json!("completed");
                fields["conclusion"] = json!(c);
                fields["completed_at"] = json!(now.to_string());
            }
        }
        let stored = match (row.check_run_id, row.check_run_sha.as_deref()) {
            (Some(id), Some(s)) if s == sha => Some(id as u64),
            _ => None,
        };
        match (stored, row.check_run_conclusion.as_deref()) {
            // In progress: edit it into the new state.
            (Some(id), None) => {
                match self
                    .gh
                    .update_check_run(inst, &row.repo, id, fields.clone())
                    .await
                {
                    Ok(()) => {
                        if conclusion.is_some() {
                            tri!(
                                self.store
                                    .set_check_run(&row.id, id as i64, &sha, conclusion)
                                    .await
                            );
                        }
                        return Attempt::Events(vec![]);
                    }
                    // Completed after all (a run stored by a release that did not record
                    // completions): show the state in a new run.
                    Err(e) if e.is_unprocessable() => {}
                    Err(e) => return Attempt::from(e),
                }
            }
            // Completed with this very conclusion (a retry): only the text may change.
            (Some(id), Some(done)) if Some(done) == conclusion => {
                let output = json!({ "output": fields["output"] });
                tri!(self.gh.update_check_run(inst, &row.repo, id, output).await);
                return Attempt::Events(vec![]);
            }
            _ => {}
        }
        let mut body = fields;
        body["name"] = json!("tacit");
        body["head_sha"] = json!(sha);
        let run = tri!(self.gh.create_check_run(inst, &row.repo, body).await);
        tri!(
            self.store
                .set_check_run(&row.id, run.id as i64, &sha, conclusion)
                .await
        );
        Attempt::Events(vec![])
    }

    /// Re-read everything the decision depends on, and report it to the core.
    async fn verify(&self, row: &IntentRow) -> Attempt {
        let inst = row.installation_id as u64;
        let (repo, number) = (row.repo.as_str(), row.number as u64);
        let intent = &row.intent;
        let item = match self.gh.item(inst, repo, number, intent.is_pull).await {
            Ok(i) => i,
            Err(e) if e.is_gone() => {
                // Deleted or transferred.
                return Attempt::Events(vec![Event::Verified(Facts {
                    open: false,
                    label_present: false,
                    head_sha: None,
                    draft: false,
                    author_role: None,
                    valid_approvers: BTreeSet::new(),
                })]);
            }
            Err(e) => return e.into(),
        };
        let author_role = tri!(self.role(inst, repo, &intent.author, true).await);

        // Objections and reviews it has not seen, made after the label (GitHub's time).
        let History {
            mut events,
            approvals_standing,
        } = tri!(
            self.history(inst, repo, number, intent, Reread::BeforeActing)
                .await
        );
        // Approvals still standing, by people who may still approve.
        let mut valid_approvers = BTreeSet::new();
        for a in &intent.approvals {
            let key = match a.source {
                Source::Comment(id) => format!("c:{id}"),
                Source::Review(id) => format!("r:{id}"),
                Source::CarriedOver => continue,
            };
            if !approvals_standing.contains(&key) {
                continue; // deleted or edited away
            }
            let role = tri!(self.role(inst, repo, &a.who, true).await);
            if role.is_some_and(|r: Role| r >= intent.policy.objectors)
                && tri!(self.still_an_approver(inst, &intent.policy, &a.who).await)
            {
                valid_approvers.insert(a.who.clone());
            }
        }
        events.push(Event::Verified(Facts {
            open: item.open,
            label_present: item.has_label(&intent.policy.label),
            head_sha: item.head_sha,
            draft: item.draft,
            author_role,
            valid_approvers,
        }));
        Attempt::Events(events)
    }

    async fn merge(
        &self,
        e: &EffectRow,
        row: &IntentRow,
        sha: &str,
        configured: Option<MergeMethod>,
    ) -> Attempt {
        let inst = row.installation_id as u64;
        let (repo, number) = (row.repo.as_str(), row.number as u64);
        if e.attempts > 1 {
            // A previous attempt may have merged before we could record it.
            let pull = tri!(self.gh.pull(inst, repo, number).await);
            if pull.merged {
                let merged_sha = pull.merge_commit_sha.unwrap_or_else(|| sha.to_string());
                return Attempt::Events(vec![Event::MergeResult(MergeResult::Merged {
                    sha: merged_sha,
                })]);
            }
            if pull.state != "open" {
                return Attempt::Events(vec![Event::MergeResult(MergeResult::PullClosed)]);
            }
        }
        // The configured method (or `merge`) first, without asking which methods the
        // repository allows: usually it is allowed, and the merge answer says if not.
        // Only then are the repository's settings read, for the next allowed method.
        let first = configured.unwrap_or(MergeMethod::Merge);
        let mut order = vec![first];
        let mut settings_read = false;
        let mut last_refusal = String::new();
        let mut next = 0;
        while let Some(&method) = order.get(next) {
            next += 1;
            let name = method.as_str();
            match self.gh.merge(inst, repo, number, sha, name).await {
                MergeAnswer::Merged { sha: merged } => {
                    let merged = merged.unwrap_or_else(|| sha.to_string());
                    return Attempt::Events(vec![Event::MergeResult(MergeResult::Merged {
                        sha: merged,
                    })]);
                }
                MergeAnswer::NotMerged { message } => last_refusal = message,
                MergeAnswer::Refused {
                    kind: MergeRefused::HeadMoved,
                    ..
                } => {
                    let head = self
                        .gh
                        .pull(inst, repo, number)
                        .await
                        .ok()
                        .map(|p| p.head.sha);
                    return Attempt::Events(vec![Event::MergeResult(MergeResult::HeadMoved {
                        sha: head,
                    })]);
                }
                MergeAnswer::Refused {
                    kind: MergeRefused::MethodNotAllowed,
                    message,
                } => {
                    last_refusal = message;
                    if !settings_read {
                        settings_read = true;
                        let settings = tri!(self.gh.repository(inst, repo).await);
                        order.extend(
                            allowed_methods(&settings)
                                .into_iter()
                                .filter(|m| *m != first),
                        );
                    }
                    continue; // the next allowed method
                }
                MergeAnswer::Refused {
                    kind: kind @ (MergeRefused::BaseModified | MergeRefused::NotYet),
                    message,
                } => {
                    let soon = kind == MergeRefused::BaseModified;
                    return Attempt::Events(vec![Event::MergeResult(MergeResult::Refused {
                        message,
                        soon,
                    })]);
                }
                MergeAnswer::Refused {
                    kind: MergeRefused::Forbidden | MergeRefused::NotFound,
                    message,
                } => {
                    return Attempt::Events(vec![Event::MergeResult(MergeResult::Fatal {
                        message,
                    })]);
                }
                MergeAnswer::Failed(e) => {
                    // 5xx, no answer, an unexpected 4xx or an unreadable body: it may have
                    // merged. Re-read before anything else.
                    if let Ok(pull) = self.gh.pull(inst, repo, number).await
                        && pull.merged
                    {
                        let merged_sha = pull.merge_commit_sha.unwrap_or_else(|| sha.to_string());
                        return Attempt::Events(vec![Event::MergeResult(MergeResult::Merged {
                            sha: merged_sha,
                        })]);
                    }
                    return e.into();
                }
            }
        }
        Attempt::Events(vec![Event::MergeResult(if last_refusal.is_empty() {
            MergeResult::NoMergeMethod
        } else {
            MergeResult::Refused {
                message: last_refusal,
                soon: false,
            }
        })])
    }
}

/// The window opens when the status comment appears (SPEC 2): tell the core when,
/// by GitHub's `created_at` (a comment posted again later changes nothing there).
fn noticed(row: &IntentRow, c: &Comment, now: Timestamp) -> Vec<Event> {
    if row.intent.notice != Notice::Awaiting {
        return Vec::new();
    }
    vec![Event::Noticed {
        at: c.created_at.unwrap_or(now),
        comment: Some(c.id),
    }]
}

fn effect_kind(e: &Effect) -> &'static str {
    match e {
        Effect::SyncStatus => "sync_status",
        Effect::SyncCheck => "sync_check",
        Effect::Verify => "verify",
        Effect::Merge { .. } => "merge",
        Effect::Close { .. } => "close",
        Effect::AddLabel { .. } => "add_label",
        Effect::RemoveLabel { .. } => "remove_label",
        Effect::PostOutcome => "post_outcome",
        Effect::PostWaiting { .. } => "post_waiting",
    }
}

/// The repository's allowed merge methods, in tacit's order of preference.
fn allowed_methods(settings: &crate::github::Repository) -> Vec<MergeMethod> {
    [
        (MergeMethod::Merge, settings.allow_merge_commit),
        (MergeMethod::Squash, settings.allow_squash_merge),
        (MergeMethod::Rebase, settings.allow_rebase_merge),
    ]
    .into_iter()
    .filter_map(|(m, ok)| ok.then_some(m))
    .collect()
}
