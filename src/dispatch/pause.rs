//! A backend-wide "not before" instant, set by a 429's Retry-After: every caller of the
//! backend waits it out, not only the one that was told.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Default)]
pub(super) struct Pause {
    until: Mutex<Option<Instant>>,
}

impl Pause {
    fn current(&self) -> Option<Instant> {
        let until = *self.until.lock().unwrap_or_else(|p| p.into_inner());
        until.filter(|t| *t > Instant::now())
    }

    pub(super) fn is_active(&self) -> bool {
        self.current().is_some()
    }

    /// How long the pause still lasts, if it is on.
    pub(super) fn remaining(&self) -> Option<Duration> {
        self.current().map(|t| t - Instant::now())
    }

    pub(super) async fn wait(&self) {
        while let Some(t) = self.current() {
            tokio::time::sleep_until(t).await;
        }
    }

    /// Pauses for `by` from now, unless an existing pause already lasts longer. A pause
    /// past the clock's range lasts as long as the clock goes.
    pub(super) fn extend(&self, by: Duration) {
        let mut until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let candidate = now
            .checked_add(by)
            .unwrap_or(now + Duration::from_secs(86_400 * 365));
        if until.is_none_or(|t| t < candidate) {
            *until = Some(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
