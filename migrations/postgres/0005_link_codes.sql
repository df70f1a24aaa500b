-- The 6-digit code emailed beside a verification or password reset link: a second way to
-- present that link, typed with the address. One row per account and purpose, so a new code
-- replaces the previous one; the code lives and dies with its link row (used, superseded,
-- expired), and goes with the account. Only an HMAC of the code is kept, under a key derived
-- from LATCHKEY_SECRET that is never stored.
CREATE TABLE link_codes (
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL,
    link_hash       BYTEA NOT NULL REFERENCES link_tokens (hash) ON DELETE CASCADE,
    code_hash       BYTEA NOT NULL,
    -- Wrong codes tried for this account and purpose; at 5 the code stops working (its link
    -- does not). Counted by one conditional UPDATE, so concurrent tries cannot pass 5.
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (user_id, purpose)
);
CREATE INDEX link_codes_link ON link_codes (link_hash);
