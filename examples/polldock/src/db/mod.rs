//! Polldock's own SQLite database: its users and polls, and what it keeps of each Tributary
//! integration (the `flow_token` and the source id, which the guide says to store at once,
//! because the token cannot be read again).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};

pub type DbResult<T> = Result<T, rusqlite::Error>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sessions (
    token TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
CREATE TABLE IF NOT EXISTS polls (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, author_id INTEGER NOT NULL REFERENCES users(id),
    closed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS options (
    id INTEGER PRIMARY KEY, poll_id INTEGER NOT NULL REFERENCES polls(id), label TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS votes (
    poll_id INTEGER NOT NULL REFERENCES polls(id), user_id INTEGER NOT NULL REFERENCES users(id),
    option_id INTEGER NOT NULL REFERENCES options(id), PRIMARY KEY (poll_id, user_id));
CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY, poll_id INTEGER NOT NULL REFERENCES polls(id),
    user_id INTEGER NOT NULL REFERENCES users(id), body TEXT NOT NULL);
-- A Flowdock user paired with a Polldock user, so UpdateActions can vote as them.
CREATE TABLE IF NOT EXISTS flowdock_users (
    flowdock_user_id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));
-- An OAuth authorization in progress: the state, the PKCE verifier, and what it is for.
CREATE TABLE IF NOT EXISTS oauth_requests (
    state TEXT PRIMARY KEY, verifier TEXT NOT NULL, purpose TEXT NOT NULL,
    user_id INTEGER NOT NULL, flow_id TEXT, flow_url TEXT, claim_user INTEGER);
-- Authorized, waiting for the user to confirm the flow.
CREATE TABLE IF NOT EXISTS pending_setups (
    id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, access_token TEXT NOT NULL,
    flow_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS integrations (
    id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, flow_id TEXT NOT NULL,
    flow_name TEXT NOT NULL, flow_web_url TEXT NOT NULL, flow_token TEXT NOT NULL,
    name TEXT NOT NULL, user_id INTEGER NOT NULL,
    post_created INTEGER NOT NULL DEFAULT 1, post_votes INTEGER NOT NULL DEFAULT 1,
    post_closed INTEGER NOT NULL DEFAULT 1, post_comments INTEGER NOT NULL DEFAULT 1,
    failures INTEGER NOT NULL DEFAULT 0, error TEXT);
";

mod integrations;
pub use integrations::{Integration, OAuthRequest};

#[derive(Clone)]
pub struct Db(Arc<Mutex<Connection>>);

#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    pub id: i64,
    pub question: String,
    pub author: String,
    pub closed: bool,
    /// (option id, label, votes), in order.
    pub options: Vec<(i64, String, i64)>,
    /// (author, body), oldest first.
    pub comments: Vec<(String, String)>,
}

impl Db {
    pub fn open(path: &Path) -> DbResult<Db> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path)?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db(Arc::new(Mutex::new(conn))))
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite rolled back.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of setting `name`, stored from `init` the first time.
    pub fn setting(&self, name: &str, init: impl FnOnce() -> String) -> DbResult<String> {
        let c = self.conn();
        if let Some(v) = c
            .query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?
        {
            return Ok(v);
        }
        let v = init();
        c.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2)",
            params![name, v],
        )?;
        Ok(v)
    }

    // Users and sessions

    /// The user called `name`, created on first sign-in.
    pub fn user_named(&self, name: &str) -> DbResult<i64> {
        let c = self.conn();
        c.execute("INSERT OR IGNORE INTO users (name) VALUES (?1)", [name])?;
        c.query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
    }

    pub fn user_name(&self, id: i64) -> DbResult<Option<String>> {
        self.conn()
            .query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0))
            .optional()
    }

    pub fn create_session(&self, token: &str, user_id: i64) -> DbResult<()> {
        self.conn().execute(
            "INSERT INTO sessions (token, user_id) VALUES (?1, ?2)",
            params![token, user_id],
        )?;
        Ok(())
    }

    pub fn session_user(&self, token: &str) -> DbResult<Option<(i64, String)>> {
        self.conn()
            .query_row(
                "SELECT u.id, u.name FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token = ?1",
                [token],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }

    pub fn pair(&self, flowdock_user_id: i64, user_id: i64) -> DbResult<()> {
        self.conn().execute(
            "INSERT INTO flowdock_users (flowdock_user_id, user_id) VALUES (?1, ?2)
             ON CONFLICT (flowdock_user_id) DO UPDATE SET user_id = excluded.user_id",
            params![flowdock_user_id, user_id],
        )?;
        Ok(())
    }

    pub fn paired_user(&self, flowdock_user_id: i64) -> DbResult<Option<(i64, String)>> {
        self.conn()
            .query_row(
                "SELECT u.id, u.name FROM flowdock_users f JOIN users u ON u.id = f.user_id
                 WHERE f.flowdock_user_id = ?1",
                [flowdock_user_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }

    // Polls

    pub fn create_poll(&self, question: &str, author_id: i64, options: &[String]) -> DbResult<i64> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO polls (question, author_id) VALUES (?1, ?2)",
            params![question, author_id],
        )?;
        let id = tx.last_insert_rowid();
        for label in options {
            tx.execute(
                "INSERT INTO options (poll_id, label) VALUES (?1, ?2)",
                params![id, label],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    pub fn poll(&self, id: i64) -> DbResult<Option<Poll>> {
        let c = self.conn();
        let Some((question, author, closed)) = c
            .query_row(
                "SELECT p.question, u.name, p.closed FROM polls p JOIN users u ON u.id = p.author_id
                 WHERE p.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
        else {
            return Ok(None);
        };
        let mut stmt = c.prepare(
            "SELECT o.id, o.label, (SELECT COUNT(*) FROM votes v WHERE v.option_id = o.id)
             FROM options o WHERE o.poll_id = ?1 ORDER BY o.id",
        )?;
        let options = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = c.prepare(
            "SELECT u.name, c.body FROM comments c JOIN users u ON u.id = c.user_id
             WHERE c.poll_id = ?1 ORDER BY c.id",
        )?;
        let comments = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(Poll {
            id,
            question,
            author,
            closed,
            options,
            comments,
        }))
    }

    /// Every poll, newest first: (id, question, closed).
    pub fn polls(&self) -> DbResult<Vec<(i64, String, bool)>> {
        let c = self.conn();
        let mut stmt = c.prepare("SELECT id, question, closed FROM polls ORDER BY id DESC")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    }

    /// Records (or changes) `user_id`'s vote; `false` when the option is not the poll's.
    pub fn vote(&self, poll_id: i64, user_id: i64, option_id: i64) -> DbResult<bool> {
        let c = self.conn();
        let valid: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM options WHERE id = ?1 AND poll_id = ?2)",
            params![option_id, poll_id],
            |r| r.get(0),
        )?;
        if valid {
            c.execute(
                "INSERT INTO votes (poll_id, user_id, option_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (poll_id, user_id) DO UPDATE SET option_id = excluded.option_id",
                params![poll_id, user_id, option_id],
            )?;
        }
        Ok(valid)
    }

    pub fn comment(&self, poll_id: i64, user_id: i64, body: &str) -> DbResult<()> {
        self.conn().execute(
            "INSERT INTO comments (poll_id, user_id, body) VALUES (?1, ?2, ?3)",
            params![poll_id, user_id, body],
        )?;
        Ok(())
    }

    pub fn close_poll(&self, poll_id: i64) -> DbResult<()> {
        self.conn()
            .execute("UPDATE polls SET closed = 1 WHERE id = ?1", [poll_id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_count_votes_and_votes_can_change() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("p.db")).unwrap();
        let ann = db.user_named("Ann").unwrap();
        let bob = db.user_named("Bob").unwrap();
        assert_eq!(db.user_named("Ann").unwrap(), ann);
        let id = db
            .create_poll("Lunch?", ann, &["Pizza".into(), "Sushi".into()])
            .unwrap();
        let poll = db.poll(id).unwrap().unwrap();
        let (pizza, sushi) = (poll.options[0].0, poll.options[1].0);
        assert!(db.vote(id, ann, pizza).unwrap());
        assert!(db.vote(id, bob, pizza).unwrap());
        assert!(db.vote(id, bob, sushi).unwrap());
        assert!(!db.vote(id, bob, 999).unwrap());
        let counts: Vec<i64> = db
            .poll(id)
            .unwrap()
            .unwrap()
            .options
            .iter()
            .map(|o| o.2)
            .collect();
        assert_eq!(counts, vec![1, 1]);
    }
}
