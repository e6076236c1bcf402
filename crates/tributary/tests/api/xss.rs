//! The XSS corpus (`xss_corpus.txt`, one payload per line, kept for the UI suite too): every
//! payload posted as a title, a body, a field label and a field value comes back with only
//! allowlisted tags and attributes, and with only http, https or mailto links.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(stored_titles_bodies_and_fields_are_sanitised);

const CORPUS: &str = include_str!("xss_corpus.txt");

/// Tags and attributes each context may keep.
fn inline_allowed(tag: &str, attr: Option<&str>) -> bool {
    tag == "a" && attr.is_none_or(|a| a == "href" || a == "rel")
}

fn body_allowed(tag: &str, attr: Option<&str>) -> bool {
    const TAGS: &[&str] = &[
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
    if !TAGS.contains(&tag) {
        return false;
    }
    let Some(a) = attr else { return true };
    match tag {
        "a" => ["href", "title", "rel"].contains(&a),
        // `referrerpolicy` is the server's own (always `no-referrer`), never the sender's.
        "img" => ["src", "alt", "title", "width", "height", "referrerpolicy"].contains(&a),
        "abbr" | "acronym" => a == "title",
        "td" | "th" => a == "colspan" || a == "rowspan",
        _ => false,
    }
}

fn decode(v: &str) -> String {
    let mut s = v
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ");
    s = s.replace("&amp;", "&");
    s
}

/// Scans serialised HTML (ammonia's output is normalised: lower-case names, double-quoted
/// values, `<` in text escaped) and fails on anything outside the allowlist.
fn check(html: &str, allowed: fn(&str, Option<&str>) -> bool, what: &str) {
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        i += 1;
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let tag = &html[start..i];
        assert!(!tag.is_empty(), "{what}: stray markup in {html:?}");
        assert!(allowed(tag, None), "{what}: tag <{tag}> in {html:?}");
        loop {
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            match b.get(i) {
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(b'/') if b.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break;
                }
                None => panic!("{what}: unterminated tag in {html:?}"),
                _ => {}
            }
            let name_start = i;
            while i < b.len() && !matches!(b[i], b'=' | b' ' | b'>') {
                i += 1;
            }
            let name = &html[name_start..i];
            assert!(!closing, "{what}: attributes on a closing tag in {html:?}");
            assert!(
                allowed(tag, Some(name)),
                "{what}: attribute {name} on <{tag}> in {html:?}"
            );
            if b.get(i) == Some(&b'=') {
                assert_eq!(
                    b.get(i + 1),
                    Some(&b'"'),
                    "{what}: unquoted value in {html:?}"
                );
                let value_start = i + 2;
                let end = html[value_start..].find('"').expect("closing quote") + value_start;
                let value = decode(&html[value_start..end]).trim().to_ascii_lowercase();
                if name == "href" || name == "src" {
                    assert!(
                        value.starts_with("http://")
                            || value.starts_with("https://")
                            || value.starts_with("mailto:"),
                        "{what}: {name}={value:?} in {html:?}"
                    );
                }
                if name == "rel" {
                    assert_eq!(value, "nofollow noopener", "{what}: {html:?}");
                }
                i = end + 1;
            }
        }
    }
}

async fn stored_titles_bodies_and_fields_are_sanitised(b: Backend) {
    let r = Room::new(b).await;
    let payloads: Vec<&str> = CORPUS.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        payloads.len() >= 50,
        "the corpus has {} payloads",
        payloads.len()
    );
    for (n, p) in payloads.iter().enumerate() {
        let a = r
            .token_post(json!({
                "event": "activity", "title": p, "body": p, "author": {"name": "x"},
                "external_thread_id": format!("xss:{n}"),
                "thread": {"title": p, "body": p, "fields": [{"label": p, "value": p}],
                           "status": {"color": "red", "value": p}}
            }))
            .await;
        assert_eq!(a.status, 200, "payload {n} {p:?}: {}", a.text);
        let id = a.json["id"].as_i64().unwrap();
        let stored = r
            .get(&r.ann, &r.path(&format!("/messages/{id}")))
            .await
            .json;
        let t = &stored["thread"];
        let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
        check(&s(&stored["title"]), inline_allowed, "title");
        check(&s(&stored["body"]), body_allowed, "body");
        check(&s(&t["title"]), inline_allowed, "thread.title");
        check(&s(&t["body"]), body_allowed, "thread.body");
        check(&s(&t["fields"][0]["label"]), inline_allowed, "field label");
        check(&s(&t["fields"][0]["value"]), inline_allowed, "field value");
        check(&s(&t["status"]["value"]), inline_allowed, "status value");
        let raw = stored.to_string().to_ascii_lowercase();
        for banned in [
            "<script",
            "<style",
            "<iframe",
            "onerror=",
            "onload=",
            "onmouseover=",
        ] {
            assert!(
                !raw.contains(banned),
                "payload {n}: {banned} survived in {raw}"
            );
        }
    }
    // Safe markup survives where it is allowed.
    let ok = r
        .token_post(json!({
            "event": "activity", "author": {"name": "x"}, "external_thread_id": "ok",
            "title": "<a href=\"https://x.io\">PR</a> <b>merged</b>",
            "body": "<p>Body with <b>HTML</b> and <a href=\"https://x.io\">a link</a></p>",
            "thread": {"title": "T"}
        }))
        .await
        .json;
    assert_eq!(
        ok["title"],
        "<a href=\"https://x.io\" rel=\"nofollow noopener\">PR</a> merged"
    );
    assert_eq!(
        ok["body"],
        "<p>Body with <b>HTML</b> and <a href=\"https://x.io\" rel=\"nofollow noopener\">a link</a></p>"
    );
}

/// The scanner itself must notice what it guards against, or the corpus test proves nothing.
#[test]
fn the_checker_rejects_unsafe_markup() {
    let unsafe_html = [
        "<script>alert(1)</script>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"https://x.io\" onclick=\"x()\">x</a>",
        "<img src=\"data:text/html,x\">",
        "<b>bold</b>",
    ];
    for html in unsafe_html {
        let caught = std::panic::catch_unwind(|| check(html, inline_allowed, "probe"));
        assert!(caught.is_err(), "{html} passed the checker");
    }
    check(
        "<a href=\"https://x.io\" rel=\"nofollow noopener\">x</a> &lt;script&gt;",
        inline_allowed,
        "probe",
    );
    check(
        "<p><img src=\"https://x.io/a.png\" alt=\"a\"></p>",
        body_allowed,
        "probe",
    );
}
