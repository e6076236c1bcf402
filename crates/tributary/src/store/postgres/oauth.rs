//! [`OAuthStore`] on PostgreSQL: authorization codes and tokens.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::{constraint, PgStore};
use crate::store::*;

#[async_trait]
impl OAuthStore for PgStore {
    async fn create_oauth_code(&self, code: NewOAuthCode) -> StoreResult<()> {
        create_code(&**self.client().await?, code).await
    }
    async fn oauth_code_by_hash(&self, hash: &str) -> StoreResult<Option<OAuthCodeRecord>> {
        code_by_hash(&**self.client().await?, hash).await
    }
    async fn redeem_oauth_code(
        &self,
        code_hash: &str,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let issued = if mark_code_used(&*tx, code_hash).await? {
            Some(create_token(&*tx, token).await?)
        } else {
            revoke_family(&*tx, &token.family, "code_replayed").await?;
            None
        };
        tx.commit().await?;
        Ok(issued)
    }
    async fn create_oauth_token(&self, token: NewOAuthToken) -> StoreResult<OAuthTokenRecord> {
        create_token(&**self.client().await?, token).await
    }
    async fn oauth_token_by_access_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        token_where(&**self.client().await?, "access_token_hash = $1", &hash).await
    }
    async fn oauth_token_by_refresh_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        token_where(&**self.client().await?, "refresh_token_hash = $1", &hash).await
    }
    async fn rotate_oauth_token(
        &self,
        old_id: i64,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let issued = if mark_rotated(&*tx, old_id).await? {
            Some(create_token(&*tx, token).await?)
        } else {
            revoke_family(&*tx, &token.family, "refresh_reused").await?;
            None
        };
        tx.commit().await?;
        Ok(issued)
    }
    async fn revoke_oauth_token(&self, id: i64, reason: &str) -> StoreResult<()> {
        revoke_token(&**self.client().await?, id, reason).await
    }
    async fn revoke_oauth_grant(&self, user_id: i64, app_id: i64) -> StoreResult<()> {
        revoke_grant(&**self.client().await?, user_id, app_id).await
    }
    async fn live_oauth_tokens_of_user(&self, user_id: i64) -> StoreResult<Vec<OAuthTokenRecord>> {
        live_tokens_of_user(&**self.client().await?, user_id).await
    }
}

const CODE_COLS: &str = "code_hash, app_id, user_id, redirect_uri, scopes, code_challenge, \
     flow_id, created_at, expires_at, used_at";

fn code_row(r: &Row) -> OAuthCodeRecord {
    OAuthCodeRecord {
        code_hash: r.get(0),
        app_id: r.get(1),
        user_id: r.get(2),
        redirect_uri: r.get(3),
        scopes: r.get(4),
        code_challenge: r.get(5),
        flow_id: r.get(6),
        created_at: r.get(7),
        expires_at: r.get(8),
        used_at: r.get(9),
    }
}

const TOKEN_COLS: &str = "id, app_id, user_id, scopes, family, refresh_token_hash IS NOT NULL, \
     access_expires_at, created_at, revoked_at, revoke_reason";

fn token_row(r: &Row) -> OAuthTokenRecord {
    OAuthTokenRecord {
        id: r.get(0),
        app_id: r.get(1),
        user_id: r.get(2),
        scopes: r.get(3),
        family: r.get(4),
        has_refresh: r.get(5),
        access_expires_at: r.get(6),
        created_at: r.get(7),
        revoked_at: r.get(8),
        revoke_reason: r.get(9),
    }
}

pub(super) async fn create_code(c: &impl GenericClient, k: NewOAuthCode) -> StoreResult<()> {
    c.execute(
        "INSERT INTO oauth_codes (code_hash, app_id, user_id, redirect_uri, scopes, code_challenge,
                                  flow_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &k.code_hash,
            &k.app_id,
            &k.user_id,
            &k.redirect_uri,
            &k.scopes,
            &k.code_challenge,
            &k.flow_id,
            &now_millis(),
            &k.expires_at,
        ],
    )
    .await
    .map_err(|e| constraint(e, "authorization code", "application or user"))?;
    Ok(())
}

