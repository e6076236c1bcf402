//! The gate in front of a large body. A post may read up to `max_body_bytes` of body as it
//! comes; to read on, the request must first say who posts, from outside the body: the
//! Authorization header, `access_token` or `flow_token` in the query (and, for multipart, a
//! `flow_token` field within those first bytes). Then it waits for an upload permit. So an
//! unauthenticated request never costs more than the plain body limit, and uploads run a
//! bounded number at a time.
//!
//! The poster resolved here goes to the handler with the body, so a post is authenticated
//! once, and small posts (the hot path) never pass the gate at all.

use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use futures_util::{Stream, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::{Notify, OwnedSemaphorePermit};

use crate::auth::poster::{poster, Poster};
use crate::auth::{self, CallerSlot};
use crate::error::{ApiError, ApiResult};
use crate::input::Params;
use crate::state::AppState;

/// What passing the gate gave: who posts, and the permit held until the post is answered.
#[derive(Debug)]
pub(super) struct Passed {
    pub poster: Poster,
    pub permit: OwnedSemaphorePermit,
    /// The `flow_token` the poster was resolved from, if it was one.
    flow_token: Option<String>,
}

pub(super) struct Gate<'a> {
    state: &'a AppState,
    parts: &'a Parts,
    /// The `flow_token` parameter as known so far: the query's, then a multipart field's.
    flow_token: Mutex<Option<Value>>,
    passed: OnceLock<Passed>,
    /// Why the gate stayed shut, for the reader of a body that it cut off.
    refusal: Mutex<Option<ApiError>>,
    shut: OnceLock<()>,
    /// A [`gated`] body waits at the limit: the reader must decide.
    parked: Notify,
    /// The reader has decided (the gate is open, or shut).
    decided: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a> Gate<'a> {
    /// `params` holds the query's parameters.
    pub(super) fn new(state: &'a AppState, parts: &'a Parts, params: &Map<String, Value>) -> Self {
        Gate {
            state,
            parts,
            flow_token: Mutex::new(params.get("flow_token").cloned()),
            passed: OnceLock::new(),
            refusal: Mutex::new(None),
            shut: OnceLock::new(),
            parked: Notify::new(),
            decided: Notify::new(),
        }
    }

    /// The body's declared length (`Content-Length`) is over the plain limit: it cannot end
    /// within it, so the gate may decide before any of it is read.
    pub(super) fn declared_too_long(&self) -> bool {
        self.parts
            .headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > self.state.files.max_body_bytes as u64)
    }

    /// A multipart `flow_token` field was read: from now on it is the credential.
    pub(super) fn note_flow_token(&self, params: &Map<String, Value>) {
        *lock(&self.flow_token) = params.get("flow_token").cloned();
    }

    /// The body has gone past `max_body_bytes`: authenticate with what is known so far, then
    /// wait for an upload permit. Every later call is free.
    pub(super) async fn open(&self) -> ApiResult<()> {
        if self.passed.get().is_some() {
            return Ok(());
        }
        let flow_token = lock(&self.flow_token).clone();
        let (headers, query) = (&self.parts.headers, self.parts.uri.query());
        if flow_token.is_none() && auth::credential(headers, query).is_none() {
            return Err(ApiError::Unauthorized(format!(
                "Authentication required: a body larger than {} bytes must carry its \
                 credential outside the body (the Authorization header, or access_token or \
                 flow_token in the query)",
                self.state.files.max_body_bytes
            )));
        }
        // `poster` looks at the flow_token only; the body's other fields are not its business.
        let known = Params(
            flow_token
                .iter()
                .map(|t| ("flow_token".to_owned(), t.clone()))
                .collect(),
        );
        let slot = self.parts.extensions.get::<CallerSlot>();
        let poster = poster(self.state, headers, &self.parts.uri, &known, slot).await?;
        let permit = self.state.files.upload_permit().await?;
        let flow_token = flow_token
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_owned);
        let _ = self.passed.set(Passed {
            poster,
            permit,
            flow_token,
        });
        Ok(())
    }

    /// Opens the gate for a parked [`gated`] body, or shuts it for good.
    async fn decide(&self) {
        if self.passed.get().is_none() && self.shut.get().is_none() {
            if let Err(e) = self.open().await {
                *lock(&self.refusal) = Some(e);
                let _ = self.shut.set(());
            }
        }
        self.decided.notify_one();
    }

    /// Why a [`gated`] body was cut off, if the gate cut it.
    pub(super) fn refusal(&self) -> Option<ApiError> {
        lock(&self.refusal).take()
    }

    /// What the gate let through, once the whole body is read. A `flow_token` in the body
    /// other than the one the gate authenticated with is refused: a large body is posted
    /// with the credential outside it, and only that one.
    pub(super) fn finish(self, params: &Map<String, Value>) -> ApiResult<Option<Passed>> {
        let Some(passed) = self.passed.into_inner() else {
            return Ok(None);
        };
        let in_body = params.get("flow_token").and_then(Value::as_str);
        if params.contains_key("flow_token") && in_body != passed.flow_token.as_deref() {
            return Err(ApiError::Unauthorized(
                "A large body is posted with the credential outside it; its flow_token field \
                 does not match"
                    .into(),
            ));
        }
        Ok(Some(passed))
    }
}

/// The body as a stream that yields its first `max_body_bytes` freely and the rest only once
/// the gate is open. At the limit it waits for its reader's [`pull`] to decide, because the
/// reader (multer) pulls ahead of the fields it has handed out: the fields before the limit
/// are read first, and a `flow_token` among them counts. When the gate stays shut the stream
/// ends in an error, and [`Gate::refusal`] says why.
pub(super) fn gated<'g>(
    gate: &'g Gate<'_>,
    body: Body,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'g {
    let limit = gate.state.files.max_body_bytes;
    let start = (body.into_data_stream(), 0usize, None::<Bytes>, false);
    futures_util::stream::unfold(
        start,
        move |(mut body, yielded, pending, done)| async move {
            if done {
                return None;
            }
            let chunk = match pending {
                Some(c) => c,
                None => match body.next().await? {
                    Ok(c) => c,
                    Err(e) => {
                        return Some((Err(std::io::Error::other(e)), (body, yielded, None, true)))
                    }
                },
            };
            if yielded + chunk.len() > limit && yielded < limit && gate.passed.get().is_none() {
                // Up to the limit first: the fields in it may hold the credential.
                let head = chunk.slice(..limit - yielded);
                let rest = chunk.slice(limit - yielded..);
                return Some((Ok(head), (body, limit, Some(rest), false)));
            }
            while yielded + chunk.len() > limit && gate.passed.get().is_none() {
                if gate.shut.get().is_some() {
                    let shut = std::io::Error::other("the upload gate is shut");
                    return Some((Err(shut), (body, yielded, None, true)));
                }
                gate.parked.notify_one();
                gate.decided.notified().await;
            }
            Some((
                Ok(chunk.clone()),
                (body, yielded + chunk.len(), None, false),
            ))
        },
    )
}

/// Awaits `step` of the reader of a [`gated`] body. When the reader is stuck because the body
/// waits at the limit, the gate decides with what the reader has seen by then.
pub(super) async fn pull<T>(gate: &Gate<'_>, step: impl Future<Output = T>) -> T {
    let mut step = pin!(step);
    loop {
        tokio::select! {
            biased;
            out = &mut step => return out,
            () = gate.parked.notified() => gate.decide().await,
        }
    }
}
