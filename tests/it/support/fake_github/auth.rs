//! Authentication as GitHub does it: App JWTs (RS256, signed with the App's private key) for
//! `/app/...` endpoints, installation tokens for everything an installation may do.

use std::sync::LazyLock;

use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::Value;

use super::super::keys;
use super::Auth;
use super::state::{State, Token};

/// How long an installation token lives.
pub const TOKEN_LIFETIME: SignedDuration = SignedDuration::from_hours(1);

static PUBLIC_KEY: LazyLock<DecodingKey> = LazyLock::new(|| {
    DecodingKey::from_rsa_pem(keys::public_key_pem().as_bytes()).expect("test public key parses")
});

/// Classifies an `Authorization` header value (`Bearer <x>` or `token <x>`).
pub fn classify(st: &State, header: Option<&str>) -> Auth {
    let Some(header) = header else {
        return Auth::None;
    };
    let credential = match header.split_once(' ') {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") =>
        {
            rest.trim()
        }
        _ => return Auth::Invalid,
    };
    if let Some(token) = st.tokens.get(credential) {
        let active = st
            .installations
            .get(&token.installation)
            .is_some_and(|i| i.suspended_at.is_none());
        let usable = active && token.expires_at > Timestamp::now();
        return if usable {
            Auth::Installation(token.installation)
        } else {
            Auth::Invalid
        };
    }
    if app_jwt_is_valid(credential) {
        Auth::App
    } else {
        Auth::Invalid
    }
}

/// RS256 with the App's key, `iss` the App id (number or string), `exp` in the future and at
/// most 10 minutes after `iat`, `iat` not in the future (a minute of clock drift allowed).
fn app_jwt_is_valid(jwt: &str) -> bool {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let Ok(data) = jsonwebtoken::decode::<Value>(jwt, &PUBLIC_KEY, &validation) else {
        return false;
    };
    let claims = data.claims;
    let iss_ok = match &claims["iss"] {
        Value::Number(n) => n.as_u64() == Some(keys::APP_ID),
        Value::String(s) => s == &keys::APP_ID.to_string(),
        _ => false,
    };
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return false;
    };
    let now = Timestamp::now().as_second();
    iss_ok && exp > now && exp - iat <= 600 && iat <= now + 60
}

/// Issues a fresh `ghs_...` token for an installation; returns it with its expiry.
pub fn issue_token(st: &mut State, installation: u64) -> (String, Timestamp) {
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(36)
        .map(char::from)
        .collect();
    let token = format!("ghs_{random}");
    let expires_at =
        Timestamp::from_second(Timestamp::now().as_second()).expect("in range") + st.token_lifetime;
    *st.token_mints.entry(installation).or_default() += 1;
    st.tokens.insert(
        token.clone(),
        Token {
            installation,
            expires_at,
        },
    );
    (token, expires_at)
}
