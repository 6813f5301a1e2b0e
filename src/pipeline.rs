//! Translation, end to end: plan chunks per target language, translate every chunk of
//! every language concurrently (futures owned by this call: dropping it cancels them all),
//! then reassemble the blocks in their original order.
//!
//! One chunk walks its route: each backend gets up to [`ANSWER_ATTEMPTS`] answers that
//! pass validation (transport retries happen below, in dispatch); then the next backend;
//! as a last resort each block goes alone. A chunk that fails all of that fails the run.

use futures::future::try_join_all;
use indexmap::IndexMap;
use serde::Serialize;

use crate::article::{Article, Block};
use crate::backend::{BackendError, BackendRequest, Usage};
use crate::chunk::{self, Chunk};
use crate::config::Task;
use crate::gateway::{Gateway, RoutedBackend};
use crate::lang::LangTag;
use crate::prompts::PromptError;
use crate::validate;

/// Answers a backend may give for one chunk before the chunk moves on.
const ANSWER_ATTEMPTS: usize = 3;
const MAX_OUTPUT_TOKENS: usize = 16_384;

#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    pub lang: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RunUsage {
    #[serde(flatten)]
    pub total: Usage,
    pub by_backend: IndexMap<String, Usage>,
}

#[derive(Clone, Debug)]
pub struct Translation {
    pub lang: LangTag,
    pub title: Option<String>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug)]
pub struct TranslateOutput {
    pub source: Article,
    pub translations: Vec<Translation>,
    pub usage: RunUsage,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error(
        "no route serves translation into {0}: add it to a [[routes]] langs list in the config"
    )]
    NoRoute(LangTag),
    #[error("{lang}: chunk {chunk} failed on every backend of its route (last problem: {last})")]
    ChunkFailed {
        lang: LangTag,
        chunk: usize,
        last: String,
    },
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

/// Progress as (chunks done, chunks in all), reported as each chunk completes.
pub type OnProgress<'a> = &'a (dyn Fn(usize, usize) + Sync);

struct ChunkDone {
    texts: Vec<String>,
    usage: Vec<(String, Usage)>,
    warnings: Vec<Warning>,
}

pub async fn translate(
    gw: &Gateway,
    article: &Article,
    targets: &[LangTag],
    on_progress: OnProgress<'_>,
) -> Result<TranslateOutput, TranslateError> {
    let units = article.units();
    let mut plans = Vec::new();
    for target in targets {
        let route = gw.route(Task::Translate, target).filter(|r| !r.is_empty());
        let route = route.ok_or_else(|| TranslateError::NoRoute(target.clone()))?;
        // Planned by the first backend's budget; a fallback with a smaller context still
        // has the block-by-block last resort.
        let chunks = if target == &article.lang {
            Vec::new()
        } else {
            chunk::plan(&units, route[0].budget)
        };
        plans.push((target, route, chunks));
    }
    let total: usize = plans.iter().map(|(_, _, c)| c.len()).sum();
    let done = std::sync::atomic::AtomicUsize::new(0);
    on_progress(0, total);
    let jobs = plans.iter().flat_map(|(target, route, chunks)| {
        chunks.iter().map(|c| async {
            let result = translate_chunk(gw, route, &article.lang, target, c).await;
            on_progress(
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                total,
            );
            result
        })
    });
    let mut results = try_join_all(jobs).await?.into_iter();

    let mut out = TranslateOutput {
        source: article.clone(),
        translations: Vec::new(),
        usage: RunUsage::default(),
        warnings: Vec::new(),
    };
    for (target, _, chunks) in &plans {
        let done: Vec<ChunkDone> = results.by_ref().take(chunks.len()).collect();
        let units = if *target == &article.lang {
            out.warnings.push(Warning {
                lang: target.to_string(),
                chunk: None,
                backend: None,
                message: format!("the article is already in {target}: copied unchanged"),
            });
            units.iter().map(|u| u.to_string()).collect()
        } else {
            assemble(units.len(), chunks, &done, target)
        };
        for d in done {
            for (name, usage) in d.usage {
                out.usage.total += usage;
                *out.usage.by_backend.entry(name).or_default() += usage;
            }
            out.warnings.extend(d.warnings);
        }
        out.translations
            .push(split_title(article, (*target).clone(), units));
    }
    Ok(out)
}

/// Joins each unit's translated pieces: with a space, except in scripts without spaces.
fn assemble(units: usize, chunks: &[Chunk], done: &[ChunkDone], target: &LangTag) -> Vec<String> {
    let spaced = target.language().spaced;
    let pieces = chunks.iter().zip(done).flat_map(|(c, d)| {
        c.pieces
            .iter()
            .zip(&d.texts)
            .map(|(p, t)| (p.unit, t.as_str()))
    });
    chunk::assemble(units, pieces, |acc, text| {
        if spaced && !acc.is_empty() {
            acc.push(' ');
        }
        acc.push_str(text.trim());
    })
}

