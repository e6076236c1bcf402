//! The authorization request (RFC 6749 §4.1.1): validating it, and answering it with a code
//! or an error once the user has decided on the consent page (`web::consent`).
//!
//! A request with an unknown client or a redirect URI that does not match is never
//! redirected (RFC 6749 §4.1.2.1): the user sees an error page. Every other error goes back
//! to the client's redirect URI with `error` and the `state`.

use serde::Deserialize;

use super::{pkce, CODE_TTL_MS, OOB};
use crate::auth::Scopes;
use crate::error::ApiResult;
use crate::input::lenient;
use crate::secrets;
use crate::state::Urls;
use crate::store::{now_millis, AppRecord, DynStore, NewOAuthCode};

/// The parameters of `GET /oauth/authorize`, carried through the consent form unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub redirect_uri: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub response_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub scope: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub code_challenge: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub code_challenge_method: Option<String>,
    /// The target flow's id, when the setup process names one (a Tributary addition).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub flow: Option<String>,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub app: AppRecord,
    /// Where the answer goes: the given redirect URI, or the registered one.
    pub redirect_uri: String,
    pub params: AuthorizeParams,
    pub scopes: Scopes,
}

/// Why a request cannot go on.
#[derive(Debug)]
pub enum Refusal {
    /// Shown to the user; the client is not trusted with a redirect.
    Page(String),
    /// Sent back to the client: this URL carries `error` and `state`.
    Redirect(String),
}

pub async fn validate(
    store: &DynStore,
    params: AuthorizeParams,
) -> ApiResult<Result<AuthRequest, Refusal>> {
    let page = |m: &str| Ok(Err(Refusal::Page(m.to_owned())));
    let Some(client_id) = params.client_id.clone().filter(|c| !c.is_empty()) else {
        return page("The request names no client_id.");
    };
    let Some(app) = store.app_by_client_id(&client_id).await? else {
        return page("No application has this client_id.");
    };
    let redirect_uri = match params.redirect_uri.as_deref().filter(|r| !r.is_empty()) {
        None => app.redirect_uri.clone(),
        Some(given) if crate::urls::same_redirect_uri(given, &app.redirect_uri) => given.to_owned(),
        Some(_) => {
            return page(
                "The redirect_uri does not match the callback URL registered for this application.",
            )
        }
    };
    let back = |error: &str, description: &str| {
        Ok(Err(refusal(
            &redirect_uri,
            error,
            description,
            params.state.as_deref(),
        )))
    };
    if params.response_type.as_deref() != Some("code") {
        return back("unsupported_response_type", "response_type must be code");
    }
    let scopes = match Scopes::parse(params.scope.as_deref().unwrap_or_default()) {
        Ok(s) => s,
        Err(e) => return back("invalid_scope", &e),
    };
    if let Some(challenge) = params.code_challenge.as_deref().filter(|c| !c.is_empty()) {
        if params.code_challenge_method.as_deref() != Some("S256") {
            return back("invalid_request", "code_challenge_method must be S256");
        }
        if !pkce::valid_challenge(challenge) {
            return back("invalid_request", "code_challenge is not an S256 challenge");
        }
    }
    Ok(Ok(AuthRequest {
        app,
        redirect_uri,
        params,
        scopes,
    }))
}

fn refusal(redirect_uri: &str, error: &str, description: &str, state: Option<&str>) -> Refusal {
    if redirect_uri == OOB {
        return Refusal::Page(format!("{error}: {description}"));
    }
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    Refusal::Redirect(with_query(redirect_uri, &pairs))
}

/// The answer to a denied request.
pub fn deny(req: &AuthRequest) -> Refusal {
    refusal(
        &req.redirect_uri,
        "access_denied",
        "The user denied access",
        req.params.state.as_deref(),
    )
}

/// Mints a code for the approved request and returns where to send the browser: the
/// client's redirect URI with `code` and `state`, or for out-of-band clients the page that
/// shows the code (`/oauth/authorize/:code`, as Flowdock did).
pub async fn approve(
    store: &DynStore,
    urls: &Urls,
    req: &AuthRequest,
    user_id: i64,
) -> ApiResult<String> {
    let code = secrets::new_token(32);
    store
        .create_oauth_code(NewOAuthCode {
            code_hash: secrets::hash_token(&code),
            app_id: req.app.id,
            user_id,
            redirect_uri: req.params.redirect_uri.clone().filter(|r| !r.is_empty()),
            scopes: req.scopes.bits(),
            code_challenge: req.params.code_challenge.clone().filter(|c| !c.is_empty()),
            flow_id: req.params.flow.clone().filter(|f| !f.is_empty()),
            expires_at: now_millis() + CODE_TTL_MS,
        })
        .await?;
    if req.redirect_uri == OOB {
        return Ok(format!("{}/oauth/authorize/{code}", urls.base()));
    }
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = req.params.state.as_deref() {
        pairs.push(("state", s));
    }
    Ok(with_query(&req.redirect_uri, &pairs))
}

/// Adds query parameters to a URL that may already have some.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.into()
        }
        Err(_) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.extend_pairs(pairs);
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}{}", form.finish())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_query_keeps_existing_parameters() {
        assert_eq!(
            with_query(
                "https://a.example/cb?x=1",
                &[("code", "c d"), ("state", "s")]
            ),
            "https://a.example/cb?x=1&code=c+d&state=s"
        );
        assert_eq!(
            with_query("https://a.example/cb", &[("code", "c")]),
            "https://a.example/cb?code=c"
        );
    }
}
