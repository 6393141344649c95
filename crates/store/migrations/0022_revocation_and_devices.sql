-- An invitation can be revoked before anyone uses it (a link sent to the wrong person, a
-- printed sheet left on a table): who revoked it and when. A revoked link never works again.
ALTER TABLE invitations ADD COLUMN revoked_at INTEGER;
ALTER TABLE invitations ADD COLUMN revoked_by INTEGER REFERENCES users (id);

-- Sessions get a stable id, so that a user can end one of their sessions by a number that
-- says nothing about its token (the token's hash stays out of every page), and a short device
-- label ("Firefox on Windows"), made at sign-in from the browser's User-Agent, which is never
-- kept itself. SQLite cannot add a primary key to a table, so the table is rebuilt; the rows
-- keep their order of sign-in, and old rows have no device label.
CREATE TABLE sessions_with_ids (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    device     TEXT
);
INSERT INTO sessions_with_ids (token_hash, user_id, created_at, expires_at)
    SELECT token_hash, user_id, created_at, expires_at FROM sessions ORDER BY created_at, rowid;
DROP TABLE sessions;
ALTER TABLE sessions_with_ids RENAME TO sessions;
-- A user's sessions, oldest first: listing them, and ending the oldest beyond the limit.
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
