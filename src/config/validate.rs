//! Phase two of config loading: defaults, cross-references and limits, each failure
//! naming the dotted key (`backends[1].rate.burst`) and what to do about it.

use std::collections::HashSet;
use std::path::Path;

use super::raw::{
    RawBackend, RawConfig, RawGlossaries, RawRate, RawRetry, RawRoute, RawServer, RawStore,
    RawWebhooks,
};
use super::{
    ApiKey, BackendConfig, BackendKind, Config, ConfigError, Endpoint, Protocol, RateLimits,
    RetryPolicy, Route, ServerConfig, StoreConfig, Task, WebhookConfig,
};
use crate::chunk::Budget;
use crate::glossary::Glossaries;
use crate::lang::LangTag;
use crate::protect::Rules;
use crate::secret::Secret;
use crate::validate::Policy;

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
/// DeepL takes 128 KiB per request: chunks stay well inside it, whatever the script.
const DEEPL_MAX_CHUNK_CHARS: usize = 30_000;
const FORMALITIES: &[&str] = &["default", "more", "less", "prefer_more", "prefer_less"];

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
            "no [[routes]] table: add one naming the backends for task \"translate\" or \"summarize\"",
        ));
    }
    let routes = raw
        .routes
        .into_iter()
        .enumerate()
        .map(|(i, r)| route(&ctx, &format!("routes[{i}]"), r, &backends))
        .collect::<Result<_, _>>()?;
    let defaults = Policy::default();
    let v = raw.validation;
    let validation = Policy {
        language: v.language.unwrap_or(defaults.language),
        numbers: v.numbers.unwrap_or(defaults.numbers),
        length_ratio: v.length_ratio.unwrap_or(defaults.length_ratio),
        grounding: v.grounding.unwrap_or(defaults.grounding),
        glossary: v.glossary.unwrap_or(defaults.glossary),
    };
    let do_not_translate = raw.protect.do_not_translate.unwrap_or_default();
    if let Some(i) = do_not_translate.iter().position(|w| w.trim().is_empty()) {
        return Err(ctx.err(
            format!("protect.do_not_translate[{i}]"),
            "empty: list words and names to keep as written",
        ));
    }
    Ok(Config {
        source: path.to_path_buf(),
        backends,
        routes,
        validation,
        protect: Rules { do_not_translate },
        glossaries: glossaries(&ctx, path, &raw.glossaries)?,
        server: server(&ctx, raw.server)?,
        store: store(path, raw.store),
        webhooks: webhooks(&ctx, raw.webhooks)?,
    })
}

fn server(ctx: &Ctx, raw: RawServer) -> Result<ServerConfig, ConfigError> {
    let listen = raw.listen.as_deref().unwrap_or("127.0.0.1:8080");
    let listen = listen.parse().map_err(|_| {
        ctx.err(
            "server.listen",
            format!("'{listen}' is not an address: write IP:PORT, e.g. \"127.0.0.1:8080\""),
        )
    })?;
    let mut api_keys = Vec::new();
    for (i, key) in raw.api_keys.unwrap_or_default().into_iter().enumerate() {
        let hex = key.sha256.to_ascii_lowercase();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let fix =
                "must be the SHA-256 of the key in hex (64 digits): printf %s KEY | sha256sum";
            return Err(ctx.err(format!("server.api_keys[{i}].sha256"), fix));
        }
        api_keys.push(ApiKey {
            name: key.name,
            sha256: hex,
        });
    }
    let positive = |key: &str, v: u64| {
        if v == 0 {
            Err(ctx.err(format!("server.{key}"), "must be above 0"))
        } else {
            Ok(())
        }
    };
    let server = ServerConfig {
        listen,
        api_keys,
        requests_per_minute: raw.requests_per_minute.unwrap_or(120),
        max_body_bytes: raw.max_body_bytes.unwrap_or(1024 * 1024),
        max_langs: raw.max_langs.unwrap_or(20),
        sync_timeout_ms: raw.sync_timeout_ms.unwrap_or(120_000),
        max_jobs: raw.max_jobs.unwrap_or(16),
        drain_ms: raw.drain_ms.unwrap_or(10_000),
    };
    positive("requests_per_minute", u64::from(server.requests_per_minute))?;
    positive("max_body_bytes", server.max_body_bytes as u64)?;
    positive("max_langs", server.max_langs as u64)?;
    positive("sync_timeout_ms", server.sync_timeout_ms)?;
    positive("max_jobs", server.max_jobs as u64)?;
    Ok(server)
}

