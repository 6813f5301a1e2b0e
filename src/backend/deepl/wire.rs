//! DeepL API v2's wire types, and how its error answers read.

use serde::{Deserialize, Serialize};

use crate::backend::BackendError;
use crate::backend::http::Reply;

/// A non-200 answer as a typed error; DeepL's error bodies may be empty.
pub(super) fn error(reply: &Reply) -> BackendError {
    let message = serde_json::from_slice::<WireError>(&reply.body)
        .ok()
        .and_then(|e| e.message)
        .unwrap_or_else(|| reply.brief_text());
    let message = if message.is_empty() {
        format!("HTTP {} with an empty body", reply.status)
    } else {
        message
    };
    match reply.status {
        456 => BackendError::QuotaExhausted(format!("{message} (check /v2/usage)")),
        // DeepL's 529 means too many requests, like its 429: pause, then retry.
        529 => BackendError::RateLimited {
            retry_after: reply.retry_after,
            message,
        },
        status => BackendError::from_status(status, reply.retry_after, message),
    }
}

#[derive(Serialize)]
pub(super) struct TranslateRequest<'a> {
    pub text: &'a [String],
    pub source_lang: String,
    pub target_lang: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formality: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glossary_id: Option<&'a str>,
    pub tag_handling: &'a str,
    pub split_sentences: &'a str,
    pub preserve_formatting: bool,
    pub show_billed_characters: bool,
}

#[derive(Deserialize)]
pub(super) struct TranslateResponse {
    pub translations: Vec<WireTranslation>,
}

#[derive(Deserialize)]
pub(super) struct WireTranslation {
    pub text: String,
    pub billed_characters: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct WireLanguage {
    pub language: String,
    #[serde(default)]
    pub supports_formality: bool,
}

#[derive(Deserialize)]
pub(super) struct WireUsage {
    #[serde(default)]
    pub character_count: u64,
    #[serde(default)]
    pub character_limit: u64,
}

#[derive(Serialize)]
pub(super) struct NewGlossary<'a> {
    pub name: &'a str,
    pub source_lang: &'a str,
    pub target_lang: &'a str,
    pub entries: &'a str,
    pub entries_format: &'a str,
}

#[derive(Deserialize)]
pub(super) struct WireGlossaryList {
    #[serde(default)]
    pub glossaries: Vec<WireGlossary>,
}

#[derive(Deserialize)]
pub(super) struct WireGlossary {
    pub glossary_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub source_lang: String,
    #[serde(default)]
    pub target_lang: String,
}

#[derive(Deserialize)]
pub(super) struct WireError {
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_empty_bodies() {
        let reply = |status: u16, body: &'static str| Reply {
            status,
            retry_after: None,
            body: bytes::Bytes::from_static(body.as_bytes()),
        };
        assert_eq!(error(&reply(456, "")).kind(), "quota_exhausted");
        assert_eq!(error(&reply(429, "")).kind(), "rate_limited");
        assert_eq!(error(&reply(529, "")).kind(), "rate_limited");
        assert_eq!(error(&reply(503, "")).kind(), "server_error");
        assert_eq!(error(&reply(403, "")).kind(), "rejected");
        let bad = error(&reply(
            400,
            r#"{"message":"Value for 'target_lang' not supported."}"#,
        ));
        assert!(bad.to_string().contains("target_lang"));
        assert!(error(&reply(403, "")).to_string().contains("empty body"));
    }
}
