//! Chat messages and status updates: text `content`, said by a person in the flow.

use serde_json::Value;

use super::common::{text_content, Draft};
use crate::error::{err, FieldErrors};

/// `message`: chat text, in the thread the post names or in one of its own.
pub(super) fn message(d: &mut Draft<'_>, errors: &mut FieldErrors) {
    text(d, errors);
    d.thread = d.named_or_new_thread();
}

/// `status`: a user's status line. It is not threaded, and an integration has none.
pub(super) fn status(d: &mut Draft<'_>, errors: &mut FieldErrors) {
    if d.is_source() {
        err(errors, "event", "status updates need a user");
    }
    text(d, errors);
}

/// The text `content`, which is also what search indexes and tags are read from.
fn text(d: &mut Draft<'_>, errors: &mut FieldErrors) {
    let content = text_content(errors, &d.input.params.content);
    d.message.content = content.clone().map(Value::String).unwrap_or(Value::Null);
    d.search_text = content.clone().unwrap_or_default();
    d.tagged_text = content;
}
