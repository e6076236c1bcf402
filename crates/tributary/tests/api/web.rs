//! The web pages: login and sessions, CSRF and CSP, the developer-application pages and
//! their tools (publishing and the applications JSON API: `web_publish.rs`).

use serde_json::{json, Value};

use crate::backend_tests;
use crate::browser::{by_id, csrf, location, query_param, Browser};
use crate::helpers::{Backend, TestApp};

backend_tests!(
    login_sets_a_strict_session_and_every_page_is_locked_down,
    forms_without_the_csrf_token_are_refused,
    developers_create_edit_and_rotate_applications_on_pages,
    the_setup_dropdown_and_the_source_tool_work,
);

fn cookie_named<'a>(res: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

async fn login_sets_a_strict_session_and_every_page_is_locked_down(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let browser = Browser::new(&app);
    let res = browser.get("/login").await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let seed = cookie_named(&res, "tributary_csrf")
        .expect("a CSRF cookie")
        .to_owned();
    assert!(
        seed.contains("HttpOnly") && seed.contains("SameSite=Lax"),
        "{seed}"
    );
    let html = res.text().await.unwrap();
    assert!(
        !html.contains("<script") && !html.contains("style="),
        "no inline script or style"
    );
    assert!(html.contains("/static/tributary.css"));
    let css = browser.get("/static/tributary.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    // A wrong password stays on the page.
    let token = csrf(&html);
    let res = browser
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", &ann.email),
                ("password", "nope-nope"),
            ],
        )
        .await;
    assert_eq!(res.status(), 401);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Wrong email or password"));
    // The right one: a session cookie, and back to where the user was going.
    let res = browser
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", &ann.email),
                ("password", &ann.password),
                ("return_to", "/account/authorized_applications"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/authorized_applications");
    let session = cookie_named(&res, "tributary_session").expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let page = browser.page("/developer/applications").await;
    assert!(page.contains("ann Tester"));
    // The session is not an API credential: the API still wants one.
    let res = browser.get("/flows").await;
    assert_eq!(res.status(), 401);
    // Logout ends the session; pages then send the browser to log in.
    let res = browser
        .post("/logout", &[("csrf_token", &csrf(&page))])
        .await;
    assert_eq!(location(&res), "/login");
    let res = browser.get("/developer/applications").await;
    assert_eq!(
        location(&res),
        "/login?return_to=%2Fdeveloper%2Fapplications"
    );
    // return_to never leaves the site.
    let html = browser.page("/login").await;
    let res = browser
        .post(
            "/login",
            &[
                ("csrf_token", &csrf(&html)),
                ("email", &ann.email),
                ("password", &ann.password),
                ("return_to", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/developer/applications");
}

async fn forms_without_the_csrf_token_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let browser = Browser::new(&app);
    browser.page("/login").await;
    let res = browser
        .post(
            "/login",
            &[("email", &ann.email), ("password", &ann.password)],
        )
        .await;
    assert_eq!(res.status(), 403);
    browser.login(&ann).await;
    for (path, form) in [
        (
            "/developer/applications",
            vec![("name", "X"), ("redirect_uri", "https://x.example/cb")],
        ),
        ("/logout", vec![]),
        (
            "/developer/applications",
            vec![("name", "X"), ("csrf_token", "forged")],
        ),
    ] {
        let res = browser.post(path, &form).await;
        assert_eq!(res.status(), 403, "{path}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("did not come from this site"));
    }
    assert!(app.store.apps_of_owner(ann.id).await.unwrap().is_empty());
    // A token minted for another browser does not work either.
    let other = Browser::new(&app);
    other.login(&ann).await;
    let foreign = csrf(&other.page("/developer/applications/new").await);
    let res = browser
        .post(
            "/developer/applications",
            &[
                ("csrf_token", &foreign),
                ("name", "X"),
                ("redirect_uri", "https://x.example/cb"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
}

async fn developers_create_edit_and_rotate_applications_on_pages(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let browser = Browser::new(&app);
    browser.login(&ann).await;
    let form = browser.page("/developer/applications/new").await;
    let token = csrf(&form);
    // Validation errors come back on the form, with what was typed.
    let res = browser
        .post(
            "/developer/applications",
            &[
                ("csrf_token", &token),
                ("name", "Polldock"),
                ("redirect_uri", "not a url"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("redirect_uri must be an absolute http or https URL"));
    assert!(html.contains("value=\"Polldock\""));
    let res = browser
        .post(
            "/developer/applications",
            &[
                ("csrf_token", &token),
                ("name", "Polldock"),
                ("icon_url", "https://icons.example/p.png"),
                (
                    "redirect_uri",
                    "https://polls.example/auth/flowdock/callback",
                ),
                (
                    "setup_uri",
                    "https://polls.example/flowdock/setup?flow={flow_id}&flow_url={flow_url}",
                ),
                ("configuration_uri", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let show_path = location(&res);
    let stored = app.store.apps_of_owner(ann.id).await.unwrap().remove(0);
    assert_eq!(show_path, format!("/developer/applications/{}", stored.id));
    assert_eq!(
        stored.configuration_uri, None,
        "a blank optional URI is none"
    );
    let show = browser.page(&show_path).await;
    assert_eq!(by_id(&show, "client-id"), stored.client_id);
    assert_eq!(by_id(&show, "client-secret"), stored.client_secret);
    assert!(browser
        .page("/developer/applications")
        .await
        .contains("Polldock"));
    // Edit.
    let edit = browser.page(&format!("{show_path}/edit")).await;
    assert!(edit.contains("value=\"https://polls.example/auth/flowdock/callback\""));
    let res = browser
        .post(
            &show_path,
            &[
                ("csrf_token", &csrf(&edit)),
                ("name", "Polldock 2"),
                ("redirect_uri", "https://polls.example/cb"),
                ("configuration_uri", "https://polls.example/configure"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let edited = app.store.app_by_id(stored.id).await.unwrap().unwrap();
    assert_eq!(edited.name, "Polldock 2");
    assert_eq!(edited.redirect_uri, "https://polls.example/cb");
    assert_eq!(edited.setup_uri, None);
    assert_eq!(
        edited.configuration_uri.as_deref(),
        Some("https://polls.example/configure")
    );
    // Rotate the secret: the old one stops working at once.
    let res = browser
        .post(
            &format!("{show_path}/secret"),
            &[("csrf_token", &csrf(&show))],
        )
        .await;
    assert_eq!(res.status(), 303);
    let rotated = app.store.app_by_id(stored.id).await.unwrap().unwrap();
    assert_ne!(rotated.client_secret, stored.client_secret);
    assert_eq!(
        by_id(&browser.page(&show_path).await, "client-secret"),
        rotated.client_secret
    );
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", stored.client_id.as_str()),
            ("client_secret", stored.client_secret.as_str()),
            ("username", ann.email.as_str()),
            ("password", ann.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Someone else's application does not exist for this user.
    let bob = app.user("bob").await;
    let other = Browser::new(&app);
    other.login(&bob).await;
    assert_eq!(other.get(&show_path).await.status(), 404);
}

async fn the_setup_dropdown_and_the_source_tool_work(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, flow) = app.ann_in_main().await;
    let dev = crate::oauth::register(&app, &ann, crate::oauth::CALLBACK).await;
    let browser = Browser::new(&app);
    browser.login(&ann).await;
    let path = format!("/developer/applications/{}", dev.id);
    let page = browser.page(&path).await;
    assert!(page.contains(&format!("<option value=\"{}\"", flow.id)));
    assert!(page.contains("Acme / Main"));
    // Choosing the flow generates the full setup URI and the start link.
    let page = browser.page(&format!("{path}?flow={}", flow.id)).await;
    let setup = by_id(&page, "setup-uri");
    assert_eq!(
        query_param(&setup, "flow").as_deref(),
        Some(flow.id.as_str())
    );
    assert_eq!(
        query_param(&setup, "flow_url"),
        Some(app.url("/flows/acme/main"))
    );
    assert!(page.contains("Start setup process"));
    // The source tool shows a working flow_token once.
    let res = browser
        .post(
            &format!("{path}/sources"),
            &[
                ("csrf_token", &csrf(&page)),
                ("flow", &flow.id),
                ("name", "Test source"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let token = by_id(&html, "flow-token");
    let res = app
        .http
        .put(app.url("/sources"))
        .json(&json!({"flow_token": token, "error_message": "testing"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let source: Value = res.json().await.unwrap();
    assert_eq!(source["name"], "Test source");
    assert!(
        !browser.page(&path).await.contains(&token),
        "shown only once"
    );
}
