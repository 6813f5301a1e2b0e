//! Per-backend admission: every call to one backend, from every chunk, language and job,
//! passes through its one [`Dispatcher`], which is where the provider's limits are kept.
//!
//! Order of admission for one attempt: a concurrency slot, then the backend-wide pause
//! (set by a 429's Retry-After, so every caller waits, not only the one that got it),
//! then the request quota (governor GCRA: rate and burst), then a rolling one-second
//! window (never more than the configured rate in any second, whatever the burst), then
//! tokens per minute (LLMs) and characters per minute (machine-translation APIs), each
//! in the unit the vendor bills. Limiter cells are taken only after the slot, so waiting for a slot
//! never saves up a burst. Every wait runs on tokio's clock ([`clock`]).

mod clock;
mod pause;
mod slots;
#[cfg(test)]
mod tests;
mod window;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use governor::Quota;

use crate::backend::{Backend, BackendError, BackendRequest, BackendResponse};
use crate::chunk::Budget;
use crate::config::{BackendConfig, RetryPolicy};
use clock::Limiter;
use pause::Pause;
pub use slots::Priority;
pub(crate) use slots::Slots;
use window::RollingWindow;

#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Health {
    pub paused: bool,
    pub quota_spent: bool,
}

/// What one call spends of the per-minute quotas.
#[derive(Clone, Copy)]
struct Cost {
    tokens: usize,
    characters: usize,
}

pub struct Dispatcher {
    name: String,
    model: String,
    /// How much article text one call may carry.
    budget: Budget,
    backend: Arc<dyn Backend>,
    slots: Slots,
    requests: Limiter,
    window: RollingWindow,
    /// Per-minute quotas with their size (the most one call may take at once).
    tokens: Option<(Limiter, NonZeroU32)>,
    characters: Option<(Limiter, NonZeroU32)>,
    pause: Pause,
    /// Set when the vendor says the account's quota is spent (DeepL 456, OpenAI
    /// `insufficient_quota`): calls then fail at once, so work goes to the fallback
    /// instead of spending requests that cannot succeed.
    spent: Pause,
    retry: RetryPolicy,
}

/// How long a spent quota keeps a backend out of use before it is tried again.
const SPENT_QUOTA_COOLDOWN: Duration = Duration::from_secs(300);

