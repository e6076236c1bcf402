//! [`AccountStore`] on SQLite: users, the site-admin flag and web sessions.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use super::{constraint, SqliteStore};
use crate::store::*;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        self.writer.write(move |c| create_user(c, user)).await
    }
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRecord>> {
        self.readers
            .lookup(move |c| user_where(c, "u.id = ?1", id))
            .await
    }
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let email = email.to_owned();
        self.readers
            .lookup(move |c| user_where(c, "u.email = ?1", email))
            .await
    }
    async fn user_by_api_token_hash(&self, hash: &str) -> StoreResult<Option<UserRecord>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| user_where(c, "u.api_token_hash = ?1", hash))
            .await
    }
    async fn set_api_token_hash(&self, user_id: i64, hash: &str) -> StoreResult<()> {
        let hash = hash.to_owned();
        self.writer
            .write(move |c| set_api_token_hash(c, user_id, &hash))
            .await
    }
    async fn update_user(&self, user_id: i64, changes: UserChanges) -> StoreResult<UserRecord> {
        self.writer
            .write(move |c| update_user(c, user_id, changes))
            .await
    }
    async fn users_visible_to(&self, user_id: i64) -> StoreResult<Vec<UserRecord>> {
        self.readers
            .read(move |c| users_visible_to(c, user_id))
            .await
    }
    async fn share_organization(&self, a: i64, b: i64) -> StoreResult<bool> {
        self.readers
            .read(move |c| share_organization(c, a, b))
            .await
    }
    async fn user_is_admin(&self, user_id: i64) -> StoreResult<bool> {
        self.readers
            .lookup(move |c| user_is_admin(c, user_id))
            .await
    }
    async fn set_user_admin(&self, user_id: i64, admin: bool) -> StoreResult<()> {
        self.writer
            .write(move |c| set_user_admin(c, user_id, admin))
            .await
    }
    async fn create_web_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.writer
            .write(move |c| create_session(c, &token_hash, user_id, expires_at))
            .await
    }
    async fn web_session_user(&self, token_hash: &str) -> StoreResult<Option<UserRecord>> {
        let token_hash = token_hash.to_owned();
        self.readers
            .lookup(move |c| session_user(c, &token_hash))
            .await
    }
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.writer
            .write(move |c| delete_session(c, &token_hash))
            .await
    }
}

pub(super) const USER_COLS: &str =
    "u.id, u.email, u.name, u.nick, u.avatar, u.website, u.password_hash, u.disabled, u.created_at";

pub(super) fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        nick: r.get(3)?,
        avatar: r.get(4)?,
        website: r.get(5)?,
        password_hash: r.get(6)?,
        disabled: r.get(7)?,
        created_at: r.get(8)?,
    })
}

pub(super) fn create_user(c: &Connection, u: NewUser) -> StoreResult<UserRecord> {
    c.execute(
        "INSERT INTO users (email, name, nick, avatar, website, password_hash, api_token_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![u.email, u.name, u.nick, u.avatar, u.website, u.password_hash, u.api_token_hash, now_millis()],
    )
    .map_err(|e| constraint(e, "email", "user"))?;
    user_where(c, "u.id = ?1", c.last_insert_rowid())?.ok_or(StoreError::NotFound("user"))
}

pub(super) fn user_where(
    c: &Connection,
    cond: &str,
    arg: impl ToSql,
) -> StoreResult<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLS} FROM users u WHERE {cond}");
    Ok(c.prepare_cached(&sql)?
        .query_row([arg], user_row)
        .optional()?)
}

pub(super) fn set_api_token_hash(c: &Connection, user_id: i64, hash: &str) -> StoreResult<()> {
    let n = c.execute(
        "UPDATE users SET api_token_hash = ?2 WHERE id = ?1",
        params![user_id, hash],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

pub(super) fn update_user(
    c: &Connection,
    user_id: i64,
    ch: UserChanges,
) -> StoreResult<UserRecord> {
    let n = c
        .execute(
            "UPDATE users SET email = COALESCE(?2, email), name = COALESCE(?3, name),
                    nick = COALESCE(?4, nick), avatar = COALESCE(?5, avatar),
                    website = CASE WHEN ?6 THEN ?7 ELSE website END
              WHERE id = ?1",
            params![
                user_id,
                ch.email,
                ch.name,
                ch.nick,
                ch.avatar,
                ch.website.is_some(),
                ch.website.flatten()
            ],
        )
        .map_err(|e| constraint(e, "email", "user"))?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    user_where(c, "u.id = ?1", user_id)?.ok_or(StoreError::NotFound("user"))
}

pub(super) fn users_visible_to(c: &Connection, user_id: i64) -> StoreResult<Vec<UserRecord>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users u WHERE u.id IN (
            SELECT fm2.user_id FROM flow_memberships fm
              JOIN flow_memberships fm2 ON fm2.flow_id = fm.flow_id
             WHERE fm.user_id = ?1
            UNION
            SELECT om2.user_id FROM org_memberships om
              JOIN org_memberships om2 ON om2.org_id = om.org_id
             WHERE om.user_id = ?1 AND om.admin
            UNION SELECT ?1)
         ORDER BY u.id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([user_id], user_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn share_organization(c: &Connection, a: i64, b: i64) -> StoreResult<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM org_memberships x JOIN org_memberships y ON x.org_id = y.org_id
                         WHERE x.user_id = ?1 AND y.user_id = ?2)",
        [a, b],
        |r| r.get(0),
    )?)
}

pub(super) fn user_is_admin(c: &Connection, user_id: i64) -> StoreResult<bool> {
    Ok(
        c.query_row("SELECT admin FROM users WHERE id = ?1", [user_id], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or(false),
    )
}

pub(super) fn set_user_admin(c: &Connection, user_id: i64, admin: bool) -> StoreResult<()> {
    let n = c.execute(
        "UPDATE users SET admin = ?2 WHERE id = ?1",
        params![user_id, admin],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

pub(super) fn create_session(
    c: &Connection,
    token_hash: &str,
    user_id: i64,
    expires_at: i64,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user_id, now_millis(), expires_at],
    )
    .map_err(|e| constraint(e, "session", "user"))?;
    Ok(())
}

pub(super) fn session_user(c: &Connection, token_hash: &str) -> StoreResult<Option<UserRecord>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN web_sessions s ON s.user_id = u.id
          WHERE s.token_hash = ?1 AND s.expires_at > ?2"
    );
    Ok(
        c.query_row(&sql, params![token_hash, now_millis()], user_row)
            .optional()?,
    )
}

pub(super) fn delete_session(c: &Connection, token_hash: &str) -> StoreResult<()> {
    c.execute(
        "DELETE FROM web_sessions WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}
