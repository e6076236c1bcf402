//! [`FlowStore`] on SQLite: organizations, flows, and their memberships.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};
use tributary_types::AccessMode;

use super::accounts::{user_row, USER_COLS};
use super::{constraint, memberships, SqliteStore};
use crate::store::*;

#[async_trait]
impl FlowStore for SqliteStore {
    async fn create_org(&self, org: NewOrg) -> StoreResult<OrgRecord> {
        self.writer.write(move |c| create_org(c, org)).await
    }
    async fn org_by_name(&self, parameterized_name: &str) -> StoreResult<Option<OrgRecord>> {
        let name = parameterized_name.to_owned();
        self.readers
            .lookup(move |c| org_where(c, "o.parameterized_name = ?1", name))
            .await
    }
    async fn rename_org(&self, org_id: i64, name: &str) -> StoreResult<bool> {
        let name = name.to_owned();
        self.writer
            .write(move |c| {
                let sql = "UPDATE organizations SET name = ?2 WHERE id = ?1";
                Ok(c.execute(sql, params![org_id, name])? > 0)
            })
            .await
    }
    async fn add_org_member(&self, org_id: i64, user_id: i64, admin: bool) -> StoreResult<()> {
        self.writer
            .write(move |c| add_org_member(c, org_id, user_id, admin))
            .await
    }
    async fn org_membership(&self, org_id: i64, user_id: i64) -> StoreResult<Option<bool>> {
        self.readers
            .lookup(move |c| org_membership(c, org_id, user_id))
            .await
    }
    async fn orgs_of_user(&self, user_id: i64) -> StoreResult<Vec<OrgRecord>> {
        self.readers.read(move |c| orgs_of_user(c, user_id)).await
    }
    async fn org_members(&self, org_id: i64) -> StoreResult<Vec<OrgMember>> {
        self.readers.read(move |c| org_members(c, org_id)).await
    }
    async fn set_org_admin(
        &self,
        org_id: i64,
        user_id: i64,
        admin: bool,
    ) -> StoreResult<MemberChange> {
        self.writer
            .write(move |c| memberships::set_org_admin(c, org_id, user_id, admin))
            .await
    }
    async fn remove_org_member(&self, org_id: i64, user_id: i64) -> StoreResult<MemberChange> {
        self.writer
            .write(move |c| memberships::remove_org_member(c, org_id, user_id))
            .await
    }
    async fn set_flow_block(&self, flow_id: &str, user_id: i64, blocked: bool) -> StoreResult<()> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write(move |c| memberships::set_flow_block(c, &flow_id, user_id, blocked))
            .await
    }
    async fn create_flow(&self, flow: NewFlow, creator: Option<i64>) -> StoreResult<FlowRecord> {
        self.writer
            .write(move |c| create_flow(c, flow, creator))
            .await
    }
    async fn flow_by_name(&self, org: &str, flow: &str) -> StoreResult<Option<FlowRecord>> {
        let (org, flow) = (org.to_owned(), flow.to_owned());
        self.readers
            .lookup(move |c| flow_by_name(c, &org, &flow))
            .await
    }
    async fn flow_by_id(&self, id: &str) -> StoreResult<Option<FlowRecord>> {
        let id = id.to_owned();
        self.readers.lookup(move |c| flow_by_id(c, &id)).await
    }
    async fn flows_for_user(
        &self,
        user_id: i64,
        with_joinable: bool,
    ) -> StoreResult<Vec<FlowForUser>> {
        self.readers
            .read(move |c| flows_for_user(c, user_id, with_joinable))
            .await
    }
    async fn flow_membership(
        &self,
        flow_id: &str,
        user_id: i64,
    ) -> StoreResult<Option<FlowMembership>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .read(move |c| flow_membership(c, &flow_id, user_id))
            .await
    }
    async fn set_flow_member(&self, flow_id: &str, user_id: i64, open: bool) -> StoreResult<()> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write(move |c| set_flow_member(c, &flow_id, user_id, open))
            .await
    }
    async fn update_flow(&self, flow_id: &str, changes: FlowChanges) -> StoreResult<FlowRecord> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write(move |c| update_flow(c, &flow_id, changes))
            .await
    }
    async fn flow_members(&self, flow_id: &str) -> StoreResult<Vec<UserRecord>> {
        let flow_id = flow_id.to_owned();
        self.readers.read(move |c| flow_members(c, &flow_id)).await
    }
}

