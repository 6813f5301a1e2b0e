//! What a run keeps beyond itself and tells as it goes. The CLI keeps nothing and draws
//! a progress bar; the server keeps every validated piece in its cache (so a resumed or
//! re-submitted job sends only what is missing) and turns events into its event stream.

use futures::future::BoxFuture;
use serde::Serialize;

use crate::pipeline::Summary;

/// One step of a run, as the event stream reports it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A chunk is planned and waits for its turn.
    Queued { lang: String, chunk: usize },
    /// A request for the chunk went to `backend`.
    Sent {
        lang: String,
        chunk: usize,
        backend: String,
    },
    /// An answer from `backend` passed validation.
    Validated {
        lang: String,
        chunk: usize,
        backend: String,
    },
    /// The chunk is done: its translated pieces, with the source block each belongs to
    /// (`None` for the title), so that clients can show partial results. (The job's own
    /// end is the `done` event.)
    Translated {
        lang: String,
        chunk: usize,
        cached: usize,
        pieces: Vec<PieceText>,
    },
    /// A language's summary is written.
    Summary { lang: String, text: String },
}

#[derive(Clone, Debug, Serialize)]
pub struct PieceText {
    pub block: Option<usize>,
    pub text: String,
}

pub trait Memory: Send + Sync {
    /// Earlier translations of pieces, by cache key (`None` where there is none).
    fn recall<'a>(&'a self, _keys: &'a [String]) -> BoxFuture<'a, Vec<Option<String>>> {
        Box::pin(async { Vec::new() })
    }

    /// Keeps validated translations of pieces, by cache key.
    fn remember<'a>(&'a self, _entries: &'a [(String, String)]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// A summary from earlier work on the same job, if any.
    fn recall_summary<'a>(&'a self, _lang: &'a str) -> BoxFuture<'a, Option<Summary>> {
        Box::pin(async { None })
    }

    fn remember_summary<'a>(&'a self, _summary: &'a Summary) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    fn event(&self, _event: Event) {}

    /// Steps done out of steps in all: one per chunk and one per summary.
    fn progress(&self, _done: usize, _total: usize) {}
}

/// Keeps nothing and tells nobody.
pub struct Forgetful;

impl Memory for Forgetful {}
