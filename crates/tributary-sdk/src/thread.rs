//! Typed team inbox messages: a [`Thread`] builder (title, body, link, status, fields and
//! actions) and the two messages integrations post into a thread, [`Activity`] and
//! [`Discussion`] (flowdock/api-docs docs/message-types.md, flowdock/api-docs docs/threads.md, flowdock/api-docs docs/thread-actions.md).
//!
//! ```
//! use tributary_sdk::thread::{Action, Activity, Author, StatusColor, Thread};
//!
//! let thread = Thread::new("Lunch on Friday?")
//!     .body("<p>Where shall we go?</p>")
//!     .external_url("https://polls.example/polls/1")
//!     .status(StatusColor::Green, "open")
//!     .field("Pizza", "2")
//!     .field("Sushi", "1")
//!     .action(Action::view("Open poll", "https://polls.example/polls/1"))
//!     .action(Action::update("Vote: Pizza", "https://polls.example/polls/1/vote/0"));
//! let activity = Activity::new("polldock:poll:1", Author::new("Ann"), "created a poll", thread);
//!
//! let message = activity.to_message();
//! assert_eq!(message.event, "activity");
//! assert_eq!(message.external_thread_id.as_deref(), Some("polldock:poll:1"));
//! let update = message.thread.unwrap();
//! assert_eq!(update.status.unwrap().color, "green");
//! assert_eq!(update.actions.unwrap()[1]["target"]["urlTemplate"], "https://polls.example/polls/1/vote/0");
//! ```

use serde_json::{json, Value};
use tributary_types::{PostMessage, ThreadField, ThreadStatus, ThreadUpdate};

pub use tributary_types::Author;

/// The ten colours a thread's status badge may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusColor {
    /// Red.
    Red,
    /// Green.
    Green,
    /// Yellow.
    Yellow,
    /// Cyan.
    Cyan,
    /// Orange.
    Orange,
    /// Grey.
    Grey,
    /// Black.
    Black,
    /// Lime.
    Lime,
    /// Purple.
    Purple,
    /// Blue.
    Blue,
}

impl StatusColor {
    /// Every colour.
    pub const ALL: [StatusColor; 10] = [
        StatusColor::Red,
        StatusColor::Green,
        StatusColor::Yellow,
        StatusColor::Cyan,
        StatusColor::Orange,
        StatusColor::Grey,
        StatusColor::Black,
        StatusColor::Lime,
        StatusColor::Purple,
        StatusColor::Blue,
    ];

    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusColor::Red => "red",
            StatusColor::Green => "green",
            StatusColor::Yellow => "yellow",
            StatusColor::Cyan => "cyan",
            StatusColor::Orange => "orange",
            StatusColor::Grey => "grey",
            StatusColor::Black => "black",
            StatusColor::Lime => "lime",
            StatusColor::Purple => "purple",
            StatusColor::Blue => "blue",
        }
    }
}

/// A thread action (schema.org): a link, or a request the server makes when a user clicks.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A link shown with the thread.
    View {
        /// The link's text.
        name: String,
        /// Where the link goes.
        url: String,
        /// A longer text shown with the link, when set.
        description: Option<String>,
    },
    /// A button; the server sends the signed request to `url` (see [`crate::actions`]).
    Update {
        /// The button's label.
        name: String,
        /// Where the server sends the signed request.
        url: String,
        /// The request's HTTP method (`POST` from [`Action::update`]).
        method: String,
    },
}

impl Action {
    /// A link named `name` to `url`.
    pub fn view(name: impl Into<String>, url: impl Into<String>) -> Action {
        Action::View {
            name: name.into(),
            url: url.into(),
            description: None,
        }
    }

    /// A button that POSTs to `url`.
    pub fn update(name: impl Into<String>, url: impl Into<String>) -> Action {
        Action::Update {
            name: name.into(),
            url: url.into(),
            method: "POST".into(),
        }
    }

    /// The JSON the API stores, in the schema.org shape of flowdock/api-docs docs/thread-actions.md.
    pub fn to_json(&self) -> Value {
        match self {
            Action::View {
                name,
                url,
                description,
            } => {
                let mut v = json!({"@type": "ViewAction", "name": name, "url": url});
                if let Some(d) = description {
                    v["description"] = json!(d);
                }
                v
            }
            Action::Update { name, url, method } => json!({
                "@type": "UpdateAction",
                "name": name,
                "target": {"@type": "EntryPoint", "urlTemplate": url, "httpMethod": method},
            }),
        }
    }
}

/// The state of a thread, as an integration describes it with each message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Thread {
    title: String,
    body: Option<String>,
    external_url: Option<String>,
    status: Option<(StatusColor, String)>,
    fields: Option<Vec<(String, String)>>,
    actions: Option<Vec<Action>>,
}

impl Thread {
    /// A thread titled `title`, with nothing else set.
    pub fn new(title: impl Into<String>) -> Thread {
        Thread {
            title: title.into(),
            ..Thread::default()
        }
    }

    /// HTML; the server keeps the team inbox's allowlist of tags.
    pub fn body(mut self, html: impl Into<String>) -> Thread {
        self.body = Some(html.into());
        self
    }

