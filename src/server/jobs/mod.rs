//! Jobs: accepted, stored, run in the background by priority, checkpointed piece by piece,
//! resumed after a restart, cancelled on request. Each job's events are stored in order
//! (for `Last-Event-ID` replay) and broadcast to live event streams.
//!
//! A job that panics is recorded as failed with a reason, and a job whose starts keep
//! ending without an end (a crash loop) is not resumed past [`MAX_STARTS`].

mod event;
mod memory;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{broadcast, mpsc};
use tokio::task::AbortHandle;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::request::{self, Accepted, JobRequest};
use crate::dispatch::Slots;
use crate::gateway::Gateway;
use crate::output;
use crate::pipeline;
use crate::store::{JobEnd, JobRecord, JobStatus, Store, StoreError, StoredEvent, Webhook, now_ms};
use event::{Ending, JobEvent, Told};
use memory::{JobMemory, Note};

/// Starts after which an unfinished job is failed instead of resumed: each start that
/// ended without an end was a crash or a forced stop, and the job may be the cause.
pub(super) const MAX_STARTS: i64 = 5;

/// Events a live stream may fall behind by before it catches up from the store.
const STREAM_BUFFER: usize = 128;

pub(super) struct Jobs {
    gw: Arc<Gateway>,
    store: Arc<dyn Store>,
    /// Jobs running or waiting for a turn, by id, to cancel them. A std mutex: held for
    /// one insert, remove or drain, never across an await.
    running: Mutex<HashMap<String, AbortHandle>>,
    /// Every job task, so that shutdown can wait for them.
    tasks: TaskTracker,
    /// Live streams by job, made when a client first follows a job and dropped when the
    /// job ends: a job nobody follows costs no channel. Events stored before a client
    /// came are replayed from the store.
    streams: Mutex<HashMap<String, broadcast::Sender<StoredEvent>>>,
    /// Turns to run, handed out by priority like a backend's slots.
    turns: Slots,
}

impl Jobs {
    pub(super) fn new(gw: Arc<Gateway>, store: Arc<dyn Store>) -> Arc<Jobs> {
        let turns = Slots::new(gw.config().server.max_jobs);
        Arc::new(Jobs {
            gw,
            store,
            running: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            streams: Mutex::new(HashMap::new()),
            turns,
        })
    }

