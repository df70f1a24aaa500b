-- Users made by `latchkey dev seed`: it refuses to run on a database with any other user
-- (unless --force), so that known test accounts never appear beside real ones by accident.
CREATE TABLE dev_seed_users (
    user_id         UUID PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
