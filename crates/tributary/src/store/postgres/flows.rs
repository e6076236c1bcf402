//! [`FlowStore`] on PostgreSQL: organizations, flows, and their memberships.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};
use tributary_types::AccessMode;

use super::accounts::{user_row, USER_COLS};
use super::{constraint, PgStore};
use crate::store::*;

#[async_trait]
impl FlowStore for PgStore {
    async fn create_org(&self, org: NewOrg) -> StoreResult<OrgRecord> {
        create_org(&**self.client().await?, org).await
    }
    async fn org_by_name(&self, parameterized_name: &str) -> StoreResult<Option<OrgRecord>> {
        org_where(
            &**self.client().await?,
            "o.parameterized_name = $1",
            &parameterized_name,
        )
        .await
    }
    async fn rename_org(&self, org_id: i64, name: &str) -> StoreResult<bool> {
        let sql = "UPDATE organizations SET name = $2 WHERE id = $1";
        Ok(self.client().await?.execute(sql, &[&org_id, &name]).await? > 0)
    }
    async fn add_org_member(&self, org_id: i64, user_id: i64, admin: bool) -> StoreResult<()> {
        add_org_member(&**self.client().await?, org_id, user_id, admin).await
    }
    async fn org_membership(&self, org_id: i64, user_id: i64) -> StoreResult<Option<bool>> {
        org_membership(&**self.client().await?, org_id, user_id).await
    }
    async fn orgs_of_user(&self, user_id: i64) -> StoreResult<Vec<OrgRecord>> {
        orgs_of_user(&**self.client().await?, user_id).await
    }
    async fn org_members(&self, org_id: i64) -> StoreResult<Vec<OrgMember>> {
        org_members(&**self.client().await?, org_id).await
    }
    async fn set_org_admin(
        &self,
        org_id: i64,
        user_id: i64,
        admin: bool,
    ) -> StoreResult<MemberChange> {
        super::memberships::set_org_admin(self, org_id, user_id, admin).await
    }
    async fn remove_org_member(&self, org_id: i64, user_id: i64) -> StoreResult<MemberChange> {
        super::memberships::remove_org_member(self, org_id, user_id).await
    }
    async fn set_flow_block(&self, flow_id: &str, user_id: i64, blocked: bool) -> StoreResult<()> {
        super::memberships::set_flow_block(self, flow_id, user_id, blocked).await
    }
    async fn create_flow(&self, flow: NewFlow, creator: Option<i64>) -> StoreResult<FlowRecord> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let id = flow.id.clone();
        insert_flow(&*tx, flow).await?;
        if let Some(user_id) = creator {
            set_flow_member(&*tx, &id, user_id, true).await?;
        }
        tx.commit().await?;
        flow_by_id(&**client, &id)
            .await?
            .ok_or(StoreError::NotFound("flow"))
    }
    async fn flow_by_name(&self, org: &str, flow: &str) -> StoreResult<Option<FlowRecord>> {
        flow_by_name(&**self.client().await?, org, flow).await
    }
    async fn flow_by_id(&self, id: &str) -> StoreResult<Option<FlowRecord>> {
        let row = self.row_by_key(&flow_sql("f.id = $1"), &[&id]).await?;
        Ok(row.as_ref().map(flow_row))
    }
    async fn flows_for_user(
        &self,
        user_id: i64,
        with_joinable: bool,
    ) -> StoreResult<Vec<FlowForUser>> {
        flows_for_user(&**self.client().await?, user_id, with_joinable).await
    }
    async fn flow_membership(
        &self,
        flow_id: &str,
        user_id: i64,
    ) -> StoreResult<Option<FlowMembership>> {
        flow_membership(&**self.client().await?, flow_id, user_id).await
    }
    async fn set_flow_member(&self, flow_id: &str, user_id: i64, open: bool) -> StoreResult<()> {
        set_flow_member(&**self.client().await?, flow_id, user_id, open).await
    }
    async fn update_flow(&self, flow_id: &str, changes: FlowChanges) -> StoreResult<FlowRecord> {
        update_flow(&**self.client().await?, flow_id, changes).await
    }
    async fn flow_members(&self, flow_id: &str) -> StoreResult<Vec<UserRecord>> {
        flow_members(&**self.client().await?, flow_id).await
    }
}

pub(super) const ORG_COLS: &str = "o.id, o.name, o.parameterized_name, o.user_limit, o.active, \
     (SELECT COUNT(*) FROM org_memberships om WHERE om.org_id = o.id)";

