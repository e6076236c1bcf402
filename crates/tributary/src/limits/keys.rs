//! Which bucket a request draws from. The credential is read from the headers, the query
//! and the path only (never the body, which is not read yet), and only its hash is kept.

use std::net::IpAddr;

use axum::body::Body;
use axum::http::{Method, Request};

use crate::auth::session::{cookie, SESSION_COOKIE};
use crate::auth::Credential;
use crate::state::limits::{ip_key, key};

/// A bucket: its table and its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bucket {
    /// `POST /oauth/token`, by the client's address.
    OAuthToken(u128),
    /// Whatever credential the request presented, valid or not.
    Credential(u128),
    /// A request without a credential, by the client's address.
    Ip(u128),
}

pub(super) fn bucket(req: &Request<Body>, ip: Option<IpAddr>) -> Bucket {
    // Without a known address (a router served without connect info) all such requests
    // share one bucket.
    let by_ip = ip.map_or_else(|| key("ip", "unknown"), ip_key);
    if req.method() == Method::POST && req.uri().path() == "/oauth/token" {
        return Bucket::OAuthToken(by_ip);
    }
    match credential(req) {
        Some(secret) => Bucket::Credential(key("credential", &secret)),
        None => Bucket::Ip(by_ip),
    }
}

/// The secret a request presented: the `Authorization` header's or `access_token`'s
/// credential, a `flow_token` parameter, a push API path token, or the session cookie. The
/// same secret shares one bucket wherever it appears.
fn credential(req: &Request<Body>) -> Option<String> {
    let headers = req.headers();
    let query = req.uri().query();
    if let Some(presented) = crate::auth::credential(headers, query) {
        return Some(match presented {
            Credential::ApiToken(t) | Credential::Bearer(t) => t,
            Credential::Password { email, password } => {
                format!("{}\0{password}", email.trim().to_lowercase())
            }
        });
    }
    if let Some(query) = query {
        let found = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k == "flow_token" && !v.is_empty());
        if let Some((_, v)) = found {
            return Some(v.into_owned());
        }
    }
    let path = req.uri().path();
    for prefix in ["/v1/messages/influx/", "/v1/messages/chat/"] {
        if let Some(token) = path.strip_prefix(prefix).filter(|t| !t.is_empty()) {
            return Some(token.to_owned());
        }
    }
    cookie(headers, SESSION_COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(uri: &str, header: Option<(&str, &str)>) -> Bucket {
        let mut b = Request::builder().uri(uri);
        if let Some((k, v)) = header {
            b = b.header(k, v);
        }
        bucket(&b.body(Body::empty()).unwrap(), None)
    }

    #[test]
    fn the_same_credential_in_any_place_shares_a_bucket() {
        let bearer = of("/flows", Some(("authorization", "Bearer abc")));
        assert!(matches!(bearer, Bucket::Credential(_)));
        // `abc:` in Basic auth: the API token `abc`.
        assert_eq!(
            of("/user", Some(("authorization", "Basic YWJjOg=="))),
            bearer
        );
        assert_eq!(
            of("/flows?access_token=abc", None),
            of("/x?flow_token=abc", None)
        );
        assert_eq!(
            of("/v1/messages/chat/abc", None),
            of("/flows?access_token=abc", None)
        );
        assert_eq!(
            of("/app", Some(("cookie", "tributary_session=abc"))),
            of("/flows?flow_token=abc", None)
        );
        assert_ne!(
            of("/flows?access_token=abd", None),
            of("/flows?access_token=abc", None)
        );
        assert!(matches!(of("/flows", None), Bucket::Ip(_)));
    }
}
