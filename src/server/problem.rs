//! Errors as `application/problem+json` (RFC 9457): a stable `type` per kind of mistake,
//! a human `detail` that says what to do, and the offending field where there is one.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One kind of mistake; its slug is the stable part of `type` (`/problems/<slug>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    BodyTooLarge,
    InvalidUtf8,
    InvalidJson,
    UnknownField,
    InvalidField,
    UnsupportedMediaType,
    EmptyArticle,
    UnknownLanguage,
    TooManyLanguages,
    NothingToDo,
    NoRoute,
    WebhookRefused,
    UnknownJob,
    NotFound,
    MethodNotAllowed,
    Unauthorized,
    RateLimited,
    Timeout,
    BackendFailure,
    Unavailable,
    Internal,
}

impl Kind {
    pub(super) fn slug(self) -> &'static str {
        match self {
            Kind::BodyTooLarge => "body-too-large",
            Kind::InvalidUtf8 => "invalid-utf8",
            Kind::InvalidJson => "invalid-json",
            Kind::UnknownField => "unknown-field",
            Kind::InvalidField => "invalid-field",
            Kind::UnsupportedMediaType => "unsupported-media-type",
            Kind::EmptyArticle => "empty-article",
            Kind::UnknownLanguage => "unknown-language",
            Kind::TooManyLanguages => "too-many-languages",
            Kind::NothingToDo => "nothing-to-do",
            Kind::NoRoute => "no-route",
            Kind::WebhookRefused => "webhook-refused",
            Kind::UnknownJob => "unknown-job",
            Kind::NotFound => "not-found",
            Kind::MethodNotAllowed => "method-not-allowed",
            Kind::Unauthorized => "unauthorized",
            Kind::RateLimited => "rate-limited",
            Kind::Timeout => "timeout",
            Kind::BackendFailure => "backend-failure",
            Kind::Unavailable => "unavailable",
            Kind::Internal => "internal",
        }
    }

    pub(super) fn status(self) -> StatusCode {
        match self {
            Kind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::InvalidUtf8 | Kind::InvalidJson | Kind::UnknownField | Kind::InvalidField => {
                StatusCode::BAD_REQUEST
            }
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::EmptyArticle
            | Kind::UnknownLanguage
            | Kind::TooManyLanguages
            | Kind::NothingToDo
            | Kind::NoRoute
            | Kind::WebhookRefused => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::UnknownJob | Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Kind::BackendFailure => StatusCode::BAD_GATEWAY,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::BodyTooLarge => "The request body is too large",
            Kind::InvalidUtf8 => "The request body is not UTF-8",
            Kind::InvalidJson => "The request body is not valid JSON",
            Kind::UnknownField => "The request has a field lingo does not know",
            Kind::InvalidField => "A field of the request has the wrong type or value",
            Kind::UnsupportedMediaType => "The request body must be application/json",
            Kind::EmptyArticle => "The article is empty",
            Kind::UnknownLanguage => "A language tag is not one lingo knows",
            Kind::TooManyLanguages => "Too many target languages in one request",
            Kind::NothingToDo => "The request asks for no translation and no summary",
            Kind::NoRoute => "No configured route serves a language asked for",
            Kind::WebhookRefused => "The webhook URL is not allowed",
            Kind::UnknownJob => "No job has this id",
            Kind::NotFound => "No such path",
            Kind::MethodNotAllowed => "This path does not take this method",
            Kind::Unauthorized => "A valid API key is required",
            Kind::RateLimited => "Too many requests for this API key",
            Kind::Timeout => "The work did not finish in time",
            Kind::BackendFailure => "No backend could do the work",
            Kind::Unavailable => "The server is not ready",
            Kind::Internal => "The server failed",
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// A JSON pointer to the offending field, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    pub(super) fn new(kind: Kind, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/problems/{}", kind.slug()),
            title: kind.title(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    pub(super) fn at(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    pub(super) fn retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after = Some(seconds);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
