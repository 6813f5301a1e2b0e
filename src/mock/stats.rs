//! What the mock saw, for tests and benchmarks to check promises against: request counts
//! by status, the most requests that arrived within any one second, and the shortest
//! silence that followed a 429.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    arrivals: Vec<Instant>,
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

    pub fn arrived(&self, target: Option<&str>) {
        let now = Instant::now();
        let mut s = self.lock();
        s.arrivals.push(now);
        if let Some(t) = target {
            *s.by_target.entry(t.to_string()).or_default() += 1;
        }
        if let Some(t) = s.last_429.take() {
            let gap = now - t;
            s.min_gap_after_429 = Some(s.min_gap_after_429.map_or(gap, |g| g.min(gap)));
        }
    }

    pub fn answered(&self, status: u16) {
        let mut s = self.lock();
        *s.by_status.entry(status).or_default() += 1;
        if status == 429 {
            s.last_429 = Some(Instant::now());
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let s = self.lock();
        Snapshot {
            requests: s.arrivals.len() as u64,
            by_status: s
                .by_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            by_target_lang: s.by_target.clone(),
            max_requests_in_one_second: max_in_window(&s.arrivals, Duration::from_secs(1)),
            min_gap_after_429_ms: s.min_gap_after_429.map(|d| d.as_millis() as u64),
        }
    }
}

/// The most arrivals within any window of `width` (arrivals are in order).
fn max_in_window(arrivals: &[Instant], width: Duration) -> u64 {
    let mut best = 0;
    let mut first = 0;
    for (last, t) in arrivals.iter().enumerate() {
        while *t - arrivals[first] >= width {
            first += 1;
        }
        best = best.max(last - first + 1);
    }
    best as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let arrivals = [at(0), at(100), at(999), at(1000), at(1001), at(2500)];
        assert_eq!(max_in_window(&arrivals, Duration::from_secs(1)), 4);
        assert_eq!(max_in_window(&[], Duration::from_secs(1)), 0);
    }
}
