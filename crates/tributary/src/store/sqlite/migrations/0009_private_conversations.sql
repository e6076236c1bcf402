-- Private conversations (issue 17). Each conversation keeps its messages as a flow does, in a
-- flows row of its own, so posting, ids, edits, files, search and streams are the flows' own.
-- Those rows belong to one hidden organization that no user is a member of, and have no
-- flow members: every flow lookup by name, by id or by membership finds them invisible (404).
-- Who may read a conversation is this table's: its two participants, nobody else.
-- Id 0, which no organization ever has (ids start at 1): real organizations keep their
-- ids, and the next one made still gets 1 on a new database.
INSERT INTO organizations (id, name, parameterized_name, user_limit, active, created_at)
VALUES (0, 'Private conversations', '~private', 0, 0, 0);

CREATE TABLE private_conversations (
    flow_id TEXT PRIMARY KEY REFERENCES flows(id) ON DELETE CASCADE,
    -- The two participants, the lower id first, so a pair has one row.
    user_lo INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_hi INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- Each participant's tab state (`open` in docs/private-conversations.md).
    open_lo BOOLEAN NOT NULL,
    open_hi BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_lo, user_hi),
    CHECK (user_lo < user_hi)
);
CREATE INDEX private_conversations_hi ON private_conversations(user_hi);
