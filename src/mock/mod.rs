//! The mock backend: a real HTTP server speaking the providers' wire formats, each on its
//! own paths, deterministic in what it writes and switchable into every fault a provider
//! shows. `lingo mock` runs it in the foreground; the default config and the tests start
//! it in-process on port 0. `/_mock/stats` and `/_mock/requests` let tests check what
//! arrived.

mod anthropic;
mod banks;
mod content;
mod deepl;
mod faults;
mod gate;
mod hold;
mod journal;
mod libretranslate;
mod ollama;
mod openai;
mod options;
pub mod phrases;
mod stats;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use journal::Recorded;
pub use options::MockOptions;
pub use stats::Snapshot;

use crate::protocol::Protocol;

struct MockState {
    options: MockOptions,
    stats: stats::Stats,
    accepted: Mutex<VecDeque<Instant>>,
    journal: journal::Journal,
    /// DeepL characters translated, against `--character-limit`.
    characters: AtomicU64,
    glossaries: Mutex<Vec<deepl::MockGlossary>>,
    faults: faults::Faults,
    hold: hold::Hold,
}

impl MockState {
    fn record(&self, path: &str, headers: &axum::http::HeaderMap, body: &[u8]) {
        self.journal.record(path, headers, body);
    }

    /// What every translate and summarize endpoint does around its own answer: record
    /// the request, count it in, answer, count the status.
    async fn serve(
        &self,
        path: &str,
        headers: &axum::http::HeaderMap,
        body: &[u8],
        answer: impl Future<Output = axum::response::Response>,
    ) -> axum::response::Response {
        self.record(path, headers, body);
        self.stats
            .arrived(gate::header(headers, crate::protocol::hints::TARGET_LANG));
        self.hold.arrive();
        let response = answer.await;
        self.stats.answered(response.status().as_u16());
        response
    }

    fn lock_glossaries(&self) -> MutexGuard<'_, Vec<deepl::MockGlossary>> {
        self.glossaries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The languages the machine-translation endpoints offer.
    fn offered(&self) -> Vec<&'static str> {
        let all = phrases::languages();
        match &self.options.languages {
            Some(some) => all
                .into_iter()
                .filter(|l| some.iter().any(|s| s == l))
                .collect(),
            None => all,
        }
    }

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
        .route("/v1/messages", post(anthropic::messages))
        .route("/api/chat", post(ollama::chat))
        .route("/v2/translate", post(deepl::translate))
        .route("/v2/languages", get(deepl::languages))
        .route("/v2/usage", get(deepl::usage).post(deepl::usage))
        .route(
            "/v2/glossaries",
            get(deepl::list_glossaries).post(deepl::create_glossary),
        )
        .route("/translate", post(libretranslate::translate))
        .route("/languages", get(libretranslate::languages))
        .route("/_mock/stats", get(stats_handler))
        .route("/_mock/requests", get(requests_handler))
        .with_state(state)
}

async fn stats_handler(
    axum::extract::State(state): axum::extract::State<Arc<MockState>>,
) -> axum::Json<Snapshot> {
    axum::Json(state.stats.snapshot())
}

async fn requests_handler(
    axum::extract::State(state): axum::extract::State<Arc<MockState>>,
) -> axum::Json<Vec<Recorded>> {
    axum::Json(state.journal.snapshot())
}

fn state(options: MockOptions) -> Arc<MockState> {
    Arc::new(MockState {
        stats: stats::Stats::default(),
        accepted: Mutex::new(VecDeque::new()),
        journal: journal::Journal::default(),
        characters: AtomicU64::new(0),
        glossaries: Mutex::new(Vec::new()),
        faults: faults::Faults::new(options.seed),
        hold: hold::Hold::default(),
        options,
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
        #[expect(
            clippy::disallowed_methods,
            reason = "owned by the MockServer, which aborts it when dropped"
        )]
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "mock server stopped");
            }
        });
        Ok(MockServer { addr, state, task })
    }

    /// The OpenAI-compatible API root, e.g. `http://127.0.0.1:40123/v1`.
    pub fn openai_url(&self) -> String {
        self.url(Protocol::Openai)
    }

    /// The `base_url` a backend of `protocol` uses to reach this mock.
    pub fn url(&self, protocol: Protocol) -> String {
        match protocol {
            Protocol::Openai | Protocol::Anthropic => format!("http://{}/v1", self.addr),
            Protocol::Ollama | Protocol::Deepl | Protocol::Libretranslate => {
                format!("http://{}", self.addr)
            }
        }
    }

    pub fn stats(&self) -> Snapshot {
        self.state.stats.snapshot()
    }

    /// From now on, holds every translate and summarize request after it arrived, until
    /// [`MockServer::release`] or [`MockServer::open`] lets it go.
    pub fn hold(&self) {
        self.state.hold.close();
    }

    /// Lets `n` held (or coming) requests go.
    pub fn release(&self, n: usize) {
        self.state.hold.release(n);
    }

    /// Lets every request go, and holds no more.
    pub fn open(&self) {
        self.state.hold.open();
    }

    /// Waits until `n` translate or summarize requests have arrived in all.
    pub async fn arrivals(&self, n: u64) {
        self.state.hold.arrivals(n).await;
    }

    /// The requests the mock recorded, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.journal.snapshot()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
