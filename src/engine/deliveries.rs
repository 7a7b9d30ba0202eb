//! From a recorded delivery to core events.
//!
//! A payload is a hint, not proof (its delivery id is not signed): before an intent
//! opens, the item, the label and the sender's role are read from the API.

use jiff::Timestamp;
use tracing::Instrument;

use crate::core::commands::{Command, parse_commands};
use crate::core::intent::{Actor, EndReason, Event, Intent, Opening, Source, Verdict};
use crate::core::labels::{self, ItemFacts, LabelFacts, Need, Skip, Step};
use crate::core::names::{Login, RepoName};
use crate::core::order::commands_added;
use crate::github::Installation;
use crate::github::event::{Payload, PayloadComment, PayloadReview};
use crate::github::{GhError, User};
use crate::store::{Cause, DeliveryRow, IntentWrite, Lease, WriteOutcome, new_id};
use crate::webhook::route::{InstallationChange, RepoChange, Route, route};

use super::history::Reread;
use super::{Engine, backoff};

/// After this many failed attempts a delivery is marked failed (kept, not lost).
const MAX_DELIVERY_ATTEMPTS: i64 = 25;

/// A label added to an item, from a delivery or found by the sweep.
pub(crate) struct LabelAdded<'a> {
    pub inst: u64,
    pub repo: &'a str,
    pub number: u64,
    pub is_pull: bool,
    pub label: &'a str,
    pub sender: &'a User,
    /// When the label was added, by GitHub's time where known: commands before it do
    /// not count. (The window opens later, when the status comment appears.)
    pub at: Timestamp,
    /// The delivery that told of it; `None` when the sweep found the label.
    pub heard: Option<Heard<'a>>,
}

/// The delivery a label was heard of by.
pub(crate) struct Heard<'a> {
    pub id: &'a str,
    pub item_key: &'a str,
    pub received: Timestamp,
}

/// A label heard of this soon after GitHub's time of it (either way: the clocks agree
/// about as well) was heard of promptly.
const PROMPT: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);
/// How far before the label a comment delivery makes tacit read the comments anyway.
const BEFORE_LABEL: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);

/// A payload saying an item's intent may have ended: a label removed, the item closed,
/// deleted or transferred.
struct Ending<'a> {
    inst: u64,
    repo: &'a str,
    number: u64,
    /// The label removed (`unlabeled`).
    label: Option<&'a str>,
    removed: bool,
    by: &'a str,
    merged: bool,
}

/// A comment or review body (`Route`'s `Comment`, `Review`), with its delivery's facts.
struct Said<'a> {
    inst: u64,
    repo: &'a str,
    number: u64,
    /// An edit: only the command lines it added count.
    edited: bool,
    /// The body before the edit, if GitHub said (`changes.body.from`).
    before: Option<&'a str>,
    sender: &'a User,
    received: Timestamp,
}

/// What the core's label decision (`core::labels::LabelDecision`) is written as.
pub(crate) enum LabelWrite {
    Nothing,
    /// Another intent label on an item with an open intent.
    Apply(Box<crate::store::IntentRow>, Event),
    /// A new intent (or a record that nothing opened, with the comment saying why).
    Insert(Box<Intent>, Vec<crate::core::intent::Effect>),
}

pub(crate) enum Failure {
    /// Try again later (GitHub down, rate limit, a race).
    Retry(String, Option<std::time::Duration>),
}

impl From<GhError> for Failure {
    fn from(e: GhError) -> Failure {
        let wait = match &e {
            GhError::RateLimited(d) => Some(*d),
            _ => None,
        };
        Failure::Retry(e.to_string(), wait)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Retry(format!("{e:#}"), None)
    }
}

type Processed = Result<(), Failure>;

impl Engine {
    /// Process one claimed delivery; every log line inside carries its id.
    pub(crate) async fn process_delivery(&self, d: DeliveryRow, lease: Lease) {
        let span = tracing::info_span!("delivery", delivery = %d.id, event = %d.event, action = d.action.as_deref().unwrap_or(""));
        self.process_delivery_in_span(d, lease)
            .instrument(span)
            .await
    }

