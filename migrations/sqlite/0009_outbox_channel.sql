-- Which lane of the worker sends a message, in a column of its own: the queries used to tell
-- webhook events from emails by a dot in the kind. Rows already queued are sorted by that
-- rule once, here.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email'
    CHECK (channel IN ('email', 'webhook'));
UPDATE outbox SET channel = 'webhook' WHERE kind LIKE '%.%';

-- An email's payload is its kind's values tagged by the kind (`"kind"`), the way the worker
-- reads it now.
UPDATE outbox SET payload = json_set(payload, '$.kind', kind) WHERE channel = 'email';

-- A lane claims the due messages of its channel, the earliest due first.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (channel, next_attempt_at) WHERE status IN ('queued', 'retrying');
