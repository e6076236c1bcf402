//! The web pages' publishing, through the page and the CLI, and the applications JSON API.

use std::process::Command;

use serde_json::{json, Value};

use crate::backend_tests;
use crate::browser::{csrf, Browser};
use crate::helpers::{Backend, TestApp};

backend_tests!(
    admins_publish_through_the_page_and_the_cli,
    the_applications_json_api_creates_and_lists,
);

fn tributary(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(args)
        .args(["--database", url])
        .env_remove("TRIBUTARY_DATABASE")
        .output()
        .expect("run tributary")
}

async fn browser_for(app: &TestApp, email: &str, password: &str) -> Browser {
    let browser = Browser::new(app);
    let html = browser.page("/login").await;
    let res = browser
        .post(
            "/login",
            &[
                ("csrf_token", &csrf(&html)),
                ("email", email),
                ("password", password),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    browser
}

async fn admins_publish_through_the_page_and_the_cli(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = crate::oauth::register(&app, &ann, crate::oauth::CALLBACK).await;
    let visitor = Browser::new(&app);
    assert!(!visitor.page("/integrations").await.contains("Polldock"));
    // The CLI publishes and prints one JSON object.
    let out = tributary(
        &app.db.url,
        &["admin", "app", "publish", "--id", &dev.id.to_string()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        printed,
        json!({"id": dev.id, "name": "Polldock", "published": true})
    );
    assert!(visitor.page("/integrations").await.contains("Polldock"));
    let out = tributary(&app.db.url, &["admin", "app", "publish", "--id", "999999"]);
    assert!(!out.status.success());
    // Non-admins do not see the admin page; `user create --admin` makes an admin.
    let browser = Browser::new(&app);
    browser.login(&ann).await;
    assert_eq!(browser.get("/admin/applications").await.status(), 404);
    let out = tributary(
        &app.db.url,
        &[
            "admin",
            "user",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Root",
            "--nick",
            "root",
            "--password",
            "root-password",
            "--admin",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = browser_for(&app, "root@example.com", "root-password").await;
    let page = root.page("/admin/applications").await;
    assert!(page.contains("Unpublish"));
    let res = root
        .post(
            &format!("/admin/applications/{}/publish", dev.id),
            &[("csrf_token", &csrf(&page)), ("published", "false")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        !app.store
            .app_by_id(dev.id)
            .await
            .unwrap()
            .unwrap()
            .published
    );
    assert!(!visitor.page("/integrations").await.contains("Polldock"));
}

async fn the_applications_json_api_creates_and_lists(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    // Flowdock's own script: email and password, fields nested under `application`.
    let res = app
        .http
        .post(app.url("/oauth/applications"))
        .basic_auth(&ann.email, Some(&ann.password))
        .json(&json!({"application": {"name": "CLI tool", "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["name"], "CLI tool");
    assert!(created["client_id"].is_string() && created["client_secret"].is_string());
    let listed = ann.client.applications().list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].client_id.as_deref(),
        created["client_id"].as_str()
    );
    let shown = ann.client.applications().get(listed[0].id).await.unwrap();
    assert_eq!(shown, listed[0]);
    let err = ann
        .client
        .applications()
        .create(&tributary_types::CreateApplication {
            name: String::new(),
            redirect_uri: "https://x.example/cb".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    let err = ann.client.applications().get(424242).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
}
