//! Who may use a private conversation, and its JSON. The one rule: its two participants,
//! with the `private` scope; anyone else (organization admins too) gets 404. A new one may be
//! started only with a user who shares an organization with the caller.

use tributary_types::{PrivateActivity, PrivateConversation};

use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{Conversation, FlowRecord, UserRecord};

fn user_not_found() -> ApiError {
    ApiError::NotFound("User not found".into())
}

/// A conversation resolved for its participant: the row, the flows row that holds its
/// messages, and the other user.
pub struct Resolved {
    pub conversation: Conversation,
    pub flow: FlowRecord,
    pub other: UserRecord,
}

impl Resolved {
    /// What a message from the caller is addressed to.
    pub fn to(&self) -> String {
        self.other.id.to_string()
    }
}

/// The other participant named by `raw` (the path's `:user_id`), when the caller may have a
/// conversation with them: an existing conversation, or a user who shares an organization.
pub async fn participant(
    state: &AppState,
    principal: &Principal,
    raw: &str,
) -> ApiResult<UserRecord> {
    principal.require(Scopes::PRIVATE, "private")?;
    let me = principal.user.id;
    let other_id: i64 = raw.trim().parse().map_err(|_| user_not_found())?;
    if other_id == me {
        return Err(ApiError::BadRequest(
            "A private conversation is with another user".into(),
        ));
    }
    let other = state
        .store
        .user_by_id(other_id)
        .await?
        .ok_or_else(user_not_found)?;
    let existing = state.store.private_conversation(me, other_id).await?;
    if existing.is_none() && !state.store.share_organization(me, other_id).await? {
        return Err(user_not_found());
    }
    Ok(other)
}

/// The caller's conversation with `raw`, started (closed) when there is none yet, as
/// `GET /private/:id` does (docs/private-conversations.md).
pub async fn resolve(state: &AppState, principal: &Principal, raw: &str) -> ApiResult<Resolved> {
    let other = participant(state, principal, raw).await?;
    let me = principal.user.id;
    let conversation = match state.store.private_conversation(me, other.id).await? {
        Some(c) => c,
        None => {
            let c = state.store.start_private_conversation(me, other.id).await?;
            // Open streams of either user follow it from its first message.
            state.store.bus().invite(me, &c.flow_id);
            state.store.bus().invite(other.id, &c.flow_id);
            c
        }
    };
    let flow = state
        .store
        .flow_by_id(&conversation.flow_id)
        .await?
        .ok_or_else(|| ApiError::internal("a conversation without its flows row"))?;
    Ok(Resolved {
        conversation,
        flow,
        other,
    })
}

/// A new message opens the conversation again for both participants (the docs: `open`
/// "automatically changes to `true` when new unread messages are posted").
pub async fn reopen(state: &AppState, r: &Resolved) -> ApiResult<()> {
    let me = r.conversation.user_id;
    if !r.conversation.open {
        state.store.set_private_open(me, r.other.id, true).await?;
    }
    let theirs = state.store.private_conversation(r.other.id, me).await?;
    if theirs.is_some_and(|c| !c.open) {
        state.store.set_private_open(r.other.id, me, true).await?;
    }
    Ok(())
}

/// A conversation as `me` sees it.
pub fn view(
    state: &AppState,
    me: &UserRecord,
    other: &UserRecord,
    open: bool,
) -> PrivateConversation {
    PrivateConversation {
        id: other.id,
        url: format!("{}/private/{}", state.urls.base(), other.id),
        name: format!("@{}", other.nick),
        open,
        activity: PrivateActivity::default(),
        users: vec![
            crate::users::view(&state.urls, me),
            crate::users::view(&state.urls, other),
        ],
    }
}

/// Every conversation of the caller, by the other user's id.
pub async fn list(state: &AppState, principal: &Principal) -> ApiResult<Vec<PrivateConversation>> {
    principal.require(Scopes::PRIVATE, "private")?;
    let me = &principal.user;
    let mut out = Vec::new();
    for c in state.store.private_conversations(me.id).await? {
        if let Some(other) = state.store.user_by_id(c.other_id).await? {
            out.push(view(state, me, &other, c.open));
        }
    }
    Ok(out)
}

/// `PUT /private/:id` with `open`.
pub async fn set_open(
    state: &AppState,
    principal: &Principal,
    raw: &str,
    open: Option<bool>,
) -> ApiResult<PrivateConversation> {
    let r = resolve(state, principal, raw).await?;
    let open = match open {
        Some(open) if open != r.conversation.open => {
            let me = principal.user.id;
            state
                .store
                .set_private_open(me, r.other.id, open)
                .await?
                .open
        }
        _ => r.conversation.open,
    };
    Ok(view(state, &principal.user, &r.other, open))
}
