//! At most `cap` requests on the wire in any rolling second.
//!
//! A request counts from the moment its body is written ([`SentAt`]), and as "now" until
//! then, so that time spent between admission and the socket (connection set-up, a busy
//! runtime) cannot bunch requests together at the provider. A margin covers the jitter
//! that remains between our write and the provider's clock.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::backend::SentAt;

const WINDOW: Duration = Duration::from_secs(1);
pub(super) const MARGIN: Duration = Duration::from_millis(20);
/// How soon to look again while a request in the window is admitted but not yet written.
const RECHECK: Duration = Duration::from_millis(5);

pub(super) struct RollingWindow {
    cap: usize,
    entries: Mutex<Vec<SentAt>>,
}

/// A place in the window. Dropping it stamps the request as sent if the HTTP stack never
/// did (an attempt that failed before writing, or was cancelled), so no place leaks.
pub(super) struct Ticket(SentAt);

impl Ticket {
    pub(super) fn sent_at(&self) -> &SentAt {
        &self.0
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.mark();
    }
}

impl RollingWindow {
    pub(super) fn new(cap: usize) -> RollingWindow {
        RollingWindow {
            cap: cap.max(1),
            entries: Mutex::new(Vec::new()),
        }
    }

    pub(super) async fn acquire(&self) -> Ticket {
        loop {
            let wake = {
                let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                entries.retain(|e| e.get().is_none_or(|t| t + WINDOW + MARGIN > now));
                if entries.len() < self.cap {
                    let sent = SentAt::default();
                    entries.push(sent.clone());
                    return Ticket(sent);
                }
                entries
                    .iter()
                    .map(|e| e.get().map_or(now + RECHECK, |t| t + WINDOW + MARGIN))
                    .min()
                    .unwrap_or(now)
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_cap_per_second() {
        let window = RollingWindow::new(3);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..9 {
            drop(window.acquire().await);
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
        assert_eq!(starts[3], WINDOW + MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_counts_from_when_it_was_written() {
        let window = RollingWindow::new(1);
        let t0 = Instant::now();
        let ticket = window.acquire().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        ticket.sent_at().mark();
        drop(ticket);
        drop(window.acquire().await);
        let waited = Instant::now() - t0;
        assert!(
            waited >= Duration::from_millis(300) + WINDOW + MARGIN,
            "{waited:?}"
        );
        assert!(
            waited < Duration::from_millis(300) + WINDOW + MARGIN + RECHECK * 2,
            "{waited:?}"
        );
    }
}
