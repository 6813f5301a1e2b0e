//! A summary in one language. Each backend of the summary route is tried in turn:
//! - an LLM writes it from the article ([`super::summary_llm`]);
//! - the built-in extractive backend picks sentences of the article, in its language, and
//!   has them translated along the translation route. Reached after LLMs failed, it is
//!   degraded mode, and a warning says so.
//!
//! With `strategy = "pivot"` one summary is written in the article's language and then
//! translated for every other language: one LLM summary however many languages. The
//! translation of a summary takes the same way as the article's chunks, through the
//! run's memory and events.

use std::sync::{Arc, Mutex};

use futures::future::join_all;
use serde::Serialize;
use tokio::sync::OnceCell;

use super::lane::{Lane, Purpose, Route};
use super::report::{Ledger, Warning};
use super::summary_llm::LlmSummarizer;
use super::walk::translate_chunk;
use super::{Run, RunError, assemble, off_runtime};
use crate::article::Article;
use crate::chunk;
use crate::config::Strategy;
use crate::extractive;
use crate::gateway::RoutedBackend;
use crate::lang::LangTag;
use crate::length::{Contract, LengthSpec, Unit};
use crate::protocol::Task;

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
    run: Run<'_>,
    article: &Article,
    target: &LangTag,
    spec: LengthSpec,
    pivot: &Pivot,
) -> Result<(Summary, Ledger), RunError> {
    let source = &article.lang;
    if run.gw.strategy(target) != Strategy::Pivot || target.primary() == source.primary() {
        return direct(run, article, target, spec).await;
    }
    let (base, cost) = pivot
        .get_or_try_init(|| async {
            let (summary, ledger) = direct(run, article, source, spec).await?;
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
    let length = Contract::new(spec, target);
    let summary = localize(run, draft, target, length, "pivot", &mut ledger).await?;
    Ok((summary, ledger))
}

/// Straight into `target`: each backend of the summary route in turn.
async fn direct(
    run: Run<'_>,
    article: &Article,
    target: &LangTag,
    spec: LengthSpec,
) -> Result<(Summary, Ledger), RunError> {
    let length = Contract::new(spec, target);
    let mut ledger = Ledger::default();
    let mut last = None;
    let grounds: Arc<str> = article.story().join("\n").into();
    for backend in run.gw.route(Task::Summarize, target).unwrap_or_default() {
        match backend {
            RoutedBackend::Remote(dispatcher) => {
                let llm = LlmSummarizer {
                    run,
                    dispatcher,
                    article,
                    target,
                    length,
                    grounds: Arc::clone(&grounds),
                };
                match llm.summary(&mut ledger).await {
                    Ok((text, fit)) => {
                        let summary = Summary {
                            lang: target.clone(),
                            written_in: target.clone(),
                            text,
                            length,
                            fit,
                            method: Method::Llm,
                        };
                        return Ok((summary, ledger));
                    }
                    Err(e) => match e.cause {
                        super::answer::Cause::Prompt(p) => return Err(RunError::Prompt(p)),
                        _ => last = Some(e),
                    },
                }
            }
            RoutedBackend::Extractive { name } => {
                if last.is_some() {
                    let message = "every LLM backend of the summary route failed: extractive summary (degraded mode)";
                    ledger.warn(Warning::about(target, message).by_backend(name));
                }
                let summary = extract(run, article, target, length, name, &mut ledger).await?;
                return Ok((summary, ledger));
            }
        }
    }
    Err(match last {
        Some(last) => RunError::SummaryFailed {
            lang: target.clone(),
            last: Box::new(last),
        },
        None => RunError::NoRoute {
            task: Task::Summarize,
            lang: target.clone(),
        },
    })
}

/// Between the sentences of a summary in `lang`: a space, unless its script has none.
pub(super) fn joiner(lang: &LangTag) -> &'static str {
    if lang.language().spaced { " " } else { "" }
}

/// Keeps `text` within `length`: as written, or cut at a sentence boundary.
pub(super) fn cut_to(text: String, length: Contract, lang: &LangTag) -> (String, Fit) {
    if length.holds(&text) {
        (text, Fit::AsWritten)
    } else {
        (length.cut(&text, joiner(lang)), Fit::Cut)
    }
}

/// Sentences of the story's body, ranked (on the blocking pool: TextRank is quadratic in
/// sentences) and kept in the article's language, then translated when the target differs.
async fn extract(
    run: Run<'_>,
    article: &Article,
    target: &LangTag,
    length: Contract,
    name: &str,
    ledger: &mut Ledger,
) -> Result<Summary, RunError> {
    let source = &article.lang;
    let sentences: Vec<String> = article
        .body_sentences()
        .into_iter()
        .map(String::from)
        .collect();
    let contract = length.in_unit(Unit::of(source));
    let join = joiner(source);
    let picked = off_runtime(move || {
        let sentences: Vec<&str> = sentences.iter().map(String::as_str).collect();
        extractive::summarize(&sentences, contract, join).text
    })
    .await;
    let draft = Draft {
        text: picked,
        lang: source,
        method: Method::Extractive,
        fit: Fit::AsWritten,
    };
    localize(run, draft, target, length, name, ledger).await
}

/// A summary written in the article's language, before it is made into a target's.
struct Draft<'a> {
    text: String,
    lang: &'a LangTag,
    method: Method,
    fit: Fit,
}

/// `draft` made into `target`'s summary: translated when it can be (else left in its
/// language with a warning), then kept within `length` in the unit of the language it
/// ends up in. Only a prompt fault fails it.
async fn localize(
    run: Run<'_>,
    draft: Draft<'_>,
    target: &LangTag,
    length: Contract,
    name: &str,
    ledger: &mut Ledger,
) -> Result<Summary, RunError> {
    let (text, written_in) = if target.primary() == draft.lang.primary() {
        (draft.text, draft.lang.clone())
    } else {
        match translate_text(run, &draft.text, draft.lang, target, ledger).await {
            Ok(text) => (text, target.clone()),
            Err(RunError::Prompt(e)) => return Err(RunError::Prompt(e)),
            Err(why) => {
                let message = format!(
                    "the summary stays in {}: it could not be translated ({why})",
                    draft.lang
                );
                ledger.warn(Warning::about(target, message).by_backend(name));
                (draft.text, draft.lang.clone())
            }
        }
    };
    let length = length.in_unit(Unit::of(&written_in));
    let (text, fit) = cut_to(text, length, &written_in);
    Ok(Summary {
        lang: target.clone(),
        written_in,
        text,
        length,
        fit: if fit == Fit::AsWritten {
            draft.fit
        } else {
            fit
        },
        method: draft.method,
    })
}

/// `text` translated along `target`'s translation route, planned into chunks like an
/// article so that a long summary fits every backend's budget.
async fn translate_text(
    run: Run<'_>,
    text: &str,
    source: &LangTag,
    target: &LangTag,
    ledger: &mut Ledger,
) -> Result<String, RunError> {
    let route = Route::translation(run.gw, target)?;
    let (budget, max_pieces) = route.plan();
    let chunks = chunk::plan_capped(&[text], budget, max_pieces);
    let lane = Lane::new(run, route, (source, target), &chunks, Purpose::Summary);
    let done = join_all(chunks.iter().map(|c| translate_chunk(&lane, c))).await;
    let mut finished = Vec::with_capacity(done.len());
    let mut failure = None;
    for result in done {
        match result {
            Ok(d) => finished.push(d),
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    let text = match failure {
        Some(e) => Err(e),
        None => Ok(assemble(1, &chunks, &finished, target).concat()),
    };
    for d in finished {
        ledger.absorb(d.ledger);
    }
    text
}
