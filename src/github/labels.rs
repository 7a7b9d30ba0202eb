//! Labels on items and in the repository, added and removed idempotently.

use http::Method;

use super::{GhError, GhResult, GitHub, encode};

impl GitHub {
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
}
