-- Refresh tokens a session issued and then rotated out (only their hash). A presented token
-- found here is reuse of a real token; one found nowhere is a forgery and changes nothing.
-- `rotated_at` gives two tabs that refresh at once a grace period before reuse revokes.
CREATE TABLE rotated_refresh_tokens (
    hash            BLOB PRIMARY KEY NOT NULL,
    session_id      BLOB NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rotated_at      INTEGER NOT NULL
);
CREATE INDEX rotated_refresh_tokens_session ON rotated_refresh_tokens (session_id);
-- Recorded by the rotation itself, so that a refresh stays one statement on the writer.
CREATE TRIGGER sessions_remember_rotated_refresh AFTER UPDATE OF refresh_hash ON sessions
WHEN OLD.refresh_hash <> NEW.refresh_hash
BEGIN
    INSERT OR IGNORE INTO rotated_refresh_tokens (hash, session_id, rotated_at)
    VALUES (OLD.refresh_hash, OLD.id, NEW.last_used_at);
END;

-- Revert links outlive later changes of the address; finding the live ones of an old address
-- (reserved for its account until they expire) goes through the change's old address.
CREATE INDEX email_changes_old_email ON email_changes (old_email_norm) WHERE state = 'applied';