    async fn process_delivery_in_span(&self, d: DeliveryRow, lease: Lease) {
        let result = self.route(&d, &lease).await;
        match result {
            Ok(()) => tracing::debug!("processed"),
            Err(Failure::Retry(error, wait)) => {
                let give_up = d.attempts >= MAX_DELIVERY_ATTEMPTS;
                let wait = wait.unwrap_or_else(|| backoff(d.attempts));
                let at = self.now().as_millisecond() + wait.as_millis() as i64;
                if give_up {
                    tracing::error!(%error, attempts = d.attempts, "giving up on delivery");
                } else {
                    tracing::warn!(%error, ?wait, "delivery will be retried");
                }
                if let Err(e) = self
                    .store
                    .retry_delivery(&d.id, &lease, at, &error, give_up)
                    .await
                {
                    tracing::warn!(error = %e, "cannot reschedule delivery; its lease will expire");
                }
            }
        }
    }

    /// Mark the delivery done without changing any intent.
    pub(crate) async fn done(&self, d: &DeliveryRow, lease: &Lease) -> Processed {
        self.store
            .write(None, &delivery_cause(d, lease), self.now().as_millisecond())
            .await?;
        Ok(())
    }

    /// Apply events to the open intent on an item (if any), completing the delivery.
    async fn to_open_intent(
        &self,
        d: &DeliveryRow,
        lease: &Lease,
        repo: &str,
        number: u64,
        events: impl Fn(&Intent) -> Vec<Event>,
    ) -> Processed {
        for _ in 0..8 {
            let Some(row) = self.store.open_intent_for(repo, number as i64).await? else {
                return self.done(d, lease).await;
            };
            let events = events(&row.intent);
            match self
                .apply_row(&row, events, &delivery_cause(d, lease))
                .await?
            {
                WriteOutcome::Conflict => continue,
                _ => return Ok(()),
            }
        }
        Err(Failure::Retry("the intent kept changing".into(), None))
    }

    async fn route(&self, d: &DeliveryRow, lease: &Lease) -> Processed {
        let Ok(p) = Payload::parse(d.payload.as_bytes()) else {
            return self.done(d, lease).await;
        };
        // The intake records deliveries without a route as done already; a row written
        // before it did (or by an older version) ends here the same way.
        let Some(route) = route(&d.event, &p) else {
            return self.done(d, lease).await;
        };
        let (inst, repo, change) = match route {
            Route::Installation {
                installation,
                change,
            } => {
                return self
                    .installation_event(d, lease, &p, installation, change)
                    .await;
            }
            Route::Repo { inst, repo, change } => (inst, repo, change),
        };
        let received = Timestamp::from_millisecond(d.received_at).unwrap_or_else(|_| self.now());
        let sender = p.sender.clone().unwrap_or_default();
        // GitHub's time of the item's change (a label added, a push, ready for review),
        // else when the delivery arrived.
        let github_time = p.item().and_then(|i| i.updated_at).unwrap_or(received);
        match change {
            RepoChange::LabelAdded {
                number,
                label,
                is_pull,
            } => {
                let l = LabelAdded {
                    inst,
                    repo,
                    number,
                    is_pull,
                    label,
                    sender: &sender,
                    at: github_time,
                    heard: Some(Heard {
                        id: &d.id,
                        item_key: &d.item_key,
                        received,
                    }),
                };
                self.on_labeled(d, lease, l).await
            }
            RepoChange::Ending {
                number,
                label,
                removed,
                merged,
            } => {
                let ending = Ending {
                    inst,
                    repo,
                    number,
                    label,
                    removed,
                    by: &sender.login,
                    merged,
                };
                self.on_ending(d, lease, ending).await
            }
            RepoChange::ForkPull { head } => {
                self.on_fork_pull(inst, repo, head).await?;
                self.done(d, lease).await
            }
            RepoChange::HeadChanged {
                number,
                sha,
                fork_head,
            } => {
                self.on_fork_pull(inst, repo, fork_head).await?;
                self.to_open_intent(d, lease, repo, number, head_changed(sha, github_time))
                    .await
            }
            RepoChange::ReadyForReview { number } | RepoChange::BaseChanged { number } => {
                self.to_open_intent(d, lease, repo, number, head_changed(None, github_time))
                    .await
            }
            RepoChange::Comment {
                number,
                comment,
                edited,
            } => {
                let c = Said {
                    inst,
                    repo,
                    number,
                    edited,
                    before: p.body_before_edit(),
                    sender: &sender,
                    received,
                };
                self.on_comment(d, lease, c, comment).await
            }
            RepoChange::Review {
                number,
                review,
                edited,
            } => {
                let r = Said {
                    inst,
                    repo,
                    number,
                    edited,
                    before: p.body_before_edit(),
                    sender: &sender,
                    received,
                };
                self.on_review(d, lease, r, review).await
            }
            RepoChange::ReviewDismissed { number, review_id } => {
                self.to_open_intent(d, lease, repo, number, |_| {
                    vec![Event::ReviewDismissed { review_id }, Event::ChecksChanged]
                })
                .await
            }
            RepoChange::Checks { sha } => self.on_checks(d, lease, repo, sha).await,
            RepoChange::LabelDefinitionChanged { name } => {
                self.on_label_gone(d, lease, repo, name).await
            }
            RepoChange::ConfigPush { sha, to_default } => {
                self.on_config_push(inst, repo, sha, to_default).await?;
                self.done(d, lease).await
            }
        }
    }

