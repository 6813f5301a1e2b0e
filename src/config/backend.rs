//! Phase two for one `[[backends]]` table: where it is reached, which model and key, what
//! it does, how much one call carries, and limits a provider could actually keep. Each
//! protocol's own rules (machine translation bills characters and only translates,
//! DeepL's chunk cap and formality values) come from [`crate::protocol`].

use std::path::Path;

use super::raw::{RawBackend, RawRate, RawRetry};
use super::{BackendConfig, BackendKind, ConfigError, Endpoint, MAX_MS, RateLimits, RetryPolicy};
use crate::chunk::Budget;
use crate::protocol::{Protocol, Task, deepl};
use crate::secret::Secret;

const DEFAULT_CHUNK_CHARS: usize = 2000;
const MIN_CHUNK: usize = 16;
const DEFAULT_TIMEOUT_MS: u64 = 30_000;
const DEFAULT_RPS: f64 = 10.0;
/// One request every quarter of an hour at the least; anything slower is a typo, and
/// its period would not fit the limiter's clock.
const MIN_RPS: f64 = 0.001;
const MAX_RPS: f64 = 1_000_000.0;
const DEFAULT_BURST: u32 = 5;
const DEFAULT_CONCURRENCY: usize = 4;
const DEFAULT_RETRY_MAX: u32 = 4;
const DEFAULT_RETRY_BASE_MS: u64 = 200;
const DEFAULT_RETRY_MAX_MS: u64 = 10_000;
const MAX_RETRIES: u32 = 20;

/// What a backend needs to know to be checked: the file for messages, the table's key
/// (`backends[2]`) and the environment its secret comes from.
pub(super) struct Table<'a> {
    pub file: &'a Path,
    pub key: String,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl Table<'_> {
    fn err(&self, field: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::at(self.file, format!("{}.{field}", self.key), message)
    }
}

pub(super) fn backend(t: &Table, rb: RawBackend) -> Result<BackendConfig, ConfigError> {
    if rb.name.trim().is_empty() {
        let fix = "empty backend name: give each backend a short unique name";
        return Err(t.err("name", fix));
    }
    let endpoint = endpoint(t, &rb)?;
    let protocol = match &endpoint {
        Endpoint::Remote { protocol, .. } | Endpoint::Mock { protocol, .. } => Some(*protocol),
        Endpoint::Builtin {} => None,
    };
    let model = match rb.model {
        Some(m) if !m.trim().is_empty() => m,
        _ => default_model(rb.kind, protocol).ok_or_else(|| {
            t.err(
                "model",
                "missing: name the model the server should run, e.g. model = \"gpt-4o-mini\"",
            )
        })?,
    };
    let api_key = match &rb.api_key_env {
        None => None,
        Some(var) => match (t.env)(var) {
            Some(v) if !v.is_empty() => Some(Secret::new(v)),
            _ => {
                let fix = format!(
                    "environment variable {var} is not set: export it, or remove api_key_env for a server without auth"
                );
                return Err(t.err("api_key_env", fix));
            }
        },
    };
    let mt = protocol.is_some_and(Protocol::is_machine_translation);
    let tasks = tasks(t, rb.kind, mt, rb.tasks)?;
    let budget = budget(t, rb.max_chunk_chars, rb.max_chunk_tokens)?;
    match (mt, budget) {
        (true, Budget::Tokens(_)) => {
            let fix = "a machine-translation API counts characters: use max_chunk_chars";
            return Err(t.err("max_chunk_tokens", fix));
        }
        (true, Budget::Chars(n))
            if protocol == Some(Protocol::Deepl) && n > deepl::MAX_CHUNK_CHARS =>
        {
            let fix = format!(
                "{n} is more than one DeepL request takes: use at most {}",
                deepl::MAX_CHUNK_CHARS
            );
            return Err(t.err("max_chunk_chars", fix));
        }
        _ => {}
    }
    if let Some(f) = &rb.formality {
        if protocol != Some(Protocol::Deepl) {
            return Err(t.err("formality", "formality applies to DeepL only: remove it"));
        }
        if !deepl::FORMALITIES.contains(&f.as_str()) {
            let fix = format!("'{f}' is not one of {}", deepl::FORMALITIES.join(", "));
            return Err(t.err("formality", fix));
        }
    }
    let timeout_ms = rb.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !(1..=MAX_MS).contains(&timeout_ms) {
        let fix = format!("must be from 1 to {MAX_MS} (milliseconds)");
        return Err(t.err("timeout_ms", fix));
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
        rate: rate(t, &rb.rate, budget, mt)?,
        retry: retry(t, &rb.retry)?,
    })
}

