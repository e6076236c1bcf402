-- The full-text index moves to a database file of its own (see search.rs); it is rebuilt
-- there from the messages at the next start. Edits and deletes not yet applied to it are
-- listed here until it catches up.
DROP TABLE IF EXISTS messages_fts;
CREATE TABLE search_changes (rowid INTEGER PRIMARY KEY);
