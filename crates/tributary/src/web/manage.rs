//! What the management pages share (the account's profile, a flow's settings and members, an
//! organization's users): the signed-in user as a principal for the domain functions that the
//! API calls too, and a refused change as a line for the form.

use std::future::Future;

use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::input::Params;
use crate::state::AppState;

/// A management form's post: its CSRF token checked, then the session as a principal with
/// every scope (a session is the user's own browser).
pub async fn form_principal(
    state: &AppState,
    signed: &SignedIn,
    params: &Params,
) -> Result<Principal, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    signed
        .browser
        .principal(&state.store)
        .await?
        .ok_or_else(|| WebError::Login {
            return_to: "/account".into(),
        })
}

/// The form's page again, rendered by `render` with the reason the change was refused, under
/// the refusal's status.
pub async fn refused<F, Fut>(e: ApiError, render: F) -> Result<Response, WebError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Response, WebError>>,
{
    let status = e.status();
    let mut page = render(form_message(e)?).await?;
    *page.status_mut() = status;
    Ok(page)
}

/// A management form's answer: a redirect to where the change leads, or the form's page again
/// with the reason it was refused (see [`refused`]).
pub async fn redirect_or_refused<F, Fut>(
    done: ApiResult<String>,
    render: F,
) -> Result<Response, WebError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<Response, WebError>>,
{
    match done {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => refused(e, render).await,
    }
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
