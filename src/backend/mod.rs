//! The one small trait every wire protocol implements, and the types it speaks. Only
//! `backend/*` knows reqwest; the rest of lingo sees requests, answers and typed errors.

mod anthropic;
mod deepl;
mod http;
mod libretranslate;
mod ollama;
mod openai;
mod retry_after;
mod sent;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;

use crate::chunk::count_tokens;
use crate::config::BackendConfig;
use crate::glossary::{Entry, Glossary};
use crate::lang::LangTag;
use crate::length::Contract;
use crate::prompts::Prompt;
use crate::protocol::{Answer, Protocol, Task};

pub(crate) use sent::SentAt;

/// One call to a backend. LLM protocols send the rendered prompt; machine-translation
/// protocols send `texts` with `context` and their own glossary. Both carry the hints
/// lingo sends as headers.
#[derive(Debug)]
pub struct BackendRequest {
    pub task: Task,
    pub source: LangTag,
    pub target: LangTag,
    pub prompt: Prompt,
    /// The pieces to translate, protected spans already placeholders.
    pub texts: Vec<String>,
    /// The text just before these pieces, which helps but is not translated.
    pub context: Option<String>,
    /// The language pair's whole glossary (DeepL creates it through its API).
    pub glossary: Option<Arc<Glossary>>,
    /// The glossary entries that occur in these pieces (sent to LLMs as a hint).
    pub terms: Vec<Entry>,
    pub max_output_tokens: u32,
    /// For summaries: the length the answer must keep.
    pub length: Option<Contract>,
    /// For summaries: this asks to shorten a summary that came back too long.
    pub shorten: bool,
    /// The prompt's tokens, counted once on first use: the rate limiter and Ollama's
    /// context window both need them, and retries send the same prompt.
    prompt_tokens: OnceLock<usize>,
}

impl BackendRequest {
    /// A request with nothing but a prompt (what summaries send); the other fields are
    /// set by whoever shapes it further.
    pub fn new(task: Task, source: &LangTag, target: &LangTag, prompt: Prompt) -> Self {
        BackendRequest {
            task,
            source: source.clone(),
            target: target.clone(),
            prompt,
            texts: Vec::new(),
            context: None,
            glossary: None,
            terms: Vec::new(),
            max_output_tokens: 1024,
            length: None,
            shorten: false,
            prompt_tokens: OnceLock::new(),
        }
    }

    /// The prompt's tokens as [`count_tokens`] counts them.
    pub fn prompt_tokens(&self) -> usize {
        *self
            .prompt_tokens
            .get_or_init(|| count_tokens(&self.prompt.system) + count_tokens(&self.prompt.user))
    }

    /// Characters of the text to translate: what machine-translation APIs bill.
    pub fn characters(&self) -> usize {
        self.texts.iter().map(|t| t.chars().count()).sum()
    }
}

#[derive(Clone, Debug)]
pub struct BackendResponse {
    pub answer: Answer,
    pub usage: Usage,
}

/// What calls cost, in the units vendors bill.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Of the completion tokens, those a reasoning model spent thinking, where the
    /// provider reports them (OpenAI's `completion_tokens_details`).
    pub reasoning_tokens: u64,
    /// Characters billed by machine-translation APIs.
    pub characters: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.requests += o.requests;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.reasoning_tokens += o.reasoning_tokens;
        self.characters += o.characters;
    }
}

/// How a backend takes the work, which decides what the pipeline sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    pub glossaries: GlossarySupport,
    /// The most texts one request may carry (DeepL: 50).
    pub max_texts: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlossarySupport {
    /// The entries found in a chunk go inside the prompt.
    Prompt,
    /// The vendor's own glossary feature.
    Native,
    /// None: glossary terms travel as placeholders that come back as the target term.
    Placeholders,
}

/// A vendor account's consumption, read from its API (DeepL `/v2/usage`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    pub character_count: u64,
    pub character_limit: u64,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum BackendError {
    #[error("does not translate into {target}; it offers {offered}")]
    Unsupported { target: String, offered: String },
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
    /// The common reading of an HTTP error status: 429 waits and retries, 408, 409 and 5xx
    /// retry, anything else is refused. Protocols read their own special statuses first.
    pub fn from_status(status: u16, retry_after: Option<Duration>, message: String) -> Self {
        match status {
            429 => BackendError::RateLimited {
                retry_after,
                message,
            },
            408 | 409 | 500..=599 => BackendError::Server { status, message },
            _ => BackendError::Rejected { status, message },
        }
    }

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
            BackendError::Unsupported { .. } => "unsupported",
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

    fn profile(&self) -> Profile {
        Profile {
            glossaries: GlossarySupport::Prompt,
            max_texts: None,
        }
    }

    /// Learns what the server offers (languages, account usage) before the first call.
    fn prepare(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async { Ok(()) })
    }

    /// Whether the backend translates into `target` (LLMs write any language); the
    /// error lists what it offers.
    fn check_target(&self, _target: &LangTag) -> Result<(), BackendError> {
        Ok(())
    }

    /// The vendor account's consumption, where the protocol reports it.
    fn account(&self) -> Option<Account> {
        None
    }
}

/// Builds the client for `cfg`, reaching it at `base_url` (the config's, or the address an
/// in-process mock got).
pub(crate) fn build(
    cfg: &BackendConfig,
    protocol: Protocol,
    base_url: &str,
) -> Result<Arc<dyn Backend>, BackendError> {
    Ok(match protocol {
        Protocol::Openai => Arc::new(openai::OpenAi::new(cfg, base_url)?),
        Protocol::Anthropic => Arc::new(anthropic::Anthropic::new(cfg, base_url)?),
        Protocol::Ollama => Arc::new(ollama::Ollama::new(cfg, base_url)?),
        Protocol::Deepl => Arc::new(deepl::DeepL::new(cfg, base_url)?),
        Protocol::Libretranslate => Arc::new(libretranslate::LibreTranslate::new(cfg, base_url)?),
    })
}

/// Keeps vendor error text short and on one line.
fn brief(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}
