-- Integration health and flow_token rotation (issue 18).
--
-- A source's posts are counted from `messages` itself: this partial index holds only the
-- integrations' rows, so a user's post pays nothing, and an integration's post one more
-- B-tree entry in the transaction it commits anyway (no extra statement per post).
CREATE INDEX messages_by_source ON messages(source_id, sent) WHERE source_id IS NOT NULL;

-- Rejected requests of a source whose flow_token resolved (410 after removal or rotation,
-- 4xx validation): a counter and the last error, written only when a request fails.
CREATE TABLE source_rejections (
    source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    rejected INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    last_status INTEGER NOT NULL,
    last_message TEXT NOT NULL
);

-- The hashes a source's rotations replaced: each works until `valid_until` (the grace
-- period), then answers 410 with reason `rotated` instead of 401 Unknown.
CREATE TABLE retired_flow_tokens (
    hash TEXT PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    retired_at INTEGER NOT NULL,
    valid_until INTEGER NOT NULL
);
CREATE INDEX retired_flow_tokens_source ON retired_flow_tokens(source_id);
