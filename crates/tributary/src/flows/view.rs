//! A flow's JSON: the fields of flowdock/api-docs docs/flows.md plus `links`, the resources the caller may use.

use std::collections::BTreeMap;

use tributary_types::{AccessMode, Flow, Link, User};

use crate::auth::{Principal, Scopes};
use crate::state::Urls;
use crate::store::{FlowForUser, OrgMember, UserRecord};

pub fn flow(urls: &Urls, f: &FlowForUser, principal: &Principal, users: Option<Vec<User>>) -> Flow {
    let rec = &f.flow;
    let org = &rec.org.parameterized_name;
    let url = urls.flow(org, &rec.parameterized_name);
    Flow {
        id: rec.id.clone(),
        name: rec.name.clone(),
        parameterized_name: rec.parameterized_name.clone(),
        organization: crate::organizations::view(urls, &rec.org, None),
        unread_mentions: 0,
        open: f.membership.map(|m| m.open).unwrap_or(false),
        joined: f.membership.is_some(),
        disabled: rec.disabled,
        web_url: urls.web_flow(org, &rec.parameterized_name),
        join_url: match rec.access_mode {
            AccessMode::Invitation => None,
            _ => Some(urls.join(&rec.join_token, &rec.parameterized_name)),
        },
        access_mode: rec.access_mode,
        links: links(&url, f, principal),
        url,
        users,
    }
}

/// The flow's resources and the methods the caller may use on each: what membership and the
/// credential's scopes allow (an `integration` token sees the sources, not the messages).
fn links(url: &str, f: &FlowForUser, principal: &Principal) -> BTreeMap<String, Link> {
    let joined = f.membership.is_some();
    let scopes = principal.scopes;
    let reads = joined && scopes.contains(Scopes::FLOW);
    let link = |href: String, methods: &[&str]| Link {
        href,
        methods: methods.iter().map(|m| (*m).to_owned()).collect(),
    };
    let mut links = BTreeMap::new();
    // PUT stays available to a non-member of an organization flow: it is how one joins.
    let update: &[&str] = if scopes.intersects(Scopes::FLOW | Scopes::MANAGE) {
        &["GET", "PUT"]
    } else {
        &["GET"]
    };
    links.insert("self".to_owned(), link(url.to_owned(), update));
    links.insert(
        "users".to_owned(),
        link(format!("{url}/users"), if reads { &["GET"] } else { &[] }),
    );
    // Members read a flow's sources; creating one needs the `integration` scope.
    let sources: &[&str] = match (joined, scopes.contains(Scopes::INTEGRATION)) {
        (false, _) => &[],
        (true, false) => &["GET"],
        (true, true) => &["GET", "POST"],
    };
    links.insert(
        "sources".to_owned(),
        link(format!("{url}/sources"), sources),
    );
    links.insert(
        "messages".to_owned(),
        link(
            format!("{url}/messages"),
            if reads { &["GET", "POST"] } else { &[] },
        ),
    );
    links.insert(
        "threads".to_owned(),
        link(format!("{url}/threads"), if reads { &["GET"] } else { &[] }),
    );
    links
}

/// The flow's user list: every member of its organization, with `in_flow` telling who has
/// joined, plus any flow member from outside the organization.
pub fn users(urls: &Urls, org_members: &[OrgMember], flow_members: &[UserRecord]) -> Vec<User> {
    let mut out: Vec<User> = org_members
        .iter()
        .map(|m| User {
            in_flow: Some(flow_members.iter().any(|u| u.id == m.user.id)),
            disabled: Some(m.user.disabled),
            ..crate::users::view(urls, &m.user)
        })
        .collect();
    for u in flow_members {
        if !org_members.iter().any(|m| m.user.id == u.id) {
            out.push(User {
                in_flow: Some(true),
                disabled: Some(u.disabled),
                ..crate::users::view(urls, u)
            });
        }
    }
    out.sort_by_key(|u| u.id);
    out
}
