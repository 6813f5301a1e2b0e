//! `lingo serve` for tests: started in this process on a loopback port (the function
//! the binary calls), or as the real binary in a child process; jobs submitted and
//! followed through their event stream, never by sleeping.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use lingo::Config;
use lingo::mock::MockServer;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::{backend, route, sample, temp_path, write};

/// How long a test waits for a job or an event before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

/// A server running in this process on a loopback port; stopped when dropped.
pub struct Server {
    pub url: String,
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

/// A config with one mock-backed LLM (translate and summarize), its own SQLite file, and
/// `extra` TOML.
pub fn config_for(mock: &MockServer, backend_extra: &str, extra: &str) -> PathBuf {
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

pub async fn start(config: &Path) -> Server {
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

/// `lingo serve --config CONFIG` as a child process, killed when dropped; and its URL.
pub async fn spawn_binary(config: &Path) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lingo"))
        .args(["serve", "--config"])
        .arg(config)
        .args(["--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("lingo serve starts");
    let stderr = child.stderr.take().expect("stderr");
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

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

pub async fn submit(url: &str, body: &Value) -> String {
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

pub async fn job(url: &str, id: &str) -> Value {
    client()
        .get(format!("{url}/v1/jobs/{id}"))
        .send()
        .await
        .expect("GET job")
        .json()
        .await
        .expect("json")
}

/// Waits for the job's `done` event; the job's final view.
pub async fn finished(url: &str, id: &str) -> Value {
    let mut events = Events::open(url, id, None).await;
    events.until("done", 1).await;
    job(url, id).await
}

/// Reads an SSE stream to its end: (id, event, data) triples.
pub async fn events(url: &str, id: &str, last: Option<u64>) -> Vec<(u64, String, Value)> {
    let mut stream = Events::open(url, id, last).await;
    let mut out = Vec::new();
    while let Some(event) = stream.next().await {
        out.push(event);
    }
    out
}

/// A job's event stream, read event by event as it comes.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    pub async fn open(url: &str, id: &str, last: Option<u64>) -> Events {
        let mut request = client().get(format!("{url}/v1/jobs/{id}/events"));
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let response = request.send().await.expect("events");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Events {
            response,
            buffer: String::new(),
        }
    }

    /// The next event with an id, or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<(u64, String, Value)> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                        .map(String::from)
                };
                if let (Some(id), Some(kind), Some(data)) =
                    (field("id"), field("event"), field("data"))
                {
                    let data = serde_json::from_str(&data).expect("event data is JSON");
                    return Some((id.parse().expect("numeric id"), kind, data));
                }
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("events keep coming")
                .expect("stream")?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads on until `n` events of type `kind` have come.
    pub async fn until(&mut self, kind: &str, n: usize) {
        let mut seen = 0;
        while seen < n {
            let (_, k, _) = self.next().await.expect("the stream ended early");
            seen += usize::from(k == kind);
        }
    }
}

/// Asks `GET /v1/backends` until `ready` holds for its JSON. The server's own view of
/// its queues, so that a test can act once they are as it needs them.
pub async fn backends_until(url: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let view: Value = client()
            .get(format!("{url}/v1/backends"))
            .send()
            .await
            .expect("GET /v1/backends")
            .json()
            .await
            .expect("json");
        if ready(&view) {
            return view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backends never got there: {view}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn article() -> String {
    std::fs::read_to_string(sample("reservoir-long.txt")).expect("sample")
}

pub const LANGS: [&str; 5] = ["pt-BR", "ru", "hi", "zh", "af"];
