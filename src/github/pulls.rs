//! Pull requests: their state, their reviews, and merging them.

use http::Method;

use super::{GhResult, GitHub, MergeAnswer, MergeResponse, Pull, Review};

impl GitHub {
    pub async fn pull(&self, inst: u64, repo: &str, number: u64) -> GhResult<Pull> {
        self.get(inst, &format!("/repos/{repo}/pulls/{number}"))
            .await
    }

    pub async fn reviews(&self, inst: u64, repo: &str, number: u64) -> GhResult<Vec<Review>> {
        self.list(
            Some(inst),
            &format!("/repos/{repo}/pulls/{number}/reviews"),
            10,
        )
        .await
    }

    /// Merge with the recorded head `sha`; the answer comes classified (see
    /// [`MergeAnswer`]).
    pub async fn merge(
        &self,
        inst: u64,
        repo: &str,
        number: u64,
        sha: &str,
        method: &str,
    ) -> MergeAnswer {
        let answer = self
            .send(
                inst,
                Method::PUT,
                &format!("/repos/{repo}/pulls/{number}/merge"),
                serde_json::json!({ "sha": sha, "merge_method": method }),
            )
            .await;
        MergeAnswer::classify(answer.and_then(|a| a.json::<MergeResponse>()))
    }
}
