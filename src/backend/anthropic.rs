//! Anthropic Messages (`POST {base_url}/messages`): `x-api-key` and `anthropic-version`
//! headers, the system prompt at top level.
//!
//! `stop_reason: "max_tokens"` is a truncation. 529 (overloaded) is retryable with backoff;
//! a 429 for an enforced spend limit, or a 402 billing error, is not: waiting does not
//! fix it, so the work moves to the next backend.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::http::{Http, token_usage};
use super::{Backend, BackendError, BackendRequest, BackendResponse, SentAt, brief};
use crate::config::BackendConfig;
use crate::protocol::Answer;

pub(super) const VERSION: &str = "2023-06-01";

pub(super) struct Anthropic {
    http: Http,
    url: String,
    model: String,
}

impl Anthropic {
    pub(super) fn new(cfg: &BackendConfig, base_url: &str) -> Result<Anthropic, BackendError> {
        Ok(Anthropic {
            http: Http::new(cfg)?,
            url: format!("{}/messages", base_url.trim_end_matches('/')),
            model: cfg.model.clone(),
        })
    }

    async fn send(
        &self,
        req: &BackendRequest,
        sent: &SentAt,
    ) -> Result<BackendResponse, BackendError> {
        let body = MessagesRequest {
            model: &self.model,
            max_tokens: req.max_output_tokens,
            system: &req.prompt.system,
            messages: [Message {
                role: "user",
                content: &req.prompt.user,
            }],
            temperature: 0.0,
        };
        let mut builder = self
            .http
            .post_json(&self.url, &body, req, sent)?
            .header("anthropic-version", VERSION);
        if let Some(key) = &self.http.api_key {
            builder = builder.header("x-api-key", key.expose());
        }
        let reply = self.http.send(builder).await?;
        read_answer(reply.status, reply.retry_after, &reply.body)
    }
}

impl Backend for Anthropic {
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
        let reply: MessagesResponse = serde_json::from_slice(bytes)
            .map_err(|e| BackendError::Malformed(format!("not a Messages answer: {e}")))?;
        match reply.stop_reason.as_deref() {
            Some("max_tokens") => return Err(BackendError::Truncated),
            Some("refusal") => {
                return Err(BackendError::Rejected {
                    status,
                    message: "the model refused".into(),
                });
            }
            _ => {}
        }
        let text: String = reply
            .content
            .iter()
            .filter(|b| b.kind == "text")
            .filter_map(|b| b.text.as_deref())
            .collect();
        if text.is_empty() {
            return Err(BackendError::Malformed(
                "the answer has no text block".into(),
            ));
        }
        let usage = reply.usage.unwrap_or_default();
        return Ok(BackendResponse {
            answer: Answer::Marked(text),
            usage: token_usage(usage.input_tokens, usage.output_tokens),
        });
    }
    let error = serde_json::from_slice::<ErrorEnvelope>(bytes)
        .ok()
        .map(|e| e.error);
    let message = match &error {
        Some(e) => brief(&e.message),
        None => brief(&String::from_utf8_lossy(bytes)),
    };
    let spend_limit = error
        .as_ref()
        .and_then(|e| e.details.as_ref())
        .and_then(|d| d.error_code.as_deref())
        == Some("enforced_spend_limit_reached");
    Err(match status {
        429 if spend_limit => BackendError::QuotaExhausted(message),
        402 => BackendError::QuotaExhausted(message),
        _ => BackendError::from_status(status, wait, message),
    })
}

#[derive(Serialize)]
struct MessagesRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    system: &'a str,
    messages: [Message<'a>; 1],
    temperature: f32,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Deserialize)]
struct MessagesResponse {
    #[serde(default)]
    content: Vec<ContentBlock>,
    stop_reason: Option<String>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: WireError,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    message: String,
    details: Option<ErrorDetails>,
}

#[derive(Deserialize)]
struct ErrorDetails {
    error_code: Option<String>,
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
    fn stop_reasons_and_statuses() {
        let message = |stop: &str| {
            format!(
                r#"{{"id":"msg_1","type":"message","role":"assistant","content":[{{"type":"text","text":"Olá"}}],"stop_reason":"{stop}","usage":{{"input_tokens":3,"output_tokens":1}}}}"#
            )
        };
        assert_eq!(kind(200, &message("end_turn")), "ok");
        assert_eq!(kind(200, &message("max_tokens")), "truncated");
        assert_eq!(kind(200, &message("refusal")), "rejected");
        let error =
            |t: &str| format!(r#"{{"type":"error","error":{{"type":"{t}","message":"m"}}}}"#);
        assert_eq!(kind(529, &error("overloaded_error")), "server_error");
        assert_eq!(kind(429, &error("rate_limit_error")), "rate_limited");
        let spend = r#"{"type":"error","error":{"type":"rate_limit_error","message":"spend limit","details":{"error_code":"enforced_spend_limit_reached"}}}"#;
        assert_eq!(kind(429, spend), "quota_exhausted");
        assert_eq!(kind(402, &error("billing_error")), "quota_exhausted");
        assert_eq!(kind(401, &error("authentication_error")), "rejected");
        assert_eq!(kind(500, ""), "server_error");
    }
}
