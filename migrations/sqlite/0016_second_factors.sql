-- Second factors (contract §11). The authenticator app's secret is sealed with a key derived
-- from LATCHKEY_SECRET (never readable here); `confirmed_at` NULL is an enrolment waiting for
-- its first code. `last_step` is the newest 30-second step whose code was accepted: a code of
-- that step or an older one is refused, so no code is accepted twice.
CREATE TABLE totp_factors (
    user_id         BLOB PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed   BLOB NOT NULL,
    created_at      INTEGER NOT NULL,
    confirmed_at    INTEGER,
    last_step       INTEGER NOT NULL DEFAULT 0
);

-- Recovery codes: only a keyed hash of each (the key derived from LATCHKEY_SECRET).
CREATE TABLE recovery_codes (
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash            BLOB NOT NULL,
    used_at         INTEGER,
    PRIMARY KEY (user_id, hash)
);

-- The step between a right password (or an emailed sign-in) and the second factor: only the
-- SHA-256 of the opaque token the client holds. In the database, not in a node's memory, so
-- that any node finishes the log-in, and one use wins a race.
CREATE TABLE mfa_tokens (
    hash            BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_factor    TEXT NOT NULL CHECK (first_factor IN ('pwd', 'email')),
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
);
CREATE INDEX mfa_tokens_user ON mfa_tokens (user_id);

-- How the session was signed in (RFC 8176 values, comma-separated): every access token of
-- the session carries it as `amr`, refreshed ones too.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
