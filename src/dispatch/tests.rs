//! The dispatcher's promises on a paused clock: tokio's time only moves when every task
//! waits, so each instant below is exact and no test depends on the machine's speed.
//! The backend is a script of answers that notes when each call reached it.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, join_all};
use tokio::time::Instant;

use super::Dispatcher;
use crate::backend::{Backend, BackendError, BackendRequest, BackendResponse, SentAt, Usage};
use crate::config::Config;
use crate::lang::LangTag;
use crate::prompts::Prompt;
use crate::protocol::{Answer, Task};

/// Answers after `latency`, from `script` while it lasts and with success after; notes
/// when each call was written to the wire and when its answer came back.
#[derive(Default)]
struct Scripted {
    latency: Duration,
    script: Mutex<VecDeque<BackendError>>,
    calls: Mutex<Vec<(Instant, Instant, bool)>>,
}

impl Scripted {
    fn new(latency_ms: u64, script: impl IntoIterator<Item = BackendError>) -> Arc<Scripted> {
        Arc::new(Scripted {
            latency: Duration::from_millis(latency_ms),
            script: Mutex::new(script.into_iter().collect()),
            calls: Mutex::default(),
        })
    }

    /// (sent, answered, ok) for every call, in the order they were answered.
    fn calls(&self) -> Vec<(Instant, Instant, bool)> {
        self.calls.lock().unwrap().clone()
    }
}

impl Backend for Scripted {
    fn call<'a>(
        &'a self,
        _req: &'a BackendRequest,
        sent: &'a SentAt,
    ) -> BoxFuture<'a, Result<BackendResponse, BackendError>> {
        Box::pin(async move {
            sent.mark();
            let start = Instant::now();
            tokio::time::sleep(self.latency).await;
            let next = self.script.lock().unwrap().pop_front();
            self.calls
                .lock()
                .unwrap()
                .push((start, Instant::now(), next.is_none()));
            match next {
                Some(e) => Err(e),
                None => Ok(BackendResponse {
                    answer: Answer::Pieces(Vec::new()),
                    usage: Usage::default(),
                }),
            }
        })
    }
}

fn dispatcher(backend_extra: &str, backend: Arc<Scripted>) -> Dispatcher {
    let toml = format!(
        "[[backends]]\nname = \"mt\"\nkind = \"deepl\"\nbase_url = \"http://127.0.0.1:9\"\n{backend_extra}\n\
         [[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"mt\"]\n"
    );
    let config = Config::from_toml(&toml, Path::new("t.toml")).unwrap();
    Dispatcher::new(&config.backends[0], backend)
}

fn request(chars: usize) -> BackendRequest {
    let en = LangTag::parse("en").unwrap();
    let prompt = Prompt {
        system: String::new(),
        user: String::new(),
    };
    let mut request = BackendRequest::new(Task::Translate, &en, &en, prompt);
    request.texts = vec!["x".repeat(chars)];
    request
}

fn rate_limited(wait: Option<Duration>) -> BackendError {
    BackendError::RateLimited {
        retry_after: wait,
        message: "slow down".into(),
    }
}

