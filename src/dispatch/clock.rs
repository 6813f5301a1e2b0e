//! Governor's quotas read time from tokio's clock, and their waits sleep on it: every
//! limit a dispatcher keeps (GCRA, the rolling second, the pauses, the slots' aging) then
//! runs on one clock, which a test can pause and advance, so that a test of limits never
//! times the machine it runs on.

use std::num::NonZeroU32;
use std::ops::Add;
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct TokioInstant(Instant);

impl Add<Nanos> for TokioInstant {
    type Output = TokioInstant;

    fn add(self, other: Nanos) -> TokioInstant {
        TokioInstant(self.0 + Duration::from(other))
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        Nanos::from(self.0.saturating_duration_since(earlier.0))
    }

    fn saturating_sub(&self, duration: Nanos) -> Self {
        self.0
            .checked_sub(duration.into())
            .map_or(*self, TokioInstant)
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct TokioClock;

impl Clock for TokioClock {
    type Instant = TokioInstant;

    fn now(&self) -> TokioInstant {
        TokioInstant(Instant::now())
    }
}

/// A quota on tokio's clock.
pub(super) struct Limiter(
    RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<TokioInstant>>,
);

impl Limiter {
    pub(super) fn new(quota: Quota) -> Limiter {
        Limiter(RateLimiter::direct_with_clock(quota, TokioClock))
    }

    /// Waits until one cell is free and takes it.
    pub(super) async fn until_ready(&self) {
        while let Err(not_until) = self.0.check() {
            tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await;
        }
    }

    /// Waits until `n` cells are free and takes them; `n` above the quota's burst is cut
    /// to the burst, which only errs on the safe side of a per-minute quota.
    pub(super) async fn until_n_ready(&self, n: NonZeroU32, burst: NonZeroU32) {
        let n = n.min(burst);
        while let Ok(Err(not_until)) = self.0.check_n(n) {
            tokio::time::sleep(not_until.wait_time_from(TokioClock.now())).await;
        }
    }
}
