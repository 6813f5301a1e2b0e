//! Translation, end to end: plan chunks per target language, translate every chunk of
//! every language concurrently (futures owned by this call: dropping it cancels them all),
//! then reassemble the blocks in their original order. How one chunk walks its route of
//! backends is in [`attempts`].

mod attempts;

use futures::future::try_join_all;
use indexmap::IndexMap;
use serde::Serialize;

use crate::article::{Article, Block};
use crate::backend::Usage;
use crate::chunk::{self, Budget, Chunk};
use crate::config::Task;
use crate::dispatch::Dispatcher;
use crate::gateway::{Gateway, RoutedBackend};
use crate::lang::LangTag;
use crate::prompts::PromptError;

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
        // Translation routes hold HTTP backends only (config validation sees to it).
        let route: Vec<(&Dispatcher, Budget)> = gw
            .route(Task::Translate, target)
            .map(|r| r.into_iter().filter_map(RoutedBackend::remote).collect())
            .unwrap_or_default();
        let Some(&(_, budget)) = route.first() else {
            return Err(TranslateError::NoRoute(target.clone()));
        };
        // Planned by the first backend's budget; a fallback with a smaller context still
        // has the block-by-block last resort.
        let chunks = if target == &article.lang {
            Vec::new()
        } else {
            chunk::plan(&units, budget)
        };
        plans.push((target, route, chunks));
    }
    let total: usize = plans.iter().map(|(_, _, c)| c.len()).sum();
    let done = std::sync::atomic::AtomicUsize::new(0);
    on_progress(0, total);
    let jobs = plans.iter().flat_map(|(target, route, chunks)| {
        chunks.iter().map(|c| async {
            let result = attempts::translate_chunk(gw, route, &article.lang, target, c).await;
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
