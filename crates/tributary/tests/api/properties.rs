//! Property tests of the pure rules that every post and every stream goes through: tag and
//! mention extraction, HTML sanitising, and stream cursors. Each property holds for any input,
//! so proptest searches for a counterexample instead of trusting a handful of examples.

use proptest::prelude::*;
use tributary::messages::{sanitize, tags};
use tributary::store::UserRecord;
use tributary::stream::cursor::{render_sorted, Cursor};

/// Pieces of hostile and ordinary markup, combined at random into inputs for the sanitiser.
const MARKUP: &[&str] = &[
    "<script>alert(1)</script>",
    "<script",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"https://x.io/a.png\" onload=\"x()\">",
    "<img src=\"/files/f/k/a.png\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"  JaVaScRiPt:alert(1)\">",
    "<a href=\"java\tscript:alert(1)\">",
    "<a href=\"data:text/html,<script>alert(1)</script>\">",
    "<a href=\"https://ok.example/?q=1&x=2\" title=\"t\">ok</a>",
    "<a href=\"//evil.example/\">",
    "<a href=\"mailto:a@b.c\">",
    "<svg onload=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"x\"></object>",
    "<embed src=\"x\">",
    "<form action=\"https://x\"><button formaction=\"javascript:x\">",
    "<style>*{}</style>",
    "<p style=\"background:url(javascript:x)\">",
    "<div onclick=\"x()\">",
    "<table><tr><td colspan=2 onmouseover=x>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<base href=\"https://evil\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:x\">",
    "<template><script>x</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=x>\">",
    "&lt;script&gt;",
    "&#x6a;avascript:",
    "<b>",
    "</b>",
    "<p>",
    "</p>",
    "<",
    ">",
    "\"",
    "'",
    "=",
    "&",
    "text ",
    "javascript:alert(1) as plain text",
    "\0",
];

/// The attributes the sanitiser may keep (src/messages/sanitize.rs); the elements are its
/// `BODY_TAGS`, and only `a` in titles.
const SAFE_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "title",
    "alt",
    "width",
    "height",
    "colspan",
    "rowspan",
    "rel",
    "referrerpolicy",
];

fn markup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(MARKUP).prop_map(str::to_owned),
            1 => "[a-z <>=\"'/&;:]{0,12}",
        ],
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

/// One element of serialised HTML: its name and its attributes, values entity-decoded.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
}

/// The start tags of ammonia's output. Its serialiser always quotes attribute values with `"`
/// and escapes `<`, `>` and `"` inside them, so a small scanner reads it exactly.
fn start_tags(html: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if rest.starts_with('/') {
            continue;
        }
        let end = rest.find('>').expect("a start tag closes");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        let mut attributes = Vec::new();
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                break;
            }
            let (attr, after) = attrs.split_once("=\"").expect("quoted attribute");
            let close = after.find('"').expect("closing quote");
            let value = after[..close]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            attributes.push((attr.to_owned(), value));
            attrs = &after[close + 1..];
        }
        out.push(Element {
            name: name.to_owned(),
            attributes,
        });
    }
    out
}

/// Nothing in `html` can run script: only allowed elements, no event handler or style
/// attribute, and every URL is http, https, mailto or a stored file's path.
fn assert_script_free(html: &str, allowed: &[&str]) -> Result<(), TestCaseError> {
    for e in start_tags(html) {
        prop_assert!(
            allowed.contains(&e.name.as_str()),
            "element {e:?} in {html:?}"
        );
        for (attr, value) in &e.attributes {
            prop_assert!(
                SAFE_ATTRIBUTES.contains(&attr.as_str()),
                "attribute {attr} in {html:?}"
            );
            if attr == "referrerpolicy" {
                // Remote images send no referrer (docs/compatibility.md, issue 15).
                prop_assert_eq!(value.as_str(), "no-referrer", "in {:?}", html);
            }
            if attr == "href" || attr == "src" {
                let v = value.to_ascii_lowercase();
                prop_assert!(
                    ["http://", "https://", "mailto:", "/files/"]
                        .iter()
                        .any(|p| v.starts_with(p)),
                    "URL {value:?} in {html:?}"
                );
            }
        }
    }
    Ok(())
}

fn member(id: i64, nick: &str, disabled: bool) -> UserRecord {
    UserRecord {
        id,
        email: format!("{nick}@example.com"),
        name: nick.to_owned(),
        nick: nick.to_owned(),
        avatar: String::new(),
        website: None,
        password_hash: None,
        disabled,
        created_at: 0,
    }
}