fn store(path: &Path, raw: RawStore) -> StoreConfig {
    let beside = path.parent().unwrap_or(Path::new("."));
    StoreConfig {
        path: beside.join(raw.path.as_deref().unwrap_or("lingo.db")),
    }
}

fn webhooks(ctx: &Ctx, raw: RawWebhooks) -> Result<WebhookConfig, ConfigError> {
    let hooks = WebhookConfig {
        allow: raw.allow,
        max_attempts: raw.max_attempts.unwrap_or(8),
        base_ms: raw.base_ms.unwrap_or(1000),
    };
    if hooks.max_attempts == 0 || hooks.base_ms == 0 {
        let fix = "max_attempts and base_ms must be above 0";
        return Err(ctx.err("webhooks", fix));
    }
    Ok(hooks)
}

/// The glossary folder: `[glossaries] dir`, or `glossaries/` beside the config file when
/// there is one.
fn glossaries(ctx: &Ctx, path: &Path, raw: &RawGlossaries) -> Result<Glossaries, ConfigError> {
    let beside = path.parent().unwrap_or(Path::new("."));
    let dir = match &raw.dir {
        Some(dir) => beside.join(dir),
        None if beside.join("glossaries").is_dir() => beside.join("glossaries"),
        None => return Ok(Glossaries::default()),
    };
    Glossaries::load_dir(&dir).map_err(|e| ctx.err("glossaries.dir", e.to_string()))
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
    let endpoint = endpoint(ctx, key, &rb)?;
    let model = match (rb.model, rb.kind) {
        (Some(m), _) if !m.trim().is_empty() => m,
        (_, BackendKind::Mock) => "mock-1".to_string(),
        (_, BackendKind::Extractive) => "textrank".to_string(),
        (_, BackendKind::Deepl) => "deepl".to_string(),
        (_, BackendKind::Libretranslate) => "libretranslate".to_string(),
        _ => {
            let fix = "missing: name the model the server should run, e.g. model = \"gpt-4o-mini\"";
            return Err(ctx.err(k("model"), fix));
        }
    };
    let api_key = match &rb.api_key_env {
        None => None,
        Some(var) => match env(var) {
            Some(v) if !v.is_empty() => Some(Secret::new(v)),
            _ => {
                let fix = format!(
                    "environment variable {var} is not set: export it, or remove api_key_env for a server without auth"
                );
                return Err(ctx.err(k("api_key_env"), fix));
            }
        },
    };
    let protocol = match (&endpoint, rb.kind) {
        (Endpoint::Mock { protocol, .. }, _) => Some(*protocol),
        (_, BackendKind::Deepl) => Some(Protocol::Deepl),
        (_, BackendKind::Libretranslate) => Some(Protocol::Libretranslate),
        _ => None,
    };
    let mt = protocol.is_some_and(Protocol::is_machine_translation);
    let tasks = match (rb.kind, rb.tasks) {
        (BackendKind::Extractive, Some(t)) if t.contains(&Task::Translate) => {
            let fix = "an extractive backend only summarizes: use tasks = [\"summarize\"]";
            return Err(ctx.err(k("tasks"), fix));
        }
        (BackendKind::Extractive, None) => vec![Task::Summarize],
        (_, Some(t)) if mt && t.contains(&Task::Summarize) => {
            let fix = "a machine-translation API only translates: use tasks = [\"translate\"]";
            return Err(ctx.err(k("tasks"), fix));
        }
        (_, None) if mt => vec![Task::Translate],
        (_, Some(t)) if t.is_empty() => {
            return Err(ctx.err(
                k("tasks"),
                "empty: list \"translate\", \"summarize\" or both",
            ));
        }
        (_, Some(t)) => t,
        (_, None) => vec![Task::Translate, Task::Summarize],
    };
    let budget = budget(ctx, key, rb.max_chunk_chars, rb.max_chunk_tokens)?;
    match (mt, budget) {
        (true, Budget::Tokens(_)) => {
            let fix = "a machine-translation API counts characters: use max_chunk_chars";
            return Err(ctx.err(k("max_chunk_tokens"), fix));
        }
        (true, Budget::Chars(n))
            if protocol == Some(Protocol::Deepl) && n > DEEPL_MAX_CHUNK_CHARS =>
        {
            let fix = format!(
                "{n} is more than one DeepL request takes: use at most {DEEPL_MAX_CHUNK_CHARS}"
            );
            return Err(ctx.err(k("max_chunk_chars"), fix));
        }
        _ => {}
    }
    if let Some(f) = &rb.formality {
        if protocol != Some(Protocol::Deepl) {
            let fix = "formality applies to DeepL only: remove it";
            return Err(ctx.err(k("formality"), fix));
        }
        if !FORMALITIES.contains(&f.as_str()) {
            let fix = format!("'{f}' is not one of {}", FORMALITIES.join(", "));
            return Err(ctx.err(k("formality"), fix));
        }
    }
    let timeout_ms = rb.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if timeout_ms == 0 {
        return Err(ctx.err(k("timeout_ms"), "must be above 0 (milliseconds)"));
    }
    Ok(BackendConfig {
        name: rb.name,
        kind: rb.kind,
        endpoint,
        model,
        api_key_env: rb.api_key_env,
        api_key,
        tasks,
        budget,
        timeout_ms,
        formality: rb.formality,
        rate: rate(ctx, key, &rb.rate, budget, mt)?,
        retry: retry(ctx, key, &rb.retry)?,
    })
}