    /// `installation` and `installation_repositories`: freeze or thaw.
    async fn installation_event(
        &self,
        d: &DeliveryRow,
        lease: &Lease,
        p: &Payload,
        inst: &Installation,
        change: InstallationChange,
    ) -> Processed {
        use InstallationChange as C;
        let now = self.now().as_millisecond();
        let account = inst.account.as_ref().map(|a| a.login.as_str());
        let freezes = matches!(change, C::Deleted | C::Suspend);
        let thaws = matches!(
            change,
            C::Unsuspend | C::Created | C::NewPermissionsAccepted
        );
        if freezes || thaws {
            // A payload is a hint (a replayed body has a new delivery id): freeze
            // only an installation GitHub no longer lists as active, thaw only one
            // it does.
            let active = match self.gh.app_installations().await {
                Ok(list) => list
                    .iter()
                    .any(|i| i.id == inst.id && i.suspended_at.is_none()),
                Err(e) if e.is_transient() => return Err(e.into()),
                Err(_) => false,
            };
            if freezes == active {
                tracing::info!(?change, "GitHub says otherwise: ignored");
                return self.done(d, lease).await;
            }
        }
        match change {
            C::Deleted => {
                self.store
                    .set_installation(inst.id as i64, account, false, true, now)
                    .await?;
                self.gh.forget_installation(inst.id);
            }
            C::Suspend => {
                self.store
                    .set_installation(inst.id as i64, account, true, false, now)
                    .await?;
                self.gh.forget_installation(inst.id);
            }
            C::Unsuspend | C::Created | C::NewPermissionsAccepted => {
                self.store
                    .set_installation(inst.id as i64, account, false, false, now)
                    .await?;
                if change == C::Created {
                    self.create_labels_in(inst.id, &names(&p.repositories), true)
                        .await;
                }
            }
            C::ReposAdded => {
                self.create_labels_in(inst.id, &names(&p.repositories_added), true)
                    .await;
            }
            C::ReposRemoved => {
                // Confirm from the API first: a replayed payload must not freeze
                // intents of a repository that is still installed.
                let still: Vec<String> = match self.gh.installation_repositories(inst.id).await {
                    Ok(repos) => repos.into_iter().map(|r| r.full_name).collect(),
                    Err(e) if e.is_transient() => return Err(e.into()),
                    Err(_) => Vec::new(), // the installation itself is gone
                };
                for r in p.repositories_removed.iter().flatten() {
                    if still.iter().any(|s| RepoName::same(s, &r.full_name)) {
                        tracing::info!(repo = %r.full_name, "still installed: not frozen");
                        continue;
                    }
                    for row in self.store.open_intents(Some(&r.full_name)).await? {
                        let event = Event::Ended(EndReason::InstallationRemoved);
                        self.apply_to(&row.id, vec![event], Cause::None).await?;
                    }
                }
            }
        }
        self.done(d, lease).await
    }