/// Chat text made of words, hashtags, mentions, URLs and punctuation.
fn chat_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9äöü_.-]{1,8}",
            "#[a-zA-Z0-9äöü_-]{0,8}",
            "@[a-zA-Z0-9._]{0,8}",
            prop::sample::select(vec![
                "@ann",
                "@Bob",
                "@all",
                "@everyone",
                "#Launch",
                "＃tag",
                "a#b",
                "x@y.z",
                "https://x.io/#frag",
                "www.example.com/@x",
                "(#paren)",
                "#tag.",
                "    #code",
            ])
            .prop_map(str::to_owned),
            prop::sample::select(vec![" ", "  ", "\n", ", ", ". ", "!", "?"])
                .prop_map(str::to_owned),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn sanitised_bodies_never_carry_script(input in markup()) {
        assert_script_free(&sanitize::body(&input), sanitize::BODY_TAGS)?;
    }

    #[test]
    fn sanitised_titles_keep_nothing_but_links(input in markup()) {
        assert_script_free(&sanitize::inline(&input), &["a"])?;
    }

    #[test]
    fn extracted_tags_and_mentions_occur_in_the_text(text in chat_text()) {
        let parsed = tags::parse(&text);
        let lower = text.to_lowercase();
        for h in &parsed.hashtags {
            prop_assert!(!h.is_empty() && !h.chars().any(char::is_whitespace), "{h:?}");
            prop_assert_eq!(h, &h.to_lowercase());
            prop_assert!(
                lower.contains(&format!("#{h}")) || lower.contains(&format!("＃{h}")),
                "#{} not in {:?}", h, text
            );
        }
        for m in &parsed.mentions {
            prop_assert!(!m.is_empty() && !m.chars().any(char::is_whitespace), "{m:?}");
            prop_assert!(lower.contains(&format!("@{m}")), "@{} not in {:?}", m, text);
        }
    }

    #[test]
    fn resolved_tags_are_unique_and_name_only_active_members(
        text in chat_text(),
        explicit in prop::collection::vec("[#@]?[a-zA-Z:]{1,8}", 0..6),
        poster in prop::option::of(1i64..4),
    ) {
        let members = [member(1, "ann", false), member(2, "bob", false), member(3, "cid", true)];
        let resolved = tags::resolve(&explicit, Some(&text), &members, poster);
        let mut seen = std::collections::HashSet::new();
        for t in &resolved {
            prop_assert!(seen.insert(t), "{t:?} twice in {resolved:?}");
            prop_assert!(!t.is_empty());
            for prefix in [":user:", ":unread:"] {
                if let Some(id) = t.strip_prefix(prefix) {
                    if id != "everyone" {
                        let id: i64 = id.parse().expect("a user id");
                        prop_assert!(id == 1 || id == 2, "{t:?} names an inactive member");
                    }
                }
            }
        }
    }

    #[test]
    fn normalising_a_tag_twice_changes_nothing(raw in "[#＃ ]{0,2}[a-zA-Z0-9:äÖ_-]{0,10} ?") {
        let once = tags::normalise(&raw);
        prop_assert_eq!(tags::normalise(&once), once);
    }

    #[test]
    fn cursors_round_trip(
        positions in prop::collection::btree_map("[a-f0-9]{8}-[a-f0-9]{4}", 0i64..i64::MAX, 1..6),
    ) {
        let flows: Vec<&str> = positions.keys().map(String::as_str).collect();
        let mut cursor = Cursor::default();
        for (flow, id) in &positions {
            cursor.set(flow, *id);
        }
        let text = cursor.render(&flows);
        prop_assert_eq!(&text, &render_sorted(positions.iter().map(|(f, id)| (f.as_str(), *id))));
        let parsed = Cursor::parse(&text, &flows).expect("a rendered cursor parses");
        for (flow, id) in &positions {
            prop_assert_eq!(parsed.get(flow), Some(*id));
        }
        prop_assert_eq!(parsed.render(&flows), text);
    }

    #[test]
    fn cursors_only_move_forward(start in 0i64..1000, steps in prop::collection::vec(0i64..1000, 0..20)) {
        let mut cursor = Cursor::default();
        cursor.set("f", start);
        let mut highest = start;
        for id in steps {
            cursor.advance("f", id);
            highest = highest.max(id);
            prop_assert_eq!(cursor.get("f"), Some(highest));
        }
    }

    #[test]
    fn any_cursor_text_parses_or_is_refused_without_panic(text in ".{0,40}") {
        let _ = Cursor::parse(&text, &["aa", "bb"]);
        let _ = Cursor::parse(&text, &["aa"]);
    }
}
