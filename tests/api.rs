//! `lingo serve`'s HTTP surface over a real socket: every kind of bad request answered
//! with problem+json (the cases are data, in `fixtures/bad_requests.json`), metrics,
//! OpenAPI, the backends' view, synchronous calls, API keys and per-key quotas.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use common::server::*;
use common::*;
use lingo::mock::MockOptions;
use serde_json::{Value, json};

/// One bad request and what the server must answer.
#[derive(serde::Deserialize)]
struct Case {
    method: String,
    path: String,
    #[serde(default)]
    body: String,
    /// The body as hex, for bytes that are not UTF-8.
    body_hex: Option<String>,
    content_type: Option<String>,
    status: u16,
    #[serde(rename = "type")]
    kind: String,
    field: Option<String>,
}

impl Case {
    fn bytes(&self) -> Vec<u8> {
        match &self.body_hex {
            Some(hex) => (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect(),
            None => self
                .body
                .replace("{big_text}", &"word ".repeat(2000))
                .into_bytes(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_problem_json_and_the_server_keeps_serving() {
    let mock = mock(MockOptions::default()).await;
    let server = start(&config_for(
        &mock,
        "",
        "[server]\nmax_body_bytes = 4096\nmax_langs = 3\n[webhooks]\nallow = [\"hooks.example.org\"]\n",
    ))
    .await;
    let table = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bad_requests.json"
    ))
    .expect("the case table");
    let cases: Vec<Case> = serde_json::from_str(&table).expect("the case table is JSON");
    for case in &cases {
        let body = case.bytes();
        let mut request = client()
            .request(
                case.method.parse().unwrap(),
                format!("{}{}", server.url, case.path),
            )
            .body(body.clone());
        match (&case.content_type, body.is_empty()) {
            (Some(kind), _) => request = request.header("content-type", kind),
            (None, false) => request = request.header("content-type", "application/json"),
            (None, true) => {}
        }
        let r = request.send().await.expect("server answers");
        let what = format!(
            "{} {} {}",
            case.method,
            case.path,
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        assert_eq!(r.status().as_u16(), case.status, "{what}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{what}"
        );
        let p: Value = r.json().await.expect("problem body");
        assert_eq!(p["type"], format!("/problems/{}", case.kind), "{what}: {p}");
        assert_eq!(p["status"], case.status, "{what}");
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}"
        );
        if let Some(field) = &case.field {
            assert_eq!(p["field"], field.as_str(), "{what}: {p}");
        }
    }
    let health = client()
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200, "the server still serves");
    let ok = json!({"article": {"text": "Rain closed 12 roads in the city on Monday, officials said."}, "translate": ["pt-BR"]});
    let id = submit(&server.url, &ok).await;
    assert_eq!(finished(&server.url, &id).await["status"], "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_openapi_backends_and_sync_calls() {
    let mock = mock(MockOptions::default()).await;
    let server = start(&config_for(&mock, "", "")).await;
    let body = json!({"article": {"text": article()}, "translate": ["ru"], "summarize": {"langs": ["ru"]}});
    let r = client()
        .post(format!("{}/v1/translate", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_faithful(&doc, &["ru"]);
    assert!(doc["results"]["ru"]["summary"]["text"].is_string());

    let text = client()
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let samples: Vec<(&str, f64)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name, value.parse().ok()?))
        })
        .collect();
    let sum = |prefix: &str| -> f64 {
        samples
            .iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    };
    assert!(
        sum("lingo_backend_requests_total{backend=\"llm\",status=\"ok\"}") >= 2.0,
        "{text}"
    );
    assert!(
        sum("lingo_backend_latency_seconds_bucket{backend=\"llm\"") > 0.0,
        "{text}"
    );
    assert!(
        sum("lingo_limiter_wait_seconds_count{backend=\"llm\"}") >= 2.0,
        "{text}"
    );
    assert!(
        sum("lingo_backend_tokens_total{backend=\"llm\"") > 0.0,
        "{text}"
    );
    assert!(
        text.contains("lingo_queue_depth{priority=\"breaking\""),
        "{text}"
    );

    let api: Value = client()
        .get(format!("{}/openapi.json", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/v1/jobs",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/events",
        "/v1/translate",
        "/v1/summarize",
        "/v1/backends",
        "/metrics",
    ] {
        assert!(
            api["paths"][path].is_object(),
            "{path} missing from /openapi.json"
        );
    }
    assert!(api["components"]["schemas"]["JobRequest"].is_object());

    let b: Value = client()
        .get(format!("{}/v1/backends", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["backends"][0]["name"], "llm");
    assert!(b["backends"][0]["rate"]["requests_per_second"].is_number());
    assert_eq!(b["backends"][0]["health"]["quota_spent"], false);
    assert_eq!(b["backends"][0]["waiting"]["breaking"], 0);
    let ready = client()
        .get(format!("{}/readyz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_and_per_key_quotas() {
    let mock = mock(MockOptions::default()).await;
    let real = {
        use sha2::Digest;
        sha2::Sha256::digest(b"newsroom-key")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let extra = format!(
        "[server]\nrequests_per_minute = 2\napi_keys = [{{ name = \"cms\", sha256 = \"{real}\" }}]\n"
    );
    let server = start(&config_for(&mock, "", &extra)).await;
    let body = json!({"article": {"text": "Rain closed 12 roads in the city on Monday, officials said."}, "translate": ["ru"]});
    let post = |key: Option<&'static str>| {
        let mut r = client().post(format!("{}/v1/jobs", server.url)).json(&body);
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        r.send()
    };
    let r = post(None).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "/problems/unauthorized");
    assert_eq!(post(Some("wrong")).await.unwrap().status().as_u16(), 401);
    assert_eq!(
        post(Some("newsroom-key")).await.unwrap().status().as_u16(),
        202
    );
    assert_eq!(
        post(Some("newsroom-key")).await.unwrap().status().as_u16(),
        202
    );
    let limited = post(Some("newsroom-key")).await.unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let health = client()
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200, "health checks need no key");
}
