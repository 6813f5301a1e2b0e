//! One language's translation along its route: what all its chunks share (the route, the
//! languages, the glossary, the cross-chunk context, the cache keys), and how a chunk's
//! pieces are looked up in and kept by the run's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Run;
use super::RunError;
use super::memory::Part;
use crate::chunk::{Budget, Chunk, Piece};
use crate::dispatch::Dispatcher;
use crate::gateway::Gateway;
use crate::glossary::Glossary;
use crate::hash::content_hash;
use crate::lang::LangTag;
use crate::prompts::Context;
use crate::protocol::Task;

/// What a lane's pieces are.
#[derive(Clone, Copy, Debug)]
pub(super) enum Purpose {
    /// The article's title and blocks; `first_block` is the unit of its first block
    /// (1 after a title).
    Article { first_block: usize },
    /// The sentences of a summary written in another language.
    Summary,
}

pub(super) struct Lane<'a> {
    pub run: Run<'a>,
    pub route: Route<'a>,
    pub source: &'a LangTag,
    pub target: &'a LangTag,
    pub glossary: Option<Arc<Glossary>>,
    purpose: Purpose,
    /// For each chunk, the source of the piece before it (cross-chunk context).
    before: Vec<Option<String>>,
    /// The translation of each finished chunk's last piece, by chunk id. A std mutex: it
    /// is held for one insert or one read, never across an await.
    finished: Mutex<HashMap<usize, String>>,
    /// For each backend of the route, what a cached piece translation depends on besides
    /// its text: languages, backend, model, prompt wording, glossary and protection.
    fingerprints: Vec<String>,
}

/// The backends that translate into a language, in fallback order: never none.
pub(super) struct Route<'a> {
    pub first: &'a Dispatcher,
    pub fallbacks: Vec<&'a Dispatcher>,
}

impl<'a> Route<'a> {
    /// The HTTP backends that translate into `target` (config validation keeps built-in
    /// backends out of translation routes).
    pub(super) fn translation(gw: &'a Gateway, target: &LangTag) -> Result<Route<'a>, RunError> {
        let mut backends = gw
            .route(Task::Translate, target)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|b| b.remote());
        match backends.next() {
            Some(first) => Ok(Route {
                first,
                fallbacks: backends.collect(),
            }),
            None => Err(RunError::NoRoute {
                task: Task::Translate,
                lang: target.clone(),
            }),
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &'a Dispatcher> + '_ {
        std::iter::once(self.first).chain(self.fallbacks.iter().copied())
    }

    pub(super) fn len(&self) -> usize {
        1 + self.fallbacks.len()
    }

    /// How chunks of this route are planned: by its first backend's budget, with at most
    /// as many pieces as the most restrictive backend takes. A fallback with a smaller
    /// budget still has the piece-by-piece last resort.
    pub(super) fn plan(&self) -> (Budget, usize) {
        let max_pieces = self
            .iter()
            .filter_map(|d| d.backend().profile().max_texts)
            .min()
            .unwrap_or(usize::MAX);
        (self.first.budget(), max_pieces)
    }
}

impl<'a> Lane<'a> {
    pub(super) fn new(
        run: Run<'a>,
        route: Route<'a>,
        (source, target): (&'a LangTag, &'a LangTag),
        chunks: &[Chunk],
        purpose: Purpose,
    ) -> Lane<'a> {
        let glossary = run.gw.glossary(source, target, run.glossaries);
        let before = std::iter::once(None)
            .chain(
                chunks
                    .iter()
                    .map(|c| c.pieces.last().map(|p| p.text.clone())),
            )
            .take(chunks.len())
            .collect();
        let protect = run.gw.protect().do_not_translate.join("\u{1f}");
        let glossary_version = glossary.as_ref().map_or("", |g| g.version.as_str());
        let fingerprints = route
            .iter()
            .map(|d| {
                content_hash([
                    source.as_str(),
                    target.as_str(),
                    d.name(),
                    d.model(),
                    run.gw.prompts().version(),
                    glossary_version,
                    &protect,
                ])
            })
            .collect();
        Lane {
            run,
            route,
            source,
            target,
            glossary,
            purpose,
            before,
            finished: Mutex::new(HashMap::new()),
            fingerprints,
        }
    }

    pub(super) fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Which part of the language's work chunk `id` is, for events and warnings.
    pub(super) fn part(&self, id: usize) -> Part {
        match self.purpose {
            Purpose::Article { .. } => Part::Chunk { chunk: id },
            Purpose::Summary => Part::Summary,
        }
    }

    /// The cache key of `text` translated by the route's backend `backend`.
    pub(super) fn key(&self, backend: usize, text: &str) -> String {
        content_hash([self.fingerprints[backend].as_str(), text])
    }

    /// The source block of a piece of `unit` (`None` for the title and for summaries).
    pub(super) fn block(&self, unit: usize) -> Option<usize> {
        match self.purpose {
            Purpose::Article { first_block } => unit.checked_sub(first_block),
            Purpose::Summary => None,
        }
    }

    /// Earlier translations of `pieces`, each from the first backend of the route that
    /// has one.
    pub(super) async fn recall(&self, pieces: &[Piece]) -> Vec<Option<String>> {
        let n = self.route.len();
        let keys: Vec<String> = pieces
            .iter()
            .flat_map(|p| (0..n).map(|backend| self.key(backend, &p.text)))
            .collect();
        let found = self.run.memory.recall(&keys).await;
        (0..pieces.len())
            .map(|i| (0..n).find_map(|backend| found.get(i * n + backend).cloned().flatten()))
            .collect()
    }

    /// The passage before chunk `id`: its source, and its translation if that is done.
    pub(super) fn context(&self, id: usize) -> Option<Context> {
        let source = self.before.get(id)?.clone()?;
        let finished = self.finished.lock().unwrap_or_else(|p| p.into_inner());
        let translation = id.checked_sub(1).and_then(|k| finished.get(&k).cloned());
        Some(Context {
            source,
            translation,
        })
    }

    /// Notes chunk `id`'s translation, whose end is the context of the chunk after it.
    pub(super) fn finish(&self, id: usize, texts: &[String]) {
        if let Some(last) = texts.last() {
            let mut finished = self.finished.lock().unwrap_or_else(|p| p.into_inner());
            finished.insert(id, last.clone());
        }
    }
}
