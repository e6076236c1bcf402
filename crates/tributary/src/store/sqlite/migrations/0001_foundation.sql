CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parameterized_name TEXT NOT NULL UNIQUE,
    user_limit INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    nick TEXT NOT NULL,
    avatar TEXT NOT NULL,
    website TEXT,
    password_hash TEXT,
    api_token_hash TEXT NOT NULL UNIQUE,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE org_memberships (
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    admin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_memberships_user ON org_memberships(user_id);

CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    parameterized_name TEXT NOT NULL,
    access_mode TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    join_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, parameterized_name)
);

CREATE TABLE flow_memberships (
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    open INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, user_id)
);
CREATE INDEX flow_memberships_user ON flow_memberships(user_id);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    icon_url TEXT,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    setup_uri TEXT,
    configuration_uri TEXT,
    published INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    app_id INTEGER NOT NULL REFERENCES applications(id),
    creator_id INTEGER REFERENCES users(id),
    name TEXT NOT NULL,
    external_url TEXT,
    flow_token_hash TEXT NOT NULL UNIQUE,
    error_message TEXT,
    configuration_url TEXT,
    removed_at INTEGER,
    removal_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sources_flow ON sources(flow_id);