fn split_title(article: &Article, lang: LangTag, mut units: Vec<String>) -> Translation {
    let title = article.title.as_ref().map(|_| units.remove(0));
    let blocks = article
        .blocks
        .iter()
        .zip(units)
        .map(|(b, text)| Block { kind: b.kind, text })
        .collect();
    Translation {
        lang,
        title,
        blocks,
    }
}

async fn translate_chunk(
    gw: &Gateway,
    route: &[&RoutedBackend],
    source: &LangTag,
    target: &LangTag,
    chunk: &Chunk,
) -> Result<ChunkDone, TranslateError> {
    let pieces: Vec<&str> = chunk.pieces.iter().map(|p| p.text.as_str()).collect();
    let mut done = ChunkDone {
        texts: Vec::new(),
        usage: Vec::new(),
        warnings: Vec::new(),
    };
    let mut last = String::new();
    for backend in route {
        match try_backend(gw, backend, source, target, &pieces, chunk.id, &mut done).await {
            Ok(texts) => {
                done.texts = texts;
                return Ok(done);
            }
            Err(problem) => last = problem,
        }
    }
    if pieces.len() > 1 {
        for piece in &pieces {
            let mut text = None;
            for backend in route {
                match try_backend(gw, backend, source, target, &[piece], chunk.id, &mut done).await
                {
                    Ok(mut t) => {
                        text = t.pop();
                        break;
                    }
                    Err(problem) => last = problem,
                }
            }
            match text {
                Some(t) => done.texts.push(t),
                None => {
                    return Err(TranslateError::ChunkFailed {
                        lang: target.clone(),
                        chunk: chunk.id,
                        last,
                    });
                }
            }
        }
        done.warnings.push(Warning {
            lang: target.to_string(),
            chunk: Some(chunk.id),
            backend: None,
            message: "no backend translated the chunk whole: translated block by block".into(),
        });
        return Ok(done);
    }
    Err(TranslateError::ChunkFailed {
        lang: target.clone(),
        chunk: chunk.id,
        last,
    })
}

/// Up to [`ANSWER_ATTEMPTS`] answers from one backend; the reason it gave up otherwise.
async fn try_backend(
    gw: &Gateway,
    backend: &RoutedBackend,
    source: &LangTag,
    target: &LangTag,
    pieces: &[&str],
    chunk: usize,
    done: &mut ChunkDone,
) -> Result<Vec<String>, String> {
    let name = backend.dispatcher.name();
    let prompt = gw
        .prompts()
        .translate(source, target, pieces)
        .map_err(|e| e.to_string())?;
    let source_tokens: usize = pieces.iter().map(|p| chunk::count_tokens(p)).sum();
    let request = BackendRequest {
        task: Task::Translate,
        source: source.clone(),
        target: target.clone(),
        prompt,
        max_output_tokens: (source_tokens * 4 + 64).min(MAX_OUTPUT_TOKENS) as u32,
    };
    let warning = |message: String| Warning {
        lang: target.to_string(),
        chunk: Some(chunk),
        backend: Some(name.to_string()),
        message,
    };
    let mut last = String::new();
    for _ in 0..ANSWER_ATTEMPTS {
        match backend.dispatcher.call(&request).await {
            Ok(response) => {
                done.usage.push((name.to_string(), response.usage));
                match check_off_the_runtime(pieces, response.text, source, target).await {
                    Ok(texts) => return Ok(texts),
                    Err(problem) => {
                        last = format!("{name}: answer rejected: {problem}");
                        done.warnings.push(warning(last.clone()));
                    }
                }
            }
            Err(BackendError::Truncated) => {
                last = format!("{name}: {}", BackendError::Truncated);
                done.warnings.push(warning(last.clone()));
            }
            Err(e) => {
                let message = format!("{name}: {e}");
                done.warnings.push(warning(format!("{message}; moving on")));
                return Err(message);
            }
        }
    }
    Err(last)
}

/// Validation runs language identification, milliseconds of CPU per answer. On the async
/// workers it would delay the connection tasks of requests already admitted, and so blur
/// the request timing that the rate limits promise; the blocking pool takes it instead.
async fn check_off_the_runtime(
    pieces: &[&str],
    answer: String,
    source: &LangTag,
    target: &LangTag,
) -> Result<Vec<String>, validate::Problem> {
    let pieces: Vec<String> = pieces.iter().map(|p| p.to_string()).collect();
    let (source, target) = (source.clone(), target.clone());
    let check = tokio::task::spawn_blocking(move || {
        let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
        validate::translation(&pieces, &answer, &source, &target)
    });
    match check.await {
        Ok(result) => result,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
