//! The kinds of event a client may post. On the wire and in the store an event stays the
//! string Flowdock uses (`Message.event`); inside the server it is an [`EventKind`].

use std::fmt;
use std::str::FromStr;

/// An event a client may post (flowdock/api-docs docs/message-types.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A chat message.
    Message,
    /// A user's status line; not threaded.
    Status,
    /// A comment on an inbox item or a chat message.
    Comment,
    /// A file, shown in chat.
    File,
    /// An integration's update about something outside the flow.
    Activity,
    /// A comment made outside the flow, on something an integration follows.
    Discussion,
}

/// An `event` that is not one a client may post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownEvent;

impl EventKind {
    /// Every kind, in the order the "must be one of" error lists them.
    pub const ALL: [EventKind; 6] = [
        EventKind::Message,
        EventKind::Status,
        EventKind::Comment,
        EventKind::File,
        EventKind::Activity,
        EventKind::Discussion,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Status => "status",
            EventKind::Comment => "comment",
            EventKind::File => "file",
            EventKind::Activity => "activity",
            EventKind::Discussion => "discussion",
        }
    }

    /// Chat is said in the flow; activity and discussion are team inbox items about a thread
    /// outside it.
    pub fn is_chat(self) -> bool {
        !matches!(self, EventKind::Activity | EventKind::Discussion)
    }
}

impl FromStr for EventKind {
    type Err = UnknownEvent;

    fn from_str(s: &str) -> Result<EventKind, UnknownEvent> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownEvent)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn only_postable_events_parse() {
        for name in [
            "action",
            "tag-change",
            "message-edit",
            "Message",
            " message",
            "",
        ] {
            assert_eq!(name.parse::<EventKind>(), Err(UnknownEvent), "{name:?}");
        }
    }
}
