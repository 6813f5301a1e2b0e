//! A gate a test closes and opens: while the mock holds, every translate or summarize
//! request waits after it arrived, until the test lets some or all of them go. Tests of
//! order and of crashes mid-job use it instead of latency and timing: they make the
//! moment they need, whatever the machine's speed.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Semaphore, watch};

pub(super) struct Hold {
    holding: AtomicBool,
    passes: Semaphore,
    /// Requests that have arrived, for tests to wait on.
    arrived: watch::Sender<u64>,
}

impl Default for Hold {
    fn default() -> Hold {
        Hold {
            holding: AtomicBool::new(false),
            passes: Semaphore::new(0),
            arrived: watch::Sender::new(0),
        }
    }
}

impl Hold {
    /// Counts a request in.
    pub(super) fn arrive(&self) {
        self.arrived.send_modify(|n| *n += 1);
    }

    /// Waits, while the mock holds, for a pass.
    pub(super) async fn pass(&self) {
        if self.holding.load(Ordering::SeqCst)
            && let Ok(pass) = self.passes.acquire().await
        {
            pass.forget();
        }
    }

    pub(super) fn close(&self) {
        self.holding.store(true, Ordering::SeqCst);
    }

    /// Lets `n` held or coming requests go.
    pub(super) fn release(&self, n: usize) {
        self.passes.add_permits(n);
    }

    /// Lets every request go, and holds no more.
    pub(super) fn open(&self) {
        self.holding.store(false, Ordering::SeqCst);
        self.passes.close();
    }

    /// Waits until `n` requests have arrived in all.
    pub(super) async fn arrivals(&self, n: u64) {
        let mut arrived = self.arrived.subscribe();
        let _ = arrived.wait_for(|a| *a >= n).await;
    }
}
