//! One chunk's way along its route: each backend gets up to [`ANSWER_ATTEMPTS`] answers
//! that pass validation (transport retries happen below, in dispatch); then the next
//! backend; as a last resort each block goes alone. A chunk that fails all of that fails
//! the run.
//!
//! Before a backend sees a chunk, protected spans become placeholders, and the glossary
//! goes the way the backend takes it (prompt, native glossary, or placeholders); after,
//! placeholders must all come back and every glossary term must be in the translation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tracing::Instrument;

use super::memory::{Event, Memory, PieceText};
use super::{ChunkDone, Judged, Ledger, RunError, Warning, judge, off_runtime};
use crate::backend::{BackendError, BackendRequest, GlossarySupport};
use crate::checks::{self, Finding};
use crate::chunk::{self, Budget, Chunk, Piece};
use crate::dispatch::Dispatcher;
use crate::gateway::Gateway;
use crate::glossary::{self, Entry, Glossary};
use crate::hash::content_hash;
use crate::lang::LangTag;
use crate::prompts::Context;
use crate::protect::{self, Protected, Swap};
use crate::protocol::Answer;
use crate::protocol::Task;

/// Answers a backend may give for one chunk before the chunk moves on.
const ANSWER_ATTEMPTS: usize = 3;
const MAX_OUTPUT_TOKENS: usize = 16_384;

/// One language's translation: its route and what all its chunks share.
pub(super) struct Lane<'a> {
    pub route: Vec<(&'a Dispatcher, Budget)>,
    pub source: &'a LangTag,
    pub target: &'a LangTag,
    /// The unit of the first article block (1 after a title); `None` when the pieces are
    /// not article blocks.
    pub first_block: Option<usize>,
    pub glossary: Option<Arc<Glossary>>,
    /// For each chunk, the source of the piece before it (cross-chunk context).
    before: Vec<Option<String>>,
    /// The translation of each finished chunk's last piece, by chunk id.
    finished: Mutex<HashMap<usize, String>>,
    memory: &'a dyn Memory,
    /// For each backend of the route, what a cached piece translation depends on besides
    /// its text: languages, backend, model, prompt wording, glossary and protection.
    fingerprints: Vec<String>,
}

impl<'a> Lane<'a> {
    pub fn new(
        gw: &Gateway,
        route: Vec<(&'a Dispatcher, Budget)>,
        (source, target): (&'a LangTag, &'a LangTag),
        glossary: Option<Arc<Glossary>>,
        chunks: &[Chunk],
        memory: &'a dyn Memory,
    ) -> Lane<'a> {
        let before = std::iter::once(None)
            .chain(
                chunks
                    .iter()
                    .map(|c| c.pieces.last().map(|p| p.text.clone())),
            )
            .take(chunks.len())
            .collect();
        let protect = gw.protect().do_not_translate.join("\u{1f}");
        let glossary_version = glossary.as_ref().map_or("", |g| g.version.as_str());
        let fingerprints = route
            .iter()
            .map(|(d, _)| {
                content_hash([
                    source.as_str(),
                    target.as_str(),
                    d.name(),
                    d.model(),
                    gw.prompts().version(),
                    glossary_version,
                    &protect,
                ])
            })
            .collect();
        Lane {
            route,
            source,
            target,
            first_block: None,
            glossary,
            before,
            finished: Mutex::new(HashMap::new()),
            memory,
            fingerprints,
        }
    }

    /// The cache key of `text` translated by the route's backend `k`.
    fn key(&self, k: usize, text: &str) -> String {
        content_hash([self.fingerprints[k].as_str(), text])
    }

    /// The source block of a piece of `unit` (`None` for the title).
    fn block(&self, unit: usize) -> Option<usize> {
        unit.checked_sub(self.first_block?)
    }

    /// Earlier translations of `pieces`, each from the first backend of the route that
    /// has one.
    async fn recall(&self, pieces: &[Piece]) -> Vec<Option<String>> {
        let keys: Vec<String> = pieces
            .iter()
            .flat_map(|p| (0..self.route.len()).map(|k| self.key(k, &p.text)))
            .collect();
        let found = self.memory.recall(&keys).await;
        (0..pieces.len())
            .map(|i| {
                (0..self.route.len())
                    .find_map(|k| found.get(i * self.route.len() + k).cloned().flatten())
            })
            .collect()
    }

