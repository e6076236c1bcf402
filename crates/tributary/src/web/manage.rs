//! What the management pages share (the account's profile, a flow's settings and members, an
//! organization's users): the signed-in user as a principal for the domain functions that the
//! API calls too, and a refused change as a line for the form.

use super::error::WebError;
use crate::auth::session::SignedIn;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// The session as a principal with every scope: a session is the user's own browser.
pub async fn principal(state: &AppState, signed: &SignedIn) -> Result<Principal, WebError> {
    signed
        .browser
        .principal(&state.store)
        .await?
        .ok_or_else(|| WebError::Login {
            return_to: "/account".into(),
        })
}

/// The line a form shows for a change the domain refused (invalid, taken, not allowed);
/// anything else (a missing flow, a failure) is the error page's.
pub fn form_message(e: ApiError) -> Result<String, WebError> {
    match &e {
        ApiError::Validation(errors) => Ok(errors
            .iter()
            .map(|(field, reasons)| format!("{} {}", capitalised(field), reasons.join(", ")))
            .collect::<Vec<_>>()
            .join(". ")),
        ApiError::Conflict(m) | ApiError::Forbidden(m) => Ok(m.clone()),
        _ => Err(e.into()),
    }
}

fn capitalised(field: &str) -> String {
    let mut chars = field.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
