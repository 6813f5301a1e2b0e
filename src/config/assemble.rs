//! Phase two of config loading: the raw tables become a [`Config`] with every default
//! filled in and every cross-reference checked, or an error naming the dotted key
//! (`routes[1].backends[0]`) and what to do about it. One backend table is checked in
//! [`super::backend`].

use std::collections::HashSet;
use std::path::Path;

use super::backend::{Table, backend};
use super::raw::{
    RawConfig, RawGlossaries, RawRoute, RawServer, RawStore, RawValidation, RawWebhooks,
};
use super::{
    ApiKey, BackendConfig, Config, ConfigError, MAX_MS, Route, ServerConfig, StoreConfig,
    WebhookConfig,
};
use crate::checks::Policy;
use crate::glossary::Glossaries;
use crate::lang::LangTag;
use crate::protect::Rules;
use crate::protocol::Task;

pub(super) fn assemble(
    raw: RawConfig,
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let err = |key: &str, message: &str| ConfigError::at(file, key, message);
    if raw.backends.is_empty() {
        return Err(err(
            "backends",
            "no [[backends]] table: add at least one backend",
        ));
    }
    let mut names = HashSet::new();
    let mut backends = Vec::new();
    for (i, rb) in raw.backends.into_iter().enumerate() {
        let key = format!("backends[{i}]");
        if !names.insert(rb.name.clone()) {
            let fix = format!(
                "backend name '{}' is used twice: names must be unique",
                rb.name
            );
            return Err(ConfigError::at(file, format!("{key}.name"), fix));
        }
        backends.push(backend(&Table { file, key, env }, rb)?);
    }
    if raw.routes.is_empty() {
        return Err(err(
            "routes",
            "no [[routes]] table: add one naming the backends for task \"translate\" or \"summarize\"",
        ));
    }
    let routes = raw
        .routes
        .into_iter()
        .enumerate()
        .map(|(i, r)| route(file, &format!("routes[{i}]"), r, &backends))
        .collect::<Result<_, _>>()?;
    let do_not_translate = raw.protect.do_not_translate.unwrap_or_default();
    if let Some(i) = do_not_translate.iter().position(|w| w.trim().is_empty()) {
        return Err(ConfigError::at(
            file,
            format!("protect.do_not_translate[{i}]"),
            "empty: list words and names to keep as written",
        ));
    }
    Ok(Config {
        source: file.to_path_buf(),
        backends,
        routes,
        validation: policy(raw.validation),
        protect: Rules { do_not_translate },
        glossaries: glossaries(file, &raw.glossaries)?,
        server: server(file, raw.server)?,
        store: store(file, raw.store),
        webhooks: webhooks(file, raw.webhooks)?,
    })
}

fn policy(v: RawValidation) -> Policy {
    let defaults = Policy::default();
    Policy {
        language: v.language.unwrap_or(defaults.language),
        numbers: v.numbers.unwrap_or(defaults.numbers),
        length_ratio: v.length_ratio.unwrap_or(defaults.length_ratio),
        grounding: v.grounding.unwrap_or(defaults.grounding),
        glossary: v.glossary.unwrap_or(defaults.glossary),
    }
}

fn server(file: &Path, raw: RawServer) -> Result<ServerConfig, ConfigError> {
    let err = |key: &str, message: String| ConfigError::at(file, format!("server.{key}"), message);
    let listen = raw.listen.as_deref().unwrap_or("127.0.0.1:8080");
    let listen = listen.parse().map_err(|_| {
        err(
            "listen",
            format!("'{listen}' is not an address: write IP:PORT, e.g. \"127.0.0.1:8080\""),
        )
    })?;
    let mut api_keys = Vec::new();
    for (i, key) in raw.api_keys.unwrap_or_default().into_iter().enumerate() {
        let hex = key.sha256.to_ascii_lowercase();
        if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let fix =
                "must be the SHA-256 of the key in hex (64 digits): printf %s KEY | sha256sum";
            return Err(err(&format!("api_keys[{i}].sha256"), fix.into()));
        }
        api_keys.push(ApiKey {
            name: key.name,
            sha256: hex,
        });
    }
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
    for (key, v) in [
        ("requests_per_minute", u64::from(server.requests_per_minute)),
        ("max_body_bytes", server.max_body_bytes as u64),
        ("max_langs", server.max_langs as u64),
        ("max_jobs", server.max_jobs as u64),
    ] {
        if v == 0 {
            return Err(err(key, "must be above 0".into()));
        }
    }
    for (key, ms, least) in [
        ("sync_timeout_ms", server.sync_timeout_ms, 1),
        ("drain_ms", server.drain_ms, 0),
    ] {
        if !(least..=MAX_MS).contains(&ms) {
            return Err(err(
                key,
                format!("must be from {least} to {MAX_MS} (milliseconds)"),
            ));
        }
    }
    Ok(server)
}

