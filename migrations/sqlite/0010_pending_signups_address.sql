-- A sign-up is there once it is answered (read-your-writes): a log-in, or an operator's look-up,
-- that finds a pending sign-up for its address records it first. The address in its compared
-- form, indexed, so that the look-up every log-in makes is one index probe. Rows written by an
-- earlier version get the lower-cased address; the finisher records them anyway.
ALTER TABLE pending_signups ADD COLUMN email_norm TEXT NOT NULL DEFAULT '';
UPDATE pending_signups SET email_norm = lower(email);
CREATE INDEX pending_signups_email ON pending_signups (email_norm);
