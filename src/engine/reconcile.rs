//! Reconciliation: what tacit does at start and every `Tuning::reconcile_interval`, so
//! that a delivery GitHub failed to make, or a label added while tacit was down, is
//! not lost.
//!
//! 1. Failed deliveries of the last 3 days (`GET /app/hook/deliveries`) that tacit has
//!    not recorded are redelivered (`POST /app/hook/deliveries/{id}/attempts`).
//! 2. Open intents are compared with their items: an item closed or a label removed
//!    while tacit was not listening ends the intent.
//! 3. Open items of installed repositories that carry an intent label but have no
//!    intent are opened, with the window starting at the label event's `created_at`.

use std::collections::HashSet;
use std::time::Duration;

use jiff::Timestamp;

use crate::core::intent::{EndReason, Event};
use crate::github::User;
use crate::store::{Cause, WriteOutcome};

use super::Engine;
use super::deliveries::LabelAdded;

/// GitHub keeps deliveries this long.
const DELIVERY_HISTORY: Duration = Duration::from_secs(3 * 24 * 3600);
const CURSOR_KEY: &str = "redelivery_checked_until";

/// What one reconciliation pass did (logged, and read by tests).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub redelivered: usize,
    pub ended: usize,
    pub opened: usize,
}

impl Engine {
    pub async fn reconcile(&self) -> Report {
        let mut report = Report::default();
        match self.redeliver_missed().await {
            Ok(n) => report.redelivered = n,
            Err(e) => tracing::warn!(error = %e, "cannot list failed deliveries"),
        }
        match self.sweep_open_intents().await {
            Ok(n) => report.ended = n,
            Err(e) => tracing::warn!(error = %e, "cannot sweep open intents"),
        }
        match self.find_unseen_labels().await {
            Ok(n) => report.opened = n,
            Err(e) => tracing::warn!(error = %e, "cannot look for labels added while away"),
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
                match self.gh.redeliver(hd.id).await {
                    Ok(()) => n += 1,
                    Err(e) => {
                        tracing::warn!(guid = %hd.guid, error = %e, "redelivery request failed")
                    }
                }
            }
            match next {
                Some(c) if !page.is_empty() => cursor = Some(c),
                _ => break,
            }
        }
        self.store.kv_set(CURSOR_KEY, &now.to_string()).await?;
        Ok(n)
    }

    /// End open intents whose item was closed or whose label was removed unseen.
    async fn sweep_open_intents(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        for row in self.store.open_intents(None).await? {
            if self.store.installation_frozen(row.installation_id).await? {
                continue;
            }
            let issue = match self
                .gh
                .issue(row.installation_id as u64, &row.repo, row.number as u64)
                .await
            {
                Ok(i) => i,
                Err(e) if e.is_not_found() => {
                    let end = Event::Ended(EndReason::ItemClosed {
                        by: None,
                        merged: false,
                    });
                    if self.apply_to(&row.id, vec![end], Cause::None).await?
                        == WriteOutcome::Written
                    {
                        n += 1;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(repo = %row.repo, number = row.number, error = %e, "cannot re-read item");
                    continue;
                }
            };
            let end = if !issue.is_open() {
                Some(EndReason::ItemClosed {
                    by: None,
                    merged: false,
                })
            } else if !issue.has_label(&row.intent.policy.label) {
                Some(EndReason::LabelRemoved { by: None })
            } else {
                None
            };
            if let Some(end) = end {
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

    /// Open intents for intent labels that were added while tacit was not receiving.
    async fn find_unseen_labels(&self) -> anyhow::Result<usize> {
        let mut n = 0;
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
                match self.find_unseen_labels_in(inst.id, &repo.full_name).await {
                    Ok(k) => n += k,
                    Err(e) => {
                        tracing::warn!(repo = %repo.full_name, error = %e, "cannot sweep repository")
                    }
                }
            }
        }
        Ok(n)
    }

    async fn find_unseen_labels_in(&self, inst: u64, repo: &str) -> anyhow::Result<usize> {
        let Ok(config) = self.repo_config(inst, repo).await? else {
            return Ok(0); // a broken file: tacit acts on nothing there
        };
        let mut n = 0;
        for label in config.intent_labels() {
            for issue in self.gh.open_issues_with_label(inst, repo, &label).await? {
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
                            .is_some_and(|l| l.name.eq_ignore_ascii_case(&label))
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
                    label: &label,
                    sender: &sender,
                    at,
                };
                let decision = match self.decide_label(&l).await {
                    Ok(d) => d,
                    Err(_) => continue, // GitHub trouble: the next pass tries again
                };
                if let Ok(WriteOutcome::Written) =
                    self.write_label(&l, decision, &Cause::None).await
                {
                    tracing::info!(
                        repo,
                        number = issue.number,
                        label,
                        "opened an intent missed while away"
                    );
                    n += 1;
                }
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
