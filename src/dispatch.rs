//! Per-backend admission: every call to one backend, from every chunk, language and job,
//! passes through its one [`Dispatcher`], which is where the provider's limits are kept.
//!
//! Order of admission for one attempt: a concurrency slot, then the backend-wide pause
//! (set by a 429's Retry-After, so every caller waits, not only the one that got it),
//! then the request quota (governor GCRA: rate and burst), then a rolling one-second
//! window (never more than the configured rate in any second, whatever the burst), then
//! tokens per minute. Limiter cells are taken only after the slot, so waiting for a slot
//! never saves up a burst.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::backend::{Backend, BackendError, BackendRequest, BackendResponse};
use crate::chunk::count_tokens;
use crate::config::{BackendConfig, RetryPolicy};

/// Added to the rolling window so that requests sent just over a second apart do not land
/// inside one second at the provider because of scheduling jitter on either side.
const WINDOW_MARGIN: Duration = Duration::from_millis(20);
const WINDOW: Duration = Duration::from_secs(1);

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
        (|| self.attempt(req))
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

    async fn attempt(&self, req: &BackendRequest) -> Result<BackendResponse, BackendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| BackendError::Connection("dispatcher closed".into()))?;
        let estimate = count_tokens(&req.prompt.system)
            + count_tokens(&req.prompt.user)
            + req.max_output_tokens as usize;
        loop {
            self.pause.wait().await;
            self.requests.until_ready().await;
            self.window.acquire().await;
            if let Some((limiter, cap)) = &self.tokens {
                let n = NonZeroU32::new(estimate.min(cap.get() as usize) as u32)
                    .unwrap_or(NonZeroU32::MIN);
                // Cannot fail: n is clamped to the bucket's capacity.
                let _ = limiter.until_n_ready(n).await;
            }
            // A 429 seen by another caller while this one waited wins: wait again.
            if !self.pause.is_active() {
                break;
            }
        }
        let result = self.backend.call(req).await;
        if let Err(BackendError::RateLimited { retry_after, .. }) = &result {
            let wait = retry_after.unwrap_or(Duration::from_millis(self.retry.base_ms));
            tracing::warn!(backend = %self.name, wait_ms = wait.as_millis() as u64, "429: pausing the backend");
            self.pause.extend(wait);
        }
        result
    }
}

/// A backend-wide "not before" instant.
#[derive(Default)]
struct Pause {
    until: Mutex<Option<Instant>>,
}

impl Pause {
    fn current(&self) -> Option<Instant> {
        let until = *self.until.lock().unwrap_or_else(|p| p.into_inner());
        until.filter(|t| *t > Instant::now())
    }

    fn is_active(&self) -> bool {
        self.current().is_some()
    }

    async fn wait(&self) {
        while let Some(t) = self.current() {
            tokio::time::sleep_until(t).await;
        }
    }

    fn extend(&self, by: Duration) {
        let mut until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        let candidate = Instant::now() + by;
        if until.is_none_or(|t| t < candidate) {
            *until = Some(candidate);
        }
    }
}

/// At most `cap` starts in any rolling second.
struct RollingWindow {
    cap: usize,
    starts: Mutex<VecDeque<Instant>>,
}

impl RollingWindow {
    fn new(cap: usize) -> RollingWindow {
        RollingWindow {
            cap: cap.max(1),
            starts: Mutex::new(VecDeque::new()),
        }
    }

    async fn acquire(&self) {
        loop {
            let wake = {
                let mut starts = self.starts.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                while starts
                    .front()
                    .is_some_and(|t| *t + WINDOW + WINDOW_MARGIN <= now)
                {
                    starts.pop_front();
                }
                if starts.len() < self.cap {
                    starts.push_back(now);
                    return;
                }
                starts[0] + WINDOW + WINDOW_MARGIN
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rolling_window_never_admits_more_than_cap_per_second() {
        let window = RollingWindow::new(3);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..9 {
            window.acquire().await;
            starts.push(Instant::now() - t0);
        }
        for (i, s) in starts.iter().enumerate() {
            let in_window = starts
                .iter()
                .filter(|t| **t >= *s && **t < *s + WINDOW)
                .count();
            assert!(
                in_window <= 3,
                "start {i} at {s:?} has {in_window} in its second"
            );
        }
        assert_eq!(starts[3], WINDOW + WINDOW_MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_is_shared_and_only_extends() {
        let pause = Pause::default();
        pause.extend(Duration::from_secs(2));
        pause.extend(Duration::from_secs(1));
        let t0 = Instant::now();
        pause.wait().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(2));
        assert!(!pause.is_active());
    }
}
