//! Ollama's native chat (`POST {base_url}/api/chat`) with `stream: false`.
//!
//! Ollama silently drops the start of a prompt longer than its context window (a small
//! default), so every request sets `options.num_ctx` to fit the prompt and the longest
//! answer allowed. `done_reason: "length"` is a truncation.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::http::{Http, token_usage};
use super::{Backend, BackendError, BackendRequest, BackendResponse, SentAt, brief};
use crate::config::BackendConfig;
use crate::protocol::Answer;

/// The context window is a multiple of this, and at least this.
const CONTEXT_STEP: usize = 2048;

pub(super) struct Ollama {
    http: Http,
    url: String,
    model: String,
}

impl Ollama {
    pub(super) fn new(cfg: &BackendConfig, base_url: &str) -> Result<Ollama, BackendError> {
        Ok(Ollama {
            http: Http::new(cfg)?,
            url: format!("{}/api/chat", base_url.trim_end_matches('/')),
            model: cfg.model.clone(),
        })
    }

    async fn send(
        &self,
        req: &BackendRequest,
        sent: &SentAt,
    ) -> Result<BackendResponse, BackendError> {
        let body = ChatRequest {
            model: &self.model,
            messages: [
                Message {
                    role: "system",
                    content: &req.prompt.system,
                },
                Message {
                    role: "user",
                    content: &req.prompt.user,
                },
            ],
            stream: false,
            options: Options {
                temperature: 0.0,
                num_ctx: context_window(req),
                num_predict: req.max_output_tokens,
            },
        };
        let mut builder = self.http.post_json(&self.url, &body, req, sent)?;
        if let Some(key) = &self.http.api_key {
            builder = builder.bearer_auth(key.expose());
        }
        let reply = self.http.send(builder).await?;
        read_answer(reply.status, reply.retry_after, &reply.body)
    }
}

/// A window that holds the prompt (with a quarter to spare: the model's tokenizer is not
/// the one lingo counts with) and the longest answer allowed.
pub(super) fn context_window(req: &BackendRequest) -> usize {
    let prompt = req.prompt_tokens();
    let needed = prompt + prompt / 4 + req.max_output_tokens as usize;
    needed.div_ceil(CONTEXT_STEP).max(1) * CONTEXT_STEP
}

impl Backend for Ollama {
    fn call<'a>(
        &'a self,
        req: &'a BackendRequest,
        sent: &'a SentAt,
    ) -> BoxFuture<'a, Result<BackendResponse, BackendError>> {
        self.send(req, sent).boxed()
    }
}

fn read_answer(
    status: u16,
    wait: Option<Duration>,
    bytes: &[u8],
) -> Result<BackendResponse, BackendError> {
    if status == 200 {
        let reply: ChatResponse = serde_json::from_slice(bytes)
            .map_err(|e| BackendError::Malformed(format!("not an Ollama chat answer: {e}")))?;
        if let Some(error) = reply.error {
            return Err(BackendError::Server {
                status,
                message: brief(&error),
            });
        }
        if !reply.done {
            return Err(BackendError::Malformed("the answer is not done".into()));
        }
        if reply.done_reason.as_deref() == Some("length") {
            return Err(BackendError::Truncated);
        }
        let text = reply
            .message
            .map(|m| m.content)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| BackendError::Malformed("the answer has no message".into()))?;
        return Ok(BackendResponse {
            answer: Answer::Marked(text),
            usage: token_usage(reply.prompt_eval_count, reply.eval_count),
        });
    }
    let message = match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(e) => brief(&e.error),
        Err(_) => brief(&String::from_utf8_lossy(bytes)),
    };
    Err(BackendError::from_status(status, wait, message))
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 2],
    stream: bool,
    options: Options,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct Options {
    temperature: f32,
    num_ctx: usize,
    num_predict: u32,
}

#[derive(Deserialize)]
struct ChatResponse {
    message: Option<ReplyMessage>,
    #[serde(default)]
    done: bool,
    done_reason: Option<String>,
    #[serde(default)]
    prompt_eval_count: u64,
    #[serde(default)]
    eval_count: u64,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ReplyMessage {
    content: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, body: &str) -> &'static str {
        match read_answer(status, None, body.as_bytes()) {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        }
    }

    #[test]
    fn done_reasons_and_statuses() {
        let chat = |reason: &str| {
            format!(
                r#"{{"model":"m","message":{{"role":"assistant","content":"Olá"}},"done":true,"done_reason":"{reason}","prompt_eval_count":3,"eval_count":1}}"#
            )
        };
        assert_eq!(kind(200, &chat("stop")), "ok");
        assert_eq!(kind(200, &chat("length")), "truncated");
        assert_eq!(kind(200, r#"{"error":"model crashed"}"#), "server_error");
        assert_eq!(kind(404, r#"{"error":"model 'x' not found"}"#), "rejected");
        assert_eq!(kind(429, r#"{"error":"busy"}"#), "rate_limited");
        assert_eq!(kind(502, ""), "server_error");
    }
}
