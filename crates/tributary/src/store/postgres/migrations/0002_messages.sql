-- Messages and threads. Posting locks the flow's flow_counters row until commit, so a
-- flow's message ids increase, commit in order, and thread counts stay exact.
CREATE TABLE flow_counters (
    flow_id TEXT PRIMARY KEY REFERENCES flows(id) ON DELETE CASCADE,
    last_message_id BIGINT NOT NULL
);

CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    source_id BIGINT REFERENCES sources(id),
    app_id BIGINT,
    external_thread_id TEXT,
    message_count BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (source_id, external_thread_id)
);
CREATE INDEX threads_flow_updated ON threads(flow_id, updated_at);

CREATE TABLE messages (
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    id BIGINT NOT NULL,
    event TEXT NOT NULL,
    user_id BIGINT,
    source_id BIGINT,
    app TEXT,
    thread_id TEXT,
    parent_id BIGINT,
    body TEXT NOT NULL,
    sent BIGINT NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED,
    PRIMARY KEY (flow_id, id)
);
CREATE INDEX messages_thread ON messages(thread_id, id);
CREATE INDEX messages_search ON messages USING GIN (search_vector);

CREATE TABLE message_tags (
    flow_id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (flow_id, tag, message_id)
);
CREATE INDEX message_tags_message ON message_tags(flow_id, message_id);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