fn default_model(kind: BackendKind, protocol: Option<Protocol>) -> Option<String> {
    match kind {
        BackendKind::Mock => Some("mock-1".into()),
        BackendKind::Extractive => Some("textrank".into()),
        _ => protocol.and_then(Protocol::default_model).map(String::from),
    }
}

fn tasks(
    t: &Table,
    kind: BackendKind,
    mt: bool,
    raw: Option<Vec<Task>>,
) -> Result<Vec<Task>, ConfigError> {
    match (kind, raw) {
        (BackendKind::Extractive, Some(tasks)) if tasks.contains(&Task::Translate) => Err(t.err(
            "tasks",
            "an extractive backend only summarizes: use tasks = [\"summarize\"]",
        )),
        (BackendKind::Extractive, None) => Ok(vec![Task::Summarize]),
        (_, Some(tasks)) if mt && tasks.contains(&Task::Summarize) => Err(t.err(
            "tasks",
            "a machine-translation API only translates: use tasks = [\"translate\"]",
        )),
        (_, None) if mt => Ok(vec![Task::Translate]),
        (_, Some(tasks)) if tasks.is_empty() => {
            Err(t.err("tasks", "empty: list \"translate\", \"summarize\" or both"))
        }
        (_, Some(tasks)) => Ok(tasks),
        (_, None) => Ok(vec![Task::Translate, Task::Summarize]),
    }
}

/// Where requests go; the protocol is derived here once, from the kind or `protocol`.
fn endpoint(t: &Table, rb: &RawBackend) -> Result<Endpoint, ConfigError> {
    let remote = match rb.kind {
        BackendKind::Openai => Some((Protocol::Openai, "\"https://api.openai.com/v1\"")),
        BackendKind::Anthropic => Some((Protocol::Anthropic, "\"https://api.anthropic.com/v1\"")),
        BackendKind::Ollama => Some((Protocol::Ollama, "\"http://127.0.0.1:11434\"")),
        BackendKind::Deepl => Some((Protocol::Deepl, "\"https://api-free.deepl.com\"")),
        BackendKind::Libretranslate => {
            Some((Protocol::Libretranslate, "\"http://127.0.0.1:5000\""))
        }
        BackendKind::Extractive | BackendKind::Mock => None,
    };
    if let Some((protocol, example)) = remote {
        if rb.protocol.is_some() || rb.mock.is_some() {
            let fix = "`protocol` and `mock` apply to kind = \"mock\" only: remove them";
            return Err(t.err("protocol", fix));
        }
        let Some(url) = &rb.base_url else {
            let what = if protocol.is_machine_translation() || protocol == Protocol::Ollama {
                "the server"
            } else {
                "the API root"
            };
            return Err(t.err("base_url", format!("missing: give {what}, e.g. {example}")));
        };
        return match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Endpoint::Remote {
                protocol,
                base_url: url.trim_end_matches('/').to_string(),
            }),
            _ => Err(t.err("base_url", format!("'{url}' is not an http(s) URL"))),
        };
    }
    if rb.kind == BackendKind::Extractive {
        if rb.base_url.is_some() || rb.protocol.is_some() || rb.mock.is_some() {
            let fix = "an extractive backend runs inside lingo: remove base_url, protocol and mock";
            return Err(t.err("base_url", fix));
        }
        return Ok(Endpoint::Builtin {});
    }
    if rb.base_url.is_some() {
        let fix = "a mock backend is started in-process: remove base_url, or use kind = \"openai\" to reach a running `lingo mock`";
        return Err(t.err("base_url", fix));
    }
    let mock = rb.mock.clone().unwrap_or_default();
    mock.check()
        .map_err(|e| t.err(&format!("mock.{}", e.field), e.message))?;
    Ok(Endpoint::Mock {
        protocol: rb.protocol.unwrap_or(Protocol::Openai),
        mock: Box::new(mock),
    })
}

