//! Wiring: the HTTP server, the intake, the engine and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::clock::{Clock, SystemClock};
use crate::engine::Engine;
use crate::github::GitHub;
use crate::http::dashboard::{self, Token};
use crate::metrics::Metrics;
use crate::settings::{HttpLimits, Settings};
use crate::store::Store;
use crate::throttle::{Throttle, truncate};
use crate::webhook::{self, BodyBudget, Intake};

#[derive(Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    secret: Arc<[u8]>,
    intake: Intake,
    /// Webhook body bytes buffered at once.
    bodies: BodyBudget,
    /// One log line per interval for webhook requests turned away unverified.
    rejections: Arc<Throttle>,
    store: Store,
    clock: Arc<dyn Clock>,
    /// `Some` when `DASHBOARD_TOKEN` is set.
    dashboard: Option<Arc<Dashboard>>,
}

/// What `GET /dashboard` needs besides the store and the clock.
struct Dashboard {
    token: Token,
    /// Where the page's links point (`Settings::github_web_url`).
    web_root: String,
}

/// The HTTP routes of SPEC section 1, and the dashboard when it is on.
fn router(state: AppState, request_timeout: Duration) -> Router {
    let mut routes = Router::new()
        // The body size limit is `webhook::read_body`'s.
        .route(webhook::PATH, post(receive))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics));
    // Off means absent: a 404 like any unknown path, revealing nothing.
    if state.dashboard.is_some() {
        routes = routes.route("/dashboard", get(dashboard_page));
    }
    routes
        // A slow or stalled client cannot hold a request open for long.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .with_state(state)
}

async fn receive(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let (verdict, text) = match webhook::read_body(&app.bodies, &headers, body).await {
        Ok(body) => webhook::receive(&app.secret, &app.intake, &headers, &body.bytes).await,
        Err(verdict) => (verdict, verdict.text()),
    };
    let header = |name: &str| {
        let value = headers.get(name).and_then(|v| v.to_str().ok());
        truncate(value.unwrap_or(""), 80)
    };
    match verdict.rejection() {
        // Anyone can send these, as fast as they like: counted, and logged at most
        // once per interval.
        Some(reason) => {
            app.metrics.rejected(reason);
            if let Some(requests) = app.rejections.hit(Instant::now()) {
                tracing::warn!(
                    requests,
                    reason,
                    delivery = %header("x-github-delivery"),
                    event = %header("x-github-event"),
                    "webhook requests turned away unverified (one line per interval at most; the last one shown)"
                );
            }
        }
        None => {
            let event = header("x-github-event");
            tracing::info!(
                delivery = %header("x-github-delivery"),
                event = %event,
                verdict = verdict.name(),
                "webhook"
            );
            app.metrics.delivery(&event, verdict.name());
        }
    }
    (verdict.status(), text).into_response()
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let open = tokio::time::timeout(Duration::from_secs(3), app.store.count_open_intents())
        .await
        .ok()
        .and_then(Result::ok);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        app.metrics.render(open),
    )
}

/// `GET /dashboard`: the token first, then one bounded read of the store.
async fn dashboard_page(State(app): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let Some(d) = app.dashboard.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !d.token.admits(authorization, uri.query()) {
        return (
            StatusCode::UNAUTHORIZED,
            dashboard::response_headers(),
            [(header::WWW_AUTHENTICATE, "Bearer")],
            dashboard::UNAUTHORIZED,
        )
            .into_response();
    }
    let read = async {
        let (intents, truncated) = app.store.open_intents_sorted(dashboard::MAX_ROWS).await?;
        let left_out_of = match truncated {
            true => Some(app.store.count_open_intents().await?),
            false => None,
        };
        let frozen = app.store.frozen_installations().await?;
        anyhow::Ok((intents, left_out_of, frozen))
    };
    let (intents, left_out_of, frozen) =
        match tokio::time::timeout(Duration::from_secs(5), read).await {
            Ok(Ok(read)) => read,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "dashboard: cannot read open intents");
                return dashboard_unavailable();
            }
            Err(_) => {
                tracing::warn!("dashboard: reading open intents timed out");
                return dashboard_unavailable();
            }
        };
    let page = dashboard::render(&dashboard::Page {
        intents: &intents,
        left_out_of,
        frozen: &frozen,
        web_root: &d.web_root,
        now: app.clock.now(),
    });
    (dashboard::response_headers(), Html(page)).into_response()
}

fn dashboard_unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        dashboard::response_headers(),
        "database unavailable; try again\n",
    )
        .into_response()
}

async fn healthz(State(app): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(3), app.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

/// Run `tacit serve` until SIGTERM or SIGINT.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let server = Server::start(settings).await?;
    shutdown_signal().await;
    server.stop().await;
    Ok(())
}

/// A running tacit: HTTP server, intake and engine.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    http: JoinHandle<()>,
    worker: JoinHandle<()>,
    store: Store,
    engine: Arc<Engine>,
}

