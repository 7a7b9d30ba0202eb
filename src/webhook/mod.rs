//! The webhook receiver: `POST /api/github/webhooks`.
//!
//! The order of checks is the contract of SPEC section 1:
//! size (413, at once for a declared `Content-Length` over the limit) -> room among the
//! body bytes in flight ([`BodyBudget`], 503 after a short wait) -> signature over the
//! raw bytes, in constant time (401) -> JSON (400) -> durable write keyed by
//! `X-GitHub-Delivery` (503 if it fails) -> 2xx.
//! Nothing is processed here: the engine picks recorded deliveries up after the
//! answer, so GitHub's 10-second limit is never at the mercy of the GitHub API.
//!
//! Concurrent deliveries are committed together ([`Intake`]): one transaction, one
//! fsync for all deliveries waiting at that moment, and each request is answered
//! only after the transaction that holds it has committed.

pub mod route;

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use hmac::Mac;
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::clock::Clock;
use crate::github::event::Payload;
use crate::http::secret::hmac_sha256;
use crate::store::group_commit::GroupCommit;
use crate::store::{Need, NewDelivery, Recorded, Store};

/// Where GitHub delivers events (SPEC section 1).
pub const PATH: &str = "/api/github/webhooks";

/// GitHub caps payloads at 25 MB.
pub const MAX_BODY: usize = 25 * 1024 * 1024;
/// The most deliveries committed in one transaction.
const MAX_BATCH: usize = 512;

/// The events tacit subscribes to or is sent without asking: the only values of
/// `X-GitHub-Event` that get a metrics series of their own (any other is `other`).
pub const KNOWN_EVENTS: &[&str] = &[
    "check_run",
    "check_suite",
    "installation",
    "installation_repositories",
    "issue_comment",
    "issues",
    "label",
    "ping",
    "pull_request",
    "pull_request_review",
    "push",
    "status",
];

/// The bytes of webhook bodies buffered at once, all requests together. A request
/// reserves its declared `Content-Length` (the largest allowed body if it declares
/// none) before its body is read, and holds it until it is answered.
#[derive(Clone)]
pub struct BodyBudget {
    /// One permit per KiB.
    kib: Arc<Semaphore>,
    total_kib: u32,
    wait: Duration,
}

impl BodyBudget {
    /// `bytes` in flight at most; a request waits up to `wait` for room.
    pub fn new(bytes: usize, wait: Duration) -> BodyBudget {
        let total_kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, Semaphore::MAX_PERMITS as u32);
        BodyBudget {
            kib: Arc::new(Semaphore::new(total_kib as usize)),
            total_kib,
            wait,
        }
    }

    /// Room for `bytes` (at most the whole budget), or `None` if none came in time.
    async fn reserve(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let kib = u32::try_from(bytes.div_ceil(1024).max(1))
            .unwrap_or(u32::MAX)
            .min(self.total_kib);
        tokio::time::timeout(self.wait, self.kib.clone().acquire_many_owned(kib))
            .await
            .ok()?
            .ok()
    }
}

/// A request's body, read within the size limit and the budget; the reservation is
/// held as long as this is.
pub struct ReadBody {
    pub bytes: Bytes,
    _reserved: OwnedSemaphorePermit,
}

/// Read a webhook request's body: 413 at once for a declared length over [`MAX_BODY`]
/// (the body is never read), 503 if no room frees up among the bytes in flight.
pub async fn read_body(
    budget: &BodyBudget,
    headers: &HeaderMap,
    body: Body,
) -> Result<ReadBody, Reply> {
    let declared = match headers.get(header::CONTENT_LENGTH) {
        None => None,
        Some(v) => match v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(n) => Some(n),
            None => return Err(Reply::BrokenBody),
        },
    };
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(Reply::TooLarge);
    }
    let reserved = budget
        .reserve(declared.map_or(MAX_BODY, |n| n as usize))
        .await
        .ok_or(Reply::Busy)?;
    // Into one buffer of the declared size: the bytes held are the bytes reserved (a
    // list of chunks joined at the end would hold them twice for a moment).
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| Reply::BrokenBody)?.into_data() else {
            continue;
        };
        if bytes.len() + data.len() > MAX_BODY {
            return Err(Reply::TooLarge);
        }
        bytes.extend_from_slice(&data);
    }
    Ok(ReadBody {
        bytes: Bytes::from(bytes),
        _reserved: reserved,
    })
}

