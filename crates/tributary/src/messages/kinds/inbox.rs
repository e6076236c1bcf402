//! Team inbox items, `activity` and `discussion`: an integration's news about a thread
//! outside the flow, with a title, an optional body, an author and attachments.

use serde_json::{json, Value};
use tributary_types::Author;

use super::common::Draft;
use crate::error::{err, limited, FieldErrors};
use crate::messages::input::unflatten;
use crate::messages::sanitize;
use crate::messages::thread_input::{MAX_BODY_CHARS, MAX_TITLE_CHARS};
use crate::store::ThreadRef;

const MAX_NAME_CHARS: usize = 255;

/// `activity` and `discussion`.
pub(super) fn parse(d: &mut Draft<'_>, errors: &mut FieldErrors) {
    let params = &d.input.params;
    let title = match params.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => {
            limited(errors, "title", t, MAX_TITLE_CHARS).then(|| sanitize::inline(t))
        }
        _ => {
            err(errors, "title", "is required");
            None
        }
    };
    let body = params
        .body
        .as_deref()
        .and_then(|b| limited(errors, "body", b, MAX_BODY_CHARS).then(|| sanitize::body(b)));
    d.message.author = author(errors, &params.author);
    d.thread = thread(d, errors);
    d.search_text = format!(
        "{} {} {}",
        title.as_deref().unwrap_or(""),
        body.as_deref().unwrap_or(""),
        d.update
            .as_ref()
            .and_then(|u| u.title.as_deref())
            .unwrap_or("")
    );
    d.message.title = title;
    d.message.body = body;
    if !d.files.is_empty() {
        d.message.attachments = d.attachments();
        d.message.tags.push(":file".to_owned());
    }
}

/// An inbox item belongs to a thread: an existing one, the source's thread by its
/// `external_thread_id` (which needs a `thread.title` should it be new), or, for server
/// posts that ask for it, one of its own. Without a title the item can only join the
/// source's thread: whether that exists the store knows, at the moment it writes, and
/// [`crate::messages::post`] answers a new one with the missing `thread.title`.
fn thread(d: &mut Draft<'_>, errors: &mut FieldErrors) -> ThreadRef {
    match d.named_thread.take() {
        Some(ThreadRef::External(nt)) => match &d.update {
            // Presence counts, not what is left after sanitising.
            Some(u) if u.title.is_some() => ThreadRef::External(nt),
            _ => ThreadRef::Join(nt),
        },
        Some(t) => t,
        None if d.input.params.new_thread => ThreadRef::Start(d.new_thread(None)),
        None => {
            err(
                errors,
                "thread_id",
                "thread_id or external_thread_id is required",
            );
            ThreadRef::None
        }
    }
}

/// The `author` object: a name, and optionally an avatar URL and an email.
fn author(errors: &mut FieldErrors, v: &Value) -> Option<Author> {
    let v = unflatten(&json!({ "author": v }))["author"].clone();
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("");
    if name.is_empty() {
        err(errors, "author.name", "is required");
        return None;
    }
    limited(errors, "author.name", name, MAX_NAME_CHARS);
    let avatar = v
        .get("avatar")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .and_then(|a| crate::urls::check_web(errors, "author.avatar", a));
    let email = v
        .get("email")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    if let Some(e) = email {
        limited(errors, "author.email", e, MAX_NAME_CHARS);
    }
    Some(Author {
        name: name.to_owned(),
        avatar,
        email: email.map(str::to_owned),
    })
}
