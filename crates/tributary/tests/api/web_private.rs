//! Issue 17, point 2: the private conversation pages without a browser engine: a
//! conversation's files link to its own download route, the pages answer only the
//! participants (404 for anyone else's conversation), and the composer's form post.

use serde_json::json;

use crate::backend_tests;
use crate::browser::{csrf, location, Browser};
use crate::helpers::Backend;
use crate::private_world::World;

backend_tests!(conversation_pages_show_files_and_take_form_posts);

async fn conversation_pages_show_files_and_take_form_posts(b: Backend) {
    let w = World::new(b).await;
    let file = json!({"data": "aGVsbG8=", "content_type": "text/plain", "file_name": "hi.txt"});
    let posted = w
        .post(&w.bob, &w.ann, json!({"event": "file", "content": file}))
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let ann = Browser::new(&w.app);
    ann.login(&w.ann).await;
    let here = format!("/app/~private/{}", w.bob.id);
    let page = ann.page(&here).await;
    let link = format!("{here}/files/");
    let at = page.find(&link).expect("the file links to the page route");
    let href: String = page[at..].chars().take_while(|c| *c != '"').collect();
    let res = ann.get(&href).await;
    assert_eq!(res.status(), 302, "{href}");
    let signed = location(&res);
    let bytes = w.download(signed).await;
    assert_eq!(&bytes[..], b"hello");
    // The composer: a form post with the page's CSRF token, redirected back to the line.
    let res = ann
        .post(
            &format!("{here}/messages"),
            &[("csrf_token", &csrf(&page)), ("content", "thanks")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).contains(&format!("{here}#message-2")),
        "{}",
        location(&res)
    );
    assert!(ann.page("/app/~private").await.contains("@bob"));
    // Eve shares no organization with Ann: no conversation page, no file.
    let eve = Browser::new(&w.app);
    eve.login(&w.eve).await;
    assert_eq!(
        eve.get(&format!("/app/~private/{}", w.ann.id))
            .await
            .status(),
        404
    );
    assert_eq!(
        eve.get(&href.replace(&w.bob.id.to_string(), &w.ann.id.to_string()))
            .await
            .status(),
        404
    );
}
