-- What the job path reads often gets a column of its own instead of being parsed out of
-- JSON text: each event's type (for SSE), each job's webhook (for its end and for
-- cancelling), and how many times a job was started (a job that keeps failing to finish,
-- because each start crashes the process, is not resumed forever).
ALTER TABLE events ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
UPDATE events SET kind = COALESCE(json_extract(data, '$.type'), 'message');

ALTER TABLE jobs ADD COLUMN starts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN webhook_url TEXT;
ALTER TABLE jobs ADD COLUMN webhook_secret TEXT;
UPDATE jobs SET webhook_url = json_extract(request, '$.webhook.url'),
                webhook_secret = json_extract(request, '$.webhook.secret');
