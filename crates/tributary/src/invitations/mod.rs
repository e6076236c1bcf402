//! Invitations to a flow (flowdock/api-docs docs/Invitations.md) and its join link
//! (docs/Join-Url.md): inviting people by email, and what opening either link does.
//!
//! An invitation's token is stored only as a hash: its link goes out by email after the
//! commit (`mail`), or, with no SMTP server configured, is shown once to the inviter. A flow's
//! join token is shown to its members in `join_url` (docs/Flows.md), so it is kept as it is
//! and compared in constant time (`accept`).

pub mod accept;
pub mod handlers;
pub mod join_url;
mod mail;

use axum::routing::get;
use axum::Router;
use serde_json::Value;
use tributary_types::{Invitation, InvitationsCreated};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::flows;
use crate::secrets;
use crate::state::{AppState, Urls};
use crate::store::{
    Delivery, FlowRecord, InvitationRecord, InvitationState, NewInvitation, UserRecord,
};

/// The API of invitations and of the join link.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/flows/{org}/{flow}/invitations",
            get(handlers::list_invitations).post(handlers::create_invitations),
        )
        .route(
            "/flows/{org}/{flow}/invitations/{id}",
            get(handlers::show_invitation).delete(handlers::delete_invitation),
        )
        .route(
            "/flows/{org}/{flow}/join_url",
            get(handlers::show_join_url)
                .post(handlers::create_join_url)
                .delete(handlers::delete_join_url),
        )
}

/// Addresses in one request, at most: more is a list, not an invitation.
pub const MAX_EMAILS: usize = 100;
/// The invitation's own words, at most.
pub const MAX_MESSAGE_CHARS: usize = 2000;
const MAX_EMAIL_CHARS: usize = 254;

/// What `POST .../invitations` asks for.
#[derive(Debug, Clone, Default)]
pub struct CreateInvitations {
    /// `emails` as sent: an array, or one string of addresses separated by commas or spaces.
    pub emails: Option<Value>,
    /// `email`: one address (the words; the web form's field).
    pub email: Option<String>,
    pub message: Option<String>,
}

pub fn view(urls: &Urls, flow: &FlowRecord, inv: &InvitationRecord) -> Invitation {
    let api = urls.flow(&flow.org.parameterized_name, &flow.parameterized_name);
    Invitation {
        id: inv.id,
        state: match inv.state {
            InvitationState::Accepted => "accepted",
            _ => "pending",
        }
        .to_owned(),
        email: inv.email.clone(),
        flow: flow.id.clone(),
        url: format!("{api}/invitations/{}", inv.id),
        created: inv.created_at,
        updated: inv.updated_at,
        invitation_url: None,
    }
}

/// The link that accepts an invitation: `/invite/<token>`.
pub fn invitation_link(urls: &Urls, token: &str) -> String {
    format!("{}/invite/{token}", urls.base())
}

/// The flow, when the caller may manage its invitations: any member, with `flow`.
pub async fn flow_for_inviter(
    state: &AppState,
    principal: &Principal,
    org: &str,
    flow: &str,
) -> ApiResult<FlowRecord> {
    let flow = flows::joined_by(&state.store, principal, org, flow).await?;
    flows::require_active(&flow)?;
    Ok(flow)
}

/// Creates (or resends) one invitation per valid address; the emails go out after the
/// commit, each from its own task. All addresses invalid (or none): 400 naming `emails`.
pub async fn create(
    state: &AppState,
    inviter: &UserRecord,
    flow: &FlowRecord,
    input: CreateInvitations,
) -> ApiResult<InvitationsCreated> {
    let (valid, erroneous) = parse_emails(&input)?;
    let message = input
        .message
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    if let Some(m) = &message {
        let chars = m.chars().count();
        if chars > MAX_MESSAGE_CHARS {
            return Err(ApiError::field(
                "message",
                format!("is too long ({chars} characters, the limit is {MAX_MESSAGE_CHARS})"),
            ));
        }
    }
    let mut invitations = Vec::with_capacity(valid.len());
    for email in valid {
        let token = secrets::new_token(20);
        let record = state
            .store
            .upsert_invitation(NewInvitation {
                flow_id: flow.id.clone(),
                email,
                message: message.clone(),
                inviter_id: inviter.id,
                token_hash: secrets::hash_token(&token),
                delivery: match state.mail.configured() {
                    true => Delivery::Queued,
                    false => Delivery::NotConfigured,
                },
            })
            .await?;
        let link = invitation_link(&state.urls, &token);
        let mut shown = view(&state.urls, flow, &record);
        if state.mail.configured() {
            mail::send_later(state, inviter, flow, &record, link);
        } else {
            shown.invitation_url = Some(link);
        }
        invitations.push(shown);
    }
    Ok(InvitationsCreated {
        erroneous_emails: erroneous,
        invitations,
    })
}