    /// The most pieces a chunk may hold on this route (the least any backend takes).
    pub fn max_pieces(route: &[(&Dispatcher, Budget)]) -> usize {
        route
            .iter()
            .filter_map(|(d, _)| d.backend().profile().max_texts)
            .min()
            .unwrap_or(usize::MAX)
    }

    /// The passage before chunk `id`: its source, and its translation if that is done.
    fn context(&self, id: usize) -> Option<Context> {
        let source = self.before.get(id)?.clone()?;
        let finished = self.finished.lock().unwrap_or_else(|p| p.into_inner());
        let translation = id.checked_sub(1).and_then(|k| finished.get(&k).cloned());
        Some(Context {
            source,
            translation,
        })
    }

    fn finish(&self, id: usize, texts: &[String]) {
        if let Some(last) = texts.last() {
            let mut finished = self.finished.lock().unwrap_or_else(|p| p.into_inner());
            finished.insert(id, last.clone());
        }
    }
}

pub(super) async fn translate_chunk(
    gw: &Gateway,
    lane: &Lane<'_>,
    chunk: &Chunk,
) -> Result<ChunkDone, RunError> {
    let recalled = lane.recall(&chunk.pieces).await;
    let missing: Vec<&Piece> = chunk
        .pieces
        .iter()
        .zip(&recalled)
        .filter(|(_, r)| r.is_none())
        .map(|(p, _)| p)
        .collect();
    let mut done = ChunkDone {
        texts: Vec::new(),
        ledger: Ledger::default(),
    };
    let mut fresh = Vec::new();
    if !missing.is_empty() {
        let span = tracing::info_span!("chunk", lang = %lane.target, chunk = chunk.id);
        fresh = translate_missing(gw, lane, chunk.id, &missing, &mut done.ledger)
            .instrument(span)
            .await?;
        let entries: Vec<(String, String)> = missing
            .iter()
            .zip(&fresh)
            .map(|(p, (text, k))| (lane.key(*k, &p.text), text.clone()))
            .collect();
        lane.memory.remember(&entries).await;
    }
    let mut fresh = fresh.into_iter();
    done.texts = recalled
        .into_iter()
        .map(|r| {
            r.or_else(|| fresh.next().map(|(t, _)| t))
                .unwrap_or_default()
        })
        .collect();
    lane.finish(chunk.id, &done.texts);
    lane.memory.event(Event::Translated {
        lang: lane.target.to_string(),
        chunk: chunk.id,
        cached: chunk.pieces.len() - missing.len(),
        pieces: chunk
            .pieces
            .iter()
            .zip(&done.texts)
            .map(|(p, t)| PieceText {
                block: lane.block(p.unit),
                text: t.clone(),
            })
            .collect(),
    });
    Ok(done)
}

/// Translates `pieces` along the route: whole, else block by block. Each text comes with
/// the index of the backend that wrote it.
async fn translate_missing(
    gw: &Gateway,
    lane: &Lane<'_>,
    chunk: usize,
    pieces: &[&Piece],
    ledger: &mut Ledger,
) -> Result<Vec<(String, usize)>, RunError> {
    let walk = Walk {
        gw,
        lane,
        chunk,
        context: lane.context(chunk),
    };
    let failed = |last| RunError::ChunkFailed {
        lang: lane.target.clone(),
        chunk,
        last,
    };
    match walk.along_route(pieces, ledger).await {
        Ok((texts, k)) => Ok(texts.into_iter().map(|t| (t, k)).collect()),
        Err(last) if pieces.len() == 1 => Err(failed(last)),
        Err(_) => {
            let mut out = Vec::new();
            for piece in pieces {
                let (mut text, k) = walk.along_route(&[piece], ledger).await.map_err(failed)?;
                out.extend(text.pop().map(|t| (t, k)));
            }
            ledger.warnings.push(Warning {
                lang: lane.target.to_string(),
                chunk: Some(chunk),
                block: None,
                backend: None,
                message: "no backend translated the chunk whole: translated block by block".into(),
            });
            Ok(out)
        }
    }
}

/// What every attempt for one chunk shares.
struct Walk<'a> {
    gw: &'a Gateway,
    lane: &'a Lane<'a>,
    chunk: usize,
    context: Option<Context>,
}

