//! Wiring: the HTTP server, the intake, the engine and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::{Clock, SystemClock};
use crate::dashboard::{self, Token};
use crate::engine::Engine;
use crate::github::GitHub;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::Store;
use crate::webhook::{self, Intake};

#[derive(Clone)]
struct AppState {
    metrics: Arc<Metrics>,
    secret: Arc<[u8]>,
    intake: Intake,
    store: Store,
    clock: Arc<dyn Clock>,
    /// `Some` when `DASHBOARD_TOKEN` is set.
    dashboard: Option<Arc<Dashboard>>,
}

/// What `GET /dashboard` needs besides the store and the clock.
struct Dashboard {
    token: Token,
    /// Where the page's links point (`dashboard::web_root` of `GITHUB_API_URL`).
    web_root: String,
}

/// The HTTP routes of SPEC section 1, and the dashboard when it is on.
fn router(state: AppState) -> Router {
    let mut routes = Router::new()
        .route(
            "/api/github/webhooks",
            post(receive).layer(DefaultBodyLimit::max(webhook::MAX_BODY)),
        )
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
            Duration::from_secs(20),
        ))
        .with_state(state)
}

async fn receive(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let (verdict, text) = webhook::receive(&app.secret, &app.intake, &headers, &body).await;
    let delivery = headers
        .get("x-github-delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let event = headers
        .get("x-github-event")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info!(delivery, event, verdict = verdict.name(), "webhook");
    app.metrics.delivery(event, verdict.name());
    (verdict.status(), text)
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
        let metrics = Arc::new(Metrics::default());
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
                web_root: dashboard::web_root(&settings.github_api_url),
            })
        });
        let state = AppState {
            metrics,
            secret: Arc::from(settings.webhook_secret.as_bytes()),
            intake,
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
        let mut http_stop = stop_rx;
        let http = tokio::spawn(async move {
            let result = axum::serve(listener, router(state))
                .with_graceful_shutdown(async move {
                    let _ = http_stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "HTTP server failed");
            }
        });
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
