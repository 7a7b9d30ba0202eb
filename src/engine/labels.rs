//! Intent labels people can find (SPEC 2): tacit creates the configured intent labels,
//! with a description saying what each does and a colour, in every repository it is
//! installed on. A label that exists is left as it is: never renamed or recoloured.
//!
//! The sweep checks a repository's labels once per process, and not at all when the
//! store's `kv` says they were checked for the same configured labels (a restart costs
//! no reads). A `label` delivery deleting or renaming a label forgets that, so the next
//! start checks again.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::core::config::{ActionKind, RepoConfig};
use crate::core::names::{LabelName, RepoName};
use crate::core::render;
use crate::github::GhResult;

use super::Engine;

/// What this process has already made sure of (all lower case).
#[derive(Default)]
pub struct Labelled {
    /// Repositories whose intent labels exist, so that the hourly sweep checks each
    /// repository once per process, not every hour.
    repos: Mutex<HashSet<String>>,
    /// (repository, label) of labels an intent adds (`add_label`, such as `consented`)
    /// that exist: the next intent adds it without asking first.
    added: Mutex<HashSet<(String, String)>>,
}

/// The colour of a new intent label, by what it does.
fn colour(action: ActionKind) -> &'static str {
    match action {
        ActionKind::Merge => "5319e7",
        ActionKind::Close => "d93f0b",
        ActionKind::Accept => "1d76db",
    }
}

/// The `kv` key saying for which labels `repo`'s intent labels were checked.
fn checked_key(repo: &str) -> String {
    format!("labels-checked:{}", RepoName::key_of(repo))
}

/// The configured intent labels, in one comparable line.
fn fingerprint(config: &RepoConfig) -> String {
    let mut labels: Vec<String> = config
        .intent_labels()
        .iter()
        .map(|l| LabelName::key_of(l))
        .collect();
    labels.sort();
    labels.join("\n")
}

impl Engine {
    /// Creates the intent labels `repo`'s configuration defines where they are missing
    /// (one read per label, one write per missing label). A broken configuration file
    /// creates nothing: its labels are not known.
    pub(crate) async fn create_intent_labels(&self, inst: u64, repo: &str) -> GhResult<()> {
        let Ok(config) = self.repo_config(inst, repo).await? else {
            return Ok(());
        };
        self.create_labels_of(inst, repo, &config).await
    }

    async fn create_labels_of(&self, inst: u64, repo: &str, config: &RepoConfig) -> GhResult<()> {
        for policy in &config.intents {
            let description = render::label_description(policy);
            self.gh
                .ensure_label(
                    inst,
                    repo,
                    &policy.label,
                    colour(policy.action.kind()),
                    &description,
                )
                .await?;
        }
        self.labelled
            .repos
            .lock()
            .expect("poisoned")
            .insert(RepoName::key_of(repo));
        if let Err(e) = self
            .store
            .kv_set(&checked_key(repo), &fingerprint(config))
            .await
        {
            tracing::warn!(repo = %repo, error = %e, "cannot record that the intent labels exist");
        }
        Ok(())
    }

    /// [`create_intent_labels`](Self::create_intent_labels) for each repository, once per
    /// process unless `again`; a failure is logged and the others go on (labels help
    /// people find tacit; they decide nothing).
    pub(crate) async fn create_labels_in(&self, inst: u64, repos: &[String], again: bool) {
        for repo in repos {
            if self.labels_known(repo) && !again {
                continue;
            }
            if let Err(e) = self.create_intent_labels(inst, repo).await {
                tracing::warn!(repo = %repo, error = %e, "cannot create the intent labels");
            }
        }
    }

    /// The sweep's check of `repo`'s intent labels, with the configuration it has just
    /// read: once per process, and not at all when the store says they were checked for
    /// these very labels.
    pub(crate) async fn create_labels_once(&self, inst: u64, repo: &str, config: &RepoConfig) {
        if self.labels_known(repo) {
            return;
        }
        match self.store.kv_get(&checked_key(repo)).await {
            Ok(Some(done)) if done == fingerprint(config) => {
                self.labelled
                    .repos
                    .lock()
                    .expect("poisoned")
                    .insert(RepoName::key_of(repo));
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(repo = %repo, error = %e, "cannot read whether the intent labels exist")
            }
        }
        if let Err(e) = self.create_labels_of(inst, repo, config).await {
            tracing::warn!(repo = %repo, error = %e, "cannot create the intent labels");
        }
    }

    /// A label of `repo` was deleted or renamed: the next start checks its intent labels
    /// again.
    pub(crate) async fn forget_labels_checked(&self, repo: &str) {
        self.labelled
            .added
            .lock()
            .expect("poisoned")
            .retain(|(r, _)| *r != RepoName::key_of(repo));
        if let Err(e) = self.store.kv_set(&checked_key(repo), "").await {
            tracing::warn!(repo = %repo, error = %e, "cannot forget that the intent labels exist");
        }
    }

    fn labels_known(&self, repo: &str) -> bool {
        self.labelled
            .repos
            .lock()
            .expect("poisoned")
            .contains(&RepoName::key_of(repo))
    }

    /// Makes sure a label an intent adds (`add_label`) exists, with its description,
    /// before adding it (GitHub would create a missing one bare): one read the first
    /// time per process and repository, none after.
    pub(crate) async fn ensure_added_label(
        &self,
        inst: u64,
        repo: &str,
        name: &str,
        color: &str,
        description: &str,
    ) -> GhResult<()> {
        let key = (RepoName::key_of(repo), LabelName::key_of(name));
        if self.labelled.added.lock().expect("poisoned").contains(&key) {
            return Ok(());
        }
        self.gh
            .ensure_label(inst, repo, name, color, description)
            .await?;
        let mut added = self.labelled.added.lock().expect("poisoned");
        if added.len() > 10_000 {
            added.clear();
        }
        added.insert(key);
        Ok(())
    }
}
