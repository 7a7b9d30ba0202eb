//! Intent labels people can find (SPEC 2): tacit creates the configured intent labels,
//! with a description saying what each does and a colour, in every repository it is
//! installed on. A label that exists is left as it is: never renamed or recoloured.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::core::config::Action;
use crate::core::render;
use crate::github::GhResult;

use super::Engine;

/// Repositories whose labels this process has already made sure of (lower case), so
/// that the hourly sweep checks each repository once per process, not every hour.
pub type Labelled = Mutex<HashSet<String>>;

/// The colour of a new intent label, by what it does.
fn colour(action: Action) -> &'static str {
    match action {
        Action::Merge => "5319e7",
        Action::Close => "d93f0b",
        Action::Accept => "1d76db",
    }
}

impl Engine {
    /// Creates the intent labels `repo`'s configuration defines where they are missing
    /// (one read per label, one write per missing label). A broken configuration file
    /// creates nothing: its labels are not known.
    pub(crate) async fn create_intent_labels(&self, inst: u64, repo: &str) -> GhResult<()> {
        let Ok(config) = self.repo_config(inst, repo).await? else {
            return Ok(());
        };
        for policy in &config.intents {
            let description = render::label_description(policy);
            self.gh
                .ensure_label(
                    inst,
                    repo,
                    &policy.label,
                    colour(policy.action),
                    &description,
                )
                .await?;
        }
        self.labelled
            .lock()
            .expect("poisoned")
            .insert(repo.to_lowercase());
        Ok(())
    }

    /// [`create_intent_labels`](Self::create_intent_labels) for each repository, once per
    /// process unless `again`; a failure is logged and the others go on (labels help
    /// people find tacit; they decide nothing).
    pub(crate) async fn create_labels_in(&self, inst: u64, repos: &[String], again: bool) {
        for repo in repos {
            let done = self
                .labelled
                .lock()
                .expect("poisoned")
                .contains(&repo.to_lowercase());
            if done && !again {
                continue;
            }
            if let Err(e) = self.create_intent_labels(inst, repo).await {
                tracing::warn!(repo = %repo, error = %e, "cannot create the intent labels");
            }
        }
    }
}
