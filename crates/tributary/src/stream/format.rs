//! The bytes of the two stream formats, exactly as existing clients parse them.
//!
//! JSON stream (the default): each event is one JSON object followed by `\r\n`; the keep-alive
//! is a bare `\n` (a lone `\r\n` crashes node-flowdock's parser). Event-Stream: each event is
//! `id: <cursor>\ndata: <json>\n\n` with no `retry:` field (clients choose their own backoff),
//! and the keep-alive is a `:` comment.

use bytes::{BufMut, Bytes, BytesMut};

use crate::bus::Event;
use crate::state::revocation::Ending;

/// Why a stream carries a `gap` notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// The resume cursor could not be read.
    InvalidCursor,
    /// The cursor names events this server never stored (or no longer keeps).
    UnknownCursor,
    /// The client fell further behind than the server buffers; it must resume.
    SlowConsumer,
}

impl Gap {
    fn reason(self) -> &'static str {
        match self {
            Gap::InvalidCursor => "invalid_cursor",
            Gap::UnknownCursor => "unknown_cursor",
            Gap::SlowConsumer => "slow_consumer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    EventStream,
}

impl Format {
    /// Picks the format from `?accept=` (which wins, for clients that cannot set headers) or
    /// the `Accept` header; JSON when neither asks for `text/event-stream`.
    pub fn negotiate(accept_param: Option<&str>, accept_header: Option<&str>) -> Format {
        let wanted = accept_param.or(accept_header).unwrap_or("");
        if wanted.contains("text/event-stream") {
            Format::EventStream
        } else {
            Format::Json
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::EventStream => "text/event-stream; charset=utf-8",
        }
    }

    /// One event. `json` must be compact JSON (no raw newlines), as serde_json writes it.
    pub fn event(self, cursor: &str, json: &[u8]) -> Bytes {
        let mut out = BytesMut::with_capacity(json.len() + cursor.len() + 16);
        self.put_event(&mut out, || cursor.to_owned(), json);
        out.freeze()
    }

    /// Appends one event to `out`; the cursor is rendered only if the format shows it.
    pub fn put_event(self, out: &mut BytesMut, cursor: impl FnOnce() -> String, json: &[u8]) {
        match self {
            Format::Json => {
                out.put_slice(json);
                out.put_slice(b"\r\n");
            }
            Format::EventStream => {
                out.put_slice(b"id: ");
                out.put_slice(cursor().as_bytes());
                out.put_slice(b"\ndata: ");
                out.put_slice(json);
                out.put_slice(b"\n\n");
            }
        }
    }

    /// A live event's frame. The bus built the bytes once for every subscriber; only a
    /// multi-flow Event-Stream needs its own `id:` line, as its cursor is the stream's own.
    pub fn live_event(
        self,
        event: &Event,
        single_flow: bool,
        cursor: impl FnOnce() -> String,
    ) -> Bytes {
        match self {
            Format::Json => event.json_line(),
            Format::EventStream if single_flow => event.sse_frame(),
            Format::EventStream => {
                let cursor = cursor();
                let data = event.sse_data();
                let mut out = BytesMut::with_capacity(cursor.len() + data.len() + 5);
                out.put_slice(b"id: ");
                out.put_slice(cursor.as_bytes());
                out.put_slice(b"\n");
                out.put_slice(&data);
                out.freeze()
            }
        }
    }

    /// A `gap` notice: events may be missing before `cursor`, from which the client resumes.
    pub fn gap(self, gap: Gap, cursor: &str) -> Bytes {
        let body = serde_json::json!({
            "event": "gap",
            "reason": gap.reason(),
            "cursor": cursor,
            "message": "Events may be missing here: resume from `cursor`, or reload the flow",
        });
        self.control("gap", body.to_string().as_bytes())
    }

