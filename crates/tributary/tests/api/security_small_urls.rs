//! Issue 15, the small ones (3/4): URL fields are stored normalised and refused with control
//! characters on every path (API, web page, CLI), and remote images in inbox bodies send no
//! referrer.

use std::process::Command;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::browser::{csrf, Browser};
use crate::helpers::Backend;
use crate::messaging::{activity, send, Answer, Room};

backend_tests!(
    application_urls_are_normalised_and_control_characters_refused,
    source_and_thread_urls_are_normalised_and_control_characters_refused,
    remote_images_in_inbox_bodies_send_no_referrer,
);

/// Values no URL field may hold.
const BAD: &[&str] = &[
    "https://x.io/cb\r\nSet-Cookie: a=b",
    "https://x.io/\n",
    "https://x.io/\ta",
    "https://x.io/\0",
    "https://x.io/\u{7f}",
    "https://x.io/\u{85}",
    "\u{1}https://x.io/",
    "javascript:alert(1)",
    "data:text/html,hi",
    "ftp://x.io/",
    "https://",
    "/relative",
];

fn names_field(a: &Answer, field: &str) -> bool {
    a.status == 400 && a.json["errors"][field].is_array()
}

async fn application_urls_are_normalised_and_control_characters_refused(b: Backend) {
    let r = Room::new(b).await;
    let good = json!({
        "name": "Polls",
        "redirect_uri": "HTTPS://Polls.Example:443/cb",
        "icon_url": "https://CDN.example/a b.png",
        "setup_uri": "https://Polls.Example/setup/{flow_id}?url={flow_url}",
        "configuration_uri": "https://polls.example/c/{source_id}?u={source_url}",
    });
    let create = |body: Value| {
        send(
            r.as_user(&r.ann, Method::POST, "/oauth/applications")
                .json(&body),
        )
    };
    let a = create(good.clone()).await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.json["redirect_uri"], "https://polls.example/cb");
    assert_eq!(a.json["icon_url"], "https://cdn.example/a%20b.png");
    // Templates keep their placeholders, wherever they stand.
    assert_eq!(
        a.json["setup_uri"],
        "https://polls.example/setup/{flow_id}?url={flow_url}"
    );
    assert_eq!(
        a.json["configuration_uri"],
        "https://polls.example/c/{source_id}?u={source_url}"
    );
    let id = a.json["id"].as_i64().unwrap();
    let stored = r.app.store.app_by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.redirect_uri, "https://polls.example/cb");
    for field in ["redirect_uri", "icon_url", "setup_uri", "configuration_uri"] {
        for bad in BAD {
            let mut body = good.clone();
            body[field] = json!(bad);
            let a = create(body).await;
            assert!(
                names_field(&a, field),
                "{field}={bad:?}: {} {}",
                a.status,
                a.text
            );
        }
    }
    let a = create(
        json!({"name": "Huge", "redirect_uri": format!("https://x.io/{}", "a".repeat(3000))}),
    )
    .await;
    assert!(names_field(&a, "redirect_uri"), "{}", a.text);
    // The out-of-band redirect stays allowed.
    let a = create(json!({"name": "CLI", "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"})).await;
    assert_eq!(a.status, 201, "{}", a.text);

    // The developer page refuses the same, and re-renders the form.
    let browser = Browser::new(&r.app);
    browser.login(&r.ann).await;
    // The registered URI still matches as the client wrote it, and as stored; no other does.
    for (given, want) in [
        ("HTTPS://Polls.Example:443/cb", 200),
        ("https://polls.example/cb", 200),
        ("https://polls.example/cb/", 400),
        ("https://polls.example/cb\r\n", 400),
    ] {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &stored.client_id)
            .append_pair("redirect_uri", given)
            .append_pair("response_type", "code")
            .finish();
        let res = browser.get(&format!("/oauth/authorize?{query}")).await;
        assert_eq!(res.status(), want, "{given:?}");
    }
    let page = browser.page("/developer/applications/new").await;
    let res = browser
        .post(
            "/developer/applications",
            &[
                ("csrf_token", &csrf(&page)),
                ("name", "Web"),
                ("redirect_uri", "https://x.io/cb"),
                ("icon_url", "https://x.io/i.png\r\nX: y"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("icon_url"));
    let res = browser
        .post(
            "/developer/applications",
            &[
                ("csrf_token", &csrf(&page)),
                ("name", "Web"),
                ("redirect_uri", "https://X.io:443/cb"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let apps = r.app.store.apps_of_owner(r.ann.id).await.unwrap();
    let web = apps.iter().find(|a| a.name == "Web").unwrap();
    assert_eq!(web.redirect_uri, "https://x.io/cb");

    // And so does the CLI.
    let cli = |uri: &str| {
        Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args([
                "admin",
                "app",
                "create",
                "--owner",
                &r.ann.email,
                "--name",
                "Cli",
            ])
            .args(["--redirect-uri", uri, "--database", &r.app.db.url])
            .env_remove("TRIBUTARY_DATABASE")
            .output()
            .expect("run tributary")
    };
    let out = cli("https://x.io/cb\r\nX: y");
    assert!(!out.status.success());
    let err: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).lines().last().unwrap()).unwrap();
    assert!(err["errors"]["redirect_uri"].is_array(), "{err}");
    let out = cli("HTTP://X.io/cb");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    let app = r
        .app
        .store
        .app_by_id(made["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.redirect_uri, "http://x.io/cb");
}

async fn source_and_thread_urls_are_normalised_and_control_characters_refused(b: Backend) {
    let r = Room::new(b).await;
    let create = |url: &str| {
        send(
            r.as_user(&r.ann, Method::POST, &r.path("/sources"))
                .json(&json!({"name": "S", "application_id": r.hook.id, "external_url": url})),
        )
    };
    let a = create("HTTPS://Example.COM").await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.json["external_url"], "https://example.com/");
    for bad in BAD {
        let a = create(bad).await;
        assert!(
            names_field(&a, "external_url"),
            "{bad:?}: {} {}",
            a.status,
            a.text
        );
    }
    // A source's configuration URL: a CR/LF here used to be stored, then break the redirect.
    let put = |url: &str| {
        send(
            r.app
                .http
                .put(r.app.url("/sources"))
                .json(&json!({"flow_token": r.token, "configuration_url": url})),
        )
    };
    for bad in BAD {
        let a = put(bad).await;
        assert!(
            names_field(&a, "configuration_url"),
            "{bad:?}: {} {}",
            a.status,
            a.text
        );
    }
    let a = put("https://Polls.example/configure/1").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.json["configuration_url"],
        "https://polls.example/configure/1"
    );
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(
            r.app
                .url(&r.path(&format!("/sources/{}/configure", r.source.id))),
        )
        .basic_auth(&r.ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "https://polls.example/configure/1"
    );

    // A thread's external_url and an author's avatar, from an integration's post.
    let mut post = activity("pr:1", "Opened");
    post["thread"]["external_url"] = json!("HTTPS://GitHub.com/a/b/pull/1");
    let a = r.token_post(post).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.json["thread"]["external_url"],
        "https://github.com/a/b/pull/1"
    );
    for bad in BAD {
        let mut post = activity("pr:2", "Opened");
        post["thread"]["external_url"] = json!(bad);
        let a = r.token_post(post).await;
        assert!(
            names_field(&a, "thread.external_url"),
            "{bad:?}: {}",
            a.text
        );
        let mut post = activity("pr:2", "Opened");
        post["author"]["avatar"] = json!(bad);
        let a = r.token_post(post).await;
        assert!(names_field(&a, "author.avatar"), "{bad:?}: {}", a.text);
    }
    let push = |link: &str| {
        send(
            r.app
                .http
                .post(r.app.url(&format!("/v1/messages/team_inbox/{}", r.token)))
                .json(&json!({
                    "source": "CI", "from_address": "ci@example.com", "subject": "S",
                    "content": "C", "link": link
                })),
        )
    };
    let a = push("https://ci.example/build/1\r\n").await;
    assert!(names_field(&a, "link"), "{}", a.text);
}

async fn remote_images_in_inbox_bodies_send_no_referrer(b: Backend) {
    let r = Room::new(b).await;
    let mut post = activity("pr:1", "Opened");
    post["body"] = json!(
        r#"<p>Hi <img src="https://tracker.example/p.gif" referrerpolicy="unsafe-url" width="1"></p>"#
    );
    let a = r.token_post(post).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.json["body"].as_str().unwrap();
    assert_eq!(
        body,
        r#"<p>Hi <img src="https://tracker.example/p.gif" width="1" referrerpolicy="no-referrer"></p>"#
    );
    // The page itself: no referrer leaves it, and images are the only remote content.
    let browser = Browser::new(&r.app);
    browser.login(&r.ann).await;
    let res = browser.get("/app/acme/main").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
}
