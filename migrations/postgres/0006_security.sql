-- Refresh tokens a session issued and then rotated out (only their hash). A presented token
-- found here is reuse of a real token; one found nowhere is a forgery and changes nothing.
-- `rotated_at` gives two tabs that refresh at once a grace period before reuse revokes.
CREATE TABLE rotated_refresh_tokens (
    hash            BYTEA PRIMARY KEY NOT NULL,
    session_id      UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    rotated_at      BIGINT NOT NULL
);
CREATE INDEX rotated_refresh_tokens_session ON rotated_refresh_tokens (session_id);
-- Recorded by the rotation itself, so that a refresh stays one statement (one round trip).
CREATE FUNCTION sessions_remember_rotated_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rotated_refresh_tokens (hash, session_id, rotated_at)
    VALUES (OLD.refresh_hash, OLD.id, NEW.last_used_at)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER sessions_remember_rotated_refresh AFTER UPDATE OF refresh_hash ON sessions
FOR EACH ROW WHEN (OLD.refresh_hash <> NEW.refresh_hash)
EXECUTE FUNCTION sessions_remember_rotated_refresh();

-- Revert links outlive later changes of the address; finding the live ones of an old address
-- (reserved for its account until they expire) goes through the change's old address.
CREATE INDEX email_changes_old_email ON email_changes (old_email_norm) WHERE state = 'applied';
