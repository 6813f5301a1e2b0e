//! What every mock endpoint does before it writes: check the key, keep `--rate-limit`,
//! draw a fault, wait the latency. Refusals come back as a [`Refusal`] that each
//! protocol writes in its own error shape; dropped connections and broken JSON look the
//! same in every protocol and are written here.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::MockState;
use super::faults::Fault;

/// Why a request is refused, before any content is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    Unauthorized,
    /// Over `--rate-limit`, or a drawn throttle fault.
    Throttled,
    /// The account's quota is spent.
    Quota,
    Overloaded,
    ServerError,
}

/// Runs the shared steps; `Ok` carries the content fault (wrong language, merge, …) the
/// answer must show, `Err` the finished refusal.
pub(super) async fn gate(
    state: &MockState,
    authorized: bool,
    refuse: impl Fn(Refusal) -> Response,
) -> Result<Option<Fault>, Response> {
    state.hold.pass().await;
    if !authorized {
        return Err(refuse(Refusal::Unauthorized));
    }
    if !state.admit() {
        return Err(refuse(Refusal::Throttled));
    }
    let o = &state.options;
    let fault = state.faults.draw(o);
    match fault {
        Some(Fault::Throttle) => return Err(refuse(Refusal::Throttled)),
        Some(Fault::Hang) => std::future::pending::<()>().await,
        _ => {}
    }
    let jitter = state.faults.jitter(o.jitter_ms);
    tokio::time::sleep(Duration::from_millis(o.latency_ms + jitter)).await;
    match fault {
        Some(Fault::Fail) => Err(refuse(Refusal::ServerError)),
        Some(Fault::Quota) => Err(refuse(Refusal::Quota)),
        Some(Fault::Overload) => Err(refuse(Refusal::Overloaded)),
        Some(Fault::Drop) => {
            // Headers go out, then the body fails: the server closes the connection.
            let cut = futures::stream::once(async {
                Err::<Bytes, _>(std::io::Error::other("mock: dropped"))
            });
            let body = Body::from_stream(cut);
            Err(([(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        Some(Fault::Malformed) => {
            let broken =
                r#"{"id":"mock","object":"answer","choices":[{"index":0,"message":{"role":"assist"#;
            Err(([(header::CONTENT_TYPE, "application/json")], broken).into_response())
        }
        fault => Ok(fault),
    }
}

/// The value of header `name`, if it is text.
pub(super) fn header<'h>(headers: &'h axum::http::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
