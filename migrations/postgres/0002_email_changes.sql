-- Pending email changes live here, not in a cache: they survive restarts, expire by their own
-- `expires_at`, and a confirmation can only ever apply the address of the row its link names.
CREATE TABLE email_changes (
    id              UUID PRIMARY KEY NOT NULL,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    old_email       TEXT NOT NULL,
    old_email_norm  TEXT NOT NULL,
    new_email       TEXT NOT NULL,
    new_email_norm  TEXT NOT NULL,
    -- The session that asked: the one kept when the change applies.
    session_id      UUID,
    -- LATCHKEY_EMAIL_CHANGE_CONFIRM_OLD when requested.
    needs_old       BOOLEAN NOT NULL,
    -- The new address belonged to another account when requested: this change never applies.
    blocked         BOOLEAN NOT NULL DEFAULT FALSE,
    new_confirmed_at BIGINT,
    old_confirmed_at BIGINT,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'superseded', 'cancelled', 'applied', 'reverted')),
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    applied_at      BIGINT
);
-- At most one pending change per account: a new request supersedes the old one first.
CREATE UNIQUE INDEX email_changes_one_pending ON email_changes (user_id) WHERE state = 'pending';

-- Links that confirm or revert a change name it.
ALTER TABLE link_tokens ADD COLUMN change_id UUID REFERENCES email_changes (id) ON DELETE CASCADE;
CREATE INDEX link_tokens_change ON link_tokens (change_id) WHERE change_id IS NOT NULL;
