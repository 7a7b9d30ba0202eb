//! Reconciliation: what tacit does at start and every `Tuning::reconcile_interval`, so
//! that a delivery GitHub failed to make, or a label added while tacit was down, is
//! not lost.
//!
//! 1. Failed deliveries of the last 3 days (`GET /app/hook/deliveries`) that tacit has
//!    not recorded are redelivered (`POST /app/hook/deliveries/{id}/attempts`).
//! 2. Open intents are compared with their items: an item closed or a label removed
//!    while tacit was not listening ends the intent.
//! 1. (cont.) They are asked for oldest first, so that they arrive in GitHub's order.
//! 3. Open items of installed repositories that carry an intent label but have no
//!    intent are opened: commands count from the label event's `created_at`, and the
//!    window opens when the status comment appears (a whole window, never one that is
//!    already over). A label added while another intent was open stays ignored.
//! 4. Finished deliveries and effects older than [`RETENTION`] are deleted, so that the
//!    database does not grow with every delivery ever received.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use jiff::Timestamp;

use crate::core::intent::{EndReason, Event};
use crate::core::names::LabelName;
use crate::github::{Issue, User};
use crate::store::{Cause, WriteOutcome};

use super::Engine;
use super::deliveries::LabelAdded;

/// GitHub keeps deliveries this long.
const DELIVERY_HISTORY: Duration = Duration::from_secs(3 * 24 * 3600);
const CURSOR_KEY: &str = "redelivery_checked_until";
/// How long finished deliveries (their ids: a redelivery is recognised) and effects are
/// kept. Longer than GitHub's delivery history, so the redelivery sweep never asks
/// again for a delivery tacit has processed.
pub const RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// What one reconciliation pass did (logged, and read by tests).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub redelivered: usize,
    pub ended: usize,
    pub opened: usize,
    pub pruned: u64,
}

impl Engine {
    pub async fn reconcile(&self) -> Report {
        let mut report = Report::default();
        match self.redeliver_missed().await {
            Ok(n) => report.redelivered = n,
            Err(e) => tracing::warn!(error = %e, "cannot list failed deliveries"),
        }
        match self.reconcile_items().await {
            Ok((ended, opened)) => {
                report.ended = ended;
                report.opened = opened;
            }
            Err(e) => tracing::warn!(error = %e, "cannot reconcile labelled items"),
        }
        let before = self.now().as_millisecond() - RETENTION.as_millis() as i64;
        match self.store.prune(before).await {
            Ok(n) => report.pruned = n,
            Err(e) => tracing::warn!(error = %e, "cannot delete old deliveries"),
        }
        tracing::info!(?report, "reconciled");
        report
    }

