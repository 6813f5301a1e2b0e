//! The one small trait every wire protocol implements, and the types it speaks. Only
//! `backend/*` knows reqwest; the rest of lingo sees requests, answers and typed errors.

mod openai;
mod retry_after;
mod sent;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;

use crate::config::{BackendConfig, Task};
use crate::lang::LangTag;
use crate::length::Contract;
use crate::prompts::Prompt;

pub use openai::OpenAi;
pub use sent::SentAt;

/// One call to a backend: a rendered prompt plus the hints lingo sends as headers.
#[derive(Clone, Debug)]
pub struct BackendRequest {
    pub task: Task,
    pub source: LangTag,
    pub target: LangTag,
    pub prompt: Prompt,
    pub max_output_tokens: u32,
    /// For summaries: the length the answer must keep.
    pub length: Option<Contract>,
    /// For summaries: this asks to shorten a summary that came back too long.
    pub shorten: bool,
}

#[derive(Clone, Debug)]
pub struct BackendResponse {
    pub text: String,
    pub usage: Usage,
}

/// What calls cost, in the units vendors bill.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.requests += o.requests;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BackendError {
    #[error("rate limited (429): {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("server error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("malformed answer: {0}")]
    Malformed(String),
    #[error("answer cut short by the model's length limit")]
    Truncated,
    #[error("request refused {status}: {message}")]
    Rejected { status: u16, message: String },
    #[error("quota exhausted: {0}")]
    QuotaExhausted(String),
}

impl BackendError {
    /// Transient failures worth the same request again, after a pause.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            BackendError::RateLimited { .. }
                | BackendError::Server { .. }
                | BackendError::Timeout(_)
                | BackendError::Connection(_)
                | BackendError::Malformed(_)
        )
    }

    /// A short stable label, for warnings and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            BackendError::RateLimited { .. } => "rate_limited",
            BackendError::Server { .. } => "server_error",
            BackendError::Timeout(_) => "timeout",
            BackendError::Connection(_) => "connection",
            BackendError::Malformed(_) => "malformed",
            BackendError::Truncated => "truncated",
            BackendError::Rejected { .. } => "rejected",
            BackendError::QuotaExhausted(_) => "quota_exhausted",
        }
    }
}

pub trait Backend: Send + Sync {
    /// Sends `req`; `sent` is stamped when the request goes on the wire.
    fn call<'a>(
        &'a self,
        req: &'a BackendRequest,
        sent: &'a SentAt,
    ) -> BoxFuture<'a, Result<BackendResponse, BackendError>>;
}

/// Builds the client for `cfg`, reaching it at `base_url` (the config's, or the address an
/// in-process mock got).
pub fn build(cfg: &BackendConfig, base_url: &str) -> Result<Arc<dyn Backend>, BackendError> {
    Ok(Arc::new(OpenAi::new(cfg, base_url)?))
}

/// Keeps vendor error text short and on one line.
fn brief(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// Headers lingo sends with every call so that test servers (the mock) know the task and
/// languages without reading prompt wording. Real providers ignore them.
pub mod hints {
    pub const TASK: &str = "x-lingo-task";
    pub const SOURCE_LANG: &str = "x-lingo-source-lang";
    pub const TARGET_LANG: &str = "x-lingo-target-lang";
    /// A summary's length contract, e.g. `60 words` or `120 characters`.
    pub const LENGTH: &str = "x-lingo-length";
    /// `shorten` on the second request for a summary that was too long.
    pub const STEP: &str = "x-lingo-step";
}
