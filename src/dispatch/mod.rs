//! Per-backend admission: every call to one backend, from every chunk, language and job,
//! passes through its one [`Dispatcher`], which is where the provider's limits are kept.
//!
//! Order of admission for one attempt: a concurrency slot, then the backend-wide pause
//! (set by a 429's Retry-After, so every caller waits, not only the one that got it),
//! then the request quota (governor GCRA: rate and burst), then a rolling one-second
//! window (never more than the configured rate in any second, whatever the burst), then
//! tokens per minute. Limiter cells are taken only after the slot, so waiting for a slot
//! never saves up a burst.

mod pause;
mod window;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

use crate::backend::{Backend, BackendError, BackendRequest, BackendResponse};
use crate::chunk::count_tokens;
use crate::config::{BackendConfig, RetryPolicy};
use pause::Pause;
use window::RollingWindow;

pub struct Dispatcher {
    name: String,
    backend: Arc<dyn Backend>,
    slots: Semaphore,
    requests: DefaultDirectRateLimiter,
    window: RollingWindow,
    tokens: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
    pause: Pause,
    retry: RetryPolicy,
}

impl Dispatcher {
    pub fn new(cfg: &BackendConfig, backend: Arc<dyn Backend>) -> Dispatcher {
        let rate = &cfg.rate;
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        let period = Duration::from_secs_f64(1.0 / rate.requests_per_second);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        let tokens = rate
            .tokens_per_minute
            .and_then(NonZeroU32::new)
            .map(|tpm| (RateLimiter::direct(Quota::per_minute(tpm)), tpm));
        Dispatcher {
            name: cfg.name.clone(),
            backend,
            slots: Semaphore::new(rate.max_concurrency),
            requests: RateLimiter::direct(quota),
            window: RollingWindow::new(rate.requests_per_second.ceil() as usize),
            tokens,
            pause: Pause::default(),
            retry: cfg.retry.clone(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Calls the backend within its limits, retrying transient failures with exponential
    /// backoff and jitter. A Retry-After longer than `retry.max_ms` is honoured by pausing
    /// the backend, but this call gives up so that the work can move to a fallback.
    pub async fn call(&self, req: &BackendRequest) -> Result<BackendResponse, BackendError> {
        let policy = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.retry.base_ms))
            .with_max_delay(Duration::from_millis(self.retry.max_ms))
            .with_max_times(self.retry.max as usize)
            .with_jitter();
        let longest_wait = Duration::from_millis(self.retry.max_ms);
        // Counted once per call, not once per attempt: the prompt does not change.
        let estimate = count_tokens(&req.prompt.system)
            + count_tokens(&req.prompt.user)
            + req.max_output_tokens as usize;
        (|| self.attempt(req, estimate))
            .retry(policy)
            .sleep(tokio::time::sleep)
            .when(|e| match e {
                BackendError::RateLimited {
                    retry_after: Some(d),
                    ..
                } => *d <= longest_wait,
                e => e.is_retryable(),
            })
            .await
    }

    async fn attempt(
        &self,
        req: &BackendRequest,
        estimate: usize,
    ) -> Result<BackendResponse, BackendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| BackendError::Connection("dispatcher closed".into()))?;
        let ticket = loop {
            self.pause.wait().await;
            self.requests.until_ready().await;
            let ticket = self.window.acquire().await;
            if let Some((limiter, cap)) = &self.tokens {
                let n = NonZeroU32::new(estimate.min(cap.get() as usize) as u32)
                    .unwrap_or(NonZeroU32::MIN);
                // Cannot fail: n is clamped to the bucket's capacity.
                let _ = limiter.until_n_ready(n).await;
            }
            // A 429 seen by another caller while this one waited wins: wait again (the
            // ticket's place counts as used, which only errs on the safe side).
            if !self.pause.is_active() {
                break ticket;
            }
        };
        let result = self.backend.call(req, ticket.sent_at()).await;
        if let Err(BackendError::RateLimited { retry_after, .. }) = &result {
            let wait = retry_after.unwrap_or(Duration::from_millis(self.retry.base_ms));
            tracing::warn!(backend = %self.name, wait_ms = wait.as_millis() as u64, "429: pausing the backend");
            self.pause.extend(wait);
        }
        result
    }
}