pub(super) fn org_row(r: &Row, at: usize) -> OrgRecord {
    OrgRecord {
        id: r.get(at),
        name: r.get(at + 1),
        parameterized_name: r.get(at + 2),
        user_limit: r.get(at + 3),
        active: r.get(at + 4),
        user_count: r.get(at + 5),
    }
}

pub(super) async fn create_org(c: &impl GenericClient, o: NewOrg) -> StoreResult<OrgRecord> {
    let row = c
        .query_one(
            "INSERT INTO organizations (name, parameterized_name, user_limit, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&o.name, &o.parameterized_name, &o.user_limit, &now_millis()],
        )
        .await
        .map_err(|e| constraint(e, "organization name", "organization"))?;
    let id: i64 = row.get(0);
    org_where(c, "o.id = $1", &id)
        .await?
        .ok_or(StoreError::NotFound("organization"))
}

pub(super) async fn org_where(
    c: &impl GenericClient,
    cond: &str,
    arg: &(dyn ToSql + Sync),
) -> StoreResult<Option<OrgRecord>> {
    let sql = format!("SELECT {ORG_COLS} FROM organizations o WHERE {cond}");
    Ok(c.query_opt(&sql, &[arg]).await?.map(|r| org_row(&r, 0)))
}

pub(super) async fn add_org_member(
    c: &impl GenericClient,
    org_id: i64,
    user_id: i64,
    admin: bool,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO org_memberships (org_id, user_id, admin, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET admin = excluded.admin",
        &[&org_id, &user_id, &admin, &now_millis()],
    )
    .await
    .map_err(|e| constraint(e, "membership", "organization or user"))?;
    Ok(())
}

pub(super) async fn org_membership(
    c: &impl GenericClient,
    org_id: i64,
    user_id: i64,
) -> StoreResult<Option<bool>> {
    Ok(c.query_opt(
        "SELECT admin FROM org_memberships WHERE org_id = $1 AND user_id = $2",
        &[&org_id, &user_id],
    )
    .await?
    .map(|r| r.get(0)))
}

pub(super) async fn orgs_of_user(
    c: &impl GenericClient,
    user_id: i64,
) -> StoreResult<Vec<OrgRecord>> {
    let sql = format!(
        "SELECT {ORG_COLS} FROM organizations o JOIN org_memberships m ON m.org_id = o.id
          WHERE m.user_id = $1 ORDER BY o.id"
    );
    Ok(c.query(&sql, &[&user_id])
        .await?
        .iter()
        .map(|r| org_row(r, 0))
        .collect())
}

pub(super) async fn org_members(
    c: &impl GenericClient,
    org_id: i64,
) -> StoreResult<Vec<OrgMember>> {
    let sql = format!(
        "SELECT {USER_COLS}, m.admin FROM users u JOIN org_memberships m ON m.user_id = u.id
          WHERE m.org_id = $1 ORDER BY u.id"
    );
    Ok(c.query(&sql, &[&org_id])
        .await?
        .iter()
        .map(|r| OrgMember {
            user: user_row(r),
            admin: r.get(9),
        })
        .collect())
}
pub(super) fn flow_cols() -> String {
    format!("f.id, f.name, f.parameterized_name, f.access_mode, f.disabled, f.join_token, f.created_at, {ORG_COLS}")
}

pub(super) const FLOW_FROM: &str = "flows f JOIN organizations o ON o.id = f.org_id";

pub(super) fn flow_row(r: &Row) -> FlowRecord {
    flow_row_at(r, 0)
}

/// A flow whose [`flow_cols`] start at column `at`.
pub(super) fn flow_row_at(r: &Row, at: usize) -> FlowRecord {
    let mode: &str = r.get(at + 3);
    FlowRecord {
        id: r.get(at),
        name: r.get(at + 1),
        parameterized_name: r.get(at + 2),
        access_mode: AccessMode::parse(mode).unwrap_or(AccessMode::Invitation),
        disabled: r.get(at + 4),
        join_token: r.get(at + 5),
        created_at: r.get(at + 6),
        org: org_row(r, at + 7),
    }
}

async fn flow_where(
    c: &impl GenericClient,
    cond: &str,
    args: &[&(dyn ToSql + Sync)],
) -> StoreResult<Option<FlowRecord>> {
    Ok(c.query_opt(&flow_sql(cond), args)
        .await?
        .as_ref()
        .map(flow_row))
}

pub(super) fn flow_sql(cond: &str) -> String {
    format!("SELECT {} FROM {FLOW_FROM} WHERE {cond}", flow_cols())
}

