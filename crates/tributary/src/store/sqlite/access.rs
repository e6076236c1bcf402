//! [`AccessStore`] on SQLite. The sweeper's read is one blocking-pool hand-off that runs a
//! cached keyed statement per item: in-process lookups cost microseconds each, and this
//! avoids long `IN` lists and SQLite's limit on bound parameters.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use super::SqliteStore;
use crate::store::*;

#[async_trait]
impl AccessStore for SqliteStore {
    async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                let n = c.execute(
                    "UPDATE users SET disabled = ?2 WHERE id = ?1",
                    params![user_id, disabled],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                Ok(())
            })
            .await
    }

    async fn remove_flow_member(&self, flow_id: &str, user_id: i64) -> StoreResult<bool> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write(move |c| {
                let n = c.execute(
                    "DELETE FROM flow_memberships WHERE flow_id = ?1 AND user_id = ?2",
                    params![flow_id, user_id],
                )?;
                Ok(n > 0)
            })
            .await
    }

    async fn stream_access(&self, query: AccessQuery) -> StoreResult<AccessReport> {
        self.readers.read(move |c| stream_access(c, &query)).await
    }
}

fn stream_access(c: &Connection, q: &AccessQuery) -> StoreResult<AccessReport> {
    // One read transaction, so that the report is one snapshot.
    let tx = c.unchecked_transaction()?;
    let mut report = AccessReport::default();
    let mut st = tx.prepare_cached(
        "SELECT id, disabled, api_token_hash, password_hash FROM users WHERE id = ?1",
    )?;
    for id in &q.users {
        let found = st
            .query_row([id], |r| {
                Ok(UserAccess {
                    id: r.get(0)?,
                    disabled: r.get(1)?,
                    api_token_hash: r.get(2)?,
                    password_hash: r.get(3)?,
                })
            })
            .optional()?;
        report.users.extend(found);
    }
    let mut st = tx.prepare_cached(
        "SELECT access_expires_at, revoked_at IS NOT NULL FROM oauth_tokens
          WHERE access_token_hash = ?1",
    )?;
    for hash in &q.access_tokens {
        report.access_tokens.extend(token(&mut st, hash)?);
    }
    let mut st =
        tx.prepare_cached("SELECT expires_at, 0 FROM web_sessions WHERE token_hash = ?1")?;
    for hash in &q.sessions {
        report.sessions.extend(token(&mut st, hash)?);
    }
    let mut st = tx.prepare_cached(
        "SELECT f.disabled FROM flow_memberships fm JOIN flows f ON f.id = fm.flow_id
          WHERE fm.user_id = ?1 AND fm.flow_id = ?2",
    )?;
    for (user_id, flow_id) in &q.memberships {
        let found = st
            .query_row(params![user_id, flow_id], |r| r.get::<_, bool>(0))
            .optional()?;
        report
            .memberships
            .extend(found.map(|flow_disabled| MemberAccess {
                user_id: *user_id,
                flow_id: flow_id.clone(),
                flow_disabled,
            }));
    }
    Ok(report)
}

fn token(st: &mut rusqlite::CachedStatement<'_>, hash: &str) -> StoreResult<Option<TokenAccess>> {
    Ok(st
        .query_row([hash], |r| {
            Ok(TokenAccess {
                hash: hash.to_owned(),
                expires_at: r.get(0)?,
                revoked: r.get(1)?,
            })
        })
        .optional()?)
}
