//! `GET /v1/jobs/{id}/events`: Server-Sent Events. A stream first replays the stored
//! events after `Last-Event-ID` (so a client that reconnects misses nothing), then
//! follows the live ones, and ends after the job's `done` event.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;

use super::AppState;
use super::jobs::Jobs;
use super::problem::{Kind, Problem};
use crate::store::StoredEvent;

/// The SSE event for a stored event, named by its type; and whether it ends the job.
fn sse(stored: &StoredEvent) -> (SseEvent, bool) {
    let event = SseEvent::default()
        .id(stored.seq.to_string())
        .event(&stored.kind)
        .data(&stored.data);
    (event, stored.kind == "done")
}

/// Job events as Server-Sent Events, replayed after `Last-Event-ID` and then live.
#[utoipa::path(get, path = "/v1/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "The job id"),
           ("Last-Event-ID" = Option<i64>, Header, description = "The last event seen")),
    responses((status = 200, description = "text/event-stream of queued, sent, validated, translated and summary events, then done"),
               (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let record = match state.jobs.record(&id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Problem::new(Kind::UnknownJob, format!("no job '{id}'"))
                .at("/id")
                .into_response();
        }
        Err(e) => {
            tracing::error!(job = %id, error = %e, "cannot read the job");
            let detail = "the server could not read the job: see its log";
            return Problem::new(Kind::Internal, detail).into_response();
        }
    };
    let after: i64 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    // Subscribed before reading the store, so nothing falls between the two.
    let live = state.jobs.subscribe(&id);
    let (tx, rx) = mpsc::channel::<Result<SseEvent, Infallible>>(64);
    let jobs = state.jobs.clone();
    let closing = state.closing.clone();
    let finished = record.status.is_final();
    #[expect(
        clippy::disallowed_methods,
        reason = "owned by its response: it ends when the client goes, the job ends or shutdown begins"
    )]
    tokio::spawn(async move {
        follow(&jobs, &id, after, live, &tx, closing, finished).await;
        jobs.unheard(&id);
    });
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Sends job `id`'s events after `after` to `tx`: the stored ones, then, unless the job had
/// ended, the live ones, until `done`, the client leaves, or shutdown begins.
async fn follow(
    jobs: &Jobs,
    id: &str,
    mut after: i64,
    mut live: broadcast::Receiver<StoredEvent>,
    tx: &mpsc::Sender<Result<SseEvent, Infallible>>,
    mut closing: watch::Receiver<bool>,
    finished: bool,
) {
    let mut batch = jobs.events_after(id, after).await;
    loop {
        for stored in batch {
            after = stored.seq;
            let (event, done) = sse(&stored);
            if tx.send(Ok(event)).await.is_err() || done {
                return;
            }
        }
        if finished {
            return;
        }
        let next = tokio::select! {
            next = live.recv() => next,
            _ = closing.changed() => return,
        };
        batch = match next {
            Ok(stored) if stored.seq > after => vec![stored],
            Ok(_) => Vec::new(),
            Err(broadcast::error::RecvError::Lagged(_)) => jobs.events_after(id, after).await,
            Err(broadcast::error::RecvError::Closed) => return,
        };
    }
}
