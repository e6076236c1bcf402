//! File messages: exactly one uploaded file, which is the content too
//! (flowdock/api-docs docs/message-types.md), tagged `:file`. `files::attach::check` has
//! counted the files already.

use super::common::Draft;

/// `file`: the one file as the message's attachment and content.
pub(super) fn parse(d: &mut Draft<'_>) {
    d.message.attachments = d.attachments();
    d.message.content = d.message.attachments.first().cloned().unwrap_or_default();
    d.message.tags.push(":file".to_owned());
    d.thread = d.named_or_new_thread();
    let names: Vec<&str> = d.files.iter().map(|f| f.file_name.as_str()).collect();
    d.search_text = names.join(" ");
}
