//! The messages of config loading, pinned: each edit of a valid config gives its file,
//! dotted key and reason.

use super::Config;
use std::path::Path;

const BASE: &str = r#"
[[backends]]
name = "llm"
kind = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "m"
api_key_env = "LLM_KEY"

[[routes]]
task = "translate"
langs = ["*"]
backends = ["llm"]
"#;

fn check(edit: impl Fn(&str) -> String, expect: &str) {
    let text = edit(BASE);
    let env = |name: &str| (name == "LLM_KEY").then(|| "sk-secret".to_string());
    let got = match Config::from_toml_with_env(&text, Path::new("x.toml"), &env) {
        Ok(c) => format!("ok {}", c.to_toml().contains("sk-secret")),
        Err(e) => e.to_string(),
    };
    assert!(got.contains(expect), "expected {expect:?} in {got:?}");
}

#[test]
fn valid_config_masks_secrets() {
    check(|s| s.to_string(), "ok false");
}

#[test]
fn errors_name_file_and_key() {
    check(
        |s| s.replace("model = \"m\"", "modle = \"m\""),
        "x.toml: backends[0].modle: unknown field `modle`",
    );
    check(
        |s| s.replace("[\"llm\"]", "[\"nope\"]"),
        "routes[0].backends[0]: unknown backend 'nope'",
    );
    check(
        |s| s.replace("LLM_KEY", "OTHER_KEY"),
        "backends[0].api_key_env: environment variable OTHER_KEY is not set",
    );
    check(|s| format!("{s}\nname = = 3\n"), "x.toml: (syntax): ");
    check(
        |s| s.replace("model = \"m\"", "model = \"m\"\nrate = { burst = 0 }"),
        "backends[0].rate.burst: must be at least 1",
    );
    check(
        |s| {
            s.replace(
                "model = \"m\"",
                "model = \"m\"\nrate = { requests_per_second = -1 }",
            )
        },
        "backends[0].rate.requests_per_second",
    );
    check(
        |s| {
            s.replace(
                "model = \"m\"",
                "model = \"m\"\nrate = { tokens_per_minute = 10 }",
            )
        },
        "backends[0].rate.tokens_per_minute: 10 cannot fit one full chunk",
    );
    check(
        |s| {
            s.replace(
                "backends = [\"llm\"]",
                "backends = [\"llm\"]\nstrategy = \"pivot\"",
            )
        },
        "routes[0].strategy: strategy applies to summarize routes only",
    );
    check(
        |s| s.replace("[\"*\"]", "[\"xx\"]"),
        "routes[0].langs[0]: unknown language tag 'xx'",
    );
    check(
        |s| s.replace("kind = \"openai\"", "kind = \"fax\""),
        "backends[0].kind: unknown variant `fax`",
    );
    check(
        |s| s.replace("http://127.0.0.1:9/v1", "ftp://x"),
        "backends[0].base_url: 'ftp://x' is not an http(s) URL",
    );
    check(
        |s| {
            s.replace(
                "name = \"llm\"",
                "name = \"llm\"\nmock = { fail_rate = 2.0 }",
            )
        },
        "backends[0].protocol",
    );
}

/// Numbers a limiter or a clock cannot hold are refused at load, not met as a panic later.
#[test]
fn impossible_numbers_are_refused() {
    let with =
        |line: String| move |s: &str| s.replace("model = \"m\"", &format!("model = \"m\"\n{line}"));
    for rps in ["1e-30", "0", "1e30", "nan"] {
        check(
            with(format!("rate = {{ requests_per_second = {rps} }}")),
            "backends[0].rate.requests_per_second: must be a number from 0.001",
        );
    }
    check(
        with("timeout_ms = 9223372036854775807".into()),
        "backends[0].timeout_ms: must be from 1 to 3600000",
    );
    check(
        with("retry = { max_ms = 9223372036854775807 }".into()),
        "backends[0].retry.max_ms: need 0 < base_ms <= max_ms <= 3600000",
    );
    check(
        |s| format!("{s}\n[server]\ndrain_ms = 9223372036854775807\n"),
        "server.drain_ms: must be from 0 to 3600000",
    );
    check(
        |s| format!("{s}\n[webhooks]\nbase_ms = 9223372036854775807\n"),
        "webhooks: max_attempts must be above 0, and base_ms from 1 to 3600000",
    );
}
