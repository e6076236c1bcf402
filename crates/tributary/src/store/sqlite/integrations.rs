//! [`IntegrationStore`] on SQLite: developer applications, sources, and action attempts
//! (whose rows are in `actions`).

use std::sync::OnceLock;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use super::flows::{flow_cols, flow_row_at, FLOW_FROM};
use super::{actions, constraint, source_health, SqliteStore};
use crate::store::*;

#[async_trait]
impl IntegrationStore for SqliteStore {
    async fn create_app(&self, app: NewApp) -> StoreResult<AppRecord> {
        self.writer.write(move |c| create_app(c, app)).await
    }
    async fn app_by_id(&self, id: i64) -> StoreResult<Option<AppRecord>> {
        self.readers.lookup(move |c| app_by_id(c, id)).await
    }
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<AppRecord>> {
        let client_id = client_id.to_owned();
        self.readers
            .lookup(move |c| app_by_client_id(c, &client_id))
            .await
    }
    async fn apps_of_owner(&self, owner_id: i64) -> StoreResult<Vec<AppRecord>> {
        self.readers
            .read(move |c| apps_where(c, "owner_id = ?1 ORDER BY id", owner_id))
            .await
    }
    async fn list_apps(&self, published_only: bool) -> StoreResult<Vec<AppRecord>> {
        self.readers
            .read(move |c| apps_where(c, "(published OR NOT ?1) ORDER BY name, id", published_only))
            .await
    }
    async fn update_app(&self, id: i64, changes: AppChanges) -> StoreResult<AppRecord> {
        self.writer.write(move |c| update_app(c, id, changes)).await
    }
    async fn create_source(&self, source: NewSource) -> StoreResult<SourceRecord> {
        self.writer.write(move |c| create_source(c, source)).await
    }
    async fn source_by_id(&self, id: i64) -> StoreResult<Option<SourceRecord>> {
        self.readers
            .lookup(move |c| source_where(c, "id = ?1", id))
            .await
    }
    async fn source_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceRecord>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| source_where(c, "flow_token_hash = ?1", hash))
            .await
    }
    async fn source_context_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceContext>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| source_context_by_token_hash(c, &hash))
            .await
    }
    async fn remove_source(&self, id: i64, reason: &str) -> StoreResult<SourceRecord> {
        let reason = reason.to_owned();
        self.writer
            .write(move |c| remove_source(c, id, &reason))
            .await
    }
    async fn sources_in_flow(&self, flow_id: &str) -> StoreResult<Vec<SourceRecord>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .read(move |c| sources_where(c, "flow_id = ?1", flow_id))
            .await
    }
    async fn sources_of_member(&self, user_id: i64) -> StoreResult<Vec<SourceRecord>> {
        self.readers
            .read(move |c| {
                sources_where(
                    c,
                    "flow_id IN (SELECT flow_id FROM flow_memberships WHERE user_id = ?1)",
                    user_id,
                )
            })
            .await
    }
    async fn update_source(&self, id: i64, changes: SourceChanges) -> StoreResult<SourceRecord> {
        self.writer
            .write(move |c| update_source(c, id, changes))
            .await
    }
    async fn record_action_attempt(
        &self,
        attempt: NewActionAttempt,
    ) -> StoreResult<ActionAttemptRecord> {
        self.writer
            .write(move |c| actions::record(c, attempt))
            .await
    }
    async fn action_attempts_of_source(
        &self,
        source_id: i64,
    ) -> StoreResult<Vec<ActionAttemptRecord>> {
        self.readers
            .read(move |c| actions::of_source(c, source_id))
            .await
    }
    async fn record_source_rejection(
        &self,
        source_id: i64,
        status: u16,
        message: &str,
    ) -> StoreResult<()> {
        let message = message.to_owned();
        self.writer
            .write(move |c| source_health::record_rejection(c, source_id, status, &message))
            .await
    }
    async fn source_health(
        &self,
        source_id: i64,
        since: i64,
        now: i64,
    ) -> StoreResult<SourceHealthRecord> {
        self.readers
            .read(move |c| source_health::health(c, source_id, since, now))
            .await
    }
    async fn rotate_flow_token(
        &self,
        source_id: i64,
        new_hash: &str,
        valid_until: i64,
    ) -> StoreResult<()> {
        let new_hash = new_hash.to_owned();
        self.writer
            .write(move |c| source_health::rotate(c, source_id, &new_hash, valid_until))
            .await
    }
    async fn retired_flow_token(&self, hash: &str) -> StoreResult<Option<RetiredTokenRecord>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| source_health::retired(c, &hash))
            .await
    }
}

