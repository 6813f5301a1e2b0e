//! `lingo serve`: the HTTP API on axum. [`run`] serves on a listener until a shutdown
//! signal, then drains: the tests call it as the binary does.

mod auth;
mod events;
mod jobs;
mod metrics;
mod openapi;
mod problem;
mod request;
mod routes;
mod webhooks;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::Config;
use crate::gateway::{Gateway, GatewayError};
use crate::store::{SqliteStore, Store, StoreError};

pub use webhooks::{SIGNATURE_HEADER, sign};

#[derive(Clone)]
pub struct AppState {
    /// The running backends, and the config they were started from.
    gateway: Arc<Gateway>,
    jobs: Arc<jobs::Jobs>,
    keys: Arc<auth::Keys>,
    /// Turns true when shutdown begins: event streams end, `/readyz` says 503.
    closing: watch::Receiver<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "no API keys are configured, so lingo serves loopback only, but it was asked to listen on {0}: add [server] api_keys or listen on 127.0.0.1"
    )]
    OpenWithoutKeys(std::net::SocketAddr),
    #[error("{path}: {source}")]
    Store { path: String, source: StoreError },
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

impl ServerError {
    /// Whether the config is at fault (exit 2) rather than the machine or a backend.
    pub fn is_config(&self) -> bool {
        match self {
            ServerError::OpenWithoutKeys(_) => true,
            ServerError::Gateway(g) => g.is_config(),
            _ => false,
        }
    }
}

/// Serves the API on `listener` until `shutdown` resolves, then stops accepting, lets
/// running jobs finish within `[server] drain_ms`, and returns. Jobs still unfinished are
/// stored as they are and resume at the next start.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let addr = listener.local_addr()?;
    if config.server.api_keys.is_empty() && !addr.ip().is_loopback() {
        return Err(ServerError::OpenWithoutKeys(addr));
    }
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&config.store.path).await.map_err(
        |source| ServerError::Store {
            path: config.store.path.display().to_string(),
            source,
        },
    )?);
    let _ = metrics::handle();
    let gateway = Arc::new(Gateway::start(config).await?);
    let config = gateway.config();
    let jobs = jobs::Jobs::new(gateway.clone(), store.clone());
    let resumed = jobs.resume().await;
    if resumed > 0 {
        tracing::info!(jobs = resumed, "resumed unfinished jobs");
    }
    #[expect(
        clippy::disallowed_methods,
        reason = "owned by run, which aborts it once jobs are drained"
    )]
    let deliverer = tokio::spawn(webhooks::deliver_forever(store, config.webhooks.clone()));
    let (close, closing) = watch::channel(false);
    let state = AppState {
        keys: Arc::new(auth::Keys::new(
            config.server.api_keys.clone(),
            config.server.requests_per_minute,
        )),
        gateway: gateway.clone(),
        jobs: jobs.clone(),
        closing,
    };
    let api = Router::new()
        .route("/v1/jobs", post(routes::submit))
        .route("/v1/jobs/{id}", get(routes::get_job).delete(routes::cancel))
        .route("/v1/jobs/{id}/events", get(events::stream))
        .route("/v1/translate", post(routes::translate))
        .route("/v1/summarize", post(routes::summarize))
        .route("/v1/backends", get(routes::backends))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ));
    let app = Router::new()
        .merge(api)
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(routes::metrics))
        .route("/openapi.json", get(openapi::document))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.server.max_body_bytes))
        .with_state(state);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: no new requests; draining running jobs");
        let _ = close.send(true);
    };
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await;
    jobs.drain(Duration::from_millis(config.server.drain_ms))
        .await;
    deliverer.abort();
    served.map_err(ServerError::Io)
}
