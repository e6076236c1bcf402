//! What the flow pages show, built from the REST JSON of messages: avatars, people, times and
//! chat lines (thread cards are `thread_card`). Every string that goes into a template
//! unescaped (`*_html`) is built here or there: chat text through `text::chat_html`,
//! integration HTML cleaned once more by the same ammonia allowlists that sanitised it on the
//! way in (defence in depth: a row written by an older version, or by hand, is still safe to
//! show).

use std::collections::HashMap;

use serde_json::Value;
use tributary_types::Message;

use super::files::{file_views, page_links, FileView};
use super::text::{self, escape, Reader};
use crate::messages::sanitize;
use crate::state::Urls;
use crate::store::{content_text, UserRecord};

/// A picture for a person or an integration: an image URL, or initials on a colour.
#[derive(Debug, Clone)]
pub struct Avatar {
    pub url: Option<String>,
    pub initials: String,
    /// One of eight palette classes, stable per name.
    pub tone: u8,
}

impl Avatar {
    pub fn of(name: &str, url: Option<&str>) -> Avatar {
        let initials: String = name
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .flat_map(char::to_uppercase)
            .collect();
        let tone = name
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31) ^ u32::from(b))
            % 8;
        Avatar {
            url: url
                .filter(|u| sanitize::is_web_url(u) || (u.starts_with('/') && !u.starts_with("//")))
                .map(str::to_owned),
            initials: if initials.is_empty() {
                "?".into()
            } else {
                initials
            },
            tone: tone as u8,
        }
    }
}

impl Avatar {
    /// The avatar as safe HTML. An image carries its initials so that the page script can
    /// swap in the initials when the image does not load (icons are external URLs).
    pub fn html(&self) -> String {
        match &self.url {
            Some(u) => format!(
                "<img class=\"avatar\" src=\"{}\" alt=\"\" loading=\"lazy\" data-initials=\"{}\" data-tone=\"{}\">",
                escape(u),
                escape(&self.initials),
                self.tone
            ),
            None => format!(
                "<span class=\"avatar tone-{}\" aria-hidden=\"true\">{}</span>",
                self.tone,
                escape(&self.initials)
            ),
        }
    }
}

/// A flow member as chat lines show them.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub nick: String,
    pub avatar: Avatar,
}

/// The flow's members by id, and the reader.
pub struct People {
    pub by_id: HashMap<i64, Person>,
    pub nicks: Vec<String>,
    pub me: UserRecord,
}

impl People {
    pub fn new(urls: &Urls, members: &[UserRecord], me: &UserRecord) -> People {
        let default_avatar = |u: &UserRecord| u.avatar.is_empty() || u.avatar == urls.avatar(u.id);
        let by_id = members
            .iter()
            .chain(std::iter::once(me))
            .map(|u| {
                let url = (!default_avatar(u)).then_some(u.avatar.as_str());
                (
                    u.id,
                    Person {
                        name: u.name.clone(),
                        nick: u.nick.clone(),
                        avatar: Avatar::of(&u.name, url),
                    },
                )
            })
            .collect();
        People {
            by_id,
            nicks: members.iter().map(|m| m.nick.clone()).collect(),
            me: me.clone(),
        }
    }

    fn reader(&self) -> Reader<'_> {
        Reader {
            nick: &self.me.nick,
            member_nicks: &self.nicks,
        }
    }

    /// Who wrote `m`: a member, an integration's named user, or the integration itself.
    fn author(&self, m: &Message) -> Person {
        if let Some(p) = m
            .user
            .parse::<i64>()
            .ok()
            .and_then(|id| self.by_id.get(&id))
        {
            return p.clone();
        }
        let source = m.thread.as_ref().and_then(|t| t.source.as_ref());
        let name = m
            .author
            .as_ref()
            .map(|a| a.name.clone())
            .or_else(|| m.external_user_name.clone())
            .or_else(|| source.map(|s| s.name.clone()))
            .unwrap_or_else(|| "Integration".into());
        let avatar = m
            .author
            .as_ref()
            .and_then(|a| a.avatar.clone())
            .or_else(|| source.and_then(|s| s.icon.clone()));
        Person {
            avatar: Avatar::of(&name, avatar.as_deref()),
            nick: String::new(),
            name,
        }
    }
}

