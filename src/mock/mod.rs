//! The mock backend: a real HTTP server speaking the providers' wire formats, deterministic
//! in what it writes and switchable into every fault a provider shows. `lingo mock` runs it
//! in the foreground; the default config and the tests start it in-process on port 0.

mod faults;
mod openai;
mod options;
pub mod phrases;
mod stats;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use options::MockOptions;
pub use stats::Snapshot;

struct MockState {
    options: MockOptions,
    stats: stats::Stats,
    accepted: Mutex<VecDeque<Instant>>,
}

impl MockState {
    /// Admits a request under `--rate-limit` (a rolling one-second window), or says no.
    fn admit(&self) -> bool {
        let Some(rps) = self.options.rate_limit else {
            return true;
        };
        let cap = rps.ceil().max(1.0) as usize;
        let now = Instant::now();
        let mut accepted = self.accepted.lock().unwrap_or_else(|p| p.into_inner());
        while accepted
            .front()
            .is_some_and(|t| now - *t >= Duration::from_secs(1))
        {
            accepted.pop_front();
        }
        if accepted.len() >= cap {
            return false;
        }
        accepted.push_back(now);
        true
    }
}

fn app(state: Arc<MockState>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(openai::chat_completions))
        .route("/_mock/stats", get(stats_handler))
        .with_state(state)
}

async fn stats_handler(
    axum::extract::State(state): axum::extract::State<Arc<MockState>>,
) -> axum::Json<Snapshot> {
    axum::Json(state.stats.snapshot())
}

fn state(options: MockOptions) -> Arc<MockState> {
    Arc::new(MockState {
        options,
        stats: stats::Stats::default(),
        accepted: Mutex::new(VecDeque::new()),
    })
}

/// Serves the mock on `listener` until `shutdown` resolves. No graceful drain: a request
/// hanging by `--hang-rate` would hold it forever, and a test server owes nobody an answer.
pub async fn run(
    listener: TcpListener,
    options: MockOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tokio::select! {
        served = axum::serve(listener, app(state(options))) => served,
        () = shutdown => Ok(()),
    }
}

/// A mock running in the background of this process, stopped when dropped.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<MockState>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// Binds `addr` (use port 0 for any free port) and starts serving.
    pub async fn start(addr: SocketAddr, options: MockOptions) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = state(options);
        let router = app(state.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "mock server stopped");
            }
        });
        Ok(MockServer { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The OpenAI-compatible API root, e.g. `http://127.0.0.1:40123/v1`.
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn stats(&self) -> Snapshot {
        self.state.stats.snapshot()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
