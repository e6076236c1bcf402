//! The integration guide end to end, with real processes: `tributary serve` and Polldock
//! (the example integration, `examples/polldock`) each run as their own binary, and a
//! cookie-keeping HTTP client plays the person who clicks through both. Every step of
//! issue 9's list: setup, OAuth consent, the confirmation screen, the "new integration"
//! inbox item, a poll arriving live with status and fields, a vote from the flow through
//! the 401 challenge and the pairing page, Configure, error_message, and removal with 410.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::browser::{hidden_inputs, location, query_param, Browser};
use crate::polldock_harness::Guide;

/// A live JSON stream of the flow.
struct Live {
    response: reqwest::Response,
    buf: Vec<u8>,
}

impl Live {
    async fn open(g: &Guide) -> Live {
        let response = reqwest::Client::new()
            .get(format!("{}/stream/flows/acme/main", g.tributary))
            .basic_auth(&g.ann_token, Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        Live {
            response,
            buf: Vec::new(),
        }
    }

    /// The next streamed message that matches, within ten seconds.
    async fn next_where(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            while let Some(at) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..at + 2).collect();
                if let Ok(v) = serde_json::from_slice::<Value>(&line[..at]) {
                    if pred(&v) {
                        return v;
                    }
                }
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.buf.extend_from_slice(&chunk),
                other => panic!("the stream ended or stalled: {other:?}"),
            }
        }
    }
}

