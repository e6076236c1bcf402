//! [`AccessStore`] on PostgreSQL. The sweeper's read is four array queries pipelined on one
//! connection: one round trip per sweep and node, however many streams are open. Every node
//! reads the same rows, so a revocation made through any node ends streams on all of them.

use async_trait::async_trait;

use super::PgStore;
use crate::store::*;

type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);

#[async_trait]
impl AccessStore for PgStore {
    async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> StoreResult<()> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE users SET disabled = $2 WHERE id = $1",
                &[&user_id, &disabled],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    async fn remove_flow_member(&self, flow_id: &str, user_id: i64) -> StoreResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "DELETE FROM flow_memberships WHERE flow_id = $1 AND user_id = $2",
                &[&flow_id, &user_id],
            )
            .await?;
        Ok(n > 0)
    }

    async fn stream_access(&self, q: AccessQuery) -> StoreResult<AccessReport> {
        let c = self.client().await?;
        let (member_users, member_flows): (Vec<i64>, Vec<String>) =
            q.memberships.into_iter().unzip();
        // The parameters outlive the pipelined queries that borrow them.
        let users: [Param; 1] = [&q.users];
        let tokens: [Param; 1] = [&q.access_tokens];
        let sessions: [Param; 1] = [&q.sessions];
        let members: [Param; 2] = [&member_users, &member_flows];
        let (users, tokens, sessions, members) = tokio::try_join!(
            c.query(
                "SELECT id, disabled, api_token_hash, password_hash FROM users
                  WHERE id = ANY($1)",
                &users,
            ),
            c.query(
                "SELECT access_token_hash, access_expires_at, revoked_at IS NOT NULL
                   FROM oauth_tokens WHERE access_token_hash = ANY($1)",
                &tokens,
            ),
            c.query(
                "SELECT token_hash, expires_at, FALSE FROM web_sessions
                  WHERE token_hash = ANY($1)",
                &sessions,
            ),
            c.query(
                "SELECT fm.user_id, fm.flow_id, f.disabled
                   FROM unnest($1::BIGINT[], $2::TEXT[]) AS q(user_id, flow_id)
                   JOIN flow_memberships fm
                     ON fm.user_id = q.user_id AND fm.flow_id = q.flow_id
                   JOIN flows f ON f.id = fm.flow_id",
                &members,
            ),
        )?;
        let token = |r: &tokio_postgres::Row| TokenAccess {
            hash: r.get(0),
            expires_at: r.get(1),
            revoked: r.get(2),
        };
        Ok(AccessReport {
            users: users
                .iter()
                .map(|r| UserAccess {
                    id: r.get(0),
                    disabled: r.get(1),
                    api_token_hash: r.get(2),
                    password_hash: r.get(3),
                })
                .collect(),
            access_tokens: tokens.iter().map(token).collect(),
            sessions: sessions.iter().map(token).collect(),
            memberships: members
                .iter()
                .map(|r| MemberAccess {
                    user_id: r.get(0),
                    flow_id: r.get(1),
                    flow_disabled: r.get(2),
                })
                .collect(),
        })
    }
}
