//! Answers as real models write them, from the mock's dressing faults: reasoning blocks
//! and fields, fences, preambles, `\r\n`. Every block stays in place, no dressing reaches
//! the output, and usage counts every request the mock answered.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use common::*;
use lingo::Protocol;
use lingo::mock::{MockOptions, MockServer};

const LANGS: [&str; 3] = ["pt-BR", "ru", "hi"];

/// Dressed as the issue describes it, seeded so that every run meets the same answers.
fn dressed(seed: u64) -> MockOptions {
    MockOptions {
        think_rate: 0.5,
        fence_rate: 0.3,
        preamble_rate: 0.3,
        crlf_rate: 0.2,
        seed: Some(seed),
        ..MockOptions::default()
    }
}

/// A translation and short summary in three languages through `kind`, both routes on the
/// one mock backend.
async fn run(server: &MockServer, kind: &str, protocol: Protocol) -> serde_json::Value {
    let table = format!(
        "[[backends]]\nname = \"llm\"\nkind = \"{kind}\"\nbase_url = \"{}\"\nmodel = \"m\"\nmax_chunk_chars = 600\n\n",
        server.url(protocol)
    );
    let routes = route(&["llm"]);
    let summaries = routes.replace("\"translate\"", "\"summarize\"");
    let cfg = write("dressed.toml", format!("{table}{routes}\n{summaries}"));
    let out = lingo(
        &[
            "translate",
            &sample("reservoir-long.txt"),
            "--to",
            &LANGS.join(","),
            "--summary",
            "short",
            "--format",
            "json",
            "--config",
            &cfg.display().to_string(),
        ],
        &[],
    )
    .await;
    json(&out)
}

/// Nothing a model wrapped its answer in reaches a translation or a summary.
fn assert_undressed(doc: &serde_json::Value) {
    let results = doc["results"].to_string();
    for dressing in [
        "<think",
        "think>",
        "```",
        "Sure! Here",
        "Here is the summary",
        "\\r",
    ] {
        assert!(!results.contains(dressing), "{dressing} in the output");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dressed_answers_are_taken_off_and_every_request_is_counted() {
    let server = mock(dressed(11)).await;
    let doc = run(&server, "openai", Protocol::Openai).await;
    assert_faithful(&doc, &LANGS);
    assert_undressed(&doc);
    for lang in LANGS {
        let summary = doc["results"][lang]["summary"]["text"].as_str().unwrap();
        assert_written_in(summary, lang);
    }
    let answered = server.stats().requests;
    assert_eq!(doc["usage"]["requests"].as_u64(), Some(answered));
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains("answer used after taking off a reasoning block"),
        "{warnings}"
    );
}

/// Reasoning beside the answer, as each protocol carries it: OpenAI's
/// `reasoning_content` (with its tokens counted), Anthropic's `thinking` block, Ollama's
/// `message.thinking`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reasoning_fields_are_left_out_and_counted() {
    for (kind, protocol) in [
        ("openai", Protocol::Openai),
        ("anthropic", Protocol::Anthropic),
        ("ollama", Protocol::Ollama),
    ] {
        let server = mock(MockOptions {
            reasoning_field: true,
            ..dressed(12)
        })
        .await;
        let doc = run(&server, kind, protocol).await;
        assert_faithful(&doc, &LANGS);
        assert_undressed(&doc);
        assert!(
            !doc["results"].to_string().contains("The desk wants"),
            "{kind}: reasoning leaked"
        );
        assert_eq!(
            doc["usage"]["requests"].as_u64(),
            Some(server.stats().requests),
            "{kind}"
        );
        let reasoning = doc["usage"]["reasoning_tokens"].as_u64().unwrap();
        assert_eq!(
            reasoning > 0,
            kind == "openai",
            "{kind}: {reasoning} reasoning tokens"
        );
    }
}
