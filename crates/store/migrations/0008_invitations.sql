-- One-time invitation links: an instructor invites someone to join as a player of one team
-- or as an observer. Only the SHA-256 of the link's token is kept. A link works once, until
-- it expires; `used_at`/`used_by` record who joined with it.
CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('player', 'observer')),
    team       TEXT,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    INTEGER REFERENCES users (id),
    CHECK ((role = 'player') = (team IS NOT NULL))
);
