//! `/openapi.json`, generated from the handlers' annotations and the request types.

use axum::Json;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use super::problem::Problem;
use super::request::{ArticleIn, JobRequest, SummarizeIn, WebhookIn};
use super::routes::Submitted;
use super::{events, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lingo",
        description = "Multilingual summary and translation gateway for newsrooms"
    ),
    paths(
        routes::submit,
        routes::get_job,
        routes::cancel,
        events::stream,
        routes::translate,
        routes::summarize,
        routes::backends,
        routes::healthz,
        routes::readyz,
        routes::metrics,
    ),
    components(schemas(JobRequest, ArticleIn, SummarizeIn, WebhookIn, Submitted, Problem))
)]
pub(super) struct Api;

pub(super) async fn document() -> Response {
    Json(Api::openapi()).into_response()
}
