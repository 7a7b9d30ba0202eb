//! Wiring: the HTTP server, the intake, the engine and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::{Clock, SystemClock};
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
}

/// The HTTP routes of SPEC section 1.
fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/api/github/webhooks",
            post(receive).layer(DefaultBodyLimit::max(webhook::MAX_BODY)),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
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
        let intake = Intake::start(store.clone(), clock, move || kick_engine.kick());
        let state = AppState {
            metrics,
            secret: Arc::from(settings.webhook_secret.as_bytes()),
            intake,
            store: store.clone(),
        };
        tracing::info!(listen = %addr, "tacit is listening");

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
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
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
