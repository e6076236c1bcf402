//! [`InvitationStore`] on SQLite: invitations, and joining a flow by invitation or link.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::flows::{flow_by_id, flow_cols, flow_row_at, FLOW_FROM};
use super::{constraint, SqliteStore};
use crate::store::*;

const COLS: &str = "id, flow_id, email, message, inviter_id, state, delivery, accepted_by, \
                    created_at, updated_at";

#[async_trait]
impl InvitationStore for SqliteStore {
    async fn upsert_invitation(&self, new: NewInvitation) -> StoreResult<InvitationRecord> {
        self.writer.write(move |c| upsert(c, new)).await
    }
    async fn pending_invitations(&self, flow_id: &str) -> StoreResult<Vec<InvitationRecord>> {
        let flow_id = flow_id.to_owned();
        self.readers.read(move |c| pending(c, &flow_id)).await
    }
    async fn invitation_by_id(
        &self,
        flow_id: &str,
        id: i64,
    ) -> StoreResult<Option<InvitationRecord>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .lookup(move |c| one(c, "flow_id = ?1 AND id = ?2", params![flow_id, id]))
            .await
    }
    async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>> {
        let hash = token_hash.to_owned();
        self.readers
            .lookup(move |c| one(c, "token_hash = ?1", params![hash]))
            .await
    }
    async fn revoke_invitation(&self, flow_id: &str, id: i64) -> StoreResult<bool> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write(move |c| {
                let n = c.execute(
                    "UPDATE invitations SET state = 'revoked', updated_at = ?3
                      WHERE flow_id = ?1 AND id = ?2 AND state = 'pending'",
                    params![flow_id, id, now_millis()],
                )?;
                Ok(n == 1)
            })
            .await
    }
    async fn set_invitation_delivery(&self, id: i64, delivery: Delivery) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                c.execute(
                    "UPDATE invitations SET delivery = ?2 WHERE id = ?1",
                    params![id, delivery.as_str()],
                )?;
                Ok(())
            })
            .await
    }
    async fn accept_invitation(&self, id: i64, user_id: i64) -> StoreResult<bool> {
        self.writer.write(move |c| accept(c, id, user_id)).await
    }
    async fn join_flow(&self, flow: &FlowRecord, user_id: i64) -> StoreResult<()> {
        let (flow_id, org_id) = (flow.id.clone(), flow.org.id);
        self.writer
            .write(move |c| join(c, &flow_id, org_id, user_id))
            .await
    }
    async fn flows_named(&self, name: &str) -> StoreResult<Vec<FlowRecord>> {
        let name = name.to_owned();
        self.readers
            .read(move |c| {
                let sql = format!(
                    "SELECT {} FROM {FLOW_FROM} WHERE f.parameterized_name = ?1",
                    flow_cols()
                );
                let mut st = c.prepare_cached(&sql)?;
                let rows = st.query_map([name], |r| flow_row_at(r, 0))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .await
    }
    async fn reset_join_token(&self, flow_id: &str, token: &str) -> StoreResult<FlowRecord> {
        let (flow_id, token) = (flow_id.to_owned(), token.to_owned());
        self.writer
            .write(move |c| {
                c.execute(
                    "UPDATE flows SET join_token = ?2 WHERE id = ?1",
                    params![flow_id, token],
                )?;
                flow_by_id(c, &flow_id)?.ok_or(StoreError::NotFound("flow"))
            })
            .await
    }
}

fn row(r: &Row<'_>) -> rusqlite::Result<InvitationRecord> {
    let state: String = r.get(5)?;
    let delivery: String = r.get(6)?;
    Ok(InvitationRecord {
        id: r.get(0)?,
        flow_id: r.get(1)?,
        email: r.get(2)?,
        message: r.get(3)?,
        inviter_id: r.get(4)?,
        state: InvitationState::parse(&state),
        delivery: Delivery::parse(&delivery),
        accepted_by: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn one(
    c: &Connection,
    cond: &str,
    args: impl rusqlite::Params,
) -> StoreResult<Option<InvitationRecord>> {
    let sql = format!("SELECT {COLS} FROM invitations WHERE {cond}");
    Ok(c.prepare_cached(&sql)?.query_row(args, row).optional()?)
}

fn pending(c: &Connection, flow_id: &str) -> StoreResult<Vec<InvitationRecord>> {
    let sql = format!(
        "SELECT {COLS} FROM invitations WHERE flow_id = ?1 AND state = 'pending' ORDER BY id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([flow_id], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn upsert(c: &Connection, new: NewInvitation) -> StoreResult<InvitationRecord> {
    let now = now_millis();
    let resent = c.execute(
        "UPDATE invitations SET token_hash = ?3, message = ?4, inviter_id = ?5, delivery = ?6,
                updated_at = ?7
          WHERE flow_id = ?1 AND email = ?2 AND state = 'pending'",
        params![
            new.flow_id,
            new.email,
            new.token_hash,
            new.message,
            new.inviter_id,
            new.delivery.as_str(),
            now
        ],
    )?;
    if resent == 0 {
        c.execute(
            "INSERT INTO invitations (flow_id, email, message, inviter_id, token_hash, state,
                                      delivery, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?7)",
            params![
                new.flow_id,
                new.email,
                new.message,
                new.inviter_id,
                new.token_hash,
                new.delivery.as_str(),
                now
            ],
        )
        .map_err(|e| constraint(e, "invitation", "flow or user"))?;
    }
    one(c, "token_hash = ?1", params![new.token_hash])?.ok_or(StoreError::NotFound("invitation"))
}

fn accept(c: &Connection, id: i64, user_id: i64) -> StoreResult<bool> {
    let flow: Option<(String, i64)> = c
        .query_row(
            "UPDATE invitations SET state = 'accepted', accepted_by = ?2, updated_at = ?3
              WHERE id = ?1 AND state = 'pending'
          RETURNING flow_id, (SELECT org_id FROM flows WHERE flows.id = invitations.flow_id)",
            params![id, user_id, now_millis()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match flow {
        Some((flow_id, org_id)) => join(c, &flow_id, org_id, user_id).map(|()| true),
        None => Ok(false),
    }
}

/// Membership of the organization first (an existing member keeps its admin flag), then of
/// the flow, opened.
fn join(c: &Connection, flow_id: &str, org_id: i64, user_id: i64) -> StoreResult<()> {
    let now = now_millis();
    c.execute(
        "INSERT INTO org_memberships (org_id, user_id, admin, created_at) VALUES (?1, ?2, 0, ?3)
         ON CONFLICT (org_id, user_id) DO NOTHING",
        params![org_id, user_id, now],
    )
    .map_err(|e| constraint(e, "membership", "organization or user"))?;
    c.execute(
        "INSERT INTO flow_memberships (flow_id, user_id, open, created_at) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (flow_id, user_id) DO UPDATE SET open = 1",
        params![flow_id, user_id, now],
    )
    .map_err(|e| constraint(e, "membership", "flow or user"))?;
    Ok(())
}
