//! One chunk's way along its lane's route. Pieces the run's memory already holds are not
//! sent. The rest go to each backend in turn, shaped as it takes them ([`super::shape`]),
//! for up to three usable answers ([`super::answer`]); as a last resort each piece goes
//! alone. A chunk that no backend translates fails its language, never leaves a gap.
//!
//! An answer is read back on the protected text; then placeholders must all come back,
//! protected spans are restored, and every glossary term must be in the translation.

use tracing::Instrument;

use super::answer::{Asking, AttemptError, Cause, Shape, Work};
use super::lane::{Lane, Purpose};
use super::memory::{Event, PieceText};
use super::report::{Ledger, Warning};
use super::{RunError, off_runtime, shape};
use crate::checks::{self, Checked, Finding};
use crate::chunk::{Chunk, Piece};
use crate::dispatch::Dispatcher;
use crate::glossary;
use crate::prompts::Context;
use crate::protect::Protected;
use crate::protocol::Answer;

/// A chunk's translated pieces, in order, and what they cost.
pub(super) struct ChunkDone {
    pub texts: Vec<String>,
    pub ledger: Ledger,
}

pub(super) async fn translate_chunk(lane: &Lane<'_>, chunk: &Chunk) -> Result<ChunkDone, RunError> {
    let recalled = lane.recall(&chunk.pieces).await;
    let missing: Vec<&Piece> = chunk
        .pieces
        .iter()
        .zip(&recalled)
        .filter(|(_, r)| r.is_none())
        .map(|(p, _)| p)
        .collect();
    let mut ledger = Ledger::default();
    let mut fresh = Vec::new();
    if !missing.is_empty() {
        let span = tracing::info_span!("chunk", lang = %lane.target, chunk = chunk.id);
        let walk = Walk {
            lane,
            chunk: chunk.id,
            context: lane.context(chunk.id),
        };
        fresh = walk.missing(&missing, &mut ledger).instrument(span).await?;
        let entries: Vec<(String, String)> = missing
            .iter()
            .zip(&fresh)
            .map(|(p, (text, backend))| (lane.key(*backend, &p.text), text.clone()))
            .collect();
        lane.run.memory.remember(&entries).await;
    }
    let mut fresh = fresh.into_iter().map(|(text, _)| text);
    let texts: Vec<String> = recalled
        .into_iter()
        .map(|r| r.or_else(|| fresh.next()).unwrap_or_default())
        .collect();
    lane.finish(chunk.id, &texts);
    if let Purpose::Article { .. } = lane.purpose() {
        lane.run.observer.event(Event::Translated {
            lang: lane.target.to_string(),
            chunk: chunk.id,
            cached: chunk.pieces.len() - missing.len(),
            pieces: chunk
                .pieces
                .iter()
                .zip(&texts)
                .map(|(p, t)| PieceText {
                    block: lane.block(p.unit),
                    text: t.clone(),
                })
                .collect(),
        });
    }
    Ok(ChunkDone { texts, ledger })
}

/// What every attempt for one chunk shares.
struct Walk<'a> {
    lane: &'a Lane<'a>,
    chunk: usize,
    context: Option<Context>,
}

impl Walk<'_> {
    /// Translates `pieces` along the route: whole, else piece by piece. Each text comes
    /// with the index of the backend that wrote it.
    async fn missing(
        &self,
        pieces: &[&Piece],
        ledger: &mut Ledger,
    ) -> Result<Vec<(String, usize)>, RunError> {
        let failed = |last: AttemptError| match last.cause {
            Cause::Prompt(e) => RunError::Prompt(e),
            _ => RunError::ChunkFailed {
                lang: self.lane.target.clone(),
                chunk: self.chunk,
                last: Box::new(last),
            },
        };
        match self.along_route(pieces, ledger).await {
            Ok((texts, backend)) => return Ok(texts.into_iter().map(|t| (t, backend)).collect()),
            Err(last) if pieces.len() == 1 || matches!(last.cause, Cause::Prompt(_)) => {
                return Err(failed(last));
            }
            Err(_) => {}
        }
        let mut out = Vec::with_capacity(pieces.len());
        for piece in pieces {
            let (mut text, backend) = self.along_route(&[piece], ledger).await.map_err(failed)?;
            out.extend(text.pop().map(|t| (t, backend)));
        }
        let message = "no backend translated the chunk whole: translated block by block";
        ledger.warn(Warning::about(self.lane.target, message).in_chunk(Some(self.chunk)));
        Ok(out)
    }

    /// Tries `pieces` on each backend of the route in turn: the texts and the index of
    /// the backend that wrote them, or why the last one gave up.
    async fn along_route(
        &self,
        pieces: &[&Piece],
        ledger: &mut Ledger,
    ) -> Result<(Vec<String>, usize), AttemptError> {
        let route = &self.lane.route;
        let mut last = match self.on_backend(route.first, pieces, ledger).await {
            Ok(texts) => return Ok((texts, 0)),
            Err(e) => e,
        };
        for (i, dispatcher) in route.fallbacks.iter().enumerate() {
            if matches!(last.cause, Cause::Prompt(_)) {
                break;
            }
            match self.on_backend(dispatcher, pieces, ledger).await {
                Ok(texts) => return Ok((texts, i + 1)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Up to three usable answers from one backend.
    async fn on_backend(
        &self,
        dispatcher: &Dispatcher,
        pieces: &[&Piece],
        ledger: &mut Ledger,
    ) -> Result<Vec<String>, AttemptError> {
        let texts: Vec<&str> = pieces.iter().map(|p| p.text.as_str()).collect();
        let blocks: Vec<Option<usize>> = pieces.iter().map(|p| self.lane.block(p.unit)).collect();
        let (request, protected) =
            shape::request(self.lane, dispatcher, &texts, self.context.as_ref()).map_err(|e| {
                AttemptError {
                    backend: dispatcher.name().to_string(),
                    cause: e.into(),
                }
            })?;
        let asking = Asking {
            dispatcher,
            policy: self.lane.run.gw.policy(),
            observer: self.lane.run.observer,
            work: Work {
                lang: self.lane.target,
                part: self.lane.part(self.chunk),
                blocks: &blocks,
            },
            shape: Shape::Marked,
        };
        asking
            .until_valid(&request, ledger, |answer| {
                self.check(&texts, &protected, answer)
            })
            .await
    }

    /// Reads the answer back on the protected text (on the blocking pool: language
    /// identification takes milliseconds), then puts protected spans back and checks the
    /// glossary on the result.
    async fn check(
        &self,
        pieces: &[&str],
        protected: &Protected,
        answer: Answer,
    ) -> Checked<Vec<String>> {
        let sent = protected.texts.clone();
        let (source, target) = (self.lane.source.clone(), self.lane.target.clone());
        let (outs, mut findings) = off_runtime(move || {
            let sent: Vec<&str> = sent.iter().map(String::as_str).collect();
            checks::translation(&sent, &answer, &source, &target)
        })
        .await?;
        protected.check(&outs)?;
        let restored: Vec<String> = outs.iter().map(|o| protected.restore(o)).collect();
        if let Some(g) = &self.lane.glossary {
            findings.extend(glossary::misses(g, pieces, &restored).into_iter().map(|m| {
                Finding::GlossaryMiss {
                    block: m.block,
                    term: m.source,
                    expected: m.target,
                }
            }));
        }
        Ok((restored, findings))
    }
}
