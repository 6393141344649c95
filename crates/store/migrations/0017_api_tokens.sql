-- API tokens, for scripts that drive an exercise through /api/v1. A token acts as its user,
-- with that user's role and team. As with sessions, only the SHA-256 of the token is kept,
-- so a copy of the database opens nothing. Revoking a token is deleting its row; ending a
-- user's sessions ends their tokens too.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used  INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
