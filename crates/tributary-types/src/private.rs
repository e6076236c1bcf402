//! Private conversations: what `GET /private` and `GET /private/:user_id` return
//! (flowdock/api-docs docs/private-conversations.md). Their messages are [`crate::Message`]s
//! with `to` instead of `flow`.

use serde::{Deserialize, Serialize};

use crate::User;

/// A conversation of two users, as one of them sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivateConversation {
    /// The other participant's user id.
    pub id: i64,
    /// `<api>/private/<id>`.
    pub url: String,
    /// `@<nick>` of the other participant.
    pub name: String,
    /// The caller's tab state; it turns `true` when a message arrives.
    pub open: bool,
    pub activity: PrivateActivity,
    /// Both participants, the caller first.
    pub users: Vec<User>,
}

/// Unread activity. Tributary does not track it for conversations: always nothing unread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrivateActivity {
    pub inbox: bool,
    pub mentions: i64,
    pub chat: bool,
}
