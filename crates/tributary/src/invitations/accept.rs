//! What opening a link does: an invitation's link (`/invite/<token>`, used once, by anyone
//! who holds it) or a flow's join link (`/invitations/<token>-<flow>`, while the flow's
//! `access_mode` is `link` or `organization`). Either one joins the user to the flow and,
//! as a plain member unless already one, to its organization; a new user signs up first.

use tributary_types::AccessMode;

use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::state::AppState;
use crate::store::{FlowRecord, InvitationRecord, InvitationState, UserRecord};
use crate::users::{create_user, CreateUser};

/// A link that was checked and may be used.
#[derive(Debug, Clone)]
pub struct Opened {
    pub flow: FlowRecord,
    /// `None` for a join link.
    pub invitation: Option<InvitationRecord>,
}

fn invalid() -> ApiError {
    ApiError::NotFound("This link is not valid. Ask for a new invitation.".into())
}

fn used() -> ApiError {
    ApiError::Gone {
        message: "This invitation was already used. Log in to open the flow.".into(),
        reason: "used".into(),
    }
}

/// An invitation's link, by the hash of its token.
pub async fn open_invitation(state: &AppState, token: &str) -> ApiResult<Opened> {
    let invitation = state
        .store
        .invitation_by_token(&secrets::hash_token(token))
        .await?
        .ok_or_else(invalid)?;
    match invitation.state {
        InvitationState::Pending => {}
        InvitationState::Accepted => return Err(used()),
        InvitationState::Revoked => {
            return Err(ApiError::Gone {
                message: "This invitation was withdrawn. Ask for a new one.".into(),
                reason: "revoked".into(),
            })
        }
    }
    let flow = state
        .store
        .flow_by_id(&invitation.flow_id)
        .await?
        .ok_or_else(invalid)?;
    open(flow, Some(invitation))
}

/// A flow's join link, `<token>-<flow>`: the flows of that name are the candidates, and the
/// token is compared in constant time with each one's.
pub async fn open_join_link(state: &AppState, key: &str) -> ApiResult<Opened> {
    let (token, name) = key.split_once('-').ok_or_else(invalid)?;
    let wanted = secrets::hash_token(token);
    let flow = state
        .store
        .flows_named(name)
        .await?
        .into_iter()
        .find(|f| secrets::token_matches(&f.join_token, &wanted))
        .ok_or_else(invalid)?;
    if flow.access_mode == AccessMode::Invitation {
        return Err(ApiError::Forbidden(
            "This flow can be joined by invitation only. Ask one of its members to invite you."
                .into(),
        ));
    }
    open(flow, None)
}

fn open(flow: FlowRecord, invitation: Option<InvitationRecord>) -> ApiResult<Opened> {
    crate::flows::require_active(&flow)?;
    Ok(Opened { flow, invitation })
}

/// Joins `user` through the link: an invitation is used up (a second use is 410).
pub async fn accept(state: &AppState, opened: &Opened, user: &UserRecord) -> ApiResult<()> {
    match &opened.invitation {
        Some(inv) => match state.store.accept_invitation(inv.id, user.id).await? {
            true => Ok(()),
            false => Err(used()),
        },
        None => Ok(state.store.join_flow(&opened.flow, user.id).await?),
    }
}

/// Signs a new user up and joins them through the link.
pub async fn sign_up(
    state: &AppState,
    opened: &Opened,
    input: CreateUser,
) -> ApiResult<UserRecord> {
    if input.password.as_deref().unwrap_or_default().is_empty() {
        return Err(ApiError::field("password", "is required"));
    }
    let (user, _token) = create_user(&state.store, input).await?;
    accept(state, opened, &user).await?;
    Ok(user)
}