/// The most calls sent in any one second, counting every call from its own start.
fn busiest_second(calls: &[(Instant, Instant, bool)]) -> usize {
    calls
        .iter()
        .map(|(from, _, _)| {
            calls
                .iter()
                .filter(|(t, _, _)| *t >= *from && *t < *from + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// 60 calls at once through 8 slots, at 10 a second with a burst of 10: never more
/// than 10 in any second, and no slower than the rate allows.
#[tokio::test(start_paused = true)]
async fn the_configured_rate_holds_in_every_second() {
    let backend = Scripted::new(20, []);
    let d = dispatcher(
        "rate = { requests_per_second = 10, burst = 10, max_concurrency = 8 }",
        backend.clone(),
    );
    let t0 = Instant::now();
    let requests: Vec<BackendRequest> = (0..60).map(|_| request(10)).collect();
    let results = join_all(requests.iter().map(|r| d.call(r))).await;
    assert!(results.iter().all(Result::is_ok));
    let calls = backend.calls();
    assert_eq!(calls.len(), 60);
    assert!(busiest_second(&calls) <= 10, "{}", busiest_second(&calls));
    // The rolling second lets the 11th call out 1.02 s after the first, and one more every
    // 100 ms after that: the last of 60 goes at about 6 s.
    let last = calls.iter().map(|(s, _, _)| *s).max().unwrap() - t0;
    assert!(last < Duration::from_secs(7), "{last:?}");
}

/// A 429 with Retry-After: 2 seen by one caller pauses every caller of the backend: no
/// call is sent in the two seconds after it was answered.
#[tokio::test(start_paused = true)]
async fn retry_after_pauses_the_whole_backend() {
    let backend = Scripted::new(50, [rate_limited(Some(Duration::from_secs(2)))]);
    let d = dispatcher(
        "rate = { requests_per_second = 100, burst = 8, max_concurrency = 4 }\n\
         retry = { max = 4, base_ms = 50, max_ms = 3000 }",
        backend.clone(),
    );
    let requests: Vec<BackendRequest> = (0..12).map(|_| request(10)).collect();
    let results = join_all(requests.iter().map(|r| d.call(r))).await;
    assert!(results.iter().all(Result::is_ok), "the 429 was retried");
    let calls = backend.calls();
    let (_, limited_at, _) = *calls.iter().find(|(_, _, ok)| !ok).unwrap();
    let too_soon: Vec<Duration> = calls
        .iter()
        .filter(|(sent, _, _)| *sent > limited_at && *sent < limited_at + Duration::from_secs(2))
        .map(|(sent, _, _)| *sent - limited_at)
        .collect();
    assert!(too_soon.is_empty(), "sent {too_soon:?} after the 429");
    assert_eq!(calls.len(), 13, "12 calls and the one retried");
}

/// A Retry-After of an hour (the most a header can ask) is longer than the backend's
/// retries wait: the call gives up at once, and later callers fail fast without sending,
/// so that their work goes to a fallback instead of waiting an hour.
#[tokio::test(start_paused = true)]
async fn a_pause_longer_than_the_retries_sends_callers_away() {
    let backend = Scripted::new(0, [rate_limited(Some(Duration::from_secs(3600)))]);
    let d = dispatcher(
        "retry = { max = 4, base_ms = 50, max_ms = 10000 }",
        backend.clone(),
    );
    let t0 = Instant::now();
    let first = d.call(&request(10)).await;
    let second = d.call(&request(10)).await;
    assert!(
        matches!(first, Err(BackendError::RateLimited { .. })),
        "{first:?}"
    );
    match second {
        Err(BackendError::RateLimited { message, .. }) => {
            assert!(message.contains("earlier 429"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(backend.calls().len(), 1, "the second call was not sent");
    assert_eq!(Instant::now() - t0, Duration::ZERO, "nobody waited");
    assert!(d.health().paused);
}

/// A spent quota is not asked again: callers queued behind the one that learnt of it send
/// nothing.
#[tokio::test(start_paused = true)]
async fn a_spent_quota_is_not_asked_again() {
    let backend = Scripted::new(10, [BackendError::QuotaExhausted("spent".into())]);
    let d = dispatcher("rate = { max_concurrency = 1 }", backend.clone());
    let requests: Vec<BackendRequest> = (0..5).map(|_| request(10)).collect();
    let results = join_all(requests.iter().map(|r| d.call(r))).await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(BackendError::QuotaExhausted(_))))
    );
    assert_eq!(backend.calls().len(), 1);
    assert!(d.health().quota_spent);
}

/// Characters per minute are spent by the text sent: 600 a minute is 10 a second, so
/// after 600 characters the next 30 wait 3 s, whatever the request rate allows.
#[tokio::test(start_paused = true)]
async fn characters_per_minute_hold_back_the_next_call() {
    let backend = Scripted::new(0, []);
    let d = dispatcher(
        "max_chunk_chars = 600\nrate = { requests_per_second = 100, burst = 10, characters_per_minute = 600 }",
        backend.clone(),
    );
    d.call(&request(600)).await.unwrap();
    d.call(&request(30)).await.unwrap();
    let calls = backend.calls();
    let gap = calls[1].0 - calls[0].0;
    assert!(
        gap >= Duration::from_secs(3) && gap < Duration::from_millis(3050),
        "{gap:?}"
    );
}
