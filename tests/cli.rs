//! The command line as a user meets it: exit codes, one-line reasons, the JSON contract.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use common::*;

/// Bad input and bad config: exit 2 and a one-line reason naming the problem.
#[tokio::test]
async fn bad_input_and_config_exit_2_with_one_line() {
    let empty = write("empty.txt", "");
    let blank = write("blank.txt", "\n  \n\t\n");
    let latin1 = write("latin1.txt", b"Caf\xe9 com leite\n");
    let dir = temp_path("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let unknown_key = write(
        "unknown-key.toml",
        format!(
            "{}{}",
            backend("a", "http://127.0.0.1:9/v1", "colour = 1"),
            route(&["a"])
        ),
    );
    let unknown_backend = write(
        "unknown-backend.toml",
        format!(
            "{}{}",
            backend("a", "http://127.0.0.1:9/v1", ""),
            route(&["b"])
        ),
    );
    let impossible = write(
        "impossible.toml",
        format!(
            "{}{}",
            backend(
                "a",
                "http://127.0.0.1:9/v1",
                "rate = { max_concurrency = 0 }"
            ),
            route(&["a"])
        ),
    );
    let crawling = write(
        "crawling.toml",
        format!(
            "{}{}",
            backend(
                "a",
                "http://127.0.0.1:9/v1",
                "rate = { requests_per_second = 1e-30 }"
            ),
            route(&["a"])
        ),
    );
    let secret = write(
        "secret.toml",
        format!(
            "{}{}",
            backend(
                "a",
                "http://127.0.0.1:9/v1",
                "api_key_env = \"LINGO_TEST_UNSET_KEY\""
            ),
            route(&["a"])
        ),
    );
    let sample = sample("pt-feira-livros.txt");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["translate", empty.to_str().unwrap(), "--to", "pt-BR"],
            "the article is empty",
        ),
        (
            vec!["translate", blank.to_str().unwrap(), "--to", "pt-BR"],
            "the article is empty",
        ),
        (
            vec!["translate", latin1.to_str().unwrap(), "--to", "pt-BR"],
            "not valid UTF-8",
        ),
        (
            vec!["translate", "/no/such/article.txt", "--to", "pt-BR"],
            "cannot read /no/such/article.txt",
        ),
        (
            vec!["translate", dir.to_str().unwrap(), "--to", "pt-BR"],
            "cannot read",
        ),
        (
            vec!["translate", &sample, "--to", "pt-XX-YY"],
            "--to: malformed language tag",
        ),
        (
            vec!["translate", &sample, "--to", "klingon"],
            "--to: unknown language tag 'klingon'",
        ),
        (
            vec!["translate", &sample, "--to", ","],
            "--to: empty language tag",
        ),
        (
            vec!["translate", &sample, "--to", "ru", "--from", "xx"],
            "--from: unknown language tag",
        ),
        (
            vec!["translate", &sample, "--to", "ru", "--format", "pdf"],
            "invalid value 'pdf'",
        ),
        (vec!["translate", &sample], "--to <LANGS>"),
        (
            vec![
                "translate",
                &sample,
                "--to",
                "ru",
                "--config",
                "/no/such.toml",
            ],
            "/no/such.toml: cannot read the config file",
        ),
        (
            vec![
                "translate",
                &sample,
                "--to",
                "ru",
                "--config",
                unknown_key.to_str().unwrap(),
            ],
            "backends[0].colour: unknown field `colour`",
        ),
        (
            vec!["check-config", unknown_backend.to_str().unwrap()],
            "routes[0].backends[0]: unknown backend 'b'",
        ),
        (
            vec!["check-config", impossible.to_str().unwrap()],
            "backends[0].rate.max_concurrency: must be at least 1",
        ),
        (
            vec!["check-config", crawling.to_str().unwrap()],
            "backends[0].rate.requests_per_second: must be a number from 0.001",
        ),
        (
            vec![
                "translate",
                &sample,
                "--to",
                "ru",
                "--summary",
                "4000000000",
            ],
            "invalid value '4000000000' for '--summary <LENGTH>': unknown length '4000000000': use short, medium, long or a number from 10 to 2000",
        ),
        (
            vec![
                "summarize",
                &sample,
                "--to",
                "ru",
                "--length",
                "99999999999999999999",
            ],
            "invalid value '99999999999999999999' for '--length <LENGTH>'",
        ),
        (
            vec!["check-config", secret.to_str().unwrap()],
            "backends[0].api_key_env: environment variable LINGO_TEST_UNSET_KEY is not set",
        ),
        (
            vec!["mock", "--fail-rate", "1.5"],
            "--fail-rate: 1.5 is not a share",
        ),
    ];
    for (args, expect) in cases {
        let out = lingo(&args, &[]).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(expect),
            "{args:?}: expected {expect:?} in {err:?}"
        );
        if !expect.starts_with("--to <") && !expect.starts_with("invalid value") {
            assert_eq!(
                err.trim_end().lines().count(),
                1,
                "{args:?}: not one line: {err:?}"
            );
        }
    }
}

