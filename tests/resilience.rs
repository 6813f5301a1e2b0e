//! Faults, rate limits and fallbacks, over real loopback HTTP against the mock.

mod common;

use common::*;
use lingo::mock::MockOptions;

const LANGS: [&str; 5] = ["pt-BR", "ru", "hi", "zh", "af"];

/// With about 30 % of calls faulty in every way the mock knows, the output is exactly
/// what a clean run gives: every block once, in order, numbers intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_faults_change_nothing_in_the_output() {
    let clean = mock(MockOptions::default()).await;
    let faulty = || MockOptions {
        fail_rate: 0.06,
        throttle_rate: 0.04,
        retry_after: 0,
        hang_rate: 0.03,
        malformed_rate: 0.05,
        wrong_lang_rate: 0.05,
        merge_rate: 0.05,
        truncate_rate: 0.04,
        ..MockOptions::default()
    };
    let first = mock(faulty()).await;
    let second = mock(faulty()).await;
    let limits = "max_chunk_chars = 400\ntimeout_ms = 400\nrate = { requests_per_second = 100, burst = 10, max_concurrency = 8 }\nretry = { max = 5, base_ms = 10, max_ms = 100 }";
    let clean_cfg = write(
        "clean.toml",
        format!(
            "{}{}",
            backend("clean", &clean.openai_url(), limits),
            route(&["clean"])
        ),
    );
    let faulty_cfg = write(
        "faulty.toml",
        format!(
            "{}{}{}",
            backend("first", &first.openai_url(), limits),
            backend("second", &second.openai_url(), limits),
            route(&["first", "second"])
        ),
    );
    let run = |cfg: std::path::PathBuf| async move {
        json(
            &lingo(
                &[
                    "translate",
                    &sample("reservoir-long.txt"),
                    "--to",
                    &LANGS.join(","),
                    "--format",
                    "json",
                    "--config",
                    cfg.to_str().unwrap(),
                ],
                &[],
            )
            .await,
        )
    };
    let expected = run(clean_cfg).await;
    let got = run(faulty_cfg).await;
    assert_faithful(&got, &LANGS);
    assert_eq!(
        got["results"], expected["results"],
        "faults changed the output"
    );
    let stats = first.stats();
    let faults: u64 = stats
        .by_status
        .iter()
        .filter(|(s, _)| *s != "200")
        .map(|(_, n)| n)
        .sum();
    assert!(faults > 0, "the mock injected no HTTP faults: {stats:?}");
    assert!(
        !got["warnings"].as_array().unwrap().is_empty(),
        "rejected answers leave warnings"
    );
}

/// lingo keeps the configured rate in every one-second window the mock sees, and the
/// mock's own limiter at the same rate never has to say 429.
#[tokio::test]
async fn configured_rate_is_never_exceeded() {
    let server = mock(MockOptions {
        latency_ms: 20,
        rate_limit: Some(10.0),
        ..MockOptions::default()
    })
    .await;
    let cfg = write(
        "rate.toml",
        format!(
            "{}{}",
            backend(
                "llm",
                &server.openai_url(),
                "max_chunk_chars = 120\nrate = { requests_per_second = 10, burst = 10, max_concurrency = 8 }"
            ),
            route(&["llm"])
        ),
    );
    let out = lingo(
        &[
            "translate",
            &sample("pt-feira-livros.txt"),
            "--to",
            "en,ru,zh",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    )
    .await;
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
#[tokio::test]
async fn retry_after_pauses_the_whole_backend() {
    let server = mock(MockOptions {
        latency_ms: 50,
        rate_limit: Some(3.0),
        retry_after: 2,
        ..MockOptions::default()
    })
    .await;
    let cfg = write(
        "pause.toml",
        format!(
            "{}{}",
            backend(
                "llm",
                &server.openai_url(),
                "max_chunk_chars = 300\nrate = { requests_per_second = 50, burst = 4, max_concurrency = 4 }\nretry = { max = 6, base_ms = 50, max_ms = 3000 }"
            ),
            route(&["llm"])
        ),
    );
    let out = lingo(
        &[
            "translate",
            &sample("pt-feira-livros.txt"),
            "--to",
            "en",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    )
    .await;
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

/// A hard failure (401) at the first backend moves every chunk to the second at once,
/// without retrying the first.
#[tokio::test]
async fn hard_failure_falls_back_without_retrying() {
    let locked = mock(MockOptions {
        api_key: Some("right-key".into()),
        ..MockOptions::default()
    })
    .await;
    let open = mock(MockOptions::default()).await;
    let cfg = write(
        "fallback.toml",
        format!(
            "{}{}{}",
            backend(
                "locked",
                &locked.openai_url(),
                "api_key_env = \"LINGO_TEST_LOCKED_KEY\""
            ),
            backend("open", &open.openai_url(), ""),
            route(&["locked", "open"])
        ),
    );
    let out = lingo(
        &[
            "translate",
            &sample("transit-strike.md"),
            "--to",
            "pt-BR,ru",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[("LINGO_TEST_LOCKED_KEY", "wrong-key")],
    )
    .await;
    let doc = json(&out);
    assert_faithful(&doc, &["pt-BR", "ru"]);
    let (l, o) = (locked.stats(), open.stats());
    assert_eq!(l.by_status.get("401"), Some(&l.requests), "{l:?}");
    assert_eq!(
        l.requests, o.requests,
        "one refused call per chunk, then the fallback: {l:?} {o:?}"
    );
    assert!(!stderr(&out).contains("wrong-key"));
}

/// When every backend of the route fails, the run fails clearly with exit 3.
#[tokio::test]
async fn every_backend_failing_exits_3() {
    let broken = mock(MockOptions {
        fail_rate: 1.0,
        ..MockOptions::default()
    })
    .await;
    let refusing = mock(MockOptions {
        api_key: Some("k".into()),
        ..MockOptions::default()
    })
    .await;
    let cfg = write(
        "allfail.toml",
        format!(
            "{}{}{}",
            backend(
                "broken",
                &broken.openai_url(),
                "retry = { max = 2, base_ms = 5, max_ms = 20 }"
            ),
            backend("refusing", &refusing.openai_url(), ""),
            route(&["broken", "refusing"])
        ),
    );
    let out = lingo(
        &[
            "translate",
            &sample("pt-feira-livros.txt"),
            "--to",
            "ru",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("ru: chunk") && err.contains("failed on every backend of its route"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty(), "no partial output on failure");
    assert_eq!(
        broken.stats().requests % 3,
        0,
        "each call is tried 1 + 2 times"
    );
}
