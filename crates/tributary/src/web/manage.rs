//! What the form pages share (the account's profile, a flow's settings, members and
//! invitations, an organization's users, developer applications): a form post with its CSRF
//! token checked, the signed-in user as a principal for the domain functions that the API
//! calls too, and a refused change as a line for the form.

use std::future::Future;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::input::Params;
use crate::state::AppState;

/// A form posted by a signed-in browser, its CSRF token checked before any handler reads it.
pub struct PostedForm {
    pub signed: SignedIn,
    pub params: Params,
}

impl FromRequest<AppState> for PostedForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let signed = SignedIn::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let params = Params::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        signed
            .browser
            .check_csrf(params.get_str(CSRF_FIELD))
            .map_err(IntoResponse::into_response)?;
        Ok(PostedForm { signed, params })
    }
}

/// A management form's post: a [`PostedForm`] (the signed-in user and the form) and its
/// session as a principal with every scope (a session is the user's own browser), for the
/// domain functions the API calls too.
pub struct ManageForm(pub SignedIn, pub Params, pub Principal);

impl FromRequest<AppState> for ManageForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let PostedForm { signed, params } = PostedForm::from_request(req, state).await?;
        let principal = match signed.browser.principal(&state.store).await {
            Ok(Some(principal)) => principal,
            Ok(None) => {
                let return_to = "/account".into();
                return Err(WebError::Login { return_to }.into_response());
            }
            Err(e) => return Err(WebError::from(e).into_response()),
        };
        Ok(ManageForm(signed, params, principal))
    }
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
