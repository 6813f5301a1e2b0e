//! What a run keeps beyond itself ([`Memory`]) and what it tells as it goes
//! ([`Observer`]). The CLI keeps nothing and draws a progress bar; the server keeps every
//! validated piece in its cache (so a resumed or re-submitted job sends only what is
//! missing) and turns events into its event stream.

use futures::future::BoxFuture;
use serde::Serialize;

use super::summary::Summary;

/// What the run keeps: validated pieces by cache key, and each language's summary.
pub trait Memory: Send + Sync {
    /// Earlier translations of pieces: one entry per key, `None` where there is none.
    fn recall<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Option<String>>> {
        Box::pin(async { vec![None; keys.len()] })
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
}

/// Who hears how the run goes.
pub trait Observer: Send + Sync {
    fn event(&self, _event: Event) {}

    /// Steps done out of steps in all: one per chunk and one per summary.
    fn progress(&self, _done: usize, _total: usize) {}
}

/// Keeps nothing.
pub struct Forgetful;

impl Memory for Forgetful {}

/// Tells nobody.
pub struct Unobserved;

impl Observer for Unobserved {}

/// One step of a run, as the event stream reports it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A chunk is planned and waits for its turn.
    Queued { lang: String, chunk: usize },
    /// A request went to `backend`.
    Sent {
        lang: String,
        #[serde(flatten)]
        part: Part,
        backend: String,
    },
    /// An answer from `backend` passed validation.
    Validated {
        lang: String,
        #[serde(flatten)]
        part: Part,
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

impl Event {
    /// The event's `type`, which names it in the event stream.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Queued { .. } => "queued",
            Event::Sent { .. } => "sent",
            Event::Validated { .. } => "validated",
            Event::Translated { .. } => "translated",
            Event::Summary { .. } => "summary",
        }
    }
}

/// Which part of a language's work a call serves: a chunk of the article's translation,
/// or the summary (written by an LLM, or translated from the article's language).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum Part {
    Chunk { chunk: usize },
    Summary,
}

#[derive(Clone, Debug, Serialize)]
pub struct PieceText {
    pub block: Option<usize>,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_their_part() {
        let sent = |part| {
            serde_json::to_value(Event::Sent {
                lang: "ru".into(),
                part,
                backend: "llm".into(),
            })
            .unwrap()
        };
        assert_eq!(
            sent(Part::Chunk { chunk: 3 }),
            serde_json::json!({"type": "sent", "lang": "ru", "part": "chunk", "chunk": 3, "backend": "llm"})
        );
        assert_eq!(
            sent(Part::Summary),
            serde_json::json!({"type": "sent", "lang": "ru", "part": "summary", "backend": "llm"})
        );
    }

    #[test]
    fn kind_is_the_serialized_type() {
        let lang = || "ru".to_string();
        let events = [
            Event::Queued {
                lang: lang(),
                chunk: 0,
            },
            Event::Validated {
                lang: lang(),
                part: Part::Summary,
                backend: "b".into(),
            },
            Event::Translated {
                lang: lang(),
                chunk: 0,
                cached: 0,
                pieces: Vec::new(),
            },
            Event::Summary {
                lang: lang(),
                text: String::new(),
            },
        ];
        for event in events {
            let value = serde_json::to_value(&event).unwrap();
            assert_eq!(value["type"], event.kind());
        }
    }
}
