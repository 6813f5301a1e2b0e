//! The mock's DeepL API v2: `/v2/translate`, `/v2/languages`, `/v2/usage` and
//! `/v2/glossaries`. It wants a User-Agent and, with `--api-key`, `DeepL-Auth-Key`; its
//! 403, 429 and 529 have empty bodies as DeepL's do; `--character-limit` makes it answer
//! 456 once the quota is spent. Glossaries created through the API are applied.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::MockState;
use super::content::{translations, written_in};
use super::gate::{Refusal, gate, header};
use crate::protect::{from_markup, to_markup};
use crate::protocol::deepl::{MAX_BODY_BYTES, MAX_TEXTS};

/// Targets that take `formality`.
const FORMAL: &[&str] = &["de", "fr", "es", "pt", "ru", "ja", "nl"];

/// A glossary created through the mock's API.
#[derive(Clone, Debug)]
pub(super) struct MockGlossary {
    id: String,
    name: String,
    source_lang: String,
    target_lang: String,
    entries: Vec<(String, String)>,
}

impl MockGlossary {
    fn json(&self) -> serde_json::Value {
        json!({
            "glossary_id": self.id, "name": self.name, "ready": true,
            "source_lang": self.source_lang, "target_lang": self.target_lang,
            "creation_time": "2026-01-01T00:00:00Z", "entry_count": self.entries.len(),
        })
    }
}

fn message(status: u16, text: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({"message": text}))).into_response()
}

fn empty(status: u16) -> Response {
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        .into_response()
}

fn refuse(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Unauthorized => empty(403),
        Refusal::Throttled => empty(429),
        Refusal::Quota => message(456, "Quota exceeded"),
        Refusal::Overloaded => empty(529),
        Refusal::ServerError => message(500, "Internal server error"),
    }
}

/// DeepL wants a User-Agent on every request.
fn without_user_agent(headers: &HeaderMap) -> Option<Response> {
    header(headers, "user-agent")
        .is_none_or(str::is_empty)
        .then(|| message(400, "mock: send a User-Agent header"))
}

/// With `--api-key`, the key in `Authorization: DeepL-Auth-Key …`.
fn authorized(state: &MockState, headers: &HeaderMap) -> bool {
    state.options.api_key.as_ref().is_none_or(|key| {
        header(headers, "authorization") == Some(&format!("DeepL-Auth-Key {key}"))
    })
}

/// The refusal of a request to a path without faults (languages, usage, glossaries).
fn refused(state: &MockState, headers: &HeaderMap) -> Option<Response> {
    without_user_agent(headers).or_else(|| (!authorized(state, headers)).then(|| empty(403)))
}

/// Target codes on offer: variants where DeepL has them.
fn targets(state: &MockState) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for lang in state.offered() {
        let codes: Vec<String> = match lang {
            "en" => vec!["EN-GB".into(), "EN-US".into()],
            "pt" => vec!["PT-BR".into(), "PT-PT".into()],
            "zh" => vec!["ZH".into(), "ZH-HANS".into(), "ZH-HANT".into()],
            other => vec![other.to_ascii_uppercase()],
        };
        out.extend(codes.into_iter().map(|c| (c, lang)));
    }
    out
}

#[derive(Deserialize)]
pub(super) struct LanguagesQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub(super) async fn languages(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    Query(q): Query<LanguagesQuery>,
) -> Response {
    state.record("/v2/languages", &headers, &[]);
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let list: Vec<serde_json::Value> = if q.kind.as_deref() == Some("target") {
        targets(&state)
            .into_iter()
            .map(|(code, lang)| {
                json!({"language": code, "name": code, "supports_formality": FORMAL.contains(&lang)})
            })
            .collect()
    } else {
        state
            .offered()
            .into_iter()
            .map(|l| json!({"language": l.to_ascii_uppercase(), "name": l}))
            .collect()
    };
    Json(list).into_response()
}

