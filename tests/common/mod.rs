//! Shared helpers: mock servers on loopback port 0, config files in a temp folder, and the
//! real `lingo` binary run as a child process.
#![allow(dead_code, unreachable_pub)] // each test binary uses its own subset of these helpers

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use lingo::mock::{MockOptions, MockServer};

pub mod server;

pub async fn mock(options: MockOptions) -> MockServer {
    MockServer::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), options)
        .await
        .expect("mock starts on loopback")
}

/// A fresh path in the temp folder, unique within this test run.
pub fn temp_path(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("lingo-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(format!("{}-{name}", N.fetch_add(1, Ordering::Relaxed)))
}

pub fn write(name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

/// A `kind = "openai"` backend table pointing at `url`; `extra` adds or overrides keys.
pub fn backend(name: &str, url: &str, extra: &str) -> String {
    format!(
        "[[backends]]\nname = \"{name}\"\nkind = \"openai\"\nbase_url = \"{url}\"\nmodel = \"test\"\n{extra}\n\n"
    )
}

pub fn route(backends: &[&str]) -> String {
    let names: Vec<String> = backends.iter().map(|b| format!("\"{b}\"")).collect();
    format!(
        "[[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [{}]\n",
        names.join(", ")
    )
}

/// A config file with `backends` as (name, url, extra keys), routed in that order for
/// translations and for summaries.
pub fn config(backends: &[(&str, &str, &str)]) -> PathBuf {
    let tables: String = backends
        .iter()
        .map(|(name, url, extra)| backend(name, url, extra))
        .collect();
    let names: Vec<&str> = backends.iter().map(|(name, _, _)| *name).collect();
    let summaries = route(&names).replace("\"translate\"", "\"summarize\"");
    write(
        "config.toml",
        format!("{tables}{}\n{summaries}", route(&names)),
    )
}

/// `lingo translate samples/SAMPLE --to LANGS --format json --config CONFIG`.
pub async fn translate(
    sample_name: &str,
    langs: &str,
    config: &Path,
    env: &[(&str, &str)],
) -> Output {
    let (sample, config) = (sample(sample_name), config.display().to_string());
    lingo(
        &[
            "translate",
            &sample,
            "--to",
            langs,
            "--format",
            "json",
            "--config",
            &config,
        ],
        env,
    )
    .await
}

pub fn sample(name: &str) -> String {
    format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `lingo` binary; async so that in-process mocks keep serving meanwhile.
pub async fn lingo(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_lingo"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("lingo runs")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "lingo failed: {}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

/// Runs of ASCII digits, as the number check counts them.
pub fn digit_runs(text: &str) -> Vec<String> {
    let mut runs: Vec<String> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    runs.sort();
    runs
}

/// Every translation has every source block once, in order, same kind, numbers intact.
pub fn assert_faithful(doc: &serde_json::Value, langs: &[&str]) {
    let source = doc["source"]["blocks"].as_array().expect("source blocks");
    for lang in langs {
        let blocks = doc["results"][lang]["translation"]["blocks"]
            .as_array()
            .unwrap_or_else(|| panic!("{lang} missing"));
        assert_eq!(blocks.len(), source.len(), "{lang}: block count");
        for (i, (t, s)) in blocks.iter().zip(source).enumerate() {
            assert_eq!(t["kind"], s["kind"], "{lang} block {i}: kind");
            let text = t["text"].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{lang} block {i} is empty");
            let mut have = digit_runs(text);
            for n in digit_runs(s["text"].as_str().unwrap_or_default()) {
                let at = have
                    .iter()
                    .position(|h| *h == n)
                    .unwrap_or_else(|| panic!("{lang} block {i} lost number {n}"));
                have.remove(at);
            }
        }
    }
}

/// The language `text` is written in, by an identifier independent of lingo's own
/// (whatlang, trigram profiles; lingo checks answers with lingua), as a primary subtag.
pub fn written_in(text: &str) -> Option<&'static str> {
    let info = whatlang::detect(text)?;
    let code = match info.lang() {
        whatlang::Lang::Afr => "af",
        whatlang::Lang::Cmn => "zh",
        whatlang::Lang::Deu => "de",
        whatlang::Lang::Eng => "en",
        whatlang::Lang::Fra => "fr",
        whatlang::Lang::Hin => "hi",
        whatlang::Lang::Jpn => "ja",
        whatlang::Lang::Nld => "nl",
        whatlang::Lang::Por => "pt",
        whatlang::Lang::Rus => "ru",
        whatlang::Lang::Spa => "es",
        whatlang::Lang::Zul => "zu",
        other => other.code(),
    };
    Some(code)
}

/// `text` is in the language of `tag` (a BCP 47 tag such as `pt-BR`), as the independent
/// identifier reads it.
pub fn assert_written_in(text: &str, tag: &str) {
    let want = tag.split('-').next().unwrap_or(tag);
    assert_eq!(written_in(text), Some(want), "not {tag}: {text}");
}
