//! API keys and per-key quotas. Keys are configured as SHA-256 digests and presented as
//! Bearer tokens; each key may submit `requests_per_minute` pieces of work (a governor
//! keyed limiter), past which it gets 429 with Retry-After. With no keys configured the
//! server only binds loopback, so nobody else can reach it.

use std::num::NonZeroU32;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem::{Kind, Problem};
use crate::config::ApiKey;

pub(super) struct Keys {
    keys: Vec<ApiKey>,
    limiter: DefaultKeyedRateLimiter<String>,
}

impl Keys {
    pub(super) fn new(keys: Vec<ApiKey>, per_minute: u32) -> Keys {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Keys {
            keys,
            limiter: RateLimiter::keyed(quota),
        }
    }

    pub(super) fn is_open(&self) -> bool {
        self.keys.is_empty()
    }

    /// The name of the key `token` is, if any.
    fn name_of(&self, token: &str) -> Option<&str> {
        let digest: String = Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.keys
            .iter()
            .find(|k| k.sha256 == digest)
            .map(|k| k.name.as_str())
    }
}

/// Checks the Bearer key on `/v1` paths and meters the work each key submits.
pub(super) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let keys = &state.keys;
    if keys.is_open() {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(name) = token.and_then(|t| keys.name_of(t)) else {
        let mut response = Problem::new(
            Kind::Unauthorized,
            "send a configured API key as Authorization: Bearer <key>",
        )
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return response;
    };
    if request.method() == Method::POST
        && let Err(not_until) = keys.limiter.check_key(&name.to_string())
    {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Problem::new(
            Kind::RateLimited,
            format!("key '{name}' has used its requests for this minute: retry in {seconds} s"),
        )
        .retry_after(seconds.max(1))
        .into_response();
    }
    next.run(request).await
}
