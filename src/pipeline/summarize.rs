//! A summary in one language. Each backend of the summary route is tried in turn:
//! - an LLM gets the whole article when it fits its budget ("stuff"), else summaries of
//!   its chunks and then a summary of those ("map-reduce", again while they do not fit);
//!   every answer is validated (language, numbers grounded in the article); an answer
//!   over its length gets one "shorten" request, then is cut at a sentence boundary;
//! - the built-in extractive backend picks sentences of the article, in its language, and
//!   has them translated through the translation route. Reached after LLMs failed, it is
//!   degraded mode, and a warning says so.

use std::sync::{Arc, Mutex};

use futures::future::join_all;
use serde::Serialize;
use tokio::sync::OnceCell;

use super::{Judged, Ledger, RunError, Warning, attempts, judge, off_runtime, translation_route};
use crate::article::Article;
use crate::backend::{BackendError, BackendRequest};
use crate::checks;
use crate::chunk::{self, Budget, Chunk, Piece};
use crate::config::Strategy;
use crate::dispatch::Dispatcher;
use crate::extractive;
use crate::gateway::{Gateway, RoutedBackend};
use crate::lang::LangTag;
use crate::length::{Contract, LengthSpec, Unit};
use crate::prompts::Prompt;
use crate::protocol::Task;

/// Answers a backend may give for one summary step before the summary moves on.
const ANSWER_ATTEMPTS: usize = 3;
/// Rounds of map-reduce before the partial summaries must fit.
const MAX_ROUNDS: usize = 4;

/// How the summary came to keep its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    AsWritten,
    Shortened,
    Cut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Llm,
    Extractive,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Summary {
    /// The language asked for.
    pub lang: LangTag,
    /// The language it is written in: the article's, when no translation was possible.
    pub written_in: LangTag,
    pub text: String,
    pub length: Contract,
    pub fit: Fit,
    pub method: Method,
}

/// The article-language summary that pivot routes share within one run, and its cost,
/// taken by whichever language records it first so that it is counted once.
pub(super) type Pivot = OnceCell<(Summary, Mutex<Option<Ledger>>)>;

pub(super) async fn summarize(
    gw: &Gateway,
    article: &Article,
    target: &LangTag,
    spec: LengthSpec,
    pivot: &Pivot,
) -> Result<(Summary, Ledger), RunError> {
    let source = &article.lang;
    if gw.strategy(target) != Strategy::Pivot || target.primary() == source.primary() {
        return direct(gw, article, target, spec).await;
    }
    let (base, cost) = pivot
        .get_or_try_init(|| async {
            let (summary, ledger) = direct(gw, article, source, spec).await?;
            Ok::<_, RunError>((summary, Mutex::new(Some(ledger))))
        })
        .await?;
    let mut ledger = cost
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .unwrap_or_default();
    let draft = Draft {
        text: base.text.clone(),
        lang: source,
        method: base.method,
        fit: base.fit,
    };
    let summary = localize(
        gw,
        draft,
        target,
        Contract::new(spec, target),
        "pivot",
        &mut ledger,
    )
    .await;
    Ok((summary, ledger))
}

/// Straight into `target`: each backend of the summary route in turn.
async fn direct(
    gw: &Gateway,
    article: &Article,
    target: &LangTag,
    spec: LengthSpec,
) -> Result<(Summary, Ledger), RunError> {
    let length = Contract::new(spec, target);
    let mut ledger = Ledger::default();
    let mut last = String::new();
    let grounds: Arc<str> = article.story().join("\n").into();
    for backend in gw.route(Task::Summarize, target).unwrap_or_default() {
        match backend {
            RoutedBackend::Remote { dispatcher, budget } => {
                let llm = Llm {
                    gw,
                    dispatcher,
                    budget: *budget,
                    article,
                    target,
                    length,
                    grounds: Arc::clone(&grounds),
                };
                match llm.summary(&mut ledger).await {
                    Ok((text, fit)) => {
                        let written_in = target.clone();
                        let summary = Summary {
                            lang: target.clone(),
                            written_in,
                            text,
                            length,
                            fit,
                            method: Method::Llm,
                        };
                        return Ok((summary, ledger));
                    }
                    Err(problem) => last = problem,
                }
            }
            RoutedBackend::Extractive { name } => {
                if !last.is_empty() {
                    ledger.warnings.push(warning(target, name, "every LLM backend of the summary route failed: extractive summary (degraded mode)"));
                }
                let summary = extract(gw, article, target, length, name, &mut ledger).await;
                return Ok((summary, ledger));
            }
        }
    }
    Err(RunError::SummaryFailed {
        lang: target.clone(),
        last,
    })
}

