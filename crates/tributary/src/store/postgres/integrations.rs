//! [`IntegrationStore`] on PostgreSQL: developer applications, sources, and action
//! attempts (whose rows are in `actions`).

use std::sync::OnceLock;

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::flows::{flow_cols, flow_row_at, FLOW_FROM};
use super::{actions, constraint, source_health, PgStore};
use crate::store::*;

#[async_trait]
impl IntegrationStore for PgStore {
    async fn create_app(&self, app: NewApp) -> StoreResult<AppRecord> {
        create_app(&**self.client().await?, app).await
    }
    async fn app_by_id(&self, id: i64) -> StoreResult<Option<AppRecord>> {
        let row = self.row_by_key(&app_sql("id = $1"), &[&id]).await?;
        Ok(row.as_ref().map(app_row))
    }
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<AppRecord>> {
        app_by_client_id(&**self.client().await?, client_id).await
    }
    async fn apps_of_owner(&self, owner_id: i64) -> StoreResult<Vec<AppRecord>> {
        apps_where(
            &**self.client().await?,
            "owner_id = $1 ORDER BY id",
            &[&owner_id],
        )
        .await
    }
    async fn list_apps(&self, published_only: bool) -> StoreResult<Vec<AppRecord>> {
        apps_where(
            &**self.client().await?,
            "(published OR NOT $1) ORDER BY name, id",
            &[&published_only],
        )
        .await
    }
    async fn update_app(&self, id: i64, changes: AppChanges) -> StoreResult<AppRecord> {
        update_app(&**self.client().await?, id, changes).await
    }
    async fn create_source(&self, source: NewSource) -> StoreResult<SourceRecord> {
        create_source(&**self.client().await?, source).await
    }
    async fn source_by_id(&self, id: i64) -> StoreResult<Option<SourceRecord>> {
        let row = self.row_by_key(&source_sql("id = $1"), &[&id]).await?;
        Ok(row.as_ref().map(source_row))
    }
    async fn source_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceRecord>> {
        let row = self
            .row_by_key(&source_sql("flow_token_hash = $1"), &[&hash])
            .await?;
        Ok(row.as_ref().map(source_row))
    }
    async fn source_context_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceContext>> {
        let row = self.row_by_key(source_context_sql(), &[&hash]).await?;
        Ok(row.as_ref().map(source_context_row))
    }
    async fn remove_source(&self, id: i64, reason: &str) -> StoreResult<SourceRecord> {
        remove_source(&**self.client().await?, id, reason).await
    }
    async fn sources_in_flow(&self, flow_id: &str) -> StoreResult<Vec<SourceRecord>> {
        sources_where(&**self.client().await?, "flow_id = $1", &flow_id).await
    }
    async fn sources_of_member(&self, user_id: i64) -> StoreResult<Vec<SourceRecord>> {
        sources_where(
            &**self.client().await?,
            "flow_id IN (SELECT flow_id FROM flow_memberships WHERE user_id = $1)",
            &user_id,
        )
        .await
    }
    async fn update_source(&self, id: i64, changes: SourceChanges) -> StoreResult<SourceRecord> {
        update_source(&**self.client().await?, id, changes).await
    }
    async fn record_action_attempt(
        &self,
        attempt: NewActionAttempt,
    ) -> StoreResult<ActionAttemptRecord> {
        actions::record(&**self.client().await?, attempt).await
    }
    async fn action_attempts_of_source(
        &self,
        source_id: i64,
    ) -> StoreResult<Vec<ActionAttemptRecord>> {
        actions::of_source(&**self.client().await?, source_id).await
    }
    async fn record_source_rejection(
        &self,
        source_id: i64,
        status: u16,
        message: &str,
    ) -> StoreResult<()> {
        let c = self.client().await?;
        source_health::record_rejection(&**c, source_id, status, message).await
    }
    async fn source_health(
        &self,
        source_id: i64,
        since: i64,
        now: i64,
    ) -> StoreResult<SourceHealthRecord> {
        source_health::health(&**self.client().await?, source_id, since, now).await
    }
    async fn rotate_flow_token(
        &self,
        source_id: i64,
        new_hash: &str,
        valid_until: i64,
    ) -> StoreResult<()> {
        let mut c = self.client().await?;
        source_health::rotate(&mut c, source_id, new_hash, valid_until).await
    }
    async fn retired_flow_token(&self, hash: &str) -> StoreResult<Option<RetiredTokenRecord>> {
        source_health::retired(&**self.client().await?, hash).await
    }
}

