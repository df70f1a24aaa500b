-- Attempts counted against the limits keyed on an address (log-in and every check of a
-- signed-in user's password: contract §2), kept here rather than in one process's memory so
-- that every process counts them together. `subject` is the SHA-256 of the route, the client
-- IP and the address: the table never holds an address. Rows older than the window are
-- deleted as the limiter goes.
CREATE TABLE rate_limit_hits (
    subject         BLOB NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX rate_limit_hits_subject ON rate_limit_hits (subject, at);
CREATE INDEX rate_limit_hits_at ON rate_limit_hits (at);