    /// Decide what a label added to an item leads to. Used for `labeled` deliveries
    /// and for labels found by the reconciliation sweep. The rules are
    /// `core::labels::decide`; this reads the facts it asks for, in its order, and
    /// applies its decision.
    pub(crate) async fn decide_label(&self, l: &LabelAdded<'_>) -> Result<LabelWrite, Failure> {
        let (inst, repo, number, label, sender) = (l.inst, l.repo, l.number, l.label, l.sender);
        // Most labels are not intent labels: the cached configuration says so without
        // an API call. An intent label reads the file (conditionally) below (SPEC 5).
        if self.surely_not_an_intent_label(repo, label).await {
            return Ok(LabelWrite::Nothing);
        }
        let mut facts = LabelFacts::new(label, l.at, &sender.login, sender.is_bot(), l.is_pull);
        // What the decision is applied with: the open intent's row, the item re-read.
        let mut open = None;
        let mut item = None;
        let (decision, now) = loop {
            let now = self.now();
            let need = match labels::decide(&facts, now) {
                Step::Done(decision) => break (decision, now),
                Step::Need(need) => need,
            };
            match need {
                Need::Config => {
                    let config = self.repo_config(inst, repo).await?;
                    facts.config = Some(config.map_err(|problem| problem.0));
                }
                Need::OpenIntent => {
                    open = self.store.open_intent_for(repo, number as i64).await?;
                    facts.open_intent = Some(open.as_ref().map(|r| r.intent.policy.label.clone()));
                }
                Need::Ended => {
                    let ended = self
                        .store
                        .recent_ended_intents(repo, number as i64, 10)
                        .await?;
                    facts.ended = Some(ended.into_iter().map(|r| r.intent).collect());
                }
                Need::Item => {
                    // Re-read the item: the payload is a hint.
                    item = match self.gh.item(inst, repo, number, l.is_pull).await {
                        Ok(i) => Some(i),
                        Err(e) if e.is_not_found() => None,
                        Err(e) => return Err(e.into()),
                    };
                    facts.item = Some(item.as_ref().map(|i| ItemFacts {
                        open: i.open,
                        is_pull: i.is_pull,
                        has_label: i.has_label(label),
                    }));
                }
                Need::Role => {
                    facts.role = Some(self.role(inst, repo, &sender.login, false).await?);
                }
            }
        };
        let (policy, is_pull, carried) = match *decision {
            labels::LabelDecision::Nothing(why) => {
                if why == Skip::WasIgnored {
                    tracing::info!(label, "added while another intent was open: stays ignored");
                }
                return Ok(LabelWrite::Nothing);
            }
            labels::LabelDecision::ToOpenIntent(event) => {
                let row = open.ok_or_else(|| anyhow::anyhow!("no open intent to tell"))?;
                return Ok(LabelWrite::Apply(Box::new(row), event));
            }
            labels::LabelDecision::NotOpened {
                policy,
                is_pull,
                why,
            } => {
                let (intent, effects) =
                    Intent::not_opened(policy, is_pull, &sender.login, l.at, why);
                return Ok(LabelWrite::Insert(Box::new(intent), effects));
            }
            labels::LabelDecision::Open {
                policy,
                is_pull,
                carried,
            } => (policy, is_pull, carried),
        };
        let item = item.ok_or_else(|| anyhow::anyhow!("an intent opens on an item not read"))?;
        let (mut intent, mut effects) = Intent::open(Opening {
            policy,
            is_pull,
            item_author: item.author.clone(),
            author: sender.login.clone(),
            at: l.at,
            now,
            head_sha: item.head_sha.clone(),
            carried,
        });
        intent.title = item.title.clone();
        // Comments and reviews made after the label, before tacit knew of the intent
        // (an outage, a late label), count; so does a changes-requested review that
        // still stands (SPEC 3).
        if !self.nothing_to_catch_up(l, is_pull).await? {
            let backlog = self
                .history(inst, repo, number, &intent, Reread::Opening)
                .await?;
            effects = intent.handle_all(effects, backlog.events, now);
        }
        Ok(LabelWrite::Insert(Box::new(intent), effects))
    }

