//! The mock's LibreTranslate: `GET /languages` and `POST /translate` with `q` as a text
//! or a list, `api_key` in the body, `format` text or html. Its 429 carries no
//! Retry-After, as LibreTranslate's does not; it has no glossaries.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::MockState;
use super::content::{translations, written_in};
use super::gate::{Refusal, gate};
use crate::protect::{from_markup, to_markup};

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

fn refuse(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized => error(StatusCode::FORBIDDEN, "Invalid API key"),
        Refusal::Throttled => error(StatusCode::TOO_MANY_REQUESTS, "Slowdown: 20 per 1 minute"),
        Refusal::Quota => error(StatusCode::FORBIDDEN, "Too many request limits violations"),
        Refusal::Overloaded => error(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable"),
        Refusal::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "Cannot translate text"),
    }
}

/// The codes on offer and the language each writes: `pb` is Brazilian Portuguese, and
/// Chinese comes as `zh-Hans` and `zh-Hant`, as in LibreTranslate 1.6 and later.
fn codes(state: &MockState) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for lang in state.offered() {
        match lang {
            "pt" => out.extend([("pt".to_string(), lang), ("pb".to_string(), lang)]),
            "zh" => out.extend([("zh-Hans".to_string(), lang), ("zh-Hant".to_string(), lang)]),
            other => out.push((other.to_string(), lang)),
        }
    }
    out
}

pub(super) async fn languages(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    state.record("/languages", &headers, &[]);
    let all = codes(&state);
    let list: Vec<serde_json::Value> = all
        .iter()
        .map(|(code, _)| {
            let targets: Vec<&str> = all
                .iter()
                .map(|(c, _)| c.as_str())
                .filter(|c| c != code)
                .collect();
            json!({"code": code, "name": code, "targets": targets})
        })
        .collect();
    Json(list).into_response()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Q {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct TranslateRequest {
    q: Q,
    source: String,
    target: String,
    #[serde(default)]
    format: Option<String>,
    api_key: Option<String>,
}

pub(super) async fn translate(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = answer(&state, &body);
    state.serve("/translate", &headers, &body, answer).await
}

async fn answer(state: &MockState, body: &[u8]) -> Response {
    let request: TranslateRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("Invalid request: {e}")),
    };
    let authorized = state
        .options
        .api_key
        .as_ref()
        .is_none_or(|key| request.api_key.as_deref() == Some(key.as_str()));
    let fault = match gate(state, authorized, refuse).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let offered = codes(state);
    let lang = |code: &str| {
        offered
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, lang)| *lang)
    };
    let source = match (request.source.as_str(), lang(&request.source)) {
        ("auto", _) => "en",
        (_, Some(l)) => l,
        (code, None) => return error(StatusCode::BAD_REQUEST, &format!("{code} is not supported")),
    };
    let Some(target) = lang(&request.target) else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("{} is not supported", request.target),
        );
    };
    let html = match request.format.as_deref() {
        None | Some("text") => false,
        Some("html") => true,
        Some(_) => return error(StatusCode::BAD_REQUEST, "format is not supported"),
    };
    let (texts, many) = match request.q {
        Q::One(t) => (vec![t], false),
        Q::Many(ts) => (ts, true),
    };
    let texts: Vec<String> = texts
        .iter()
        .map(|t| if html { from_markup(t) } else { t.clone() })
        .collect();
    let sources: Vec<&str> = texts.iter().map(String::as_str).collect();
    let Some(written) = translations(
        state,
        &sources,
        source,
        written_in(target, fault),
        fault,
        &[],
    ) else {
        return error(StatusCode::BAD_REQUEST, "Cannot translate text");
    };
    let written: Vec<String> = written
        .into_iter()
        .map(|t| if html { to_markup(&t) } else { t })
        .collect();
    if many {
        Json(json!({"translatedText": written})).into_response()
    } else {
        Json(json!({"translatedText": written.first()})).into_response()
    }
}
