//! Summaries over loopback HTTP against the mock: length contracts in words and in
//! characters, language, grounding, strategies, the cut, and degraded mode.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use common::*;
use lingo::mock::{MockOptions, MockServer};

/// Every summary is within its limit in its own unit, in its language, and has no number
/// the article lacks.
fn assert_summaries(doc: &serde_json::Value, langs: &[&str]) {
    let source: String = doc["source"]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let source = format!(
        "{}\n{source}",
        doc["source"]["title"].as_str().unwrap_or_default()
    );
    for lang in langs {
        let s = &doc["results"][lang]["summary"];
        let text = s["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{lang}: no summary"));
        let unit = if ["zh", "ja"].contains(&&lang[..2]) {
            "chars"
        } else {
            "words"
        };
        assert_eq!(s["unit"], unit, "{lang}");
        assert!(
            s["count"].as_u64().unwrap() <= s["limit"].as_u64().unwrap(),
            "{lang}: {s}"
        );
        assert!(s["count"].as_u64().unwrap() > 0, "{lang}: empty");
        let written = s["lang"].as_str().unwrap_or(lang);
        assert_written_in(text, written);
        let mut have = digit_runs(&source);
        for n in digit_runs(text) {
            let at = have
                .iter()
                .position(|h| *h == n)
                .unwrap_or_else(|| panic!("{lang}: {n} is not in the article: {text}"));
            have.remove(at);
        }
    }
}

/// Summaries through a backend that always fails, then the extractive one, with a working
/// translation route: degraded mode. The mocks live as long as the caller keeps them.
async fn degraded() -> (MockServer, MockServer, std::path::PathBuf) {
    let broken = mock(MockOptions {
        fail_rate: 1.0,
        ..MockOptions::default()
    })
    .await;
    let translator = mock(MockOptions::default()).await;
    let text = format!(
        "{}{}[[backends]]\nname = \"extractive\"\nkind = \"extractive\"\n\n\
         [[routes]]\ntask = \"summarize\"\nlangs = [\"*\"]\nbackends = [\"broken\", \"extractive\"]\n\n\
         [[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"translator\"]\n",
        backend(
            "broken",
            &broken.openai_url(),
            "retry = { max = 1, base_ms = 5, max_ms = 10 }"
        ),
        backend("translator", &translator.openai_url(), ""),
    );
    let cfg = write("degraded.toml", text);
    (broken, translator, cfg)
}

async fn summarize(
    sample_name: &str,
    langs: &str,
    length: &str,
    config: &std::path::Path,
) -> serde_json::Value {
    let (sample, config) = (sample(sample_name), config.display().to_string());
    json(
        &lingo(
            &[
                "summarize",
                &sample,
                "--to",
                langs,
                "--length",
                length,
                "--format",
                "json",
                "--config",
                &config,
            ],
            &[],
        )
        .await,
    )
}

