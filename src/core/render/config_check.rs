//! The `tacit/config` check run on a pushed commit that changes `.github/tacit.yml`
//! (SPEC 5).

use super::*;

/// The `tacit/config` check run for `file` (`owner/repo/.github/tacit.yml`) at a
/// pushed commit: `Ok` when it is valid or absent, the parser's error (with line and
/// column) otherwise (SPEC 5).
pub fn config_check(
    file: &str,
    present: bool,
    result: Result<(), &super::super::config::ConfigError>,
) -> (bool, CheckView) {
    match (present, result) {
        (false, _) => (
            true,
            CheckView {
                title: "No .github/tacit.yml at this commit".into(),
                summary: format!(
                    "`{file}` is not in this commit, so the owner's shared file or the defaults apply."
                ),
            },
        ),
        (true, Ok(())) => (
            true,
            CheckView {
                title: ".github/tacit.yml is valid".into(),
                summary: format!(
                    "`{file}` is valid. It counts for intents opened after it reaches the default branch."
                ),
            },
        ),
        (true, Err(e)) => (
            false,
            CheckView {
                title: ".github/tacit.yml has an error".into(),
                summary: format!(
                    "`{file}`: {}\n\nFix it before merging: while the file is invalid, tacit acts on nothing in this repository. `tacit check-config` checks a file locally, and the user guide lists every key.",
                    inert(&e.to_string())
                ),
            },
        ),
    }
}
