//! OpenAI chat completions (`POST {base_url}/chat/completions`), the protocol of OpenAI,
//! vLLM, llama.cpp's server, Ollama's `/v1` and LiteLLM.
//!
//! `finish_reason: "length"` is a truncation, not a success. A 429 is a rate limit unless
//! its code is `insufficient_quota`, which no amount of waiting fixes.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::http::{Http, token_usage};
use super::{Backend, BackendError, BackendRequest, BackendResponse, SentAt, Usage, brief};
use crate::config::BackendConfig;
use crate::protocol::Answer;

pub(super) struct OpenAi {
    http: Http,
    url: String,
    model: String,
}

impl OpenAi {
    pub(super) fn new(cfg: &BackendConfig, base_url: &str) -> Result<OpenAi, BackendError> {
        Ok(OpenAi {
            http: Http::new(cfg)?,
            url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
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
            temperature: 0.0,
            max_tokens: req.max_output_tokens,
        };
        let mut builder = self.http.post_json(&self.url, &body, req, sent)?;
        if let Some(key) = &self.http.api_key {
            builder = builder.bearer_auth(key.expose());
        }
        let reply = self.http.send(builder).await?;
        read_answer(reply.status, reply.retry_after, &reply.body)
    }
}

/// Maps an HTTP answer to a response or to an error that says whether to retry.
fn read_answer(
    status: u16,
    wait: Option<Duration>,
    bytes: &[u8],
) -> Result<BackendResponse, BackendError> {
    if status == 200 {
        return parse_success(bytes);
    }
    let error = serde_json::from_slice::<ErrorEnvelope>(bytes)
        .ok()
        .map(|e| e.error);
    let message = match &error {
        Some(e) => brief(&e.message),
        None => brief(&String::from_utf8_lossy(bytes)),
    };
    let quota = error.as_ref().is_some_and(|e| {
        [e.code.as_deref(), e.kind.as_deref()].contains(&Some("insufficient_quota"))
    });
    Err(match status {
        429 if quota => BackendError::QuotaExhausted(message),
        _ => BackendError::from_status(status, wait, message),
    })
}

fn parse_success(bytes: &[u8]) -> Result<BackendResponse, BackendError> {
    let chat: ChatResponse = serde_json::from_slice(bytes)
        .map_err(|e| BackendError::Malformed(format!("not a chat completion: {e}")))?;
    let choice = chat
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| BackendError::Malformed("no choices in the answer".into()))?;
    match choice.finish_reason.as_deref() {
        Some("length") => return Err(BackendError::Truncated),
        Some("content_filter") => {
            return Err(BackendError::Rejected {
                status: 200,
                message: "stopped by the provider's content filter".into(),
            });
        }
        _ => {}
    }
    let text = choice
        .message
        .content
        .ok_or_else(|| BackendError::Malformed("the answer has no text content".into()))?;
    let usage = chat.usage.unwrap_or_default();
    Ok(BackendResponse {
        answer: Answer::Marked(text),
        usage: Usage {
            reasoning_tokens: usage
                .completion_tokens_details
                .map_or(0, |d| d.reasoning_tokens),
            ..token_usage(usage.prompt_tokens, usage.completion_tokens)
        },
    })
}

impl Backend for OpenAi {
    fn call<'a>(
        &'a self,
        req: &'a BackendRequest,
        sent: &'a SentAt,
    ) -> BoxFuture<'a, Result<BackendResponse, BackendError>> {
        self.send(req, sent).boxed()
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message<'a>; 2],
    temperature: f32,
    max_tokens: u32,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

#[derive(Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Default, Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: u64,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: WireError,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    message: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// A string at OpenAI, sometimes a number elsewhere (LiteLLM sends "429").
    #[serde(default, deserialize_with = "string_or_number")]
    code: Option<String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: u16, body: &str, expect: Result<&str, &str>) {
        let got = read_answer(status, Some(Duration::from_secs(2)), body.as_bytes());
        match (got, expect) {
            (Ok(r), Ok(text)) => assert_eq!(r.answer, Answer::Marked(text.into())),
            (Err(e), Err(kind)) => assert_eq!(e.kind(), kind, "{status} {body}: {e}"),
            (got, expect) => panic!("{status} {body}: got {got:?}, expected {expect:?}"),
        }
    }

    fn chat(finish: &str) -> String {
        format!(
            r#"{{"choices":[{{"index":0,"message":{{"role":"assistant","content":"Olá"}},"finish_reason":"{finish}"}}],"usage":{{"prompt_tokens":3,"completion_tokens":1}}}}"#
        )
    }

    #[test]
    fn statuses_map_to_retry_or_fallback() {
        check(200, &chat("stop"), Ok("Olá"));
        check(200, &chat("length"), Err("truncated"));
        check(200, &chat("content_filter"), Err("rejected"));
        check(200, r#"{"choices":[{"index":0,"mess"#, Err("malformed"));
        check(200, r#"{"choices":[]}"#, Err("malformed"));
        let limited = r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        check(429, limited, Err("rate_limited"));
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        check(429, quota, Err("quota_exhausted"));
        check(
            429,
            r#"{"error":{"message":"slow down","type":"throttling_error","code":429}}"#,
            Err("rate_limited"),
        );
        check(429, "", Err("rate_limited"));
        for status in [400, 401, 403, 404, 422] {
            check(
                status,
                r#"{"error":{"message":"no","type":"invalid_request_error"}}"#,
                Err("rejected"),
            );
        }
        for status in [408, 409, 500, 502, 503, 504] {
            check(status, "Internal Server Error", Err("server_error"));
        }
        let limited = read_answer(429, Some(Duration::from_secs(2)), limited.as_bytes());
        assert!(
            matches!(limited, Err(BackendError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(2))
        );
        assert!(!BackendError::QuotaExhausted(String::new()).is_retryable());
        assert!(BackendError::Timeout(Duration::ZERO).is_retryable());
    }
}