/// Verify `X-Hub-Signature-256` (`sha256=<hex>`) over the raw body, in constant time.
pub fn verify_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    hmac_sha256(secret, body).verify_slice(&sig).is_ok()
}

/// Group commit of incoming deliveries.
#[derive(Clone)]
pub struct Intake {
    commit: GroupCommit<NewDelivery, Result<bool, String>>,
}

impl Intake {
    /// Start the writer task. `on_new` is called after each commit that recorded new
    /// deliveries with work for the engine.
    pub fn start(
        store: Store,
        clock: Arc<dyn Clock>,
        on_new: impl Fn() + Send + Sync + 'static,
    ) -> Intake {
        let on_new = Arc::new(on_new);
        let commit = GroupCommit::start(4096, MAX_BATCH, move |deliveries: Vec<NewDelivery>| {
            let (store, clock, on_new) = (store.clone(), clock.clone(), on_new.clone());
            async move {
                let result = store
                    .insert_deliveries(&deliveries, clock.now().as_millisecond())
                    .await;
                match result {
                    Ok(recorded) => {
                        // Wakes the engine when it has work; the callers are answered in
                        // the same step, right after (which of the woken tasks runs
                        // first was never fixed).
                        if recorded.contains(&Recorded::Pending) {
                            on_new();
                        }
                        recorded
                            .into_iter()
                            .map(|r| Ok(r != Recorded::Duplicate))
                            .collect()
                    }
                    Err(e) => {
                        tracing::error!(error = %e, n = deliveries.len(), "cannot record deliveries");
                        deliveries.iter().map(|_| Err(e.to_string())).collect()
                    }
                }
            }
        });
        Intake { commit }
    }

    /// Record one delivery durably. `Ok(true)`: new; `Ok(false)`: seen before.
    pub async fn record(&self, d: NewDelivery) -> Result<bool, String> {
        self.commit
            .submit(d)
            .await
            .map_err(|_| "intake stopped".to_string())?
    }
}

/// What the receiver answered, and why (for logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Recorded,
    Duplicate,
    BadSignature,
    BadRequest,
    Unavailable,
    /// Over [`MAX_BODY`] (declared or sent); not verified.
    TooLarge,
    /// No room among the body bytes in flight; not verified.
    Busy,
    /// The body could not be read (bad `Content-Length`, broken chunks, cut off).
    BrokenBody,
}

impl Reply {
    pub fn status(self) -> StatusCode {
        match self {
            Reply::Recorded => StatusCode::ACCEPTED,
            Reply::Duplicate => StatusCode::OK,
            Reply::BadSignature => StatusCode::UNAUTHORIZED,
            Reply::BadRequest | Reply::BrokenBody => StatusCode::BAD_REQUEST,
            Reply::Unavailable | Reply::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Reply::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// For a request turned away before its signature was verified: why (the
    /// `reason` label of `tacit_webhook_rejected_total`).
    pub fn rejection(self) -> Option<&'static str> {
        match self {
            Reply::BadSignature => Some("signature"),
            Reply::TooLarge => Some("too_large"),
            Reply::Busy => Some("busy"),
            Reply::BrokenBody => Some("body"),
            Reply::Recorded | Reply::Duplicate | Reply::BadRequest | Reply::Unavailable => None,
        }
    }

    /// The answer's text for the verdicts [`read_body`] gives.
    pub fn text(self) -> &'static str {
        match self {
            Reply::TooLarge => "body over 25 MB\n",
            Reply::Busy => "too many deliveries in flight; try again\n",
            Reply::BrokenBody => "body could not be read\n",
            Reply::BadSignature => "signature missing or wrong\n",
            _ => "",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Reply::Recorded => "recorded",
            Reply::Duplicate => "duplicate",
            Reply::BadSignature => "bad_signature",
            Reply::BadRequest => "bad_request",
            Reply::Unavailable => "unavailable",
            Reply::TooLarge => "too_large",
            Reply::Busy => "busy",
            Reply::BrokenBody => "broken_body",
        }
    }
}

