//! The XSS corpus (`xss_corpus.txt`) rendered in real Chromium: as chat text, as inbox
//! titles, bodies, fields, status values and author names, on page load and live. No script
//! runs (`window.__xss` stays unset, no alert opens), and the rendered DOM holds no script,
//! event handler or script URL. The DOM check does not rely on the Content Security Policy,
//! which would also stop inline handlers: it shows the escaping and sanitising themselves.

use serde_json::{json, Value};

use crate::chromium::Chrome;
use crate::helpers::Backend;
use crate::messaging::Room;
use crate::ui::flow_page;

const CORPUS: &str = include_str!("xss_corpus.txt");

/// Payloads that would set `window.__xss` if they ever ran.
const CANARIES: &[&str] = &[
    "<img src=x onerror=\"window.__xss=1\">",
    "<svg onload=\"window.__xss=1\"></svg>",
    "<script>window.__xss=1</script>",
    "\"><script>window.__xss=1</script>",
    "<a href=\"javascript:window.__xss=1\">click</a>",
    "<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>",
    "<details open ontoggle=\"window.__xss=1\">x</details>",
    "<body onload=\"window.__xss=1\">",
];

/// Everything under the message and thread containers that could run script.
const DOM_CHECK: &str = r#"
const roots = document.querySelectorAll('#chat-messages, #inbox-threads, #thread-items, #thread-state, .source-avatars');
const banned = ['script', 'iframe', 'object', 'embed', 'style', 'link', 'meta', 'base', 'form',
                'input', 'textarea', 'svg', 'math', 'frame', 'frameset', 'template', 'noscript'];
const bad = [];
for (const root of roots) {
  for (const el of root.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (banned.includes(tag)) bad.push('<' + tag + '>');
    for (const a of el.attributes) {
      const n = a.name.toLowerCase();
      const v = a.value.trim().toLowerCase();
      if (n.startsWith('on') || n === 'style' || n === 'srcdoc' || n === 'formaction') {
        bad.push(tag + ' ' + n);
      }
      if (['href', 'src', 'action', 'xlink:href', 'background', 'poster'].includes(n)
          && !/^(https?:|mailto:|\/[^\/\\])/.test(v)) {
        bad.push(tag + ' ' + n + '=' + v);
      }
    }
  }
}
return bad;
"#;

fn payloads() -> Vec<&'static str> {
    CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .chain(CANARIES.iter().copied())
        .collect()
}

/// At most `max` characters of the payloads joined, cut at a payload boundary.
fn joined(ps: &[&str], max: usize) -> String {
    let mut out = String::new();
    for p in ps {
        if out.chars().count() + p.chars().count() + 1 > max {
            break;
        }
        out.push_str(p);
        out.push('\n');
    }
    out
}

/// Posts every payload as chat text, and as inbox titles, bodies, fields, status values and
/// author names spread over a few threads. Returns the thread ids.
async fn post_corpus(r: &Room, round: &str) -> Vec<String> {
    let ps = payloads();
    let chat = r
        .user_post(
            &r.bob,
            &r.path("/messages"),
            json!({"event": "message", "content": joined(&ps, 8000)}),
        )
        .await;
    assert_eq!(chat.status, 201, "{}", chat.text);
    for canary in CANARIES {
        let a = r
            .user_post(
                &r.bob,
                &r.path("/messages"),
                json!({"event": "message", "content": canary}),
            )
            .await;
        assert_eq!(a.status, 201);
    }
    let mut threads = Vec::new();
    for (n, chunk) in ps.chunks(25).enumerate() {
        let fields: Vec<Value> = chunk
            .iter()
            .map(|p| json!({"label": p, "value": p}))
            .collect();
        let mut thread = json!({
            "title": joined(chunk, 1000), "body": chunk.join("\n"), "fields": fields,
            "status": {"color": "red", "value": chunk[0]}
        });
        if n % 2 == 1 {
            thread["external_url"] = json!("https://tracker.example.com/item/1");
        }
        let a = r
            .token_post(json!({
                "event": "activity", "author": {"name": chunk[n % chunk.len()]},
                "title": joined(chunk, 1000), "body": chunk.join("\n"),
                "external_thread_id": format!("xss-{round}-{n}"), "thread": thread
            }))
            .await;
        assert_eq!(a.status, 200, "chunk {n}: {}", a.text);
        threads.push(a.json["thread_id"].as_str().unwrap().to_owned());
    }
    threads
}

/// No script ran, no alert is open, and the DOM holds nothing that could run script.
async fn assert_inert(c: &Chrome, what: &str) {
    assert!(
        c.client.get_alert_text().await.is_err(),
        "{what}: an alert is open"
    );
    assert_eq!(
        c.js("return typeof window.__xss;").await,
        json!("undefined"),
        "{what}: a payload ran"
    );
    assert_eq!(
        c.js(DOM_CHECK).await,
        json!([]),
        "{what}: unsafe markup in the DOM"
    );
}

async fn wait_cards(c: &Chrome, threads: &[String]) {
    for t in threads {
        c.find(&format!("#thread-{t}")).await;
    }
}

#[tokio::test]
async fn the_xss_corpus_renders_inert_on_load_and_live() {
    let r = Room::new(Backend::Sqlite).await;
    let threads = post_corpus(&r, "load").await;

    let ann = Chrome::start(&r.app.base_url).await;
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    wait_cards(&ann, &threads).await;
    // The chat shows the payloads as text: escaped, not dropped.
    let chat = ann.text("#chat-messages").await;
    assert!(
        chat.contains("<script>alert(1)</script>"),
        "escaped text is visible"
    );
    assert!(chat.contains("<img src=x onerror=\"window.__xss=1\">"));
    assert_inert(&ann, "page load").await;

    ann.wait_live().await;
    let live = post_corpus(&r, "live").await;
    wait_cards(&ann, &live).await;
    ann.wait_js(
        "the live chat lines",
        "return document.querySelectorAll('#chat-messages > li').length >= 18;",
    )
    .await;
    assert_inert(&ann, "live updates").await;

    ann.goto(&format!("{}/threads/{}", flow_page(&r), threads[0]))
        .await;
    ann.find("#thread-items .msg").await;
    assert_inert(&ann, "thread view").await;
    ann.close().await;
}
