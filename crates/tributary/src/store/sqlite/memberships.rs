//! Changes to membership on SQLite: organization admins' and flow blocks. The one writer
//! thread runs each job alone, so the last-admin check and the write that follows it cannot
//! interleave with another change.

use rusqlite::{params, Connection};

use super::constraint;
use super::flows::org_membership;
use crate::store::*;

/// The other admins the organization has besides `user_id`.
fn other_admins(c: &Connection, org_id: i64, user_id: i64) -> StoreResult<i64> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM org_memberships WHERE org_id = ?1 AND admin AND user_id <> ?2",
        [org_id, user_id],
        |r| r.get(0),
    )?)
}

pub(super) fn set_org_admin(
    c: &Connection,
    org_id: i64,
    user_id: i64,
    admin: bool,
) -> StoreResult<MemberChange> {
    match org_membership(c, org_id, user_id)? {
        None => return Ok(MemberChange::NotMember),
        Some(true) if !admin && other_admins(c, org_id, user_id)? == 0 => {
            return Ok(MemberChange::LastAdmin)
        }
        Some(_) => {}
    }
    c.execute(
        "UPDATE org_memberships SET admin = ?3 WHERE org_id = ?1 AND user_id = ?2",
        params![org_id, user_id, admin],
    )?;
    Ok(MemberChange::Done)
}

pub(super) fn remove_org_member(
    c: &Connection,
    org_id: i64,
    user_id: i64,
) -> StoreResult<MemberChange> {
    match org_membership(c, org_id, user_id)? {
        None => return Ok(MemberChange::NotMember),
        Some(true) if other_admins(c, org_id, user_id)? == 0 => return Ok(MemberChange::LastAdmin),
        Some(_) => {}
    }
    c.execute(
        "DELETE FROM flow_memberships WHERE user_id = ?2
            AND flow_id IN (SELECT id FROM flows WHERE org_id = ?1)",
        [org_id, user_id],
    )?;
    c.execute(
        "DELETE FROM org_memberships WHERE org_id = ?1 AND user_id = ?2",
        [org_id, user_id],
    )?;
    Ok(MemberChange::Done)
}

pub(super) fn set_flow_block(
    c: &Connection,
    flow_id: &str,
    user_id: i64,
    blocked: bool,
) -> StoreResult<()> {
    if blocked {
        c.execute(
            "INSERT INTO flow_blocks (flow_id, user_id, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (flow_id, user_id) DO NOTHING",
            params![flow_id, user_id, now_millis()],
        )
        .map_err(|e| constraint(e, "block", "flow or user"))?;
        c.execute(
            "DELETE FROM flow_memberships WHERE flow_id = ?1 AND user_id = ?2",
            params![flow_id, user_id],
        )?;
    } else {
        c.execute(
            "DELETE FROM flow_blocks WHERE flow_id = ?1 AND user_id = ?2",
            params![flow_id, user_id],
        )?;
    }
    Ok(())
}
