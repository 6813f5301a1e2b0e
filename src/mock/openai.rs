//! The mock's OpenAI chat-completions endpoint (`POST /v1/chat/completions`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::content::{llm_answer, tokens};
use super::gate::{Refusal, gate, header};
use super::{MockState, phrases};

pub(super) async fn chat_completions(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = answer(&state, &headers, &body);
    state
        .serve("/v1/chat/completions", &headers, &body, answer)
        .await
}

fn error(status: StatusCode, message: &str, kind: &str, code: Option<&str>) -> Response {
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, axum::Json(body)).into_response()
}

fn refuse(state: &MockState, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            "Incorrect API key provided.",
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        Refusal::Throttled => {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests. Please retry after the time in Retry-After.",
                "requests",
                Some("rate_limit_exceeded"),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, state.options.retry_after.into());
            r
        }
        Refusal::Quota => error(
            StatusCode::TOO_MANY_REQUESTS,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            Some("insufficient_quota"),
        ),
        Refusal::Overloaded => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The engine is currently overloaded, please try again later.",
            "server_error",
            None,
        ),
        Refusal::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error while processing your request.",
            "server_error",
            None,
        ),
    }
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

async fn answer(state: &MockState, headers: &HeaderMap, body: &[u8]) -> Response {
    let authorized = state
        .options
        .api_key
        .as_ref()
        .is_none_or(|key| header(headers, "authorization") == Some(&format!("Bearer {key}")));
    let fault = match gate(state, authorized, |r| refuse(state, r)).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let bad = |message: &str| {
        error(
            StatusCode::BAD_REQUEST,
            message,
            "invalid_request_error",
            None,
        )
    };
    let request: ChatRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return bad(&format!("invalid JSON body: {e}")),
    };
    let Some(user) = request.messages.iter().rev().find(|m| m.role == "user") else {
        return bad("mock: no user message");
    };
    let written = match llm_answer(state, headers, &user.content, fault) {
        Ok(w) => w,
        Err(message) => return bad(&message),
    };
    let prompt_tokens: usize = request.messages.iter().map(|m| tokens(&m.content)).sum();
    let reasoning_tokens = written.reasoning.as_deref().map_or(0, tokens);
    let completion_tokens = tokens(&written.text) + reasoning_tokens;
    let finish = if written.truncated { "length" } else { "stop" };
    let mut message = json!({"role": "assistant", "content": written.text});
    let mut usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens});
    if let Some(reasoning) = &written.reasoning {
        // As DeepSeek's API and vLLM's reasoning parsers answer.
        message["reasoning_content"] = reasoning.as_str().into();
        usage["completion_tokens_details"] = json!({"reasoning_tokens": reasoning_tokens});
    }
    axum::Json(json!({
        "id": format!("chatcmpl-mock-{:x}", phrases::fnv1a(&[&user.content])),
        "object": "chat.completion",
        "created": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        "model": request.model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": usage,
    }))
    .into_response()
}
