//! Private conversations as the store holds them: the [`PrivateStore`] trait and its record.
//!
//! A conversation's messages live in a flows row of its own (`flow_id`, `private-<lo>-<hi>`)
//! in the hidden `~private` organization, so the message store serves them unchanged; this
//! area keeps only who the two participants are and each one's `open` flag.

use async_trait::async_trait;

use super::StoreResult;

/// The hidden organization that owns the conversations' flows rows (migration 0009).
pub const PRIVATE_ORG: &str = "~private";

/// The flow id of the conversation between two users, whichever way round they are named.
pub fn private_flow_id(a: i64, b: i64) -> String {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    format!("{}{lo}-{hi}", tributary_types::PRIVATE_FLOW_PREFIX)
}

/// The two participants named by a conversation's flow id, lower first; `None` for any other
/// id (a flow's).
pub fn private_participants(flow_id: &str) -> Option<(i64, i64)> {
    let rest = flow_id.strip_prefix(tributary_types::PRIVATE_FLOW_PREFIX)?;
    let (lo, hi) = rest.split_once('-')?;
    Some((lo.parse().ok()?, hi.parse().ok()?))
}

/// Private conversations: their participants and each one's `open` flag.
#[async_trait]
pub trait PrivateStore: Send + Sync {
    /// The conversation of `user_id` with `other_id`, as `user_id` sees it.
    async fn private_conversation(
        &self,
        user_id: i64,
        other_id: i64,
    ) -> StoreResult<Option<Conversation>>;
    /// The conversation, created when there is none (with its flows row), in one transaction;
    /// a new one starts closed for both. Both users must exist (`NotFound("user")`).
    async fn start_private_conversation(
        &self,
        user_id: i64,
        other_id: i64,
    ) -> StoreResult<Conversation>;
    /// Every conversation of `user_id`, by the other participant's id.
    async fn private_conversations(&self, user_id: i64) -> StoreResult<Vec<Conversation>>;
    /// Sets `user_id`'s `open` flag of an existing conversation; `NotFound` when there is none.
    async fn set_private_open(
        &self,
        user_id: i64,
        other_id: i64,
        open: bool,
    ) -> StoreResult<Conversation>;
}

/// One conversation as one of its participants sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The flows row that holds its messages.
    pub flow_id: String,
    /// The participant looking.
    pub user_id: i64,
    /// The other participant: the conversation's `id` in the API.
    pub other_id: i64,
    /// `user_id`'s tab state.
    pub open: bool,
    pub created_at: i64,
}

impl Conversation {
    /// The conversation from a row's columns, seen by `user_id`.
    pub fn seen_by(
        user_id: i64,
        flow_id: String,
        (lo, hi): (i64, i64),
        (open_lo, open_hi): (bool, bool),
        created_at: i64,
    ) -> Conversation {
        let (other_id, open) = if user_id == lo {
            (hi, open_lo)
        } else {
            (lo, open_hi)
        };
        Conversation {
            flow_id,
            user_id,
            other_id,
            open,
            created_at,
        }
    }
}
