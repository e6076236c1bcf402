//! Thread state on the write path, shared by both backends: a new thread's state, who may
//! post into and update a thread, and the counts each message moves.

use base64::Engine;
use rand::RngCore;
use tributary_types::{Message, Thread, ThreadUpdate};

use super::{iso8601, serialise, NewThread, StoreError, StoreResult};

/// A random thread id in Flowdock's form (27 URL-safe characters).
pub fn new_thread_id() -> String {
    let mut buf = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The thread count a message adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    None,
    Activities,
    InternalComments,
    ExternalComments,
}

impl Counter {
    pub fn for_event(event: &str) -> Counter {
        match event {
            "activity" => Counter::Activities,
            "discussion" => Counter::ExternalComments,
            "message" | "comment" | "file" => Counter::InternalComments,
            _ => Counter::None,
        }
    }
}

/// The state of a thread that a post starts.
pub fn new_thread_state(t: &NewThread, now: i64) -> Thread {
    Thread {
        id: t.id.clone(),
        title: None,
        body: None,
        external_url: None,
        status: None,
        actions: Vec::new(),
        fields: Vec::new(),
        source: t.source.clone(),
        activities: 0,
        internal_comments: 0,
        external_comments: 0,
        external_thread_id: t.external_thread_id.clone(),
        created_at: iso8601(now),
        updated_at: iso8601(now),
    }
}

/// Whether the post of `source_id` (`None` for a user) owns `thread`: only the source that
/// started a thread sets its state, because the server signs the thread's UpdateActions with
/// that source's client secret. A user owns no thread, not even a chat thread of their own
/// (it has no source to sign for, and must not look like an integration's).
pub fn owns(thread: &Thread, source_id: Option<i64>) -> bool {
    source_id.is_some() && thread.source.as_ref().map(|s| s.id) == source_id
}

/// Whether a post of `source_id` may join `thread` at all. A source posts into its own
/// threads and into threads no source owns (chat threads); another source's thread is
/// refused, with or without a `thread` object. Users are the flow's members: they may.
pub fn may_join(thread: &Thread, source_id: Option<i64>) -> StoreResult<()> {
    match (&thread.source, source_id) {
        (Some(owner), Some(poster)) if owner.id != poster => Err(StoreError::Forbidden(
            "This thread belongs to another source; a flow_token posts only to its own threads",
        )),
        _ => Ok(()),
    }
}

/// A new message enters its thread: the message's `thread` object updates the state when the
/// poster owns the thread ([`owns`]; anyone else's is ignored), the counts and `updated_at`
/// move, and the message names the thread. Returns the thread's new state as stored.
pub fn enter_thread(
    thread: &mut Thread,
    update: Option<&ThreadUpdate>,
    source_id: Option<i64>,
    m: &mut Message,
    now: i64,
) -> String {
    if let Some(u) = update.filter(|_| owns(thread, source_id)) {
        apply_update(thread, u);
    }
    count(thread, Counter::for_event(&m.event), 1);
    thread.updated_at = iso8601(now);
    m.thread_id = Some(thread.id.clone());
    m.external_thread_id = thread.external_thread_id.clone();
    serialise(&*thread)
}

/// The newest message's `thread` object replaces each field it carries.
pub fn apply_update(thread: &mut Thread, u: &ThreadUpdate) {
    if let Some(v) = &u.title {
        thread.title = Some(v.clone());
    }
    if let Some(v) = &u.body {
        thread.body = Some(v.clone());
    }
    if let Some(v) = &u.external_url {
        thread.external_url = Some(v.clone());
    }
    if let Some(v) = &u.status {
        thread.status = Some(v.clone());
    }
    if let Some(v) = &u.fields {
        thread.fields = v.clone();
    }
    if let Some(v) = &u.actions {
        thread.actions = v.clone();
    }
}

/// Adds (or, with `delta` -1, removes) one message of `counter` kind.
pub fn count(thread: &mut Thread, counter: Counter, delta: i64) {
    match counter {
        Counter::Activities => thread.activities = (thread.activities + delta).max(0),
        Counter::InternalComments => {
            thread.internal_comments = (thread.internal_comments + delta).max(0)
        }
        Counter::ExternalComments => {
            thread.external_comments = (thread.external_comments + delta).max(0)
        }
        Counter::None => {}
    }
}
