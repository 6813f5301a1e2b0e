//! The `/v1` handlers: submit, read and cancel jobs; synchronous translate and summarize;
//! the backends' limits, health and usage; and the health checks.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::AppState;
use super::problem::{Kind, Problem};
use super::request::{self, Accepted, JobRequest};
use crate::pipeline::{self, Forgetful, Unobserved};
use crate::protocol::Task;
use crate::store::{JobRecord, JobStatus};

/// Reads and checks a request body; every failure is a problem naming its cause.
async fn accepted(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Accepted, Problem> {
    let config = state.gateway.config();
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                Kind::BodyTooLarge,
                format!(
                    "the body is over {} bytes: send a shorter article or split it",
                    config.server.max_body_bytes
                ),
            )
        } else {
            Problem::new(Kind::InvalidJson, format!("cannot read the body: {e}"))
        }
    })?;
    if let Some(kind) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        && !kind.starts_with("application/json")
    {
        return Err(Problem::new(
            Kind::UnsupportedMediaType,
            format!("content-type '{kind}': send application/json"),
        ));
    }
    // Parsing the article (HTML extraction, language identification on up to a
    // megabyte) is CPU work: on the blocking pool, not the workers that serve requests.
    let (max_langs, webhooks) = (config.server.max_langs, config.webhooks.clone());
    let accepted = tokio::task::spawn_blocking(move || {
        request::accept(request::parse(&body)?, max_langs, &webhooks)
    })
    .await
    .map_err(|e| {
        Problem::new(
            Kind::Internal,
            format!("the request could not be read: {e}"),
        )
    })??;
    for (task, langs, field) in [
        (Task::Translate, &accepted.job.translate, "/translate"),
        (Task::Summarize, &accepted.job.summarize, "/summarize/langs"),
    ] {
        for (i, lang) in langs.iter().enumerate() {
            if state.gateway.route(task, lang).is_none_or(|r| r.is_empty()) {
                return Err(Problem::new(
                    Kind::NoRoute,
                    format!("no configured backend serves {} into {lang}", task.as_str()),
                )
                .at(format!("{field}/{i}")));
            }
        }
    }
    Ok(accepted)
}

#[derive(Serialize, ToSchema)]
pub(super) struct Submitted {
    pub id: String,
    #[schema(value_type = String, example = "queued")]
    pub status: JobStatus,
}

/// Submits a job; it runs in the background.
#[utoipa::path(post, path = "/v1/jobs", tag = "jobs", request_body = JobRequest,
    responses((status = 202, body = Submitted),
               (status = 400, body = Problem, content_type = "application/problem+json"),
               (status = 413, body = Problem, content_type = "application/problem+json"),
               (status = 422, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let accepted = match accepted(&state, &headers, body).await {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    match state.jobs.submit(accepted).await {
        Ok(id) => {
            let location = format!("/v1/jobs/{id}");
            let body = Submitted {
                id,
                status: JobStatus::Queued,
            };
            (
                StatusCode::ACCEPTED,
                [(header::LOCATION, location)],
                Json(body),
            )
                .into_response()
        }
        Err(e) => internal(e),
    }
}

/// A failure of lingo's own: logged with its cause, answered without it.
fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "internal error");
    Problem::new(Kind::Internal, "the server could not do this: see its log").into_response()
}

fn unknown(id: &str) -> Response {
    Problem::new(
        Kind::UnknownJob,
        format!("no job '{id}': use the id POST /v1/jobs returned"),
    )
    .at("/id")
    .into_response()
}