/// Organization columns starting at `o.`, ending with the member count.
pub(super) const ORG_COLS: &str = "o.id, o.name, o.parameterized_name, o.user_limit, o.active, \
     (SELECT COUNT(*) FROM org_memberships om WHERE om.org_id = o.id)";

/// Reads an organization whose six columns start at `at`.
pub(super) fn org_row(r: &Row<'_>, at: usize) -> rusqlite::Result<OrgRecord> {
    Ok(OrgRecord {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        parameterized_name: r.get(at + 2)?,
        user_limit: r.get(at + 3)?,
        active: r.get(at + 4)?,
        user_count: r.get(at + 5)?,
    })
}

pub(super) fn create_org(c: &Connection, o: NewOrg) -> StoreResult<OrgRecord> {
    c.execute(
        "INSERT INTO organizations (name, parameterized_name, user_limit, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![o.name, o.parameterized_name, o.user_limit, now_millis()],
    )
    .map_err(|e| constraint(e, "organization name", "organization"))?;
    org_where(c, "o.id = ?1", c.last_insert_rowid())?.ok_or(StoreError::NotFound("organization"))
}

pub(super) fn org_where(
    c: &Connection,
    cond: &str,
    arg: impl ToSql,
) -> StoreResult<Option<OrgRecord>> {
    let sql = format!("SELECT {ORG_COLS} FROM organizations o WHERE {cond}");
    Ok(c.query_row(&sql, [arg], |r| org_row(r, 0)).optional()?)
}

pub(super) fn add_org_member(
    c: &Connection,
    org_id: i64,
    user_id: i64,
    admin: bool,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO org_memberships (org_id, user_id, admin, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET admin = excluded.admin",
        params![org_id, user_id, admin, now_millis()],
    )
    .map_err(|e| constraint(e, "membership", "organization or user"))?;
    Ok(())
}

pub(super) fn org_membership(
    c: &Connection,
    org_id: i64,
    user_id: i64,
) -> StoreResult<Option<bool>> {
    Ok(c.query_row(
        "SELECT admin FROM org_memberships WHERE org_id = ?1 AND user_id = ?2",
        [org_id, user_id],
        |r| r.get(0),
    )
    .optional()?)
}

