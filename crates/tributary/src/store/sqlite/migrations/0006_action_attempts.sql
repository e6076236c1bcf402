-- Every attempt to run a thread's UpdateAction (issue 9): who clicked what, where the request
-- went, and how it ended. Admins read them per source; `outcome` is `success`,
-- `authenticate`, `error` or `refused` (a private target this server will not call).
CREATE TABLE action_attempts (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    flow_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    action_index INTEGER NOT NULL,
    action_name TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    error TEXT,
    latency_ms INTEGER NOT NULL,
    attempted_at INTEGER NOT NULL
);
CREATE INDEX action_attempts_by_source ON action_attempts (source_id, id);
