//! Jobs: accepted, stored, run in the background by priority, checkpointed piece by piece,
//! resumed after a restart, cancelled on request. Each job's events are stored in order
//! (for `Last-Event-ID` replay) and broadcast to live event streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};
use tokio::task::AbortHandle;
use tracing::Instrument;

use super::request::{self, Accepted, JobRequest};
use crate::config::Config;
use crate::gateway::Gateway;
use crate::output;
use crate::pipeline::{self, Event, Memory, Summary};
use crate::store::{JobRecord, JobStatus, Store, now_ms};

/// An event as streamed: its sequence number and JSON text.
pub type Stored = (i64, String);

pub struct Jobs {
    pub gw: Arc<Gateway>,
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Jobs running or waiting for a turn, by id.
    running: Mutex<HashMap<String, AbortHandle>>,
    streams: Mutex<HashMap<String, broadcast::Sender<Stored>>>,
    /// Turns to run, handed out by priority like a backend's slots.
    turns: crate::dispatch::Slots,
}

/// What the run tells the job's event writer.
enum Note {
    Event(String),
    Progress(usize, usize),
}

impl Jobs {
    pub fn new(gw: Arc<Gateway>, store: Arc<dyn Store>, config: Arc<Config>) -> Arc<Jobs> {
        let turns = crate::dispatch::Slots::new(config.server.max_jobs);
        Arc::new(Jobs {
            gw,
            store,
            config,
            running: Mutex::new(HashMap::new()),
            streams: Mutex::new(HashMap::new()),
            turns,
        })
    }

    /// Stores an accepted job and starts it; its id.
    pub async fn submit(self: &Arc<Self>, accepted: Accepted) -> Result<String, String> {
        let id = uuid::Uuid::now_v7().to_string();
        let record = JobRecord {
            id: id.clone(),
            status: JobStatus::Queued,
            priority: accepted.job.priority.as_str().to_string(),
            request: serde_json::to_string(&accepted.request).map_err(|e| e.to_string())?,
            result: None,
            error: None,
            done_steps: 0,
            total_steps: 0,
            created_at: now_ms(),
            updated_at: now_ms(),
        };
        self.store
            .create_job(&record)
            .await
            .map_err(|e| e.to_string())?;
        metrics::counter!("lingo_jobs_total", "state" => "queued").increment(1);
        self.spawn(id.clone(), accepted);
        Ok(id)
    }

