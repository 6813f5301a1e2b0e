//! LibreTranslate (`POST {base_url}/translate`) with `q` as an array and `format: "html"`,
//! so that placeholders come back as elements. The API key travels in the body.
//!
//! At start it reads `/languages`, which pairs the server offers, and maps BCP 47 tags
//! to its codes (`pt-BR` may be `pb` or `pt`, `zh` may be `zh-Hans` or `zh`). It has no
//! glossaries: glossary terms travel as placeholders. Its 429 carries no Retry-After.

use std::sync::OnceLock;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::http::{Http, Reply};
use super::{
    Backend, BackendError, BackendRequest, BackendResponse, GlossarySupport, Profile, SentAt, Usage,
};
use crate::config::BackendConfig;
use crate::lang::LangTag;
use crate::protect::{from_markup, to_markup};
use crate::protocol::Answer;

pub(super) struct LibreTranslate {
    http: Http,
    base: String,
    languages: OnceLock<Vec<WireLanguage>>,
}

impl LibreTranslate {
    pub(super) fn new(cfg: &BackendConfig, base_url: &str) -> Result<LibreTranslate, BackendError> {
        Ok(LibreTranslate {
            http: Http::new(cfg)?,
            base: base_url.trim_end_matches('/').to_string(),
            languages: OnceLock::new(),
        })
    }

    async fn learn(&self) -> Result<(), BackendError> {
        let reply = self
            .http
            .send(self.http.get(&format!("{}/languages", self.base)))
            .await?;
        if reply.status != 200 {
            return Err(error(&reply));
        }
        let _ = self.languages.set(reply.json("a /languages list")?);
        Ok(())
    }

    /// The server's code for `tag`, if it lists one.
    fn code(&self, tag: &LangTag) -> Option<&str> {
        let listed = self.languages.get()?;
        candidates(tag).into_iter().find_map(|c| {
            listed
                .iter()
                .find(|l| l.code.eq_ignore_ascii_case(&c))
                .map(|l| l.code.as_str())
        })
    }

    /// Source and target codes, when the server translates that pair.
    fn pair(&self, source: &LangTag, target: &LangTag) -> Result<(&str, &str), BackendError> {
        let listed = self.languages.get().map(Vec::as_slice).unwrap_or_default();
        let target_code = self.code(target);
        let from = self
            .code(source)
            .and_then(|s| listed.iter().find(|l| l.code == s));
        match (from, target_code) {
            (Some(from), Some(to)) if from.targets.iter().any(|t| t == to) => {
                Ok((from.code.as_str(), to))
            }
            _ => Err(self.unsupported(format!("{target} from {source}"))),
        }
    }

    fn unsupported(&self, target: String) -> BackendError {
        let listed = self.languages.get().map(Vec::as_slice).unwrap_or_default();
        BackendError::Unsupported {
            target,
            offered: listed
                .iter()
                .map(|l| l.code.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    async fn send(
        &self,
        req: &BackendRequest,
        sent: &SentAt,
    ) -> Result<BackendResponse, BackendError> {
        let (source, target) = self.pair(&req.source, &req.target)?;
        let q: Vec<String> = req.texts.iter().map(|t| to_markup(t)).collect();
        let body = TranslateRequest {
            q: &q,
            source,
            target,
            format: "html",
            api_key: self.http.api_key.as_ref().map(|k| k.expose()),
        };
        let url = format!("{}/translate", self.base);
        let reply = self
            .http
            .send(self.http.post_json(&url, &body, req, sent)?)
            .await?;
        if reply.status != 200 {
            return Err(error(&reply));
        }
        let answer: TranslateResponse = reply.json("a LibreTranslate translation")?;
        if answer.translated_text.len() != req.texts.len() {
            return Err(BackendError::Malformed(format!(
                "{} translations for {} texts",
                answer.translated_text.len(),
                req.texts.len()
            )));
        }
        Ok(BackendResponse {
            answer: Answer::Pieces(
                answer
                    .translated_text
                    .iter()
                    .map(|t| from_markup(t))
                    .collect(),
            ),
            usage: Usage {
                requests: 1,
                characters: req.characters() as u64,
                ..Usage::default()
            },
        })
    }
}

impl Backend for LibreTranslate {
    fn call<'a>(
        &'a self,
        req: &'a BackendRequest,
        sent: &'a SentAt,
    ) -> BoxFuture<'a, Result<BackendResponse, BackendError>> {
        self.send(req, sent).boxed()
    }

    fn profile(&self) -> Profile {
        Profile {
            glossaries: GlossarySupport::Placeholders,
            max_texts: None,
        }
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        self.learn().boxed()
    }

    fn check_target(&self, target: &LangTag) -> Result<(), BackendError> {
        let listed = self.languages.get().map(Vec::as_slice).unwrap_or_default();
        let offered = self
            .code(target)
            .is_some_and(|code| listed.iter().any(|l| l.targets.iter().any(|t| t == code)));
        if offered {
            Ok(())
        } else {
            Err(self.unsupported(target.to_string()))
        }
    }
}

/// LibreTranslate's possible codes for `tag`, most specific first.
pub(super) fn candidates(tag: &LangTag) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    match (tag.primary(), tag.region()) {
        ("pt", Some("BR")) => out.extend(["pt-BR", "pb"].map(String::from)),
        ("zh", region) => {
            let traditional =
                tag.script() == Some("Hant") || matches!(region, Some("TW" | "HK" | "MO"));
            // A traditional-script request never falls back to bare `zh` (simplified).
            return if traditional {
                ["zh-Hant", "zt"].map(String::from).to_vec()
            } else {
                ["zh-Hans", "zh"].map(String::from).to_vec()
            };
        }
        _ => out.push(tag.as_str().to_string()),
    }
    out.push(tag.primary().to_string());
    let mut seen = Vec::new();
    out.retain(|c| {
        let new = !seen.contains(c);
        seen.push(c.clone());
        new
    });
    out
}

fn error(reply: &Reply) -> BackendError {
    let message = serde_json::from_slice::<WireError>(&reply.body)
        .map(|e| e.error)
        .unwrap_or_else(|_| reply.brief_text());
    BackendError::from_status(reply.status, reply.retry_after, message)
}

#[derive(Serialize)]
struct TranslateRequest<'a> {
    q: &'a [String],
    source: &'a str,
    target: &'a str,
    format: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<&'a str>,
}

#[derive(Deserialize)]
struct TranslateResponse {
    #[serde(rename = "translatedText")]
    translated_text: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
struct WireLanguage {
    code: String,
    #[serde(default)]
    targets: Vec<String>,
}

#[derive(Deserialize)]
struct WireError {
    error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_errors() {
        let c = |t: &str| candidates(&LangTag::parse(t).unwrap());
        assert_eq!(c("pt-BR"), ["pt-BR", "pb", "pt"]);
        assert_eq!(c("zh"), ["zh-Hans", "zh"]);
        assert_eq!(c("zh-Hant"), ["zh-Hant", "zt"]);
        assert_eq!(c("ru"), ["ru"]);
        let reply = |status: u16, body: &'static str| Reply {
            status,
            retry_after: None,
            body: bytes::Bytes::from_static(body.as_bytes()),
        };
        let slow = error(&reply(429, r#"{"error":"Slowdown: 20 per 1 minute"}"#));
        assert!(matches!(
            slow,
            BackendError::RateLimited {
                retry_after: None,
                ..
            }
        ));
        assert_eq!(error(&reply(400, r#"{"error":"x"}"#)).kind(), "rejected");
        assert_eq!(error(&reply(500, "oops")).kind(), "server_error");
    }
}
