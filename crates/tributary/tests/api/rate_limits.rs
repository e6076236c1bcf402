//! Issue 18, point 1: rate limits. Every answer carries `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset`; an empty bucket answers 429 with
//! `Retry-After` and a Flowdock-shaped body; each credential has its own bucket; failed
//! password checks are throttled per account and per address; the bucket table stays bounded;
//! the SDK waits out `Retry-After`.

use std::time::{Duration, Instant};

use serde_json::Value;
use tributary::state::limits::{LimitSettings, Rate, RateLimits};
use tributary_sdk::{Error, Retry};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    every_answer_says_what_is_left,
    an_empty_bucket_answers_429_and_spares_other_credentials,
    password_guesses_are_throttled_per_account,
    password_guesses_are_throttled_per_address,
    a_flood_of_distinct_credentials_keeps_the_table_bounded,
    limits_can_be_turned_off,
    the_sdk_waits_out_retry_after,
);

/// A server with `settings` for its limits, and those limits, to look at their tables.
async fn spawn(b: Backend, settings: LimitSettings) -> (TestApp, RateLimits) {
    let limits = RateLimits::new(&settings);
    let seen = limits.clone();
    let app = TestApp::spawn_with(b, move |state| state.limits = limits).await;
    (app, seen)
}

/// Limits of `burst` requests that come back only after a long time.
fn tiny(burst: u32) -> LimitSettings {
    let rate = Rate {
        burst,
        per_sec: 0.01,
    };
    LimitSettings {
        per_credential: rate,
        per_ip: rate,
        ..LimitSettings::default()
    }
}

fn header(res: &reqwest::Response, name: &str) -> u64 {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} on {} {}", res.status(), res.url()))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn every_answer_says_what_is_left(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let get = |path: &str, token: Option<&str>| {
        let req = app.http.get(app.url(path));
        match token {
            Some(t) => req.basic_auth(t, Some("")),
            None => req,
        }
        .send()
    };
    let ok = get("/user", Some(&ann.token)).await.unwrap();
    assert_eq!(ok.status(), 200);
    let limit = header(&ok, "ratelimit-limit");
    assert_eq!(
        limit,
        u64::from(LimitSettings::default().per_credential.burst)
    );
    assert_eq!(header(&ok, "ratelimit-remaining"), limit - 1);
    assert!(header(&ok, "ratelimit-reset") <= 1);
    let missing = get("/flows/nope/nope", Some(&ann.token)).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "ratelimit-remaining"), limit - 2);
    let unknown_path = get("/no-such-thing", None).await.unwrap();
    assert_eq!(unknown_path.status(), 404);
    assert_eq!(header(&unknown_path, "ratelimit-remaining"), limit - 1);
    let refused = get("/user", None).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(header(&refused, "ratelimit-remaining"), limit - 2);
    let health = get("/healthz", None).await.unwrap();
    assert!(health.headers().contains_key("ratelimit-limit"));
}

