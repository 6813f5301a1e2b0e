//! `lingo serve` end to end over real sockets, with the mock as every backend: jobs and
//! their events, restarts, the cache, webhooks, priorities, bad requests and metrics.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use lingo::config::Config;
use lingo::mock::{MockOptions, MockServer};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A server running in this process on a loopback port; stopped when dropped.
struct Server {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// A config with one mock-backed LLM (translate and summarize) and `extra` TOML.
fn config_for(mock: &MockServer, backend_extra: &str, extra: &str) -> PathBuf {
    let db = temp_path("store.db");
    write(
        "serve.toml",
        format!(
            "{}{}\n[[routes]]\ntask = \"summarize\"\nlangs = [\"*\"]\nbackends = [\"llm\"]\n\n[store]\npath = \"{}\"\n{extra}\n",
            backend("llm", &mock.openai_url(), backend_extra),
            route(&["llm"]),
            db.display()
        ),
    )
}

async fn start(config: &Path) -> Server {
    let config = Config::load(config).expect("test config is valid");
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("bind loopback");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(e) = lingo::server::run(listener, config, shutdown).await {
            panic!("server failed: {e}");
        }
    });
    Server {
        url,
        stop: Some(stop),
        task,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn submit(url: &str, body: &Value) -> String {
    let r = client()
        .post(format!("{url}/v1/jobs"))
        .json(body)
        .send()
        .await
        .expect("POST /v1/jobs");
    assert_eq!(r.status().as_u16(), 202);
    let v: Value = r.json().await.expect("json");
    v["id"].as_str().expect("id").to_string()
}

async fn job(url: &str, id: &str) -> Value {
    client()
        .get(format!("{url}/v1/jobs/{id}"))
        .send()
        .await
        .expect("GET job")
        .json()
        .await
        .expect("json")
}

/// Polls until the job has ended; its final view.
async fn finished(url: &str, id: &str) -> Value {
    for _ in 0..600 {
        let v = job(url, id).await;
        if ["succeeded", "failed", "cancelled"].contains(&v["status"].as_str().unwrap_or("")) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not end");
}

/// Reads an SSE stream to its end: (id, event, data) triples.
async fn events(url: &str, id: &str, last: Option<u64>) -> Vec<(u64, String, Value)> {
    let mut request = client().get(format!("{url}/v1/jobs/{id}/events"));
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last.to_string());
    }
    let mut response = request.send().await.expect("events");
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(30), response.chunk())
        .await
        .expect("events keep coming")
        .expect("stream")
    {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text.split("\n\n")
        .filter_map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .map(String::from)
            };
            Some((
                field("id")?.parse().ok()?,
                field("event")?,
                serde_json::from_str(&field("data")?).ok()?,
            ))
        })
        .collect()
}

fn article() -> String {
    std::fs::read_to_string(sample("reservoir-long.txt")).expect("sample")
}

