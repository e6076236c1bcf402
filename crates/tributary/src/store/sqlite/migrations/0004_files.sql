-- Files (issue 8). A row per stored file, written in the transaction of the message that
-- carries it, so a file is downloadable exactly when its message is committed; deleting the
-- message deletes the row. The bytes live in the blob store under `id`.
CREATE TABLE files (
    flow_id TEXT NOT NULL,
    id TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, id),
    FOREIGN KEY (flow_id, message_id) REFERENCES messages(flow_id, id) ON DELETE CASCADE
);
CREATE INDEX files_message ON files(flow_id, message_id);

-- Secrets the server makes for itself (the key that signs download URLs).
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
