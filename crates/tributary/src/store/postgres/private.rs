//! [`PrivateStore`] on PostgreSQL: the participants of private conversations.

use async_trait::async_trait;
use tokio_postgres::{GenericClient, Row};

use super::{constraint, PgStore};
use crate::store::*;

#[async_trait]
impl PrivateStore for PgStore {
    async fn private_conversation(
        &self,
        user_id: i64,
        other_id: i64,
    ) -> StoreResult<Option<Conversation>> {
        conversation(&**self.client().await?, user_id, other_id).await
    }
    async fn start_private_conversation(
        &self,
        user_id: i64,
        other_id: i64,
    ) -> StoreResult<Conversation> {
        if user_id == other_id {
            return Err(StoreError::NotFound("user"));
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let id = private_flow_id(user_id, other_id);
        let (lo, hi) = (user_id.min(other_id), user_id.max(other_id));
        let now = now_millis();
        // The flows row first: the conversation row refers to it. Both are no-ops when the
        // conversation exists, so two users starting it at once get the same one.
        tx.execute(
            "INSERT INTO flows (id, org_id, name, parameterized_name, access_mode, join_token, created_at)
             SELECT $1, o.id, 'Private conversation', $1, 'invitation', '', $2
               FROM organizations o WHERE o.parameterized_name = $3
             ON CONFLICT DO NOTHING",
            &[&id, &now, &PRIVATE_ORG],
        )
        .await?;
        let started = tx
            .execute(
                "INSERT INTO private_conversations (flow_id, user_lo, user_hi, open_lo, open_hi, created_at)
                 VALUES ($1, $2, $3, FALSE, FALSE, $4) ON CONFLICT DO NOTHING",
                &[&id, &lo, &hi, &now],
            )
            .await
            .map_err(|e| constraint(e, "conversation", "user"))?;
        if started == 1 {
            // Every node's open streams of the two users add it before its first message.
            super::messages::announce(&tx, &id, 0).await?;
        }
        tx.commit().await?;
        conversation(&**client, user_id, other_id)
            .await?
            .ok_or(StoreError::NotFound("conversation"))
    }
    async fn private_conversations(&self, user_id: i64) -> StoreResult<Vec<Conversation>> {
        let sql = format!(
            "SELECT {COLS} FROM private_conversations WHERE user_lo = $1 OR user_hi = $1
              ORDER BY CASE WHEN user_lo = $1 THEN user_hi ELSE user_lo END"
        );
        let rows = self.client().await?.query(&sql, &[&user_id]).await?;
        Ok(rows.iter().map(|r| row(user_id, r)).collect())
    }
    async fn set_private_open(
        &self,
        user_id: i64,
        other_id: i64,
        open: bool,
    ) -> StoreResult<Conversation> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE private_conversations
                    SET open_lo = CASE WHEN user_lo = $2 THEN $3 ELSE open_lo END,
                        open_hi = CASE WHEN user_hi = $2 THEN $3 ELSE open_hi END
                  WHERE flow_id = $1",
                &[&private_flow_id(user_id, other_id), &user_id, &open],
            )
            .await?;
        conversation(&**client, user_id, other_id)
            .await?
            .ok_or(StoreError::NotFound("conversation"))
    }
}

const COLS: &str = "flow_id, user_lo, user_hi, open_lo, open_hi, created_at";

fn row(user_id: i64, r: &Row) -> Conversation {
    Conversation::seen_by(
        user_id,
        r.get(0),
        (r.get(1), r.get(2)),
        (r.get(3), r.get(4)),
        r.get(5),
    )
}

async fn conversation(
    c: &impl GenericClient,
    user_id: i64,
    other_id: i64,
) -> StoreResult<Option<Conversation>> {
    let sql = format!("SELECT {COLS} FROM private_conversations WHERE flow_id = $1");
    let id = private_flow_id(user_id, other_id);
    Ok(c.query_opt(&sql, &[&id]).await?.map(|r| row(user_id, &r)))
}