/// The addresses asked for, split into the valid ones (trimmed, lower-cased, each once) and
/// the rest as sent.
fn parse_emails(input: &CreateInvitations) -> ApiResult<(Vec<String>, Vec<String>)> {
    let mut raw: Vec<String> = Vec::new();
    let split = |s: &str| -> Vec<String> {
        s.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    match &input.emails {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => raw.extend(split(s)),
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => raw.extend(split(s)),
                    other => raw.push(other.to_string()),
                }
            }
        }
        Some(_) => {
            return Err(ApiError::field(
                "emails",
                "must be an array or a comma-separated list of email addresses",
            ))
        }
    }
    if let Some(e) = &input.email {
        raw.extend(split(e));
    }
    if raw.is_empty() {
        return Err(ApiError::field("emails", "is required"));
    }
    if raw.len() > MAX_EMAILS {
        return Err(ApiError::field(
            "emails",
            format!(
                "has too many addresses ({}, the limit is {MAX_EMAILS})",
                raw.len()
            ),
        ));
    }
    let (mut valid, mut erroneous) = (Vec::new(), Vec::new());
    for e in raw {
        let normal = e.to_lowercase();
        if !is_email(&normal) {
            erroneous.push(e);
        } else if !valid.contains(&normal) {
            valid.push(normal);
        }
    }
    if valid.is_empty() {
        return Err(ApiError::field(
            "emails",
            "must hold at least one valid email address",
        ));
    }
    Ok((valid, erroneous))
}

/// An address an SMTP server takes as a recipient: `local@domain.tld`, no spaces, quotes,
/// brackets or control characters (nothing that could alter a header).
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let plain = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
    };
    s.chars().count() <= MAX_EMAIL_CHARS
        && plain(local)
        && plain(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// The flow's pending invitations.
pub async fn list(state: &AppState, flow: &FlowRecord) -> ApiResult<Vec<Invitation>> {
    let records = state.store.pending_invitations(&flow.id).await?;
    Ok(records.iter().map(|r| view(&state.urls, flow, r)).collect())
}

fn not_found() -> ApiError {
    ApiError::NotFound("Invitation not found".into())
}

fn parse_id(id: &str) -> ApiResult<i64> {
    id.parse().map_err(|_| not_found())
}

/// One invitation, pending or accepted (a revoked one is gone).
pub async fn show(state: &AppState, flow: &FlowRecord, id: &str) -> ApiResult<Invitation> {
    match state
        .store
        .invitation_by_id(&flow.id, parse_id(id)?)
        .await?
    {
        Some(r) if r.state != InvitationState::Revoked => Ok(view(&state.urls, flow, &r)),
        _ => Err(not_found()),
    }
}

/// Revokes a pending invitation: its link stops working. An accepted one cannot be deleted
/// (docs/Invitations.md): 422.
pub async fn revoke(state: &AppState, flow: &FlowRecord, id: &str) -> ApiResult<()> {
    let id = parse_id(id)?;
    if state.store.revoke_invitation(&flow.id, id).await? {
        return Ok(());
    }
    match state.store.invitation_by_id(&flow.id, id).await? {
        Some(r) if r.state == InvitationState::Accepted => Err(ApiError::Unprocessable(
            "Only pending invitations can be deleted".into(),
        )),
        _ => Err(not_found()),
    }
}

/// Whether the user may reset or disable the flow's join link: an admin of its organization.
pub async fn is_flow_admin(state: &AppState, user_id: i64, flow: &FlowRecord) -> ApiResult<bool> {
    Ok(state.store.org_membership(flow.org.id, user_id).await? == Some(true))
}

/// 403 unless [`is_flow_admin`].
pub async fn require_flow_admin(
    state: &AppState,
    user_id: i64,
    flow: &FlowRecord,
) -> ApiResult<()> {
    match is_flow_admin(state, user_id, flow).await? {
        true => Ok(()),
        false => Err(ApiError::Forbidden(
            "Only organization admins can change the join link".into(),
        )),
    }
}