fn field(thread: &Value, label: &str) -> Value {
    thread["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["label"] == label))
        .map(|x| x["value"].clone())
        .unwrap_or(Value::Null)
}

/// Follows redirects by hand (the browser keeps them visible), returning the final page.
async fn follow(browser: &Browser, mut url: String) -> (String, String) {
    for _ in 0..10 {
        let res = browser.get(&url).await;
        if res.status().is_redirection() {
            let next = location(&res);
            url = if next.starts_with('/') {
                let base = reqwest::Url::parse(&url).unwrap();
                base.join(&next).unwrap().to_string()
            } else {
                next
            };
            continue;
        }
        assert_eq!(res.status(), 200, "GET {url}");
        return (url, res.text().await.unwrap());
    }
    panic!("too many redirects from {url}");
}

/// Submits a Polldock form and returns where it redirected.
async fn submit(browser: &Browser, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    browser.post(url, form).await
}

#[tokio::test]
async fn the_whole_guide_runs_between_two_real_processes() {
    let g = Guide::start().await;
    let browser = Browser::at(&g.tributary);
    let html = browser.page("/login").await;
    let token = crate::browser::csrf(&html);
    let res = browser
        .post(
            "/login",
            &[
                ("csrf_token", token.as_str()),
                ("email", &g.ann_email),
                ("password", &g.ann_password),
                ("return_to", "/"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Step 2: "Add integration" goes to Polldock's setup endpoint with flow and flow_url.
    let res = browser
        .get(&format!(
            "/flows/acme/main/integrations/new?app={}",
            g.app_id
        ))
        .await;
    let setup = location(&res);
    assert!(
        setup.starts_with(&format!("{}/flowdock/setup?", g.polldock)),
        "{setup}"
    );
    assert_eq!(
        query_param(&setup, "flow").as_deref(),
        Some(g.flow_id.as_str())
    );
    assert_eq!(
        query_param(&setup, "flow_url").unwrap(),
        format!("{}/flows/acme/main", g.tributary)
    );
    // Polldock wants to know who its user is first.
    let res = browser.get(&setup).await;
    let login = location(&res);
    assert!(login.starts_with("/login?return_to="), "{login}");
    let res = submit(
        &browser,
        &format!("{}/login", g.polldock),
        &[("name", "Ann"), ("return_to", &setup[g.polldock.len()..])],
    )
    .await;
    assert_eq!(location(&res), &setup[g.polldock.len()..]);

    // Step 3: OAuth through the SDK; the consent page names the application and the flow.
    let res = browser.get(&setup).await;
    let authorize = location(&res);
    assert!(authorize.starts_with(&format!("{}/oauth/authorize?", g.tributary)));
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let (consent, back) = browser.consent(&authorize, "approve").await;
    assert!(consent.contains("Polldock"), "{consent}");
    assert!(back.starts_with(&format!("{}/auth/flowdock/callback?", g.polldock)));

    // Step 4: flows/find and the confirmation screen, then the source.
    let (_, confirm) = follow(&browser, back).await;
    assert!(
        confirm.contains("Add Polldock to <span id=\"flow-name\">Main</span>?"),
        "{confirm}"
    );
    let form = hidden_inputs(&confirm);
    let pending = form.iter().find(|(k, _)| k == "pending").unwrap().1.clone();
    let res = submit(
        &browser,
        &format!("{}/flowdock/confirm", g.polldock),
        &[("pending", &pending), ("name", "Lunch polls")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Polldock now posts to Main"));
    let source = g.source().await.expect("the source exists");
    assert_eq!(source["name"], "Lunch polls");
    let source_id = source["id"].as_i64().unwrap();
    let (_, messages) = g
        .api(
            reqwest::Method::GET,
            "/flows/acme/main/messages?event=activity",
        )
        .await;
    assert!(
        messages.as_array().unwrap().iter().any(|m| m["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("New integration: Polldock (Lunch polls)"))),
        "{messages}"
    );

    // Step 5: a poll appears live in the flow, with its status and the counts as fields.
    let mut live = Live::open(&g).await;
    let res = submit(
        &browser,
        &format!("{}/polls", g.polldock),
        &[
            ("question", "Lunch on Friday?"),
            ("options", "Pizza\nSushi"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let poll_url = format!("{}{}", g.polldock, location(&res));
    let created = live
        .next_where(|m| m["external_thread_id"] == "polldock:poll:1")
        .await;
    assert_eq!(created["event"], "activity");
    assert_eq!(created["title"], "created the poll");
    let thread = &created["thread"];
    assert_eq!(thread["title"], "Lunch on Friday?");
    assert_eq!(thread["status"], json!({"color": "green", "value": "open"}));
    assert_eq!(field(thread, "Pizza"), "0");
    let names: Vec<&str> = thread["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["Open in Polldock", "Vote: Pizza", "Vote: Sushi"]
    );
    let thread_id = created["thread_id"].as_str().unwrap().to_owned();

    // Voting from the flow: an unknown Flowdock user is challenged, pairs, and votes.
    let vote = || async {
        let html = browser.page("/developer/applications").await;
        let csrf = crate::browser::csrf(&html);
        let res = browser
            .http
            .post(format!(
                "{}/flows/acme/main/threads/{thread_id}/actions/1",
                g.tributary
            ))
            .header("X-CSRF-Token", csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()
    };
    let first = vote().await;
    assert_eq!(first["outcome"], "authenticate", "{first}");
    let pair_url = first["authenticate_url"].as_str().unwrap().to_owned();
    assert!(pair_url.starts_with(&format!("{}/pair?claim=", g.polldock)));
    let (_, pairing) = follow(&browser, pair_url).await;
    let claim = hidden_inputs(&pairing)
        .into_iter()
        .find(|(k, _)| k == "claim")
        .unwrap()
        .1;
    let res = submit(
        &browser,
        &format!("{}/pair", g.polldock),
        &[("claim", &claim)],
    )
    .await;
    let (_, back) = browser.consent(&location(&res), "approve").await;
    let (_, paired) = follow(&browser, back).await;
    assert!(paired.contains("id=\"paired\""), "{paired}");
    let second = vote().await;
    assert_eq!(second["outcome"], "success", "{second}");
    let voted = live.next_where(|m| m["title"] == "voted for Pizza").await;
    assert_eq!(field(&voted["thread"], "Pizza"), "1");
    let (_, poll_page) = follow(&browser, poll_url.clone()).await;
    assert!(
        poll_page.contains(">1</strong>"),
        "the vote is recorded in Polldock"
    );

    // A comment becomes a discussion in the same thread.
    let res = submit(
        &browser,
        &format!("{poll_url}/comments"),
        &[("body", "Pizza, clearly")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let discussion = live.next_where(|m| m["event"] == "discussion").await;
    assert_eq!(discussion["external_thread_id"], "polldock:poll:1");
    assert_eq!(discussion["body"], "Pizza, clearly");

    // Configure: Tributary's button reaches Polldock's page with the right ids.
    let res = browser
        .get(&format!("/flows/acme/main/sources/{source_id}/configure"))
        .await;
    let configure = location(&res);
    assert_eq!(
        query_param(&configure, "integration_id"),
        Some(source_id.to_string())
    );
    assert_eq!(
        query_param(&configure, "flow").as_deref(),
        Some(g.flow_id.as_str())
    );
    let (_, page) = follow(&browser, configure.clone()).await;
    assert!(page.contains(&format!("<code id=\"integration-id\">{source_id}</code>")));
    assert!(page.contains(&format!("<code id=\"flow-id\">{}</code>", g.flow_id)));
    // Turn comments off: the next comment stays in Polldock.
    let res = submit(
        &browser,
        &configure,
        &[
            ("post_created", "1"),
            ("post_votes", "1"),
            ("post_closed", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    submit(
        &browser,
        &format!("{poll_url}/comments"),
        &[("body", "Not posted")],
    )
    .await;
    // Closing is still posted, and arrives after the comment would have.
    submit(&browser, &format!("{poll_url}/close"), &[]).await;
    let closed = live.next_where(|m| m["event"] != "message-edit").await;
    assert_eq!(
        closed["title"], "closed the poll",
        "no discussion came first"
    );
    assert_eq!(
        closed["thread"]["status"],
        json!({"color": "red", "value": "closed"})
    );
    assert_eq!(
        closed["thread"]["actions"].as_array().unwrap().len(),
        1,
        "no votes on a closed poll"
    );

    // error_message: a question Tributary refuses is a problem that persists; it shows in
    // the source, and the next post that works clears it.
    let long = "Why? ".repeat(300);
    submit(
        &browser,
        &format!("{}/polls", g.polldock),
        &[("question", long.trim()), ("options", "Yes\nNo")],
    )
    .await;
    let source = g.source().await.unwrap();
    let error = source["error_message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.starts_with("Polldock cannot post to this flow"),
        "{source}"
    );
    submit(
        &browser,
        &format!("{}/polls", g.polldock),
        &[("question", "Dinner?"), ("options", "Yes\nNo")],
    )
    .await;
    assert_eq!(g.source().await.unwrap().get("error_message"), None);

    // Removal: the source goes, Polldock's next post gets 410 and it forgets the flow.
    let (status, _) = g
        .api(
            reqwest::Method::DELETE,
            &format!("/flows/acme/main/sources/{source_id}"),
        )
        .await;
    assert_eq!(status, 204);
    let (_, before) = follow(&browser, format!("{}/integrations", g.polldock)).await;
    assert!(before.contains(&format!("data-source=\"{source_id}\"")));
    submit(
        &browser,
        &format!("{}/polls", g.polldock),
        &[("question", "Anyone there?"), ("options", "Yes\nNo")],
    )
    .await;
    let (_, after) = follow(&browser, format!("{}/integrations", g.polldock)).await;
    assert!(!after.contains("data-source="), "{after}");
    assert!(g.thread("polldock:poll:4").await.is_none());
}
