//! The test GitHub App's identity: id, webhook secret and RSA key pair.
//!
//! The key pair in `tests/fixtures/` was generated for these tests only and protects nothing.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The App id the fake GitHub expects in the JWT's `iss` claim.
pub const APP_ID: u64 = 4242;

/// The webhook secret deliveries are signed with.
pub const WEBHOOK_SECRET: &str = "tacit-test-webhook-secret";

/// The App's private key, PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), as GitHub issues it.
pub fn private_key_pem() -> &'static str {
    include_str!("../../fixtures/test-app-key.pem")
}

/// The matching public key (SPKI PEM), which the fake GitHub verifies JWTs with.
pub fn public_key_pem() -> &'static str {
    include_str!("../../fixtures/test-app-key.pub.pem")
}

/// A JWT signed with the test key carrying exactly these claims (for tests of bad tokens).
pub fn jwt_with_claims(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(private_key_pem().as_bytes()).expect("test key parses");
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).expect("JWT encodes")
}

/// A valid App JWT as GitHub wants it: issued 60 s ago, expiring in 9 minutes.
pub fn app_jwt() -> String {
    let now = jiff::Timestamp::now().as_second();
    jwt_with_claims(&json!({ "iss": APP_ID, "iat": now - 60, "exp": now + 9 * 60 }))
}