impl Server {
    /// Connect to the database, bind the port, and start serving and working.
    pub async fn start(settings: Settings) -> anyhow::Result<Server> {
        Server::start_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// [`Server::start`] with another clock (tests move time with it).
    pub async fn start_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Server> {
        let store = Store::connect(&settings.database_url).await?;
        // Rows of releases before migration 0006 get `intents.head_sha`, once per
        // database, in the background: until then a CI delivery about such an intent's
        // head is set aside at intake, and a refused merge among them retries on its
        // 15-minute timer instead.
        tokio::spawn({
            let store = store.clone();
            async move {
                match store.fill_head_columns().await {
                    Ok(Some(rows)) => tracing::info!(rows, "intents.head_sha filled"),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(
                        error = %e,
                        "cannot fill intents.head_sha now; tried again at the next start"
                    ),
                }
            }
        });
        let metrics = Arc::new(Metrics::default());
        let limits = settings.tuning.http.clone();
        let max_connections = connection_cap(limits.max_connections);
        metrics.connections_max(max_connections);
        let gh = GitHub::new(&settings, metrics.clone())?;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
        let addr = listener.local_addr()?;
        // Bound first: a previous life of this replica cannot be listening any more.
        let owner = crate::engine::replica_name(addr.port());
        store.release_stale_leases(&owner).await?;
        let engine = Engine::new(
            store.clone(),
            gh,
            clock.clone(),
            settings.tuning.clone(),
            owner,
            metrics.clone(),
        );

        let kick_engine = engine.clone();
        let intake = Intake::start(store.clone(), clock.clone(), move || {
            kick_engine.kick_deliveries()
        });
        let dashboard = settings.dashboard_token.as_deref().map(|token| {
            Arc::new(Dashboard {
                token: Token::new(token),
                web_root: settings.github_web_url.clone(),
            })
        });
        let state = AppState {
            metrics: metrics.clone(),
            secret: Arc::from(settings.webhook_secret.as_bytes()),
            intake,
            bodies: BodyBudget::new(limits.body_bytes_in_flight, limits.body_wait),
            rejections: Arc::new(Throttle::new(limits.log_interval)),
            store: store.clone(),
            clock,
            dashboard,
        };
        tracing::info!(
            listen = %addr,
            dashboard = state.dashboard.is_some(),
            "tacit is listening"
        );

        let (stop, stop_rx) = watch::channel(false);
        let worker = {
            let engine = engine.clone();
            let stop = stop_rx.clone();
            tokio::spawn(async move {
                engine.learn_identity().await;
                let reconciler = tokio::spawn(engine.clone().reconcile_loop(stop.clone()));
                engine.run(stop).await;
                let _ = reconciler.await;
            })
        };
        let app = router(state, limits.request_timeout);
        let http = tokio::spawn(serve_http(
            listener,
            app,
            limits,
            max_connections,
            metrics,
            stop_rx,
        ));
        Ok(Server {
            addr,
            stop,
            http,
            worker,
            store,
            engine,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// One reconciliation pass now (see [`Engine::reconcile`]), as at start.
    pub async fn reconcile(&self) -> crate::engine::Report {
        self.engine.reconcile().await
    }

    /// Run the work due now and what it causes until nothing is due (see
    /// [`Engine::run_pending`]); first waits for the App's identity, which the engine
    /// learns before its loops start.
    pub async fn run_pending(&self, timeout: Duration) -> anyhow::Result<usize> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.engine.bot_login().is_none() {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the App's identity is unknown"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.engine.run_pending(timeout).await
    }

    /// Stop taking deliveries, finish the work in flight, release the database.
    pub async fn stop(self) {
        tracing::info!("stopping: finishing work in flight");
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(30), self.http).await;
        let _ = tokio::time::timeout(Duration::from_secs(30), self.worker).await;
        self.store.close().await;
        tracing::info!("stopped");
    }
}

/// The most connections to serve at once: `wanted`, but below the open file limit
/// (raised to its hard limit first, where allowed), leaving room for the database, GitHub
/// and the process's own files.
fn connection_cap(wanted: usize) -> usize {
    const RESERVED: u64 = 256;
    let files = raise_open_file_limit();
    let cap = files.saturating_sub(RESERVED).max(files / 2).max(16);
    wanted
        .min(usize::try_from(cap).unwrap_or(usize::MAX))
        .max(1)
}

/// One malloc arena for the whole process, unless the operator set
/// `MALLOC_ARENA_MAX`. glibc gives threads arenas of their own (up to 8 per core),
/// each keeping the memory freed in it: tacit's threads (the runtime's, one per SQLite
/// connection) then held a third more memory than they used, measured as peak RSS
/// 34.0 -> 26.8 MiB under the benchmark's mix (docs/benchmarks.md) at no cost in
/// deliveries/s. Called first thing, before any thread starts.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; no thread has started yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

/// Raise the soft limit on open files to the hard limit; returns the soft limit now in
/// force (1024 if it cannot be read).
#[cfg(unix)]
pub fn raise_open_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    // RLIM_INFINITY is u64::MAX: as large as anything this is compared with. (`rlim_t`
    // is u64 on Linux, not on every Unix.)
    #[allow(clippy::unnecessary_cast)]
    let soft = limit.rlim_cur as u64;
    soft
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> u64 {
    1024
}

/// Serve HTTP/1.1 on `listener` until `stop`, then let the connections finish what they
/// are answering. Every connection must send its request headers within the header
/// timeout (also the keep-alive idle timeout), in at most `max_header_bytes`; at most
/// `max_connections` are served at once, the rest wait in the listen queue.
async fn serve_http(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    max_connections: usize,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(max_connections));
    let accept_errors = Throttle::new(limits.log_interval);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("never closed"),
            () = stopped(&mut stop) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                if let Some(errors) = accept_errors.hit(Instant::now()) {
                    tracing::warn!(
                        error = %e,
                        errors,
                        "cannot accept connections (one line per interval at most)"
                    );
                }
                // Out of file descriptors, most often: give connections time to close.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let counted = metrics.connection();
        let conn =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed");
            }
            drop(counted);
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
