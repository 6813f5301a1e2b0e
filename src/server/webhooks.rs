//! Webhook deliveries from the outbox table: POSTed with a signature, retried with
//! exponential backoff, kept across restarts until delivered or given up.
//!
//! The signature header is `Lingo-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
//! HMAC-SHA256 with the job's webhook secret over `<t>.<body>`. A receiver recomputes it,
//! compares in constant time, and refuses old timestamps to stop replays.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::WebhookConfig;
use crate::store::{Delivery, Store, now_ms};

pub const SIGNATURE_HEADER: &str = "lingo-signature";
/// How often the outbox is looked at.
const POLL: Duration = Duration::from_millis(200);
const TIMEOUT: Duration = Duration::from_secs(10);
/// Backoff never waits longer than this between attempts.
const MAX_BACKOFF_MS: i64 = 300_000;

/// The `Lingo-Signature` value for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

/// Delivers due webhooks until the task is stopped.
pub(super) async fn deliver_forever(store: Arc<dyn Store>, config: WebhookConfig) {
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("lingo/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks disabled: cannot build an HTTP client");
            return;
        }
    };
    loop {
        match store.outbox_due(now_ms()).await {
            Ok(due) => {
                for delivery in due {
                    deliver(&client, store.as_ref(), &config, delivery).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the webhook outbox"),
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn deliver(client: &reqwest::Client, store: &dyn Store, config: &WebhookConfig, d: Delivery) {
    let mut request = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("lingo-job", &d.job_id)
        .body(d.body.clone());
    if let Some(secret) = &d.secret {
        request = request.header(SIGNATURE_HEADER, sign(secret, now_ms() / 1000, &d.body));
    }
    let outcome = match request.send().await {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
        Err(e) => Err(e.without_url().to_string()),
    };
    let attempts = d.attempts + 1;
    let recorded = match outcome {
        Ok(()) => {
            metrics::counter!("lingo_webhooks_total", "outcome" => "delivered").increment(1);
            store.outbox_attempted(d.id, true, None, None).await
        }
        Err(why) => {
            let retry_at = (attempts < i64::from(config.max_attempts)).then(|| {
                let backoff = (config.base_ms as i64).saturating_mul(1 << attempts.min(20));
                now_ms() + backoff.min(MAX_BACKOFF_MS)
            });
            let outcome = if retry_at.is_some() {
                "retry"
            } else {
                "failed"
            };
            metrics::counter!("lingo_webhooks_total", "outcome" => outcome).increment(1);
            tracing::warn!(job = %d.job_id, attempt = attempts, error = %why, "webhook not delivered");
            store
                .outbox_attempted(d.id, false, retry_at, Some(&why))
                .await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "cannot record a webhook attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_over_timestamp_and_body() {
        let sig = sign("s3cret", 1_700_000_000, "{\"id\":\"j\"}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(sig, sign("other", 1_700_000_000, "{\"id\":\"j\"}"));
        assert_ne!(sig, sign("s3cret", 1_700_000_001, "{\"id\":\"j\"}"));
    }
}