/// The default offline config: one run gives five translations and five summaries.
#[tokio::test]
async fn translate_with_summary_gives_both_in_every_language() {
    let langs = ["pt-BR", "ru", "hi", "zh", "af"];
    let out = lingo(
        &[
            "translate",
            &sample("reservoir-long.txt"),
            "--to",
            &langs.join(","),
            "--summary",
            "short",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    let doc = json(&out);
    assert_faithful(&doc, &langs);
    assert_summaries(&doc, &langs);
    assert_eq!(doc["results"]["zh"]["summary"]["limit"], 120);
    assert_eq!(doc["results"]["ru"]["summary"]["limit"], 60);
    for lang in langs {
        assert_eq!(doc["results"][lang]["summary"]["method"], "llm");
    }
}

/// A short article is summarized in one call ("stuff"); a long one needs more (map-reduce).
#[tokio::test]
async fn stuff_or_map_reduce_by_size() {
    let server = mock(MockOptions::default()).await;
    let cfg = config(&[("llm", &server.openai_url(), "max_chunk_chars = 1500")]);
    let short = summarize("pt-feira-livros.txt", "en", "short", &cfg).await;
    assert_eq!(short["usage"]["requests"], 1, "the article fits: one call");
    assert_summaries(&short, &["en"]);
    let long = summarize("reservoir-long.txt", "ru", "30", &cfg).await;
    assert!(
        long["usage"]["requests"].as_u64().unwrap() >= 3,
        "map and reduce: {}",
        long["usage"]
    );
    assert_eq!(long["results"]["ru"]["summary"]["limit"], 30);
    assert_summaries(&long, &["ru"]);
}

/// A summary over its limit gets one "shorten" request; still over, it is cut at a sentence
/// boundary. The output says which happened.
#[tokio::test]
async fn overlong_summaries_are_shortened_or_cut() {
    for (ignore_shorten, fit) in [(false, "shortened"), (true, "cut")] {
        let server = mock(MockOptions {
            overlong_rate: 1.0,
            ignore_shorten,
            ..MockOptions::default()
        })
        .await;
        let cfg = config(&[("llm", &server.openai_url(), "")]);
        let doc = summarize("pt-feira-livros.txt", "en,zh", "medium", &cfg).await;
        assert_summaries(&doc, &["en", "zh"]);
        for lang in ["en", "zh"] {
            assert_eq!(doc["results"][lang]["summary"]["fit"], fit, "{lang}");
        }
        assert_eq!(
            doc["usage"]["requests"], 4,
            "one summary and one shorten request per language"
        );
    }
}

/// When every LLM call fails, the summary is extractive, translated through the
/// translation route, within its limit, and a warning says so.
#[tokio::test]
async fn degraded_mode_gives_extractive_summaries() {
    let (_broken, _translator, cfg) = degraded().await;
    let doc = summarize("reservoir-long.txt", "pt-BR,zh,en", "short", &cfg).await;
    assert_summaries(&doc, &["pt-BR", "zh", "en"]);
    for lang in ["pt-BR", "zh", "en"] {
        let s = &doc["results"][lang]["summary"];
        assert_eq!(s["method"], "extractive", "{lang}");
        assert_eq!(s["lang"], *lang, "{lang}: translated");
    }
    let english = doc["results"]["en"]["summary"]["text"].as_str().unwrap();
    assert!(
        english.starts_with("The municipal water board"),
        "the lead comes first: {english}"
    );
    let warnings = doc["warnings"].as_array().unwrap();
    let degraded = warnings
        .iter()
        .filter(|w| w["message"].as_str().unwrap().contains("degraded mode"))
        .count();
    assert_eq!(degraded, 3, "{warnings:?}");
}

/// Copyright footers, share rows and crumbs are set aside from translations (and listed),
/// and never reach a summary, not even an extractive one.
#[tokio::test]
async fn boilerplate_never_reaches_a_summary() {
    let (_broken, _translator, cfg) = degraded().await;
    let doc = summarize("transit-strike.md", "en", "long", &cfg).await;
    let set_aside: Vec<&str> = doc["source"]["set_aside"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert_eq!(set_aside.len(), 3, "{set_aside:?}");
    assert!(set_aside[2].contains("All rights reserved"));
    let summary = doc["results"]["en"]["summary"]["text"].as_str().unwrap();
    for furniture in ["rights reserved", "04417731", "Share |", "Home >"] {
        assert!(!summary.contains(furniture), "{furniture:?} in {summary}");
    }
    assert_summaries(&doc, &["en"]);

    let kept = json(
        &lingo(
            &[
                "translate",
                &sample("transit-strike.md"),
                "--to",
                "ru",
                "--keep-boilerplate",
                "--format",
                "json",
            ],
            &[],
        )
        .await,
    );
    let flagged = kept["source"]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["boilerplate"] == true)
        .count();
    assert_eq!(flagged, 3);
    assert!(kept["source"].get("set_aside").is_none());
    assert_faithful(&kept, &["ru"]);
}

/// A pivot route summarizes once, in the article's language, and translates that summary
/// into every language: one summary call however many languages.
#[tokio::test]
async fn pivot_routes_summarize_once_and_translate() {
    let server = mock(MockOptions::default()).await;
    let text = format!(
        "{}[[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"llm\"]\n\n\
         [[routes]]\ntask = \"summarize\"\nlangs = [\"*\"]\nbackends = [\"llm\"]\nstrategy = \"pivot\"\n",
        backend("llm", &server.openai_url(), ""),
    );
    let cfg = write("pivot.toml", text);
    let doc = summarize("transit-strike.md", "pt-BR,ru,zh", "short", &cfg).await;
    assert_summaries(&doc, &["pt-BR", "ru", "zh"]);
    let calls = server.stats().by_target_lang;
    assert_eq!(
        calls.get("en"),
        Some(&1),
        "one summary, in the article's language: {calls:?}"
    );
    for lang in ["pt-BR", "ru", "zh"] {
        assert_eq!(calls.get(lang), Some(&1), "one translation each: {calls:?}");
        assert_eq!(doc["results"][lang]["summary"]["lang"], lang);
    }
    assert_eq!(
        doc["usage"]["requests"], 4,
        "the pivot's cost is counted once"
    );
}

/// With every LLM call failing, a translation run with summaries still gives extractive
/// summaries (left in the article's language, since nothing can translate them), says why
/// in warnings and errors, and exits 3 for the translations it could not do.
#[tokio::test]
async fn every_llm_failing_still_gives_extractive_summaries() {
    let text = "[[backends]]\nname = \"llm\"\nkind = \"mock\"\nmock = { fail_rate = 1.0 }\nretry = { max = 1, base_ms = 5, max_ms = 10 }\n\n\
                [[backends]]\nname = \"extractive\"\nkind = \"extractive\"\n\n\
                [[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"llm\"]\n\n\
                [[routes]]\ntask = \"summarize\"\nlangs = [\"*\"]\nbackends = [\"llm\", \"extractive\"]\n";
    let cfg = write("all-fail.toml", text);
    let article = sample("transit-strike.md");
    let out = lingo(
        &[
            "translate",
            &article,
            "--to",
            "pt-BR,ru",
            "--summary",
            "short",
            "--format",
            "json",
            "--config",
            cfg.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("failed on every backend")
            && stderr(&out).contains("(and 1 more failures)"),
        "{}",
        stderr(&out)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the partial result is still printed");
    for lang in ["pt-BR", "ru"] {
        let result = &doc["results"][lang];
        assert!(
            result.get("translation").is_none(),
            "{lang}: no translation could be made"
        );
        assert_eq!(result["summary"]["method"], "extractive");
        assert_eq!(
            result["summary"]["lang"], "en",
            "{lang}: left in the article's language"
        );
        let text = result["summary"]["text"].as_str().unwrap();
        assert!(
            text.starts_with("Bus drivers in Northgate have voted"),
            "{text}"
        );
        assert!(!text.contains("rights reserved"), "{text}");
    }
    let errors: Vec<&str> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["task"].as_str().unwrap())
        .collect();
    assert_eq!(errors, vec!["translate", "translate"]);
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["message"].as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("degraded mode")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("the summary stays in en")),
        "{warnings:?}"
    );
}
