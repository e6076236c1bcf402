-- Invitations to a flow (issue 17, flowdock/api-docs docs/Invitations.md). Only the SHA-256
-- of an invitation's token is kept: the link is shown once (mailed, or to the inviter when no
-- SMTP server is configured). A revoked invitation keeps its row so that its link answers
-- "revoked" rather than "unknown"; the API no longer shows it.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    flow_id TEXT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    message TEXT,
    inviter_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    token_hash TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    delivery TEXT NOT NULL,
    accepted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- One pending invitation per address and flow: posting the address again resends it.
CREATE UNIQUE INDEX invitations_pending ON invitations (flow_id, email) WHERE state = 'pending';
