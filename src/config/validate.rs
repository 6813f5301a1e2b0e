//! Phase two of config loading: defaults, cross-references and limits, each failure
//! naming the dotted key (`backends[1].rate.burst`) and what to do about it.

use std::collections::HashSet;
use std::path::Path;

use super::raw::{RawBackend, RawConfig, RawRoute};
use super::{
    BackendConfig, BackendKind, Config, ConfigError, Endpoint, RateLimits, RetryPolicy, Route, Task,
};
use crate::chunk::Budget;
use crate::lang::LangTag;
use crate::secret::Secret;

const DEFAULT_CHUNK_CHARS: usize = 2000;
const MIN_CHUNK: usize = 16;
const DEFAULT_TIMEOUT_MS: u64 = 30_000;
const DEFAULT_RPS: f64 = 10.0;
const DEFAULT_BURST: u32 = 5;
const DEFAULT_CONCURRENCY: usize = 4;
const DEFAULT_RETRY_MAX: u32 = 4;
const DEFAULT_RETRY_BASE_MS: u64 = 200;
const DEFAULT_RETRY_MAX_MS: u64 = 10_000;
const MAX_RETRIES: u32 = 20;

struct Ctx<'a> {
    file: &'a Path,
}

impl Ctx<'_> {
    fn err(&self, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.display().to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
}

/// TOML to raw structs; the error names the key path serde was at and the line.
pub(super) fn parse(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    let ctx = Ctx { file: path };
    let located = |e: &toml::de::Error| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let message = e.message().trim().replace('\n', " ");
        match line {
            Some(line) => format!("{message} (line {line})"),
            None => message,
        }
    };
    let de = toml::Deserializer::parse(text).map_err(|e| ctx.err("(syntax)", located(&e)))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." {
            "(top level)".to_string()
        } else {
            key
        };
        ctx.err(key, located(e.inner()))
    })
}

pub(super) fn validate(
    raw: RawConfig,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let ctx = Ctx { file: path };
    if raw.backends.is_empty() {
        return Err(ctx.err(
            "backends",
            "no [[backends]] table: add at least one backend",
        ));
    }
    let mut names = HashSet::new();
    let mut backends = Vec::new();
    for (i, rb) in raw.backends.into_iter().enumerate() {
        let key = format!("backends[{i}]");
        if !names.insert(rb.name.clone()) {
            return Err(ctx.err(
                format!("{key}.name"),
                format!(
                    "backend name '{}' is used twice: names must be unique",
                    rb.name
                ),
            ));
        }
        backends.push(backend(&ctx, &key, rb, env)?);
    }
    if raw.routes.is_empty() {
        return Err(ctx.err(
            "routes",
            "no [[routes]] table: add one naming the backends for task \"translate\"",
        ));
    }
    let routes = raw
        .routes
        .into_iter()
        .enumerate()
        .map(|(i, r)| route(&ctx, &format!("routes[{i}]"), r, &backends))
        .collect::<Result<_, _>>()?;
    Ok(Config {
        source: path.to_path_buf(),
        backends,
        routes,
    })
}

