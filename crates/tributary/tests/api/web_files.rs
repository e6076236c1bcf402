//! Files in the pages, over HTTP on both backends: the page download route (a session, the
//! flow's membership, then the API's 302 to a signed URL), image thumbnails and download
//! links in the flow page, the thread view and the live fragments, escaped names included.

use reqwest::header::LOCATION;
use tributary_sdk::{FileUpload, Integration};
use tributary_types::{Author, Message, PostMessage, ThreadUpdate};

use crate::backend_tests;
use crate::browser::{csp_of, location, Browser};
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(
    a_members_page_download_redirects_to_a_signed_url,
    non_members_and_other_flows_files_are_refused,
    flow_pages_and_live_fragments_show_thumbnails_and_links,
    inbox_items_show_their_attachments,
);

/// A real 200x120 PNG (one colour), small enough to inline; browsers decode it.
pub(crate) fn real_png() -> Vec<u8> {
    hex::decode(concat!(
        "89504e470d0a1a0a0000000d49484452000000c800000078080200000038f02abc000000ed4944415478",
        "daedd2410d000008c4b093834424220b0f8467932a5896ea8177910063612c8c05c6c258180b8c85b130",
        "16180b63612c3016c6c258602c8c85b1c058180b6381b13016c60263612c8c05c6c258180b8c85b13016",
        "180b63612c3016c6c258602c8c85b1c058180b6381b13016c60263612c8c05c6c258180b8c85b1301618",
        "0b63612c3016c6c258602c8c85b1c058180b6381b13016c60263612c8c05c6c258180b8c85b13016180b",
        "63612c3016c6c258184b058c85b13016180b63612c3016c6c258602c8c85b1c058180b6381b13016c602",
        "63612c8c05c6c258180b8c85b13016180b63612cb858c0feddae0237b46d0000000049454e44ae426082"
    ))
    .unwrap()
}

/// `/app/acme/main`
fn flow_page(r: &Room) -> String {
    format!(
        "/app/{}/{}",
        r.org.parameterized_name, r.flow.parameterized_name
    )
}

/// Ann uploads `name` to the room's flow.
pub(crate) async fn upload(r: &Room, name: &str, content_type: &str, bytes: Vec<u8>) -> Message {
    r.ann
        .client
        .files()
        .upload(
            &r.org.parameterized_name,
            &r.flow.parameterized_name,
            &FileUpload::new(name, content_type, bytes),
        )
        .await
        .unwrap()
}

/// The page route of an attachment path: `/files/<flow>/<id>/<name>` under the flow page.
fn page_route(r: &Room, path: &str) -> String {
    let rest = path
        .strip_prefix(&format!("/files/{}/", r.flow.id))
        .unwrap_or_else(|| panic!("a path of the room's flow: {path}"));
    format!("{}/files/{rest}", flow_page(r))
}

fn path_of(m: &Message) -> String {
    m.attachments[0]["path"].as_str().unwrap().to_owned()
}

async fn signed_in(r: &Room) -> Browser {
    let b = Browser::new(&r.app);
    b.login(&r.ann).await;
    b
}

async fn a_members_page_download_redirects_to_a_signed_url(b: Backend) {
    let r = Room::new(b).await;
    let bytes = b"name,total\nwidgets,42\n".to_vec();
    let m = upload(&r, "report q1.csv", "text/csv", bytes.clone()).await;
    let route = page_route(&r, &path_of(&m));
    assert!(route.ends_with("/report%20q1.csv"), "{route}");

    let anon = Browser::new(&r.app);
    let res = anon.get(&route).await;
    assert_eq!(res.status(), 303, "no session: the login page");
    assert!(location(&res).starts_with("/login?return_to="));

    let ann = signed_in(&r).await;
    let res = ann.get(&route).await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let signed = location(&res);
    assert!(
        signed.starts_with(&r.app.url(&path_of(&m))),
        "the API's signed URL: {signed}"
    );
    assert!(signed.contains("expires=") && signed.contains("signature="));
    // The signed URL serves the bytes to anyone holding it, with the download headers.
    let res = reqwest::get(&signed).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);

    // An image, too; Bob (another member) gets his own signed URL.
    let pic = upload(&r, "pic.png", "image/png", real_png()).await;
    let bob = Browser::new(&r.app);
    bob.login(&r.bob).await;
    let res = bob.get(&page_route(&r, &path_of(&pic))).await;
    assert_eq!(res.status(), 302);
    let res = reqwest::get(location(&res)).await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().to_vec(), real_png());
}