impl Dispatcher {
    pub fn new(cfg: &BackendConfig, backend: Arc<dyn Backend>) -> Dispatcher {
        let rate = &cfg.rate;
        let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
        // Config keeps the rate within what a period can hold; out of it, one a second.
        let period = Duration::try_from_secs_f64(1.0 / rate.requests_per_second)
            .unwrap_or(Duration::from_secs(1));
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        let per_minute = |n: Option<u32>| {
            n.and_then(NonZeroU32::new)
                .map(|n| (Limiter::new(Quota::per_minute(n)), n))
        };
        Dispatcher {
            name: cfg.name.clone(),
            model: cfg.model.clone(),
            budget: cfg.budget,
            backend,
            slots: Slots::new(rate.max_concurrency),
            requests: Limiter::new(quota),
            window: RollingWindow::new(rate.requests_per_second.ceil() as usize),
            tokens: per_minute(rate.tokens_per_minute),
            characters: per_minute(rate.characters_per_minute),
            pause: Pause::default(),
            spent: Pause::default(),
            retry: cfg.retry.clone(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Whether the backend is usable now: not paused by a 429's Retry-After and its
    /// quota not spent.
    pub fn health(&self) -> Health {
        Health {
            paused: self.pause.is_active(),
            quota_spent: self.spent.is_active(),
        }
    }

    /// Requests waiting for a concurrency slot, by priority (breaking, normal, bulk).
    pub fn waiting(&self) -> [usize; 3] {
        self.slots.waiting()
    }

    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
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
        // Counted once per call, not once per attempt: the request does not change.
        let cost = Cost {
            tokens: self
                .tokens
                .as_ref()
                .map_or(0, |_| req.prompt_tokens() + req.max_output_tokens as usize),
            characters: req.characters(),
        };
        (|| self.attempt(req, cost))
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
        cost: Cost,
    ) -> Result<BackendResponse, BackendError> {
        let queued = std::time::Instant::now();
        let _slot = self.slots.acquire(Priority::current()).await;
        let limited = std::time::Instant::now();
        let ticket = loop {
            // A pause longer than this backend's retries would wait sends the work to the
            // fallback now, as the call that learnt of it did, instead of holding it.
            if let Some(left) = self.pause.remaining()
                && left > Duration::from_millis(self.retry.max_ms)
            {
                return Err(BackendError::RateLimited {
                    retry_after: Some(left),
                    message: format!(
                        "paused for {} s more by an earlier 429's Retry-After: not asked before then",
                        left.as_secs()
                    ),
                });
            }
            self.pause.wait().await;
            self.requests.until_ready().await;
            let ticket = self.window.acquire().await;
            for (limit, amount) in [
                (&self.tokens, cost.tokens),
                (&self.characters, cost.characters),
            ] {
                if let Some((limiter, cap)) = limit {
                    let n = NonZeroU32::new(u32::try_from(amount).unwrap_or(u32::MAX))
                        .unwrap_or(NonZeroU32::MIN);
                    limiter.until_n_ready(n, *cap).await;
                }
            }
            // Checked after every wait: callers queued behind the one that learnt of a
            // spent quota must not spend a request on it.
            if self.spent.is_active() {
                return Err(BackendError::QuotaExhausted(
                    "the account's quota was spent earlier: not asked again for now".into(),
                ));
            }
            // A 429 seen by another caller while this one waited wins: wait again (the
            // ticket's place counts as used, which only errs on the safe side).
            if !self.pause.is_active() {
                break ticket;
            }
        };
        let started = std::time::Instant::now();
        let result = self.backend.call(req, ticket.sent_at()).await;
        self.record(
            &result,
            started - limited,
            limited - queued,
            started.elapsed(),
        );
        if let Err(BackendError::QuotaExhausted(message)) = &result {
            tracing::warn!(backend = %self.name, %message, "quota spent: backend set aside");
            self.spent.extend(SPENT_QUOTA_COOLDOWN);
        }
        if let Err(BackendError::RateLimited { retry_after, .. }) = &result {
            let wait = retry_after.unwrap_or(Duration::from_millis(self.retry.base_ms));
            tracing::warn!(backend = %self.name, wait_ms = wait.as_millis() as u64, "429: pausing the backend");
            self.pause.extend(wait);
        }
        result
    }

    /// Prometheus series for one call: its outcome, latency, the time it waited for a
    /// slot and for the limiters, and what it spent.
    fn record(
        &self,
        result: &Result<BackendResponse, BackendError>,
        limiter_wait: Duration,
        slot_wait: Duration,
        latency: Duration,
    ) {
        let backend = self.name.clone();
        let outcome = match result {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        metrics::counter!("lingo_backend_requests_total", "backend" => backend.clone(), "status" => outcome)
            .increment(1);
        metrics::histogram!("lingo_backend_latency_seconds", "backend" => backend.clone())
            .record(latency.as_secs_f64());
        metrics::histogram!("lingo_limiter_wait_seconds", "backend" => backend.clone())
            .record(limiter_wait.as_secs_f64());
        metrics::histogram!("lingo_slot_wait_seconds", "backend" => backend.clone())
            .record(slot_wait.as_secs_f64());
        if let Ok(response) = result {
            let u = response.usage;
            metrics::counter!("lingo_backend_tokens_total", "backend" => backend.clone(), "kind" => "prompt")
                .increment(u.prompt_tokens);
            metrics::counter!("lingo_backend_tokens_total", "backend" => backend.clone(), "kind" => "completion")
                .increment(u.completion_tokens);
            metrics::counter!("lingo_backend_characters_total", "backend" => backend)
                .increment(u.characters);
        }
    }
}
