-- Passkeys (contract §11). `credential` is the WebAuthn library's stored credential: the
-- public key, the signature counter and the flags, nothing secret. `counter` repeats the
-- counter so that an update can be conditional on it: of two sign-ins with one counter value,
-- on any nodes, one wins.
CREATE TABLE passkeys (
    id              BLOB PRIMARY KEY NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id   BLOB NOT NULL,
    credential      TEXT NOT NULL,
    counter         INTEGER NOT NULL DEFAULT 0,
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE UNIQUE INDEX passkeys_credential_id ON passkeys (credential_id);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A WebAuthn ceremony waiting for its answer: the library's state (the challenge sent, what
-- it requires), under the SHA-256 of the id the client holds. In the database so that any
-- node finishes it; deleted as it is read, so a challenge is answered once.
CREATE TABLE webauthn_challenges (
    hash            BLOB PRIMARY KEY NOT NULL,
    purpose         TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_factor')),
    user_id         BLOB REFERENCES users (id) ON DELETE CASCADE,
    state           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