/// Check and record one delivery. The body size limit is enforced before this runs
/// ([`read_body`]).
pub async fn receive(
    secret: &[u8],
    intake: &Intake,
    headers: &HeaderMap,
    body: &Bytes,
) -> (Reply, &'static str) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if !verify_signature(secret, body, header("x-hub-signature-256")) {
        return (Reply::BadSignature, Reply::BadSignature.text());
    }
    let (Some(id), Some(event)) = (header("x-github-delivery"), header("x-github-event")) else {
        return (
            Reply::BadRequest,
            "X-GitHub-Delivery and X-GitHub-Event are required\n",
        );
    };
    if id.is_empty() || id.len() > 200 {
        return (
            Reply::BadRequest,
            "X-GitHub-Delivery is not a delivery id\n",
        );
    }
    let payload = match Payload::parse(body) {
        Ok(p) => p,
        Err(_) => return (Reply::BadRequest, "body is not a JSON webhook payload\n"),
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return (Reply::BadRequest, "body is not UTF-8\n");
    };
    // Stored as a signed 64-bit integer: a larger id would come back as another one.
    let installation_id = match payload.installation.as_ref().map(|i| i64::try_from(i.id)) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            return (
                Reply::BadRequest,
                "installation.id is out of range (above 9223372036854775807)\n",
            );
        }
    };
    // PostgreSQL text cannot hold NUL: strip it from the few decoded values stored in
    // columns (the raw body is stored as sent; JSON text never holds a raw NUL).
    let no_nul = |s: String| s.replace('\0', "");
    // A delivery the engine has no use for is recorded (for deduplication and the
    // redelivery sweep) as done, without its body; whether a CI event, a comment or a
    // review concerns an open intent is settled in the recording transaction.
    let need = route::route(event, &payload).map_or(Need::Nothing, |r| r.need());
    let delivery = NewDelivery {
        id: id.to_string(),
        event: event.to_string(),
        action: payload.action.clone().map(no_nul),
        installation_id,
        item_key: no_nul(payload.item_key()),
        payload: match need {
            Need::Nothing => String::new(),
            _ => text.to_string(),
        },
        need,
    };
    match intake.record(delivery).await {
        Ok(true) => (Reply::Recorded, "recorded\n"),
        Ok(false) => (Reply::Duplicate, "already recorded\n"),
        Err(_) => (
            Reply::Unavailable,
            "cannot record the delivery now; try again\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `X-Hub-Signature-256` GitHub sends with `body`.
    fn sign(secret: &[u8], body: &[u8]) -> String {
        let tag = hmac_sha256(secret, body).finalize().into_bytes();
        format!("sha256={}", hex::encode(tag))
    }

    #[test]
    fn signatures_are_checked() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let good = sign(b"secret", body);
        assert!(verify_signature(b"secret", body, Some(&good)));
        assert!(!verify_signature(b"other", body, Some(&good)));
        assert!(!verify_signature(b"secret", b"{}", Some(&good)));
        assert!(!verify_signature(b"secret", body, None));
        assert!(!verify_signature(b"secret", body, Some("sha256=zz")));
        assert!(!verify_signature(
            b"secret",
            body,
            Some(good.trim_start_matches("sha256="))
        ));
        assert!(!verify_signature(b"secret", body, Some("sha1=abc")));
    }

    #[test]
    fn github_documented_example_signature() {
        // From GitHub's "Validating webhook deliveries" documentation.
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(verify_signature(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            Some(sig)
        ));
    }
}
