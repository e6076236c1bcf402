-- Messages and threads. A flow's message ids come from flow_counters, so they increase
-- within the flow and commit in order.
CREATE TABLE flow_counters (
    flow_id TEXT PRIMARY KEY REFERENCES flows(id) ON DELETE CASCADE,
    last_message_id INTEGER NOT NULL
);

CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    source_id INTEGER REFERENCES sources(id),
    app_id INTEGER,
    external_thread_id TEXT,
    message_count INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (source_id, external_thread_id)
);
CREATE INDEX threads_flow_updated ON threads(flow_id, updated_at);

CREATE TABLE messages (
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    event TEXT NOT NULL,
    user_id INTEGER,
    source_id INTEGER,
    app TEXT,
    thread_id TEXT,
    parent_id INTEGER,
    body TEXT NOT NULL,
    sent INTEGER NOT NULL,
    UNIQUE (flow_id, id)
);
CREATE INDEX messages_thread ON messages(thread_id, id);

CREATE TABLE message_tags (
    flow_id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (flow_id, tag, message_id)
);
CREATE INDEX message_tags_message ON message_tags(flow_id, message_id);

-- Full text search; its rowid is the messages rowid.
CREATE VIRTUAL TABLE messages_fts USING fts5(text);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
