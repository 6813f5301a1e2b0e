//! The mock's Anthropic Messages endpoint (`POST /v1/messages`): `x-api-key` and
//! `anthropic-version` required, 529 when overloaded, a 429 without Retry-After for a
//! spent quota.

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

pub(super) async fn messages(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = answer(&state, &headers, &body);
    state.serve("/v1/messages", &headers, &body, answer).await
}

fn error(status: u16, kind: &str, message: &str, details: Option<serde_json::Value>) -> Response {
    let mut error = json!({"type": kind, "message": message});
    if let Some(d) = details {
        error["details"] = d;
    }
    let body = json!({"type": "error", "error": error, "request_id": "req_mock"});
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

fn refuse(state: &MockState, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized => error(401, "authentication_error", "invalid x-api-key", None),
        Refusal::Throttled => {
            let mut r = error(
                429,
                "rate_limit_error",
                "Number of requests has exceeded your rate limit.",
                None,
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, state.options.retry_after.into());
            r
        }
        Refusal::Quota => error(
            429,
            "rate_limit_error",
            "You have reached your specified API usage limits.",
            Some(json!({"error_code": "enforced_spend_limit_reached"})),
        ),
        Refusal::Overloaded => error(529, "overloaded_error", "Overloaded", None),
        Refusal::ServerError => error(500, "api_error", "Internal server error", None),
    }
}

#[derive(Deserialize)]
struct MessagesRequest {
    model: String,
    #[serde(default)]
    max_tokens: Option<u32>,
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
        .is_none_or(|key| header(headers, "x-api-key") == Some(key.as_str()));
    let fault = match gate(state, authorized, |r| refuse(state, r)).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let bad = |message: &str| error(400, "invalid_request_error", message, None);
    if header(headers, "anthropic-version").is_none() {
        return bad("anthropic-version: header is required");
    }
    let request: MessagesRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return bad(&format!("invalid JSON body: {e}")),
    };
    if request.max_tokens.is_none() {
        return bad("max_tokens: Field required");
    }
    if request.messages.iter().any(|m| m.role == "system") {
        return bad("messages: the system prompt goes in the top-level `system` field");
    }
    let Some(user) = request.messages.iter().rev().find(|m| m.role == "user") else {
        return bad("messages: at least one user message is required");
    };
    let written = match llm_answer(state, headers, &user.content, fault) {
        Ok(w) => w,
        Err(message) => return bad(&message),
    };
    let stop = if written.truncated {
        "max_tokens"
    } else {
        "end_turn"
    };
    let mut content = vec![json!({"type": "text", "text": written.text})];
    let mut output_tokens = tokens(&written.text);
    if let Some(thinking) = &written.reasoning {
        // Extended thinking: a `thinking` block before the text, billed as output.
        content.insert(
            0,
            json!({"type": "thinking", "thinking": thinking, "signature": "mock"}),
        );
        output_tokens += tokens(thinking);
    }
    axum::Json(json!({
        "id": format!("msg_mock_{:x}", phrases::fnv1a(&[&user.content])),
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {"input_tokens": tokens(&user.content), "output_tokens": output_tokens},
    }))
    .into_response()
}