fn warning(lang: &LangTag, backend: &str, message: impl Into<String>) -> Warning {
    Warning {
        lang: lang.to_string(),
        chunk: None,
        block: None,
        backend: Some(backend.to_string()),
        message: message.into(),
    }
}

/// Room for an answer of `length`: four tokens a word (two a character) and a margin.
fn output_tokens(length: Contract) -> u32 {
    let per_unit = match length.unit {
        Unit::Words => 4,
        Unit::Chars => 2,
    };
    u32::try_from(length.limit.saturating_mul(per_unit).saturating_add(64)).unwrap_or(u32::MAX)
}

fn joiner(lang: &LangTag) -> &'static str {
    if lang.language().spaced { " " } else { "" }
}

/// Keeps `text` within `length`: as written, or cut at a sentence boundary.
fn cut_to(text: String, length: Contract, lang: &LangTag) -> (String, Fit) {
    if length.holds(&text) {
        (text, Fit::AsWritten)
    } else {
        (length.cut(&text, joiner(lang)), Fit::Cut)
    }
}

/// Sentences of the story's body, ranked and kept in the article's language, then
/// translated when the target differs.
async fn extract(
    gw: &Gateway,
    article: &Article,
    target: &LangTag,
    length: Contract,
    name: &str,
    ledger: &mut Ledger,
) -> Summary {
    let source = &article.lang;
    let sentences = article.body_sentences();
    let picked =
        extractive::summarize(&sentences, length.in_unit(Unit::of(source)), joiner(source)).text;
    let draft = Draft {
        text: picked,
        lang: source,
        method: Method::Extractive,
        fit: Fit::AsWritten,
    };
    localize(gw, draft, target, length, name, ledger).await
}

/// A summary written in the article's language, before it is made into a target's.
struct Draft<'a> {
    text: String,
    lang: &'a LangTag,
    method: Method,
    fit: Fit,
}

/// `draft` made into `target`'s summary: translated when it can be, then kept within
/// `length` in the unit of the language it ends up in.
async fn localize(
    gw: &Gateway,
    draft: Draft<'_>,
    target: &LangTag,
    length: Contract,
    name: &str,
    ledger: &mut Ledger,
) -> Summary {
    let (text, written_in) = translated(gw, draft.text, draft.lang, target, name, ledger).await;
    let length = length.in_unit(Unit::of(&written_in));
    let (text, fit) = cut_to(text, length, &written_in);
    let fit = if fit == Fit::AsWritten {
        draft.fit
    } else {
        fit
    };
    Summary {
        lang: target.clone(),
        written_in,
        text,
        length,
        fit,
        method: draft.method,
    }
}

/// `text` in `target` through the translation route, or left in `source` with a warning
/// when it cannot be; with the language it ends up in.
async fn translated(
    gw: &Gateway,
    text: String,
    source: &LangTag,
    target: &LangTag,
    name: &str,
    ledger: &mut Ledger,
) -> (String, LangTag) {
    if target.primary() == source.primary() {
        return (text, source.clone());
    }
    let attempt = match translation_route(gw, target) {
        Ok(route) => {
            let chunk = Chunk {
                id: 0,
                pieces: vec![Piece {
                    unit: 0,
                    text: text.clone(),
                }],
            };
            let glossary = gw.glossary(source, target, &[]);
            let chunks = [chunk];
            let pair = (source, target);
            let lane = attempts::Lane::new(gw, route, pair, glossary, &chunks, &super::Forgetful);
            attempts::translate_chunk(gw, &lane, &chunks[0]).await
        }
        Err(e) => Err(e),
    };
    match attempt {
        Ok(done) => {
            ledger.usage.extend(done.ledger.usage);
            ledger.warnings.extend(done.ledger.warnings);
            (done.texts.join(joiner(target)), target.clone())
        }
        Err(why) => {
            let message =
                format!("the summary stays in {source}: it could not be translated ({why})");
            ledger.warnings.push(warning(target, name, message));
            (text, source.clone())
        }
    }
}

