//! A backend's concurrency slots, handed out by priority: when the backend is saturated,
//! the next free slot goes to a breaking-news request, then normal, then bulk. Waiting
//! ages a request one level up every [`AGING`], so bulk work never starves.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// How long a request waits before it counts as one level more urgent.
pub(super) const AGING: Duration = Duration::from_secs(10);

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Breaking,
    #[default]
    Normal,
    Bulk,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Breaking, Priority::Normal, Priority::Bulk];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Breaking => "breaking",
            Priority::Normal => "normal",
            Priority::Bulk => "bulk",
        }
    }

    fn rank(self) -> u32 {
        self as u32
    }
}

tokio::task_local! {
    static PRIORITY: Priority;
}

impl Priority {
    /// Runs `work` with this priority for every backend call it makes: a job's chunks,
    /// summaries and their translations all carry it without threading it through each.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        PRIORITY.scope(self, work).await
    }

    /// The priority of the work this call belongs to (normal outside any scope).
    pub fn current() -> Priority {
        PRIORITY.try_with(|p| *p).unwrap_or_default()
    }
}

struct Waiter {
    priority: Priority,
    since: Instant,
    wake: oneshot::Sender<()>,
}

struct State {
    free: usize,
    waiting: VecDeque<Waiter>,
}

pub(crate) struct Slots {
    state: Arc<Mutex<State>>,
}

/// A held slot; dropping it hands the slot to the most urgent waiter.
pub(crate) struct Slot {
    state: Arc<Mutex<State>>,
}

impl Slots {
    pub(crate) fn new(n: usize) -> Slots {
        Slots {
            state: Arc::new(Mutex::new(State {
                free: n,
                waiting: VecDeque::new(),
            })),
        }
    }

    pub(crate) async fn acquire(&self, priority: Priority) -> Slot {
        let receiver = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.free > 0 && s.waiting.is_empty() {
                s.free -= 1;
                return Slot {
                    state: self.state.clone(),
                };
            }
            let (wake, receiver) = oneshot::channel();
            s.waiting.push_back(Waiter {
                priority,
                since: Instant::now(),
                wake,
            });
            receiver
        };
        // The sender is only dropped after it has handed this waiter the slot, or when
        // the slots themselves go away; both end the wait with the slot held.
        let _ = receiver.await;
        Slot {
            state: self.state.clone(),
        }
    }

    /// Requests waiting for a slot, by priority.
    pub(crate) fn waiting(&self) -> [usize; 3] {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = [0; 3];
        for w in &s.waiting {
            out[w.priority.rank() as usize] += 1;
        }
        out
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            let urgency = |w: &Waiter| {
                let aged = (now - w.since).as_secs() / AGING.as_secs().max(1);
                u64::from(w.priority.rank()).saturating_sub(aged)
            };
            let next = s
                .waiting
                .iter()
                .enumerate()
                .min_by_key(|(i, w)| (urgency(w), *i))
                .map(|(i, _)| i);
            let Some(waiter) = next.and_then(|i| s.waiting.remove(i)) else {
                s.free += 1;
                return;
            };
            // A waiter that gave up (its future dropped) cannot take the slot: try the next.
            if waiter.wake.send(()).is_ok() {
                return;
            }
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::disallowed_methods,
    reason = "each test owns and awaits its tasks"
)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn breaking_first_then_aged_bulk() {
        let slots = Arc::new(Slots::new(1));
        let held = slots.acquire(Priority::Normal).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for p in [Priority::Bulk, Priority::Normal, Priority::Breaking] {
            let (slots, order) = (slots.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _slot = slots.acquire(p).await;
                order.lock().unwrap().push(p);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }));
            tokio::task::yield_now().await;
        }
        assert_eq!(slots.waiting(), [1, 1, 1]);
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            [Priority::Breaking, Priority::Normal, Priority::Bulk]
        );

        // A bulk request that waited twice the aging time beats a fresh breaking one.
        let held = slots.acquire(Priority::Normal).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let (s1, o1) = (slots.clone(), order.clone());
        let bulk = tokio::spawn(async move {
            let _slot = s1.acquire(Priority::Bulk).await;
            o1.lock().unwrap().push(Priority::Bulk);
        });
        tokio::task::yield_now().await;
        tokio::time::advance(AGING * 2).await;
        let (s2, o2) = (slots.clone(), order.clone());
        let breaking = tokio::spawn(async move {
            let _slot = s2.acquire(Priority::Breaking).await;
            o2.lock().unwrap().push(Priority::Breaking);
        });
        tokio::task::yield_now().await;
        drop(held);
        bulk.await.unwrap();
        breaking.await.unwrap();
        assert_eq!(*order.lock().unwrap(), [Priority::Bulk, Priority::Breaking]);
    }
}
