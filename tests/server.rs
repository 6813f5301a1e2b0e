//! `lingo serve` end to end over real sockets, with the mock as every backend: jobs and
//! their events, the cache, webhooks, priorities and a restart after kill -9. Where a test
//! needs a moment (the backend saturated, a job half done) it makes it with the mock's
//! hold gate, and it waits on events, never on the clock.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

mod common;

use std::time::Duration;

use common::server::*;
use common::*;
use lingo::mock::MockOptions;
use serde_json::{Value, json};
use tokio::net::TcpListener;

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
    use axum::http::{HeaderMap, StatusCode};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (deliveries, mut delivered) = tokio::sync::mpsc::unbounded_channel();
    let tries = Arc::new(AtomicUsize::new(0));
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (deliveries, tries) = (deliveries.clone(), tries.clone());
            async move {
                let signature = headers
                    .get(lingo::server::SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from);
                let _ = deliveries.send((signature, body));
                if tries.fetch_add(1, Ordering::SeqCst) < 2 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
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
    let mut log = Vec::new();
    while log.len() < 3 {
        let next = tokio::time::timeout(Duration::from_secs(60), delivered.recv()).await;
        log.push(
            next.expect("deliveries keep coming")
                .expect("receiver runs"),
        );
    }
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

/// 20 bulk jobs wait for a backend with one slot while the mock holds the first bulk
/// request; a breaking job submitted then gets the slot next, before any other bulk job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaking_news_overtakes_bulk() {
    let mock = mock(MockOptions::default()).await;
    mock.hold();
    let limits = "max_chunk_chars = 200\nrate = { requests_per_second = 100, burst = 10, max_concurrency = 1 }";
    let server = start(&config_for(&mock, limits, "[server]\nmax_jobs = 64\n")).await;
    let text = "Rain closed 12 roads in the city on Monday, officials said. \
                Crews worked through the night to clear 40 fallen trees.";
    for i in 0..20 {
        // Each article its own, so that none is answered from the cache.
        let text = format!("{text} Bulletin {i}.");
        let body = json!({"article": {"text": text, "lang": "en"}, "translate": ["ru"], "priority": "bulk"});
        submit(&server.url, &body).await;
    }
    mock.arrivals(1).await;
    backends_until(&server.url, |b| b["backends"][0]["waiting"]["bulk"] == 19).await;
    let breaking_text = format!("{text} Breaking.");
    let body = json!({"article": {"text": breaking_text, "lang": "en"}, "translate": ["ru"], "priority": "breaking"});
    let breaking = submit(&server.url, &body).await;
    backends_until(&server.url, |b| {
        b["backends"][0]["waiting"]["breaking"] == 1
    })
    .await;
    mock.open();
    assert_eq!(
        finished(&server.url, &breaking).await["status"],
        "succeeded"
    );
    let order: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| {
            r.body["messages"][1]["content"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(
        order[0].contains("Bulletin"),
        "the held bulk request came first"
    );
    assert!(
        order[1].contains("Breaking."),
        "the breaking job's request came second, not after the waiting bulk: {:?}",
        &order[..3]
    );
}

/// kill -9 in the middle of a job: the next start resumes it, and no chunk that had been
/// translated goes to a backend again. The mock lets exactly four answers through before
/// the kill, and holds the requests in flight then, so the moment is the same every run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_job_resumes_without_resending_finished_chunks() {
    let mock = mock(MockOptions::default()).await;
    mock.hold();
    let limits = "max_chunk_chars = 300\nrate = { requests_per_second = 50, burst = 5, max_concurrency = 2 }";
    let cfg = config_for(&mock, limits, "");
    let (mut first, url) = spawn_binary(&cfg).await;
    let id = submit(
        &url,
        &json!({"article": {"text": article()}, "translate": ["ru", "zh"]}),
    )
    .await;
    let mut events = Events::open(&url, &id, None).await;
    mock.release(4);
    events.until("translated", 4).await;
    // The next two requests are at the mock, held: nothing else can finish.
    mock.arrivals(6).await;
    let total = job(&url, &id).await["progress"]["total"].as_i64().unwrap();
    first.kill().await.expect("kill -9");
    let sent_before = mock.stats().requests as i64;
    assert!(
        total > 6,
        "the job needs more chunks than were sent: {total}"
    );

    mock.open();
    let (_second, url) = spawn_binary(&cfg).await;
    let view = finished(&url, &id).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    assert_faithful(&view, &["ru", "zh"]);
    let sent_after = mock.stats().requests as i64 - sent_before;
    assert_eq!(
        sent_after,
        total - 4,
        "after the restart, each chunk not done before the kill is sent once, and no other"
    );
}
