-- The place hint of a session (its client's address, host part masked: 203.0.113.x, or an IPv6 /48),
-- kept from its start for the sessions list. Sessions begun before have none.
ALTER TABLE sessions ADD COLUMN ip_hint TEXT;