const APP_COLS: &str = "id, owner_id, name, icon_url, client_id, client_secret, redirect_uri, \
     setup_uri, configuration_uri, published, created_at, password_grant";

pub(super) fn app_row(r: &Row) -> AppRecord {
    app_row_at(r, 0)
}

fn app_row_at(r: &Row, at: usize) -> AppRecord {
    AppRecord {
        id: r.get(at),
        owner_id: r.get(at + 1),
        name: r.get(at + 2),
        icon_url: r.get(at + 3),
        client_id: r.get(at + 4),
        client_secret: r.get(at + 5),
        redirect_uri: r.get(at + 6),
        setup_uri: r.get(at + 7),
        configuration_uri: r.get(at + 8),
        published: r.get(at + 9),
        created_at: r.get(at + 10),
        password_grant: r.get(at + 11),
    }
}

const SOURCE_COLS: &str = "id, flow_id, app_id, creator_id, name, external_url, error_message, \
     configuration_url, removed_at, removal_reason, created_at, updated_at";

pub(super) fn source_row(r: &Row) -> SourceRecord {
    SourceRecord {
        id: r.get(0),
        flow_id: r.get(1),
        app_id: r.get(2),
        creator_id: r.get(3),
        name: r.get(4),
        external_url: r.get(5),
        error_message: r.get(6),
        configuration_url: r.get(7),
        removed_at: r.get(8),
        removal_reason: r.get(9),
        created_at: r.get(10),
        updated_at: r.get(11),
    }
}

pub(super) async fn create_app(c: &impl GenericClient, a: NewApp) -> StoreResult<AppRecord> {
    let row = c
        .query_one(
            "INSERT INTO applications (owner_id, name, icon_url, client_id, client_secret, redirect_uri,
                                       setup_uri, configuration_uri, published, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &a.owner_id, &a.name, &a.icon_url, &a.client_id, &a.client_secret, &a.redirect_uri,
                &a.setup_uri, &a.configuration_uri, &a.published, &now_millis(),
            ],
        )
        .await
        .map_err(|e| constraint(e, "client id", "owner"))?;
    let id: i64 = row.get(0);
    app_by_id(c, id)
        .await?
        .ok_or(StoreError::NotFound("application"))
}

pub(super) async fn app_by_id(c: &impl GenericClient, id: i64) -> StoreResult<Option<AppRecord>> {
    Ok(c.query_opt(&app_sql("id = $1"), &[&id])
        .await?
        .as_ref()
        .map(app_row))
}

pub(super) fn app_sql(cond: &str) -> String {
    format!("SELECT {APP_COLS} FROM applications WHERE {cond}")
}

pub(super) async fn create_source(
    c: &impl GenericClient,
    s: NewSource,
) -> StoreResult<SourceRecord> {
    let now = now_millis();
    let row = c
        .query_one(
            "INSERT INTO sources (flow_id, app_id, creator_id, name, external_url, flow_token_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            &[&s.flow_id, &s.app_id, &s.creator_id, &s.name, &s.external_url, &s.flow_token_hash, &now],
        )
        .await
        .map_err(|e| constraint(e, "flow_token", "flow or application"))?;
    let id: i64 = row.get(0);
    source_where(c, "id = $1", &id)
        .await?
        .ok_or(StoreError::NotFound("source"))
}

pub(super) async fn source_where(
    c: &impl GenericClient,
    cond: &str,
    arg: &(dyn ToSql + Sync),
) -> StoreResult<Option<SourceRecord>> {
    Ok(c.query_opt(&source_sql(cond), &[arg])
        .await?
        .as_ref()
        .map(source_row))
}

/// Columns of [`SOURCE_COLS`], then [`APP_COLS`] from here, then the flow's.
const CONTEXT_APP_AT: usize = 12;
const CONTEXT_FLOW_AT: usize = CONTEXT_APP_AT + 12;

/// A `flow_token`'s source, application and flow in one statement (`$1`: the token hash).
pub(super) fn source_context_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT {}, {}, {} FROM {FLOW_FROM}
               JOIN sources s ON s.flow_id = f.id JOIN applications a ON a.id = s.app_id
              WHERE s.flow_token_hash = $1",
            qualified("s", SOURCE_COLS),
            qualified("a", APP_COLS),
            flow_cols()
        )
    })
}