    /// Stores an accepted job and starts it; its id.
    pub(super) async fn submit(self: &Arc<Self>, accepted: Accepted) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let webhook = accepted.request.webhook.as_ref().map(|w| Webhook {
            url: w.url.clone(),
            secret: w.secret.clone(),
        });
        // Stored without its webhook, which has columns of its own (and a secret).
        let request = JobRequest {
            webhook: None,
            ..accepted.request.clone()
        };
        let record = JobRecord {
            id: id.clone(),
            status: JobStatus::Queued,
            priority: accepted.job.priority.as_str().to_string(),
            request: serde_json::to_string(&request)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            webhook: webhook.clone(),
            starts: 0,
            result: None,
            error: None,
            done_steps: 0,
            total_steps: 0,
            created_at: now_ms(),
            updated_at: now_ms(),
        };
        self.store.create_job(&record).await?;
        metrics::counter!("lingo_jobs_total", "state" => "queued").increment(1);
        self.spawn(id.clone(), accepted, webhook);
        Ok(id)
    }

    /// Starts again every job a previous process left queued or running. Pieces it had
    /// translated are in the cache, so only the rest goes to backends.
    pub(super) async fn resume(self: &Arc<Self>) -> usize {
        let unfinished = match self.store.unfinished().await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "cannot list unfinished jobs");
                return 0;
            }
        };
        let config = self.gw.config();
        let mut resumed = 0;
        for record in unfinished {
            let webhook = record.webhook.as_ref();
            if record.starts >= MAX_STARTS {
                let why = format!(
                    "started {} times without finishing (each start ended in a crash or a forced stop): not resumed again; submit it again to retry",
                    record.starts
                );
                tracing::error!(job = %record.id, "{why}");
                self.end(&record.id, Ending::failed(why), webhook).await;
                continue;
            }
            let accepted = serde_json::from_str::<JobRequest>(&record.request)
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    request::accept(r, config.server.max_langs, &config.webhooks)
                        .map_err(|p| p.detail)
                });
            match accepted {
                Ok(accepted) => {
                    tracing::info!(job = %record.id, "resuming");
                    self.spawn(record.id, accepted, record.webhook);
                    resumed += 1;
                }
                Err(why) => {
                    let ending = Ending::failed(format!("cannot resume: {why}"));
                    self.end(&record.id, ending, webhook).await;
                }
            }
        }
        resumed
    }

    fn spawn(self: &Arc<Self>, id: String, accepted: Accepted, webhook: Option<Webhook>) {
        let jobs = self.clone();
        let span = tracing::info_span!("job", id = %id, priority = accepted.job.priority.as_str());
        let job_id = id.clone();
        // Held while the task is spawned, so that the task's own removal comes after.
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let task = self.tasks.spawn(
            async move {
                let ending = match caught(jobs.run(&job_id, accepted)).await {
                    Ok(ending) => ending,
                    Err(what) => {
                        tracing::error!(job = %job_id, panic = %what, "the job's task panicked");
                        Ending::failed(format!(
                            "the job stopped on an internal fault ({what}): it is not resumed; submit it again, and report the fault"
                        ))
                    }
                };
                jobs.end(&job_id, ending, webhook.as_ref()).await;
                jobs.running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&job_id);
            }
            .instrument(span),
        );
        running.insert(id, task.abort_handle());
    }

    /// Live events of job `id`, from now on.
    pub(super) fn subscribe(&self, id: &str) -> broadcast::Receiver<StoredEvent> {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams
            .entry(id.to_string())
            .or_insert_with(|| broadcast::channel(STREAM_BUFFER).0)
            .subscribe()
    }

    /// Drops job `id`'s live stream once no client follows it.
    pub(super) fn unheard(&self, id: &str) {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        if streams.get(id).is_some_and(|s| s.receiver_count() == 0) {
            streams.remove(id);
        }
    }

    /// Tells the live streams of job `id`, if it has any; the last event ends them.
    fn tell(&self, id: &str, event: StoredEvent) {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let last = event.kind == "done";
        if let Some(stream) = streams.get(id) {
            let _ = stream.send(event);
        }
        if last {
            streams.remove(id);
        }
    }

    /// The stored job `id`, if there is one.
    pub(super) async fn record(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        self.store.job(id).await
    }

    /// Job `id`'s stored events after sequence number `after`.
    pub(super) async fn events_after(&self, id: &str, after: i64) -> Vec<StoredEvent> {
        match self.store.events_after(id, after).await {
            Ok(events) => events,
            Err(e) => {
                tracing::error!(job = %id, error = %e, "cannot read stored events");
                Vec::new()
            }
        }
    }

    /// Whether the store answers.
    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// Stores an event and tells live streams: serialized here, once.
    async fn publish(&self, id: &str, event: JobEvent<'_>) {
        let (kind, data) = match event.to_json() {
            Ok(data) => (event.kind(), data),
            Err(e) => {
                tracing::error!(job = %id, error = %e, "cannot write an event");
                return;
            }
        };
        match self.store.add_event(id, kind, &data).await {
            Ok(seq) => {
                let kind = kind.to_string();
                self.tell(id, StoredEvent { seq, kind, data });
            }
            Err(e) => tracing::error!(job = %id, error = %e, "cannot store an event"),
        }
    }

    /// Runs job `id` when its turn comes: how it ended.
    async fn run(&self, id: &str, accepted: Accepted) -> Ending {
        let _turn = self.turns.acquire(accepted.job.priority).await;
        if let Err(e) = self.store.start_job(id).await {
            tracing::error!(job = %id, error = %e, "cannot mark the job running");
        }
        metrics::counter!("lingo_jobs_total", "state" => "running").increment(1);
        let (notes, inbox) = mpsc::unbounded_channel::<Note>();
        let memory = JobMemory {
            store: self.store.clone(),
            id: id.to_string(),
            notes,
        };
        let work = async move {
            let out =
                pipeline::run(&self.gw, &accepted.article, &accepted.job, &memory, &memory).await;
            // Dropping the memory closes the writer's inbox: it ends after the last note.
            drop(memory);
            match out {
                Ok(out) => {
                    let status = if out.failures.is_empty() {
                        JobStatus::Succeeded
                    } else {
                        JobStatus::Failed
                    };
                    match serde_json::value::to_raw_value(&output::document(&out)) {
                        Ok(result) => Ending {
                            status,
                            result: Some(result),
                            error: None,
                        },
                        Err(e) => Ending::failed(format!("cannot write the result: {e}")),
                    }
                }
                Err(e) => Ending::failed(e.to_string()),
            }
        };
        let (ending, ()) = tokio::join!(work, self.write(id, inbox));
        ending
    }

    /// Stores and tells what a run notes, in order, until its inbox closes.
    async fn write(&self, id: &str, mut inbox: mpsc::UnboundedReceiver<Note>) {
        while let Some(note) = inbox.recv().await {
            match note {
                Note::Event(event) => self.publish(id, JobEvent::Run(&event)).await,
                Note::Progress(done, total) => {
                    let (done, total) = (done as i64, total as i64);
                    if let Err(e) = self.store.set_progress(id, done, total).await {
                        tracing::error!(job = %id, error = %e, "cannot store progress");
                    }
                }
            }
        }
    }

    /// Records the end of a job with its `done` event and its webhook, in one commit, and
    /// tells its streams. A job that has ended already is left as it is.
    async fn end(&self, id: &str, ending: Ending, webhook: Option<&Webhook>) {
        let told = Told::new(id, &ending);
        let (event, body) = match (JobEvent::Done(told).to_json(), serde_json::to_string(&told)) {
            (Ok(event), Ok(body)) => (event, body),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(job = %id, error = %e, "cannot write the job's end");
                return;
            }
        };
        let end = JobEnd {
            id,
            status: ending.status,
            result: ending.result.as_ref().map(|r| r.get()),
            error: ending.error.as_deref(),
            event: &event,
            delivery: webhook.map(|hook| (hook, body.as_str())),
        };
        match self.store.end_job(&end).await {
            Ok(Some(seq)) => {
                metrics::counter!("lingo_jobs_total", "state" => ending.status.as_str())
                    .increment(1);
                let done = StoredEvent {
                    seq,
                    kind: "done".into(),
                    data: event,
                };
                self.tell(id, done);
            }
            Ok(None) => tracing::info!(job = %id, "the job had ended already"),
            Err(e) => tracing::error!(job = %id, error = %e, "cannot store the job's end"),
        }
    }

    /// Cancels a queued or running job; its status afterwards, `None` for an unknown id.
    pub(super) async fn cancel(&self, id: &str) -> Result<Option<JobStatus>, StoreError> {
        let Some(record) = self.store.job(id).await? else {
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
        let ending = Ending {
            status: JobStatus::Cancelled,
            result: None,
            error: Some("cancelled".into()),
        };
        self.end(id, ending, record.webhook.as_ref()).await;
        // Cancelled, unless the job ended on its own first.
        Ok(self.store.job(id).await?.map(|r| r.status))
    }

    /// Jobs running or waiting, by priority.
    pub(super) fn depth(&self) -> [usize; 3] {
        self.turns.waiting()
    }

    /// Waits up to `bound` for running jobs to end, then stops the rest: their state is
    /// stored, and the next start resumes them.
    pub(super) async fn drain(&self, bound: Duration) {
        self.tasks.close();
        if tokio::time::timeout(bound, self.tasks.wait()).await.is_ok() {
            return;
        }
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        tracing::warn!(
            jobs = running.len(),
            "drain bound reached: stopping; they resume at the next start"
        );
        for (_, handle) in running.drain() {
            handle.abort();
        }
    }
}

/// Runs `work`; a panic inside it comes back as what it said, so that the job it ran
/// can be recorded as failed instead of vanishing (and being resumed at every start).
async fn caught<T>(work: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|panic| {
            panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into())
        })
}