/// One LLM backend summarizing one article into one language.
struct Llm<'a> {
    gw: &'a Gateway,
    dispatcher: &'a Dispatcher,
    budget: Budget,
    article: &'a Article,
    target: &'a LangTag,
    length: Contract,
    /// The story's text, which every number of a summary must come from; built once.
    grounds: Arc<str>,
}

impl Llm<'_> {
    async fn summary(&self, ledger: &mut Ledger) -> Result<(String, Fit), String> {
        let mut texts: Vec<String> = self.article.story().into_iter().map(String::from).collect();
        let mut from = self.article.lang.clone();
        for round in 0..MAX_ROUNDS {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let chunks = chunk::plan(&refs, self.budget);
            // Partial summaries each near the budget would not shrink in another round:
            // they go to the final call together instead.
            if chunks.len() <= 1 || (round > 0 && chunks.len() * 2 > texts.len()) {
                break;
            }
            // Map: each chunk summarized on its own, all at once, within dispatch limits.
            let maps = chunks.iter().map(|c| {
                let pieces: Vec<&str> = c.pieces.iter().map(|p| p.text.as_str()).collect();
                let from = &from;
                async move {
                    let mut own = Ledger::default();
                    let prompt =
                        self.gw
                            .prompts()
                            .summarize(from, self.target, &pieces, self.length);
                    let result = match prompt {
                        Ok(prompt) => self.ask(prompt, false, &mut own).await,
                        Err(e) => Err(e.to_string()),
                    };
                    (result, own)
                }
            });
            let mut partials = Vec::new();
            for (result, own) in join_all(maps).await {
                ledger.usage.extend(own.usage);
                ledger.warnings.extend(own.warnings);
                partials.push(result?);
            }
            texts = partials;
            from = self.target.clone();
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let prompt = self
            .gw
            .prompts()
            .summarize(&from, self.target, &refs, self.length)
            .map_err(|e| e.to_string())?;
        let text = self.ask(prompt, false, ledger).await?;
        if self.length.holds(&text) {
            return Ok((text, Fit::AsWritten));
        }
        let prompt = self
            .gw
            .prompts()
            .shorten(self.target, &text, self.length)
            .map_err(|e| e.to_string())?;
        match self.ask(prompt, true, ledger).await {
            Ok(shorter) if self.length.holds(&shorter) => Ok((shorter, Fit::Shortened)),
            Ok(shorter) => Ok(cut_to(shorter, self.length, self.target)),
            Err(_) => Ok(cut_to(text, self.length, self.target)),
        }
    }

    /// Up to [`ANSWER_ATTEMPTS`] answers that pass validation; the last problem otherwise.
    async fn ask(
        &self,
        prompt: Prompt,
        shorten: bool,
        ledger: &mut Ledger,
    ) -> Result<String, String> {
        let name = self.dispatcher.name();
        let request = BackendRequest {
            max_output_tokens: output_tokens(self.length),
            length: Some(self.length),
            shorten,
            ..BackendRequest::prompt(Task::Summarize, &self.article.lang, self.target, prompt)
        };
        let mut last = String::new();
        for _ in 0..ANSWER_ATTEMPTS {
            match self.dispatcher.call(&request).await {
                Ok(response) => {
                    ledger.usage.push((name.to_string(), response.usage));
                    let (text, target) = (response.answer.into_text(), self.target.clone());
                    let grounds = Arc::clone(&self.grounds);
                    let checked =
                        off_runtime(move || checks::summary(&text, &grounds, &target)).await;
                    let warn = |_, m| ledger.warnings.push(warning(self.target, name, m));
                    match judge(self.gw.policy(), name, checked, warn) {
                        Judged::Use(text) => return Ok(text),
                        Judged::Again(why) => last = why,
                        Judged::Next(why) => {
                            ledger
                                .warnings
                                .push(warning(self.target, name, why.clone()));
                            return Err(why);
                        }
                    }
                }
                Err(BackendError::Truncated) => {
                    last = format!("{name}: {}", BackendError::Truncated)
                }
                Err(e) => {
                    let message = format!("{name}: {e}");
                    ledger.warnings.push(warning(
                        self.target,
                        name,
                        format!("{message}; moving on"),
                    ));
                    return Err(message);
                }
            }
            ledger
                .warnings
                .push(warning(self.target, name, last.clone()));
        }
        Err(last)
    }
}
