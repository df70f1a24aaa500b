-- PostgreSQL's own schema, column for column the SQLite one (a test compares them): ids are
-- native UUIDv7, times BIGINT Unix milliseconds (so that the same SQL runs on both engines),
-- hashes BYTEA, flags BOOLEAN.

CREATE TABLE users (
    id              UUID PRIMARY KEY NOT NULL,
    email           TEXT NOT NULL,               -- as the user typed it
    email_norm      TEXT NOT NULL,               -- lower case: what uniqueness is about
    password_hash   TEXT,                        -- NULL: no password yet (admin-made user)
    name            TEXT,
    email_verified  BOOLEAN NOT NULL DEFAULT FALSE,
    is_admin        BOOLEAN NOT NULL DEFAULT FALSE,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email_norm ON users (email_norm);

-- Single-use link tokens: only the SHA-256 of each is kept.
CREATE TABLE link_tokens (
    hash            BYTEA PRIMARY KEY NOT NULL,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL,
    account_email   TEXT NOT NULL,               -- the account's normalized address when the link was
                                                 -- made; the link dies once the address differs
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT,
    invalidated_at  BIGINT                      -- superseded by a later event
);
CREATE INDEX link_tokens_user_purpose ON link_tokens (user_id, purpose);

-- One row per log-in; the refresh token rotates within it.
CREATE TABLE sessions (
    id              UUID PRIMARY KEY NOT NULL,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash    BYTEA NOT NULL,
    user_agent      TEXT,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Durable email queue. The link, while waiting, is sealed with a key derived from
-- LATCHKEY_SECRET and erased once the message is sent or dead.
CREATE TABLE outbox (
    id              UUID PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,               -- JSON of the template values, no secrets
    sealed_link     BYTEA,
    status          TEXT NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'retrying', 'sent', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     UUID,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status IN ('queued', 'retrying');
CREATE INDEX outbox_status ON outbox (status, id);

-- LATCHKEY_MAIL_COOLDOWN: last time an email of a kind went to an address.
CREATE TABLE mail_cooldowns (
    kind            TEXT NOT NULL,
    address         TEXT NOT NULL,
    last_at         BIGINT NOT NULL,
    PRIMARY KEY (kind, address)
);

-- Emails stored instead of sent when no SMTP is configured (development only).
CREATE TABLE dev_mailbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    html            TEXT NOT NULL,
    text            TEXT NOT NULL,
    links           TEXT NOT NULL,               -- JSON array
    created_at      BIGINT NOT NULL
);