pub(super) async fn usage(State(state): State<Arc<MockState>>, headers: HeaderMap) -> Response {
    state.record("/v2/usage", &headers, &[]);
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    Json(json!({
        "character_count": state.characters.load(Ordering::Relaxed),
        "character_limit": state.options.character_limit.unwrap_or(1_000_000_000_000),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct NewGlossary {
    name: String,
    source_lang: String,
    target_lang: String,
    entries: String,
    entries_format: String,
}

pub(super) async fn create_glossary(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.record("/v2/glossaries", &headers, &body);
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let new: NewGlossary = match serde_json::from_slice(&body) {
        Ok(g) => g,
        Err(e) => return message(400, &format!("invalid glossary: {e}")),
    };
    if new.entries_format != "tsv" {
        return message(400, "mock: entries_format must be tsv");
    }
    let mut entries = Vec::new();
    for line in new.entries.lines().filter(|l| !l.trim().is_empty()) {
        match line.split_once('\t') {
            Some((s, t)) => entries.push((s.trim().to_string(), t.trim().to_string())),
            None => return message(400, "Invalid glossary entries: a line without a tab"),
        }
    }
    let mut glossaries = state.lock_glossaries();
    let glossary = MockGlossary {
        id: format!("mock-glossary-{}", glossaries.len() + 1),
        name: new.name,
        source_lang: new.source_lang.to_ascii_lowercase(),
        target_lang: new.target_lang.to_ascii_lowercase(),
        entries,
    };
    let created = glossary.json();
    glossaries.push(glossary);
    (StatusCode::CREATED, Json(created)).into_response()
}

pub(super) async fn list_glossaries(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
) -> Response {
    state.record("/v2/glossaries", &headers, &[]);
    if let Some(refusal) = refused(&state, &headers) {
        return refusal;
    }
    let list: Vec<serde_json::Value> = state
        .lock_glossaries()
        .iter()
        .map(MockGlossary::json)
        .collect();
    Json(json!({"glossaries": list})).into_response()
}

#[derive(Deserialize)]
struct TranslateRequest {
    text: Vec<String>,
    target_lang: String,
    source_lang: Option<String>,
    glossary_id: Option<String>,
    tag_handling: Option<String>,
    formality: Option<String>,
    #[serde(default)]
    show_billed_characters: bool,
}

pub(super) async fn translate(
    State(state): State<Arc<MockState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = answer(&state, &headers, &body);
    state.serve("/v2/translate", &headers, &body, answer).await
}

async fn answer(state: &MockState, headers: &HeaderMap, body: &[u8]) -> Response {
    if let Some(refusal) = without_user_agent(headers) {
        return refusal;
    }
    let fault = match gate(state, authorized(state, headers), refuse).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    if body.len() > MAX_BODY_BYTES {
        return message(413, "Request Entity Too Large");
    }
    let request: TranslateRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return message(400, &format!("Invalid request: {e}")),
    };
    if request.text.is_empty() || request.text.len() > MAX_TEXTS {
        return message(
            400,
            &format!("Parameter 'text' takes 1 to {MAX_TEXTS} texts"),
        );
    }
    let offered = targets(state);
    let Some((_, target)) = offered
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(&request.target_lang))
    else {
        return message(400, "Value for 'target_lang' not supported.");
    };
    let source = match &request.source_lang {
        Some(code) => {
            let code = code.to_ascii_lowercase();
            match state.offered().into_iter().find(|l| *l == code) {
                Some(l) => l,
                None => return message(400, "Value for 'source_lang' not supported."),
            }
        }
        None => "en",
    };
    if matches!(request.formality.as_deref(), Some("more" | "less")) && !FORMAL.contains(target) {
        return message(
            400,
            "'formality' is not supported for the given 'target_lang'.",
        );
    }
    let glossary = match &request.glossary_id {
        None => Vec::new(),
        Some(_) if request.source_lang.is_none() => {
            return message(
                400,
                "Use of a glossary requires the 'source_lang' parameter",
            );
        }
        Some(id) => {
            let glossaries = state.lock_glossaries();
            match glossaries.iter().find(|g| &g.id == id) {
                Some(g) if g.source_lang == source && g.target_lang == *target => g.entries.clone(),
                Some(_) => return message(400, "The glossary's language pair does not match"),
                None => return message(404, "Glossary not found"),
            }
        }
    };
    let markup = request.tag_handling.as_deref() == Some("xml");
    let texts: Vec<String> = request
        .text
        .iter()
        .map(|t| if markup { from_markup(t) } else { t.clone() })
        .collect();
    let characters: u64 = texts.iter().map(|t| t.chars().count() as u64).sum();
    if let Some(limit) = state.options.character_limit
        && state.characters.load(Ordering::Relaxed) + characters > limit
    {
        return message(456, "Quota exceeded");
    }
    state.characters.fetch_add(characters, Ordering::Relaxed);
    let sources: Vec<&str> = texts.iter().map(String::as_str).collect();
    let Some(written) = translations(
        state,
        &sources,
        source,
        written_in(target, fault),
        fault,
        &glossary,
    ) else {
        return message(400, "Value for 'target_lang' not supported.");
    };
    let out: Vec<serde_json::Value> = written
        .iter()
        .zip(&texts)
        .map(|(text, src)| {
            let text = if markup {
                to_markup(text)
            } else {
                text.clone()
            };
            let mut t =
                json!({"detected_source_language": source.to_ascii_uppercase(), "text": text});
            if request.show_billed_characters {
                t["billed_characters"] = src.chars().count().into();
            }
            t
        })
        .collect();
    Json(json!({"translations": out})).into_response()
}
