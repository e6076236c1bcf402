-- Site administrators: who may publish developer applications (`admin user create --admin`).
ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;

-- Authorization codes: single use, ten minutes. Only the code's hash is stored.
CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri TEXT,
    scopes INTEGER NOT NULL,
    code_challenge TEXT,
    flow_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

-- One row per access token and its refresh token. `family` ties every token that descends
-- from one grant (a code, or one password login), so a replayed code or a reused refresh
-- token revokes them all at once.
CREATE TABLE oauth_tokens (
    id INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes INTEGER NOT NULL,
    family TEXT NOT NULL,
    access_token_hash TEXT NOT NULL UNIQUE,
    refresh_token_hash TEXT UNIQUE,
    access_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoke_reason TEXT
);
CREATE INDEX oauth_tokens_family ON oauth_tokens(family);
CREATE INDEX oauth_tokens_user ON oauth_tokens(user_id, app_id);

-- Browser sessions of the web pages. Only the cookie value's hash is stored.
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX applications_owner ON applications(owner_id);
CREATE INDEX sources_app ON sources(app_id);
