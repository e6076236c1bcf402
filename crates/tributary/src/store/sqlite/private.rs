//! [`PrivateStore`] on SQLite: the participants of private conversations.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{constraint, SqliteStore};
use crate::store::*;

#[async_trait]
impl PrivateStore for SqliteStore {
    async fn private_conversation(
        &self,
        user_id: i64,
        other_id: i64,
    ) -> StoreResult<Option<Conversation>> {
        self.readers
            .read(move |c| conversation(c, user_id, other_id))
            .await
    }
    async fn start_private_conversation(
        &self,
        user_id: i64,
        other_id: i64,
    ) -> StoreResult<Conversation> {
        self.writer
            .write(move |c| start(c, user_id, other_id))
            .await
    }
    async fn private_conversations(&self, user_id: i64) -> StoreResult<Vec<Conversation>> {
        self.readers.read(move |c| conversations(c, user_id)).await
    }
    async fn set_private_open(
        &self,
        user_id: i64,
        other_id: i64,
        open: bool,
    ) -> StoreResult<Conversation> {
        self.writer
            .write(move |c| set_open(c, user_id, other_id, open))
            .await
    }
}

const COLS: &str = "flow_id, user_lo, user_hi, open_lo, open_hi, created_at";

fn row(user_id: i64) -> impl Fn(&Row<'_>) -> rusqlite::Result<Conversation> {
    move |r| {
        Ok(Conversation::seen_by(
            user_id,
            r.get(0)?,
            (r.get(1)?, r.get(2)?),
            (r.get(3)?, r.get(4)?),
            r.get(5)?,
        ))
    }
}

fn conversation(c: &Connection, user_id: i64, other_id: i64) -> StoreResult<Option<Conversation>> {
    let sql = format!("SELECT {COLS} FROM private_conversations WHERE flow_id = ?1");
    let id = private_flow_id(user_id, other_id);
    Ok(c.prepare_cached(&sql)?
        .query_row([id], row(user_id))
        .optional()?)
}

fn start(c: &Connection, user_id: i64, other_id: i64) -> StoreResult<Conversation> {
    if user_id == other_id {
        return Err(StoreError::NotFound("user"));
    }
    let id = private_flow_id(user_id, other_id);
    let (lo, hi) = (user_id.min(other_id), user_id.max(other_id));
    let now = now_millis();
    // The flows row first: the conversation row refers to it. Both are no-ops when the
    // conversation exists, so two users starting it at once get the same one.
    c.execute(
        "INSERT INTO flows (id, org_id, name, parameterized_name, access_mode, join_token, created_at)
         SELECT ?1, o.id, 'Private conversation', ?1, 'invitation', '', ?2
           FROM organizations o WHERE o.parameterized_name = ?3
         ON CONFLICT DO NOTHING",
        params![id, now, PRIVATE_ORG],
    )?;
    c.execute(
        "INSERT INTO private_conversations (flow_id, user_lo, user_hi, open_lo, open_hi, created_at)
         VALUES (?1, ?2, ?3, 0, 0, ?4) ON CONFLICT DO NOTHING",
        params![id, lo, hi, now],
    )
    .map_err(|e| constraint(e, "conversation", "user"))?;
    conversation(c, user_id, other_id)?.ok_or(StoreError::NotFound("conversation"))
}

fn conversations(c: &Connection, user_id: i64) -> StoreResult<Vec<Conversation>> {
    let sql = format!(
        "SELECT {COLS} FROM private_conversations WHERE user_lo = ?1 OR user_hi = ?1
          ORDER BY CASE WHEN user_lo = ?1 THEN user_hi ELSE user_lo END"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([user_id], row(user_id))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn set_open(c: &Connection, user_id: i64, other_id: i64, open: bool) -> StoreResult<Conversation> {
    c.execute(
        "UPDATE private_conversations
            SET open_lo = CASE WHEN user_lo = ?2 THEN ?3 ELSE open_lo END,
                open_hi = CASE WHEN user_hi = ?2 THEN ?3 ELSE open_hi END
          WHERE flow_id = ?1",
        params![private_flow_id(user_id, other_id), user_id, open],
    )?;
    conversation(c, user_id, other_id)?.ok_or(StoreError::NotFound("conversation"))
}