pub(super) fn orgs_of_user(c: &Connection, user_id: i64) -> StoreResult<Vec<OrgRecord>> {
    let sql = format!(
        "SELECT {ORG_COLS} FROM organizations o JOIN org_memberships m ON m.org_id = o.id
          WHERE m.user_id = ?1 ORDER BY o.id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([user_id], |r| org_row(r, 0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn org_members(c: &Connection, org_id: i64) -> StoreResult<Vec<OrgMember>> {
    let sql = format!(
        "SELECT {USER_COLS}, m.admin FROM users u JOIN org_memberships m ON m.user_id = u.id
          WHERE m.org_id = ?1 ORDER BY u.id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([org_id], |r| {
        Ok(OrgMember {
            user: user_row(r)?,
            admin: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
/// Flow columns (`f.`), then the organization's (`o.`) from index 7.
pub(super) fn flow_cols() -> String {
    format!("f.id, f.name, f.parameterized_name, f.access_mode, f.disabled, f.join_token, f.created_at, {ORG_COLS}")
}

pub(super) const FLOW_FROM: &str = "flows f JOIN organizations o ON o.id = f.org_id";

fn flow_row(r: &Row<'_>) -> rusqlite::Result<FlowRecord> {
    flow_row_at(r, 0)
}

/// A flow whose [`flow_cols`] start at column `at`.
pub(super) fn flow_row_at(r: &Row<'_>, at: usize) -> rusqlite::Result<FlowRecord> {
    let mode: String = r.get(at + 3)?;
    Ok(FlowRecord {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        parameterized_name: r.get(at + 2)?,
        access_mode: AccessMode::parse(&mode).unwrap_or(AccessMode::Invitation),
        disabled: r.get(at + 4)?,
        join_token: r.get(at + 5)?,
        created_at: r.get(at + 6)?,
        org: org_row(r, at + 7)?,
    })
}

fn flow_where(c: &Connection, cond: &str, args: &[&dyn ToSql]) -> StoreResult<Option<FlowRecord>> {
    let sql = format!("SELECT {} FROM {FLOW_FROM} WHERE {cond}", flow_cols());
    Ok(c.prepare_cached(&sql)?
        .query_row(args, flow_row)
        .optional()?)
}

pub(super) fn create_flow(
    c: &Connection,
    f: NewFlow,
    creator: Option<i64>,
) -> StoreResult<FlowRecord> {
    c.execute(
        "INSERT INTO flows (id, org_id, name, parameterized_name, access_mode, join_token, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![f.id, f.org_id, f.name, f.parameterized_name, f.access_mode.as_str(), f.join_token, now_millis()],
    )
    .map_err(|e| constraint(e, "flow name", "organization"))?;
    if let Some(user_id) = creator {
        set_flow_member(c, &f.id, user_id, true)?;
    }
    flow_by_id(c, &f.id)?.ok_or(StoreError::NotFound("flow"))
}

pub(super) fn flow_by_name(
    c: &Connection,
    org: &str,
    flow: &str,
) -> StoreResult<Option<FlowRecord>> {
    flow_where(
        c,
        "o.parameterized_name = ?1 AND f.parameterized_name = ?2",
        &[&org, &flow],
    )
}

pub(super) fn flow_by_id(c: &Connection, id: &str) -> StoreResult<Option<FlowRecord>> {
    flow_where(c, "f.id = ?1", &[&id])
}

pub(super) fn flows_for_user(
    c: &Connection,
    user_id: i64,
    with_joinable: bool,
) -> StoreResult<Vec<FlowForUser>> {
    let sql = format!(
        "SELECT {}, fm.open FROM {FLOW_FROM}
           LEFT JOIN flow_memberships fm ON fm.flow_id = f.id AND fm.user_id = ?1
          WHERE NOT f.disabled AND (fm.user_id IS NOT NULL OR (?2 AND f.access_mode = 'organization'
                AND EXISTS (SELECT 1 FROM org_memberships om WHERE om.org_id = f.org_id AND om.user_id = ?1)))
          ORDER BY o.parameterized_name, f.parameterized_name",
        flow_cols()
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(params![user_id, with_joinable], |r| {
        let open: Option<bool> = r.get(13)?;
        Ok(FlowForUser {
            flow: flow_row(r)?,
            membership: open.map(|open| FlowMembership { open }),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn flow_membership(
    c: &Connection,
    flow_id: &str,
    user_id: i64,
) -> StoreResult<Option<FlowMembership>> {
    Ok(c.query_row(
        "SELECT open FROM flow_memberships WHERE flow_id = ?1 AND user_id = ?2",
        params![flow_id, user_id],
        |r| Ok(FlowMembership { open: r.get(0)? }),
    )
    .optional()?)
}

pub(super) fn set_flow_member(
    c: &Connection,
    flow_id: &str,
    user_id: i64,
    open: bool,
) -> StoreResult<()> {
    let n = c
        .execute(
            "INSERT INTO flow_memberships (flow_id, user_id, open, created_at)
             SELECT ?1, ?2, ?3, ?4
              WHERE NOT EXISTS (SELECT 1 FROM flow_blocks WHERE flow_id = ?1 AND user_id = ?2)
             ON CONFLICT (flow_id, user_id) DO UPDATE SET open = excluded.open",
            params![flow_id, user_id, open, now_millis()],
        )
        .map_err(|e| constraint(e, "membership", "flow or user"))?;
    match n {
        0 => Err(StoreError::Forbidden("This user is blocked from the flow")),
        _ => Ok(()),
    }
}

pub(super) fn update_flow(
    c: &Connection,
    flow_id: &str,
    ch: FlowChanges,
) -> StoreResult<FlowRecord> {
    let n = c.execute(
        "UPDATE flows SET name = COALESCE(?2, name), disabled = COALESCE(?3, disabled),
                    access_mode = COALESCE(?4, access_mode) WHERE id = ?1",
        params![
            flow_id,
            ch.name,
            ch.disabled,
            ch.access_mode.map(|m| m.as_str())
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("flow"));
    }
    flow_by_id(c, flow_id)?.ok_or(StoreError::NotFound("flow"))
}

pub(super) fn flow_members(c: &Connection, flow_id: &str) -> StoreResult<Vec<UserRecord>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN flow_memberships fm ON fm.user_id = u.id
          WHERE fm.flow_id = ?1 ORDER BY u.id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([flow_id], user_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
