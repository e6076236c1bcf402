//! A flow's "Invite people" page: invite by email (with no SMTP server configured, the new
//! invitation's link is shown here once, to pass on), the pending invitations with Revoke,
//! and the flow's join link, which organization admins may reset.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tributary_types::Invitation;

use super::error::WebError;
use super::frame::{frame, joined, FlowFrame};
use super::html;
use super::manage::PostedForm;
use super::shell::flow_path;
use crate::auth::session::SignedIn;
use crate::error::ApiError;
use crate::invitations::{self, join_url, CreateInvitations};
use crate::state::AppState;
use crate::store::FlowRecord;

#[derive(Template)]
#[template(path = "flow_invitations.html")]
struct InvitePage {
    nav: super::Nav,
    frame: FlowFrame,
    pending: Vec<Invitation>,
    /// Links to pass on: the invitations just made, when no email carries them.
    links: Vec<(String, String)>,
    sent_to: Vec<String>,
    errors: Vec<String>,
    mail_configured: bool,
    join_url: Option<String>,
    admin: bool,
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    org: &str,
    flow: &str,
    made: Option<Result<Vec<Invitation>, Vec<String>>>,
) -> Result<Response, WebError> {
    let frame = frame(state, signed, org, flow).await?;
    let pending = invitations::list(state, &frame.flow).await?;
    let (mut links, mut sent_to, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    match made {
        Some(Ok(made)) => {
            for inv in made {
                match inv.invitation_url {
                    Some(link) => links.push((inv.email, link)),
                    None => sent_to.push(inv.email),
                }
            }
        }
        Some(Err(e)) => errors = e,
        None => {}
    }
    let status = match errors.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::BAD_REQUEST,
    };
    let mut response = html(InvitePage {
        nav: frame.nav.clone(),
        pending,
        links,
        sent_to,
        errors,
        mail_configured: state.mail.configured(),
        join_url: join_url::view(state, &frame.flow).join_url,
        admin: invitations::is_flow_admin(state, signed.user.id, &frame.flow).await?,
        frame,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// Back to the invitations page.
fn back(flow: &FlowRecord) -> Response {
    Redirect::to(&format!("{}/invitations", flow_path(flow))).into_response()
}

/// GET /app/:org/:flow/invitations
pub async fn show_invitations(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow)): Path<(String, String)>,
) -> Result<Response, WebError> {
    render(&state, &signed, &org, &flow, None).await
}

/// POST /app/:org/:flow/invitations
pub async fn create_invitation(
    State(state): State<AppState>,
    Path((org, flow)): Path<(String, String)>,
    PostedForm { signed, params }: PostedForm,
) -> Result<Response, WebError> {
    let record = joined(&state, &signed, &org, &flow).await?;
    crate::flows::require_active(&record)?;
    let input = CreateInvitations {
        emails: None,
        email: params.get_str("email").map(str::to_owned),
        message: params.get_str("message").map(str::to_owned),
    };
    let made = match invitations::create(&state, &signed.user, &record, input).await {
        Ok(created) if !created.erroneous_emails.is_empty() => Err(vec![format!(
            "Not an email address: {}",
            created.erroneous_emails.join(", ")
        )]),
        Ok(created) => Ok(created.invitations),
        Err(ApiError::Validation(fields)) => Err(fields
            .iter()
            .map(|(f, r)| format!("{f} {}", r.join(", ")))
            .collect()),
        Err(e) => return Err(e.into()),
    };
    render(&state, &signed, &org, &flow, Some(made)).await
}

/// POST /app/:org/:flow/invitations/:id/revoke
pub async fn revoke_invitation(
    State(state): State<AppState>,
    Path((org, flow, id)): Path<(String, String, String)>,
    PostedForm { signed, .. }: PostedForm,
) -> Result<Response, WebError> {
    let record = joined(&state, &signed, &org, &flow).await?;
    invitations::revoke(&state, &record, &id).await?;
    Ok(back(&record))
}

/// POST /app/:org/:flow/join_link: a new join link (organization admins); the old one stops
/// working.
pub async fn reset_join_link(
    State(state): State<AppState>,
    Path((org, flow)): Path<(String, String)>,
    PostedForm { signed, .. }: PostedForm,
) -> Result<Response, WebError> {
    let record = joined(&state, &signed, &org, &flow).await?;
    invitations::require_flow_admin(&state, signed.user.id, &record).await?;
    join_url::reset_flow(&state, &record).await?;
    Ok(back(&record))
}
