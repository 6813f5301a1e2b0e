//! What every protocol client shares: one reqwest client with lingo's User-Agent and the
//! backend's timeout, requests whose body is stamped when it reaches the wire, the hint
//! headers, and transport failures mapped to typed errors without URLs or secrets.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header;
use serde::Serialize;

use super::sent::StampedBody;
use super::{BackendError, BackendRequest, SentAt, brief, retry_after};
use crate::config::BackendConfig;
use crate::protocol::hints;
use crate::secret::Secret;

pub(super) struct Http {
    client: reqwest::Client,
    timeout: Duration,
    pub api_key: Option<Secret>,
}

/// An HTTP answer, read whole.
pub(super) struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

impl Http {
    pub(super) fn new(cfg: &BackendConfig) -> Result<Http, BackendError> {
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("lingo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BackendError::Connection(format!("cannot build an HTTP client: {e}")))?;
        Ok(Http {
            client,
            timeout,
            api_key: cfg.api_key.clone(),
        })
    }

    /// A JSON POST of `body` for `req`, with lingo's hint headers.
    pub(super) fn post_json(
        &self,
        url: &str,
        body: &impl Serialize,
        req: &BackendRequest,
        sent: &SentAt,
    ) -> Result<reqwest::RequestBuilder, BackendError> {
        Ok(self.post_encoded(url, encode(body)?, req, sent))
    }

    /// [`Http::post_json`] of a body already encoded (to measure it first).
    pub(super) fn post_encoded(
        &self,
        url: &str,
        body: Vec<u8>,
        req: &BackendRequest,
        sent: &SentAt,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(reqwest::Body::wrap(StampedBody::new(body, sent.clone())));
        for (name, value) in hint_headers(req) {
            builder = builder.header(name, value);
        }
        builder
    }

    pub(super) fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.get(url)
    }

    pub(super) fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.post(url)
    }

    pub(super) async fn send(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<Reply, BackendError> {
        let response = builder.send().await.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let retry_after = retry_after::parse(response.headers());
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }

    fn transport(&self, e: reqwest::Error) -> BackendError {
        if e.is_timeout() {
            BackendError::Timeout(self.timeout)
        } else {
            // Without the URL: it may carry credentials in query strings on some proxies.
            let e = e.without_url();
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            BackendError::Connection(brief(&message))
        }
    }
}

/// The hint headers for `req` (see [`hints`]), as name and value.
fn hint_headers(req: &BackendRequest) -> Vec<(&'static str, String)> {
    let mut out = vec![
        (hints::TASK, req.task.as_str().to_string()),
        (hints::SOURCE_LANG, req.source.to_string()),
        (hints::TARGET_LANG, req.target.to_string()),
    ];
    if let Some(length) = &req.length {
        out.push((hints::LENGTH, length.to_string()));
    }
    if req.shorten {
        out.push((hints::STEP, "shorten".to_string()));
    }
    if !req.terms.is_empty() {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for e in &req.terms {
            form.append_pair(&e.source, &e.target);
        }
        out.push((hints::GLOSSARY, form.finish()));
    }
    out
}

impl Reply {
    /// The body as lossy text, short and on one line, for error messages.
    pub(super) fn brief_text(&self) -> String {
        brief(&String::from_utf8_lossy(&self.body))
    }

    /// The body read as `T`, or a malformed-answer error naming `what` was expected.
    pub(super) fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
    ) -> Result<T, BackendError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| BackendError::Malformed(format!("not {what}: {e}")))
    }
}

/// `body` as JSON bytes.
pub(super) fn encode(body: &impl Serialize) -> Result<Vec<u8>, BackendError> {
    serde_json::to_vec(body)
        .map_err(|e| BackendError::Malformed(format!("cannot encode the request: {e}")))
}

/// One answered request's usage: the prompt's tokens and the completion's.
pub(super) fn token_usage(prompt: u64, completion: u64) -> super::Usage {
    super::Usage {
        requests: 1,
        prompt_tokens: prompt,
        completion_tokens: completion,
        ..super::Usage::default()
    }
}