impl Walk<'_> {
    /// Tries `pieces` on each backend of the route in turn: the texts and the index of
    /// the backend that wrote them, or the last problem.
    async fn along_route(
        &self,
        pieces: &[&Piece],
        ledger: &mut Ledger,
    ) -> Result<(Vec<String>, usize), String> {
        let mut last = String::new();
        for (k, (dispatcher, _)) in self.lane.route.iter().enumerate() {
            match self.on_backend(dispatcher, pieces, ledger).await {
                Ok(texts) => return Ok((texts, k)),
                Err(problem) => last = problem,
            }
        }
        Err(last)
    }

    /// The request for `pieces` as `dispatcher`'s backend takes it, and the protection
    /// its answer is read back through.
    fn request(
        &self,
        dispatcher: &Dispatcher,
        pieces: &[&str],
    ) -> Result<(BackendRequest, Protected), String> {
        let (source, target) = (self.lane.source, self.lane.target);
        let support = dispatcher.backend().profile().glossaries;
        let found: Vec<Entry> = match &self.lane.glossary {
            Some(g) => g
                .found_in(&pieces.join("\n"))
                .into_iter()
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        let as_placeholders: Vec<Swap> = match support {
            GlossarySupport::Placeholders => found
                .iter()
                .map(|e| Swap {
                    find: &e.source,
                    restore: &e.target,
                })
                .collect(),
            _ => Vec::new(),
        };
        let protected = protect::protect(pieces, self.gw.protect(), &as_placeholders);
        let texts: Vec<&str> = protected.texts.iter().map(String::as_str).collect();
        let terms = match support {
            GlossarySupport::Prompt => found,
            _ => Vec::new(),
        };
        let prompt = self
            .gw
            .prompts()
            .translate(source, target, &texts, &terms, self.context.as_ref())
            .map_err(|e| e.to_string())?;
        let source_tokens: usize = texts.iter().map(|p| chunk::count_tokens(p)).sum();
        let request = BackendRequest {
            task: Task::Translate,
            source: source.clone(),
            target: target.clone(),
            prompt,
            texts: protected.texts.clone(),
            context: self.context.as_ref().map(|c| c.source.clone()),
            glossary: match support {
                GlossarySupport::Native => self.lane.glossary.clone(),
                _ => None,
            },
            terms,
            max_output_tokens: source_tokens
                .saturating_mul(4)
                .saturating_add(64)
                .min(MAX_OUTPUT_TOKENS) as u32,
            length: None,
            shorten: false,
        };
        Ok((request, protected))
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
        let target = self.lane.target;
        let name = dispatcher.name();
        let (request, protected) = self.request(dispatcher, pieces)?;
        // The source block of the answer's block `k` (from 1).
        let block = |k: Option<usize>| self.lane.block(*units.get(k?.checked_sub(1)?)?);
        let warning_at = |k: Option<usize>, message: String| Warning {
            lang: target.to_string(),
            chunk: Some(self.chunk),
            block: block(k),
            backend: Some(name.to_string()),
            message,
        };
        let warning = |message: String| warning_at(None, message);
        let mut last = String::new();
        let event = |backend: &str| (target.to_string(), self.chunk, backend.to_string());
        for _ in 0..ANSWER_ATTEMPTS {
            let (lang, chunk, backend) = event(name);
            self.lane.memory.event(Event::Sent {
                lang,
                chunk,
                backend,
            });
            match dispatcher.call(&request).await {
                Ok(response) => {
                    ledger.usage.push((name.to_string(), response.usage));
                    let checked = self.check(pieces, &protected, response.answer).await;
                    let warn = |k, m| ledger.warnings.push(warning_at(k, m));
                    match judge(self.gw.policy(), name, checked, warn) {
                        Judged::Use(texts) => {
                            let (lang, chunk, backend) = event(name);
                            self.lane.memory.event(Event::Validated {
                                lang,
                                chunk,
                                backend,
                            });
                            return Ok(texts);
                        }
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

    /// Validates the answer on the protected text, then puts protected spans back and
    /// checks the glossary on the result.
    async fn check(
        &self,
        pieces: &[&str],
        protected: &Protected,
        answer: Answer,
    ) -> checks::Checked<Vec<String>> {
        let sent = protected.texts.clone();
        let (source, target) = (self.lane.source.clone(), self.lane.target.clone());
        let (outs, mut problems) = off_runtime(move || {
            let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
            checks::translation(&sent, &answer, &source, &target)
        })
        .await?;
        protected.check(&outs)?;
        let restored: Vec<String> = outs.iter().map(|o| protected.restore(o)).collect();
        if let Some(g) = &self.lane.glossary {
            problems.extend(glossary::misses(g, pieces, &restored).into_iter().map(|m| {
                Finding::GlossaryMiss {
                    block: m.block,
                    term: m.source,
                    expected: m.target,
                }
            }));
        }
        Ok((restored, problems))
    }
}
