//! [`InvitationStore`] on PostgreSQL: invitations, and joining a flow by invitation or link.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::flows::{flow_by_id, flow_row, flow_sql};
use super::{constraint, PgStore};
use crate::store::*;

const COLS: &str = "id, flow_id, email, message, inviter_id, state, delivery, accepted_by, \
                    created_at, updated_at";

#[async_trait]
impl InvitationStore for PgStore {
    async fn upsert_invitation(&self, new: NewInvitation) -> StoreResult<InvitationRecord> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let record = upsert(&*tx, new).await?;
        tx.commit().await?;
        Ok(record)
    }
    async fn pending_invitations(&self, flow_id: &str) -> StoreResult<Vec<InvitationRecord>> {
        let sql = format!(
            "SELECT {COLS} FROM invitations WHERE flow_id = $1 AND state = 'pending' ORDER BY id"
        );
        let c = self.client().await?;
        Ok(c.query(&sql, &[&flow_id]).await?.iter().map(row).collect())
    }
    async fn invitation_by_id(
        &self,
        flow_id: &str,
        id: i64,
    ) -> StoreResult<Option<InvitationRecord>> {
        one(
            &**self.client().await?,
            "flow_id = $1 AND id = $2",
            &[&flow_id, &id],
        )
        .await
    }
    async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        one(&**self.client().await?, "token_hash = $1", &[&token_hash]).await
    }
    async fn revoke_invitation(&self, flow_id: &str, id: i64) -> StoreResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE invitations SET state = 'revoked', updated_at = $3
                  WHERE flow_id = $1 AND id = $2 AND state = 'pending'",
                &[&flow_id, &id, &now_millis()],
            )
            .await?;
        Ok(n == 1)
    }
    async fn set_invitation_delivery(&self, id: i64, delivery: Delivery) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE invitations SET delivery = $2 WHERE id = $1",
                &[&id, &delivery.as_str()],
            )
            .await?;
        Ok(())
    }
    async fn accept_invitation(&self, id: i64, user_id: i64) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let flow = tx
            .query_opt(
                "UPDATE invitations SET state = 'accepted', accepted_by = $2, updated_at = $3
                  WHERE id = $1 AND state = 'pending'
              RETURNING flow_id, (SELECT org_id FROM flows WHERE flows.id = invitations.flow_id)",
                &[&id, &user_id, &now_millis()],
            )
            .await?;
        let Some(flow) = flow else {
            return Ok(false);
        };
        let (flow_id, org_id): (String, i64) = (flow.get(0), flow.get(1));
        join(&*tx, &flow_id, org_id, user_id).await?;
        tx.commit().await?;
        Ok(true)
    }
    async fn join_flow(&self, flow: &FlowRecord, user_id: i64) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        join(&*tx, &flow.id, flow.org.id, user_id).await?;
        tx.commit().await?;
        Ok(())
    }
    async fn flows_named(&self, name: &str) -> StoreResult<Vec<FlowRecord>> {
        let c = self.client().await?;
        Ok(c.query(&flow_sql("f.parameterized_name = $1"), &[&name])
            .await?
            .iter()
            .map(flow_row)
            .collect())
    }
    async fn reset_join_token(&self, flow_id: &str, token: &str) -> StoreResult<FlowRecord> {
        let c = self.client().await?;
        c.execute(
            "UPDATE flows SET join_token = $2 WHERE id = $1",
            &[&flow_id, &token],
        )
        .await?;
        flow_by_id(&**c, flow_id)
            .await?
            .ok_or(StoreError::NotFound("flow"))
    }
}

fn row(r: &Row) -> InvitationRecord {
    InvitationRecord {
        id: r.get(0),
        flow_id: r.get(1),
        email: r.get(2),
        message: r.get(3),
        inviter_id: r.get(4),
        state: InvitationState::parse(r.get(5)),
        delivery: Delivery::parse(r.get(6)),
        accepted_by: r.get(7),
        created_at: r.get(8),
        updated_at: r.get(9),
    }
}

async fn one(
    c: &impl GenericClient,
    cond: &str,
    args: &[&(dyn ToSql + Sync)],
) -> StoreResult<Option<InvitationRecord>> {
    let sql = format!("SELECT {COLS} FROM invitations WHERE {cond}");
    Ok(c.query_opt(&sql, args).await?.as_ref().map(row))
}

async fn upsert(c: &impl GenericClient, new: NewInvitation) -> StoreResult<InvitationRecord> {
    let now = now_millis();
    let delivery = new.delivery.as_str();
    let resent = c
        .execute(
            "UPDATE invitations SET token_hash = $3, message = $4, inviter_id = $5, delivery = $6,
                    updated_at = $7
              WHERE flow_id = $1 AND email = $2 AND state = 'pending'",
            &[
                &new.flow_id,
                &new.email,
                &new.token_hash,
                &new.message,
                &new.inviter_id,
                &delivery,
                &now,
            ],
        )
        .await?;
    if resent == 0 {
        c.execute(
            "INSERT INTO invitations (flow_id, email, message, inviter_id, token_hash, state,
                                      delivery, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7)",
            &[
                &new.flow_id,
                &new.email,
                &new.message,
                &new.inviter_id,
                &new.token_hash,
                &delivery,
                &now,
            ],
        )
        .await
        .map_err(|e| constraint(e, "invitation", "flow or user"))?;
    }
    one(c, "token_hash = $1", &[&new.token_hash])
        .await?
        .ok_or(StoreError::NotFound("invitation"))
}

/// Membership of the organization first (an existing member keeps its admin flag), then of
/// the flow, opened.
async fn join(c: &impl GenericClient, flow_id: &str, org_id: i64, user_id: i64) -> StoreResult<()> {
    let now = now_millis();
    c.execute(
        "INSERT INTO org_memberships (org_id, user_id, admin, created_at) VALUES ($1, $2, FALSE, $3)
         ON CONFLICT (org_id, user_id) DO NOTHING",
        &[&org_id, &user_id, &now],
    )
    .await
    .map_err(|e| constraint(e, "membership", "organization or user"))?;
    c.execute(
        "INSERT INTO flow_memberships (flow_id, user_id, open, created_at) VALUES ($1, $2, TRUE, $3)
         ON CONFLICT (flow_id, user_id) DO UPDATE SET open = TRUE",
        &[&flow_id, &user_id, &now],
    )
    .await
    .map_err(|e| constraint(e, "membership", "flow or user"))?;
    Ok(())
}