const LANGS: [&str; 5] = ["pt-BR", "ru", "hi", "zh", "af"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_follow_events_and_read_the_result() {
    let mock = mock(MockOptions {
        latency_ms: 20,
        ..MockOptions::default()
    })
    .await;
    let server = start(&config_for(&mock, "max_chunk_chars = 800", "")).await;
    let id = submit(
        &server.url,
        &json!({"article": {"text": article()}, "translate": LANGS,
                "summarize": {"langs": LANGS, "length": "short"}}),
    )
    .await;
    let seen = events(&server.url, &id, None).await;
    let kinds: std::collections::BTreeSet<&str> = seen.iter().map(|(_, k, _)| k.as_str()).collect();
    for kind in [
        "queued",
        "sent",
        "validated",
        "translated",
        "summary",
        "done",
    ] {
        assert!(kinds.contains(kind), "no {kind} event in {kinds:?}");
    }
    let (last_id, last_kind, last) = seen.last().expect("events").clone();
    assert_eq!(last_kind, "done");
    assert_eq!(last["status"], "succeeded");
    let ids: Vec<u64> = seen.iter().map(|(i, _, _)| *i).collect();
    assert_eq!(ids, (1..=last_id).collect::<Vec<_>>(), "ids are 1, 2, 3, …");
    let partial = seen
        .iter()
        .find(|(_, k, d)| k == "translated" && d["lang"] == "ru")
        .expect("a chunk's partial result");
    assert!(partial.2["pieces"][0]["text"].as_str().is_some());

    let view = finished(&server.url, &id).await;
    assert_eq!(view["status"], "succeeded");
    assert_eq!(view["progress"]["done"], view["progress"]["total"]);
    assert_faithful(&view, &LANGS);
    for lang in LANGS {
        assert!(
            view["results"][lang]["summary"]["text"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
    }
    assert!(view["usage"]["requests"].as_u64().unwrap() >= 10);

    // A client that reconnects with Last-Event-ID gets exactly what it missed.
    let again = events(&server.url, &id, Some(5)).await;
    assert_eq!(again.first().map(|e| e.0), Some(6));
    assert_eq!(again.len() as u64, last_id - 5);
}

/// The same article with one paragraph changed sends only that paragraph again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_paragraph_edit_resends_only_its_chunk() {
    let mock = mock(MockOptions::default()).await;
    let server = start(&config_for(&mock, "max_chunk_chars = 3000", "")).await;
    let text = article();
    let first = submit(
        &server.url,
        &json!({"article": {"text": text}, "translate": ["ru"]}),
    )
    .await;
    assert_eq!(finished(&server.url, &first).await["status"], "succeeded");
    let before = mock.stats().requests;
    assert!(before >= 2, "the article needs several chunks: {before}");

    let edited = text.replacen(
        "Reservoir levels have fallen",
        "Reservoir levels have dropped",
        1,
    );
    assert_ne!(edited, text);
    let second = submit(
        &server.url,
        &json!({"article": {"text": edited}, "translate": ["ru"]}),
    )
    .await;
    let view = finished(&server.url, &second).await;
    assert_faithful(&view, &["ru"]);
    assert_eq!(
        mock.stats().requests - before,
        1,
        "only the changed paragraph goes out"
    );
    let sent: Vec<String> = mock
        .requests()
        .iter()
        .skip(before as usize)
        .map(|r| {
            r.body["messages"][1]["content"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(sent[0].contains("have dropped") && !sent[0].contains("Miriam Okafor told"));
}

/// A webhook receiver that fails twice, then verifies the signature of the third try.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_and_retried() {
    use axum::routing::post;
    use std::sync::{Arc, Mutex};
    /// Each delivery: its signature header and body.
    type Deliveries = Arc<Mutex<Vec<(Option<String>, String)>>>;
    let seen: Deliveries = Arc::default();
    let log = seen.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let signature = headers
                    .get(lingo::server::SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                let mut log = log.lock().unwrap();
                log.push((signature, body));
                if log.len() < 3 {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let allowed = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let mock = mock(MockOptions::default()).await;
    let extra = format!("[webhooks]\nallow = [\"{allowed}\"]\nbase_ms = 20\n");
    let server = start(&config_for(&mock, "", &extra)).await;
    let id = submit(
        &server.url,
        &json!({"article": {"text": "Rain closed 12 roads in the city on Monday, officials said."},
                "translate": ["pt-BR"], "webhook": {"url": hook, "secret": "shh"}}),
    )
    .await;
    finished(&server.url, &id).await;
    for _ in 0..200 {
        if seen.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let log = seen.lock().unwrap().clone();
    assert_eq!(log.len(), 3, "two failures, then delivered: {log:?}");
    let (signature, body) = &log[2];
    let signature = signature.as_deref().expect("signed");
    let t: i64 = signature
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .expect("timestamp");
    assert_eq!(lingo::server::sign("shh", t, body), signature);
    assert_ne!(lingo::server::sign("wrong", t, body), signature);
    let delivered: Value = serde_json::from_str(body).unwrap();
    assert_eq!(delivered["id"], id.as_str());
    assert_eq!(delivered["status"], "succeeded");
    assert!(delivered["result"]["results"]["pt-BR"]["translation"].is_object());

    // Other hosts are refused at submission.
    let r = client()
        .post(format!("{}/v1/jobs", server.url))
        .json(
            &json!({"article": {"text": "Some text here."}, "translate": ["ru"],
                      "webhook": {"url": "http://169.254.169.254/latest"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["type"], "/problems/webhook-refused");
}

/// A breaking job submitted while 20 bulk jobs saturate the backend ends before them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaking_news_overtakes_bulk() {
    let mock = mock(MockOptions {
        latency_ms: 300,
        ..MockOptions::default()
    })
    .await;
    let limits = "max_chunk_chars = 200\nrate = { requests_per_second = 100, burst = 10, max_concurrency = 1 }";
    let server = start(&config_for(&mock, limits, "[server]\nmax_jobs = 64\n")).await;
    let text = "Rain closed 12 roads in the city on Monday, officials said. \
                Crews worked through the night to clear 40 fallen trees.";
    let mut bulk = Vec::new();
    for i in 0..20 {
        // Each article its own, so that none is answered from the cache.
        let text = format!("{text} Bulletin {i}.");
        let body = json!({"article": {"text": text, "lang": "en"}, "translate": ["ru"], "priority": "bulk"});
        bulk.push(submit(&server.url, &body).await);
    }
    let body = json!({"article": {"text": text, "lang": "en"}, "translate": ["ru"], "priority": "breaking"});
    let breaking = submit(&server.url, &body).await;
    // The bulk jobs still waiting when the breaking one arrived.
    let mut waiting = Vec::new();
    for id in &bulk {
        if job(&server.url, id).await["status"] != "succeeded" {
            waiting.push(id.clone());
        }
    }
    // One request of 300 ms at a time: six seconds of bulk work, so that even on a busy
    // machine most of it still waits when the breaking job arrives.
    assert!(
        waiting.len() >= 8,
        "the backend was not saturated: {} bulk jobs left",
        waiting.len()
    );
    let breaking_end = finished(&server.url, &breaking).await["updated_at_ms"]
        .as_i64()
        .unwrap();
    let mut before = 0;
    for id in &waiting {
        let end = finished(&server.url, id).await["updated_at_ms"]
            .as_i64()
            .unwrap();
        before += usize::from(end <= breaking_end);
    }
    // At most the bulk job whose request held the one slot when breaking news came in.
    assert!(
        before <= 1,
        "{before} of {} waiting bulk jobs ended before the breaking one",
        waiting.len()
    );
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
    let ok = r#"{"article": {"text": "Rain closed 12 roads in the city on Monday, officials said."}, "translate": ["pt-BR"]}"#;
    let big = format!(
        r#"{{"article": {{"text": "{}"}}, "translate": ["ru"]}}"#,
        "word ".repeat(2000)
    );
    /// Method, path, body, then the status, problem type and field expected.
    type Case<'a> = (&'a str, &'a str, Vec<u8>, u16, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/v1/jobs",
            big.clone().into_bytes(),
            413,
            "body-too-large",
            None,
        ),
        (
            "POST",
            "/v1/translate",
            big.into_bytes(),
            413,
            "body-too-large",
            None,
        ),
        ("POST", "/v1/jobs", b"{".to_vec(), 400, "invalid-json", None),
        ("POST", "/v1/jobs", b"".to_vec(), 400, "invalid-json", None),
        (
            "POST",
            "/v1/jobs",
            b"[1, 2]".to_vec(),
            400,
            "invalid-field",
            None,
        ),
        (
            "POST",
            "/v1/jobs",
            b"nonsense".to_vec(),
            400,
            "invalid-json",
            None,
        ),
        (
            "POST",
            "/v1/jobs",
            format!("{ok} trailing").into_bytes(),
            400,
            "invalid-json",
            None,
        ),
        (
            "POST",
            "/v1/jobs",
            vec![b'{', 0xff, 0xfe, b'}'],
            400,
            "invalid-utf8",
            None,
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("\"translate\"", "\"translat\"").into_bytes(),
            400,
            "unknown-field",
            Some("/translat"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("\"text\":", "\"colour\": 1, \"text\":")
                .into_bytes(),
            400,
            "unknown-field",
            Some("/article/colour"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("[\"pt-BR\"]", "\"pt-BR\"").into_bytes(),
            400,
            "invalid-field",
            Some("/translate"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("\"pt-BR\"", "7").into_bytes(),
            400,
            "invalid-field",
            Some("/translate/0"),
        ),
        (
            "POST",
            "/v1/jobs",
            br#"{"translate": ["ru"]}"#.to_vec(),
            400,
            "invalid-field",
            None,
        ),
        (
            "POST",
            "/v1/jobs",
            br#"{"article": {"text": ""}, "translate": ["ru"]}"#.to_vec(),
            422,
            "empty-article",
            Some("/article/text"),
        ),
        (
            "POST",
            "/v1/jobs",
            br#"{"article": {"text": "   \n\n  "}, "translate": ["ru"]}"#.to_vec(),
            422,
            "empty-article",
            Some("/article/text"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("pt-BR", "xx").into_bytes(),
            422,
            "unknown-language",
            Some("/translate/0"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("pt-BR", "pt-BRAZIL").into_bytes(),
            422,
            "unknown-language",
            Some("/translate/0"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("[\"pt-BR\"]", "[\"pt-BR\", \"ru\", \"hi\", \"zh\"]")
                .into_bytes(),
            422,
            "too-many-languages",
            Some("/translate"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace(", \"translate\": [\"pt-BR\"]", "").into_bytes(),
            422,
            "nothing-to-do",
            None,
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("[\"pt-BR\"]", "[]").into_bytes(),
            422,
            "nothing-to-do",
            None,
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace(
                "\"translate\"",
                "\"summarize\": {\"langs\": [\"ru\"], \"length\": \"huge\"}, \"x\"",
            )
            .into_bytes(),
            400,
            "unknown-field",
            Some("/x"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace(
                "\"translate\": [\"pt-BR\"]",
                "\"summarize\": {\"langs\": [\"ru\"], \"length\": \"huge\"}",
            )
            .into_bytes(),
            400,
            "invalid-field",
            Some("/summarize/length"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace(
                "\"translate\": [\"pt-BR\"]",
                "\"summarize\": {\"langs\": [\"ru\"], \"length\": 4000000000}",
            )
            .into_bytes(),
            400,
            "invalid-field",
            Some("/summarize/length"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace(
                "\"translate\": [\"pt-BR\"]",
                "\"summarize\": {\"langs\": [\"qq\"]}",
            )
            .into_bytes(),
            422,
            "unknown-language",
            Some("/summarize/langs/0"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("}, \"translate\"", ", \"lang\": \"zz\"}, \"translate\"")
                .into_bytes(),
            422,
            "unknown-language",
            Some("/article/lang"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("}, \"translate\"", ", \"format\": \"pdf\"}, \"translate\"")
                .into_bytes(),
            400,
            "invalid-field",
            Some("/article/format"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("]}", "], \"priority\": \"urgent\"}")
                .into_bytes(),
            400,
            "invalid-field",
            Some("/priority"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("]}", "], \"webhook\": {\"url\": \"http://10.0.0.1/x\"}}")
                .into_bytes(),
            422,
            "webhook-refused",
            Some("/webhook/url"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace(
                "]}",
                "], \"webhook\": {\"url\": \"ftp://hooks.example.org/x\"}}",
            )
            .into_bytes(),
            422,
            "webhook-refused",
            Some("/webhook/url"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("]}", "], \"webhook\": {\"url\": \"not a url\"}}")
                .into_bytes(),
            422,
            "webhook-refused",
            Some("/webhook/url"),
        ),
        (
            "POST",
            "/v1/jobs",
            ok.replace("]}", "], \"glossary\": {\"zz\": {\"a\": \"b\"}}}")
                .into_bytes(),
            422,
            "unknown-language",
            Some("/glossary/zz"),
        ),
        (
            "GET",
            "/v1/jobs/00000000-0000-0000-0000-000000000000",
            Vec::new(),
            404,
            "unknown-job",
            Some("/id"),
        ),
        (
            "GET",
            "/v1/jobs/not-an-id",
            Vec::new(),
            404,
            "unknown-job",
            Some("/id"),
        ),
        (
            "DELETE",
            "/v1/jobs/not-an-id",
            Vec::new(),
            404,
            "unknown-job",
            Some("/id"),
        ),
        (
            "GET",
            "/v1/jobs/not-an-id/events",
            Vec::new(),
            404,
            "unknown-job",
            Some("/id"),
        ),
        ("GET", "/v2/nothing", Vec::new(), 404, "not-found", None),
        (
            "PUT",
            "/v1/jobs",
            Vec::new(),
            405,
            "method-not-allowed",
            None,
        ),
        (
            "GET",
            "/v1/translate",
            Vec::new(),
            405,
            "method-not-allowed",
            None,
        ),
    ];
    assert!(cases.len() >= 30);
    for (method, path, body, status, kind, field) in &cases {
        let mut request = client()
            .request(method.parse().unwrap(), format!("{}{path}", server.url))
            .body(body.clone());
        if !body.is_empty() {
            request = request.header("content-type", "application/json");
        }
        let r = request.send().await.expect("server answers");
        let case = format!(
            "{method} {path} {}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        assert_eq!(r.status().as_u16(), *status, "{case}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            "application/problem+json",
            "{case}"
        );
        let p: Value = r.json().await.expect("problem body");
        assert_eq!(p["type"], format!("/problems/{kind}"), "{case}: {p}");
        assert_eq!(p["status"], *status, "{case}");
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{case}"
        );
        if let Some(field) = field {
            assert_eq!(p["field"], *field, "{case}: {p}");
        }
    }
    let r = client()
        .post(format!("{}/v1/jobs", server.url))
        .header("content-type", "text/plain")
        .body(ok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let health = client()
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200, "the server still serves");
    let id = submit(&server.url, &serde_json::from_str(ok).unwrap()).await;
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

/// kill -9 in the middle of a job: the next start resumes it, and no chunk that had
/// been translated goes to a backend again. (A chunk answered but not yet validated and
/// stored when the process died is not done: it may go out again, and under load there
/// can be more of those than slots.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_job_resumes_without_resending_finished_chunks() {
    let mock = mock(MockOptions {
        latency_ms: 150,
        ..MockOptions::default()
    })
    .await;
    let limits = "max_chunk_chars = 300\nrate = { requests_per_second = 50, burst = 5, max_concurrency = 2 }";
    let cfg = config_for(&mock, limits, "").display().to_string();
    let spawn = || {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lingo"))
            .args(["serve", "--config", &cfg, "--listen", "127.0.0.1:0"])
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("lingo serve starts");
        let stderr = child.stderr.take().expect("stderr");
        async move {
            use tokio::io::AsyncBufReadExt;
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("lingo serve: listening on ") {
                    let url = url.to_string();
                    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                    return (child, url);
                }
            }
            panic!("lingo serve did not say where it listens");
        }
    };
    let (mut first, url) = spawn().await;
    let id = submit(
        &url,
        &json!({"article": {"text": article()}, "translate": ["ru", "zh"]}),
    )
    .await;
    let mut done_at_kill = 0;
    for _ in 0..400 {
        let v = job(&url, &id).await;
        done_at_kill = v["progress"]["done"].as_i64().unwrap_or(0);
        if done_at_kill >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().await.expect("kill -9");
    let total = job_total();
    assert!(
        done_at_kill >= 4 && done_at_kill < total,
        "killed at {done_at_kill} of {total}"
    );
    let sent_before = mock.stats().requests as i64;

    let (_second, url) = spawn().await;
    let view = finished(&url, &id).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_faithful(&view, &["ru", "zh"]);
    let sent_after = mock.stats().requests as i64 - sent_before;
    assert!(
        sent_after <= total - done_at_kill,
        "{sent_after} requests after the restart; {done_at_kill} of {total} chunks were done"
    );
}

/// Chunks of the long sample for ru and zh at 300 characters: the plan is the same on
/// every run, so the count comes from the plan itself.
fn job_total() -> i64 {
    let units: Vec<String> = {
        let a = lingo::article::Article::parse(
            article().as_bytes(),
            lingo::article::InputFormat::Text,
            None,
            false,
        )
        .unwrap();
        a.units().into_iter().map(String::from).collect()
    };
    let refs: Vec<&str> = units.iter().map(String::as_str).collect();
    2 * lingo::chunk::plan(&refs, lingo::chunk::Budget::Chars(300)).len() as i64
}
