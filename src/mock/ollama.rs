//! The mock's Ollama native chat endpoint (`POST /api/chat`).
//!
//! Like Ollama, it silently drops the start of a prompt that does not fit `num_ctx`
//! (2048 tokens when unset): the segments that fall off are missing from the answer, which
//! lingo's validation must catch. `stream` must be false: lingo never streams.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::MockState;
use super::content::{llm_answer, tokens};
use super::gate::{Refusal, gate, header};

/// Ollama's context window when a request sets none.
const DEFAULT_NUM_CTX: usize = 2048;

pub(super) async fn chat(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = answer(&state, &headers, &body);
    state.serve("/api/chat", &headers, &body, answer).await
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn refuse(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized => error(StatusCode::UNAUTHORIZED, "unauthorized"),
        Refusal::Throttled => error(
            StatusCode::TOO_MANY_REQUESTS,
            "server busy, please try again",
        ),
        Refusal::Quota => error(StatusCode::FORBIDDEN, "usage limit reached"),
        Refusal::Overloaded => error(StatusCode::SERVICE_UNAVAILABLE, "server overloaded"),
        Refusal::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "llama runner process has terminated",
        ),
    }
}

#[derive(Deserialize)]
struct ChatRequest {
    model: String,
    messages: Vec<Message>,
    stream: Option<bool>,
    #[serde(default)]
    options: Options,
}

#[derive(Default, Deserialize)]
struct Options {
    num_ctx: Option<usize>,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    content: String,
}

async fn answer(state: &MockState, headers: &HeaderMap, body: &[u8]) -> Response {
    let authorized = state
        .options
        .api_key
        .as_ref()
        .is_none_or(|key| header(headers, "authorization") == Some(&format!("Bearer {key}")));
    let fault = match gate(state, authorized, refuse).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let request: ChatRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("invalid JSON body: {e}")),
    };
    if request.stream != Some(false) {
        return error(
            StatusCode::BAD_REQUEST,
            "mock: only \"stream\": false is served (Ollama streams by default)",
        );
    }
    let Some(user) = request.messages.iter().rev().find(|m| m.role == "user") else {
        return error(StatusCode::BAD_REQUEST, "mock: no user message");
    };
    let window = request.options.num_ctx.unwrap_or(DEFAULT_NUM_CTX);
    let prompt_tokens: usize = request.messages.iter().map(|m| tokens(&m.content)).sum();
    let seen = truncated_prompt(&user.content, prompt_tokens.saturating_sub(window));
    let written = match llm_answer(state, headers, &seen, fault) {
        Ok(w) => w,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let done_reason = if written.truncated { "length" } else { "stop" };
    let mut message = json!({"role": "assistant", "content": written.text});
    if let Some(thinking) = &written.reasoning {
        message["thinking"] = thinking.as_str().into();
    }
    axum::Json(json!({
        "model": request.model,
        "created_at": "2026-01-01T00:00:00Z",
        "message": message,
        "done": true,
        "done_reason": done_reason,
        "total_duration": 1_000_000,
        "prompt_eval_count": prompt_tokens.min(window),
        "eval_count": tokens(&written.text),
    }))
    .into_response()
}

/// The user message with about `excess` tokens cut from its start, as Ollama does.
fn truncated_prompt(user: &str, excess: usize) -> String {
    if excess == 0 {
        return user.to_string();
    }
    user.chars().skip(excess * 4).collect()
}
