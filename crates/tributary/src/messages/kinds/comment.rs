//! Comments: text on a parent message of the same flow (an inbox item or chat), shown with
//! the parent's title, tagged `influx:<parent id>` and put in the parent's thread.

use serde_json::json;
use tributary_types::Message;

use super::common::{text_content, Draft};
use super::EventKind;
use crate::error::{err, ApiError, ApiResult, FieldErrors};
use crate::store::{content_text, DynStore, ThreadRef};

/// `comment`. Without a parent there is nothing to look up, so the errors so far answer
/// at once; a parent that does not exist answers 404 before any field error.
pub(super) async fn parse(
    d: &mut Draft<'_>,
    store: &DynStore,
    errors: &mut FieldErrors,
) -> ApiResult<()> {
    let text = text_content(errors, &d.input.params.content);
    let Some(parent_id) = d.input.parent() else {
        err(errors, "message", "is required");
        return Err(ApiError::Validation(std::mem::take(errors)));
    };
    let parent = store
        .message_by_id(&d.flow.id, parent_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Parent message not found".into()))?;
    if parent.event == EventKind::Comment.as_str() {
        err(
            errors,
            "message",
            "can't be a comment; comment on its parent",
        );
    }
    let parsed = parent
        .parse()
        .map_err(|e| ApiError::internal(format!("stored message {}: {e}", parent.id)))?;
    d.message.content =
        json!({"title": parent_title(&parsed), "text": text.clone().unwrap_or_default()});
    d.message.tags.push(format!("influx:{}", parent.id));
    d.parent_id = Some(parent.id);
    d.tagged_text = text.clone();
    d.thread = match parent.thread_id {
        Some(t) => ThreadRef::Existing(t),
        None => ThreadRef::None,
    };
    d.search_text = text.unwrap_or_default();
    Ok(())
}

/// The title a comment shows for its parent: the inbox item's title, else its thread's,
/// else the chat text it answers.
fn parent_title(parent: &Message) -> String {
    parent
        .title
        .clone()
        .or_else(|| parent.thread.as_ref().and_then(|t| t.title.clone()))
        .unwrap_or_else(|| content_text(&parent.content).to_owned())
}
