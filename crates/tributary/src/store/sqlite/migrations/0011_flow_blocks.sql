-- Users blocked from a flow (flowdock/api-docs docs/users.md, "Block a user from a flow",
-- issue 17): blocking removes the membership, and no way of joining adds it back until the
-- block is lifted.
CREATE TABLE flow_blocks (
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, user_id)
);
