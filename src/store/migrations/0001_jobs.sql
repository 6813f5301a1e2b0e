-- Jobs, their events (for Last-Event-ID replay), the piece cache, finished summaries, and
-- the webhook outbox. Times are Unix milliseconds.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    priority    TEXT NOT NULL,
    request     TEXT NOT NULL,
    result      TEXT,
    error       TEXT,
    done_steps  INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX jobs_by_status ON jobs (status);

CREATE TABLE events (
    job_id TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    data   TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE cache (
    key        TEXT PRIMARY KEY,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE summaries (
    job_id TEXT NOT NULL,
    lang   TEXT NOT NULL,
    data   TEXT NOT NULL,
    PRIMARY KEY (job_id, lang)
);

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT,
    body       TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    INTEGER NOT NULL,
    status     TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_at);
