//! The SQLite store: one file, write-ahead logging, migrations embedded in the binary.
//! Every write is committed before the call returns, so a `kill -9` loses nothing that a
//! caller was told is stored.

use std::path::Path;
use std::str::FromStr;

use futures::FutureExt;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::{
    Delivery, JobEnd, JobRecord, JobStatus, Store, StoreError, StoreFuture, StoredEvent, Webhook,
    now_ms,
};

pub(crate) struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub(crate) async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/store/migrations").run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

/// Appends an event to job `job`'s sequence: its sequence number.
async fn insert_event(
    db: impl sqlx::SqliteExecutor<'_>,
    job: &str,
    kind: &str,
    data: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO events (job_id, seq, kind, data) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE job_id = $1), $2, $3) \
         RETURNING seq",
    )
    .bind(job)
    .bind(kind)
    .bind(data)
    .fetch_one(db)
    .await?;
    Ok(row.try_get("seq")?)
}

fn job_from(row: &sqlx::sqlite::SqliteRow) -> Result<JobRecord, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(JobRecord {
        id: row.try_get("id")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("job status '{status}'")))?,
        priority: row.try_get("priority")?,
        request: row.try_get("request")?,
        webhook: row
            .try_get::<Option<String>, _>("webhook_url")?
            .map(|url| -> Result<Webhook, StoreError> {
                Ok(Webhook {
                    url,
                    secret: row.try_get("webhook_secret")?,
                })
            })
            .transpose()?,
        starts: row.try_get("starts")?,
        result: row.try_get("result")?,
        error: row.try_get("error")?,
        done_steps: row.try_get("done_steps")?,
        total_steps: row.try_get("total_steps")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store for SqliteStore {
    fn create_job(&self, job: &JobRecord) -> StoreFuture<'_, ()> {
        let job = job.clone();
        async move {
            sqlx::query(
                "INSERT INTO jobs (id, status, priority, request, webhook_url, webhook_secret, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(&job.id)
            .bind(job.status.as_str())
            .bind(&job.priority)
            .bind(&job.request)
            .bind(job.webhook.as_ref().map(|w| w.url.as_str()))
            .bind(job.webhook.as_ref().and_then(|w| w.secret.as_deref()))
            .bind(job.created_at)
            .execute(&self.pool)
            .await?;
            Ok(())
        }
        .boxed()
    }

    fn start_job<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        async move {
            sqlx::query(
                "UPDATE jobs SET status = $1, starts = starts + 1, updated_at = $2 WHERE id = $3",
            )
            .bind(JobStatus::Running.as_str())
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
            Ok(())
        }
        .boxed()
    }

    fn set_progress<'a>(&'a self, id: &'a str, done: i64, total: i64) -> StoreFuture<'a, ()> {
        async move {
            sqlx::query(
                "UPDATE jobs SET done_steps = $1, total_steps = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(done)
            .bind(total)
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
            Ok(())
        }
        .boxed()
    }

    fn end_job<'a>(&'a self, end: &'a JobEnd<'a>) -> StoreFuture<'a, Option<i64>> {
        async move {
            let mut tx = self.pool.begin().await?;
            let ended = sqlx::query(
                "UPDATE jobs SET status = $1, result = $2, error = $3, updated_at = $4 \
                 WHERE id = $5 AND status IN ('queued', 'running')",
            )
            .bind(end.status.as_str())
            .bind(end.result)
            .bind(end.error)
            .bind(now_ms())
            .bind(end.id)
            .execute(&mut *tx)
            .await?;
            if ended.rows_affected() == 0 {
                return Ok(None);
            }
            if let Some((hook, body)) = end.delivery {
                sqlx::query(
                    "INSERT INTO outbox (job_id, url, secret, body, next_at, status) \
                     VALUES ($1, $2, $3, $4, $5, 'pending')",
                )
                .bind(end.id)
                .bind(&hook.url)
                .bind(hook.secret.as_deref())
                .bind(body)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            }
            let seq = insert_event(&mut *tx, end.id, "done", end.event).await?;
            tx.commit().await?;
            Ok(Some(seq))
        }
        .boxed()
    }

    fn job<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<JobRecord>> {
        async move {
            let row = sqlx::query("SELECT * FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(job_from).transpose()
        }
        .boxed()
    }

    fn unfinished(&self) -> StoreFuture<'_, Vec<JobRecord>> {
        async move {
            let rows = sqlx::query(
                "SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at",
            )
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(job_from).collect()
        }
        .boxed()
    }

    fn add_event<'a>(&'a self, job: &'a str, kind: &'a str, data: &'a str) -> StoreFuture<'a, i64> {
        insert_event(&self.pool, job, kind, data).boxed()
    }

    fn events_after<'a>(&'a self, job: &'a str, seq: i64) -> StoreFuture<'a, Vec<StoredEvent>> {
        async move {
            let rows = sqlx::query(
                "SELECT seq, kind, data FROM events WHERE job_id = $1 AND seq > $2 ORDER BY seq",
            )
            .bind(job)
            .bind(seq)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(StoredEvent {
                        seq: r.try_get("seq")?,
                        kind: r.try_get("kind")?,
                        data: r.try_get("data")?,
                    })
                })
                .collect()
        }
        .boxed()
    }

    fn cache_get<'a>(&'a self, keys: &'a [String]) -> StoreFuture<'a, Vec<Option<String>>> {
        async move {
            // One query for the whole chunk: the keys travel as a JSON array.
            let list =
                serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let rows = sqlx::query(
                "SELECT key, text FROM cache WHERE key IN (SELECT value FROM json_each($1))",
            )
            .bind(list)
            .fetch_all(&self.pool)
            .await?;
            let mut found = std::collections::HashMap::with_capacity(rows.len());
            for row in &rows {
                let key: String = row.try_get("key")?;
                found.insert(key, row.try_get::<String, _>("text")?);
            }
            Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
        }
        .boxed()
    }

    fn cache_put<'a>(&'a self, entries: &'a [(String, String)]) -> StoreFuture<'a, ()> {
        async move {
            let mut tx = self.pool.begin().await?;
            for (key, text) in entries {
                sqlx::query(
                    "INSERT INTO cache (key, text, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO UPDATE SET text = excluded.text",
                )
                .bind(key)
                .bind(text)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .boxed()
    }

    fn summary_get<'a>(&'a self, job: &'a str, lang: &'a str) -> StoreFuture<'a, Option<String>> {
        async move {
            let row = sqlx::query("SELECT data FROM summaries WHERE job_id = $1 AND lang = $2")
                .bind(job)
                .bind(lang)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|r| r.try_get("data")).transpose()?)
        }
        .boxed()
    }

    fn summary_put<'a>(
        &'a self,
        job: &'a str,
        lang: &'a str,
        data: &'a str,
    ) -> StoreFuture<'a, ()> {
        async move {
            sqlx::query(
                "INSERT INTO summaries (job_id, lang, data) VALUES ($1, $2, $3) \
                 ON CONFLICT (job_id, lang) DO UPDATE SET data = excluded.data",
            )
            .bind(job)
            .bind(lang)
            .bind(data)
            .execute(&self.pool)
            .await?;
            Ok(())
        }
        .boxed()
    }

    fn outbox_due(&self, now: i64) -> StoreFuture<'_, Vec<Delivery>> {
        async move {
            let rows = sqlx::query(
                "SELECT id, job_id, url, secret, body, attempts FROM outbox \
                 WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at LIMIT 32",
            )
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Delivery {
                        id: r.try_get("id")?,
                        job_id: r.try_get("job_id")?,
                        url: r.try_get("url")?,
                        secret: r.try_get("secret")?,
                        body: r.try_get("body")?,
                        attempts: r.try_get("attempts")?,
                    })
                })
                .collect()
        }
        .boxed()
    }

    fn outbox_attempted<'a>(
        &'a self,
        id: i64,
        delivered: bool,
        retry_at: Option<i64>,
        error: Option<&'a str>,
    ) -> StoreFuture<'a, ()> {
        async move {
            let status = match (delivered, retry_at) {
                (true, _) => "delivered",
                (false, Some(_)) => "pending",
                (false, None) => "failed",
            };
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, status = $1, next_at = $2, last_error = $3 \
                 WHERE id = $4",
            )
            .bind(status)
            .bind(retry_at.unwrap_or_else(now_ms))
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
            Ok(())
        }
        .boxed()
    }

    fn ping(&self) -> StoreFuture<'_, ()> {
        async move {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        }
        .boxed()
    }
}
