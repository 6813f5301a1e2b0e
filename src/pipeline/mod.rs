//! A run, end to end: plan chunks per target language, translate every chunk of every
//! language and write every summary concurrently (futures owned by this call: dropping it
//! cancels them all), then reassemble the blocks in their original order. How one chunk
//! walks its route of backends is in [`attempts`]; how a summary is made, in [`summarize`].

mod attempts;
mod memory;
mod summarize;

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::join_all;
use indexmap::IndexMap;
use serde::Serialize;

use crate::article::{Article, Block};
use crate::backend::{Account, Usage};
use crate::checks::{Action, Checked, Finding, Policy};
use crate::chunk::{self, Budget, Chunk};
use crate::dispatch::{Dispatcher, Priority};
use crate::gateway::{Gateway, RoutedBackend};
use crate::glossary::Glossary;
use crate::lang::LangTag;
use crate::length::LengthSpec;
use crate::prompts::PromptError;
use crate::protocol::Task;

pub use memory::{Event, Forgetful, Memory, PieceText};
pub use summarize::{Fit, Method, Summary};

/// What a run is asked for.
#[derive(Clone, Debug)]
pub struct Job {
    pub translate: Vec<LangTag>,
    pub summarize: Vec<LangTag>,
    pub length: LengthSpec,
    /// The request's own glossaries, laid over the config's for their language pair.
    pub glossaries: Vec<Glossary>,
    /// Who gets a saturated backend's next free slot: every call of the run carries it.
    pub priority: Priority,
}

#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    pub lang: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk: Option<usize>,
    /// The index in `source.blocks` of the block concerned, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RunUsage {
    #[serde(flatten)]
    pub total: Usage,
    pub by_backend: IndexMap<String, Usage>,
    /// What vendor accounts reported of their consumption at start (DeepL `/v2/usage`).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub accounts: IndexMap<String, Account>,
}

/// What one piece of work spent and noticed, added to the run's totals when it ends.
#[derive(Debug, Default)]
struct Ledger {
    usage: Vec<(String, Usage)>,
    warnings: Vec<Warning>,
}

#[derive(Clone, Debug)]
pub struct Translation {
    pub lang: LangTag,
    pub title: Option<String>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug)]
pub struct RunOutput {
    pub source: Article,
    pub translations: Vec<Translation>,
    pub summaries: Vec<Summary>,
    pub usage: RunUsage,
    pub warnings: Vec<Warning>,
    /// Languages and tasks that no backend could serve; the rest of the run stands.
    pub failures: Vec<Failure>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub lang: String,
    pub task: Task,
    pub message: String,
}

impl RunOutput {
    fn record(&mut self, ledger: Ledger) {
        for (name, usage) in ledger.usage {
            self.usage.total += usage;
            *self.usage.by_backend.entry(name).or_default() += usage;
        }
        self.warnings.extend(ledger.warnings);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no route serves {} into {lang}: add it to a [[routes]] langs list for task \"{}\" in the config, with a backend that offers it", task_name(*.task), .task.as_str())]
    NoRoute { task: Task, lang: LangTag },
    #[error("{lang}: chunk {chunk} failed on every backend of its route (last problem: {last})")]
    ChunkFailed {
        lang: LangTag,
        chunk: usize,
        last: String,
    },
    #[error("{lang}: the summary failed on every backend of its route (last problem: {last})")]
    SummaryFailed { lang: LangTag, last: String },
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

fn task_name(task: Task) -> &'static str {
    match task {
        Task::Translate => "translation",
        Task::Summarize => "summaries",
    }
}

struct ChunkDone {
    texts: Vec<String>,
    ledger: Ledger,
}

/// Translation routes hold HTTP backends only (config validation sees to it).
fn translation_route<'g>(
    gw: &'g Gateway,
    target: &LangTag,
) -> Result<Vec<(&'g Dispatcher, Budget)>, RunError> {
    let route: Vec<(&Dispatcher, Budget)> = gw
        .route(Task::Translate, target)
        .map(|r| r.into_iter().filter_map(RoutedBackend::remote).collect())
        .unwrap_or_default();
    if route.is_empty() {
        return Err(RunError::NoRoute {
            task: Task::Translate,
            lang: target.clone(),
        });
    }
    Ok(route)
}

pub async fn run(
    gw: &Gateway,
    article: &Article,
    job: &Job,
    memory: &dyn Memory,
) -> Result<RunOutput, RunError> {
    job.priority.scope(run_job(gw, article, job, memory)).await
}

