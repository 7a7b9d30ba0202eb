//! Comparing what a request presents with a secret, in constant time: the one compare
//! of the webhook signature, the dashboard token and the setup `state`.
//!
//! Every compare is `hmac`'s `verify_slice` (constant time, by the `subtle` crate
//! underneath): the time taken says nothing about how much of the secret was right.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256.
pub type HmacSha256 = hmac::Hmac<Sha256>;

/// HMAC-SHA256 of `bytes` under `key`, ready to `finalize` or `verify_slice`.
pub fn hmac_sha256(key: &[u8], bytes: &[u8]) -> HmacSha256 {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(bytes);
    mac
}

/// A secret held as an HMAC tag under a random per-process key.
///
/// A presented value is MACed the same way and the two tags are compared with
/// `verify_slice`: neither the time taken nor the tags' lengths say anything about the
/// secret, nor about its length.
pub struct Secret {
    key: [u8; 32],
    tag: Vec<u8>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    pub fn new(secret: &str) -> Secret {
        let key: [u8; 32] = rand::random();
        let tag = hmac_sha256(&key, secret.as_bytes())
            .finalize()
            .into_bytes()
            .to_vec();
        Secret { key, tag }
    }

    /// Is `presented` the secret, whole?
    pub fn matches(&self, presented: &str) -> bool {
        hmac_sha256(&self.key, presented.as_bytes())
            .verify_slice(&self.tag)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        let secret = Secret::new("abc");
        assert!(secret.matches("abc"));
        assert!(!secret.matches("abd"));
        assert!(!secret.matches("ab"));
        assert!(!secret.matches("abcd"));
        assert!(!secret.matches(""));
        assert!(!format!("{secret:?}").contains("abc"));
    }

    #[test]
    fn the_hmac_is_rfc_4231s() {
        // RFC 4231, test case 2.
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?").finalize();
        assert_eq!(
            hex::encode(tag.into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