    /// Whether an intent opening on an issue can do without reading its comments:
    /// tacit heard of the label promptly, by a delivery, and no comment delivery about
    /// the issue reached it from shortly before the label up to that delivery. Every
    /// later one is processed after it (an item's deliveries go in the order received),
    /// so with the intent, and counts by GitHub's time like any other; an `/object`
    /// whose delivery never comes is found before acting. A pull request is always
    /// read: a changes-requested review that still stands counts whenever it was
    /// submitted, and no delivery about it comes after the label.
    async fn nothing_to_catch_up(&self, l: &LabelAdded<'_>, is_pull: bool) -> anyhow::Result<bool> {
        let Some(heard) = &l.heard else {
            return Ok(false); // found by the sweep: tacit may have been away
        };
        let prompt = heard.received.duration_since(l.at).abs() <= PROMPT;
        if is_pull || !prompt {
            return Ok(false);
        }
        let since = l.at.as_millisecond() - BEFORE_LABEL.as_millis() as i64;
        let until = heard.received.as_millisecond();
        let seen = self
            .store
            .item_delivery_between(heard.item_key, "issue_comment", since, until, heard.id)
            .await?;
        Ok(!seen)
    }

    /// Write a label decision, completing `cause` in the same transaction.
    pub(crate) async fn write_label(
        &self,
        l: &LabelAdded<'_>,
        decision: LabelWrite,
        cause: &Cause,
    ) -> Result<WriteOutcome, Failure> {
        let now = self.now().as_millisecond();
        match decision {
            LabelWrite::Nothing => Ok(self.store.write(None, cause, now).await?),
            LabelWrite::Apply(row, event) => Ok(self.apply_row(&row, vec![event], cause).await?),
            LabelWrite::Insert(intent, effects) => {
                let write = IntentWrite {
                    id: new_id(),
                    expected_version: None,
                    installation_id: l.inst as i64,
                    repo: l.repo.to_string(),
                    number: l.number as i64,
                    intent: *intent,
                    effects,
                };
                let outcome = self.store.write(Some(&write), cause, now).await?;
                if outcome == WriteOutcome::Written {
                    tracing::info!(repo = l.repo, number = l.number, label = %write.intent.policy.label, "intent recorded");
                    self.kick();
                }
                Ok(outcome)
            }
        }
    }

    async fn on_labeled(&self, d: &DeliveryRow, lease: &Lease, l: LabelAdded<'_>) -> Processed {
        let decision = self.decide_label(&l).await?;
        match self
            .write_label(&l, decision, &delivery_cause(d, lease))
            .await?
        {
            // Another delivery changed the item first: decide again.
            WriteOutcome::Conflict => Err(Failure::Retry(
                "the item's intent changed concurrently".into(),
                Some(std::time::Duration::ZERO),
            )),
            _ => Ok(()),
        }
    }

