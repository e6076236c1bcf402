//! [`MessageStore`] on SQLite. Writes go through the writer's group transaction: a post
//! (`post`), an edit or a deletion (`edit`) answers with its events and its changes to the
//! search index, which the writer hands on once the group has committed. Reads run on the
//! read pool (`message_queries`); a search first waits for the indexer to catch up.

use async_trait::async_trait;

use super::{edit, message_queries, message_rows, post, SqliteStore};
use crate::store::*;

#[async_trait]
impl MessageStore for SqliteStore {
    async fn post_message(&self, post: NewPost) -> StoreResult<PostOutcome> {
        // The writer answers after the group's COMMIT, in commit order: acknowledged means
        // durable, and a publisher fed from these answers sees ids in order.
        self.writer
            .write_job(move |c| post::post_message(c, post))
            .await
    }
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.readers
            .lookup(move |c| message_rows::idempotent_response(c, &scope, &key))
            .await
    }
    async fn message_by_id(&self, flow_id: &str, id: i64) -> StoreResult<Option<StoredMessage>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .lookup(move |c| message_queries::message_by_id(c, &flow_id, id))
            .await
    }
    async fn list_messages(&self, query: MessageQuery) -> StoreResult<Vec<StoredMessage>> {
        if !query.search.is_empty() {
            self.search.caught_up().await;
        }
        self.readers
            .read(move |c| message_queries::list_messages(c, query))
            .await
    }
    async fn change_message(&self, change: MessageChange) -> StoreResult<ChangeOutcome> {
        self.writer
            .write_job(move |c| edit::change_message(c, change))
            .await
    }
    async fn delete_message(
        &self,
        flow_id: &str,
        id: i64,
        deletion: NewEvent,
    ) -> StoreResult<StoredMessage> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write_job(move |c| edit::delete_message(c, &flow_id, id, deletion))
            .await
    }
    async fn thread_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<ThreadRecord>> {
        let (flow_id, id) = (flow_id.to_owned(), id.to_owned());
        self.readers
            .lookup(move |c| message_queries::thread_by_id(c, &flow_id, &id))
            .await
    }
    async fn list_threads(&self, query: ThreadQuery) -> StoreResult<Vec<ThreadRecord>> {
        self.readers
            .read(move |c| message_queries::list_threads(c, query))
            .await
    }
}
