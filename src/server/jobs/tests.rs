//! Jobs against a real SQLite file and an in-process mock over loopback HTTP: what a
//! start does with jobs a previous process left behind, and what a panic becomes.

use std::path::Path;
use std::sync::Arc;

use super::{Jobs, MAX_STARTS, caught};
use crate::config::Config;
use crate::gateway::Gateway;
use crate::store::{JobRecord, JobStatus, SqliteStore, Store, now_ms};

async fn jobs() -> (Arc<Jobs>, Arc<dyn Store>) {
    let toml = "[[backends]]\nname = \"offline\"\nkind = \"mock\"\n\n\
                [[routes]]\ntask = \"translate\"\nlangs = [\"*\"]\nbackends = [\"offline\"]\n";
    let config = Config::from_toml(toml, Path::new("jobs.toml")).unwrap();
    let gateway = Arc::new(Gateway::start(config).await.unwrap());
    let file = std::env::temp_dir().join(format!("lingo-jobs-{}.db", uuid::Uuid::now_v7()));
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&file).await.unwrap());
    (Jobs::new(gateway, store.clone()), store)
}

/// A job left `running` after `starts` starts, as a crashed process leaves it.
async fn left_behind(store: &dyn Store, id: &str, starts: i64) {
    let request = r#"{"article": {"text": "Rain closed 12 roads in the city on Monday, officials said.", "lang": "en"}, "translate": ["pt-BR"]}"#;
    let record = JobRecord {
        id: id.into(),
        status: JobStatus::Queued,
        priority: "normal".into(),
        request: request.into(),
        webhook: None,
        starts: 0,
        result: None,
        error: None,
        done_steps: 0,
        total_steps: 0,
        created_at: now_ms(),
        updated_at: now_ms(),
    };
    store.create_job(&record).await.unwrap();
    for _ in 0..starts {
        store.start_job(id).await.unwrap();
    }
}

#[tokio::test]
async fn a_job_that_keeps_crashing_is_failed_not_resumed() {
    let (jobs, store) = jobs().await;
    left_behind(store.as_ref(), "once", 1).await;
    left_behind(store.as_ref(), "looping", MAX_STARTS).await;
    let mut once_events = jobs.subscribe("once");
    assert_eq!(jobs.resume().await, 1, "only the job started once resumes");

    let looping = store.job("looping").await.unwrap().unwrap();
    assert_eq!(looping.status, JobStatus::Failed);
    let error = looping.error.unwrap_or_default();
    assert!(
        error.contains("started 5 times without finishing"),
        "{error}"
    );
    let events = store.events_after("looping", 0).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["done"]
    );

    while once_events.recv().await.unwrap().kind != "done" {}
    let once = store.job("once").await.unwrap().unwrap();
    assert_eq!(once.status, JobStatus::Succeeded, "{:?}", once.error);
    assert_eq!(once.starts, 2);
}

#[tokio::test]
async fn a_panic_comes_back_as_its_message() {
    assert_eq!(caught(async { 7 }).await, Ok(7));
    let what = caught(async { "x".parse::<u32>().expect("a number") }).await;
    assert!(what.is_err_and(|w| w.starts_with("a number")));
    let formatted = caught(async { panic!("chunk {} of {}", 3, 4) }).await;
    assert_eq!(formatted, Err("chunk 3 of 4".to_string()));
}

/// A job's end is one commit: its state, its `done` event and its delivery together, and
/// a second end (a cancel racing the job's own end) writes nothing.
#[tokio::test]
async fn the_first_end_of_a_job_wins_and_writes_everything_at_once() {
    use super::event::Ending;
    use crate::store::Webhook;
    let (jobs, store) = jobs().await;
    left_behind(store.as_ref(), "j", 1).await;
    let hook = Webhook {
        url: "http://127.0.0.1:9/hook".into(),
        secret: Some("s".into()),
    };
    let mut live = jobs.subscribe("j");
    jobs.end("j", Ending::failed("first"), Some(&hook)).await;
    jobs.end("j", Ending::failed("second"), Some(&hook)).await;
    let record = store.job("j").await.unwrap().unwrap();
    assert_eq!(
        (record.status, record.error.as_deref()),
        (JobStatus::Failed, Some("first"))
    );
    let events = store.events_after("j", 0).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "done");
    assert!(
        events[0].data.contains("\"error\":\"first\""),
        "{}",
        events[0].data
    );
    assert_eq!(live.recv().await.unwrap(), events[0], "told live as stored");
    assert!(live.recv().await.is_err(), "the stream closes after done");
    assert!(jobs.streams.lock().unwrap().is_empty(), "and is dropped");
    drop(jobs.subscribe("never-ends"));
    jobs.unheard("never-ends");
    assert!(jobs.streams.lock().unwrap().is_empty(), "nobody follows it");
    let due = store.outbox_due(now_ms() + 1).await.unwrap();
    assert_eq!(due.len(), 1, "one delivery");
    assert!(due[0].body.contains("\"first\""));
}
