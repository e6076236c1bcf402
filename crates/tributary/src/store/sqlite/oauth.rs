//! [`OAuthStore`] on SQLite: authorization codes and tokens.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use super::{constraint, SqliteStore};
use crate::store::*;

#[async_trait]
impl OAuthStore for SqliteStore {
    async fn create_oauth_code(&self, code: NewOAuthCode) -> StoreResult<()> {
        self.writer.write(move |c| create_code(c, code)).await
    }
    async fn oauth_code_by_hash(&self, hash: &str) -> StoreResult<Option<OAuthCodeRecord>> {
        let hash = hash.to_owned();
        self.readers.lookup(move |c| code_by_hash(c, &hash)).await
    }
    async fn redeem_oauth_code(
        &self,
        code_hash: &str,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let code_hash = code_hash.to_owned();
        self.writer
            .write(move |c| redeem_code(c, &code_hash, token))
            .await
    }
    async fn create_oauth_token(&self, token: NewOAuthToken) -> StoreResult<OAuthTokenRecord> {
        self.writer.write(move |c| create_token(c, token)).await
    }
    async fn oauth_token_by_access_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let hash = hash.to_owned();
        self.readers
            .read(move |c| token_where(c, "access_token_hash = ?1", hash))
            .await
    }
    async fn oauth_token_by_refresh_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let hash = hash.to_owned();
        self.readers
            .read(move |c| token_where(c, "refresh_token_hash = ?1", hash))
            .await
    }
    async fn rotate_oauth_token(
        &self,
        old_id: i64,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        self.writer
            .write(move |c| rotate_token(c, old_id, token))
            .await
    }
    async fn revoke_oauth_token(&self, id: i64, reason: &str) -> StoreResult<()> {
        let reason = reason.to_owned();
        self.writer
            .write(move |c| revoke_token(c, id, &reason))
            .await
    }
    async fn revoke_oauth_grant(&self, user_id: i64, app_id: i64) -> StoreResult<()> {
        self.writer
            .write(move |c| revoke_grant(c, user_id, app_id))
            .await
    }
    async fn live_oauth_tokens_of_user(&self, user_id: i64) -> StoreResult<Vec<OAuthTokenRecord>> {
        self.readers
            .read(move |c| live_tokens_of_user(c, user_id))
            .await
    }
}

const CODE_COLS: &str = "code_hash, app_id, user_id, redirect_uri, scopes, code_challenge, \
     flow_id, created_at, expires_at, used_at";

fn code_row(r: &Row<'_>) -> rusqlite::Result<OAuthCodeRecord> {
    Ok(OAuthCodeRecord {
        code_hash: r.get(0)?,
        app_id: r.get(1)?,
        user_id: r.get(2)?,
        redirect_uri: r.get(3)?,
        scopes: r.get(4)?,
        code_challenge: r.get(5)?,
        flow_id: r.get(6)?,
        created_at: r.get(7)?,
        expires_at: r.get(8)?,
        used_at: r.get(9)?,
    })
}

const TOKEN_COLS: &str = "id, app_id, user_id, scopes, family, refresh_token_hash IS NOT NULL, \
     access_expires_at, created_at, revoked_at, revoke_reason";

fn token_row(r: &Row<'_>) -> rusqlite::Result<OAuthTokenRecord> {
    Ok(OAuthTokenRecord {
        id: r.get(0)?,
        app_id: r.get(1)?,
        user_id: r.get(2)?,
        scopes: r.get(3)?,
        family: r.get(4)?,
        has_refresh: r.get(5)?,
        access_expires_at: r.get(6)?,
        created_at: r.get(7)?,
        revoked_at: r.get(8)?,
        revoke_reason: r.get(9)?,
    })
}

