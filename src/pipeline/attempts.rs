//! One chunk's way along its route: each backend gets up to [`ANSWER_ATTEMPTS`] answers
//! that pass validation (transport retries happen below, in dispatch); then the next
//! backend; as a last resort each block goes alone. A chunk that fails all of that fails
//! the run.

use super::{ChunkDone, Judged, Ledger, RunError, Warning, judge, off_runtime};
use crate::backend::{BackendError, BackendRequest};
use crate::chunk::{self, Budget, Chunk, Piece};
use crate::config::Task;
use crate::dispatch::Dispatcher;
use crate::gateway::Gateway;
use crate::lang::LangTag;
use crate::validate;

/// Answers a backend may give for one chunk before the chunk moves on.
const ANSWER_ATTEMPTS: usize = 3;
const MAX_OUTPUT_TOKENS: usize = 16_384;

pub(super) async fn translate_chunk(
    gw: &Gateway,
    route: &[(&Dispatcher, Budget)],
    source: &LangTag,
    target: &LangTag,
    chunk: &Chunk,
    first_block: Option<usize>,
) -> Result<ChunkDone, RunError> {
    let pieces: Vec<&Piece> = chunk.pieces.iter().collect();
    let mut done = ChunkDone {
        texts: Vec::new(),
        ledger: Ledger::default(),
    };
    let walk = Walk {
        gw,
        route,
        source,
        target,
        chunk: chunk.id,
        first_block,
    };
    let failed = |last| RunError::ChunkFailed {
        lang: target.clone(),
        chunk: chunk.id,
        last,
    };
    match walk.along_route(&pieces, &mut done.ledger).await {
        Ok(texts) => done.texts = texts,
        Err(last) if pieces.len() == 1 => return Err(failed(last)),
        Err(_) => {
            for piece in &pieces {
                let mut text = walk
                    .along_route(&[piece], &mut done.ledger)
                    .await
                    .map_err(failed)?;
                done.texts.extend(text.pop());
            }
            done.ledger.warnings.push(Warning {
                lang: target.to_string(),
                chunk: Some(chunk.id),
                block: None,
                backend: None,
                message: "no backend translated the chunk whole: translated block by block".into(),
            });
        }
    }
    Ok(done)
}

/// What every attempt for one chunk shares.
struct Walk<'a> {
    gw: &'a Gateway,
    route: &'a [(&'a Dispatcher, Budget)],
    source: &'a LangTag,
    target: &'a LangTag,
    chunk: usize,
    /// The unit of the first article block (1 after a title); `None` when the pieces are
    /// not article blocks.
    first_block: Option<usize>,
}

impl Walk<'_> {
    /// Tries `pieces` on each backend of the route in turn; the last problem otherwise.
    async fn along_route(
        &self,
        pieces: &[&Piece],
        ledger: &mut Ledger,
    ) -> Result<Vec<String>, String> {
        let mut last = String::new();
        for (dispatcher, _) in self.route {
            match self.on_backend(dispatcher, pieces, ledger).await {
                Ok(texts) => return Ok(texts),
                Err(problem) => last = problem,
            }
        }
        Err(last)
    }

    /// Up to [`ANSWER_ATTEMPTS`] answers from one backend; the reason it gave up otherwise.
    async fn on_backend(
        &self,
        dispatcher: &Dispatcher,
        pieces: &[&Piece],
        ledger: &mut Ledger,
    ) -> Result<Vec<String>, String> {
        let units: Vec<usize> = pieces.iter().map(|p| p.unit).collect();
        let pieces: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
        let pieces = pieces.as_slice();
        let (source, target) = (self.source, self.target);
        let name = dispatcher.name();
        let prompt = self
            .gw
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
            length: None,
            shorten: false,
        };
        // The source block of the answer's block `k` (from 1).
        let block = |k: Option<usize>| {
            let unit = units.get(k?.checked_sub(1)?)?;
            unit.checked_sub(self.first_block?)
        };
        let warning_at = |k: Option<usize>, message: String| Warning {
            lang: target.to_string(),
            chunk: Some(self.chunk),
            block: block(k),
            backend: Some(name.to_string()),
            message,
        };
        let warning = |message: String| Warning {
            lang: target.to_string(),
            chunk: Some(self.chunk),
            block: None,
            backend: Some(name.to_string()),
            message,
        };
        let mut last = String::new();
        for _ in 0..ANSWER_ATTEMPTS {
            match dispatcher.call(&request).await {
                Ok(response) => {
                    ledger.usage.push((name.to_string(), response.usage));
                    let checked =
                        check_off_the_runtime(pieces, response.text, source, target).await;
                    let warn = |k, m| ledger.warnings.push(warning_at(k, m));
                    match judge(self.gw.policy(), name, checked, warn) {
                        Judged::Use(texts) => return Ok(texts),
                        Judged::Again(why) => {
                            last = why;
                            ledger.warnings.push(warning(last.clone()));
                        }
                        Judged::Next(why) => {
                            ledger.warnings.push(warning(why.clone()));
                            return Err(why);
                        }
                    }
                }
                Err(BackendError::Truncated) => {
                    last = format!("{name}: {}", BackendError::Truncated);
                    ledger.warnings.push(warning(last.clone()));
                }
                Err(e) => {
                    let message = format!("{name}: {e}");
                    ledger
                        .warnings
                        .push(warning(format!("{message}; moving on")));
                    return Err(message);
                }
            }
        }
        Err(last)
    }
}

async fn check_off_the_runtime(
    pieces: &[&str],
    answer: String,
    source: &LangTag,
    target: &LangTag,
) -> validate::Checked<Vec<String>> {
    let pieces: Vec<String> = pieces.iter().map(|p| p.to_string()).collect();
    let (source, target) = (source.clone(), target.clone());
    off_runtime(move || {
        let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
        validate::translation(&pieces, &answer, &source, &target)
    })
    .await
}
