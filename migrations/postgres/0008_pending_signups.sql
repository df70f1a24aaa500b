-- A sign-up is answered before its lookup and writes run (so that the answer's time does not
-- tell whether the address has an account), but not before it is here: the row is written
-- first, the same way for every address, and deleted by the transaction that records the
-- sign-up. A process that dies in between leaves the row, and any process finishes it later,
-- so an answered sign-up is never lost. The password is only its hash, and the row lives
-- milliseconds.
CREATE TABLE pending_signups (
    id              UUID PRIMARY KEY NOT NULL,
    email           TEXT NOT NULL,
    name            TEXT,
    locale          TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    lease_until     BIGINT
);
CREATE INDEX pending_signups_created ON pending_signups (created_at);