fn endpoint(ctx: &Ctx, key: &str, rb: &RawBackend) -> Result<Endpoint, ConfigError> {
    let k = |field: &str| format!("{key}.{field}");
    match rb.kind {
        BackendKind::Openai
        | BackendKind::Anthropic
        | BackendKind::Ollama
        | BackendKind::Deepl
        | BackendKind::Libretranslate => {
            if rb.protocol.is_some() || rb.mock.is_some() {
                let fix = "`protocol` and `mock` apply to kind = \"mock\" only: remove them";
                return Err(ctx.err(k("protocol"), fix));
            }
            let Some(url) = &rb.base_url else {
                let fix = match rb.kind {
                    BackendKind::Openai => {
                        "missing: give the API root, e.g. \"https://api.openai.com/v1\""
                    }
                    BackendKind::Anthropic => {
                        "missing: give the API root, e.g. \"https://api.anthropic.com/v1\""
                    }
                    BackendKind::Ollama => {
                        "missing: give the server, e.g. \"http://127.0.0.1:11434\""
                    }
                    BackendKind::Deepl => {
                        "missing: give the server, e.g. \"https://api-free.deepl.com\""
                    }
                    _ => "missing: give the server, e.g. \"http://127.0.0.1:5000\"",
                };
                return Err(ctx.err(k("base_url"), fix));
            };
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Endpoint::Remote {
                    base_url: url.trim_end_matches('/').to_string(),
                }),
                _ => Err(ctx.err(k("base_url"), format!("'{url}' is not an http(s) URL"))),
            }
        }
        BackendKind::Extractive => {
            if rb.base_url.is_some() || rb.protocol.is_some() || rb.mock.is_some() {
                let fix =
                    "an extractive backend runs inside lingo: remove base_url, protocol and mock";
                return Err(ctx.err(k("base_url"), fix));
            }
            Ok(Endpoint::Builtin {})
        }
        BackendKind::Mock => {
            if rb.base_url.is_some() {
                let fix = "a mock backend is started in-process: remove base_url, or use kind = \"openai\" to reach a running `lingo mock`";
                return Err(ctx.err(k("base_url"), fix));
            }
            let mock = rb.mock.clone().unwrap_or_default();
            mock.validate()
                .map_err(|(field, msg)| ctx.err(format!("{key}.mock.{field}"), msg))?;
            Ok(Endpoint::Mock {
                protocol: rb.protocol.unwrap_or(super::Protocol::Openai),
                mock,
            })
        }
    }
}

