//! The axum glue: one fallback handler that authenticates the request, applies injected
//! faults, routes it, answers conditional GETs, records it, and adds the headers GitHub sends
//! with every answer.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::handlers::{self, Reply, Req};
use super::state::State;
use super::{Auth, Fault, Recorded, auth, render, schema};

type SharedState = Arc<Mutex<State>>;

/// Largest request body read (GitHub's own limit is about this size).
const BODY_LIMIT: usize = 32 << 20;

/// Binds 127.0.0.1 on a random port and serves in the current runtime.
pub async fn start() -> (SharedState, String, JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let url = format!("http://{}", listener.local_addr().expect("local address"));
    let state = Arc::new(Mutex::new(State::new(url.clone())));
    let app = Router::new().fallback(handle).with_state(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("fake GitHub serves");
    });
    (state, url, server)
}

fn lock(state: &SharedState) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn handle(AxumState(state): AxumState<SharedState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_uppercase();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let authorization = header(header::AUTHORIZATION);
    let if_none_match = header(header::IF_NONE_MATCH);
    let bytes = to_bytes(body, BODY_LIMIT).await.unwrap_or_default();
    let body: Option<Value> = if bytes.is_empty() {
        Some(Value::Null)
    } else {
        serde_json::from_slice(&bytes).ok()
    };

    // Who is asking, and is a fault waiting for this request? (No lock held while sleeping.)
    let (auth, fault) = {
        let mut st = lock(&state);
        (
            auth::classify(&st, authorization.as_deref()),
            st.take_fault(&method, &path),
        )
    };
    if let Some(delay) = fault.as_ref().and_then(|f| f.delay) {
        tokio::time::sleep(delay).await;
    }
    let fault = fault.filter(|f| f.status != 0);

    let mut st = lock(&state);
    if let Err(violation) = schema::check(&method, &path, body.as_ref()) {
        st.violations.push(violation);
    }
    let recorded_body = body.clone().unwrap_or(Value::Null);
    let mut reply = match (&fault, body) {
        (Some(fault), _) if !fault.perform_first => fault_reply(fault),
        (_, None) => Reply::error(400, "Problems parsing JSON"),
        (_, Some(body)) => {
            let req = Req::new(&method, &path, body, auth.clone());
            let reply = handlers::route(&mut st, &req).unwrap_or_else(|error| error);
            fault.as_ref().map_or(reply, fault_reply)
        }
    };
    if let Some(body) = reply.body.take() {
        reply.body = Some(render::with_api_base(body, &st.base_url));
    }
    let bytes = reply
        .body
        .as_ref()
        .map(|b| serde_json::to_vec(b).expect("JSON serializes"));

    // Conditional requests: every successful GET has an ETag; a matching If-None-Match is 304.
    let mut headers = HeaderMap::new();
    if method == "GET" && reply.status == 200 {
        let etag = format!(
            "\"{}\"",
            render::fake_sha(&String::from_utf8_lossy(
                bytes.as_deref().unwrap_or_default()
            ))
        );
        let matches = if_none_match.is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
        insert(&mut headers, "etag", &etag);
        if matches {
            reply.status = 304;
        }
    }
    let bytes = if reply.status == 304 || reply.status == 204 {
        None
    } else {
        bytes
    };

    st.requests.push(Recorded {
        method: method.clone(),
        path,
        body: recorded_body,
        auth: auth.clone(),
        status: reply.status,
        at: Instant::now(),
    });

    // Rate-limit headers, counted per credential.
    let (bucket, limit) = match &auth {
        Auth::App => ("app".to_string(), 5000u64),
        Auth::Installation(id) => (format!("installation:{id}"), 5000),
        Auth::None | Auth::Invalid => ("anonymous".to_string(), 60),
    };
    let used = st.rate_used.entry(bucket).or_default();
    if reply.status != 304 {
        *used += 1;
    }
    let reset = Timestamp::now().as_second() + 3600;
    insert(&mut headers, "x-ratelimit-limit", &limit.to_string());
    insert(
        &mut headers,
        "x-ratelimit-remaining",
        &limit.saturating_sub(*used).to_string(),
    );
    insert(&mut headers, "x-ratelimit-used", &used.to_string());
    insert(&mut headers, "x-ratelimit-reset", &reset.to_string());
    insert(&mut headers, "x-ratelimit-resource", "core");
    insert(&mut headers, "x-github-api-version-selected", "2022-11-28");
    insert(
        &mut headers,
        "x-github-request-id",
        &format!("FAKE:{:X}", st.requests.len()),
    );
    if bytes.is_some() {
        insert(
            &mut headers,
            "content-type",
            "application/json; charset=utf-8",
        );
    }
    for (name, value) in &reply.headers {
        insert(&mut headers, name, value);
    }

    let mut response = Response::new(bytes.map_or_else(Body::empty, Body::from));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *response.headers_mut() = headers;
    response
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    let name = HeaderName::from_bytes(name.as_bytes()).expect("valid header name");
    headers.insert(
        name,
        HeaderValue::from_str(value).expect("valid header value"),
    );
}

/// The answer an injected fault gives: its body, or GitHub's error body with the status's
/// reason, and its headers.
fn fault_reply(fault: &Fault) -> Reply {
    let reason = StatusCode::from_u16(fault.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let body = fault.body.clone().unwrap_or_else(|| render::error(reason));
    Reply {
        status: fault.status,
        body: Some(body),
        headers: fault.headers.clone(),
    }
}
