//! OAuth 2.0 for integrations (flowdock/api-docs docs/authentication.md), through the `oauth2` crate: the
//! authorization URL with `state` and PKCE (S256), the code exchange, and refresh.
//!
//! The guide's step 3: the setup endpoint sends the user to [`AuthorizeRequest::url`], keeps
//! `state` and `pkce_verifier` (in the session, say), and the callback checks the returned
//! `state` with [`AuthorizeRequest::state_matches`] before exchanging the code.
//!
//! ```
//! use tributary_sdk::oauth::OAuth;
//!
//! let oauth = OAuth::new(
//!     "http://127.0.0.1:8080",
//!     "client-id",
//!     "client-secret",
//!     "http://127.0.0.1:3000/auth/flowdock/callback",
//! )
//! .unwrap();
//! let request = oauth.authorize(&["flow", "integration"]);
//! assert!(request.url.starts_with("http://127.0.0.1:8080/oauth/authorize?"));
//! assert!(request.url.contains("code_challenge_method=S256"));
//! assert!(request.url.contains(&format!("state={}", request.state)));
//! assert!(request.state_matches(&request.state.clone()));
//! assert!(!request.state_matches("forged"));
//! ```
//!
//! ```no_run
//! # async fn callback(oauth: tributary_sdk::oauth::OAuth, code: &str, verifier: &str)
//! # -> Result<(), tributary_sdk::Error> {
//! let tokens = oauth.exchange_code(code, verifier).await?;
//! let api = oauth.client(&tokens);
//! let me = api.users().me().await?;
//! if let Some(refresh) = &tokens.refresh_token {
//!     let fresh = oauth.refresh(refresh).await?;
//!     println!("{} has a new token valid for {:?}", me.nick, fresh.expires_in);
//! }
//! # Ok(()) }
//! ```

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpClientError, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use subtle::ConstantTimeEq;

use crate::{Client, Error};

type Inner = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// An OAuth 2.0 client of one developer application.
#[derive(Clone, Debug)]
pub struct OAuth {
    inner: Inner,
    http: reqwest::Client,
    base: String,
}

/// Where to send the user, and what the callback needs to finish.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    /// The server's `/oauth/authorize` URL with the request's parameters: send the user there.
    pub url: String,
    /// Sent back unchanged with the code; compare before exchanging it.
    pub state: String,
    /// The PKCE secret the code exchange must present.
    pub pkce_verifier: String,
}

impl AuthorizeRequest {
    /// Whether the callback's `state` is the one sent, compared in constant time.
    pub fn state_matches(&self, returned: &str) -> bool {
        bool::from(self.state.as_bytes().ct_eq(returned.as_bytes()))
    }
}

/// An access token and what came with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Tokens {
    /// The token to send as `Authorization: Bearer` ([`crate::Client::with_bearer`]).
    pub access_token: String,
    /// Issued only with the `offline_access` scope.
    pub refresh_token: Option<String>,
    /// How long the access token lives, when the server said.
    pub expires_in: Option<Duration>,
    /// The scopes granted (they may be fewer than those asked for).
    pub scopes: Vec<String>,
}

impl OAuth {
    /// A client for the server at `base_url` (its `/oauth/authorize` and `/oauth/token`).
    pub fn new(
        base_url: &str,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<OAuth, Error> {
        let base = base_url.trim_end_matches('/').to_owned();
        let bad = |what: &str, e: oauth2::url::ParseError| Error::Decode(format!("{what}: {e}"));
        let inner = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.to_owned()))
            .set_auth_uri(
                AuthUrl::new(format!("{base}/oauth/authorize")).map_err(|e| bad("base URL", e))?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{base}/oauth/token")).map_err(|e| bad("base URL", e))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| bad("redirect URI", e))?,
            );
        // The oauth2 crate's advice: never follow redirects from the token endpoint.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(OAuth { inner, http, base })
    }

    /// The authorization URL for `scopes`, with a fresh `state` and PKCE challenge.
    pub fn authorize(&self, scopes: &[&str]) -> AuthorizeRequest {
        self.authorize_with(scopes, &[])
    }

    /// [`Self::authorize`] with extra query parameters, such as `flow` (a flow id), which
    /// lets the consent page name the flow the integration is being added to.
    pub fn authorize_with(&self, scopes: &[&str], extra: &[(&str, &str)]) -> AuthorizeRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = self
            .inner
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        for s in scopes {
            req = req.add_scope(Scope::new((*s).to_owned()));
        }
        for (k, v) in extra {
            req = req.add_extra_param(*k, *v);
        }
        let (url, state) = req.url();
        AuthorizeRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        }
    }

    /// Exchanges the callback's `code` (with the request's PKCE verifier) for tokens.
    pub async fn exchange_code(&self, code: &str, pkce_verifier: &str) -> Result<Tokens, Error> {
        let res = self
            .inner
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await;
        tokens(res)
    }

    /// A new access token (and a new refresh token: they rotate) for a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, Error> {
        let token = RefreshToken::new(refresh_token.to_owned());
        let res = self
            .inner
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await;
        tokens(res)
    }

    /// An API client that authenticates with the access token.
    pub fn client(&self, tokens: &Tokens) -> Client {
        Client::new(&self.base).with_bearer(&tokens.access_token)
    }
}

type TokenResult = Result<
    BasicTokenResponse,
    RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>,
>;

fn tokens(res: TokenResult) -> Result<Tokens, Error> {
    match res {
        Ok(t) => Ok(Tokens {
            access_token: t.access_token().secret().clone(),
            refresh_token: t.refresh_token().map(|r| r.secret().clone()),
            expires_in: t.expires_in(),
            scopes: t
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default(),
        }),
        Err(RequestTokenError::ServerResponse(e)) => Err(Error::OAuth {
            error: e.error().to_string(),
            description: e.error_description().cloned(),
        }),
        Err(RequestTokenError::Request(HttpClientError::Reqwest(e))) => Err(Error::Transport(*e)),
        Err(other) => Err(Error::Decode(other.to_string())),
    }
}
