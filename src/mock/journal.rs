//! The mock's record of recent requests, for contract tests to read back what lingo sent:
//! path, headers and body, with keys masked (the scheme of an Authorization header is
//! kept, so that a test can see `Bearer` or `DeepL-Auth-Key`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use axum::http::HeaderMap;
use serde::Serialize;

/// Requests kept; older ones are dropped.
const KEPT: usize = 512;
const SECRET_HEADERS: &[&str] = &["x-api-key"];

#[derive(Clone, Debug, Serialize)]
pub struct Recorded {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    /// The JSON body, or `null` when there was none or it was not JSON.
    pub body: serde_json::Value,
}

#[derive(Default)]
pub(super) struct Journal {
    entries: Mutex<VecDeque<Recorded>>,
}

impl Journal {
    pub(super) fn record(&self, path: &str, headers: &HeaderMap, body: &[u8]) {
        let headers = headers
            .iter()
            .filter_map(|(name, value)| {
                let name = name.as_str().to_string();
                let value = value.to_str().ok()?;
                let value = if name == "authorization" {
                    let scheme = value.split_whitespace().next().unwrap_or_default();
                    format!("{scheme} ***")
                } else if SECRET_HEADERS.contains(&name.as_str()) {
                    "***".to_string()
                } else {
                    value.to_string()
                };
                Some((name, value))
            })
            .collect();
        let mut body = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
        if let Some(key) = body.get_mut("api_key") {
            *key = "***".into();
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == KEPT {
            entries.pop_front();
        }
        entries.push_back(Recorded {
            path: path.to_string(),
            headers,
            body,
        });
    }

    pub(super) fn snapshot(&self) -> Vec<Recorded> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.iter().cloned().collect()
    }
}
