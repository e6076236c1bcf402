//! The request log (README, "Logs"). Every request gets an id, its own sane `X-Request-Id`
//! or a new one, echoed in the answer's `X-Request-Id`; a DEBUG span through tower-http's
//! trace layer (method, matched route, request id, then status and latency); and every 5xx
//! is logged here, once, at ERROR, with the `source()` chain of the error behind it.
//!
//! The span and its fields are DEBUG so that, at the default `info`, a request costs little
//! more than its id and a clock reading: a disabled span is never built (BENCHMARKS.md: CPU
//! per post is the limit).
//! The failure line therefore carries the request's fields itself. Query strings are never
//! logged (they may hold `flow_token` or `access_token`), nor are headers or bodies.

use std::future::Future;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use crate::error::Failure;
use axum::extract::MatchedPath;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response};
use tower::layer::util::Stack;
use tower::{Layer, Service};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::field::Empty;
use tracing::Span;

/// The header that carries a request's id, both ways.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id taken from a client; a longer one is replaced.
const MAX_ID_LEN: usize = 128;

/// The request log's layers: [`RequestIds`] outside, the trace layer inside it.
pub type RequestLog = Stack<
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, (), Answered, (), (), ()>,
    RequestIds,
>;

/// The layers for `Router::layer`: one call covers every route and the fallbacks.
pub fn layer() -> RequestLog {
    let trace = TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(Answered)
        .on_body_chunk(())
        .on_eos(())
        // 5xx answers are logged by `RequestIds`, which knows the request's id and route.
        .on_failure(());
    Stack::new(trace, RequestIds)
}

/// The request's id: the client's `X-Request-Id` when it is sane (1 to 128 visible ASCII
/// characters), or else a new one, which replaces it in the request.
fn assign_id(headers: &mut HeaderMap) -> HeaderValue {
    if let Some(id) = headers.get(&X_REQUEST_ID).filter(|id| is_sane(id)) {
        return id.clone();
    }
    let id = new_id();
    headers.insert(X_REQUEST_ID, id.clone());
    id
}

fn is_sane(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_ID_LEN && bytes.iter().all(u8::is_ascii_graphic)
}

/// `<process prefix>-<counter>`, e.g. `3f9c02ab-17`: unique across restarts and nodes in
/// practice (a random 32-bit prefix per process), and cheap (no randomness per request).
fn new_id() -> HeaderValue {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| format!("{:08x}", rand::random::<u32>()));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // 8 hex digits, a dash and at most 20 digits: no allocation but the header's own.
    let mut buf = [0u8; 32];
    let len = {
        let mut rest = &mut buf[..];
        let _ = write!(rest, "{prefix}-{n}");
        32 - rest.len()
    };
    HeaderValue::from_bytes(&buf[..len]).unwrap_or(HeaderValue::from_static("0"))
}

fn route_of<B>(req: &Request<B>) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
}

/// Makes the DEBUG `request` span: method, matched route (never the raw path or query) and
/// request id; status and latency are recorded when the answer is ready.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &Request<B>) -> Span {
        let id = req.headers().get(&X_REQUEST_ID);
        tracing::debug_span!(
            "request",
            http.method = %req.method(),
            http.route = route_of(req),
            http.request_id = id.and_then(|v| v.to_str().ok()).unwrap_or(""),
            http.status = Empty,
            http.latency_ms = Empty,
        )
    }
}

/// Records status and latency (to the response's head: a stream's body runs on) in the span,
/// and writes the DEBUG `request.answered` line, which shows them with the span's fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct Answered;

impl<B> OnResponse<B> for Answered {
    fn on_response(self, response: &Response<B>, latency: Duration, span: &Span) {
        let status = response.status().as_u16();
        let latency_ms = latency.as_micros() as f64 / 1000.0;
        span.record("http.status", status);
        span.record("http.latency_ms", latency_ms);
        tracing::debug!(parent: span, "request.answered");
    }
}

/// The outer layer of the request log: ids, and the one ERROR line per 5xx.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestIds;

