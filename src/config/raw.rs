//! The config file exactly as written: every table denies unknown keys, every optional key
//! is an `Option` so that validation can tell "left out" from "set", and fill defaults.

use serde::Deserialize;

use crate::checks::Action;
use crate::mock::MockOptions;
use crate::protocol::{Protocol, Task};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub backends: Vec<RawBackend>,
    #[serde(default)]
    pub routes: Vec<RawRoute>,
    #[serde(default)]
    pub validation: RawValidation,
    #[serde(default)]
    pub protect: RawProtect,
    #[serde(default)]
    pub glossaries: RawGlossaries,
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub webhooks: RawWebhooks,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub listen: Option<String>,
    pub api_keys: Option<Vec<RawApiKey>>,
    pub requests_per_minute: Option<u32>,
    pub max_body_bytes: Option<usize>,
    pub max_langs: Option<usize>,
    pub sync_timeout_ms: Option<u64>,
    pub max_jobs: Option<usize>,
    pub drain_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApiKey {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhooks {
    pub allow: Option<Vec<String>>,
    pub max_attempts: Option<u32>,
    pub base_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProtect {
    pub do_not_translate: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGlossaries {
    /// Relative to the config file's folder.
    pub dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawValidation {
    pub language: Option<Action>,
    pub numbers: Option<Action>,
    pub length_ratio: Option<Action>,
    pub grounding: Option<Action>,
    pub glossary: Option<Action>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBackend {
    pub name: String,
    pub kind: super::BackendKind,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub tasks: Option<Vec<Task>>,
    pub max_chunk_chars: Option<usize>,
    pub max_chunk_tokens: Option<usize>,
    pub timeout_ms: Option<u64>,
    pub formality: Option<String>,
    #[serde(default)]
    pub rate: RawRate,
    #[serde(default)]
    pub retry: RawRetry,
    pub protocol: Option<Protocol>,
    pub mock: Option<MockOptions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRate {
    pub requests_per_second: Option<f64>,
    pub burst: Option<u32>,
    pub tokens_per_minute: Option<u32>,
    pub characters_per_minute: Option<u32>,
    pub max_concurrency: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetry {
    pub max: Option<u32>,
    pub base_ms: Option<u64>,
    pub max_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    pub task: Task,
    pub langs: Vec<String>,
    pub backends: Vec<String>,
    pub strategy: Option<super::Strategy>,
}