const APP_COLS: &str = "id, owner_id, name, icon_url, client_id, client_secret, redirect_uri, \
     setup_uri, configuration_uri, published, created_at, password_grant";

fn app_row(r: &Row<'_>) -> rusqlite::Result<AppRecord> {
    app_row_at(r, 0)
}

fn app_row_at(r: &Row<'_>, at: usize) -> rusqlite::Result<AppRecord> {
    Ok(AppRecord {
        id: r.get(at)?,
        owner_id: r.get(at + 1)?,
        name: r.get(at + 2)?,
        icon_url: r.get(at + 3)?,
        client_id: r.get(at + 4)?,
        client_secret: r.get(at + 5)?,
        redirect_uri: r.get(at + 6)?,
        setup_uri: r.get(at + 7)?,
        configuration_uri: r.get(at + 8)?,
        published: r.get(at + 9)?,
        created_at: r.get(at + 10)?,
        password_grant: r.get(at + 11)?,
    })
}

const SOURCE_COLS: &str = "id, flow_id, app_id, creator_id, name, external_url, error_message, \
     configuration_url, removed_at, removal_reason, created_at, updated_at";

fn source_row(r: &Row<'_>) -> rusqlite::Result<SourceRecord> {
    Ok(SourceRecord {
        id: r.get(0)?,
        flow_id: r.get(1)?,
        app_id: r.get(2)?,
        creator_id: r.get(3)?,
        name: r.get(4)?,
        external_url: r.get(5)?,
        error_message: r.get(6)?,
        configuration_url: r.get(7)?,
        removed_at: r.get(8)?,
        removal_reason: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

pub(super) fn create_app(c: &Connection, a: NewApp) -> StoreResult<AppRecord> {
    c.execute(
        "INSERT INTO applications (owner_id, name, icon_url, client_id, client_secret, redirect_uri,
                                   setup_uri, configuration_uri, published, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            a.owner_id, a.name, a.icon_url, a.client_id, a.client_secret, a.redirect_uri,
            a.setup_uri, a.configuration_uri, a.published, now_millis()
        ],
    )
    .map_err(|e| constraint(e, "client id", "owner"))?;
    app_by_id(c, c.last_insert_rowid())?.ok_or(StoreError::NotFound("application"))
}

pub(super) fn app_by_id(c: &Connection, id: i64) -> StoreResult<Option<AppRecord>> {
    let sql = format!("SELECT {APP_COLS} FROM applications WHERE id = ?1");
    Ok(c.prepare_cached(&sql)?
        .query_row([id], app_row)
        .optional()?)
}

pub(super) fn create_source(c: &Connection, s: NewSource) -> StoreResult<SourceRecord> {
    let now = now_millis();
    c.execute(
        "INSERT INTO sources (flow_id, app_id, creator_id, name, external_url, flow_token_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![s.flow_id, s.app_id, s.creator_id, s.name, s.external_url, s.flow_token_hash, now],
    )
    .map_err(|e| constraint(e, "flow_token", "flow or application"))?;
    source_where(c, "id = ?1", c.last_insert_rowid())?.ok_or(StoreError::NotFound("source"))
}

/// Columns of [`SOURCE_COLS`], then [`APP_COLS`] from here, then the flow's.
const CONTEXT_APP_AT: usize = 12;
const CONTEXT_FLOW_AT: usize = CONTEXT_APP_AT + 12;

pub(super) fn source_context_by_token_hash(
    c: &Connection,
    hash: &str,
) -> StoreResult<Option<SourceContext>> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!(
            "SELECT {}, {}, {} FROM {FLOW_FROM}
               JOIN sources s ON s.flow_id = f.id JOIN applications a ON a.id = s.app_id
              WHERE s.flow_token_hash = ?1",
            qualified("s", SOURCE_COLS),
            qualified("a", APP_COLS),
            flow_cols()
        )
    });
    Ok(c.prepare_cached(sql)?
        .query_row([hash], |r| {
            Ok(SourceContext {
                source: source_row(r)?,
                app: app_row_at(r, CONTEXT_APP_AT)?,
                flow: flow_row_at(r, CONTEXT_FLOW_AT)?,
            })
        })
        .optional()?)
}

