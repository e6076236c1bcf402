//! Input HTML is cleaned once, on the way in, with ammonia (DESIGN §6).
//!
//! Titles and field values keep only links; bodies keep the team inbox allowlist of
//! flowdock/api-docs docs/team-inbox.md. Every link is http, https or mailto and gets `rel="nofollow noopener"`;
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
pub const BODY_TAGS: &[&str] = &[
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
    b.url_relative(UrlRelative::Custom(Box::new(file_paths_only)))
        // Remote images stay (docs/compatibility.md): loading one tells its host that someone
        // looks, but no client that honours this attribute says from which page.
        .set_tag_attribute_value("img", "referrerpolicy", "no-referrer");
    b
});

/// Whether ammonia would return `text` exactly as it is: with no markup (`<`), entity or
/// escape (`&`, `>`, no-break space) and nothing the HTML parser normalises (`\r`, NUL, a
/// leading byte order mark), there is nothing to clean. Most integration titles and field values are plain text, and
/// building a DOM for each was a tenth of the post path's CPU (BENCHMARKS.md); the test
/// below checks the shortcut against ammonia for every character.
fn is_plain(text: &str) -> bool {
    !text
        .chars()
        .any(|c| matches!(c, '<' | '>' | '&' | '\r' | '\0' | '\u{a0}' | '\u{feff}'))
}

/// A title, field label or field value: links only.
pub fn inline(html: &str) -> String {
    if is_plain(html) {
        return html.to_owned();
    }
    INLINE.clean(html).to_string()
}

/// An inbox body: the team inbox allowlist.
pub fn body(html: &str) -> String {
    if is_plain(html) {
        return html.to_owned();
    }
    BODY.clean(html).to_string()
}

/// A URL field (`external_url`, `link`, an avatar): http or https only.
pub fn is_web_url(s: &str) -> bool {
    crate::urls::normalise_web(s).is_ok()
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
            r#"<p>Body with <b>HTML</b><img src="https://x.io/a.png" referrerpolicy="no-referrer"></p>"#
        );
    }

    #[test]
    fn bodies_keep_relative_file_paths_only() {
        assert_eq!(
            body(r#"<img src="/files/f/k/a.png"><a href="/flows/x">x</a><img src="//evil.io/a">"#),
            r#"<img src="/files/f/k/a.png" referrerpolicy="no-referrer"><a rel="nofollow noopener">x</a><img referrerpolicy="no-referrer">"#
        );
        assert_eq!(
            inline(r#"<a href="/files/f/k/a.png">x</a>"#),
            r#"<a rel="nofollow noopener">x</a>"#
        );
    }

    #[test]
    fn plain_text_is_exactly_what_ammonia_would_return() {
        let samples = (0u32..0x3000)
            .chain((0x3000u32..0x11_0000).step_by(97))
            .chain([0xfeff, 0xfffd, 0xfffe, 0xffff, 0x1f600, 0x10ffff]);
        for c in samples.filter_map(char::from_u32) {
            for text in [format!("a{c}b"), format!("{c}"), format!(" {c}{c} x")] {
                if !is_plain(&text) {
                    continue;
                }
                assert_eq!(
                    INLINE.clean(&text).to_string(),
                    text,
                    "inline U+{:04X}",
                    c as u32
                );
                assert_eq!(
                    BODY.clean(&text).to_string(),
                    text,
                    "body U+{:04X}",
                    c as u32
                );
            }
        }
        for text in [
            "",
            "   ",
            "line\nbreak\ttab",
            "quotes \" and ' stay",
            "a > b",
            "x\r\ny",
        ] {
            assert_eq!(inline(text), INLINE.clean(text).to_string(), "{text:?}");
            assert_eq!(body(text), BODY.clean(text).to_string(), "{text:?}");
        }
    }

    #[test]
    fn web_urls_are_http() {
        assert!(is_web_url("https://github.com/x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("/relative"));
    }
}
