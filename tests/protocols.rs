//! Contract tests per wire protocol, over loopback against the mock: what lingo sends
//! (auth, body fields, language codes, batching), how each error status is handled, and
//! that glossaries and protected spans survive every protocol.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use common::*;
use lingo::mock::{MockOptions, MockServer, Recorded};
use serde_json::Value;

const URL: &str = "https://water.portleandro.example/orders/2026-17";
const MAIL: &str = "press@portleandro.example";

/// A backend table of any kind; `extra` adds or overrides keys.
fn table(name: &str, kind: &str, url: &str, extra: &str) -> String {
    format!("[[backends]]\nname = \"{name}\"\nkind = \"{kind}\"\nbase_url = \"{url}\"\n{extra}\n\n")
}

fn translate_route(langs: &str, backends: &str) -> String {
    format!("[[routes]]\ntask = \"translate\"\nlangs = {langs}\nbackends = {backends}\n\n")
}

fn requests(mock: &MockServer, path: &str) -> Vec<Recorded> {
    mock.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

fn text_of(doc: &Value, lang: &str) -> String {
    doc["results"][lang]["translation"]["blocks"]
        .as_array()
        .unwrap_or_else(|| panic!("{lang} missing"))
        .iter()
        .map(|b| b["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn glossary(pair: &str, lines: &str) -> String {
    let dir = temp_path("glossary");
    std::fs::create_dir_all(&dir).expect("glossary dir");
    let path = dir.join(format!("{pair}.tsv"));
    std::fs::write(&path, lines).expect("glossary file");
    path.display().to_string()
}

/// An article of `n` short paragraphs, one of them naming the water board.
fn many_paragraphs(n: usize) -> std::path::PathBuf {
    let body: Vec<String> = (1..=n)
        .map(|i| format!("Paragraph {i}: the water board met again on the same evening."))
        .collect();
    write("many.txt", body.join("\n\n"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deepl_request_shape_batching_glossary_and_context() {
    let server = mock(MockOptions {
        api_key: Some("deepl-secret".into()),
        ..MockOptions::default()
    })
    .await;
    let cfg = write(
        "deepl.toml",
        table(
            "deepl",
            "deepl",
            &server.url(lingo::Protocol::Deepl),
            "api_key_env = \"T_DEEPL_KEY\"\nmax_chunk_chars = 20000\nformality = \"prefer_less\"",
        ) + &translate_route("[\"*\"]", "[\"deepl\"]"),
    );
    let article = many_paragraphs(120);
    let terms = glossary("en.pt-BR", "water board\tconselho de águas\n");
    let run = || async {
        lingo(
            &[
                "translate",
                &article.display().to_string(),
                "--to",
                "pt-BR",
                "--from",
                "en",
                "--format",
                "json",
                "--glossary",
                &terms,
                "--config",
                &cfg.display().to_string(),
            ],
            &[("T_DEEPL_KEY", "deepl-secret")],
        )
        .await
    };
    let doc = json(&run().await);
    assert_faithful(&doc, &["pt-BR"]);
    let text = text_of(&doc, "pt-BR");
    assert_eq!(text.matches("conselho de águas").count(), 120, "{text}");

    let sent = requests(&server, "/v2/translate");
    assert!(sent.len() >= 3, "120 texts need 3 requests of at most 50");
    let mut texts = 0;
    for r in &sent {
        assert_eq!(r.headers["authorization"], "DeepL-Auth-Key ***");
        assert!(r.headers["user-agent"].starts_with("lingo/"));
        let b = &r.body;
        assert_eq!(
            (b["source_lang"].as_str(), b["target_lang"].as_str()),
            (Some("EN"), Some("PT-BR"))
        );
        assert_eq!(b["tag_handling"], "xml");
        assert_eq!(b["formality"], "prefer_less");
        assert!(b["glossary_id"].as_str().is_some_and(|id| !id.is_empty()));
        let n = b["text"].as_array().expect("text[]").len();
        assert!(n <= 50, "{n} texts in one request");
        texts += n;
    }
    assert_eq!(texts, 120);
    let with_context: Vec<&Recorded> = sent
        .iter()
        .filter(|r| r.body["context"].is_string())
        .collect();
    assert_eq!(
        with_context.len(),
        sent.len() - 1,
        "every chunk but the first has context"
    );
    assert!(
        with_context[0].body["context"]
            .as_str()
            .unwrap()
            .starts_with("Paragraph ")
    );
    assert_eq!(doc["usage"]["accounts"]["deepl"]["character_count"], 0);
    assert!(
        doc["usage"]["by_backend"]["deepl"]["characters"]
            .as_u64()
            .unwrap()
            > 6000
    );

    // A second run reuses the glossary DeepL already has, found by its content hash.
    json(&run().await);
    let created = requests(&server, "/v2/glossaries")
        .iter()
        .filter(|r| !r.body.is_null())
        .count();
    assert_eq!(created, 1, "the glossary is created once");

    let out = run_with_key(&article, &cfg, "wrong").await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot read what the server offers at start"));
    assert!(
        !stderr(&out).contains("wrong"),
        "the key leaked: {}",
        stderr(&out)
    );
}

async fn run_with_key(
    article: &std::path::Path,
    cfg: &std::path::Path,
    key: &str,
) -> std::process::Output {
    lingo(
        &[
            "translate",
            &article.display().to_string(),
            "--to",
            "pt-BR",
            "--config",
            &cfg.display().to_string(),
        ],
        &[("T_DEEPL_KEY", key)],
    )
    .await
}

/// DeepL's 456 (quota spent) is not retried: the work moves to the next backend, and the
/// spent backend is not asked again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deepl_456_moves_work_to_the_fallback() {
    let deepl = mock(MockOptions {
        character_limit: Some(0),
        ..MockOptions::default()
    })
    .await;
    let llm = mock(MockOptions::default()).await;
    let cfg = write(
        "deepl-456.toml",
        table(
            "deepl",
            "deepl",
            &deepl.url(lingo::Protocol::Deepl),
            "max_chunk_chars = 800\nrate = { max_concurrency = 1 }",
        ) + &table("llm", "openai", &llm.openai_url(), "model = \"m\"")
            + &translate_route("[\"*\"]", "[\"deepl\", \"llm\"]"),
    );
    let doc = json(&translate("reservoir-long.txt", "pt-BR,ru", &cfg, &[]).await);
    assert_faithful(&doc, &["pt-BR", "ru"]);
    let stats = deepl.stats();
    assert_eq!(stats.by_status.get("456"), Some(&1), "{stats:?}");
    assert_eq!(
        stats.requests, 1,
        "a spent quota is not asked again: {stats:?}"
    );
    assert!(
        doc["usage"]["by_backend"]["llm"]["requests"]
            .as_u64()
            .unwrap()
            >= 2
    );
    let warnings = doc["warnings"].to_string();
    assert!(warnings.contains("quota exhausted"), "{warnings}");
}

/// 429 and 529 from DeepL are retried with backoff until the work is done there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deepl_429_and_529_are_retried() {
    let server = mock(MockOptions {
        throttle_rate: 0.3,
        overload_rate: 0.3,
        // The first four requests get 429, 429, 529, 529.
        seed: Some(5),
        ..MockOptions::default()
    })
    .await;
    let cfg = write(
        "deepl-retry.toml",
        table(
            "deepl",
            "deepl",
            &server.url(lingo::Protocol::Deepl),
            "max_chunk_chars = 100\nrate = { requests_per_second = 200, burst = 20, max_concurrency = 8 }\n\
             retry = { max = 15, base_ms = 5, max_ms = 20 }",
        ) + &translate_route("[\"*\"]", "[\"deepl\"]"),
    );
    let doc = json(&translate("reservoir-long.txt", "ru", &cfg, &[]).await);
    assert_faithful(&doc, &["ru"]);
    let stats = server.stats();
    for status in ["429", "529", "200"] {
        assert!(
            stats.by_status.contains_key(status),
            "no {status}: {stats:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libretranslate_codes_key_in_body_and_placeholders() {
    let server = mock(MockOptions {
        api_key: Some("lt-secret".into()),
        throttle_rate: 0.2,
        // The first request gets a 429.
        seed: Some(4),
        ..MockOptions::default()
    })
    .await;
    let cfg = write(
        "libre.toml",
        table(
            "libre",
            "libretranslate",
            &server.url(lingo::Protocol::Libretranslate),
            "api_key_env = \"T_LT_KEY\"\nmax_chunk_chars = 1500\nretry = { max = 10, base_ms = 5, max_ms = 20 }",
        ) + &translate_route("[\"*\"]", "[\"libre\"]")
            + "[protect]\ndo_not_translate = [\"Miriam Okafor\"]\n",
    );
    let terms = glossary("en.zh", "rationing\t限水\n");
    let out = lingo(
        &[
            "translate",
            &sample("reservoir-long.txt"),
            "--to",
            "pt-BR,zh",
            "--format",
            "json",
            "--glossary",
            &terms,
            "--config",
            &cfg.display().to_string(),
        ],
        &[("T_LT_KEY", "lt-secret")],
    )
    .await;
    let doc = json(&out);
    assert_faithful(&doc, &["pt-BR", "zh"]);
    for lang in ["pt-BR", "zh"] {
        let text = text_of(&doc, lang);
        for kept in [URL, MAIL, "`district_supply.csv`", "Miriam Okafor"] {
            assert!(text.contains(kept), "{lang} lost {kept}");
        }
        assert!(!text.contains("<x id"), "{lang} kept a placeholder");
    }
    assert!(text_of(&doc, "zh").contains("限水"));
    let sent = requests(&server, "/translate");
    let targets: std::collections::BTreeSet<&str> = sent
        .iter()
        .filter_map(|r| r.body["target"].as_str())
        .collect();
    assert_eq!(targets.into_iter().collect::<Vec<_>>(), ["pb", "zh-Hans"]);
    for r in &sent {
        assert_eq!(r.body["api_key"], "***", "the key travels in the body");
        assert_eq!(
            (r.body["source"].as_str(), r.body["format"].as_str()),
            (Some("en"), Some("html"))
        );
        assert!(r.body["q"].is_array());
    }
    let q = sent
        .iter()
        .flat_map(|r| r.body["q"].as_array().cloned().unwrap_or_default())
        .map(|t| t.as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !q.contains(URL) && !q.contains(MAIL) && !q.contains("Miriam Okafor"),
        "protected spans were sent"
    );
    assert!(q.contains("<x id=\"1\"/>"));
    assert!(
        server.stats().by_status.contains_key("429"),
        "LibreTranslate's 429 was retried"
    );
}

/// A route naming a language its machine-translation backend does not offer is a config
/// error at start; asking for a language no route serves is bad usage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_languages_are_refused_with_exit_2() {
    let server = mock(MockOptions {
        languages: Some(vec!["en".into(), "pt".into(), "ru".into()]),
        ..MockOptions::default()
    })
    .await;
    let url = server.url(lingo::Protocol::Libretranslate);
    let named = write(
        "named.toml",
        table("libre", "libretranslate", &url, "")
            + &translate_route("[\"pt-BR\", \"hi\"]", "[\"libre\"]"),
    );
    let out = translate("reservoir-long.txt", "pt-BR", &named, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("routes[0].langs: backend 'libre' does not translate into hi"),
        "{}",
        stderr(&out)
    );

    let any = write(
        "any.toml",
        table("deepl", "deepl", &url, "") + &translate_route("[\"*\"]", "[\"deepl\"]"),
    );
    let out = translate("reservoir-long.txt", "ru,hi", &any, &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no route serves translation into hi"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_headers_system_overload_and_spend_limit() {
    let claude = mock(MockOptions {
        api_key: Some("sk-ant".into()),
        overload_rate: 0.3,
        // The first three requests get 529.
        seed: Some(8),
        ..MockOptions::default()
    })
    .await;
    let cfg = write(
        "anthropic.toml",
        table(
            "claude",
            "anthropic",
            &claude.url(lingo::Protocol::Anthropic),
            "model = \"claude-test\"\napi_key_env = \"T_ANT_KEY\"\nmax_chunk_chars = 300\n\
             rate = { requests_per_second = 200, burst = 20, max_concurrency = 8 }\n\
             retry = { max = 15, base_ms = 5, max_ms = 20 }",
        ) + &translate_route("[\"*\"]", "[\"claude\"]"),
    );
    let doc = json(&translate("reservoir-long.txt", "hi", &cfg, &[("T_ANT_KEY", "sk-ant")]).await);
    assert_faithful(&doc, &["hi"]);
    assert!(
        claude.stats().by_status.contains_key("529"),
        "529 was retried"
    );
    let sent = requests(&claude, "/v1/messages");
    for r in &sent {
        assert_eq!(r.headers["x-api-key"], "***");
        assert_eq!(r.headers["anthropic-version"], "2023-06-01");
        assert!(
            r.body["system"]
                .as_str()
                .is_some_and(|s| s.contains("into Hindi"))
        );
        assert!(r.body["max_tokens"].as_u64().is_some());
        let roles: Vec<&str> = r.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["role"].as_str())
            .collect();
        assert_eq!(roles, ["user"]);
    }
    assert!(
        sent.iter().skip(1).any(|r| r.body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("The passage before")),
        "later chunks carry the passage before them"
    );

    // A spent budget (429 enforced_spend_limit_reached) is not retried: the next backend works.
    let spent = mock(MockOptions {
        quota_rate: 1.0,
        ..MockOptions::default()
    })
    .await;
    let llm = mock(MockOptions::default()).await;
    let cfg = write(
        "anthropic-spent.toml",
        table(
            "claude",
            "anthropic",
            &spent.url(lingo::Protocol::Anthropic),
            "model = \"c\"\nrate = { max_concurrency = 1 }",
        ) + &table("llm", "openai", &llm.openai_url(), "model = \"m\"")
            + &translate_route("[\"*\"]", "[\"claude\", \"llm\"]"),
    );
    let doc = json(&translate("reservoir-long.txt", "af", &cfg, &[]).await);
    assert_faithful(&doc, &["af"]);
    assert_eq!(spent.stats().requests, 1, "{:?}", spent.stats());
    assert!(doc["warnings"].to_string().contains("quota exhausted"));
}

/// Ollama's context window is set on every request, large enough for the whole prompt:
/// the mock, like Ollama, drops the start of a prompt that does not fit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ollama_sets_num_ctx_and_never_streams() {
    let server = mock(MockOptions::default()).await;
    let cfg = write(
        "ollama.toml",
        table(
            "local",
            "ollama",
            &server.url(lingo::Protocol::Ollama),
            "model = \"qwen\"\nmax_chunk_tokens = 3000",
        ) + &translate_route("[\"*\"]", "[\"local\"]"),
    );
    let article = many_paragraphs(200).display().to_string();
    let cfg = cfg.display().to_string();
    let args = [
        "translate",
        &article,
        "--to",
        "ru,zh",
        "--format",
        "json",
        "--config",
        &cfg,
    ];
    let doc = json(&lingo(&args, &[]).await);
    assert_faithful(&doc, &["ru", "zh"]);
    for r in requests(&server, "/api/chat") {
        assert_eq!(r.body["stream"], false);
        let prompt: usize = r.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap().chars().count())
            .sum();
        let num_ctx = r.body["options"]["num_ctx"].as_u64().expect("num_ctx set") as usize;
        assert!(
            prompt / 4 > 2048,
            "the prompt ({prompt} chars) outgrows Ollama's default window"
        );
        assert!(
            num_ctx > prompt / 4 + r.body["options"]["num_predict"].as_u64().unwrap() as usize / 2
        );
    }
}

/// With the mock ignoring glossaries, a miss is caught after each chunk and handled as
/// `[validation] glossary` says: kept with a warning, or moved to the next backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glossary_misses_follow_the_validation_policy() {
    let forgetful = mock(MockOptions {
        ignore_glossary: true,
        ..MockOptions::default()
    })
    .await;
    let faithful = mock(MockOptions::default()).await;
    let terms = glossary("en.pt-BR", "rationing\tracionamento\n");
    let run = |policy: &str, backends: &str| {
        let cfg = write(
            "glossary.toml",
            table(
                "forgetful",
                "openai",
                &forgetful.openai_url(),
                "model = \"m\"",
            ) + &table(
                "faithful",
                "openai",
                &faithful.openai_url(),
                "model = \"m\"",
            ) + &translate_route("[\"*\"]", backends)
                + &format!("[validation]\nglossary = \"{policy}\"\n"),
        );
        let terms = terms.clone();
        async move {
            let cfg = cfg.display().to_string();
            json(
                &lingo(
                    &[
                        "translate",
                        &sample("reservoir-long.txt"),
                        "--to",
                        "pt-BR",
                        "--format",
                        "json",
                        "--glossary",
                        &terms,
                        "--config",
                        &cfg,
                    ],
                    &[],
                )
                .await,
            )
        }
    };
    let warned = run("warn", "[\"forgetful\"]").await;
    assert!(!text_of(&warned, "pt-BR").contains("racionamento"));
    let warnings = warned["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["message"]
            .as_str()
            .unwrap()
            .contains("lacks the glossary term 'racionamento' for 'rationing'")
            && w["block"].is_u64()),
        "{warnings:?}"
    );
    let moved = run("next", "[\"forgetful\", \"faithful\"]").await;
    assert_faithful(&moved, &["pt-BR"]);
    assert!(text_of(&moved, "pt-BR").contains("racionamento"));
    assert!(
        moved["usage"]["by_backend"]["faithful"]["requests"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let glossary_hints = requests(&faithful, "/v1/chat/completions")
        .iter()
        .filter(|r| {
            r.headers
                .get("x-lingo-glossary")
                .is_some_and(|g| g.contains("rationing=racionamento"))
        })
        .count();
    assert!(
        glossary_hints >= 1,
        "the glossary travels as a hint to LLMs"
    );
}

/// One article into five languages through a route mixing DeepL and an OpenAI-protocol
/// LLM: DeepL takes the languages it offers, the LLM the rest; every block in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_route_of_deepl_and_llm_keeps_every_block() {
    let deepl = mock(MockOptions {
        languages: Some(["en", "pt", "ru", "zh"].map(String::from).to_vec()),
        ..MockOptions::default()
    })
    .await;
    let llm = mock(MockOptions::default()).await;
    let cfg = write(
        "mixed.toml",
        table(
            "deepl",
            "deepl",
            &deepl.url(lingo::Protocol::Deepl),
            "max_chunk_chars = 600\nrate = { characters_per_minute = 100000 }",
        ) + &table(
            "llm",
            "openai",
            &llm.openai_url(),
            "model = \"m\"\nmax_chunk_chars = 600\nrate = { tokens_per_minute = 100000 }",
        ) + &translate_route("[\"pt-BR\", \"ru\", \"zh\"]", "[\"deepl\", \"llm\"]")
            + &translate_route("[\"*\"]", "[\"llm\"]"),
    );
    let langs = ["pt-BR", "ru", "hi", "zh", "af"];
    let doc = json(&translate("transit-strike.md", &langs.join(","), &cfg, &[]).await);
    assert_faithful(&doc, &langs);
    let deepl_langs: Vec<String> = deepl.stats().by_target_lang.into_keys().collect();
    assert_eq!(deepl_langs, ["pt-BR", "ru", "zh"]);
    let llm_langs: Vec<String> = llm.stats().by_target_lang.into_keys().collect();
    assert_eq!(llm_langs, ["af", "hi"]);
}

/// Every example config passes `check-config` once its keys are in the environment, and
/// names the missing variable when one is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_examples_pass_check_config() {
    let keys = [
        ("OPENAI_API_KEY", "k"),
        ("ANTHROPIC_API_KEY", "k"),
        ("DEEPL_API_KEY", "k"),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("config/examples")
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "anthropic.toml",
            "deepl.toml",
            "libretranslate.toml",
            "newsroom.toml",
            "ollama.toml",
            "openai.toml"
        ]
    );
    for name in &names {
        let path = format!("config/examples/{name}");
        let out = lingo(&["check-config", &path], &keys).await;
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(!printed.contains("\"k\""), "{name} printed a key");
    }
    let out = lingo(&["check-config", "config/examples/deepl.toml"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("backends[0].api_key_env: environment variable DEEPL_API_KEY is not set")
    );
}
