//! Issue 15, point 3: passwords. An unknown email costs an argon2 verification like a wrong
//! password, on every sign-in path; the checks run a few at a time, and past the wait the
//! answer is 503 with `Retry-After`; the OAuth password grant works only for applications an
//! admin marked.

use std::time::Duration;

use serde_json::Value;
use tributary::state::Passwords;

use crate::backend_tests;
use crate::browser::{csrf, Browser};
use crate::helpers::{Backend, TestApp, TestDb, TestUser};
use crate::oauth::{token_request, CALLBACK};

backend_tests!(
    the_password_grant_needs_an_application_marked_for_it,
    an_unknown_email_costs_a_verification_everywhere,
    password_checks_run_a_few_at_a_time,
    a_flood_past_the_wait_answers_503_with_retry_after,
    the_cli_marks_applications_for_the_password_grant,
);

/// A server and its password checker, to count what the checker did.
async fn spawn(b: Backend, passwords: Passwords) -> (TestApp, Passwords) {
    let seen = passwords.clone();
    let app = TestApp::spawn_with(b, move |state| state.passwords = passwords).await;
    (app, seen)
}

async fn application(app: &TestApp, owner: &TestUser, password_grant: bool) -> (String, String) {
    let created = tributary::apps::create_app(
        &app.store,
        tributary::apps::CreateApp {
            owner_email: owner.email.clone(),
            name: "Script".into(),
            redirect_uri: CALLBACK.into(),
            password_grant,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (created.client_id, created.client_secret)
}

async fn password_grant(
    app: &TestApp,
    client: &(String, String),
    email: &str,
    password: &str,
) -> (u16, Value) {
    token_request(
        app,
        &[
            ("grant_type", "password"),
            ("client_id", &client.0),
            ("client_secret", &client.1),
            ("username", email),
            ("password", password),
        ],
    )
    .await
}

async fn basic_status(app: &TestApp, email: &str, password: &str) -> u16 {
    app.http
        .get(app.url("/user"))
        .basic_auth(email, Some(password))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn the_password_grant_needs_an_application_marked_for_it(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let unmarked = application(&app, &ann, false).await;
    let (status, body) = password_grant(&app, &unmarked, &ann.email, &ann.password).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    assert!(body["error_description"].is_string(), "{body}");
    // A marked application gets its tokens.
    let marked = application(&app, &ann, true).await;
    let (status, body) = password_grant(&app, &marked, &ann.email, &ann.password).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    // An admin may mark an existing application, and take the mark away again.
    let stored = app
        .store
        .app_by_client_id(&unmarked.0)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.password_grant);
    tributary::apps::manage::set_password_grant(&app.store, stored.id, true)
        .await
        .unwrap();
    let (status, _) = password_grant(&app, &unmarked, &ann.email, &ann.password).await;
    assert_eq!(status, 200);
    tributary::apps::manage::set_password_grant(&app.store, stored.id, false)
        .await
        .unwrap();
    let (status, _) = password_grant(&app, &unmarked, &ann.email, &ann.password).await;
    assert_eq!(status, 400);
}

async fn an_unknown_email_costs_a_verification_everywhere(b: Backend) {
    let (app, passwords) = spawn(b, Passwords::default()).await;
    let ann = app.user("ann").await;
    let client = application(&app, &ann, true).await;
    let unknown = "nobody@example.com";

    // Basic auth: a wrong password and an unknown email both run argon2 once, and answer alike.
    let before = passwords.verifications();
    assert_eq!(basic_status(&app, &ann.email, "wrong-password").await, 401);
    assert_eq!(passwords.verifications(), before + 1);
    assert_eq!(basic_status(&app, unknown, "wrong-password").await, 401);
    assert_eq!(
        passwords.verifications(),
        before + 2,
        "an unknown email is verified against the dummy hash"
    );

    // The OAuth password grant.
    let before = passwords.verifications();
    let (status, wrong) = password_grant(&app, &client, &ann.email, "wrong-password").await;
    assert_eq!(status, 400);
    let (status, missing) = password_grant(&app, &client, unknown, "wrong-password").await;
    assert_eq!(status, 400);
    assert_eq!(wrong, missing, "the same answer for both");
    assert_eq!(passwords.verifications(), before + 2);

    // The web sign-in.
    let browser = Browser::new(&app);
    let before = passwords.verifications();
    for email in [ann.email.as_str(), unknown] {
        let token = csrf(&browser.page("/login").await);
        let res = browser
            .post(
                "/login",
                &[
                    ("csrf_token", token.as_str()),
                    ("email", email),
                    ("password", "wrong-password"),
                ],
            )
            .await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(passwords.verifications(), before + 2);
}

/// Sends `n` Basic-auth requests with a wrong password at once, half of them for `email` and
/// half for unknown emails, and returns the answers.
async fn flood(app: &TestApp, email: &str, n: usize) -> Vec<reqwest::Response> {
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..n {
        let email = if i % 2 == 0 {
            email.to_owned()
        } else {
            format!("nobody{i}@example.com")
        };
        let request = app
            .http
            .get(app.url("/user"))
            .basic_auth(email, Some("wrong-password"));
        requests.spawn(async move { request.send().await.unwrap() });
    }
    requests.join_all().await
}

async fn password_checks_run_a_few_at_a_time(b: Backend) {
    let (app, passwords) = spawn(b, Passwords::new(2, Duration::from_secs(120))).await;
    let ann = app.user("ann").await;
    let before = passwords.verifications();
    let answers = flood(&app, &ann.email, 20).await;
    assert!(answers.iter().all(|r| r.status() == 401));
    let peak = passwords.peak_concurrency();
    assert!(
        (1..=2).contains(&peak),
        "at most 2 verifications at once, saw {peak}"
    );
    assert_eq!(passwords.verifications(), before + 20);
}

async fn a_flood_past_the_wait_answers_503_with_retry_after(b: Backend) {
    let (app, _) = spawn(b, Passwords::new(1, Duration::from_millis(1))).await;
    let ann = app.user("ann").await;
    let answers = flood(&app, &ann.email, 8).await;
    assert!(answers
        .iter()
        .all(|r| r.status() == 503 || r.status() == 401));
    let busy = answers
        .into_iter()
        .find(|r| r.status() == 503)
        .expect("8 checks at once with one permit and 1 ms of patience: some give up");
    assert_eq!(busy.headers()["retry-after"], "1");
    let body: Value = busy.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
}

/// Runs `tributary admin ...` on the test's database and returns its JSON answer.
fn admin(db: &TestDb, args: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("admin")
        .args(args)
        .args(["--database", &db.url])
        .env_remove("TRIBUTARY_DATABASE")
        .output()
        .expect("run tributary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn the_cli_marks_applications_for_the_password_grant(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let create = |extra: &[&str]| {
        let mut args = vec![
            "app",
            "create",
            "--owner",
            ann.email.as_str(),
            "--name",
            "Tool",
            "--redirect-uri",
            CALLBACK,
        ];
        args.extend_from_slice(extra);
        let out = admin(&app.db, &args);
        let client = (
            out["client_id"].as_str().unwrap().to_owned(),
            out["client_secret"].as_str().unwrap().to_owned(),
        );
        (out["id"].to_string(), client)
    };
    // Off by default.
    let (id, plain) = create(&[]);
    let (status, body) = password_grant(&app, &plain, &ann.email, &ann.password).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    // `--password-grant` at creation.
    let (_, trusted) = create(&["--password-grant"]);
    let (status, body) = password_grant(&app, &trusted, &ann.email, &ann.password).await;
    assert_eq!(status, 200, "{body}");
    // `app password-grant` for an existing application, and `--disallow` to take it back; the
    // running server sees each change on its next request.
    let out = admin(&app.db, &["app", "password-grant", "--id", &id]);
    assert_eq!(out["password_grant"], true);
    let (status, _) = password_grant(&app, &plain, &ann.email, &ann.password).await;
    assert_eq!(status, 200);
    let out = admin(
        &app.db,
        &["app", "password-grant", "--id", &id, "--disallow"],
    );
    assert_eq!(out["password_grant"], false);
    let (status, _) = password_grant(&app, &plain, &ann.email, &ann.password).await;
    assert_eq!(status, 400);
}
