//! A repository's settings and its files (the configuration is read from here).

use http::{HeaderMap, Method, StatusCode};

use super::{FileAnswer, FileContent, GhResult, GitHub, Repository};

impl GitHub {
    pub async fn repository(&self, inst: u64, repo: &str) -> GhResult<Repository> {
        self.get(inst, &format!("/repos/{repo}")).await
    }

    /// A file on the default branch, read conditionally: with the ETag of the copy we
    /// hold, GitHub answers 304 (not counted against the rate limit) if it is unchanged.
    pub async fn file_if_changed(
        &self,
        inst: u64,
        repo: &str,
        path: &str,
        etag: Option<&str>,
    ) -> GhResult<FileAnswer> {
        let mut headers = HeaderMap::new();
        if let Some(tag) = etag
            && let Ok(v) = http::HeaderValue::from_str(tag)
        {
            headers.insert(http::header::IF_NONE_MATCH, v);
        }
        match self
            .request(
                Some(inst),
                Method::GET,
                &format!("/repos/{repo}/contents/{path}"),
                None,
                Some(headers),
            )
            .await
        {
            Ok(a) if a.status == StatusCode::NOT_MODIFIED => Ok(FileAnswer::NotModified),
            Ok(a) => {
                let etag = a
                    .headers
                    .get(http::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok(FileAnswer::Found(a.json()?, etag))
            }
            Err(e) if e.is_not_found() => Ok(FileAnswer::Missing),
            Err(e) => Err(e),
        }
    }

    /// A file at a commit or branch (`git_ref`); `None` if it is not there.
    pub async fn file_at(
        &self,
        inst: u64,
        repo: &str,
        path: &str,
        git_ref: &str,
    ) -> GhResult<Option<FileContent>> {
        let git_ref = url::form_urlencoded::byte_serialize(git_ref.as_bytes()).collect::<String>();
        match self
            .get(
                inst,
                &format!("/repos/{repo}/contents/{path}?ref={git_ref}"),
            )
            .await
        {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}
