//! Wall time of a translation job against the best possible schedule.
//!
//! 200 chunk calls go through the mock at 50 ms latency, under 20 requests/s with burst 5
//! and 8 concurrent slots. T* is the earliest-start schedule for n calls of latency L
//! through C slots under rate R with burst B:
//! s_k = max(max(0, k-B+1)/R, s_(k-C) + L), T* = s_(n-1) + L. Target: measured / T* <= 1.05.
//!
//! Run with `cargo bench --bench schedule`.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use lingo::mock::{MockOptions, MockServer};
use lingo::pipeline::{self, Job};
use lingo::{Article, Config, Gateway, InputFormat, LangTag, LengthSpec};

const CALLS: usize = 200;
const LATENCY: Duration = Duration::from_millis(50);
const RATE: f64 = 20.0;
const BURST: usize = 5;
const SLOTS: usize = 8;
const RUNS: usize = 3;

fn best_schedule(n: usize, latency: f64, slots: usize, rate: f64, burst: usize) -> f64 {
    let mut starts: Vec<f64> = Vec::with_capacity(n);
    for k in 0..n {
        let by_rate = k.saturating_sub(burst - 1) as f64 / rate;
        let by_slot = if k >= slots {
            starts[k - slots] + latency
        } else {
            0.0
        };
        starts.push(by_rate.max(by_slot));
    }
    starts[n - 1] + latency
}

/// One block per chunk: each paragraph is longer than half the chunk budget.
fn article() -> Vec<u8> {
    (0..CALLS)
        .map(|i| format!("Paragraph {i} of the benchmark article reports that the council approved {} new homes.\n\n", i * 7))
        .collect::<String>()
        .into_bytes()
}

fn main() {
    // The mock plays the provider: it gets a runtime of its own, as it would a machine,
    // so that its clock does not share worker threads with the gateway it measures.
    let provider = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("provider runtime");
    let server = provider
        .block_on(MockServer::start(
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            MockOptions {
                latency_ms: LATENCY.as_millis() as u64,
                ..MockOptions::default()
            },
        ))
        .expect("mock starts");
    let gateway_runtime = tokio::runtime::Runtime::new().expect("gateway runtime");
    gateway_runtime.block_on(measure(&server));
}

async fn measure(server: &MockServer) {
    let toml = format!(
        "[[backends]]\nname = \"bench\"\nkind = \"openai\"\nbase_url = \"{}\"\nmodel = \"bench\"\nmax_chunk_chars = 150\n\
         rate = {{ requests_per_second = {RATE}, burst = {BURST}, max_concurrency = {SLOTS} }}\n\n\
         [[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"bench\"]\n",
        server.openai_url()
    );
    let en = LangTag::parse("en").expect("tag");
    let article = Article::parse(&article(), InputFormat::Text, Some(en), false).expect("article");
    let job = Job {
        translate: vec![LangTag::parse("pt-BR").expect("tag")],
        summarize: Vec::new(),
        length: LengthSpec::Short,
        glossaries: Vec::new(),
        priority: lingo::Priority::Normal,
    };
    // Load the language models before the clock starts (the gateway loads the tokenizer).
    Article::parse(
        "Aquecimento do detector de idiomas antes da medição.".as_bytes(),
        InputFormat::Text,
        None,
        false,
    )
    .expect("warm-up article");

    let t_star = best_schedule(CALLS, LATENCY.as_secs_f64(), SLOTS, RATE, BURST);
    println!(
        "schedule: n={CALLS} calls, L={} ms, C={SLOTS}, R={RATE}/s, B={BURST}",
        LATENCY.as_millis()
    );
    println!(
        "T* = {t_star:.3} s (lower bound max(ceil(n/C)*L, (n-B)/R + L) = {:.3} s)",
        ((CALLS.div_ceil(SLOTS)) as f64 * LATENCY.as_secs_f64())
            .max((CALLS - BURST) as f64 / RATE + LATENCY.as_secs_f64())
    );
    let mut ratios = Vec::new();
    for run in 1..=RUNS {
        let config = Config::from_toml(&toml, Path::new("bench.toml")).expect("config");
        let gateway = Gateway::start(config).await.expect("gateway");
        let before = server.stats().requests;
        let t0 = Instant::now();
        let out = pipeline::run(
            &gateway,
            &article,
            &job,
            &pipeline::Forgetful,
            &pipeline::Unobserved,
        )
        .await
        .expect("translation");
        let wall = t0.elapsed().as_secs_f64();
        let calls = server.stats().requests - before;
        assert_eq!(out.translations[0].blocks.len(), CALLS);
        let ratio = wall / t_star;
        ratios.push(ratio);
        println!("run {run}: {calls} calls, wall {wall:.3} s, measured / T* = {ratio:.3}");
        // Let the rate window of this run pass before the next gateway starts.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    ratios.sort_by(f64::total_cmp);
    let stats = server.stats();
    println!(
        "median measured / T* = {:.3} (target <= 1.05)",
        ratios[RUNS / 2]
    );
    println!(
        "most requests the mock saw in any one second: {} (configured rate {RATE})",
        stats.max_requests_in_one_second
    );
}