async fn non_members_and_other_flows_files_are_refused(b: Backend) {
    let r = Room::new(b).await;
    let m = upload(&r, "secret.txt", "text/plain", b"s3cret".to_vec()).await;
    let route = page_route(&r, &path_of(&m));

    // Carl is in the organization but not in the (invitation-only) flow.
    let carl = r.app.user("carl").await;
    r.app.join_org(&r.org, &carl, false).await;
    let browser = Browser::new(&r.app);
    browser.login(&carl).await;
    let res = browser.get(&route).await;
    assert!(
        matches!(res.status().as_u16(), 403 | 404),
        "a non-member: {}",
        res.status()
    );
    assert!(res.headers().get(LOCATION).is_none());
    assert!(!res.text().await.unwrap().contains("s3cret"));

    // A flow Carl may see but has not joined: 403.
    let open = r.open_flow().await;
    let f = FileUpload::new("open.txt", "text/plain", b"hi".to_vec());
    let om = r.ann_uploads(&open, &f).await;
    let rest = path_of(&om)
        .strip_prefix(&format!("/files/{}/", open.id))
        .unwrap()
        .to_owned();
    let open_route = format!(
        "/app/{}/{}/files/{rest}",
        r.org.parameterized_name, open.parameterized_name
    );
    assert_eq!(browser.get(&open_route).await.status(), 403);

    // Ann is a member of both flows, but a file is only reached through its own flow.
    let ann = signed_in(&r).await;
    assert_eq!(ann.get(&open_route).await.status(), 302);
    let crossed = format!("{}/files/{rest}", flow_page(&r));
    assert_eq!(ann.get(&crossed).await.status(), 404);
    let missing = format!("{}/files/nope/secret.txt", flow_page(&r));
    assert_eq!(ann.get(&missing).await.status(), 404);
}

async fn flow_pages_and_live_fragments_show_thumbnails_and_links(b: Backend) {
    let r = Room::new(b).await;
    let pic = upload(&r, "chart <1>.png", "image/png", real_png()).await;
    let doc = upload(
        &r,
        "notes \"v2\" <b>.pdf",
        "application/pdf",
        vec![7u8; 1536],
    )
    .await;
    let svg = upload(
        &r,
        "logo.svg",
        "image/svg+xml",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
    )
    .await;
    let (pic_route, doc_route, svg_route) = (
        page_route(&r, &path_of(&pic)),
        page_route(&r, &path_of(&doc)),
        page_route(&r, &path_of(&svg)),
    );
    let thumbnail = format!(
        "<a class=\"attachment-image\" href=\"{pic_route}\" title=\"chart &#60;1&#62;.png (294 B)\">\
         <img src=\"{pic_route}\" width=\"100\" height=\"60\" alt=\"chart &#60;1&#62;.png\"></a>"
    );
    let link = format!(
        "<a class=\"attachment-file\" href=\"{doc_route}\" download>notes &#34;v2&#34; &#60;b&#62;.pdf</a> \
         <span class=\"file-size\">1.5 KB</span>"
    );
    let svg_link =
        format!("<a class=\"attachment-file\" href=\"{svg_route}\" download>logo.svg</a>");

    let ann = signed_in(&r).await;
    let res = ann.get(&flow_page(&r)).await;
    assert_eq!(res.status(), 200);
    let csp = csp_of(&res);
    assert!(csp.contains("img-src 'self'"), "{csp}");
    let html = res.text().await.unwrap();
    for (what, needle) in [
        ("the thumbnail", &thumbnail),
        ("the link", &link),
        ("the SVG as a link", &svg_link),
    ] {
        assert!(html.contains(needle.as_str()), "{what}: {needle}\n{html}");
    }
    assert!(html.contains(&format!("id=\"message-{}\"", pic.id)));
    assert!(!html.contains("<b>.pdf") && !html.contains("<1>"));
    assert!(!html.contains(" style="), "no inline style");

    // The same in the live fragment the page fetches when the stream reports the uploads.
    let live = ann
        .page(&format!(
            "{}/live?messages={},{},{}",
            flow_page(&r),
            pic.id,
            doc.id,
            svg.id
        ))
        .await;
    let chat =
        &live[live.find("data-kind=\"chat\"").unwrap()..live.find("data-kind=\"items\"").unwrap()];
    for needle in [&thumbnail, &link, &svg_link] {
        assert!(chat.contains(needle.as_str()), "{needle}\n{live}");
    }

    // A file posted into a chat thread shows in the thread view, and in its live items.
    let thread = pic.thread_id.clone().unwrap();
    let f = FileUpload::new("reply.txt", "text/plain", b"in the thread".to_vec());
    let reply = r
        .ann
        .client
        .files()
        .upload_to_thread(
            &r.org.parameterized_name,
            &r.flow.parameterized_name,
            &thread,
            &f,
        )
        .await
        .unwrap();
    let reply_link = format!(
        "<a class=\"attachment-file\" href=\"{}\" download>reply.txt</a> <span class=\"file-size\">13 B</span>",
        page_route(&r, &path_of(&reply))
    );
    let page = ann
        .page(&format!("{}/threads/{thread}", flow_page(&r)))
        .await;
    assert!(
        page.contains(&thumbnail) && page.contains(&reply_link),
        "{page}"
    );
    let live = ann
        .page(&format!(
            "{}/live?messages={}&view=thread&thread={thread}",
            flow_page(&r),
            reply.id
        ))
        .await;
    assert!(live.contains(&reply_link), "{live}");
}