pub(super) fn create_code(c: &Connection, k: NewOAuthCode) -> StoreResult<()> {
    c.execute(
        "INSERT INTO oauth_codes (code_hash, app_id, user_id, redirect_uri, scopes, code_challenge,
                                  flow_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            k.code_hash,
            k.app_id,
            k.user_id,
            k.redirect_uri,
            k.scopes,
            k.code_challenge,
            k.flow_id,
            now_millis(),
            k.expires_at
        ],
    )
    .map_err(|e| constraint(e, "authorization code", "application or user"))?;
    Ok(())
}

pub(super) fn code_by_hash(c: &Connection, hash: &str) -> StoreResult<Option<OAuthCodeRecord>> {
    let sql = format!("SELECT {CODE_COLS} FROM oauth_codes WHERE code_hash = ?1");
    Ok(c.query_row(&sql, [hash], code_row).optional()?)
}

pub(super) fn token_where(
    c: &Connection,
    cond: &str,
    arg: impl ToSql,
) -> StoreResult<Option<OAuthTokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLS} FROM oauth_tokens WHERE {cond}");
    Ok(c.query_row(&sql, [arg], token_row).optional()?)
}

pub(super) fn create_token(c: &Connection, t: NewOAuthToken) -> StoreResult<OAuthTokenRecord> {
    c.execute(
        "INSERT INTO oauth_tokens (app_id, user_id, scopes, family, access_token_hash,
                                   refresh_token_hash, access_expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            t.app_id,
            t.user_id,
            t.scopes,
            t.family,
            t.access_token_hash,
            t.refresh_token_hash,
            t.access_expires_at,
            now_millis()
        ],
    )
    .map_err(|e| constraint(e, "token", "application or user"))?;
    token_where(c, "id = ?1", c.last_insert_rowid())?.ok_or(StoreError::NotFound("token"))
}

pub(super) fn revoke_family(c: &Connection, family: &str, reason: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE oauth_tokens SET revoked_at = ?2, revoke_reason = ?3
          WHERE family = ?1 AND revoked_at IS NULL",
        params![family, now_millis(), reason],
    )?;
    Ok(())
}

pub(super) fn redeem_code(
    c: &Connection,
    code_hash: &str,
    token: NewOAuthToken,
) -> StoreResult<Option<OAuthTokenRecord>> {
    let n = c.execute(
        "UPDATE oauth_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL",
        params![code_hash, now_millis()],
    )?;
    if n == 0 {
        revoke_family(c, &token.family, "code_replayed")?;
        return Ok(None);
    }
    create_token(c, token).map(Some)
}

pub(super) fn rotate_token(
    c: &Connection,
    old_id: i64,
    token: NewOAuthToken,
) -> StoreResult<Option<OAuthTokenRecord>> {
    let n = c.execute(
        "UPDATE oauth_tokens SET revoked_at = ?2, revoke_reason = 'rotated'
          WHERE id = ?1 AND revoked_at IS NULL",
        params![old_id, now_millis()],
    )?;
    if n == 0 {
        revoke_family(c, &token.family, "refresh_reused")?;
        return Ok(None);
    }
    create_token(c, token).map(Some)
}

pub(super) fn revoke_token(c: &Connection, id: i64, reason: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE oauth_tokens SET revoked_at = ?2, revoke_reason = ?3
          WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now_millis(), reason],
    )?;
    Ok(())
}

pub(super) fn revoke_grant(c: &Connection, user_id: i64, app_id: i64) -> StoreResult<()> {
    c.execute(
        "UPDATE oauth_tokens SET revoked_at = ?3, revoke_reason = 'user_revoked'
          WHERE user_id = ?1 AND app_id = ?2 AND revoked_at IS NULL",
        params![user_id, app_id, now_millis()],
    )?;
    Ok(())
}

pub(super) fn live_tokens_of_user(
    c: &Connection,
    user_id: i64,
) -> StoreResult<Vec<OAuthTokenRecord>> {
    let sql = format!(
        "SELECT {TOKEN_COLS} FROM oauth_tokens
          WHERE user_id = ?1 AND revoked_at IS NULL
            AND (refresh_token_hash IS NOT NULL OR access_expires_at > ?2)
          ORDER BY id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(params![user_id, now_millis()], token_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