fn store(file: &Path, raw: RawStore) -> StoreConfig {
    let beside = file.parent().unwrap_or(Path::new("."));
    StoreConfig {
        path: beside.join(raw.path.as_deref().unwrap_or("lingo.db")),
    }
}

fn webhooks(file: &Path, raw: RawWebhooks) -> Result<WebhookConfig, ConfigError> {
    let hooks = WebhookConfig {
        allow: raw.allow,
        max_attempts: raw.max_attempts.unwrap_or(8),
        base_ms: raw.base_ms.unwrap_or(1000),
    };
    if hooks.max_attempts == 0 || !(1..=MAX_MS).contains(&hooks.base_ms) {
        let fix = format!("max_attempts must be above 0, and base_ms from 1 to {MAX_MS}");
        return Err(ConfigError::at(file, "webhooks", fix));
    }
    Ok(hooks)
}

/// The glossary folder: `[glossaries] dir`, or `glossaries/` beside the config file when
/// there is one.
fn glossaries(file: &Path, raw: &RawGlossaries) -> Result<Glossaries, ConfigError> {
    let beside = file.parent().unwrap_or(Path::new("."));
    let dir = match &raw.dir {
        Some(dir) => beside.join(dir),
        None if beside.join("glossaries").is_dir() => beside.join("glossaries"),
        None => return Ok(Glossaries::default()),
    };
    Glossaries::load_dir(&dir).map_err(|e| ConfigError::at(file, "glossaries.dir", e.to_string()))
}

fn route(
    file: &Path,
    key: &str,
    rr: RawRoute,
    backends: &[BackendConfig],
) -> Result<Route, ConfigError> {
    let err = |field: String, message: String| ConfigError::at(file, field, message);
    if rr.langs.is_empty() {
        let fix = "empty: list language tags, or [\"*\"] for all";
        return Err(err(format!("{key}.langs"), fix.into()));
    }
    let langs = if rr.langs.iter().any(|l| l == "*") {
        None
    } else {
        let tags = rr
            .langs
            .iter()
            .enumerate()
            .map(|(i, l)| {
                LangTag::parse(l).map_err(|e| err(format!("{key}.langs[{i}]"), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(tags)
    };
    if rr.backends.is_empty() {
        let fix = "empty: name at least one backend, in fallback order";
        return Err(err(format!("{key}.backends"), fix.into()));
    }
    let mut seen = HashSet::new();
    for (i, name) in rr.backends.iter().enumerate() {
        let bkey = format!("{key}.backends[{i}]");
        let Some(b) = backends.iter().find(|b| &b.name == name) else {
            let known: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
            let fix = format!(
                "unknown backend '{name}': known backends are {}",
                known.join(", ")
            );
            return Err(err(bkey, fix));
        };
        if !b.tasks.contains(&rr.task) {
            let fix = format!(
                "backend '{name}' does not list task \"{}\" in its tasks",
                rr.task.as_str()
            );
            return Err(err(bkey, fix));
        }
        if !seen.insert(name) {
            return Err(err(
                bkey,
                format!("backend '{name}' appears twice in this route"),
            ));
        }
    }
    let strategy = match (rr.task, rr.strategy) {
        (Task::Translate, Some(_)) => {
            let fix = "strategy applies to summarize routes only: remove it";
            return Err(err(format!("{key}.strategy"), fix.into()));
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
