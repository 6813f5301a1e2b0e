//! DeepL API v2: `POST {base_url}/v2/translate` with `text[]`, `DeepL-Auth-Key` auth.
//!
//! At start it reads `/v2/languages` (which targets the account offers) and `/v2/usage`.
//! Texts travel with `tag_handling=xml`, so that placeholders come back as elements and
//! the rest is escaped; the block before a chunk goes as `context` (not translated, not
//! billed). A glossary is created through `/v2/glossaries` once per content hash and
//! reused by name (`lingo-<hash>`), also across restarts.
//!
//! 429 and 529 are retryable with backoff (no Retry-After is documented); 456 means the
//! character quota is spent, which no retry fixes: the work moves to the next backend.
//! Error bodies may be empty.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use futures::FutureExt;
use futures::future::BoxFuture;

mod codes;
mod wire;

use super::http::{Http, encode};
use super::{
    Account, Backend, BackendError, BackendRequest, BackendResponse, GlossarySupport, Profile,
    SentAt, Usage,
};
use crate::config::BackendConfig;
use crate::glossary::Glossary;
use crate::lang::LangTag;
use crate::protect::{from_markup, to_markup};
use crate::protocol::Answer;
use crate::protocol::deepl::{MAX_BODY_BYTES, MAX_TEXTS};
use codes::{source_code, target_candidates};
use wire::{
    NewGlossary, TranslateRequest, TranslateResponse, WireGlossary, WireGlossaryList, WireLanguage,
    WireUsage, error,
};

pub(super) struct DeepL {
    http: Http,
    base: String,
    formality: Option<String>,
    /// Target codes the account offers, and whether each takes `formality`.
    targets: OnceLock<Vec<(String, bool)>>,
    account: Mutex<Option<Account>>,
    /// Glossary ids by content hash; the async lock keeps two chunks from creating one twice.
    glossaries: tokio::sync::Mutex<HashMap<String, String>>,
}

