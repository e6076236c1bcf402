//! Errors of the web pages: HTML, never JSON, and a trip to the login page when the browser
//! has no session.

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::Nav;
use crate::auth::session::PageRefusal;
use crate::error::ApiError;
use crate::store::StoreError;

#[derive(Debug)]
pub enum WebError {
    Api(ApiError),
    /// Not signed in: log in, then come back to `return_to`.
    Login {
        return_to: String,
    },
    /// The form's CSRF token is missing or wrong.
    Csrf,
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::Api(e)
    }
}

impl From<PageRefusal> for WebError {
    fn from(r: PageRefusal) -> Self {
        match r {
            PageRefusal::SignIn { return_to } => WebError::Login { return_to },
            PageRefusal::Csrf => WebError::Csrf,
            PageRefusal::Failed(e) => WebError::Api(e),
        }
    }
}

/// The page extractors of `auth::session` turn browsers away as the pages do.
impl IntoResponse for PageRefusal {
    fn into_response(self) -> Response {
        WebError::from(self).into_response()
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Api(e.into())
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Api(ApiError::internal(format!("template: {e}")))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    status: u16,
    message: String,
}

/// An error page with `status` and `message`.
pub fn page(status: StatusCode, message: &str) -> Response {
    let body = ErrorPage {
        nav: Nav::anonymous(),
        status: status.as_u16(),
        message: message.to_owned(),
    }
    .render()
    .unwrap_or_else(|_| message.to_owned());
    (status, Html(body)).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Login { return_to } => {
                let mut q = url::form_urlencoded::Serializer::new(String::new());
                q.append_pair("return_to", &return_to);
                Redirect::to(&format!("/login?{}", q.finish())).into_response()
            }
            WebError::Csrf => page(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this site. Go back, reload the page and try again.",
            ),
            WebError::Api(e) => {
                let status = e.status();
                let mut message = e.to_string();
                if let ApiError::Validation(errors) = &e {
                    for (field, reasons) in errors {
                        message.push_str(&format!(": {field} {}", reasons.join(", ")));
                    }
                }
                let mut response = page(status, &message);
                response
                    .headers_mut()
                    .remove(header::WWW_AUTHENTICATE);
                crate::error::Failure::attach(&mut response, e);
                response
            }
        }
    }
}
