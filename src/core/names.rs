//! Names GitHub compares without regard to case, each with one rule.
//!
//! A label, a login and a repository name arrive as strings from many places (the
//! configuration file, payloads, API answers, the store) in whatever case a person
//! typed. Comparing them as bare strings let two rules grow side by side (Unicode
//! lowercase in the configuration, ASCII-only in the engine), which disagree on a label
//! such as `Prêt-À-Fusionner`. Each type here keeps the spelling it was given (shown
//! to people, sent to GitHub) and compares, hashes and keys by one rule.
//!
//! Stored forms are unchanged: each type is (de)serialised as its plain string.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

/// The one folding rule: Unicode lowercase. GitHub's logins and repository names are
/// ASCII, where this is ASCII lowercase; labels may hold any character, and GitHub
/// treats `Bug` and `bug` as the same label.
fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn same(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

macro_rules! case_insensitive_name {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(name: impl Into<String>) -> Self {
                Self(name.into())
            }

            /// The spelling it was given.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether `other` names the same thing (the one rule).
            pub fn is(&self, other: &str) -> bool {
                same(&self.0, other)
            }

            /// The folded spelling, for map keys and database keys.
            pub fn key(&self) -> String {
                fold(&self.0)
            }

            /// Whether two bare strings name the same thing (the one rule).
            pub fn same(a: &str, b: &str) -> bool {
                same(a, b)
            }

            /// The folded spelling of a bare string, for lookups by a name not yet
            /// wrapped.
            pub fn key_of(name: &str) -> String {
                fold(name)
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                same(&self.0, &other.0)
            }
        }

        impl Eq for $name {}

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                same(&self.0, other)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                same(&self.0, other)
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                same(&self.0, other)
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, state: &mut H) {
                for c in self.0.chars().flat_map(char::to_lowercase) {
                    c.hash(state);
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    };
}

case_insensitive_name! {
    /// A label's name. GitHub keeps one label per name whatever its case.
    LabelName
}

case_insensitive_name! {
    /// A GitHub user's or bot's login (`octocat`, `renovate[bot]`).
    Login
}

case_insensitive_name! {
    /// A repository's full name, `owner/name`.
    RepoName
}

impl RepoName {
    /// The owner's login: the part before `/`.
    pub fn owner(&self) -> &str {
        self.0.split('/').next().unwrap_or_default()
    }
}

/// An issue or pull request: its repository and number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ItemRef {
    pub repo: RepoName,
    pub number: u64,
}

impl ItemRef {
    pub fn new(repo: impl Into<RepoName>, number: u64) -> Self {
        Self {
            repo: repo.into(),
            number,
        }
    }

    /// `owner/name#number`, folded: the key that keeps one item's deliveries in order.
    pub fn key(&self) -> String {
        format!("{}#{}", self.repo.key(), self.number)
    }
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.repo, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn labels_compare_by_one_rule_beyond_ascii() {
        let label = LabelName::new("Prêt-À-Fusionner");
        assert!(label.is("prêt-à-fusionner"));
        assert_eq!(label, "PRÊT-À-FUSIONNER");
        assert_ne!(label, "pret-a-fusionner");
        assert_eq!(label.key(), "prêt-à-fusionner");
        assert_eq!(label.as_str(), "Prêt-À-Fusionner", "the spelling is kept");
    }

    #[test]
    fn equal_names_hash_alike() {
        let set: HashSet<LabelName> = ["Intent-To-Merge", "intent-to-merge", "INTENT-TO-MERGE"]
            .into_iter()
            .map(LabelName::from)
            .collect();
        assert_eq!(set.len(), 1);
        let logins: HashSet<Login> = ["Alice", "alice"].into_iter().map(Login::from).collect();
        assert_eq!(logins.len(), 1);
    }

    #[test]
    fn keys_are_the_stored_keys() {
        // The store has keyed repositories and items by `to_lowercase` since its first
        // release; these keys must not change.
        let repo = RepoName::new("Octo-Org/Hello.World");
        assert_eq!(repo.key(), "octo-org/hello.world");
        assert_eq!(repo.owner(), "Octo-Org");
        assert_eq!(ItemRef::new(repo, 7).key(), "octo-org/hello.world#7");
        assert_eq!(RepoName::key_of("A/B"), "a/b");
    }

    #[test]
    fn stored_as_plain_strings() {
        let json = serde_json::to_string(&LabelName::new("intent-to-Merge")).unwrap();
        assert_eq!(json, "\"intent-to-Merge\"");
        let back: Login = serde_json::from_str("\"Alice\"").unwrap();
        assert_eq!(back.as_str(), "Alice");
    }
}
