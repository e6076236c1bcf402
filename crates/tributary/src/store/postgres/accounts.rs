//! Users, organizations and organization memberships.

use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::constraint;
use crate::store::*;

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

pub async fn create_user(c: &impl GenericClient, u: NewUser) -> StoreResult<UserRecord> {
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

pub async fn user_where(
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

pub async fn set_api_token_hash(
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

pub async fn users_visible_to(
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

pub async fn share_organization(c: &impl GenericClient, a: i64, b: i64) -> StoreResult<bool> {
    let row = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM org_memberships x JOIN org_memberships y ON x.org_id = y.org_id
                             WHERE x.user_id = $1 AND y.user_id = $2)",
            &[&a, &b],
        )
        .await?;
    Ok(row.get(0))
}

pub async fn create_org(c: &impl GenericClient, o: NewOrg) -> StoreResult<OrgRecord> {
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

pub async fn org_where(
    c: &impl GenericClient,
    cond: &str,
    arg: &(dyn ToSql + Sync),
) -> StoreResult<Option<OrgRecord>> {
    let sql = format!("SELECT {ORG_COLS} FROM organizations o WHERE {cond}");
    Ok(c.query_opt(&sql, &[arg]).await?.map(|r| org_row(&r, 0)))
}

pub async fn add_org_member(
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

pub async fn org_membership(
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

pub async fn orgs_of_user(c: &impl GenericClient, user_id: i64) -> StoreResult<Vec<OrgRecord>> {
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

pub async fn org_members(c: &impl GenericClient, org_id: i64) -> StoreResult<Vec<OrgMember>> {
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