pub(super) async fn code_by_hash(
    c: &impl GenericClient,
    hash: &str,
) -> StoreResult<Option<OAuthCodeRecord>> {
    let sql = format!("SELECT {CODE_COLS} FROM oauth_codes WHERE code_hash = $1");
    Ok(c.query_opt(&sql, &[&hash]).await?.as_ref().map(code_row))
}

pub(super) async fn token_where(
    c: &impl GenericClient,
    cond: &str,
    arg: &(dyn ToSql + Sync),
) -> StoreResult<Option<OAuthTokenRecord>> {
    let sql = format!("SELECT {TOKEN_COLS} FROM oauth_tokens WHERE {cond}");
    Ok(c.query_opt(&sql, &[arg]).await?.as_ref().map(token_row))
}

pub(super) async fn create_token(
    c: &impl GenericClient,
    t: NewOAuthToken,
) -> StoreResult<OAuthTokenRecord> {
    let row = c
        .query_one(
            "INSERT INTO oauth_tokens (app_id, user_id, scopes, family, access_token_hash,
                                       refresh_token_hash, access_expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &t.app_id,
                &t.user_id,
                &t.scopes,
                &t.family,
                &t.access_token_hash,
                &t.refresh_token_hash,
                &t.access_expires_at,
                &now_millis(),
            ],
        )
        .await
        .map_err(|e| constraint(e, "token", "application or user"))?;
    let id: i64 = row.get(0);
    token_where(c, "id = $1", &id)
        .await?
        .ok_or(StoreError::NotFound("token"))
}

pub(super) async fn revoke_family(
    c: &impl GenericClient,
    family: &str,
    reason: &str,
) -> StoreResult<()> {
    c.execute(
        "UPDATE oauth_tokens SET revoked_at = $2, revoke_reason = $3
          WHERE family = $1 AND revoked_at IS NULL",
        &[&family, &now_millis(), &reason],
    )
    .await?;
    Ok(())
}

/// Marks the code used; `false` when it already was. Run inside the caller's transaction.
pub(super) async fn mark_code_used(c: &impl GenericClient, code_hash: &str) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL",
            &[&code_hash, &now_millis()],
        )
        .await?;
    Ok(n > 0)
}

/// Revokes the token as rotated; `false` when it already was revoked.
pub(super) async fn mark_rotated(c: &impl GenericClient, id: i64) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE oauth_tokens SET revoked_at = $2, revoke_reason = 'rotated'
              WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &now_millis()],
        )
        .await?;
    Ok(n > 0)
}

pub(super) async fn revoke_token(c: &impl GenericClient, id: i64, reason: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE oauth_tokens SET revoked_at = $2, revoke_reason = $3
          WHERE id = $1 AND revoked_at IS NULL",
        &[&id, &now_millis(), &reason],
    )
    .await?;
    Ok(())
}

pub(super) async fn revoke_grant(
    c: &impl GenericClient,
    user_id: i64,
    app_id: i64,
) -> StoreResult<()> {
    c.execute(
        "UPDATE oauth_tokens SET revoked_at = $3, revoke_reason = 'user_revoked'
          WHERE user_id = $1 AND app_id = $2 AND revoked_at IS NULL",
        &[&user_id, &app_id, &now_millis()],
    )
    .await?;
    Ok(())
}

pub(super) async fn live_tokens_of_user(
    c: &impl GenericClient,
    user_id: i64,
) -> StoreResult<Vec<OAuthTokenRecord>> {
    let sql = format!(
        "SELECT {TOKEN_COLS} FROM oauth_tokens
          WHERE user_id = $1 AND revoked_at IS NULL
            AND (refresh_token_hash IS NOT NULL OR access_expires_at > $2)
          ORDER BY id"
    );
    Ok(c.query(&sql, &[&user_id, &now_millis()])
        .await?
        .iter()
        .map(token_row)
        .collect())
}
