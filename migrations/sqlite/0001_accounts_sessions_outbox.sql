-- Times are Unix milliseconds (INTEGER) so that the same SQL runs on SQLite and PostgreSQL (BIGINT).
-- Ids are UUIDv7 (BLOB here, UUID there).

CREATE TABLE users (
    id              BLOB PRIMARY KEY NOT NULL,
    email           TEXT NOT NULL,               -- as the user typed it
    email_norm      TEXT NOT NULL,               -- lower case: what uniqueness is about
    password_hash   TEXT,                        -- NULL: no password yet (admin-made user)
    name            TEXT,
    email_verified  BOOLEAN NOT NULL DEFAULT FALSE,
    is_admin        BOOLEAN NOT NULL DEFAULT FALSE,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_norm ON users (email_norm);

-- Single-use link tokens: only the SHA-256 of each is kept.
CREATE TABLE link_tokens (
    hash            BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL,
    account_email   TEXT NOT NULL,               -- the account's normalized address when the link was
                                                 -- made; the link dies once the address differs
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    invalidated_at  INTEGER                      -- superseded by a later event
);
CREATE INDEX link_tokens_user_purpose ON link_tokens (user_id, purpose);

-- One row per log-in; the refresh token rotates within it.
CREATE TABLE sessions (
    id              BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash    BLOB NOT NULL,
    user_agent      TEXT,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Durable email queue. The link, while waiting, is sealed with a key derived from
-- LATCHKEY_SECRET and erased once the message is sent or dead.
CREATE TABLE outbox (
    id              BLOB PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,               -- JSON of the template values, no secrets
    sealed_link     BLOB,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'retrying', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_owner     BLOB,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX outbox_status ON outbox (status, id);

-- LATCHKEY_MAIL_COOLDOWN: last time an email of a kind went to an address.
CREATE TABLE mail_cooldowns (
    kind            TEXT NOT NULL,
    address         TEXT NOT NULL,
    last_at         INTEGER NOT NULL,
    PRIMARY KEY (kind, address)
);

-- Emails stored instead of sent when no SMTP is configured (development only).
CREATE TABLE dev_mailbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    html            TEXT NOT NULL,
    text            TEXT NOT NULL,
    links           TEXT NOT NULL,               -- JSON array
    created_at      INTEGER NOT NULL
);