    /// Starts again every job a previous process left queued or running. Pieces it had
    /// translated are in the cache, so only the rest goes to backends.
    pub async fn resume(self: &Arc<Self>) -> usize {
        let unfinished = match self.store.unfinished().await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "cannot list unfinished jobs");
                return 0;
            }
        };
        let mut resumed = 0;
        for record in unfinished {
            let accepted = serde_json::from_str::<JobRequest>(&record.request)
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    request::accept(r, self.config.server.max_langs, &self.config.webhooks)
                        .map_err(|p| p.detail)
                });
            match accepted {
                Ok(accepted) => {
                    tracing::info!(job = %record.id, "resuming");
                    self.spawn(record.id, accepted);
                    resumed += 1;
                }
                Err(why) => {
                    let error = format!("cannot resume: {why}");
                    let _ = self
                        .store
                        .finish_job(&record.id, JobStatus::Failed, None, Some(&error))
                        .await;
                }
            }
        }
        resumed
    }

    fn spawn(self: &Arc<Self>, id: String, accepted: Accepted) {
        let jobs = self.clone();
        let span = tracing::info_span!("job", id = %id, priority = accepted.job.priority.as_str());
        let job_id = id.clone();
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let task = tokio::spawn(
            async move {
                jobs.run(&job_id, accepted).await;
                jobs.running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&job_id);
            }
            .instrument(span),
        );
        running.insert(id, task.abort_handle());
    }

    fn sender(&self, id: &str) -> broadcast::Sender<Stored> {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams
            .entry(id.to_string())
            .or_insert_with(|| broadcast::channel(1024).0)
            .clone()
    }

    /// Live events of job `id`, from now on.
    pub fn subscribe(&self, id: &str) -> broadcast::Receiver<Stored> {
        self.sender(id).subscribe()
    }

    /// Stores an event and tells live streams.
    async fn publish(&self, id: &str, data: &str) {
        match self.store.add_event(id, data).await {
            Ok(seq) => {
                let _ = self.sender(id).send((seq, data.to_string()));
            }
            Err(e) => tracing::error!(job = %id, error = %e, "cannot store an event"),
        }
    }

    async fn run(self: &Arc<Self>, id: &str, accepted: Accepted) {
        let priority = accepted.job.priority;
        let _turn = self.turns.acquire(priority).await;
        let _ = self.store.set_status(id, JobStatus::Running).await;
        metrics::counter!("lingo_jobs_total", "state" => "running").increment(1);
        let (notes, mut inbox) = mpsc::unbounded_channel::<Note>();
        let writer = {
            let jobs = self.clone();
            let id = id.to_string();
            tokio::spawn(async move {
                while let Some(note) = inbox.recv().await {
                    match note {
                        Note::Event(data) => jobs.publish(&id, &data).await,
                        Note::Progress(done, total) => {
                            let _ = jobs
                                .store
                                .set_progress(&id, done as i64, total as i64)
                                .await;
                        }
                    }
                }
            })
        };
        let memory = JobMemory {
            store: self.store.clone(),
            id: id.to_string(),
            notes,
        };
        let outcome = pipeline::run(&self.gw, &accepted.article, &accepted.job, &memory).await;
        drop(memory);
        let _ = writer.await;
        let (status, result, error) = match outcome {
            Ok(out) => {
                let status = if out.failures.is_empty() {
                    JobStatus::Succeeded
                } else {
                    JobStatus::Failed
                };
                (status, Some(output::document(&out)), None)
            }
            Err(e) => (JobStatus::Failed, None, Some(e.to_string())),
        };
        self.end(id, status, result, error, accepted.request.webhook.as_ref())
            .await;
    }

    /// Records the end of a job, tells its streams, and queues its webhook.
    async fn end(
        &self,
        id: &str,
        status: JobStatus,
        result: Option<serde_json::Value>,
        error: Option<String>,
        webhook: Option<&request::WebhookIn>,
    ) {
        let result_text = result.as_ref().map(|r| r.to_string());
        if let Err(e) = self
            .store
            .finish_job(id, status, result_text.as_deref(), error.as_deref())
            .await
        {
            tracing::error!(job = %id, error = %e, "cannot store the job's end");
        }
        metrics::counter!("lingo_jobs_total", "state" => status.as_str()).increment(1);
        let done =
            json!({"type": "done", "id": id, "status": status, "result": result, "error": error});
        self.publish(id, &done.to_string()).await;
        if let Some(hook) = webhook {
            let body = json!({"id": id, "status": status, "result": result, "error": error});
            let queued = self
                .store
                .outbox_add(id, &hook.url, hook.secret.as_deref(), &body.to_string())
                .await;
            if let Err(e) = queued {
                tracing::error!(job = %id, error = %e, "cannot queue the webhook");
            }
        }
    }

    /// Cancels a queued or running job; its status afterwards, `None` for an unknown id.
    pub async fn cancel(&self, id: &str) -> Result<Option<JobStatus>, String> {
        let Some(record) = self.store.job(id).await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        if record.status.is_final() {
            return Ok(Some(record.status));
        }
        let handle = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        if let Some(handle) = handle {
            handle.abort();
        }
        let webhook = serde_json::from_str::<JobRequest>(&record.request)
            .ok()
            .and_then(|r| r.webhook);
        self.end(
            id,
            JobStatus::Cancelled,
            None,
            Some("cancelled".into()),
            webhook.as_ref(),
        )
        .await;
        Ok(Some(JobStatus::Cancelled))
    }

    /// Jobs running or waiting, by priority.
    pub fn depth(&self) -> [usize; 3] {
        self.turns.waiting()
    }

    /// Waits up to `bound` for running jobs to end, then stops the rest: their state is
    /// stored, and the next start resumes them.
    pub async fn drain(&self, bound: Duration) {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let left = self.running.lock().unwrap_or_else(|p| p.into_inner()).len();
            if left == 0 {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(
                    jobs = left,
                    "drain bound reached: stopping; they resume at the next start"
                );
                for (_, handle) in self
                    .running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .drain()
                {
                    handle.abort();
                }
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A job's run memory: the store's piece cache and summaries, and its event writer.
struct JobMemory {
    store: Arc<dyn Store>,
    id: String,
    notes: mpsc::UnboundedSender<Note>,
}

impl Memory for JobMemory {
    fn recall<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Option<String>>> {
        Box::pin(async move {
            let found = self.store.cache_get(keys).await.unwrap_or_default();
            let hits = found.iter().filter(|f| f.is_some()).count() as u64;
            metrics::counter!("lingo_cache_hits_total").increment(hits);
            metrics::counter!("lingo_cache_misses_total").increment(keys.len() as u64 - hits);
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

    fn event(&self, event: Event) {
        if let Ok(data) = serde_json::to_string(&event) {
            let _ = self.notes.send(Note::Event(data));
        }
    }

    fn progress(&self, done: usize, total: usize) {
        let _ = self.notes.send(Note::Progress(done, total));
    }
}
