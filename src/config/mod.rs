//! Typed configuration, loaded in two phases: [`raw`] mirrors the TOML file and rejects
//! unknown keys; [`assemble`] turns it into a [`Config`] where every default is filled in and
//! every limit is known to be possible, or fails naming the file, the dotted key and a fix.

mod assemble;
mod backend;
mod parse;
mod raw;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::checks::Policy;
use crate::chunk::Budget;
use crate::glossary::Glossaries;
use crate::lang::LangTag;
use crate::mock::MockOptions;
use crate::protect::Rules;
use crate::protocol::{Protocol, Task};
use crate::secret::Secret;

pub const DEFAULT_PATH: &str = "config/lingo.toml";

/// The longest any configured wait may be (timeouts, backoff, drain): an hour. Longer
/// is a typo, and would overflow the clocks it is added to.
const MAX_MS: u64 = 3_600_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Openai,
    Anthropic,
    Ollama,
    Deepl,
    Libretranslate,
    Mock,
    /// Built in and offline: extractive summaries in the article's own language.
    Extractive,
}

#[derive(Clone, Debug, Serialize)]
pub struct Config {
    #[serde(skip)]
    pub source: PathBuf,
    pub backends: Vec<BackendConfig>,
    pub routes: Vec<Route>,
    /// What a failed content check of an answer leads to.
    pub validation: Policy,
    /// What travels as placeholders besides URLs, e-mail addresses and inline code.
    pub protect: Rules,
    /// Term lists by language pair, from `[glossaries] dir`.
    pub glossaries: Glossaries,
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub webhooks: WebhookConfig,
}

/// `lingo serve`: where it listens, who may call it, and how much it takes.
#[derive(Clone, Debug, Serialize)]
pub struct ServerConfig {
    pub listen: std::net::SocketAddr,
    /// Bearer keys, stored as SHA-256 hex digests; none means loopback only.
    pub api_keys: Vec<ApiKey>,
    /// Work submitted per key and minute (jobs and synchronous calls).
    pub requests_per_minute: u32,
    pub max_body_bytes: usize,
    /// Target languages one request may ask for.
    pub max_langs: usize,
    pub sync_timeout_ms: u64,
    /// Jobs running at once; the rest wait by priority.
    pub max_jobs: usize,
    /// How long in-flight work may finish after SIGTERM.
    pub drain_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ApiKey {
    pub name: String,
    pub sha256: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StoreConfig {
    /// The SQLite file, relative to the config file's folder.
    pub path: PathBuf,
}

#[derive(Clone, Debug, Serialize)]
pub struct WebhookConfig {
    /// Hosts (or host:port) webhooks may go to; any when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    pub max_attempts: u32,
    pub base_ms: u64,
}

/// Where a backend's requests go.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Endpoint {
    Remote {
        /// Implied by the kind, so not written back by `check-config`.
        #[serde(skip)]
        protocol: Protocol,
        base_url: String,
    },
    /// Started in-process on a loopback port when the gateway starts.
    Mock {
        protocol: Protocol,
        mock: Box<MockOptions>,
    },
    /// Runs inside lingo, with no HTTP at all.
    Builtin {},
}

#[derive(Clone, Debug, Serialize)]
pub struct BackendConfig {
    pub name: String,
    pub kind: BackendKind,
    #[serde(flatten)]
    pub endpoint: Endpoint,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    pub tasks: Vec<Task>,
    #[serde(flatten)]
    pub budget: Budget,
    pub timeout_ms: u64,
    /// DeepL's `formality`, sent where the target language takes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formality: Option<String>,
    pub rate: RateLimits,
    pub retry: RetryPolicy,
}

impl BackendConfig {
    /// The wire protocol this backend speaks, `kind = "mock"` included; `None` for
    /// built-in kinds.
    pub fn protocol(&self) -> Option<Protocol> {
        match &self.endpoint {
            Endpoint::Remote { protocol, .. } | Endpoint::Mock { protocol, .. } => Some(*protocol),
            Endpoint::Builtin {} => None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RateLimits {
    pub requests_per_second: f64,
    pub burst: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_minute: Option<u32>,
    /// What machine-translation APIs meter: characters sent per minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub characters_per_minute: Option<u32>,
    pub max_concurrency: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct RetryPolicy {
    pub max: u32,
    pub base_ms: u64,
    pub max_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Route {
    pub task: Task,
    /// `None` serves every language (`langs = ["*"]`).
    #[serde(serialize_with = "serialize_langs")]
    pub langs: Option<Vec<LangTag>>,
    pub backends: Vec<String>,
    /// Summary routes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
}

/// How a summary route serves a language other than the article's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Summarize straight into each language.
    #[default]
    Direct,
    /// Summarize once in the article's language, then translate that summary: one LLM
    /// summary however many languages, at the cost of a translation step.
    Pivot,
}

fn serialize_langs<S: serde::Serializer>(
    langs: &Option<Vec<LangTag>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match langs {
        None => ["*"].serialize(s),
        Some(tags) => tags.serialize(s),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read the config file ({source}): check the path or pass --config PATH")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {key}: {message}")]
    Invalid {
        file: String,
        key: String,
        message: String,
    },
}

impl ConfigError {
    /// An invalid value at `key` of `file`.
    fn at(file: &Path, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: file.display().to_string(),
            key: key.into(),
            message: message.into(),
        }
    }
}

impl Config {
    /// Reads, parses and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.display().to_string(),
            source,
        })?;
        Config::from_toml(&text, path)
    }

    /// Parses and validates TOML text; `path` is only used in messages and as `source`.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw = parse::parse(text, path)?;
        assemble::assemble(raw, path, &|name| std::env::var(name).ok())
    }

    /// Parses with an explicit environment, so that tests need not touch the process's.
    pub fn from_toml_with_env(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        assemble::assemble(parse::parse(text, path)?, path, env)
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_toml(&self) -> String {
        let mut value = match toml::Value::try_from(self) {
            Ok(v) => v,
            Err(e) => return format!("# cannot render config: {e}\n"),
        };
        // Built-in backends make no HTTP calls: limits and timeouts do not apply to them.
        let backends = value.get_mut("backends").and_then(|b| b.as_array_mut());
        for b in backends.into_iter().flatten() {
            if let Some(table) = b.as_table_mut()
                && table.get("kind").and_then(|k| k.as_str()) == Some("extractive")
            {
                for key in [
                    "rate",
                    "retry",
                    "timeout_ms",
                    "max_chunk_chars",
                    "max_chunk_tokens",
                ] {
                    table.remove(key);
                }
            }
        }
        toml::to_string_pretty(&value).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}
