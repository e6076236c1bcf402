//! Changes to membership on PostgreSQL: organization admins' (each in a transaction that
//! first locks the organization's row, so that admin changes of one organization run one at a
//! time on every node and the last-admin check holds until the commit), and flow blocks.

use tokio_postgres::Transaction;

use super::flows::org_membership;
use super::{constraint, PgStore};
use crate::store::*;

/// Locks the organization (`None` when there is none) and reads `user_id`'s membership and
/// how many other admins there are.
async fn lock(tx: &Transaction<'_>, org_id: i64, user_id: i64) -> StoreResult<Option<(bool, i64)>> {
    if tx
        .query_opt(
            "SELECT id FROM organizations WHERE id = $1 FOR UPDATE",
            &[&org_id],
        )
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let Some(admin) = org_membership(tx, org_id, user_id).await? else {
        return Ok(None);
    };
    let others: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM org_memberships WHERE org_id = $1 AND admin AND user_id <> $2",
            &[&org_id, &user_id],
        )
        .await?
        .get(0);
    Ok(Some((admin, others)))
}

pub(super) async fn set_org_admin(
    store: &PgStore,
    org_id: i64,
    user_id: i64,
    admin: bool,
) -> StoreResult<MemberChange> {
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    match lock(&tx, org_id, user_id).await? {
        None => return Ok(MemberChange::NotMember),
        Some((true, 0)) if !admin => return Ok(MemberChange::LastAdmin),
        Some(_) => {}
    }
    tx.execute(
        "UPDATE org_memberships SET admin = $3 WHERE org_id = $1 AND user_id = $2",
        &[&org_id, &user_id, &admin],
    )
    .await?;
    tx.commit().await?;
    Ok(MemberChange::Done)
}

pub(super) async fn remove_org_member(
    store: &PgStore,
    org_id: i64,
    user_id: i64,
) -> StoreResult<MemberChange> {
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    match lock(&tx, org_id, user_id).await? {
        None => return Ok(MemberChange::NotMember),
        Some((true, 0)) => return Ok(MemberChange::LastAdmin),
        Some(_) => {}
    }
    tx.execute(
        "DELETE FROM flow_memberships WHERE user_id = $2
            AND flow_id IN (SELECT id FROM flows WHERE org_id = $1)",
        &[&org_id, &user_id],
    )
    .await?;
    tx.execute(
        "DELETE FROM org_memberships WHERE org_id = $1 AND user_id = $2",
        &[&org_id, &user_id],
    )
    .await?;
    tx.commit().await?;
    Ok(MemberChange::Done)
}

pub(super) async fn set_flow_block(
    store: &PgStore,
    flow_id: &str,
    user_id: i64,
    blocked: bool,
) -> StoreResult<()> {
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    if blocked {
        tx.execute(
            "INSERT INTO flow_blocks (flow_id, user_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (flow_id, user_id) DO NOTHING",
            &[&flow_id, &user_id, &now_millis()],
        )
        .await
        .map_err(|e| constraint(e, "block", "flow or user"))?;
        tx.execute(
            "DELETE FROM flow_memberships WHERE flow_id = $1 AND user_id = $2",
            &[&flow_id, &user_id],
        )
        .await?;
    } else {
        tx.execute(
            "DELETE FROM flow_blocks WHERE flow_id = $1 AND user_id = $2",
            &[&flow_id, &user_id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