    /// Ask GitHub to redeliver failed deliveries tacit never recorded.
    async fn redeliver_missed(&self) -> anyhow::Result<usize> {
        let now = self.now();
        let horizon = now - jiff::SignedDuration::try_from(DELIVERY_HISTORY)?;
        // How far the last pass looked, minus a margin for deliveries still in flight.
        let checked_until = self
            .store
            .kv_get(CURSOR_KEY)
            .await?
            .and_then(|v| v.parse::<Timestamp>().ok())
            .map(|t| t - jiff::SignedDuration::from_secs(3600))
            .unwrap_or(horizon)
            .max(horizon);
        let mut asked: HashSet<String> = HashSet::new();
        // GitHub lists deliveries newest first; they are asked for oldest first, so
        // that after an outage they arrive in the order they happened.
        let mut missed: Vec<(u64, String)> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut n = 0;
        'pages: for _ in 0..50 {
            let (page, next) = self.gh.hook_deliveries(cursor.as_deref()).await?;
            for hd in &page {
                let Some(at) = hd.delivered_at else { continue };
                if at < checked_until {
                    break 'pages;
                }
                let ok = hd.status_code.is_some_and(|s| (200..300).contains(&s));
                if ok || hd.guid.is_empty() || asked.contains(&hd.guid) {
                    continue;
                }
                if self.store.delivery_exists(&hd.guid).await? {
                    continue; // recorded (a redelivery we already got, say)
                }
                asked.insert(hd.guid.clone());
                missed.push((hd.id, hd.guid.clone()));
            }
            match next {
                Some(c) if !page.is_empty() => cursor = Some(c),
                _ => break,
            }
        }
        for (id, guid) in missed.into_iter().rev() {
            match self.gh.redeliver(id).await {
                Ok(()) => n += 1,
                Err(e) => tracing::warn!(%guid, error = %e, "redelivery request failed"),
            }
        }
        self.store.kv_set(CURSOR_KEY, &now.to_string()).await?;
        Ok(n)
    }

    /// Compare every installed repository's labelled items with tacit's open intents.
    /// The cost is a few list requests per repository, not one request per intent, and
    /// open intents are paged through, never all held at once.
    async fn reconcile_items(&self) -> anyhow::Result<(usize, usize)> {
        let (mut ended, mut opened) = (0, 0);
        for inst in self.gh.app_installations().await? {
            if inst.suspended_at.is_some() || self.store.installation_frozen(inst.id as i64).await?
            {
                continue;
            }
            let repos = match self.gh.installation_repositories(inst.id).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(installation = inst.id, error = %e, "cannot list repositories");
                    continue;
                }
            };
            for repo in repos {
                match self.reconcile_repo(inst.id, &repo.full_name).await {
                    Ok((e, o)) => {
                        ended += e;
                        opened += o;
                    }
                    Err(e) => {
                        tracing::warn!(repo = %repo.full_name, error = %e, "cannot sweep repository")
                    }
                }
            }
        }
        Ok((ended, opened))
    }

    /// One repository: list the open items carrying each intent label (the
    /// configuration's and those of running intents), then end the open intents whose
    /// item is not among them (closed, or label removed, while tacit was away), and
    /// open intents for listed items that have none.
    async fn reconcile_repo(&self, inst: u64, repo: &str) -> anyhow::Result<(usize, usize)> {
        let config = self.repo_config(inst, repo).await?.ok();
        if let Some(c) = &config {
            self.create_labels_once(inst, repo, c).await;
        }
        let mut labels: Vec<String> = self.store.open_intent_labels(repo).await?;
        if let Some(c) = &config {
            labels.extend(c.intent_labels());
        }
        labels.sort_by_key(|l| LabelName::key_of(l));
        labels.dedup_by(|a, b| LabelName::same(a, b));
        // label (lower case) -> the open items carrying it; `None`: the list was cut
        // short, so absence from it proves nothing.
        let mut listed: HashMap<String, Option<Vec<Issue>>> = HashMap::new();
        for label in &labels {
            let items = self.gh.open_issues_with_label(inst, repo, label).await?;
            let complete = items.len() < crate::github::MAX_LISTED;
            listed.insert(LabelName::key_of(label), complete.then_some(items));
        }
        let ended = self.end_vanished(repo, &listed).await?;
        let mut opened = 0;
        if let Some(config) = config {
            for label in config.intent_labels() {
                if let Some(Some(items)) = listed.get(&LabelName::key_of(&label)) {
                    opened += self.open_unseen(inst, repo, &label, items).await?;
                }
            }
        }
        Ok((ended, opened))
    }

    /// End open intents of `repo` whose item is no longer listed with their label.
    async fn end_vanished(
        &self,
        repo: &str,
        listed: &HashMap<String, Option<Vec<Issue>>>,
    ) -> anyhow::Result<usize> {
        let mut n = 0;
        let mut after = 0;
        loop {
            let page = self.store.open_intent_keys(repo, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.1;
            for (id, number, label) in page {
                let Some(Some(items)) = listed.get(&LabelName::key_of(&label)) else {
                    continue; // not listed completely: no conclusion
                };
                if items.iter().any(|i| i.number as i64 == number) {
                    continue; // open and still labelled
                }
                // Gone from the list: read it to say why, and end the intent.
                let Some(row) = self.store.intent(&id).await? else {
                    continue;
                };
                if self.store.installation_frozen(row.installation_id).await? {
                    continue;
                }
                let end = match self
                    .gh
                    .issue(row.installation_id as u64, &row.repo, row.number as u64)
                    .await
                {
                    Err(e) if e.is_not_found() => EndReason::ItemClosed {
                        by: None,
                        merged: false,
                    },
                    Err(e) => {
                        tracing::warn!(repo = %row.repo, number = row.number, error = %e, "cannot re-read item");
                        continue;
                    }
                    Ok(issue) if !issue.is_open() => EndReason::ItemClosed {
                        by: None,
                        merged: false,
                    },
                    Ok(issue) if !issue.has_label(&row.intent.policy.label) => {
                        EndReason::LabelRemoved { by: None }
                    }
                    Ok(_) => continue, // labelled again meanwhile
                };
                // Only if the intent has not moved on meanwhile (version check in apply).
                if self
                    .apply_row(&row, vec![Event::Ended(end)], &Cause::None)
                    .await?
                    == WriteOutcome::Written
                {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Open intents for listed items that carry `label` but have none.
    async fn open_unseen(
        &self,
        inst: u64,
        repo: &str,
        label: &str,
        items: &[Issue],
    ) -> anyhow::Result<usize> {
        let mut n = 0;
        for issue in items {
            if self
                .store
                .open_intent_for(repo, issue.number as i64)
                .await?
                .is_some()
            {
                continue;
            }
            // Who added the label, and when: the latest `labeled` event for it.
            let events = self.gh.issue_events(inst, repo, issue.number).await?;
            let Some(added) = events.iter().rev().find(|e| {
                e.event == "labeled"
                    && e.label
                        .as_ref()
                        .is_some_and(|l| LabelName::same(&l.name, label))
            }) else {
                continue;
            };
            let sender: User = added.actor.clone().unwrap_or_default();
            let at = added.created_at.unwrap_or_else(|| self.now());
            // An intent that already ran for this very label event is not reopened.
            if self
                .store
                .recent_ended_intents(repo, issue.number as i64, 1)
                .await?
                .first()
                .is_some_and(|prev| {
                    prev.intent.opened_at >= at - jiff::SignedDuration::from_secs(2)
                })
            {
                continue;
            }
            let l = LabelAdded {
                inst,
                repo,
                number: issue.number,
                is_pull: issue.is_pull(),
                label,
                sender: &sender,
                at,
                heard: None,
            };
            let decision = match self.decide_label(&l).await {
                Ok(d) => d,
                Err(_) => continue, // GitHub trouble: the next pass tries again
            };
            if let Ok(WriteOutcome::Written) = self.write_label(&l, decision, &Cause::None).await {
                tracing::info!(
                    repo,
                    number = issue.number,
                    label,
                    "opened an intent missed while away"
                );
                n += 1;
            }
        }
        Ok(n)
    }

    /// Reconcile now and then every `reconcile_interval`, until shutdown.
    pub async fn reconcile_loop(
        self: std::sync::Arc<Self>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            self.reconcile().await;
            tokio::select! {
                _ = tokio::time::sleep(self.tuning.reconcile_interval) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }
}