fn budget(t: &Table, chars: Option<usize>, tokens: Option<usize>) -> Result<Budget, ConfigError> {
    let too_small =
        |field: &str, n: usize| t.err(field, format!("{n} is too small: use at least {MIN_CHUNK}"));
    match (chars, tokens) {
        (Some(_), Some(_)) => Err(t.err(
            "max_chunk_tokens",
            "set max_chunk_chars or max_chunk_tokens, not both",
        )),
        (_, Some(n)) if n < MIN_CHUNK => Err(too_small("max_chunk_tokens", n)),
        (Some(n), _) if n < MIN_CHUNK => Err(too_small("max_chunk_chars", n)),
        (_, Some(n)) => Ok(Budget::Tokens(n)),
        (n, None) => Ok(Budget::Chars(n.unwrap_or(DEFAULT_CHUNK_CHARS))),
    }
}

fn rate(t: &Table, raw: &RawRate, budget: Budget, mt: bool) -> Result<RateLimits, ConfigError> {
    let rate = RateLimits {
        requests_per_second: raw.requests_per_second.unwrap_or(DEFAULT_RPS),
        burst: raw.burst.unwrap_or(DEFAULT_BURST),
        tokens_per_minute: raw.tokens_per_minute,
        characters_per_minute: raw.characters_per_minute,
        max_concurrency: raw.max_concurrency.unwrap_or(DEFAULT_CONCURRENCY),
    };
    if mt && rate.tokens_per_minute.is_some() {
        let fix = "a machine-translation API bills characters: use characters_per_minute";
        return Err(t.err("rate.tokens_per_minute", fix));
    }
    if let Some(cpm) = rate.characters_per_minute {
        let needed = match budget {
            Budget::Chars(n) => n,
            Budget::Tokens(n) => n.saturating_mul(4),
        };
        if (cpm as usize) < needed {
            let fix = format!(
                "{cpm} cannot fit one full chunk (about {needed} characters): raise it or lower max_chunk_chars"
            );
            return Err(t.err("rate.characters_per_minute", fix));
        }
    }
    if !(MIN_RPS..=MAX_RPS).contains(&rate.requests_per_second) {
        let fix = format!(
            "must be a number from {MIN_RPS} to {MAX_RPS} (e.g. 0.5 for one request every two seconds)"
        );
        return Err(t.err("rate.requests_per_second", fix));
    }
    if rate.burst == 0 {
        return Err(t.err("rate.burst", "must be at least 1"));
    }
    if rate.max_concurrency == 0 {
        return Err(t.err("rate.max_concurrency", "must be at least 1"));
    }
    if let Some(tpm) = rate.tokens_per_minute {
        let needed = budget_tokens(budget);
        if (tpm as usize) < needed {
            let fix = format!(
                "{tpm} cannot fit one full chunk (about {needed} tokens): raise it or lower the chunk size"
            );
            return Err(t.err("rate.tokens_per_minute", fix));
        }
    }
    Ok(rate)
}

fn retry(t: &Table, raw: &RawRetry) -> Result<RetryPolicy, ConfigError> {
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
        return Err(t.err("retry.max", fix));
    }
    if retry.base_ms == 0 || retry.max_ms < retry.base_ms || retry.max_ms > MAX_MS {
        let fix = format!("need 0 < base_ms <= max_ms <= {MAX_MS}");
        return Err(t.err("retry.max_ms", fix));
    }
    Ok(retry)
}

/// The fewest tokens one full chunk of this budget needs: the chunk in and about as much out.
fn budget_tokens(budget: Budget) -> usize {
    match budget {
        Budget::Tokens(n) => n.saturating_mul(2),
        Budget::Chars(n) => n / 2,
    }
}