fn budget(
    ctx: &Ctx,
    key: &str,
    chars: Option<usize>,
    tokens: Option<usize>,
) -> Result<Budget, ConfigError> {
    let too_small = |field: &str, n: usize| {
        ctx.err(
            format!("{key}.{field}"),
            format!("{n} is too small: use at least {MIN_CHUNK}"),
        )
    };
    match (chars, tokens) {
        (Some(_), Some(_)) => Err(ctx.err(
            format!("{key}.max_chunk_tokens"),
            "set max_chunk_chars or max_chunk_tokens, not both",
        )),
        (_, Some(n)) if n < MIN_CHUNK => Err(too_small("max_chunk_tokens", n)),
        (Some(n), _) if n < MIN_CHUNK => Err(too_small("max_chunk_chars", n)),
        (_, Some(n)) => Ok(Budget::Tokens(n)),
        (n, None) => Ok(Budget::Chars(n.unwrap_or(DEFAULT_CHUNK_CHARS))),
    }
}

fn rate(
    ctx: &Ctx,
    key: &str,
    raw: &RawRate,
    budget: Budget,
    mt: bool,
) -> Result<RateLimits, ConfigError> {
    let k = |field: &str| format!("{key}.rate.{field}");
    let rate = RateLimits {
        requests_per_second: raw.requests_per_second.unwrap_or(DEFAULT_RPS),
        burst: raw.burst.unwrap_or(DEFAULT_BURST),
        tokens_per_minute: raw.tokens_per_minute,
        characters_per_minute: raw.characters_per_minute,
        max_concurrency: raw.max_concurrency.unwrap_or(DEFAULT_CONCURRENCY),
    };
    if mt && rate.tokens_per_minute.is_some() {
        let fix = "a machine-translation API bills characters: use characters_per_minute";
        return Err(ctx.err(k("tokens_per_minute"), fix));
    }
    if let Some(cpm) = rate.characters_per_minute {
        let needed = match budget {
            Budget::Chars(n) => n,
            Budget::Tokens(n) => n * 4,
        };
        if (cpm as usize) < needed {
            let fix = format!(
                "{cpm} cannot fit one full chunk (about {needed} characters): raise it or lower max_chunk_chars"
            );
            return Err(ctx.err(k("characters_per_minute"), fix));
        }
    }
    if !(rate.requests_per_second.is_finite() && rate.requests_per_second > 0.0) {
        let fix = "must be a number above 0 (e.g. 0.5 for one request every two seconds)";
        return Err(ctx.err(k("requests_per_second"), fix));
    }
    if rate.burst == 0 {
        return Err(ctx.err(k("burst"), "must be at least 1"));
    }
    if rate.max_concurrency == 0 {
        return Err(ctx.err(k("max_concurrency"), "must be at least 1"));
    }
    if let Some(tpm) = rate.tokens_per_minute {
        let needed = budget_tokens(budget);
        if (tpm as usize) < needed {
            let fix = format!(
                "{tpm} cannot fit one full chunk (about {needed} tokens): raise it or lower the chunk size"
            );
            return Err(ctx.err(k("tokens_per_minute"), fix));
        }
    }
    Ok(rate)
}

fn retry(ctx: &Ctx, key: &str, raw: &RawRetry) -> Result<RetryPolicy, ConfigError> {
    let retry = RetryPolicy {
        max: raw.max.unwrap_or(DEFAULT_RETRY_MAX),
        base_ms: raw.base_ms.unwrap_or(DEFAULT_RETRY_BASE_MS),
        max_ms: raw.max_ms.unwrap_or(DEFAULT_RETRY_MAX_MS),
    };
    if retry.max > MAX_RETRIES {
        let fix = format!(
            "{} retries is too many: use at most {MAX_RETRIES}",
            retry.max
        );
        return Err(ctx.err(format!("{key}.retry.max"), fix));
    }
    if retry.base_ms == 0 || retry.max_ms < retry.base_ms {
        return Err(ctx.err(format!("{key}.retry.max_ms"), "need 0 < base_ms <= max_ms"));
    }
    Ok(retry)
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
                    "backend '{name}' does not list task \"{}\" in its tasks",
                    rr.task.as_str()
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
    let strategy = match (rr.task, rr.strategy) {
        (Task::Translate, Some(_)) => {
            return Err(ctx.err(
                format!("{key}.strategy"),
                "strategy applies to summarize routes only: remove it",
            ));
        }
        (Task::Summarize, strategy) => Some(strategy.unwrap_or_default()),
        (Task::Translate, None) => None,
    };
    Ok(Route {
        task: rr.task,
        langs,
        backends: rr.backends,
        strategy,
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
}
