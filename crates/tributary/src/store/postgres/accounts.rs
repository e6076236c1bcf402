//! [`AccountStore`] on PostgreSQL: users, the site-admin flag and web sessions.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::{constraint, PgStore};
use crate::store::*;

#[async_trait]
impl AccountStore for PgStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        create_user(&**self.client().await?, user).await
    }
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRecord>> {
        let row = self.row_by_key(&user_sql("u.id = $1"), &[&id]).await?;
        Ok(row.as_ref().map(user_row))
    }
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        user_where(
            &**self.client().await?,
            "lower(u.email) = lower($1)",
            &email,
        )
        .await
    }
    async fn user_by_api_token_hash(&self, hash: &str) -> StoreResult<Option<UserRecord>> {
        let row = self
            .row_by_key(&user_sql("u.api_token_hash = $1"), &[&hash])
            .await?;
        Ok(row.as_ref().map(user_row))
    }
    async fn set_api_token_hash(&self, user_id: i64, hash: &str) -> StoreResult<()> {
        set_api_token_hash(&**self.client().await?, user_id, hash).await
    }
    async fn update_user(&self, user_id: i64, changes: UserChanges) -> StoreResult<UserRecord> {
        update_user(&**self.client().await?, user_id, changes).await
    }
    async fn users_visible_to(&self, user_id: i64) -> StoreResult<Vec<UserRecord>> {
        users_visible_to(&**self.client().await?, user_id).await
    }
    async fn share_organization(&self, a: i64, b: i64) -> StoreResult<bool> {
        share_organization(&**self.client().await?, a, b).await
    }
    async fn user_is_admin(&self, user_id: i64) -> StoreResult<bool> {
        user_is_admin(&**self.client().await?, user_id).await
    }
    async fn set_user_admin(&self, user_id: i64, admin: bool) -> StoreResult<()> {
        set_user_admin(&**self.client().await?, user_id, admin).await
    }
    async fn create_web_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        create_session(&**self.client().await?, token_hash, user_id, expires_at).await
    }
    async fn web_session_user(&self, token_hash: &str) -> StoreResult<Option<UserRecord>> {
        session_user(&**self.client().await?, token_hash).await
    }
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()> {
        delete_session(&**self.client().await?, token_hash).await
    }
}

pub(super) const USER_COLS: &str =
    "u.id, u.email, u.name, u.nick, u.avatar, u.website, u.password_hash, u.disabled, u.created_at";

pub(super) fn user_row(r: &Row) -> UserRecord {
    UserRecord {
        id: r.get(0),
        email: r.get(1),
        name: r.get(2),
        nick: r.get(3),
        avatar: r.get(4),
        website: r.get(5),
        password_hash: r.get(6),
        disabled: r.get(7),
        created_at: r.get(8),
    }
}

pub(super) async fn create_user(c: &impl GenericClient, u: NewUser) -> StoreResult<UserRecord> {
    let row = c
        .query_one(
            "INSERT INTO users (email, name, nick, avatar, website, password_hash, api_token_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[&u.email, &u.name, &u.nick, &u.avatar, &u.website, &u.password_hash, &u.api_token_hash, &now_millis()],
        )
        .await
        .map_err(|e| constraint(e, "email", "user"))?;
    let id: i64 = row.get(0);
    user_where(c, "u.id = $1", &id)
        .await?
        .ok_or(StoreError::NotFound("user"))
}

pub(super) async fn update_user(
    c: &impl GenericClient,
    user_id: i64,
    ch: UserChanges,
) -> StoreResult<UserRecord> {
    let clears = ch.website.is_some();
    let website = ch.website.flatten();
    let n = c
        .execute(
            "UPDATE users SET email = COALESCE($2, email), name = COALESCE($3, name),
                    nick = COALESCE($4, nick), avatar = COALESCE($5, avatar),
                    website = CASE WHEN $6 THEN $7 ELSE website END
              WHERE id = $1",
            &[
                &user_id, &ch.email, &ch.name, &ch.nick, &ch.avatar, &clears, &website,
            ],
        )
        .await
        .map_err(|e| constraint(e, "email", "user"))?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    user_where(c, "u.id = $1", &user_id)
        .await?
        .ok_or(StoreError::NotFound("user"))
}

pub(super) async fn user_where(
    c: &impl GenericClient,
    cond: &str,
    arg: &(dyn ToSql + Sync),
) -> StoreResult<Option<UserRecord>> {
    Ok(c.query_opt(&user_sql(cond), &[arg])
        .await?
        .as_ref()
        .map(user_row))
}

pub(super) fn user_sql(cond: &str) -> String {
    format!("SELECT {USER_COLS} FROM users u WHERE {cond}")
}

pub(super) async fn set_api_token_hash(
    c: &impl GenericClient,
    user_id: i64,
    hash: &str,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE users SET api_token_hash = $2 WHERE id = $1",
            &[&user_id, &hash],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

pub(super) async fn users_visible_to(
    c: &impl GenericClient,
    user_id: i64,
) -> StoreResult<Vec<UserRecord>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users u WHERE u.id IN (
            SELECT fm2.user_id FROM flow_memberships fm
              JOIN flow_memberships fm2 ON fm2.flow_id = fm.flow_id
             WHERE fm.user_id = $1
            UNION
            SELECT om2.user_id FROM org_memberships om
              JOIN org_memberships om2 ON om2.org_id = om.org_id
             WHERE om.user_id = $1 AND om.admin
            UNION SELECT $1)
         ORDER BY u.id"
    );
    Ok(c.query(&sql, &[&user_id])
        .await?
        .iter()
        .map(user_row)
        .collect())
}

pub(super) async fn share_organization(
    c: &impl GenericClient,
    a: i64,
    b: i64,
) -> StoreResult<bool> {
    let row = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM org_memberships x JOIN org_memberships y ON x.org_id = y.org_id
                             WHERE x.user_id = $1 AND y.user_id = $2)",
            &[&a, &b],
        )
        .await?;
    Ok(row.get(0))
}

pub(super) async fn user_is_admin(c: &impl GenericClient, user_id: i64) -> StoreResult<bool> {
    Ok(
        c.query_opt("SELECT admin FROM users WHERE id = $1", &[&user_id])
            .await?
            .map(|r| r.get(0))
            .unwrap_or(false),
    )
}

pub(super) async fn set_user_admin(
    c: &impl GenericClient,
    user_id: i64,
    admin: bool,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE users SET admin = $2 WHERE id = $1",
            &[&user_id, &admin],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

pub(super) async fn create_session(
    c: &impl GenericClient,
    token_hash: &str,
    user_id: i64,
    expires_at: i64,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        &[&token_hash, &user_id, &now_millis(), &expires_at],
    )
    .await
    .map_err(|e| constraint(e, "session", "user"))?;
    Ok(())
}

pub(super) async fn session_user(
    c: &impl GenericClient,
    token_hash: &str,
) -> StoreResult<Option<UserRecord>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN web_sessions s ON s.user_id = u.id
          WHERE s.token_hash = $1 AND s.expires_at > $2"
    );
    Ok(c.query_opt(&sql, &[&token_hash, &now_millis()])
        .await?
        .as_ref()
        .map(user_row))
}

pub(super) async fn delete_session(c: &impl GenericClient, token_hash: &str) -> StoreResult<()> {
    c.execute(
        "DELETE FROM web_sessions WHERE token_hash = $1",
        &[&token_hash],
    )
    .await?;
    Ok(())
}