pub(super) fn source_context_row(r: &Row) -> SourceContext {
    SourceContext {
        source: source_row(r),
        app: app_row_at(r, CONTEXT_APP_AT),
        flow: flow_row_at(r, CONTEXT_FLOW_AT),
    }
}

pub(super) fn source_sql(cond: &str) -> String {
    format!("SELECT {SOURCE_COLS} FROM sources WHERE {cond}")
}

pub(super) async fn remove_source(
    c: &impl GenericClient,
    id: i64,
    reason: &str,
) -> StoreResult<SourceRecord> {
    let now = now_millis();
    c.execute(
        "UPDATE sources SET removed_at = COALESCE(removed_at, $2),
                removal_reason = COALESCE(removal_reason, $3), updated_at = $2 WHERE id = $1",
        &[&id, &now, &reason],
    )
    .await?;
    source_where(c, "id = $1", &id)
        .await?
        .ok_or(StoreError::NotFound("source"))
}

pub(super) async fn apps_where(
    c: &impl GenericClient,
    cond: &str,
    args: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<AppRecord>> {
    let sql = format!("SELECT {APP_COLS} FROM applications WHERE {cond}");
    Ok(c.query(&sql, args).await?.iter().map(app_row).collect())
}

pub(super) async fn app_by_client_id(
    c: &impl GenericClient,
    client_id: &str,
) -> StoreResult<Option<AppRecord>> {
    let sql = format!("SELECT {APP_COLS} FROM applications WHERE client_id = $1");
    Ok(c.query_opt(&sql, &[&client_id])
        .await?
        .as_ref()
        .map(app_row))
}

pub(super) async fn update_app(
    c: &impl GenericClient,
    id: i64,
    ch: AppChanges,
) -> StoreResult<AppRecord> {
    // A flag per optional column tells "leave it" from "clear it".
    let n = c
        .execute(
            "UPDATE applications SET
                name = COALESCE($2, name),
                icon_url = CASE WHEN $3 THEN $4 ELSE icon_url END,
                redirect_uri = COALESCE($5, redirect_uri),
                setup_uri = CASE WHEN $6 THEN $7 ELSE setup_uri END,
                configuration_uri = CASE WHEN $8 THEN $9 ELSE configuration_uri END,
                client_secret = COALESCE($10, client_secret),
                published = COALESCE($11, published),
            password_grant = COALESCE($12, password_grant)
              WHERE id = $1",
            &[
                &id,
                &ch.name,
                &ch.icon_url.is_some(),
                &ch.icon_url.clone().flatten(),
                &ch.redirect_uri,
                &ch.setup_uri.is_some(),
                &ch.setup_uri.clone().flatten(),
                &ch.configuration_uri.is_some(),
                &ch.configuration_uri.clone().flatten(),
                &ch.client_secret,
                &ch.published,
                &ch.password_grant,
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("application"));
    }
    app_by_id(c, id)
        .await?
        .ok_or(StoreError::NotFound("application"))
}

pub(super) async fn sources_where(
    c: &impl GenericClient,
    cond: &str,
    arg: &(dyn ToSql + Sync),
) -> StoreResult<Vec<SourceRecord>> {
    let sql = format!(
        "SELECT {SOURCE_COLS} FROM sources WHERE removed_at IS NULL AND {cond} ORDER BY id"
    );
    Ok(c.query(&sql, &[arg])
        .await?
        .iter()
        .map(source_row)
        .collect())
}

pub(super) async fn update_source(
    c: &impl GenericClient,
    id: i64,
    ch: SourceChanges,
) -> StoreResult<SourceRecord> {
    let n = c
        .execute(
            "UPDATE sources SET
                error_message = CASE WHEN $2 THEN $3 ELSE error_message END,
                configuration_url = CASE WHEN $4 THEN $5 ELSE configuration_url END,
                updated_at = $6
              WHERE id = $1",
            &[
                &id,
                &ch.error_message.is_some(),
                &ch.error_message.clone().flatten(),
                &ch.configuration_url.is_some(),
                &ch.configuration_url.clone().flatten(),
                &now_millis(),
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("source"));
    }
    source_where(c, "id = $1", &id)
        .await?
        .ok_or(StoreError::NotFound("source"))
}