fn backend(
    ctx: &Ctx,
    key: &str,
    rb: RawBackend,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BackendConfig, ConfigError> {
    let k = |field: &str| format!("{key}.{field}");
    if rb.name.trim().is_empty() {
        return Err(ctx.err(
            k("name"),
            "empty backend name: give each backend a short unique name",
        ));
    }
    let endpoint = match rb.kind {
        BackendKind::Openai => {
            if rb.protocol.is_some() || rb.mock.is_some() {
                return Err(ctx.err(
                    k("protocol"),
                    "`protocol` and `mock` apply to kind = \"mock\" only: remove them",
                ));
            }
            let url = rb.base_url.ok_or_else(|| {
                ctx.err(
                    k("base_url"),
                    "missing: give the server's API root, e.g. \"http://127.0.0.1:9001/v1\"",
                )
            })?;
            match url::Url::parse(&url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => return Err(ctx.err(k("base_url"), format!("'{url}' is not an http(s) URL"))),
            }
            Endpoint::Remote {
                base_url: url.trim_end_matches('/').to_string(),
            }
        }
        BackendKind::Mock => {
            if rb.base_url.is_some() {
                return Err(ctx.err(
                    k("base_url"),
                    "a mock backend is started in-process: remove base_url, or use kind = \"openai\" to reach a running `lingo mock`",
                ));
            }
            let mock = rb.mock.unwrap_or_default();
            mock.validate()
                .map_err(|(field, msg)| ctx.err(format!("{key}.mock.{field}"), msg))?;
            Endpoint::Mock {
                protocol: rb.protocol.unwrap_or(super::Protocol::Openai),
                mock,
            }
        }
    };
    let model = match (rb.model, rb.kind) {
        (Some(m), _) if !m.trim().is_empty() => m,
        (_, BackendKind::Mock) => "mock-1".to_string(),
        _ => {
            return Err(ctx.err(
                k("model"),
                "missing: name the model the server should run, e.g. model = \"gpt-4o-mini\"",
            ));
        }
    };
    let api_key = match &rb.api_key_env {
        None => None,
        Some(var) => match env(var) {
            Some(v) if !v.is_empty() => Some(Secret::new(v)),
            _ => {
                return Err(ctx.err(
                    k("api_key_env"),
                    format!("environment variable {var} is not set: export it, or remove api_key_env for a server without auth"),
                ));
            }
        },
    };
    let budget = match (rb.max_chunk_chars, rb.max_chunk_tokens) {
        (Some(_), Some(_)) => {
            return Err(ctx.err(
                k("max_chunk_tokens"),
                "set max_chunk_chars or max_chunk_tokens, not both",
            ));
        }
        (_, Some(n)) if n < MIN_CHUNK => {
            return Err(ctx.err(
                k("max_chunk_tokens"),
                format!("{n} is too small: use at least {MIN_CHUNK}"),
            ));
        }
        (Some(n), _) if n < MIN_CHUNK => {
            return Err(ctx.err(
                k("max_chunk_chars"),
                format!("{n} is too small: use at least {MIN_CHUNK}"),
            ));
        }
        (_, Some(n)) => Budget::Tokens(n),
        (n, None) => Budget::Chars(n.unwrap_or(DEFAULT_CHUNK_CHARS)),
    };
    let timeout_ms = rb.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms == 0 {
        return Err(ctx.err(k("timeout_ms"), "must be above 0 (milliseconds)"));
    }
    let rate = RateLimits {
        requests_per_second: rb.rate.requests_per_second.unwrap_or(DEFAULT_RPS),
        burst: rb.rate.burst.unwrap_or(DEFAULT_BURST),
        tokens_per_minute: rb.rate.tokens_per_minute,
        max_concurrency: rb.rate.max_concurrency.unwrap_or(DEFAULT_CONCURRENCY),
    };
    if !(rate.requests_per_second.is_finite() && rate.requests_per_second > 0.0) {
        return Err(ctx.err(
            k("rate.requests_per_second"),
            "must be a number above 0 (e.g. 0.5 for one request every two seconds)",
        ));
    }
    if rate.burst == 0 {
        return Err(ctx.err(k("rate.burst"), "must be at least 1"));
    }
    if rate.max_concurrency == 0 {
        return Err(ctx.err(k("rate.max_concurrency"), "must be at least 1"));
    }
    if let Some(tpm) = rate.tokens_per_minute {
        let needed = budget_tokens(budget);
        if (tpm as usize) < needed {
            return Err(ctx.err(
                k("rate.tokens_per_minute"),
                format!("{tpm} cannot fit one full chunk (about {needed} tokens): raise it or lower the chunk size"),
            ));
        }
    }
    let retry = RetryPolicy {
        max: rb.retry.max.unwrap_or(DEFAULT_RETRY_MAX),
        base_ms: rb.retry.base_ms.unwrap_or(DEFAULT_RETRY_BASE_MS),
        max_ms: rb.retry.max_ms.unwrap_or(DEFAULT_RETRY_MAX_MS),
    };
    if retry.max > MAX_RETRIES {
        return Err(ctx.err(
            k("retry.max"),
            format!(
                "{} retries is too many: use at most {MAX_RETRIES}",
                retry.max
            ),
        ));
    }
    if retry.base_ms == 0 || retry.max_ms < retry.base_ms {
        return Err(ctx.err(k("retry.max_ms"), "need 0 < base_ms <= max_ms"));
    }
    Ok(BackendConfig {
        name: rb.name,
        kind: rb.kind,
        endpoint,
        model,
        api_key_env: rb.api_key_env,
        api_key,
        tasks: rb.tasks.unwrap_or_else(|| vec![Task::Translate]),
        budget,
        timeout_ms,
        rate,
        retry,
    })
}

/// The fewest tokens one full chunk of this budget needs: the chunk in and about as much out.
pub fn budget_tokens(budget: Budget) -> usize {
    match budget {
        Budget::Tokens(n) => 2 * n,
        Budget::Chars(n) => n / 2,
    }
}

fn route(
    ctx: &Ctx,
    key: &str,
    rr: RawRoute,
    backends: &[BackendConfig],
) -> Result<Route, ConfigError> {
    if rr.langs.is_empty() {
        return Err(ctx.err(
            format!("{key}.langs"),
            "empty: list language tags, or [\"*\"] for all",
        ));
    }
    let langs = if rr.langs.iter().any(|l| l == "*") {
        None
    } else {
        let tags = rr
            .langs
            .iter()
            .enumerate()
            .map(|(i, l)| {
                LangTag::parse(l).map_err(|e| ctx.err(format!("{key}.langs[{i}]"), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(tags)
    };
    if rr.backends.is_empty() {
        return Err(ctx.err(
            format!("{key}.backends"),
            "empty: name at least one backend, in fallback order",
        ));
    }
    let mut seen = HashSet::new();
    for (i, name) in rr.backends.iter().enumerate() {
        let bkey = format!("{key}.backends[{i}]");
        let Some(b) = backends.iter().find(|b| &b.name == name) else {
            let known: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
            return Err(ctx.err(
                bkey,
                format!(
                    "unknown backend '{name}': known backends are {}",
                    known.join(", ")
                ),
            ));
        };
        if !b.tasks.contains(&rr.task) {
            return Err(ctx.err(
                bkey,
                format!(
                    "backend '{name}' does not list task {:?} in its tasks",
                    rr.task
                ),
            ));
        }
        if !seen.insert(name) {
            return Err(ctx.err(
                bkey,
                format!("backend '{name}' appears twice in this route"),
            ));
        }
    }
    Ok(Route {
        task: rr.task,
        langs,
        backends: rr.backends,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Config;
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
}