async fn inbox_items_show_their_attachments(b: Backend) {
    let r = Room::new(b).await;
    let hook = Integration::new(&r.app.base_url, &r.token);
    let message = PostMessage {
        event: "activity".into(),
        external_thread_id: Some("build-9".into()),
        title: Some("Build 9 failed".into()),
        body: Some(r#"<p>Screen: <img src="cid:shot"></p>"#.into()),
        author: Some(Author {
            name: "CI".into(),
            ..Author::default()
        }),
        thread: Some(ThreadUpdate {
            title: Some("Build 9".into()),
            ..ThreadUpdate::default()
        }),
        ..PostMessage::default()
    };
    let shot = FileUpload::new("shot.png", "image/png", real_png());
    let log = FileUpload::new("build.log", "text/plain", vec![b'x'; 3 * 1024 * 1024]);
    let m = hook
        .post_with_attachments(&message, &[("shot", shot), ("log", log)])
        .await
        .unwrap();
    let by_name = |n: &str| {
        let a = m.attachments.iter().find(|a| a["file_name"] == n).unwrap();
        page_route(&r, a["path"].as_str().unwrap())
    };
    let (shot_route, log_route) = (by_name("shot.png"), by_name("build.log"));
    let thread = m.thread_id.clone().unwrap();

    let ann = signed_in(&r).await;
    let page = ann
        .page(&format!("{}/threads/{thread}", flow_page(&r)))
        .await;
    let item = &page[page.find(&format!("id=\"message-{}\"", m.id)).unwrap()..];
    assert!(
        item.contains(&format!(
            "<img src=\"{shot_route}\" width=\"100\" height=\"60\" alt=\"shot.png\">"
        )),
        "{item}"
    );
    assert!(item.contains(&format!(
        "<a class=\"attachment-file\" href=\"{log_route}\" download>build.log</a> <span class=\"file-size\">3.0 MB</span>"
    )));
    // The body's `cid:` image goes through the page route too, so it loads with a session.
    assert!(
        item.contains(&format!("<img src=\"{shot_route}\"")),
        "{item}"
    );
    assert!(!item.contains("src=\"/files/"), "{item}");

    let live = ann
        .page(&format!(
            "{}/live?messages={}&view=thread&thread={thread}",
            flow_page(&r),
            m.id
        ))
        .await;
    assert!(live.contains(&format!("href=\"{log_route}\" download>build.log</a>")));
    assert!(live.contains("alt=\"shot.png\""));
}
