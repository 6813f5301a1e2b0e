//! Faults and fallbacks, over real loopback HTTP against the mock.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use common::*;
use lingo::mock::MockOptions;

const LANGS: [&str; 5] = ["pt-BR", "ru", "hi", "zh", "af"];

/// With about 30 % of calls faulty in every way the mock knows (500, 429, hang, dropped
/// connection, broken JSON, wrong language, merged blocks, truncation), the output is exactly
/// what a clean run gives: every block once, in order, numbers intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_faults_change_nothing_in_the_output() {
    let clean = mock(MockOptions::default()).await;
    // Seeded: the first mock answers its second request 429 and its third 500.
    let faulty = |seed| MockOptions {
        seed: Some(seed),
        fail_rate: 0.04,
        throttle_rate: 0.04,
        retry_after: 0,
        hang_rate: 0.03,
        drop_rate: 0.03,
        malformed_rate: 0.05,
        wrong_lang_rate: 0.05,
        merge_rate: 0.05,
        truncate_rate: 0.04,
        ..MockOptions::default()
    };
    let (first, second) = (mock(faulty(8)).await, mock(faulty(3)).await);
    let limits = "max_chunk_chars = 400\ntimeout_ms = 400\n\
                  rate = { requests_per_second = 100, burst = 10, max_concurrency = 8 }\n\
                  retry = { max = 5, base_ms = 10, max_ms = 100 }";
    let clean_cfg = config(&[("clean", &clean.openai_url(), limits)]);
    let faulty_cfg = config(&[
        ("first", &first.openai_url(), limits),
        ("second", &second.openai_url(), limits),
    ]);
    let langs = LANGS.join(",");
    let expected = json(&translate("reservoir-long.txt", &langs, &clean_cfg, &[]).await);
    let got = json(&translate("reservoir-long.txt", &langs, &faulty_cfg, &[]).await);
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
    let cfg = config(&[
        (
            "locked",
            &locked.openai_url(),
            "api_key_env = \"LINGO_TEST_LOCKED_KEY\"",
        ),
        ("open", &open.openai_url(), ""),
    ]);
    let out = translate(
        "transit-strike.md",
        "pt-BR,ru",
        &cfg,
        &[("LINGO_TEST_LOCKED_KEY", "wrong-key")],
    )
    .await;
    assert_faithful(&json(&out), &["pt-BR", "ru"]);
    let (l, o) = (locked.stats(), open.stats());
    assert_eq!(l.by_status.get("401"), Some(&l.requests), "{l:?}");
    assert_eq!(
        l.requests, o.requests,
        "one refused call per chunk, then the fallback: {l:?} {o:?}"
    );
    assert!(!stderr(&out).contains("wrong-key"));
}

/// When every backend of the route fails, the run fails clearly with exit 3: no gap-filled
/// translation, an error naming the language.
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
    let cfg = config(&[
        (
            "broken",
            &broken.openai_url(),
            "retry = { max = 2, base_ms = 5, max_ms = 20 }",
        ),
        ("refusing", &refusing.openai_url(), ""),
    ]);
    let out = translate("pt-feira-livros.txt", "ru", &cfg, &[]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("ru: chunk") && err.contains("failed on every backend of its route"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON even on failure");
    assert!(
        doc["results"].get("ru").is_none(),
        "no translation, not a partial one: {doc}"
    );
    assert_eq!(doc["errors"][0]["lang"], "ru");
    assert_eq!(doc["errors"][0]["task"], "translate");
    let (tried, refused) = (broken.stats().requests, refusing.stats().requests);
    assert!(refused > 0, "the fallback was asked");
    assert_eq!(
        tried,
        3 * refused,
        "each call is tried 1 + 2 times at the broken backend, then once at the refusing one"
    );
}

/// A backend that always merges two blocks of a chunk cannot translate chunks whole; the
/// last resort, block by block, still gives every block back in place.
#[tokio::test]
async fn merged_blocks_fall_back_to_block_by_block() {
    let merging = mock(MockOptions {
        merge_rate: 1.0,
        ..MockOptions::default()
    })
    .await;
    let cfg = config(&[("merging", &merging.openai_url(), "max_chunk_chars = 600")]);
    let doc = json(&translate("transit-strike.md", "ru", &cfg, &[]).await);
    assert_faithful(&doc, &["ru"]);
    let warnings = doc["warnings"].as_array().unwrap();
    let by_block = warnings
        .iter()
        .filter(|w| w["message"].as_str().unwrap().contains("block by block"))
        .count();
    let merged = warnings
        .iter()
        .filter(|w| {
            w["message"]
                .as_str()
                .unwrap()
                .contains("blocks merged or split")
        })
        .count();
    assert!(by_block >= 1, "{warnings:?}");
    assert!(
        merged >= 3 * by_block,
        "each whole-chunk answer was rejected three times: {warnings:?}"
    );
}

/// A Retry-After no clock can hold (2^64 − 1 seconds) is cut to an hour: the backend is
/// set aside, nothing panics, and the fallback does the work at once.
#[tokio::test]
async fn a_huge_retry_after_sets_the_backend_aside() {
    let throttled = mock(MockOptions {
        throttle_rate: 1.0,
        retry_after: u64::MAX,
        ..MockOptions::default()
    })
    .await;
    let open = mock(MockOptions::default()).await;
    let one_at_a_time = "rate = { max_concurrency = 1 }";
    let cfg = config(&[
        ("throttled", &throttled.openai_url(), one_at_a_time),
        ("open", &open.openai_url(), ""),
    ]);
    let doc = json(&translate("transit-strike.md", "pt-BR,ru", &cfg, &[]).await);
    assert_faithful(&doc, &["pt-BR", "ru"]);
    let stats = throttled.stats();
    assert_eq!(
        (stats.requests, stats.by_status.get("429")),
        (1, Some(&1)),
        "one 429, then no request until the hour is over: {stats:?}"
    );
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains("by an earlier 429's Retry-After: not asked before then"),
        "{warnings}"
    );
}
