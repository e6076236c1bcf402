//! Downloads (flowdock/api-docs docs/files.md): a member's `GET <path>` is one 302 to a short-lived signed URL
//! that answers the bytes; non-members, expired and tampered signatures are refused; the
//! bytes come with headers that keep an uploaded HTML or SVG file from running.

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::redirect::Policy;
use tributary::files::signing;
use tributary_sdk::FileUpload;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(
    a_download_is_exactly_one_redirect_to_a_signed_url,
    only_members_may_download,
    expired_and_tampered_signatures_are_403,
    html_and_svg_uploads_are_served_inert,
);

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn upload(r: &Room, name: &str, content_type: &str, bytes: &[u8]) -> String {
    let f = FileUpload::new(name, content_type, bytes.to_vec());
    let m = r
        .ann
        .client
        .files()
        .upload(&r.org.parameterized_name, "main", &f)
        .await
        .unwrap();
    m.attachments[0]["path"].as_str().unwrap().to_owned()
}

/// The signed URL a member is sent to.
async fn signed_url(r: &Room, path: &str) -> String {
    let res = no_redirects()
        .get(r.app.url(path))
        .basic_auth(&r.ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    res.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn a_download_is_exactly_one_redirect_to_a_signed_url(b: Backend) {
    let r = Room::new(b).await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 256) as u8).collect();
    let path = upload(&r, "data.bin", "application/octet-stream", &bytes).await;
    let http = no_redirects();
    let res = http
        .get(r.app.url(&path))
        .basic_auth(&r.bob.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()["flowdock-user"],
        r.bob.id.to_string().as_str()
    );
    assert_eq!(res.headers()["content-length"], "0");
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(&r.app.url(&path)), "{location}");
    assert!(location.contains("expires=") && location.contains("signature="));
    // The signed URL needs no credentials and answers the bytes, not another redirect.
    let res = http.get(&location).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert_eq!(
        res.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    // A client that follows redirects sees exactly one.
    let res = r
        .app
        .http
        .get(r.app.url(&path))
        .basic_auth(&r.ann.token, Some("undefined"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    // `//files/...` (the path appended to a base URL ending in `/`) works too.
    let res = http
        .get(format!("{}/{path}", r.app.base_url))
        .basic_auth(&r.ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
}

async fn only_members_may_download(b: Backend) {
    let r = Room::new(b).await;
    let path = upload(&r, "secret.txt", "text/plain", b"top secret").await;
    let http = no_redirects();
    let status = |res: reqwest::Response| res.status().as_u16();
    // No credential, or a wrong one.
    assert_eq!(
        status(http.get(r.app.url(&path)).send().await.unwrap()),
        401
    );
    let wrong = http
        .get(r.app.url(&path))
        .basic_auth("0000", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(status(wrong), 401);
    // A user of another organization cannot see the flow: 404.
    let eve = r.app.user("eve").await;
    let res = http
        .get(r.app.url(&path))
        .basic_auth(&eve.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 404);
    // An organization member who could join an organization flow but has not: 403.
    let carl = r.app.user("carl").await;
    r.app.join_org(&r.org, &carl, false).await;
    let open = r.open_flow().await;
    let f = FileUpload::new("plan.txt", "text/plain", b"plan".to_vec());
    let m = r.ann_uploads(&open, &f).await;
    let open_path = m.attachments[0]["path"].as_str().unwrap();
    let res = http
        .get(r.app.url(open_path))
        .basic_auth(&carl.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 403);
    // A member of one flow cannot reach another flow's file by swapping the flow id.
    let swapped = open_path.replace(&open.id, &r.flow.id);
    let res = http
        .get(r.app.url(&swapped))
        .basic_auth(&r.bob.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 404);
    // An unknown file is 404 for a member.
    let res = http
        .get(
            r.app
                .url(&format!("/files/{}/{}/x.txt", r.flow.id, "0".repeat(32))),
        )
        .basic_auth(&r.bob.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(status(res), 404);
}

fn query_value(url: &str, key: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .unwrap()
        .1
        .into_owned()
}

async fn expired_and_tampered_signatures_are_403(b: Backend) {
    let r = Room::new(b).await;
    let path = upload(&r, "a.txt", "text/plain", b"content").await;
    let url = signed_url(&r, &path).await;
    let base = url.split_once('?').unwrap().0.to_owned();
    let (expires, signature) = (query_value(&url, "expires"), query_value(&url, "signature"));
    let http = no_redirects();
    let get = |u: String| {
        let http = http.clone();
        async move {
            let res = http.get(u).send().await.unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            (status, body["message"].as_str().unwrap_or("").to_owned())
        }
    };
    assert_eq!(get(url.clone()).await.0, 200);
    // Signed with the server's own key, but already expired.
    let file_id = path.split('/').nth(3).unwrap().to_owned();
    let secret = r
        .app
        .store
        .server_secret(signing::SECRET_NAME, "unused: the key exists")
        .await
        .unwrap();
    let past = tributary::store::now_millis() / 1000 - 10;
    let old = signing::sign(&secret, &r.flow.id, &file_id, past);
    let (status, message) = get(format!("{base}?expires={past}&signature={old}")).await;
    assert_eq!(status, 403);
    assert!(message.contains("expired"), "{message}");
    // Tampered: another expiry, a changed signature, none at all, or a signature of another file.
    let later: i64 = expires.parse::<i64>().unwrap() + 3600;
    let mut flipped = signature.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    let other_path = upload(&r, "b.txt", "text/plain", b"other").await;
    let other_url = signed_url(&r, &other_path).await;
    let other_sig = query_value(&other_url, "signature");
    let other_exp = query_value(&other_url, "expires");
    for tampered in [
        format!("{base}?expires={later}&signature={signature}"),
        format!("{base}?expires={expires}&signature={flipped}"),
        format!("{base}?expires={expires}"),
        format!("{base}?expires=soon&signature={signature}"),
        format!("{base}?expires={other_exp}&signature={other_sig}"),
    ] {
        let (status, message) = get(tampered.clone()).await;
        assert_eq!(status, 403, "{tampered}");
        assert!(message.contains("invalid"), "{tampered}: {message}");
    }
}

fn assert_inert(h: &HeaderMap, content_type: &str, disposition: &str) {
    assert_eq!(h["content-type"], content_type);
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
    let d = h["content-disposition"].to_str().unwrap();
    assert!(d.starts_with(disposition), "{d}");
}

async fn html_and_svg_uploads_are_served_inert(b: Backend) {
    let r = Room::new(b).await;
    let html = b"<html><script>fetch('/flows').then(r => r.text()).then(alert)</script></html>";
    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>"#;
    let png = crate::files_upload::png(10);
    for (name, content_type, bytes, disposition) in [
        ("page.html", "text/html", &html[..], "attachment;"),
        ("logo.svg", "image/svg+xml", &svg[..], "attachment;"),
        ("pic.png", "image/png", &png[..], "inline;"),
    ] {
        let path = upload(&r, name, content_type, bytes).await;
        let url = signed_url(&r, &path).await;
        let res = no_redirects().get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_inert(res.headers(), content_type, disposition);
        assert!(res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(name));
        assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    }
    // Without a type (Python's requests sends none), the name decides; SVG stays a download.
    let boundary = "b0undary";
    let raw = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nfile\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"x.svg\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        String::from_utf8_lossy(svg)
    );
    let res = r
        .as_user(&r.ann, reqwest::Method::POST, &r.path("/messages"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let m: serde_json::Value = res.json().await.unwrap();
    assert_eq!(m["attachments"][0]["content_type"], "image/svg+xml");
    assert!(
        m["attachments"][0].get("image").is_none(),
        "SVG is not shown inline"
    );
    let url = signed_url(&r, m["attachments"][0]["path"].as_str().unwrap()).await;
    let res = no_redirects().get(url).send().await.unwrap();
    assert_inert(res.headers(), "image/svg+xml", "attachment;");
}