    /// A payload is a hint (a replayed body carries a new delivery id): an intent ends
    /// only when the API confirms that its label is gone or its item closed.
    async fn on_ending(&self, d: &DeliveryRow, lease: &Lease, e: Ending<'_>) -> Processed {
        let Some(row) = self.store.open_intent_for(e.repo, e.number as i64).await? else {
            return self.done(d, lease).await;
        };
        let label = row.intent.policy.label.clone();
        if e.removed && !e.label.is_some_and(|l| label == l) {
            return self.done(d, lease).await; // another label
        }
        let reason = match self
            .gh
            .item(e.inst, e.repo, e.number, row.intent.is_pull)
            .await
        {
            Err(err) if err.is_gone() => EndReason::ItemClosed {
                by: Some(e.by.to_string()),
                merged: false,
            },
            Err(err) => return Err(err.into()),
            Ok(item) if !item.open => EndReason::ItemClosed {
                by: Some(e.by.to_string()),
                merged: e.merged,
            },
            Ok(item) if !item.has_label(&label) => EndReason::LabelRemoved {
                by: e.removed.then(|| e.by.to_string()),
            },
            Ok(_) => {
                tracing::info!("the payload says the intent ended, but GitHub says not: ignored");
                return self.done(d, lease).await;
            }
        };
        self.to_open_intent(d, lease, e.repo, e.number, |_| {
            vec![Event::Ended(reason.clone())]
        })
        .await
    }

    /// A comment with a command line, by a person (`route` let no other through).
    async fn on_comment(
        &self,
        d: &DeliveryRow,
        lease: &Lease,
        s: Said<'_>,
        comment: &PayloadComment,
    ) -> Processed {
        let Said {
            inst,
            repo,
            number,
            edited,
            before,
            sender,
            received,
        } = s;
        let author = comment.user.clone().unwrap_or_default();
        let body = comment.body.as_deref().unwrap_or("");
        // A new comment counts by its `created_at`; an edit counts only the command
        // lines it added, by its `updated_at` (SPEC 3).
        let (commands, at) = if edited {
            (commands_added(before, body), comment.updated_at)
        } else {
            (parse_commands(body), comment.created_at)
        };
        let open = match commands.is_empty() {
            true => None,
            false => self.store.open_intent_for(repo, number as i64).await?,
        };
        let Some(open) = open else {
            return self.done(d, lease).await;
        };
        let sender_is_author = Login::same(&sender.login, &author.login);
        // An edit by someone else counts in the editor's name (SPEC 3).
        let who = if sender_is_author { &author } else { sender };
        let role = self.role(inst, repo, &who.login, false).await?;
        let approves = commands.contains(&Command::Approve);
        let actor = Actor {
            login: who.login.clone(),
            role,
            approver: approves
                && self
                    .approver(inst, &open.intent.policy, &who.login, false)
                    .await?,
        };
        let edited_from = (!sender_is_author).then(|| author.login.clone());
        let url = comment.html_url.clone();
        let source = Source::Comment(comment.id);
        self.to_open_intent(d, lease, repo, number, |_| {
            let mut events = command_events(
                &commands,
                &actor,
                &source,
                &url,
                at,
                received,
                sender_is_author,
            );
            for e in &mut events {
                if let Event::Command { edited_from: f, .. } = e {
                    f.clone_from(&edited_from);
                }
            }
            events
        })
        .await
    }

