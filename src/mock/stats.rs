//! What the mock saw, for tests and benchmarks to check promises against: request counts
//! by status, the most requests that arrived within any one second, and the shortest
//! silence that followed a 429.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

#[derive(Default)]
pub(super) struct Stats {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: u64,
    /// Arrivals of the last second only, so a long-running mock keeps bounded memory.
    last_second: VecDeque<Instant>,
    busiest_second: u64,
    by_status: BTreeMap<u16, u64>,
    by_target: BTreeMap<String, u64>,
    last_429: Option<Instant>,
    min_gap_after_429: Option<Duration>,
}

#[derive(Debug, Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub requests: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_target_lang: BTreeMap<String, u64>,
    pub max_requests_in_one_second: u64,
    pub min_gap_after_429_ms: Option<u64>,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn arrived(&self, target: Option<&str>) {
        let now = Instant::now();
        let mut s = self.lock();
        s.requests += 1;
        while s
            .last_second
            .front()
            .is_some_and(|t| now - *t >= Duration::from_secs(1))
        {
            s.last_second.pop_front();
        }
        s.last_second.push_back(now);
        s.busiest_second = s.busiest_second.max(s.last_second.len() as u64);
        if let Some(t) = target {
            *s.by_target.entry(t.to_string()).or_default() += 1;
        }
        if let Some(t) = s.last_429.take() {
            let gap = now - t;
            s.min_gap_after_429 = Some(s.min_gap_after_429.map_or(gap, |g| g.min(gap)));
        }
    }

    pub(super) fn answered(&self, status: u16) {
        let mut s = self.lock();
        *s.by_status.entry(status).or_default() += 1;
        if status == 429 {
            s.last_429 = Some(Instant::now());
        }
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        let s = self.lock();
        Snapshot {
            requests: s.requests,
            by_status: s
                .by_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            by_target_lang: s.by_target.clone(),
            max_requests_in_one_second: s.busiest_second,
            min_gap_after_429_ms: s.min_gap_after_429.map(|d| d.as_millis() as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn busiest_second_counts() {
        let stats = Stats::default();
        for gap_ms in [0, 100, 899, 1, 1, 1500] {
            tokio::time::advance(Duration::from_millis(gap_ms)).await;
            stats.arrived(None);
        }
        // Arrivals at 0, 100, 999, 1000, 1001 and 2501 ms: 999..1001 plus 100 is 4 in one second.
        let snapshot = stats.snapshot();
        assert_eq!(
            (snapshot.requests, snapshot.max_requests_in_one_second),
            (6, 4)
        );
        assert_eq!(Stats::default().snapshot().max_requests_in_one_second, 0);
    }
}