pub(super) fn source_where(
    c: &Connection,
    cond: &str,
    arg: impl ToSql,
) -> StoreResult<Option<SourceRecord>> {
    let sql = format!("SELECT {SOURCE_COLS} FROM sources WHERE {cond}");
    Ok(c.prepare_cached(&sql)?
        .query_row([arg], source_row)
        .optional()?)
}

pub(super) fn remove_source(c: &Connection, id: i64, reason: &str) -> StoreResult<SourceRecord> {
    let now = now_millis();
    c.execute(
        "UPDATE sources SET removed_at = COALESCE(removed_at, ?2),
                removal_reason = COALESCE(removal_reason, ?3), updated_at = ?2 WHERE id = ?1",
        params![id, now, reason],
    )?;
    source_where(c, "id = ?1", id)?.ok_or(StoreError::NotFound("source"))
}

pub(super) fn apps_where(
    c: &Connection,
    cond: &str,
    arg: impl ToSql,
) -> StoreResult<Vec<AppRecord>> {
    let sql = format!("SELECT {APP_COLS} FROM applications WHERE {cond}");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([arg], app_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn app_by_client_id(c: &Connection, client_id: &str) -> StoreResult<Option<AppRecord>> {
    let sql = format!("SELECT {APP_COLS} FROM applications WHERE client_id = ?1");
    Ok(c.prepare_cached(&sql)?
        .query_row([client_id], app_row)
        .optional()?)
}

pub(super) fn update_app(c: &Connection, id: i64, ch: AppChanges) -> StoreResult<AppRecord> {
    // A flag per optional column tells "leave it" from "clear it".
    let n = c.execute(
        "UPDATE applications SET
            name = COALESCE(?2, name),
            icon_url = CASE WHEN ?3 THEN ?4 ELSE icon_url END,
            redirect_uri = COALESCE(?5, redirect_uri),
            setup_uri = CASE WHEN ?6 THEN ?7 ELSE setup_uri END,
            configuration_uri = CASE WHEN ?8 THEN ?9 ELSE configuration_uri END,
            client_secret = COALESCE(?10, client_secret),
            published = COALESCE(?11, published),
            password_grant = COALESCE(?12, password_grant)
          WHERE id = ?1",
        params![
            id,
            ch.name,
            ch.icon_url.is_some(),
            ch.icon_url.flatten(),
            ch.redirect_uri,
            ch.setup_uri.is_some(),
            ch.setup_uri.flatten(),
            ch.configuration_uri.is_some(),
            ch.configuration_uri.flatten(),
            ch.client_secret,
            ch.published,
            ch.password_grant
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("application"));
    }
    app_by_id(c, id)?.ok_or(StoreError::NotFound("application"))
}

pub(super) fn sources_where(
    c: &Connection,
    cond: &str,
    arg: impl ToSql,
) -> StoreResult<Vec<SourceRecord>> {
    let sql = format!(
        "SELECT {SOURCE_COLS} FROM sources WHERE removed_at IS NULL AND {cond} ORDER BY id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([arg], source_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn update_source(
    c: &Connection,
    id: i64,
    ch: SourceChanges,
) -> StoreResult<SourceRecord> {
    let n = c.execute(
        "UPDATE sources SET
            error_message = CASE WHEN ?2 THEN ?3 ELSE error_message END,
            configuration_url = CASE WHEN ?4 THEN ?5 ELSE configuration_url END,
            updated_at = ?6
          WHERE id = ?1",
        params![
            id,
            ch.error_message.is_some(),
            ch.error_message.flatten(),
            ch.configuration_url.is_some(),
            ch.configuration_url.flatten(),
            now_millis()
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("source"));
    }
    source_where(c, "id = ?1", id)?.ok_or(StoreError::NotFound("source"))
}