pub(super) async fn insert_flow(c: &impl GenericClient, f: NewFlow) -> StoreResult<()> {
    c.execute(
        "INSERT INTO flows (id, org_id, name, parameterized_name, access_mode, join_token, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&f.id, &f.org_id, &f.name, &f.parameterized_name, &f.access_mode.as_str(), &f.join_token, &now_millis()],
    )
    .await
    .map_err(|e| constraint(e, "flow name", "organization"))?;
    Ok(())
}

pub(super) async fn flow_by_name(
    c: &impl GenericClient,
    org: &str,
    flow: &str,
) -> StoreResult<Option<FlowRecord>> {
    flow_where(
        c,
        "o.parameterized_name = $1 AND f.parameterized_name = $2",
        &[&org, &flow],
    )
    .await
}

pub(super) async fn flow_by_id(
    c: &impl GenericClient,
    id: &str,
) -> StoreResult<Option<FlowRecord>> {
    flow_where(c, "f.id = $1", &[&id]).await
}

pub(super) async fn flows_for_user(
    c: &impl GenericClient,
    user_id: i64,
    with_joinable: bool,
) -> StoreResult<Vec<FlowForUser>> {
    let sql = format!(
        "SELECT {}, fm.open FROM {FLOW_FROM}
           LEFT JOIN flow_memberships fm ON fm.flow_id = f.id AND fm.user_id = $1
          WHERE NOT f.disabled AND (fm.user_id IS NOT NULL OR ($2 AND f.access_mode = 'organization'
                AND EXISTS (SELECT 1 FROM org_memberships om WHERE om.org_id = f.org_id AND om.user_id = $1)))
          ORDER BY o.parameterized_name, f.parameterized_name",
        flow_cols()
    );
    Ok(c.query(&sql, &[&user_id, &with_joinable])
        .await?
        .iter()
        .map(|r| {
            let open: Option<bool> = r.get(13);
            FlowForUser {
                flow: flow_row(r),
                membership: open.map(|open| FlowMembership { open }),
            }
        })
        .collect())
}

pub(super) async fn flow_membership(
    c: &impl GenericClient,
    flow_id: &str,
    user_id: i64,
) -> StoreResult<Option<FlowMembership>> {
    Ok(c.query_opt(
        "SELECT open FROM flow_memberships WHERE flow_id = $1 AND user_id = $2",
        &[&flow_id, &user_id],
    )
    .await?
    .map(|r| FlowMembership { open: r.get(0) }))
}

pub(super) async fn set_flow_member(
    c: &impl GenericClient,
    flow_id: &str,
    user_id: i64,
    open: bool,
) -> StoreResult<()> {
    // The block check is part of the insert, so no join slips in beside a block.
    let n = c
        .execute(
            "INSERT INTO flow_memberships (flow_id, user_id, open, created_at)
             SELECT $1::text, $2::bigint, $3::boolean, $4::bigint
              WHERE NOT EXISTS (SELECT 1 FROM flow_blocks WHERE flow_id = $1 AND user_id = $2)
             ON CONFLICT (flow_id, user_id) DO UPDATE SET open = excluded.open",
            &[&flow_id, &user_id, &open, &now_millis()],
        )
        .await
        .map_err(|e| constraint(e, "membership", "flow or user"))?;
    match n {
        0 => Err(StoreError::Forbidden("This user is blocked from the flow")),
        _ => Ok(()),
    }
}

pub(super) async fn update_flow(
    c: &impl GenericClient,
    flow_id: &str,
    ch: FlowChanges,
) -> StoreResult<FlowRecord> {
    let mode = ch.access_mode.map(|m| m.as_str());
    let n = c
        .execute(
            "UPDATE flows SET name = COALESCE($2, name), disabled = COALESCE($3, disabled),
                    access_mode = COALESCE($4, access_mode) WHERE id = $1",
            &[&flow_id, &ch.name, &ch.disabled, &mode],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound("flow"));
    }
    flow_by_id(c, flow_id)
        .await?
        .ok_or(StoreError::NotFound("flow"))
}

pub(super) async fn flow_members(
    c: &impl GenericClient,
    flow_id: &str,
) -> StoreResult<Vec<UserRecord>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users u JOIN flow_memberships fm ON fm.user_id = u.id
          WHERE fm.flow_id = $1 ORDER BY u.id"
    );
    Ok(c.query(&sql, &[&flow_id])
        .await?
        .iter()
        .map(user_row)
        .collect())
}