async fn run_job(
    gw: &Gateway,
    article: &Article,
    job: &Job,
    memory: &dyn Memory,
) -> Result<RunOutput, RunError> {
    let units = article.units();
    let mut plans = Vec::new();
    for target in &job.translate {
        let route = translation_route(gw, target)?;
        // Planned by the first backend's budget; a fallback with a smaller context still
        // has the block-by-block last resort.
        let chunks = if target == &article.lang {
            Vec::new()
        } else {
            chunk::plan_capped(&units, route[0].1, attempts::Lane::max_pieces(&route))
        };
        let glossary = gw.glossary(&article.lang, target, &job.glossaries);
        let pair = (&article.lang, target);
        let mut lane = attempts::Lane::new(gw, route, pair, glossary, &chunks, memory);
        for c in &chunks {
            memory.event(Event::Queued {
                lang: target.to_string(),
                chunk: c.id,
            });
        }
        lane.first_block = Some(usize::from(article.title.is_some()));
        plans.push((target, lane, chunks));
    }
    for target in &job.summarize {
        if gw
            .route(Task::Summarize, target)
            .is_none_or(|r| r.is_empty())
        {
            return Err(RunError::NoRoute {
                task: Task::Summarize,
                lang: target.clone(),
            });
        }
    }
    let total = plans.iter().map(|(_, _, c)| c.len()).sum::<usize>() + job.summarize.len();
    let done = AtomicUsize::new(0);
    let step = || memory.progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
    memory.progress(0, total);
    let chunk_jobs = plans.iter().flat_map(|(_, lane, chunks)| {
        chunks.iter().map(|c| async {
            let result = attempts::translate_chunk(gw, lane, c).await;
            step();
            result
        })
    });
    let pivot = summarize::Pivot::new();
    let summary_jobs = job.summarize.iter().map(|target| async {
        let result = match memory.recall_summary(target.as_str()).await {
            Some(summary) => Ok((summary, Ledger::default())),
            None => {
                let made = summarize::summarize(gw, article, target, job.length, &pivot).await;
                if let Ok((summary, _)) = &made {
                    memory.remember_summary(summary).await;
                    memory.event(Event::Summary {
                        lang: target.to_string(),
                        text: summary.text.clone(),
                    });
                }
                made
            }
        };
        step();
        result
    });
    // Every language runs to its end: one that fails leaves the others' results standing.
    let (chunks_done, summaries_done) = tokio::join!(join_all(chunk_jobs), join_all(summary_jobs));

    let mut out = RunOutput {
        source: article.clone(),
        translations: Vec::new(),
        summaries: Vec::new(),
        usage: RunUsage::default(),
        warnings: Vec::new(),
        failures: Vec::new(),
    };
    let mut chunks_done = chunks_done.into_iter();
    for (target, _, chunks) in &plans {
        let results: Vec<Result<ChunkDone, RunError>> =
            chunks_done.by_ref().take(chunks.len()).collect();
        let mut done = Vec::with_capacity(results.len());
        let mut failure = None;
        for result in results {
            match result {
                Ok(d) => done.push(d),
                Err(e @ RunError::Prompt(_)) => return Err(e),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        if let Some(e) = failure {
            for d in done {
                out.record(d.ledger);
            }
            out.failures.push(Failure {
                lang: target.to_string(),
                task: Task::Translate,
                message: e.to_string(),
            });
            continue;
        }
        let units = if *target == &article.lang {
            out.warnings.push(Warning {
                lang: target.to_string(),
                chunk: None,
                block: None,
                backend: None,
                message: format!("the article is already in {target}: copied unchanged"),
            });
            units.iter().map(|u| u.to_string()).collect()
        } else {
            assemble(units.len(), chunks, &done, target)
        };
        for d in done {
            out.record(d.ledger);
        }
        out.translations
            .push(split_title(article, (*target).clone(), units));
    }
    for (name, account) in gw.accounts() {
        out.usage.accounts.insert(name.to_string(), account);
    }
    for (target, result) in job.summarize.iter().zip(summaries_done) {
        match result {
            Ok((summary, ledger)) => {
                out.record(ledger);
                out.summaries.push(summary);
            }
            Err(e @ RunError::Prompt(_)) => return Err(e),
            Err(e) => out.failures.push(Failure {
                lang: target.to_string(),
                task: Task::Summarize,
                message: e.to_string(),
            }),
        }
    }
    Ok(out)
}

/// What a checked answer comes to under the gateway's validation policy.
enum Judged<T> {
    Use(T),
    /// Ask the same backend again.
    Again(String),
    /// Give up on this backend.
    Next(String),
}

/// Applies `policy` to an answer from backend `name`; problems it lets pass become warnings.
fn judge<T>(
    policy: &Policy,
    name: &str,
    checked: Checked<T>,
    mut warn: impl FnMut(Option<usize>, String),
) -> Judged<T> {
    let rejected = |finding: &Finding| format!("{name}: answer rejected: {finding}");
    match checked {
        Err(problem) => Judged::Again(rejected(&problem)),
        Ok((value, problems)) => match policy.verdict(&problems) {
            None => Judged::Use(value),
            Some((Action::Warn, _)) => {
                for problem in &problems {
                    warn(problem.block(), format!("{name}: kept despite: {problem}"));
                }
                Judged::Use(value)
            }
            Some((Action::Retry, problem)) => Judged::Again(rejected(problem)),
            Some((Action::Next, problem)) => {
                Judged::Next(format!("{}; moving on", rejected(problem)))
            }
        },
    }
}

/// Runs CPU-heavy checks (language identification takes milliseconds per answer) on the
/// blocking pool. On the async workers they would delay the connection tasks of requests
/// already admitted, and so blur the request timing that the rate limits promise.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
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
        .map(|(b, text)| Block { text, ..b.clone() })
        .collect();
    Translation {
        lang,
        title,
        blocks,
    }
}
