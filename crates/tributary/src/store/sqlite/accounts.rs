//! Users, organizations and organization memberships.

use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};

use super::constraint;
use crate::store::*;

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

pub fn create_user(c: &Connection, u: NewUser) -> StoreResult<UserRecord> {
    c.execute(
        "INSERT INTO users (email, name, nick, avatar, website, password_hash, api_token_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![u.email, u.name, u.nick, u.avatar, u.website, u.password_hash, u.api_token_hash, now_millis()],
    )
    .map_err(|e| constraint(e, "email", "user"))?;
    user_where(c, "u.id = ?1", c.last_insert_rowid())?.ok_or(StoreError::NotFound("user"))
}

pub fn user_where(c: &Connection, cond: &str, arg: impl ToSql) -> StoreResult<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLS} FROM users u WHERE {cond}");
    Ok(c.prepare_cached(&sql)?
        .query_row([arg], user_row)
        .optional()?)
}

pub fn set_api_token_hash(c: &Connection, user_id: i64, hash: &str) -> StoreResult<()> {
    let n = c.execute(
        "UPDATE users SET api_token_hash = ?2 WHERE id = ?1",
        params![user_id, hash],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(())
}

pub fn users_visible_to(c: &Connection, user_id: i64) -> StoreResult<Vec<UserRecord>> {
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

pub fn share_organization(c: &Connection, a: i64, b: i64) -> StoreResult<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM org_memberships x JOIN org_memberships y ON x.org_id = y.org_id
                         WHERE x.user_id = ?1 AND y.user_id = ?2)",
        [a, b],
        |r| r.get(0),
    )?)
}

pub fn create_org(c: &Connection, o: NewOrg) -> StoreResult<OrgRecord> {
    c.execute(
        "INSERT INTO organizations (name, parameterized_name, user_limit, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![o.name, o.parameterized_name, o.user_limit, now_millis()],
    )
    .map_err(|e| constraint(e, "organization name", "organization"))?;
    org_where(c, "o.id = ?1", c.last_insert_rowid())?.ok_or(StoreError::NotFound("organization"))
}

pub fn org_where(c: &Connection, cond: &str, arg: impl ToSql) -> StoreResult<Option<OrgRecord>> {
    let sql = format!("SELECT {ORG_COLS} FROM organizations o WHERE {cond}");
    Ok(c.query_row(&sql, [arg], |r| org_row(r, 0)).optional()?)
}

pub fn add_org_member(c: &Connection, org_id: i64, user_id: i64, admin: bool) -> StoreResult<()> {
    c.execute(
        "INSERT INTO org_memberships (org_id, user_id, admin, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (org_id, user_id) DO UPDATE SET admin = excluded.admin",
        params![org_id, user_id, admin, now_millis()],
    )
    .map_err(|e| constraint(e, "membership", "organization or user"))?;
    Ok(())
}

pub fn org_membership(c: &Connection, org_id: i64, user_id: i64) -> StoreResult<Option<bool>> {
    Ok(c.query_row(
        "SELECT admin FROM org_memberships WHERE org_id = ?1 AND user_id = ?2",
        [org_id, user_id],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn orgs_of_user(c: &Connection, user_id: i64) -> StoreResult<Vec<OrgRecord>> {
    let sql = format!(
        "SELECT {ORG_COLS} FROM organizations o JOIN org_memberships m ON m.org_id = o.id
          WHERE m.user_id = ?1 ORDER BY o.id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([user_id], |r| org_row(r, 0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn org_members(c: &Connection, org_id: i64) -> StoreResult<Vec<OrgMember>> {
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
