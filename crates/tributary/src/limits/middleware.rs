//! The middleware: outside every handler and extractor, inside only the request log.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderName, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::keys::{bucket, Bucket};
use crate::state::limits::{too_many, with_client_ip, Quota};
use crate::state::AppState;

static LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Takes a token for the request, or answers 429 before the request is looked at further;
/// a stream counts once, when it opens.
pub async fn enforce(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let ip: Option<IpAddr> = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let limits = &state.limits;
    if !limits.enabled() {
        return with_client_ip(ip, next.run(req)).await;
    }
    let now = Instant::now();
    let quota = match bucket(&req, ip) {
        Bucket::OAuthToken(k) => limits.oauth_token().take(k, now),
        Bucket::Credential(k) => limits.credential().take(k, now),
        Bucket::Ip(k) => limits.ip().take(k, now),
    };
    let mut response = match quota.allowed {
        true => with_client_ip(ip, next.run(req)).await,
        false => too_many(quota.retry_after_secs, "requests").into_response(),
    };
    announce(&mut response, quota);
    response
}

fn announce(response: &mut Response, quota: Quota) {
    let headers = response.headers_mut();
    headers.insert(LIMIT.clone(), HeaderValue::from(quota.limit));
    headers.insert(REMAINING.clone(), HeaderValue::from(quota.remaining));
    headers.insert(RESET.clone(), HeaderValue::from(quota.reset_secs));
}
