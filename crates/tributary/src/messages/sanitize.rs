//! Input HTML is cleaned once, on the way in, with ammonia (DESIGN §6).
//!
//! Titles and field values keep only links; bodies keep the team inbox allowlist of
//! docs/team-inbox.md. Every link is http, https or mailto and gets `rel="nofollow noopener"`;
//! `<script>` and `<style>` go with their content, and so do event handlers and `javascript:`
//! URLs. The builders are made once and shared.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};

const SCHEMES: [&str; 3] = ["http", "https", "mailto"];
const REL: &str = "nofollow noopener";
const DROPPED_WITH_CONTENT: [&str; 6] = [
    "script", "style", "iframe", "object", "template", "noscript",
];

/// The team inbox allowlist (`wb` in the docs is `wbr`).
const BODY_TAGS: &[&str] = &[
    "a",
    "abbr",
    "acronym",
    "address",
    "article",
    "aside",
    "b",
    "big",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "nav",
    "ol",
    "p",
    "pre",
    "samp",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "ul",
    "var",
    "wbr",
];

fn base(
    tags: &[&'static str],
    attributes: HashMap<&'static str, HashSet<&'static str>>,
) -> Builder<'static> {
    let mut b = Builder::empty();
    b.add_tags(tags.iter().copied())
        .tag_attributes(attributes)
        .generic_attributes(HashSet::new())
        .url_schemes(SCHEMES.into_iter().collect())
        .url_relative(UrlRelative::Deny)
        .link_rel(Some(REL))
        .clean_content_tags(DROPPED_WITH_CONTENT.into_iter().collect())
        .strip_comments(true);
    b
}

static INLINE: LazyLock<Builder<'static>> =
    LazyLock::new(|| base(&["a"], HashMap::from([("a", HashSet::from(["href"]))])));

/// Relative URLs in bodies: only the paths of stored files (`cid:` references to attachments
/// become these), never `//host` or anything else.
fn file_paths_only(url: &str) -> Option<std::borrow::Cow<'_, str>> {
    url.starts_with("/files/")
        .then_some(std::borrow::Cow::Borrowed(url))
}

static BODY: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let attributes = HashMap::from([
        ("a", HashSet::from(["href", "title"])),
        (
            "img",
            HashSet::from(["src", "alt", "title", "width", "height"]),
        ),
        ("abbr", HashSet::from(["title"])),
        ("acronym", HashSet::from(["title"])),
        ("td", HashSet::from(["colspan", "rowspan"])),
        ("th", HashSet::from(["colspan", "rowspan"])),
    ]);
    let mut b = base(BODY_TAGS, attributes);
    b.url_relative(UrlRelative::Custom(Box::new(file_paths_only)));
    b
});

/// A title, field label or field value: links only.
pub fn inline(html: &str) -> String {
    INLINE.clean(html).to_string()
}

/// An inbox body: the team inbox allowlist.
pub fn body(html: &str) -> String {
    BODY.clean(html).to_string()
}

/// A URL field (`external_url`, `link`, an avatar): http or https only.
pub fn is_web_url(s: &str) -> bool {
    url::Url::parse(s.trim())
        .map(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_keep_only_safe_links() {
        assert_eq!(
            inline(r#"<b>Hi</b> <a href="https://x.io" onclick="x()">x</a>"#),
            r#"Hi <a href="https://x.io" rel="nofollow noopener">x</a>"#
        );
        assert_eq!(
            inline(r#"<a href="javascript:alert(1)">x</a>"#),
            r#"<a rel="nofollow noopener">x</a>"#
        );
        assert_eq!(inline("<script>alert(1)</script>ok"), "ok");
    }

    #[test]
    fn bodies_keep_the_inbox_allowlist() {
        assert_eq!(
            body(
                r#"<p style="color:red">Body with <b>HTML</b><style>p{}</style><img src="https://x.io/a.png" onerror="x()"></p>"#
            ),
            r#"<p>Body with <b>HTML</b><img src="https://x.io/a.png"></p>"#
        );
    }

    #[test]
    fn bodies_keep_relative_file_paths_only() {
        assert_eq!(
            body(r#"<img src="/files/f/k/a.png"><a href="/flows/x">x</a><img src="//evil.io/a">"#),
            r#"<img src="/files/f/k/a.png"><a rel="nofollow noopener">x</a><img>"#
        );
        assert_eq!(
            inline(r#"<a href="/files/f/k/a.png">x</a>"#),
            r#"<a rel="nofollow noopener">x</a>"#
        );
    }

    #[test]
    fn web_urls_are_http() {
        assert!(is_web_url("https://github.com/x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("/relative"));
    }
}
