//! The mock's OpenAI chat-completions endpoint. It reads the task and languages from
//! lingo's hint headers and the segments from the block markers, never from prompt wording.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::faults::{Fault, draw};
use super::{MockState, phrases};
use crate::backend::hints;
use crate::lang::LangTag;
use crate::length::{Contract, Unit};
use crate::marker;

pub async fn chat_completions(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.stats.arrived(hint(&headers, hints::TARGET_LANG));
    let response = answer(&state, &headers, &body).await;
    state.stats.answered(response.status().as_u16());
    response
}

fn hint<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, axum::Json(body)).into_response()
}

fn throttled(retry_after: u64) -> Response {
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        "Rate limit reached for requests. Please retry after the time in Retry-After.",
        "requests",
        Some("rate_limit_exceeded"),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, retry_after.into());
    r
}

#[derive(Deserialize)]
struct ChatRequest {
    model: String,
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    content: String,
}

/// Each source "translated" behind its marker; a merge fault joins the first two blocks,
/// a drop-number fault loses the first number of the answer.
fn translate(sources: &[&str], from: &str, to: &str, fault: Option<Fault>) -> Option<String> {
    let mut texts = sources
        .iter()
        .map(|s| phrases::render(s, from, to))
        .collect::<Option<Vec<String>>>()?;
    if fault == Some(Fault::Merge) && texts.len() >= 2 {
        let second = texts.remove(1);
        texts[0] = format!("{} {second}", texts[0]);
    }
    if fault == Some(Fault::DropNumber)
        && let Some(text) = texts
            .iter_mut()
            .find(|t| t.chars().any(|c| c.is_ascii_digit()))
    {
        let start = text.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let end = text[start..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(text.len(), |n| start + n);
        text.replace_range(start..end, "");
    }
    Some(marker::encode(texts.iter().map(String::as_str)))
}

async fn answer(state: &MockState, headers: &HeaderMap, body: &[u8]) -> Response {
    let o = &state.options;
    if let Some(key) = &o.api_key
        && hint(headers, "authorization") != Some(&format!("Bearer {key}"))
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
        );
    }
    if !state.admit() {
        return throttled(o.retry_after);
    }
    let fault = draw(o);
    match fault {
        Some(Fault::Throttle) => return throttled(o.retry_after),
        Some(Fault::Hang) => std::future::pending::<()>().await,
        _ => {}
    }
    let jitter = if o.jitter_ms > 0 {
        fastrand::u64(0..=o.jitter_ms)
    } else {
        0
    };
    tokio::time::sleep(Duration::from_millis(o.latency_ms + jitter)).await;
    match fault {
        Some(Fault::Fail) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The server had an error while processing your request.",
                "server_error",
                None,
            );
        }
        Some(Fault::Drop) => {
            // Headers go out, then the body fails: the server closes the connection.
            let cut = futures::stream::once(async {
                Err::<Bytes, _>(std::io::Error::other("mock: dropped"))
            });
            let body = axum::body::Body::from_stream(cut);
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        Some(Fault::Malformed) => {
            let broken = r#"{"id":"chatcmpl-mock","object":"chat.completion","choices":[{"index":0,"message":{"role":"assist"#;
            return ([(header::CONTENT_TYPE, "application/json")], broken).into_response();
        }
        _ => {}
    }
    let request: ChatRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("invalid JSON body: {e}"),
                "invalid_request_error",
                None,
            );
        }
    };
    let task = hint(headers, hints::TASK);
    if !matches!(task, Some("translate" | "summarize")) {
        return error(
            StatusCode::BAD_REQUEST,
            "mock: send x-lingo-task: translate or summarize",
            "invalid_request_error",
            None,
        );
    }
    let lang = |name| {
        hint(headers, name)
            .and_then(|t| LangTag::parse(t).ok())
            .map(|t| t.primary())
    };
    let Some(target) = lang(hints::TARGET_LANG) else {
        return error(
            StatusCode::BAD_REQUEST,
            "mock: send x-lingo-target-lang with a language tag",
            "invalid_request_error",
            None,
        );
    };
    let source = lang(hints::SOURCE_LANG).unwrap_or("en");
    let Some(user) = request.messages.iter().rev().find(|m| m.role == "user") else {
        return error(
            StatusCode::BAD_REQUEST,
            "mock: no user message",
            "invalid_request_error",
            None,
        );
    };
    let segments = marker::parse(&user.content).segments;
    if segments.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "mock: no <<<n>>> block markers in the user message",
            "invalid_request_error",
            None,
        );
    }
    let written = match fault {
        Some(Fault::WrongLang) if target == "en" => "de",
        Some(Fault::WrongLang) => "en",
        _ => target,
    };
    let sources: Vec<&str> = segments.iter().map(|(_, text)| text.trim()).collect();
    let written = if task == Some("summarize") {
        let length = hint(headers, hints::LENGTH)
            .and_then(|l| l.parse().ok())
            .unwrap_or(Contract {
                unit: Unit::Words,
                limit: 60,
            });
        let shortening = hint(headers, hints::STEP) == Some("shorten");
        let overlong = if shortening {
            o.ignore_shorten
        } else {
            fault == Some(Fault::Overlong)
        };
        phrases::summary(&sources, written, length, overlong)
    } else {
        translate(&sources, source, written, fault)
    };
    let Some(mut content) = written else {
        let known = phrases::languages().join(", ");
        let message = format!("mock: no phrase bank for '{target}'; it writes {known}");
        return error(
            StatusCode::BAD_REQUEST,
            &message,
            "invalid_request_error",
            None,
        );
    };
    let mut finish = "stop";
    if fault == Some(Fault::Truncate) {
        content = content.chars().take(content.chars().count() / 2).collect();
        finish = "length";
    }
    let prompt_chars: usize = request
        .messages
        .iter()
        .map(|m| m.content.chars().count())
        .sum();
    let completion_tokens = content.chars().count() / 4 + 1;
    let prompt_tokens = prompt_chars / 4 + 1;
    axum::Json(json!({
        "id": format!("chatcmpl-mock-{:x}", phrases::fnv1a(&[&user.content, target])),
        "object": "chat.completion",
        "created": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "model": request.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "logprobs": null, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens},
    }))
    .into_response()
}