#[tokio::test]
async fn check_config_masks_secrets() {
    let path = write(
        "secret-ok.toml",
        format!(
            "{}{}",
            backend(
                "a",
                "http://127.0.0.1:9/v1",
                "api_key_env = \"LINGO_TEST_KEY\""
            ),
            route(&["a"])
        ),
    );
    let out = lingo(
        &["check-config", path.to_str().unwrap()],
        &[("LINGO_TEST_KEY", "sk-very-secret-123")],
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("api_key = \"*****\""), "{text}");
    assert!(!text.contains("sk-very-secret") && !stderr(&out).contains("sk-very-secret"));
    assert!(
        text.contains("max_chunk_chars = 2000"),
        "defaults are shown: {text}"
    );
}

/// The default offline config, a Markdown article, five languages: the JSON contract holds
/// and an independent detector agrees on each block's language.
#[tokio::test]
async fn default_config_translates_markdown_into_five_languages() {
    let langs = ["pt-BR", "ru", "hi", "zh", "af"];
    let out = lingo(
        &[
            "translate",
            &sample("transit-strike.md"),
            "--to",
            &langs.join(","),
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    let doc = json(&out);
    assert_eq!(doc["source"]["lang"], "en");
    let kinds: Vec<&str> = doc["source"]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    for kind in ["heading", "paragraph", "list_item", "quote"] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    assert_faithful(&doc, &langs);
    for lang in langs {
        let result = &doc["results"][lang]["translation"];
        assert!(
            result["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{lang}: title"
        );
        assert!(
            result["text"]
                .as_str()
                .unwrap()
                .contains(result["blocks"][0]["text"].as_str().unwrap())
        );
        for block in result["blocks"].as_array().unwrap() {
            assert_written_in(block["text"].as_str().unwrap(), lang);
        }
        assert_written_in(result["title"].as_str().unwrap(), lang);
    }
    assert!(doc["usage"]["requests"].as_u64().unwrap() >= 5);
    assert!(doc["warnings"].as_array().unwrap().is_empty());
}

/// An HTML page: its story is translated, its navigation, sidebar and footer are not.
#[tokio::test]
async fn html_pages_give_their_main_content() {
    let out = lingo(
        &[
            "translate",
            &sample("reservoir-page.html"),
            "--to",
            "ru",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    let doc = json(&out);
    assert!(
        doc["source"]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Drought pushes"))
    );
    let source = doc["source"]["blocks"].to_string();
    for furniture in [
        "Subscribe",
        "Most read",
        "Ferry timetable",
        "All rights reserved",
    ] {
        assert!(
            !source.contains(furniture),
            "{furniture} was kept: {source}"
        );
    }
    assert!(source.contains("What residents must do") && source.contains("150 litres"));
    assert_faithful(&doc, &["ru"]);
}

#[tokio::test]
async fn reads_stdin_and_renders_text_and_markdown() {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_lingo"));
    cmd.args([
        "translate",
        "-",
        "--to",
        "ru",
        "--input-format",
        "markdown",
        "--format",
        "markdown",
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"))
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"# Storm hits the coast\n\nWinds of 120 km/h closed 3 ports.\n\n- one item\n- another item\n").await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(md.starts_with("<!-- lang: ru -->\n# "), "{md}");
    assert_eq!(
        md.lines().filter(|l| l.starts_with("- ")).count(),
        2,
        "{md}"
    );
    assert!(md.contains("120") && md.contains('3'), "{md}");
}

/// Asking for the article's own language copies it, says so, and calls no backend for it.
#[tokio::test]
async fn the_source_language_is_copied_with_a_warning() {
    let out = lingo(
        &[
            "translate",
            &sample("pt-feira-livros.txt"),
            "--to",
            "pt,en",
            "--format",
            "json",
        ],
        &[],
    )
    .await;
    let doc = json(&out);
    assert_eq!(doc["source"]["lang"], "pt");
    assert_eq!(
        doc["results"]["pt"]["translation"]["blocks"],
        doc["source"]["blocks"]
    );
    assert_faithful(&doc, &["en"]);
    let warnings = doc["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        warnings[0]["message"],
        "the article is already in pt: copied unchanged"
    );
    assert_eq!(
        doc["usage"]["by_backend"]["offline-llm"]["requests"].as_u64(),
        doc["usage"]["requests"].as_u64()
    );
}
