//! What Polldock keeps of its Tributary integrations, and the OAuth requests in flight.

use rusqlite::{params, OptionalExtension, Row};

use super::{Db, DbResult};

#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub id: i64,
    pub source_id: i64,
    pub flow_id: String,
    pub flow_name: String,
    pub flow_web_url: String,
    pub flow_token: String,
    pub name: String,
    pub post_created: bool,
    pub post_votes: bool,
    pub post_closed: bool,
    pub post_comments: bool,
    pub failures: i64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OAuthRequest {
    pub verifier: String,
    pub purpose: String,
    pub user_id: i64,
    pub flow_id: Option<String>,
    pub claim_user: Option<i64>,
}

const INTEGRATION_COLS: &str = "id, source_id, flow_id, flow_name, flow_web_url, flow_token, \
     name, post_created, post_votes, post_closed, post_comments, failures, error";

fn integration_row(r: &Row<'_>) -> rusqlite::Result<Integration> {
    Ok(Integration {
        id: r.get(0)?,
        source_id: r.get(1)?,
        flow_id: r.get(2)?,
        flow_name: r.get(3)?,
        flow_web_url: r.get(4)?,
        flow_token: r.get(5)?,
        name: r.get(6)?,
        post_created: r.get(7)?,
        post_votes: r.get(8)?,
        post_closed: r.get(9)?,
        post_comments: r.get(10)?,
        failures: r.get(11)?,
        error: r.get(12)?,
    })
}

impl Db {
    pub fn save_oauth_request(
        &self,
        state: &str,
        r: &OAuthRequest,
        flow_url: Option<&str>,
    ) -> DbResult<()> {
        self.conn().execute(
            "INSERT INTO oauth_requests (state, verifier, purpose, user_id, flow_id, flow_url, claim_user)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![state, r.verifier, r.purpose, r.user_id, r.flow_id, flow_url, r.claim_user],
        )?;
        Ok(())
    }

    /// The request `state` names, removed: a state works once.
    pub fn take_oauth_request(&self, state: &str) -> DbResult<Option<OAuthRequest>> {
        let c = self.conn();
        let found = c
            .query_row(
                "SELECT verifier, purpose, user_id, flow_id, claim_user FROM oauth_requests
                 WHERE state = ?1",
                [state],
                |r| {
                    Ok(OAuthRequest {
                        verifier: r.get(0)?,
                        purpose: r.get(1)?,
                        user_id: r.get(2)?,
                        flow_id: r.get(3)?,
                        claim_user: r.get(4)?,
                    })
                },
            )
            .optional()?;
        c.execute("DELETE FROM oauth_requests WHERE state = ?1", [state])?;
        Ok(found)
    }

    pub fn save_pending_setup(
        &self,
        id: &str,
        user_id: i64,
        token: &str,
        flow_id: &str,
    ) -> DbResult<()> {
        self.conn().execute(
            "INSERT INTO pending_setups (id, user_id, access_token, flow_id) VALUES (?1, ?2, ?3, ?4)",
            params![id, user_id, token, flow_id],
        )?;
        Ok(())
    }

    /// (access token, flow id) of the user's pending setup.
    pub fn pending_setup(&self, id: &str, user_id: i64) -> DbResult<Option<(String, String)>> {
        self.conn()
            .query_row(
                "SELECT access_token, flow_id FROM pending_setups WHERE id = ?1 AND user_id = ?2",
                params![id, user_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
    }

    pub fn finish_setup(&self, pending_id: &str, i: &Integration, user_id: i64) -> DbResult<i64> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "INSERT INTO integrations (source_id, flow_id, flow_name, flow_web_url, flow_token, name, user_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![i.source_id, i.flow_id, i.flow_name, i.flow_web_url, i.flow_token, i.name, user_id],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute("DELETE FROM pending_setups WHERE id = ?1", [pending_id])?;
        tx.commit()?;
        Ok(id)
    }

    pub fn integrations(&self) -> DbResult<Vec<Integration>> {
        let c = self.conn();
        let mut stmt = c.prepare(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations ORDER BY id"
        ))?;
        let rows = stmt.query_map([], integration_row)?;
        rows.collect()
    }

    /// The integration Tributary's configure button names: the source id and the flow.
    pub fn integration_for(&self, source_id: i64, flow_id: &str) -> DbResult<Option<Integration>> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {INTEGRATION_COLS} FROM integrations WHERE source_id = ?1 AND flow_id = ?2"
                ),
                params![source_id, flow_id],
                integration_row,
            )
            .optional()
    }

    pub fn configure(
        &self,
        id: i64,
        created: bool,
        votes: bool,
        closed: bool,
        comments: bool,
    ) -> DbResult<()> {
        self.conn().execute(
            "UPDATE integrations SET post_created = ?2, post_votes = ?3, post_closed = ?4,
             post_comments = ?5 WHERE id = ?1",
            params![id, created, votes, closed, comments],
        )?;
        Ok(())
    }

    /// A post worked: the failure streak ends and no error is shown any more.
    pub fn record_success(&self, id: i64) -> DbResult<()> {
        self.conn().execute(
            "UPDATE integrations SET failures = 0, error = NULL WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// A post failed; returns how many in a row have.
    pub fn record_failure(&self, id: i64) -> DbResult<i64> {
        let c = self.conn();
        c.execute(
            "UPDATE integrations SET failures = failures + 1 WHERE id = ?1",
            [id],
        )?;
        c.query_row(
            "SELECT failures FROM integrations WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
    }

    /// The `error_message` Polldock set on the source, so the next success clears it.
    pub fn set_error(&self, id: i64, error: Option<&str>) -> DbResult<()> {
        self.conn().execute(
            "UPDATE integrations SET error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    /// Forgets an integration whose source Tributary removed (410).
    pub fn delete_integration(&self, id: i64) -> DbResult<()> {
        self.conn()
            .execute("DELETE FROM integrations WHERE id = ?1", [id])?;
        Ok(())
    }
}
