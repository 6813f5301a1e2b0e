//! What a job's run keeps and tells: validated pieces in the store's cache, its summaries
//! in the store, and its events and progress to the job's writer, which stores them in
//! order and tells live streams. The run never waits for the writer.

use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::pipeline::{Event, Memory, Observer, Summary};
use crate::store::Store;

/// What the run tells the job's writer.
pub(super) enum Note {
    Event(Event),
    Progress(usize, usize),
}

pub(super) struct JobMemory {
    pub store: Arc<dyn Store>,
    pub id: String,
    pub notes: mpsc::UnboundedSender<Note>,
}

impl Memory for JobMemory {
    fn recall<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Option<String>>> {
        Box::pin(async move {
            let found = match self.store.cache_get(keys).await {
                Ok(found) => found,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the piece cache: translating afresh");
                    vec![None; keys.len()]
                }
            };
            let hits = found.iter().filter(|f| f.is_some()).count();
            metrics::counter!("lingo_cache_hits_total").increment(hits as u64);
            metrics::counter!("lingo_cache_misses_total")
                .increment(keys.len().saturating_sub(hits) as u64);
            found
        })
    }

    fn remember<'a>(&'a self, entries: &'a [(String, String)]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = self.store.cache_put(entries).await {
                tracing::error!(error = %e, "cannot store translated pieces");
            }
        })
    }

    fn recall_summary<'a>(&'a self, lang: &'a str) -> BoxFuture<'a, Option<Summary>> {
        Box::pin(async move {
            let data = self.store.summary_get(&self.id, lang).await.ok()??;
            serde_json::from_str(&data).ok()
        })
    }

    fn remember_summary<'a>(&'a self, summary: &'a Summary) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Ok(data) = serde_json::to_string(summary) {
                let lang = summary.lang.to_string();
                if let Err(e) = self.store.summary_put(&self.id, &lang, &data).await {
                    tracing::error!(error = %e, "cannot store a summary");
                }
            }
        })
    }
}

impl Observer for JobMemory {
    fn event(&self, event: Event) {
        let _ = self.notes.send(Note::Event(event));
    }

    fn progress(&self, done: usize, total: usize) {
        let _ = self.notes.send(Note::Progress(done, total));
    }
}
