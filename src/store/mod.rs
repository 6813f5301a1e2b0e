//! Where the service keeps jobs, their events, the piece cache and the webhook outbox. One
//! small trait, so that a Postgres store for several replicas is a second implementation;
//! SQLite ([`sqlite`]) is the one that ships.

mod sqlite;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub(crate) use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Database(#[from] sqlx::Error),
    #[error("store: cannot bring the schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("store: a stored record is unreadable ({0})")]
    Corrupt(String),
}

pub(crate) type StoreFuture<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::Queued,
            JobStatus::Running,
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }

    pub(crate) fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }
}

/// Where a job's end is delivered, and the secret that signs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Webhook {
    pub url: String,
    pub secret: Option<String>,
}

/// A job as stored.
#[derive(Clone, Debug)]
pub(crate) struct JobRecord {
    pub id: String,
    pub status: JobStatus,
    pub priority: String,
    /// The submitted request as JSON, without its webhook: what a restart runs again.
    pub request: String,
    pub webhook: Option<Webhook>,
    /// How many times a process began running the job.
    pub starts: i64,
    /// The result document, once the job has ended.
    pub result: Option<String>,
    pub error: Option<String>,
    pub done_steps: i64,
    pub total_steps: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An event of a job as stored: its place in the job's sequence (the SSE id), its type
/// and its JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredEvent {
    pub seq: i64,
    pub kind: String,
    pub data: String,
}

/// Everything the end of a job writes, committed together: its terminal state and result,
/// its `done` event and its webhook delivery. So a job is never final without its `done`
/// event or its delivery, even across a crash, and the first end of a job wins.
pub(crate) struct JobEnd<'a> {
    pub(crate) id: &'a str,
    pub(crate) status: JobStatus,
    pub(crate) result: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
    /// The `done` event's JSON.
    pub(crate) event: &'a str,
    /// The webhook to deliver to, and the body.
    pub(crate) delivery: Option<(&'a Webhook, &'a str)>,
}

/// A webhook delivery waiting in the outbox.
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    pub id: i64,
    pub job_id: String,
    pub url: String,
    pub secret: Option<String>,
    pub body: String,
    pub attempts: i64,
}

pub(crate) trait Store: Send + Sync {
    fn create_job(&self, job: &JobRecord) -> StoreFuture<'_, ()>;
    /// Marks a job running and counts the start.
    fn start_job<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()>;
    fn set_progress<'a>(&'a self, id: &'a str, done: i64, total: i64) -> StoreFuture<'a, ()>;
    /// Ends a job that has not ended yet: the `done` event's sequence number, or `None`
    /// when the job had ended already (and nothing was written).
    fn end_job<'a>(&'a self, end: &'a JobEnd<'a>) -> StoreFuture<'a, Option<i64>>;
    fn job<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<JobRecord>>;
    /// Jobs queued or running: what a restart resumes.
    fn unfinished(&self) -> StoreFuture<'_, Vec<JobRecord>>;
    /// Appends an event of type `kind`; its sequence number (from 1) is the SSE event id.
    fn add_event<'a>(&'a self, job: &'a str, kind: &'a str, data: &'a str) -> StoreFuture<'a, i64>;
    fn events_after<'a>(&'a self, job: &'a str, seq: i64) -> StoreFuture<'a, Vec<StoredEvent>>;
    fn cache_get<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<String>>>;
    fn cache_put<'a>(&'a self, entries: &'a [(String, String)]) -> StoreFuture<'a, ()>;
    fn summary_get<'a>(&'a self, job: &'a str, lang: &'a str) -> StoreFuture<'a, Option<String>>;
    fn summary_put<'a>(&'a self, job: &'a str, lang: &'a str, data: &'a str)
    -> StoreFuture<'a, ()>;
    /// Deliveries whose time has come, oldest first.
    fn outbox_due(&self, now: i64) -> StoreFuture<'_, Vec<Delivery>>;
    /// Records an attempt: delivered, to try again at `retry_at`, or given up (`None`).
    fn outbox_attempted<'a>(
        &'a self,
        id: i64,
        delivered: bool,
        retry_at: Option<i64>,
        error: Option<&'a str>,
    ) -> StoreFuture<'a, ()>;
    /// Whether the store answers (for `/readyz`).
    fn ping(&self) -> StoreFuture<'_, ()>;
}

/// Unix time in milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
