//! The one serialisation of each message: the fields only the store fills, the JSON written
//! once per message, and the splice that appends the thread's current state on the way out.

use std::sync::Arc;

use serde_json::Value;
use tributary_types::Message;

/// RFC 3339 with milliseconds, as Flowdock's `created_at`.
pub fn iso8601(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Fills the fields only the store knows and serialises the message once, without `thread`.
pub fn finish_message(m: &mut Message, flow_id: &str, id: i64, now: i64) -> String {
    m.id = id;
    m.flow = flow_id.to_owned();
    m.sent = now;
    m.created_at = iso8601(now);
    m.thread = None;
    serialise(m)
}

pub fn serialise<T: serde::Serialize>(v: &T) -> String {
    // Serialising plain structs and `Value`s cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

/// The message JSON with its thread's current state appended as `thread`.
pub fn splice(own: &str, thread: Option<&str>) -> Arc<str> {
    match (thread, own.strip_suffix('}')) {
        (Some(t), Some(head)) => {
            let mut s = String::with_capacity(own.len() + t.len() + 11);
            s.push_str(head);
            s.push_str(",\"thread\":");
            s.push_str(t);
            s.push('}');
            s.into()
        }
        _ => own.into(),
    }
}

/// The user id as a message carries it: `"0"` for integrations.
pub fn user_string(user_id: Option<i64>) -> String {
    user_id
        .map(|id| id.to_string())
        .unwrap_or_else(|| "0".into())
}

/// The content of a `Value` that is a string, or the `text` of a comment's object.
pub fn content_text(content: &Value) -> &str {
    match content {
        Value::String(s) => s,
        Value::Object(o) => o.get("text").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_the_thread_into_the_message() {
        assert_eq!(
            &*splice(r#"{"id":1}"#, Some(r#"{"id":"t"}"#)),
            r#"{"id":1,"thread":{"id":"t"}}"#
        );
        assert_eq!(&*splice(r#"{"id":1}"#, None), r#"{"id":1}"#);
    }

    #[test]
    fn formats_milliseconds_as_iso8601() {
        assert_eq!(iso8601(1385546251160), "2013-11-27T09:57:31.160Z");
    }
}
