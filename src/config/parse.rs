//! Phase one of config loading: TOML text into the raw structs, with errors that name the
//! key path serde was at and the line.

use std::path::Path;

use super::ConfigError;
use super::raw::RawConfig;

pub(super) fn parse(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    let located = |e: &toml::de::Error| {
        let line = e
            .span()
            .map(|s| text.get(..s.start).unwrap_or(text).lines().count().max(1));
        let message = e.message().trim().replace('\n', " ");
        match line {
            Some(line) => format!("{message} (line {line})"),
            None => message,
        }
    };
    let de = toml::Deserializer::parse(text)
        .map_err(|e| ConfigError::at(path, "(syntax)", located(&e)))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." {
            "(top level)".to_string()
        } else {
            key
        };
        ConfigError::at(path, key, located(e.inner()))
    })
}
