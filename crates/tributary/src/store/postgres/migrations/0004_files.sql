-- Files (issue 8). A row per stored file, written in the transaction of the message that
-- carries it, so a file is downloadable exactly when its message is committed; deleting the
-- message deletes the row. The bytes live in the blob store under `id`.
CREATE TABLE files (
    flow_id TEXT NOT NULL,
    id TEXT NOT NULL,
    message_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (flow_id, id),
    FOREIGN KEY (flow_id, message_id) REFERENCES messages(flow_id, id) ON DELETE CASCADE
);
CREATE INDEX files_message ON files(flow_id, message_id);

-- Secrets the server makes for itself (the key that signs download URLs), shared by every node.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The PostgreSQL blob store: each blob's bytes in ordered chunks, written in one transaction,
-- so every node serves every file and a half-written blob never becomes visible.
CREATE TABLE blobs (
    key TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE blob_chunks (
    key TEXT NOT NULL REFERENCES blobs(key) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (key, seq)
);
