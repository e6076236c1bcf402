//! What the flow pages show, built from the REST JSON of messages and threads: chat lines,
//! thread cards and thread items. Every string that goes into a template unescaped (`*_html`)
//! is built here: chat text through `text::chat_html`, integration HTML cleaned once more by
//! the same ammonia allowlists that sanitised it on the way in (defence in depth: a row
//! written by an older version, or by hand, is still safe to show).

use std::collections::HashMap;

use serde_json::Value;
use tributary_types::{Message, Thread, THREAD_STATUS_COLORS};

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
            .or_else(|| source.and_then(|s| s.application.icon_url.clone()));
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
                .map(|t| html_unescape_basic(&t)),
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
                .map(|t| html_unescape_basic(&t)),
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
    }
}

/// `strip_tags` leaves entities escaped; the template escapes again, so undo the basic ones.
fn html_unescape_basic(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

pub struct Field {
    pub label_html: String,
    pub value_html: String,
}

pub struct ViewAction {
    pub name: String,
    pub url: String,
}

/// An UpdateAction button: `url` is the endpoint that runs it (issue 9), which the page
/// script calls with the session's CSRF token.
pub struct UpdateAction {
    pub name: String,
    pub url: String,
}

/// One thread of the team inbox.
pub struct ThreadCard {
    pub id: String,
    pub link: String,
    pub source_name: String,
    pub app_name: String,
    pub icon: Avatar,
    /// The title as sanitised HTML, when it is not a link of its own.
    pub title_html: String,
    /// The title as plain text, for the link to `external_url`.
    pub title_text: String,
    pub external_url: Option<String>,
    /// A colour from `THREAD_STATUS_COLORS`, or `none`.
    pub status_color: String,
    pub status_html: String,
    pub fields: Vec<Field>,
    pub body_html: String,
    pub view_actions: Vec<ViewAction>,
    pub update_actions: Vec<UpdateAction>,
    pub activities: i64,
    pub comments: i64,
    pub updated: When,
}

pub fn thread_card(t: &Thread, flow_path: &str) -> ThreadCard {
    let (source_name, app_name, icon_url) = match &t.source {
        Some(s) => (
            s.name.clone(),
            s.application.name.clone(),
            s.application.icon_url.clone().or_else(|| s.icon.clone()),
        ),
        None => ("Chat".into(), "Chat".into(), None),
    };
    let title_html = sanitize::inline(t.title.as_deref().unwrap_or("Untitled"));
    let status = t
        .status
        .as_ref()
        .filter(|s| THREAD_STATUS_COLORS.contains(&s.color.as_str()));
    let mut view_actions = Vec::new();
    let mut update_actions = Vec::new();
    // `POST /flows/:org/:flow/threads/:id/actions/:index` runs an UpdateAction.
    let api_thread = thread_path(&flow_path.replacen("/app/", "/flows/", 1), &t.id);
    for (index, a) in t.actions.iter().enumerate() {
        let name = a
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Action")
            .to_owned();
        match a.get("@type").and_then(Value::as_str) {
            Some("ViewAction") => {
                let url = a
                    .get("url")
                    .or_else(|| a.pointer("/target/url"))
                    .and_then(Value::as_str)
                    .filter(|u| sanitize::is_web_url(u));
                if let Some(url) = url {
                    view_actions.push(ViewAction {
                        name,
                        url: url.to_owned(),
                    });
                }
            }
            Some("UpdateAction") => update_actions.push(UpdateAction {
                name,
                url: format!("{api_thread}/actions/{index}"),
            }),
            _ => {}
        }
    }
    ThreadCard {
        id: t.id.clone(),
        link: thread_path(flow_path, &t.id),
        icon: Avatar::of(&app_name, icon_url.as_deref()),
        source_name,
        app_name,
        title_text: html_unescape_basic(&text::strip_tags(&title_html)),
        title_html,
        external_url: t.external_url.clone().filter(|u| sanitize::is_web_url(u)),
        status_color: status
            .map(|s| s.color.clone())
            .unwrap_or_else(|| "none".into()),
        status_html: status
            .map(|s| sanitize::inline(&s.value))
            .unwrap_or_default(),
        fields: t
            .fields
            .iter()
            .map(|f| Field {
                label_html: sanitize::inline(&f.label),
                value_html: sanitize::inline(&f.value),
            })
            .collect(),
        body_html: sanitize::body(t.body.as_deref().unwrap_or("")),
        view_actions,
        update_actions,
        activities: t.activities,
        comments: t.internal_comments + t.external_comments,
        updated: When::of(&t.updated_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn thread(extra: Value) -> Thread {
        let mut t = json!({
            "id": "t1", "title": "<a href=\"https://x.io\">PR</a> <b>42</b>",
            "activities": 2, "internal_comments": 1, "external_comments": 3,
            "created_at": "2024-05-01T12:34:56.789Z", "updated_at": "2024-05-01T12:34:56.789Z"
        });
        t.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(t).unwrap()
    }

    #[test]
    fn cards_show_only_known_colours_and_web_links() {
        let card = thread_card(
            &thread(json!({
                "status": {"color": "chartreuse", "value": "odd"},
                "external_url": "javascript:alert(1)",
                "actions": [
                    {"@type": "ViewAction", "name": "Diff", "url": "https://x.io/diff"},
                    {"@type": "ViewAction", "name": "Bad", "url": "javascript:alert(1)"},
                    {"@type": "UpdateAction", "name": "Merge", "target": {"urlTemplate": "https://x.io/m"}}
                ]
            })),
            "/app/acme/main",
        );
        assert_eq!(card.status_color, "none");
        assert!(card.status_html.is_empty());
        assert_eq!(card.external_url, None);
        assert_eq!(card.view_actions.len(), 1);
        assert_eq!(card.view_actions[0].url, "https://x.io/diff");
        assert_eq!(card.update_actions.len(), 1);
        assert_eq!(card.update_actions[0].name, "Merge");
        // The button runs the action through the server, by its index in `actions`.
        assert_eq!(
            card.update_actions[0].url,
            "/flows/acme/main/threads/t1/actions/2"
        );
        assert_eq!(card.comments, 4);
        assert_eq!(card.link, "/app/acme/main/threads/t1");
        assert_eq!(
            card.title_html,
            "<a href=\"https://x.io\" rel=\"nofollow noopener\">PR</a> 42"
        );
        assert_eq!(card.title_text, "PR 42");
        assert_eq!(card.updated.label, "12:34");
    }

    #[test]
    fn avatars_fall_back_to_initials_and_refuse_other_origins_by_path() {
        let a = Avatar::of("Ann Example", Some("//evil.example/a.png"));
        assert_eq!((a.url, a.initials.as_str()), (None, "AE"));
        let b = Avatar::of("ci", Some("https://icons.example.com/ci.png"));
        assert!(b.html().contains("data-initials=\"C\""));
        assert!(Avatar::of("<b> x", None).html().contains(">&lt;X<"));
    }
}