    /// The final event of a stream whose access ended: `stream-end` with the reason (and
    /// the flow, when a flow was the cause) in `content`, as Flowdock's events carry their
    /// data, and the cursor to resume from once the client has a valid credential again.
    /// Event-Stream names it `end`.
    pub fn end(self, ending: &Ending, cursor: Option<&str>) -> Bytes {
        let mut content = serde_json::json!({
            "reason": ending.reason.as_str(),
            "message": ending.reason.message(),
        });
        if let Some(flow) = &ending.flow {
            content["flow"] = serde_json::json!(&**flow);
        }
        let mut body = serde_json::json!({"event": "stream-end", "content": content});
        if let Some(cursor) = cursor {
            body["cursor"] = serde_json::json!(cursor);
        }
        self.control("end", body.to_string().as_bytes())
    }

    /// A named control event such as `gap`; in the JSON stream its JSON carries `"event"`.
    pub fn control(self, name: &str, json: &[u8]) -> Bytes {
        match self {
            Format::Json => {
                let mut out = BytesMut::with_capacity(json.len() + 2);
                out.put_slice(json);
                out.put_slice(b"\r\n");
                out.freeze()
            }
            Format::EventStream => {
                let mut out = BytesMut::with_capacity(json.len() + name.len() + 16);
                out.put_slice(b"event: ");
                out.put_slice(name.as_bytes());
                out.put_slice(b"\ndata: ");
                out.put_slice(json);
                out.put_slice(b"\n\n");
                out.freeze()
            }
        }
    }

    pub fn keep_alive(self) -> Bytes {
        match self {
            Format::Json => Bytes::from_static(b"\n"),
            Format::EventStream => Bytes::from_static(b":\n\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_stream_frames_with_crlf_and_bare_newline_keep_alives() {
        let f = Format::Json;
        assert_eq!(&f.event("7", br#"{"id":7}"#)[..], b"{\"id\":7}\r\n");
        assert_eq!(&f.keep_alive()[..], b"\n");
        assert_eq!(
            &f.control("gap", br#"{"event":"gap"}"#)[..],
            b"{\"event\":\"gap\"}\r\n"
        );
    }

    #[test]
    fn event_stream_has_id_and_data_and_never_retry() {
        let f = Format::EventStream;
        let e = f.event("a:7,b:9", br#"{"id":7}"#);
        assert_eq!(&e[..], b"id: a:7,b:9\ndata: {\"id\":7}\n\n");
        assert!(!String::from_utf8_lossy(&e).contains("retry:"));
        assert_eq!(&f.keep_alive()[..], b":\n\n");
        assert_eq!(&f.control("gap", b"{}")[..], b"event: gap\ndata: {}\n\n");
    }

    #[test]
    fn the_final_event_names_its_reason_in_both_formats() {
        use crate::state::revocation::Reason;
        let left = Ending {
            reason: Reason::LeftFlow,
            flow: Some("f1".into()),
        };
        let json = Format::Json.end(&left, Some("7"));
        let text = std::str::from_utf8(&json).unwrap();
        let line = text.strip_suffix("\r\n").expect("one JSON line");
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["event"], "stream-end");
        assert_eq!(v["content"]["reason"], "left_flow");
        assert_eq!(
            (&v["content"]["flow"], &v["cursor"]),
            (&"f1".into(), &"7".into())
        );
        let revoked = Ending {
            reason: Reason::TokenRevoked,
            flow: None,
        };
        let sse = Format::EventStream.end(&revoked, None);
        let text = std::str::from_utf8(&sse).unwrap();
        let data = text.strip_prefix("event: end\ndata: ").unwrap();
        let v: serde_json::Value = serde_json::from_str(data.trim_end()).unwrap();
        assert_eq!(v["content"]["reason"], "token_revoked");
        assert!(v.get("cursor").is_none() && v["content"].get("flow").is_none());
        assert!(text.ends_with("\n\n") && !text.contains("retry:"));
    }

    #[test]
    fn negotiation_prefers_the_query_parameter() {
        assert_eq!(Format::negotiate(None, None), Format::Json);
        assert_eq!(
            Format::negotiate(None, Some("text/event-stream")),
            Format::EventStream
        );
        assert_eq!(
            Format::negotiate(Some("application/json"), Some("text/event-stream")),
            Format::Json
        );
        assert_eq!(
            Format::negotiate(Some("text/event-stream"), Some("*/*")),
            Format::EventStream
        );
    }
}
