//! `tacit::webhook::verify_signature` with arbitrary secrets, bodies and
//! `X-Hub-Signature-256` header strings.
//!
//! Input layout: the first line (up to the first `\n`) is the header string;
//! of the rest, the first byte `n` gives the secret length (`n % 65`), then
//! come the secret and the body. Inputs that are not UTF-8 in the header line
//! are read lossily, so every input is used.
//!
//! Invariants (a violation panics, so libFuzzer records a crash):
//! - never panics, whatever the header;
//! - an arbitrary header verifies only if it is, after trimming, `sha256=`
//!   and the hex of HMAC-SHA256(secret, body) computed independently here
//!   (hex digits in either case);
//! - that signature, `sha256=<lowercase hex>`, verifies, also with whitespace
//!   around it and in uppercase hex;
//! - that signature with one hex digit changed, over another body, without
//!   its `sha256=` prefix, or with no header at all does not verify.

#![no_main]

use hmac::{KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use tacit::webhook::verify_signature;

fn hmac_sha256(secret: &[u8], body: &[u8]) -> Vec<u8> {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

fuzz_target!(|data: &[u8]| {
    let (header_bytes, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let header = String::from_utf8_lossy(header_bytes);
    let (secret, body) = match rest.split_first() {
        Some((&n, rest)) => rest.split_at((n as usize % 65).min(rest.len())),
        None => (&[][..], &[][..]),
    };

    let expected = hmac_sha256(secret, body);
    let ok = verify_signature(secret, body, Some(&header));
    let decoded = header
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok());
    assert_eq!(
        ok,
        decoded.as_deref() == Some(&expected[..]),
        "verify_signature({header:?}) = {ok}"
    );

    let good = format!("sha256={}", hex::encode(&expected));
    assert!(
        verify_signature(secret, body, Some(&good)),
        "own signature refused"
    );
    assert!(verify_signature(
        secret,
        body,
        Some(&format!(" \t{good}\r\n"))
    ));
    let upper = format!("sha256={}", hex::encode_upper(&expected));
    assert!(
        verify_signature(secret, body, Some(&upper)),
        "uppercase hex refused"
    );

    assert!(!verify_signature(secret, body, None), "no header accepted");
    assert!(
        !verify_signature(secret, body, Some(&good["sha256=".len()..])),
        "signature without sha256= accepted"
    );
    // Change one hex digit, chosen by the input.
    let at = "sha256=".len() + header_bytes.len() % 64;
    let mut bad = good.clone().into_bytes();
    bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).unwrap();
    assert!(
        !verify_signature(secret, body, Some(&bad)),
        "{bad} accepted"
    );
    let mut other = body.to_vec();
    other.push(b'!');
    assert!(
        !verify_signature(secret, &other, Some(&good)),
        "signature accepted for another body"
    );
});
