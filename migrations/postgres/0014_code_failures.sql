-- Wrong codes (contract §4) counted per address and purpose across all the codes sent to it,
-- so that new emails do not buy new guesses: at most 10 in any 24 hours. A row per wrong try,
-- written alike whether or not the address has an account (the write is what an attacker
-- could time). `subject` is an HMAC of the purpose and the address under the code key: the
-- table never holds an address. Rows older than a day are deleted as codes are tried and by
-- the housekeeping task. The per-code limit (5) counts the rows since that code was made;
-- link_codes.failed_attempts is no longer used.
CREATE TABLE code_failures (
    subject         BYTEA NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX code_failures_subject ON code_failures (subject, at);
CREATE INDEX code_failures_at ON code_failures (at);

-- The accounts a sign-up made (not an operator): those never verified are deleted once their
-- last verification link has been expired for LATCHKEY_UNVERIFIED_RETENTION (contract §4), so
-- a squatted address does not stay taken for ever. A row goes with its account.
CREATE TABLE signup_accounts (
    user_id         UUID PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