/// `<time>` text: the UTC clock time; the page script shows it in the reader's zone.
pub struct When {
    pub iso: String,
    pub label: String,
}

impl When {
    pub fn of(iso: &str) -> When {
        // `2024-05-01T12:34:56.789Z` -> `12:34`
        let label = iso.get(11..16).unwrap_or(iso).to_owned();
        When {
            iso: iso.to_owned(),
            label,
        }
    }
}

/// One line of the chat pane (or one item of a thread view).
pub struct ChatLine {
    pub id: i64,
    pub event: String,
    pub author: Person,
    pub when: When,
    /// The text, escaped and marked up; for inbox items the sanitised title.
    pub html: String,
    /// Inbox items: the sanitised body.
    pub body_html: String,
    /// Comments: what they answer (plain text, escaped by the template).
    pub re: Option<String>,
    pub thread_link: Option<String>,
    pub mentions_me: bool,
    pub edited: bool,
    pub by_integration: bool,
    /// The message's files: a `file` message's upload, an inbox item's attachments.
    pub files: Vec<FileView>,
    /// The private conversation with the author, when the author is another user: the
    /// author's name links there.
    pub private_link: Option<String>,
}

/// The path of a thread's page.
pub fn thread_path(flow_path: &str, thread_id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(thread_id.as_bytes()).collect();
    format!("{flow_path}/threads/{id}")
}

pub fn chat_line(m: &Message, people: &People, flow_path: &str) -> ChatLine {
    let reader = people.reader();
    let (html, re, body_html) = match m.event.as_str() {
        "comment" => (
            text::chat_html(content_text(&m.content), &reader),
            m.content
                .get("title")
                .and_then(Value::as_str)
                .map(text::strip_tags)
                .map(|t| text::unescape_basic(&t)),
            String::new(),
        ),
        "activity" | "discussion" => (
            sanitize::inline(m.title.as_deref().unwrap_or("")),
            None,
            page_links(
                &sanitize::body(m.body.as_deref().unwrap_or("")),
                &m.flow,
                flow_path,
            ),
        ),
        _ => (
            text::chat_html(content_text(&m.content), &reader),
            // A reply posted in an inbox thread says which thread it answers.
            m.thread
                .as_ref()
                .and_then(|t| t.title.as_deref())
                .map(text::strip_tags)
                .map(|t| text::unescape_basic(&t)),
            String::new(),
        ),
    };
    let me = people.me.id;
    ChatLine {
        id: m.id,
        event: m.event.clone(),
        author: people.author(m),
        when: When::of(&m.created_at),
        html,
        body_html,
        re,
        thread_link: m.thread_id.as_deref().map(|t| thread_path(flow_path, t)),
        mentions_me: m.tags.iter().any(|t| *t == format!(":user:{me}"))
            || (m.tags.iter().any(|t| t == ":user:everyone") && m.user != me.to_string()),
        edited: m.edited.is_some(),
        by_integration: m.user == "0",
        files: file_views(m, flow_path),
        private_link: m
            .user
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0 && *id != me)
            .map(|id| format!("/app/~private/{id}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatars_fall_back_to_initials_and_refuse_other_origins_by_path() {
        let a = Avatar::of("Ann Example", Some("//evil.example/a.png"));
        assert_eq!((a.url, a.initials.as_str()), (None, "AE"));
        let b = Avatar::of("ci", Some("https://icons.example.com/ci.png"));
        assert!(b.html().contains("data-initials=\"C\""));
        assert!(Avatar::of("<b> x", None).html().contains(">&lt;X<"));
    }
}
