//! The ceiling: the least a server can do with a post. One axum route, `POST /messages`,
//! that parses the body into the same wire type the server uses ([`PostMessage`]) and answers
//! `202 {}`, on the same kind of Tokio runtime and the same allocator as `tributary serve`.
//! No auth, no storage, no fan-out: what is left is HTTP/1.1 keep-alive handling and JSON
//! parsing on this machine.

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tributary_types::PostMessage;

/// `POST /messages`: parse, then 202 `{}` (400 when the body is not a post).
async fn post_message(body: Bytes) -> Response {
    match serde_json::from_slice::<PostMessage>(&body) {
        Ok(p) => {
            std::hint::black_box(&p);
            (
                StatusCode::ACCEPTED,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                "{}",
            )
                .into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

pub fn router() -> Router {
    Router::new()
        .route("/messages", post(post_message))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
}

/// `bench-ceiling --listen ADDR`: serves until killed.
pub fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let mut listen = "127.0.0.1:8090".to_owned();
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            _ => {
                eprintln!("usage: bench-ceiling [--listen 127.0.0.1:8090]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    // The same runtime `tributary serve` builds: multi-threaded, one worker per core.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot listen on {listen}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        match axum::serve(listener, router()).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                std::process::ExitCode::FAILURE
            }
        }
    })
}
