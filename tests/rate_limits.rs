//! Rate-limit promises as the provider sees them. A test binary of its own, so that the
//! heavier fault tests do not run beside it and blur arrival times at the mock.

mod common;

use common::*;
use lingo::mock::MockOptions;

/// lingo keeps the configured rate in every one-second window the mock sees, and the
/// mock's own limiter at the same rate never has to say 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_rate_is_never_exceeded() {
    let server = mock(MockOptions {
        latency_ms: 20,
        rate_limit: Some(10.0),
        ..MockOptions::default()
    })
    .await;
    let limits = "max_chunk_chars = 120\nrate = { requests_per_second = 10, burst = 10, max_concurrency = 8 }";
    let cfg = config(&[("llm", &server.openai_url(), limits)]);
    let out = translate("pt-feira-livros.txt", "en,ru,zh", &cfg, &[]).await;
    assert_faithful(&json(&out), &["en", "ru", "zh"]);
    let stats = server.stats();
    assert!(
        stats.requests > 20,
        "too few calls to judge a rate: {stats:?}"
    );
    assert!(stats.max_requests_in_one_second <= 10, "{stats:?}");
    assert_eq!(stats.by_status.get("429"), None, "{stats:?}");
}

/// A 429 with Retry-After: 2 pauses the whole backend: no request reaches the mock for two
/// seconds after it, from any of the concurrent callers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_pauses_the_whole_backend() {
    let options = MockOptions {
        latency_ms: 50,
        rate_limit: Some(3.0),
        retry_after: 2,
        ..MockOptions::default()
    };
    let server = mock(options).await;
    let limits = "max_chunk_chars = 300\nrate = { requests_per_second = 50, burst = 4, max_concurrency = 4 }\n\
                  retry = { max = 6, base_ms = 50, max_ms = 3000 }";
    let cfg = config(&[("llm", &server.openai_url(), limits)]);
    let out = translate("pt-feira-livros.txt", "en", &cfg, &[]).await;
    assert_faithful(&json(&out), &["en"]);
    let stats = server.stats();
    assert!(
        stats.by_status.get("429").is_some_and(|n| *n >= 1),
        "no 429 was provoked: {stats:?}"
    );
    let gap = stats
        .min_gap_after_429_ms
        .expect("a request followed the 429");
    assert!(
        gap >= 2000,
        "a request arrived {gap} ms after a 429 with Retry-After: 2"
    );
}
