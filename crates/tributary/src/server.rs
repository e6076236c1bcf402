//! The HTTP server: every resource module's `routes()` merged, the middleware stack, the
//! operator's endpoints (`/healthz`, `/metrics`), the path normalisation, and serving with
//! graceful shutdown.

use std::future::Future;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, Request, Uri};
use axum::routing::get;
use axum::{middleware, Json, Router};
use tokio::net::TcpListener;
use tower::Layer;

use crate::config::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONCURRENT_UPLOADS, DEFAULT_MAX_UPLOAD_BYTES,
};
use crate::error::ApiError;
use crate::metrics::{self, Metrics};
use crate::state::{ActionSettings, AppState, FileSettings, Passwords, Streams, Urls};
use crate::store::DynStore;
use crate::{
    actions, apps, auth, files, flows, invitations, limits, messages, oauth, organizations,
    private, sources, stream, threads, users, web,
};

/// Builds the state shared by every handler.
pub fn state(store: DynStore, public_url: &str) -> AppState {
    AppState {
        blobs: store.blobs(),
        store,
        urls: Urls::new(public_url),
        metrics: Arc::new(Metrics::default()),
        streams: Streams::new(stream::KEEPALIVE),
        files: FileSettings::new(
            DEFAULT_MAX_UPLOAD_BYTES,
            DEFAULT_MAX_BODY_BYTES,
            DEFAULT_MAX_CONCURRENT_UPLOADS,
        ),
        actions: ActionSettings::default(),
        passwords: Passwords::default(),
        mail: crate::state::Mailer::none(),
        flow_token_grace: std::time::Duration::from_secs(
            crate::config::DEFAULT_FLOW_TOKEN_GRACE_SECS,
        ),
        limits: crate::state::RateLimits::default(),
    }
}

/// `shutdown`, followed by ending every open stream; pass it to [`serve`] so graceful
/// shutdown finishes instead of waiting on streams that never end by themselves.
pub fn shutdown_streams(
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let streams = state.streams.clone();
    async move {
        shutdown.await;
        streams.stop();
    }
}

pub fn router(mut state: AppState, max_body_bytes: usize) -> Router {
    // Uploads read their own bodies (files may exceed the body limit); their other fields
    // keep to it.
    state.files.max_body_bytes = max_body_bytes;
    let api = Router::new()
        .merge(users::routes())
        .merge(organizations::routes())
        .merge(flows::routes())
        .merge(invitations::routes())
        .merge(messages::routes())
        .merge(threads::routes())
        .merge(files::routes())
        .merge(sources::routes())
        .merge(actions::routes())
        .merge(apps::routes())
        .merge(oauth::routes())
        .merge(private::routes())
        .merge(stream::routes())
        .merge(web::routes(&state))
        .route("/healthz", get(healthz))
        .merge(metrics_route(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(middleware::from_fn(auth::flowdock_user_header))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            sources::health::record_rejections,
        ))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::enforce,
        ))
        .layer(crate::trace::layer());
    api.with_state(state)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `/metrics` on the API listener, unless the metrics have a listener of their own.
fn metrics_route(state: &AppState) -> Router<AppState> {
    match state.metrics.access().own_listener() {
        true => Router::new(),
        false => Router::new().route("/metrics", get(metrics::show_metrics)),
    }
}

/// The metrics listener (`--metrics-listen`): `/metrics` and nothing else.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::show_metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(crate::trace::layer())
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Not found".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Rewrites the path before routing: repeated slashes collapse and a trailing one goes (one
/// client sends `//flows`, others append `/`), and streaming requests made at the root paths
/// go to `/stream/...`: those on a `stream.` host, as Flowdock served them, and a
/// `GET /flows?filter=`, which is how node-flowdock streams from a configured base URL.
fn normalize_path(mut req: Request<Body>) -> Request<Body> {
    let path = req.uri().path();
    let tidy = !path.contains("//") && (path.len() <= 1 || !path.ends_with('/'));
    let mut clean = String::with_capacity(path.len() + 8);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    let streaming = is_root_stream(&req, &clean);
    if tidy && !streaming {
        return req;
    }
    if streaming {
        clean.insert_str(0, "/stream");
    }
    if let Some(q) = req.uri().query() {
        clean.push('?');
        clean.push_str(q);
    }
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = clean.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

fn is_root_stream(req: &Request<Body>, path: &str) -> bool {
    if path != "/flows" && !path.starts_with("/flows/") {
        return false;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("");
    if host.starts_with("stream.") {
        return true;
    }
    path == "/flows"
        && req.method() == axum::http::Method::GET
        && req
            .uri()
            .query()
            .is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "filter"))
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = tower::util::MapRequestLayer::new(normalize_path).layer(router);
    axum::serve(
        listener,
        // The client's address keys the limits of requests without a credential.
        axum::ServiceExt::<Request<Body>>::into_make_service_with_connect_info::<
            std::net::SocketAddr,
        >(app),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("server.shutdown_requested");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(p: &str) -> String {
        let req = Request::builder().uri(p).body(Body::empty()).unwrap();
        normalize_path(req).uri().to_string()
    }

    fn path_on(host: &str, p: &str) -> String {
        let req = Request::builder()
            .uri(p)
            .header("host", host)
            .body(Body::empty())
            .unwrap();
        normalize_path(req).uri().to_string()
    }

    #[test]
    fn stream_requests_at_the_root_reach_the_stream_routes() {
        assert_eq!(
            path_on("stream.example.com", "/flows?filter=a/b"),
            "/stream/flows?filter=a/b"
        );
        assert_eq!(
            path_on("stream.example.com:8080", "/flows/acme/main"),
            "/stream/flows/acme/main"
        );
        assert_eq!(
            path_on("api.example.com", "/flows?filter=a/b"),
            "/stream/flows?filter=a/b"
        );
        assert_eq!(
            path_on("api.example.com", "/flows?users=1"),
            "/flows?users=1"
        );
        assert_eq!(
            path_on("api.example.com", "/flows/acme/main"),
            "/flows/acme/main"
        );
        assert_eq!(path_on("stream.example.com", "/healthz"), "/healthz");
    }

    #[test]
    fn collapses_slashes_and_keeps_the_query() {
        assert_eq!(path_of("//flows"), "/flows");
        assert_eq!(
            path_of("//flows//acme/main/?users=1"),
            "/flows/acme/main?users=1"
        );
        assert_eq!(path_of("/flows"), "/flows");
        assert_eq!(path_of("/"), "/");
    }
}