    async fn on_review(
        &self,
        d: &DeliveryRow,
        lease: &Lease,
        s: Said<'_>,
        review: &PayloadReview,
    ) -> Processed {
        let Said {
            inst,
            repo,
            number,
            edited,
            before,
            sender,
            received,
        } = s;
        let reviewer = review.user.clone().unwrap_or_default();
        let open = match reviewer.is_bot() {
            true => None,
            false => self.store.open_intent_for(repo, number as i64).await?,
        };
        let Some(open) = open else {
            return self.done(d, lease).await;
        };
        let role = self.role(inst, repo, &reviewer.login, false).await?;
        let mut actor = Actor {
            login: reviewer.login.clone(),
            role,
            approver: false,
        };
        let verdict = match review
            .state
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("approved") => Some(Verdict::Approved),
            Some("changes_requested") => Some(Verdict::ChangesRequested),
            _ => None,
        };
        let body = review.body.clone().unwrap_or_default();
        let commands = if edited {
            commands_added(before, &body)
        } else {
            parse_commands(&body)
        };
        // Reviews count by GitHub's `submitted_at`. Unknown: the safe side (a
        // changes-requested review counts, an approval does not).
        let at = review.submitted_at;
        let verdict = match (verdict, at) {
            (Some(Verdict::Approved), None) => None,
            (v, _) => v,
        };
        let at = at.unwrap_or(received);
        if verdict == Some(Verdict::Approved) || commands.contains(&Command::Approve) {
            actor.approver = self
                .approver(inst, &open.intent.policy, &reviewer.login, false)
                .await?;
        }
        let sender_is_author = Login::same(&sender.login, &reviewer.login);
        let (id, url, commit_id) = (review.id, review.html_url.clone(), review.commit_id.clone());
        self.to_open_intent(d, lease, repo, number, |_| {
            let source = Source::Review(id);
            let mut events = command_events(
                &commands,
                &actor,
                &source,
                &url,
                Some(at),
                received,
                sender_is_author,
            );
            if let Some(verdict) = verdict {
                events.push(Event::Review {
                    actor: actor.clone(),
                    review_id: id,
                    verdict,
                    body: body.clone(),
                    commit_id: commit_id.clone(),
                    url: url.clone(),
                    at,
                });
            }
            events.push(Event::ChecksChanged);
            events
        })
        .await
    }

    /// Checks or statuses changed on a commit: nudge the intents whose head it is.
    /// Matched by sha, since fork pull requests are not listed in these events.
    async fn on_checks(&self, d: &DeliveryRow, lease: &Lease, repo: &str, sha: &str) -> Processed {
        for row in self.store.open_intents(Some(repo)).await? {
            if row.intent.head_sha.as_deref() == Some(sha) && row.intent.refusal.is_some() {
                self.apply_to(&row.id, vec![Event::ChecksChanged], Cause::None)
                    .await?;
            }
        }
        self.done(d, lease).await
    }

    /// An intent label was deleted or renamed in the repository.
    async fn on_label_gone(
        &self,
        d: &DeliveryRow,
        lease: &Lease,
        repo: &str,
        name: &str,
    ) -> Processed {
        self.forget_labels_checked(repo).await;
        for row in self.store.open_intents(Some(repo)).await? {
            if row.intent.policy.label == *name {
                self.apply_to(
                    &row.id,
                    vec![Event::Ended(EndReason::LabelDeleted)],
                    Cause::None,
                )
                .await?;
            }
        }
        self.done(d, lease).await
    }
}

/// The full names of a payload's repository list.
fn names(repos: &Option<Vec<crate::github::Repo>>) -> Vec<String> {
    repos
        .iter()
        .flatten()
        .map(|r| r.full_name.clone())
        .collect()
}

/// A push to an item's head (`sha`: the new head, if known), or what counts as one
/// (ready for review, a new base), at GitHub's time `at` (SPEC 4).
fn head_changed(sha: Option<&str>, at: Timestamp) -> impl Fn(&Intent) -> Vec<Event> + use<> {
    let sha = sha.map(str::to_string);
    move |_| {
        vec![Event::HeadChanged {
            sha: sha.clone(),
            at,
        }]
    }
}

/// One event per command of a comment or review body, in line order, at GitHub's time
/// `at`. Without it the order cannot be told: objections count (as of `received`),
/// nothing else does (SPEC 3).
fn command_events(
    commands: &[Command],
    actor: &Actor,
    source: &Source,
    url: &Option<String>,
    at: Option<Timestamp>,
    received: Timestamp,
    sender_is_author: bool,
) -> Vec<Event> {
    commands
        .iter()
        .filter(|c| at.is_some() || matches!(c, Command::Object { .. }))
        .map(|c| Event::Command {
            actor: actor.clone(),
            command: c.clone(),
            source: source.clone(),
            url: url.clone(),
            at: at.unwrap_or(received),
            sender_is_author,
            edited_from: None,
        })
        .collect()
}

fn delivery_cause(d: &DeliveryRow, lease: &Lease) -> Cause {
    Cause::Delivery {
        id: d.id.clone(),
        lease: lease.clone(),
    }
}