    /// The item's own page in the external service, linked from the thread's title.
    pub fn external_url(mut self, url: impl Into<String>) -> Thread {
        self.external_url = Some(url.into());
        self
    }

    /// The status badge: a colour and a short text such as `open`.
    pub fn status(mut self, color: StatusColor, value: impl Into<String>) -> Thread {
        self.status = Some((color, value.into()));
        self
    }

    /// Adds one row to the fields table. Fields replace the stored ones as a whole.
    pub fn field(mut self, label: impl Into<String>, value: impl Into<String>) -> Thread {
        self.fields
            .get_or_insert_with(Vec::new)
            .push((label.into(), value.into()));
        self
    }

    /// Adds one action. Actions replace the stored ones as a whole.
    pub fn action(mut self, action: Action) -> Thread {
        self.actions.get_or_insert_with(Vec::new).push(action);
        self
    }

    /// The `thread` object of a post.
    pub fn to_update(&self) -> ThreadUpdate {
        ThreadUpdate {
            title: Some(self.title.clone()),
            body: self.body.clone(),
            external_url: self.external_url.clone(),
            status: self.status.as_ref().map(|(c, v)| ThreadStatus {
                color: c.as_str().to_owned(),
                value: v.clone(),
            }),
            fields: self.fields.as_ref().map(|f| {
                f.iter()
                    .map(|(label, value)| ThreadField {
                        label: label.clone(),
                        value: value.clone(),
                    })
                    .collect()
            }),
            actions: self
                .actions
                .as_ref()
                .map(|a| a.iter().map(Action::to_json).collect()),
        }
    }
}

/// Something that happened to the external item: "opened the pull request", "voted".
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// The integration's own id of the item: every message with it lands in one thread.
    pub external_thread_id: String,
    /// Who did it, in the external service.
    pub author: Author,
    /// What happened, shown as the activity's text.
    pub title: String,
    /// The thread's state after this activity.
    pub thread: Thread,
    /// Tags of the message.
    pub tags: Vec<String>,
}

impl Activity {
    /// An activity in the thread `external_thread_id`, without tags.
    pub fn new(
        external_thread_id: impl Into<String>,
        author: Author,
        title: impl Into<String>,
        thread: Thread,
    ) -> Activity {
        Activity {
            external_thread_id: external_thread_id.into(),
            author,
            title: title.into(),
            thread,
            tags: Vec::new(),
        }
    }

    /// The message to post (`event: "activity"`), e.g. with [`crate::Integration::post`].
    pub fn to_message(&self) -> PostMessage {
        PostMessage {
            event: "activity".into(),
            external_thread_id: Some(self.external_thread_id.clone()),
            author: Some(self.author.clone()),
            title: Some(self.title.clone()),
            thread: Some(self.thread.to_update()),
            tags: self.tags.clone(),
            ..PostMessage::default()
        }
    }
}

/// A comment made in the external service, shown as part of the thread's discussion.
#[derive(Debug, Clone, PartialEq)]
pub struct Discussion {
    /// The integration's own id of the item: every message with it lands in one thread.
    pub external_thread_id: String,
    /// Who commented, in the external service.
    pub author: Author,
    /// What happened ("commented").
    pub title: String,
    /// The comment itself, HTML.
    pub body: String,
    /// The thread's state after this comment.
    pub thread: Thread,
    /// Tags of the message.
    pub tags: Vec<String>,
}

impl Discussion {
    /// A discussion message in the thread `external_thread_id`, without tags.
    pub fn new(
        external_thread_id: impl Into<String>,
        author: Author,
        title: impl Into<String>,
        body: impl Into<String>,
        thread: Thread,
    ) -> Discussion {
        Discussion {
            external_thread_id: external_thread_id.into(),
            author,
            title: title.into(),
            body: body.into(),
            thread,
            tags: Vec::new(),
        }
    }

    /// The message to post (`event: "discussion"`), e.g. with [`crate::Integration::post`].
    pub fn to_message(&self) -> PostMessage {
        PostMessage {
            event: "discussion".into(),
            external_thread_id: Some(self.external_thread_id.clone()),
            author: Some(self.author.clone()),
            title: Some(self.title.clone()),
            body: Some(self.body.clone()),
            thread: Some(self.thread.to_update()),
            tags: self.tags.clone(),
            ..PostMessage::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_the_apis_ten() {
        let names: Vec<&str> = StatusColor::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names, tributary_types::THREAD_STATUS_COLORS);
    }

    #[test]
    fn a_discussion_carries_its_comment_and_thread() {
        let d = Discussion::new(
            "polldock:poll:3",
            Author::new("Bob").avatar("https://a.example/b.png"),
            "commented",
            "<p>Sushi!</p>",
            Thread::new("Lunch?").status(StatusColor::Red, "closed"),
        )
        .to_message();
        assert_eq!(d.event, "discussion");
        assert_eq!(d.body.as_deref(), Some("<p>Sushi!</p>"));
        assert_eq!(
            d.author.unwrap().avatar.as_deref(),
            Some("https://a.example/b.png")
        );
        let t = d.thread.unwrap();
        assert_eq!(t.title.as_deref(), Some("Lunch?"));
        assert_eq!(t.fields, None, "fields left out keep the stored ones");
    }
}
