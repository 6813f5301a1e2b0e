//! What the gateway costs: per-call overhead against calling the mock directly, and the
//! memory of `lingo serve` with 1,000 jobs in flight.
//!
//! Overhead: 300 one-paragraph translations sent at a fixed 20 requests/s, once straight
//! to the mock's chat endpoint and once through `POST /v1/translate` (parse, plan, protect,
//! prompt, dispatch, validate with language identification, assemble), with the mock at
//! 0 ms latency. The difference of the two latency distributions (p50, p99) is the cost
//! of the gateway per backend call.
//!
//! Memory: the release `lingo serve` binary as a child process, its backend held at a
//! 30 s latency so that nothing finishes, 1,000 jobs submitted; VmRSS from /proc.
//!
//! Run with `cargo bench --bench gateway`.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use lingo::mock::{MockOptions, MockServer};
use serde_json::json;

const CALLS: usize = 300;
const RATE: f64 = 20.0;
const JOBS: usize = 1000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Sends `CALLS` requests made by `request(i)` at `RATE` per second; their latencies, sorted.
async fn paced<F, Fut>(request: F) -> Vec<Duration>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CALLS {
        let due = start + Duration::from_secs_f64(i as f64 / RATE);
        tokio::time::sleep_until(due.into()).await;
        let call = request(i);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            call.await;
            t.elapsed()
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("call"));
    }
    out.sort();
    out
}

fn paragraph(i: usize) -> String {
    format!(
        "Bulletin {i}: the council approved {} new homes on the river bank on Monday, officials said.",
        i * 3
    )
}

async fn overhead() {
    let mock = MockServer::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        MockOptions::default(),
    )
    .await
    .expect("mock");
    let client = reqwest::Client::new();
    let chat = format!("{}/chat/completions", mock.openai_url());
    // Warm up connections and the mock.
    for i in 0..20 {
        let body = json!({"model": "m", "messages": [{"role": "user", "content": format!("<<<1>>>\n{}\n<<<end>>>", paragraph(i))}]});
        let _ = client
            .post(&chat)
            .header("x-lingo-task", "translate")
            .header("x-lingo-target-lang", "pt-BR")
            .json(&body)
            .send()
            .await;
    }
    let direct = paced(|i| {
        let (client, chat) = (client.clone(), chat.clone());
        async move {
            let body = json!({"model": "m", "messages": [{"role": "user", "content": format!("<<<1>>>\n{}\n<<<end>>>", paragraph(i))}]});
            let r = client.post(&chat).header("x-lingo-task", "translate").header("x-lingo-source-lang", "en").header("x-lingo-target-lang", "pt-BR").json(&body).send().await.expect("mock answers");
            assert!(r.status().is_success());
            let _ = r.bytes().await;
        }
    })
    .await;

    let db = std::env::temp_dir().join(format!("lingo-bench-{}.db", std::process::id()));
    let toml = format!(
        "[[backends]]\nname = \"llm\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\n\
         rate = {{ requests_per_second = 1000, burst = 100, max_concurrency = 64 }}\n\
         [[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"llm\"]\n\
         [store]\npath = \"{}\"\n",
        mock.openai_url(),
        db.display()
    );
    let config =
        lingo::Config::from_toml(&toml, std::path::Path::new("bench.toml")).expect("config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/v1/translate",
        listener.local_addr().expect("addr")
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(lingo::server::run(listener, config, async {
        let _ = stopped.await;
    }));
    for i in 0..20 {
        let _ = client
            .post(&url)
            .json(&json!({"article": {"text": paragraph(i), "lang": "en"}, "translate": ["pt-BR"]}))
            .send()
            .await;
    }
    let before = mock.stats().requests;
    let gateway = paced(|i| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let body = json!({"article": {"text": paragraph(i + 1000), "lang": "en"}, "translate": ["pt-BR"]});
            let r = client.post(&url).json(&body).send().await.expect("gateway answers");
            assert!(r.status().is_success(), "{}", r.status());
            let _ = r.bytes().await;
        }
    })
    .await;
    assert_eq!(
        mock.stats().requests - before,
        CALLS as u64,
        "one backend call per request"
    );
    let _ = stop.send(());
    let _ = server.await;
    let _ = std::fs::remove_file(&db);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("overhead: {CALLS} calls at {RATE}/s, mock latency 0 ms");
    for (name, p) in [("p50", 0.50), ("p99", 0.99)] {
        let (d, g) = (percentile(&direct, p), percentile(&gateway, p));
        println!(
            "  {name}: direct {:.2} ms, through the gateway {:.2} ms, overhead {:.2} ms",
            ms(d),
            ms(g),
            ms(g) - ms(d)
        );
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn memory() {
    let mock = MockServer::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        MockOptions {
            latency_ms: 30_000,
            ..MockOptions::default()
        },
    )
    .await
    .expect("mock");
    let dir = std::env::temp_dir().join(format!("lingo-bench-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cfg = dir.join("serve.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[backends]]\nname = \"llm\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"m\"\ntimeout_ms = 60000\n\
             rate = {{ requests_per_second = 50, burst = 10, max_concurrency = 8 }}\n\
             [[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"llm\"]\n\
             [server]\nmax_jobs = {JOBS}\nrequests_per_minute = 100000\n[store]\npath = \"jobs.db\"\n",
            mock.openai_url()
        ),
    )
    .expect("config");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lingo"))
        .args([
            "serve",
            "--config",
            &cfg.display().to_string(),
            "--listen",
            "127.0.0.1:18931",
        ])
        .env("LINGO_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .expect("lingo serve");
    let pid = child.id().expect("pid");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get("http://127.0.0.1:18931/healthz")
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = rss_kib(pid).unwrap_or(0);
    for i in 0..JOBS {
        let body = json!({"article": {"text": format!("{}\n\n{}", paragraph(i), paragraph(i + JOBS)), "lang": "en"}, "translate": ["pt-BR", "ru"]});
        let r = client
            .post("http://127.0.0.1:18931/v1/jobs")
            .json(&body)
            .send()
            .await
            .expect("submit");
        assert_eq!(r.status().as_u16(), 202);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loaded = rss_kib(pid).unwrap_or(0);
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "memory: lingo serve RSS {:.1} MiB idle, {:.1} MiB with {JOBS} jobs in flight ({:.1} KiB per job)",
        idle as f64 / 1024.0,
        loaded as f64 / 1024.0,
        (loaded.saturating_sub(idle)) as f64 / JOBS as f64
    );
}

#[tokio::main]
async fn main() {
    overhead().await;
    memory().await;
}
