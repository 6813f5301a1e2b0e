//! A run, end to end: plan chunks per target language, translate every chunk of every
//! language and write every summary concurrently (futures owned by this call: dropping it
//! cancels them all), then reassemble the blocks in their original order.
//!
//! The parts, in the order a chunk meets them: [`lane`] (one language along its route),
//! [`walk`] (one chunk along the lane's backends), [`shape`] (the request as a backend
//! takes it), [`answer`] (the one loop that asks until an answer passes its checks). Then
//! [`summary`] and [`summary_llm`] for summaries, [`report`] for what the run gives back,
//! and [`memory`] for what it keeps and tells.

mod answer;
mod lane;
mod memory;
mod report;
mod shape;
mod summary;
mod summary_llm;
mod walk;

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::join_all;

use crate::article::{Article, Block};
use crate::chunk::{self, Chunk};
use crate::dispatch::Priority;
use crate::gateway::Gateway;
use crate::glossary::Glossary;
use crate::lang::LangTag;
use crate::length::LengthSpec;
use crate::prompts::PromptError;
use crate::protocol::Task;
use lane::{Lane, Purpose, Route};
use report::Ledger;
use walk::ChunkDone;

pub use answer::{AttemptError, Cause};
pub use memory::{Event, Forgetful, Memory, Observer, Part, PieceText, Unobserved};
pub use report::{Failure, RunOutput, RunUsage, Translation, Warning};
pub use summary::{Fit, Method, Summary};

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

/// What every piece of one run shares: the gateway, the job's own glossaries, and where
/// the run keeps and tells.
#[derive(Clone, Copy)]
struct Run<'a> {
    gw: &'a Gateway,
    glossaries: &'a [Glossary],
    memory: &'a dyn Memory,
    observer: &'a dyn Observer,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no route serves {} into {lang}: add it to a [[routes]] langs list for task \"{}\" in the config, with a backend that offers it", task_name(*.task), .task.as_str())]
    NoRoute { task: Task, lang: LangTag },
    #[error("{lang}: chunk {chunk} failed on every backend of its route (last problem: {last})")]
    ChunkFailed {
        lang: LangTag,
        chunk: usize,
        last: Box<AttemptError>,
    },
    #[error("{lang}: the summary failed on every backend of its route (last problem: {last})")]
    SummaryFailed {
        lang: LangTag,
        last: Box<AttemptError>,
    },
    /// A prompt template failed to render: a fault of lingo's build, which stops the run.
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

fn task_name(task: Task) -> &'static str {
    match task {
        Task::Translate => "translation",
        Task::Summarize => "summaries",
    }
}

/// Runs `job` on `article`: every language it asks for, each to its end. A language or
/// task that fails is listed in the output's failures while the rest stands; only a
/// missing route or a prompt fault fails the whole run.
pub async fn run<'a>(
    gw: &Gateway,
    article: &'a Article,
    job: &Job,
    memory: &dyn Memory,
    observer: &dyn Observer,
) -> Result<RunOutput<'a>, RunError> {
    let run = Run {
        gw,
        glossaries: &job.glossaries,
        memory,
        observer,
    };
    job.priority.scope(run_job(run, article, job)).await
}

async fn run_job<'a>(
    run: Run<'_>,
    article: &'a Article,
    job: &Job,
) -> Result<RunOutput<'a>, RunError> {
    let units = article.units();
    let purpose = Purpose::Article {
        first_block: usize::from(article.title.is_some()),
    };
    let mut plans = Vec::new();
    for target in &job.translate {
        let route = Route::translation(run.gw, target)?;
        let chunks = if target == &article.lang {
            Vec::new()
        } else {
            let (budget, max_pieces) = route.plan();
            chunk::plan_capped(&units, budget, max_pieces)
        };
        let lane = Lane::new(run, route, (&article.lang, target), &chunks, purpose);
        for c in &chunks {
            run.observer.event(Event::Queued {
                lang: target.to_string(),
                chunk: c.id,
            });
        }
        plans.push((target, lane, chunks));
    }
    for target in &job.summarize {
        if run
            .gw
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
    let step = || {
        run.observer
            .progress(done.fetch_add(1, Ordering::Relaxed) + 1, total)
    };
    run.observer.progress(0, total);
    let chunk_jobs = plans.iter().flat_map(|(_, lane, chunks)| {
        chunks.iter().map(|c| async {
            let result = walk::translate_chunk(lane, c).await;
            step();
            result
        })
    });
    let pivot = summary::Pivot::new();
    let summary_jobs = job.summarize.iter().map(|target| async {
        let result = match run.memory.recall_summary(target.as_str()).await {
            Some(summary) => Ok((summary, Ledger::default())),
            None => {
                let made = summary::summarize(run, article, target, job.length, &pivot).await;
                if let Ok((summary, _)) = &made {
                    run.memory.remember_summary(summary).await;
                    run.observer.event(Event::Summary {
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
        source: article,
        translations: Vec::new(),
        summaries: Vec::new(),
        usage: RunUsage::default(),
        warnings: Vec::new(),
        failures: Vec::new(),
    };
    let mut chunks_done = chunks_done.into_iter();
    for (target, _, chunks) in &plans {
        let mut done = Vec::with_capacity(chunks.len());
        let mut failure = None;
        for result in chunks_done.by_ref().take(chunks.len()) {
            match result {
                Ok(d) => done.push(d),
                Err(e @ RunError::Prompt(_)) => return Err(e),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        let texts = match failure {
            Some(e) => {
                out.failures.push(Failure {
                    lang: target.to_string(),
                    task: Task::Translate,
                    message: e.to_string(),
                });
                None
            }
            None if *target == &article.lang => {
                let message = format!("the article is already in {target}: copied unchanged");
                out.warnings.push(Warning::about(target, message));
                Some(units.iter().map(|u| u.to_string()).collect())
            }
            None => Some(assemble(units.len(), chunks, &done, target)),
        };
        for d in done {
            out.record(d.ledger);
        }
        if let Some(texts) = texts {
            out.translations
                .push(split_title(article, (*target).clone(), texts));
        }
    }
    for (name, account) in run.gw.accounts() {
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

/// Runs CPU-heavy work (language identification, TextRank) on the blocking pool. On the
/// async workers it would delay the connection tasks of requests already admitted, and
/// so blur the request timing that the rate limits promise.
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

/// The translated units as the article's shape: the title (when there is one), then one
/// block per source block, of the same kind.
fn split_title(article: &Article, lang: LangTag, mut units: Vec<String>) -> Translation {
    let title = article.title.as_ref().map(|_| units.remove(0));
    let blocks = article
        .blocks
        .iter()
        .zip(units)
        .map(|(b, text)| Block {
            kind: b.kind,
            text,
            boilerplate: b.boilerplate,
        })
        .collect();
    Translation {
        lang,
        title,
        blocks,
    }
}