impl DeepL {
    pub(super) fn new(cfg: &BackendConfig, base_url: &str) -> Result<DeepL, BackendError> {
        Ok(DeepL {
            http: Http::new(cfg)?,
            base: base_url.trim_end_matches('/').to_string(),
            formality: cfg.formality.clone(),
            targets: OnceLock::new(),
            account: Mutex::new(None),
            glossaries: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    fn authed(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.http.api_key {
            Some(key) => {
                builder.header("authorization", format!("DeepL-Auth-Key {}", key.expose()))
            }
            None => builder,
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, BackendError> {
        let reply = self
            .http
            .send(self.authed(self.http.get(&format!("{}{path}", self.base))))
            .await?;
        if reply.status != 200 {
            return Err(error(&reply));
        }
        reply.json(&format!("the answer of {path}"))
    }

    async fn learn(&self) -> Result<(), BackendError> {
        let targets: Vec<WireLanguage> = self.get("/v2/languages?type=target").await?;
        let _ = self.targets.set(
            targets
                .into_iter()
                .map(|l| (l.language.to_ascii_uppercase(), l.supports_formality))
                .collect(),
        );
        let usage: WireUsage = self.get("/v2/usage").await?;
        *self.account.lock().unwrap_or_else(|p| p.into_inner()) = Some(Account {
            character_count: usage.character_count,
            character_limit: usage.character_limit,
        });
        Ok(())
    }

    /// The DeepL target code for `tag` among those offered, with its formality support.
    fn target_code(&self, tag: &LangTag) -> Option<(String, bool)> {
        let offered = self.targets.get()?;
        target_candidates(tag)
            .into_iter()
            .find_map(|c| offered.iter().find(|(code, _)| *code == c).cloned())
    }

    /// The id of `glossary` at DeepL: known, found by name, or created now.
    async fn glossary_id(&self, glossary: &Glossary) -> Result<String, BackendError> {
        let mut known = self.glossaries.lock().await;
        if let Some(id) = known.get(&glossary.version) {
            return Ok(id.clone());
        }
        let name = format!("lingo-{}", glossary.version);
        let (source, target) = (glossary.source.primary(), glossary.target.primary());
        let listed: WireGlossaryList = self.get("/v2/glossaries").await?;
        let found = listed.glossaries.into_iter().find(|g| {
            g.name == name
                && g.source_lang.eq_ignore_ascii_case(source)
                && g.target_lang.eq_ignore_ascii_case(target)
        });
        let id = match found {
            Some(g) => g.glossary_id,
            None => {
                let body = NewGlossary {
                    name: &name,
                    source_lang: source,
                    target_lang: target,
                    entries: &glossary.to_tsv(),
                    entries_format: "tsv",
                };
                let builder = self
                    .authed(self.http.post(&format!("{}/v2/glossaries", self.base)))
                    .json(&body);
                let reply = self.http.send(builder).await?;
                if !matches!(reply.status, 200 | 201) {
                    return Err(error(&reply));
                }
                reply.json::<WireGlossary>("a glossary")?.glossary_id
            }
        };
        known.insert(glossary.version.clone(), id.clone());
        Ok(id)
    }

    async fn send(
        &self,
        req: &BackendRequest,
        sent: &SentAt,
    ) -> Result<BackendResponse, BackendError> {
        let Some((target_lang, formal)) = self.target_code(&req.target) else {
            return Err(self.unsupported(&req.target));
        };
        if req.texts.len() > MAX_TEXTS {
            return Err(BackendError::Rejected {
                status: 413,
                message: format!(
                    "{} texts in one request; DeepL takes {MAX_TEXTS}",
                    req.texts.len()
                ),
            });
        }
        let glossary_id = match &req.glossary {
            Some(g) if !g.entries.is_empty() => Some(self.glossary_id(g).await?),
            _ => None,
        };
        let texts: Vec<String> = req.texts.iter().map(|t| to_markup(t)).collect();
        let body = TranslateRequest {
            text: &texts,
            source_lang: source_code(&req.source),
            target_lang: &target_lang,
            context: req.context.as_deref(),
            formality: self.formality.as_deref().filter(|_| formal),
            glossary_id: glossary_id.as_deref(),
            tag_handling: "xml",
            split_sentences: "nonewlines",
            preserve_formatting: true,
            show_billed_characters: true,
        };
        let encoded = encode(&body)?;
        let size = encoded.len();
        if size > MAX_BODY_BYTES {
            return Err(BackendError::Rejected {
                status: 413,
                message: format!("a {size}-byte request; DeepL takes {MAX_BODY_BYTES}"),
            });
        }
        let url = format!("{}/v2/translate", self.base);
        let builder = self.authed(self.http.post_encoded(&url, encoded, req, sent));
        let reply = self.http.send(builder).await?;
        if reply.status != 200 {
            return Err(error(&reply));
        }
        let answer: TranslateResponse = reply.json("a DeepL translation")?;
        if answer.translations.len() != req.texts.len() {
            return Err(BackendError::Malformed(format!(
                "{} translations for {} texts",
                answer.translations.len(),
                req.texts.len()
            )));
        }
        let billed = answer
            .translations
            .iter()
            .map(|t| t.billed_characters)
            .sum::<Option<u64>>()
            .unwrap_or(req.characters() as u64);
        Ok(BackendResponse {
            answer: Answer::Pieces(
                answer
                    .translations
                    .iter()
                    .map(|t| from_markup(&t.text))
                    .collect(),
            ),
            usage: Usage {
                requests: 1,
                characters: billed,
                ..Usage::default()
            },
        })
    }

    fn unsupported(&self, target: &LangTag) -> BackendError {
        let offered = self
            .targets
            .get()
            .map(|t| {
                t.iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        BackendError::Unsupported {
            target: target.to_string(),
            offered,
        }
    }
}

impl Backend for DeepL {
    fn call<'a>(
        &'a self,
        req: &'a BackendRequest,
        sent: &'a SentAt,
    ) -> BoxFuture<'a, Result<BackendResponse, BackendError>> {
        self.send(req, sent).boxed()
    }

    fn profile(&self) -> Profile {
        Profile {
            glossaries: GlossarySupport::Native,
            max_texts: Some(MAX_TEXTS),
        }
    }

    fn prepare(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        self.learn().boxed()
    }

    fn check_target(&self, target: &LangTag) -> Result<(), BackendError> {
        match self.target_code(target) {
            Some(_) => Ok(()),
            None => Err(self.unsupported(target)),
        }
    }

    fn account(&self) -> Option<Account> {
        self.account
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
