//! A thread of the team inbox as its card shows it: source, title, status, fields, body and
//! the thread's actions. Integration HTML is cleaned once more by the allowlists that
//! sanitised it on the way in (see `views`).

use serde_json::Value;
use tributary_types::{Thread, THREAD_STATUS_COLORS};

use super::text;
use super::views::{thread_path, Avatar, When};
use crate::messages::sanitize;

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
        Some(s) => (s.name.clone(), s.application.clone(), s.icon.clone()),
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
        title_text: text::unescape_basic(&text::strip_tags(&title_html)),
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
}
