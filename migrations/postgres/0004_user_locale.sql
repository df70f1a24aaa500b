-- A user's language for emails and pages (contract §6); NULL: the deployment's default.
ALTER TABLE users ADD COLUMN locale TEXT;