/// A job's status, progress and, once it has ended, its results.
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job id")),
    responses((status = 200, description = "status, progress, results (the CLI's JSON document), errors, usage"),
               (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn get_job(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.jobs.record(&id).await {
        Ok(Some(record)) => match JobView::of(&record) {
            Ok(view) => Json(view).into_response(),
            Err(e) => internal(e),
        },
        Ok(None) => unknown(&id),
        Err(e) => internal(e),
    }
}

/// A job as `GET /v1/jobs/{id}` shows it: its state, then the result document's parts
/// (source, results, usage, warnings, errors) copied as stored, without a parse.
#[derive(Serialize)]
struct JobView<'a> {
    id: &'a str,
    status: JobStatus,
    priority: &'a str,
    progress: Progress,
    created_at_ms: i64,
    updated_at_ms: i64,
    #[serde(flatten)]
    result: IndexMap<String, Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct Progress {
    done: i64,
    total: i64,
}

impl<'a> JobView<'a> {
    fn of(r: &'a JobRecord) -> Result<JobView<'a>, serde_json::Error> {
        let result = match r.result.as_deref() {
            Some(text) => serde_json::from_str(text)?,
            None => IndexMap::new(),
        };
        Ok(JobView {
            id: &r.id,
            status: r.status,
            priority: &r.priority,
            progress: Progress {
                done: r.done_steps,
                total: r.total_steps,
            },
            created_at_ms: r.created_at,
            updated_at_ms: r.updated_at,
            result,
            error: r.error.as_deref(),
        })
    }
}

/// Cancels a queued or running job.
#[utoipa::path(delete, path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job id")),
    responses((status = 200, body = Submitted),
               (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn cancel(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.jobs.cancel(&id).await {
        Ok(Some(status)) => Json(Submitted { id, status }).into_response(),
        Ok(None) => unknown(&id),
        Err(e) => internal(e),
    }
}

/// Runs a request to its end within `[server] sync_timeout_ms` and answers with the
/// result document.
async fn synchronous(
    state: AppState,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let accepted = match accepted(&state, &headers, body).await {
        Ok(a) => a,
        Err(p) => return p.into_response(),
    };
    let bound = Duration::from_millis(state.gateway.config().server.sync_timeout_ms);
    let run = pipeline::run(
        &state.gateway,
        &accepted.article,
        &accepted.job,
        &Forgetful,
        &Unobserved,
    );
    match tokio::time::timeout(bound, run).await {
        Err(_) => Problem::new(
            Kind::Timeout,
            format!(
                "not done within {} ms: submit it as a job (POST /v1/jobs)",
                bound.as_millis()
            ),
        )
        .into_response(),
        Ok(Err(e)) => Problem::new(Kind::BackendFailure, e.to_string()).into_response(),
        Ok(Ok(out)) if out.translations.is_empty() && out.summaries.is_empty() => {
            let why = out
                .failures
                .first()
                .map_or_else(String::new, |f| f.message.clone());
            Problem::new(Kind::BackendFailure, why).into_response()
        }
        Ok(Ok(out)) => Json(crate::output::document(&out)).into_response(),
    }
}

/// Translates (and summarizes, if asked) synchronously.
#[utoipa::path(post, path = "/v1/translate", tag = "synchronous", request_body = JobRequest,
    responses((status = 200, description = "the CLI's JSON document"),
               (status = 422, body = Problem, content_type = "application/problem+json"),
               (status = 504, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn translate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    synchronous(state, headers, body).await
}

/// Summarizes (and translates, if asked) synchronously.
#[utoipa::path(post, path = "/v1/summarize", tag = "synchronous", request_body = JobRequest,
    responses((status = 200, description = "the CLI's JSON document"),
               (status = 422, body = Problem, content_type = "application/problem+json"),
               (status = 504, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn summarize(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    synchronous(state, headers, body).await
}

/// Every backend: kind, limits, health (paused by a 429, quota spent), requests waiting by
/// priority, and what its account reports.
#[utoipa::path(get, path = "/v1/backends", tag = "service",
    responses((status = 200, description = "one entry per configured backend")))]
pub(super) async fn backends(State(state): State<AppState>) -> Response {
    let accounts: std::collections::HashMap<&str, _> =
        state.gateway.accounts().into_iter().collect();
    let list: Vec<Value> = state
        .gateway
        .config()
        .backends
        .iter()
        .map(|b| {
            let dispatcher = state.gateway.dispatcher(&b.name);
            let waiting = dispatcher.map(|d| {
                let w = d.waiting();
                json!({"breaking": w[0], "normal": w[1], "bulk": w[2]})
            });
            json!({
                "name": b.name,
                "kind": b.kind,
                "model": b.model,
                "tasks": b.tasks,
                "rate": b.rate,
                "retry": b.retry,
                "health": dispatcher.map(|d| d.health()),
                "waiting": waiting,
                "account": accounts.get(b.name.as_str()),
            })
        })
        .collect();
    Json(json!({"backends": list})).into_response()
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, description = "ok")))]
pub(super) async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// Ready: the store answers and the server is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, description = "ready"), (status = 503, body = Problem, content_type = "application/problem+json")))]
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    if *state.closing.borrow() {
        return Problem::new(Kind::Unavailable, "shutting down").into_response();
    }
    match state.jobs.ping().await {
        Ok(()) => Json(json!({"status": "ready"})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "not ready: the store does not answer");
            Problem::new(
                Kind::Unavailable,
                "the store does not answer: see the server's log",
            )
            .into_response()
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "service", responses((status = 200, description = "Prometheus text format")))]
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let Some(handle) = super::metrics::handle() else {
        return Problem::new(
            Kind::Unavailable,
            "metrics are not recorded in this process",
        )
        .into_response();
    };
    for (priority, n) in crate::dispatch::Priority::ALL
        .iter()
        .zip(state.jobs.depth())
    {
        metrics::gauge!("lingo_queue_depth", "priority" => priority.as_str(), "queue" => "jobs")
            .set(n as f64);
    }
    for b in &state.gateway.config().backends {
        if let Some(dispatcher) = state.gateway.dispatcher(&b.name) {
            for (priority, n) in crate::dispatch::Priority::ALL
                .iter()
                .zip(dispatcher.waiting())
            {
                metrics::gauge!("lingo_queue_depth", "priority" => priority.as_str(), "queue" => b.name.clone()).set(n as f64);
            }
        }
    }
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

pub(super) async fn not_found() -> Response {
    Problem::new(Kind::NotFound, "no such path: see /openapi.json").into_response()
}

pub(super) async fn method_not_allowed() -> Response {
    Problem::new(
        Kind::MethodNotAllowed,
        "this path does not take this method: see /openapi.json",
    )
    .into_response()
}
