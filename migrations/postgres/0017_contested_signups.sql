-- Contested addresses (contract §4): an unverified account whose address got another sign-up
-- with a different password. When such an account is verified no sign-up's password survives:
-- the password is cleared and a reset link goes out. A row goes with its account, and with the
-- verification (or reset) that settles it.
CREATE TABLE contested_signups (
    user_id         UUID PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE
);

-- The stored hash whose password an answered sign-up repeated (checked before the answer, for
-- every address alike): a repeat, such as a double submit, does not contest the address.
ALTER TABLE pending_signups ADD COLUMN repeats_hash TEXT;