impl<S> Layer<S> for RequestIds {
    type Service = WithRequestId<S>;

    fn layer(&self, inner: S) -> WithRequestId<S> {
        WithRequestId { inner }
    }
}

/// A service whose requests and answers carry `X-Request-Id`.
#[derive(Clone, Debug)]
pub struct WithRequestId<S> {
    inner: S,
}

/// What the failure line needs of the request, which the inner service consumes.
struct Label {
    id: HeaderValue,
    method: Method,
    route: Option<MatchedPath>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for WithRequestId<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Answer<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let label = Label {
            id: assign_id(req.headers_mut()),
            method: req.method().clone(),
            route: req.extensions().get::<MatchedPath>().cloned(),
        };
        Answer {
            inner: self.inner.call(req),
            label: Some(label),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a [`WithRequestId`] service: the inner answer with the id added.
    pub struct Answer<F> {
        #[pin]
        inner: F,
        label: Option<Label>,
    }
}

impl<F, B, E> Future for Answer<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(label) = this.label.take() {
            if response.status().is_server_error() {
                log_failure(&label, &response);
            }
            response.headers_mut().insert(X_REQUEST_ID, label.id);
        }
        Poll::Ready(Ok(response))
    }
}

/// The one line a 5xx gets: `request.failed` with the request's fields and the error chain
/// (absent when the answer carries no [`Failure`]).
fn log_failure<B>(label: &Label, response: &Response<B>) {
    let failure = response.extensions().get::<Failure>();
    tracing::error!(
        http.method = %label.method,
        http.route = label.route.as_ref().map_or("unmatched", MatchedPath::as_str),
        http.status = response.status().as_u16(),
        http.request_id = label.id.to_str().unwrap_or(""),
        error.chain = failure.map(Failure::chain),
        "request.failed"
    );
}

#[cfg(test)]
mod tests {
    use std::error::Error;
    use std::fmt;

    use super::*;
    use crate::error::cause_chain;

    #[derive(Debug)]
    struct Layered(&'static str, Option<Box<Layered>>);

    impl fmt::Display for Layered {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Layered {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn Error + 'static))
        }
    }

    #[test]
    fn the_chain_follows_every_source() {
        let e = Layered(
            "Internal server error",
            Some(Box::new(Layered(
                "store backend",
                Some(Box::new(Layered("no such table: flows", None))),
            ))),
        );
        assert_eq!(
            cause_chain(&e),
            "Internal server error: store backend: no such table: flows"
        );
    }

    #[test]
    fn sane_ids_are_kept_and_others_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("abc-123_X.y"));
        assert_eq!(assign_id(&mut headers), "abc-123_X.y");
        for insane in ["", "has space", "tab\there", &"x".repeat(MAX_ID_LEN + 1)] {
            let mut headers = HeaderMap::new();
            headers.insert(X_REQUEST_ID, HeaderValue::from_str(insane).unwrap());
            let id = assign_id(&mut headers);
            assert_ne!(id, insane);
            assert_eq!(
                headers.get(X_REQUEST_ID),
                Some(&id),
                "the request carries it"
            );
        }
        let long = "y".repeat(MAX_ID_LEN);
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_str(&long).unwrap());
        assert_eq!(assign_id(&mut headers), long.as_str());
    }

    #[test]
    fn new_ids_share_the_prefix_and_differ() {
        let (a, b) = (new_id(), new_id());
        let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.split_once('-').unwrap().0, b.split_once('-').unwrap().0);
        assert_eq!(a.split_once('-').unwrap().0.len(), 8);
    }

    #[test]
    fn only_server_errors_carry_a_failure() {
        let mut ok = Response::new(());
        Failure::attach(&mut ok, Layered("x", None));
        assert!(ok.extensions().get::<Failure>().is_none());
        let mut failed = Response::new(());
        *failed.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        Failure::attach(&mut failed, Layered("x", None));
        assert!(failed.extensions().get::<Failure>().is_some());
    }
}