async fn an_empty_bucket_answers_429_and_spares_other_credentials(b: Backend) {
    let (app, _) = spawn(b, tiny(3)).await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let get = |token: &str| {
        app.http
            .get(app.url("/user"))
            .basic_auth(token, Some(""))
            .send()
    };
    for left in (0..3).rev() {
        let res = get(&ann.token).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-remaining"), left);
    }
    let res = get(&ann.token).await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(header(&res, "retry-after") >= 1);
    assert_eq!(header(&res, "ratelimit-remaining"), 0);
    assert!(header(&res, "ratelimit-reset") >= header(&res, "retry-after"));
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
    assert_eq!(body["errors"], serde_json::json!({}));
    // The same token as a query parameter draws from the same bucket.
    let res = app
        .http
        .get(app.url(&format!("/flows?access_token={}", ann.token)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(get(&bob.token).await.unwrap().status(), 200);
}

/// `GET /user` with Basic auth: an email and password, or an API token and nothing.
async fn basic(app: &TestApp, user: &str, password: &str) -> reqwest::Response {
    let request = app
        .http
        .get(app.url("/user"))
        .basic_auth(user, Some(password));
    request.send().await.unwrap()
}

/// Password limits of `per_account` and `per_address` failures that do not come back during
/// the test, however long its argon2 checks take.
fn guesses(per_account: u32, per_address: u32) -> LimitSettings {
    let slow = |burst| Rate {
        burst,
        per_sec: 0.0001,
    };
    LimitSettings {
        password_account: slow(per_account),
        password_ip: slow(per_address),
        ..LimitSettings::default()
    }
}

async fn password_guesses_are_throttled_per_account(b: Backend) {
    let (app, _) = spawn(b, guesses(4, 100)).await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    // Right passwords do not count: an integration signing in each time is not throttled.
    for _ in 0..6 {
        assert_eq!(basic(&app, &ann.email, &ann.password).await.status(), 200);
    }
    for _ in 0..4 {
        assert_eq!(basic(&app, &ann.email, "guess").await.status(), 401);
    }
    let res = basic(&app, &ann.email, "guess").await;
    assert_eq!(res.status(), 429);
    assert!(header(&res, "retry-after") >= 1);
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
    // Now even the right password waits, however the email is spelled.
    let upper = ann.email.to_uppercase();
    assert_eq!(basic(&app, &upper, &ann.password).await.status(), 429);
    // Another account is not affected.
    assert_eq!(basic(&app, &bob.email, &bob.password).await.status(), 200);
}

async fn password_guesses_are_throttled_per_address(b: Backend) {
    let (app, _) = spawn(b, guesses(3, 6)).await;
    let mut users = Vec::new();
    for _ in 0..3 {
        users.push(app.user("guessed").await);
    }
    let fresh = app.user("fresh").await;
    // Two guesses per account, under its limit of 3: only the address's bucket empties.
    for user in users.iter().chain(users.iter()) {
        assert_eq!(basic(&app, &user.email, "guess").await.status(), 401);
    }
    let res = basic(&app, &fresh.email, "guess").await;
    assert_eq!(res.status(), 429, "a fresh account from the same address");
    assert!(header(&res, "retry-after") >= 1);
    assert_eq!(
        basic(&app, &fresh.email, &fresh.password).await.status(),
        429
    );
}

async fn a_flood_of_distinct_credentials_keeps_the_table_bounded(b: Backend) {
    let settings = LimitSettings {
        max_keys: 50,
        ..LimitSettings::default()
    };
    let (app, limits) = spawn(b, settings).await;
    for i in 0..300 {
        let res = app
            .http
            .get(app.url("/user"))
            .bearer_auth(format!("made-up-{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let keys = limits.credential().len();
    assert!((1..=50).contains(&keys), "{keys} keys");
}

async fn limits_can_be_turned_off(b: Backend) {
    let settings = LimitSettings {
        enabled: false,
        ..tiny(1)
    };
    let (app, _) = spawn(b, settings).await;
    let ann = app.user("ann").await;
    for _ in 0..5 {
        let res = basic(&app, &ann.token, "").await;
        assert_eq!(res.status(), 200);
        assert!(!res.headers().contains_key("ratelimit-limit"));
    }
}

async fn the_sdk_waits_out_retry_after(b: Backend) {
    let settings = LimitSettings {
        per_credential: Rate {
            burst: 1,
            per_sec: 1.0,
        },
        ..LimitSettings::default()
    };
    let (app, _) = spawn(b, settings).await;
    let ann = app.user("ann").await;
    let plain = app.sdk().with_api_token(&ann.token);
    plain.organizations().list().await.unwrap();
    match plain.organizations().list().await {
        Err(Error::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(1)));
        }
        other => panic!("expected 429, got {other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let patient = plain.with_retry(Retry::backoff(3));
    patient.organizations().list().await.unwrap();
    let started = Instant::now();
    patient.organizations().list().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
}
