//! [`MessageStore`] on PostgreSQL. Posts go through the group-commit task (`poster`, with
//! `post` and `post_set`); an edit or a deletion (`edit`) is a transaction of its own. Every
//! write tells the other nodes, at commit, how far the flow's events go (`announce`).

use async_trait::async_trait;

use super::{edit, message_queries, message_rows, notify, PgStore};
use crate::store::*;

#[async_trait]
impl MessageStore for PgStore {
    async fn post_message(&self, post: NewPost) -> StoreResult<PostOutcome> {
        self.poster.post(post).await
    }
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        message_rows::idempotent_response(&self.client().await?, scope, key).await
    }
    async fn message_by_id(&self, flow_id: &str, id: i64) -> StoreResult<Option<StoredMessage>> {
        message_queries::message_by_id(&**self.client().await?, flow_id, id).await
    }
    async fn list_messages(&self, query: MessageQuery) -> StoreResult<Vec<StoredMessage>> {
        message_queries::list_messages(&**self.client().await?, query).await
    }
    async fn change_message(&self, change: MessageChange) -> StoreResult<ChangeOutcome> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome = edit::change_message(&tx, change).await?;
        if let Some(last) = outcome.events.last() {
            announce(&tx, &last.flow_id, last.id).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }
    async fn delete_message(
        &self,
        flow_id: &str,
        id: i64,
        deletion: NewEvent,
    ) -> StoreResult<StoredMessage> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let event = edit::delete_message(&tx, flow_id, id, deletion).await?;
        announce(&tx, flow_id, event.id).await?;
        tx.commit().await?;
        Ok(event)
    }
    async fn thread_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<ThreadRecord>> {
        message_queries::thread_by_id(&**self.client().await?, flow_id, id).await
    }
    async fn list_threads(&self, query: ThreadQuery) -> StoreResult<Vec<ThreadRecord>> {
        message_queries::list_threads(&**self.client().await?, query).await
    }
}

/// Tells every node, at commit, that the flow has events up to `id` (0: a private
/// conversation was started, whose participants' streams add it).
pub(super) async fn announce(
    tx: &tokio_postgres::Transaction<'_>,
    flow_id: &str,
    id: i64,
) -> StoreResult<()> {
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&notify::CHANNEL, &notify::payload(flow_id, id)],
    )
    .await?;
    Ok(())
}
