//! Issue 17, point 2, "done when": a real client drives private messages end to end.
//! node-flowdock (npm `flowdock`, as hubot-flowdock uses it) opens a user stream
//! (`user=1`), receives a private message and answers it with `privateMessage`, which posts
//! to `POST /private/:id/messages`; the answer arrives in the sender's conversation.

use serde_json::json;
use tributary_types::AccessMode;

use crate::helpers::{Backend, TestApp};
use crate::stream_client::{next, node_client, node_flowdock};

#[tokio::test]
async fn node_flowdock_answers_a_private_message_on_its_user_stream() {
    let node_path = node_flowdock().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ann = app.user("ann").await;
    let bot = app.user("hubot").await;
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bot, false).await;
    let flow = app
        .flow(&org, "Main", AccessMode::Invitation, &[&ann, &bot])
        .await;
    let env = [
        ("FLOWDOCK_USER_ID", bot.id.to_string()),
        ("FLOWDOCK_FLOWS", flow.id.clone()),
    ];
    let (_child, mut lines) = node_client("node_private.js", &node_path, &app, &bot.token, &env);
    assert_eq!(next(&mut lines).await, json!({"connected": true}));
    // Ann writes to the bot for the first time: the conversation starts while it streams.
    let res = app
        .http
        .post(app.url(&format!("/private/{}/messages", bot.id)))
        .basic_auth(&ann.token, Some(""))
        .json(&json!({"event": "message", "content": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let received = next(&mut lines).await;
    let m = &received["received"];
    assert_eq!(
        (&m["content"], &m["user"]),
        (&json!("ping"), &json!(ann.id.to_string()))
    );
    assert_eq!(m["to"], bot.id.to_string());
    let answered = next(&mut lines).await;
    assert_eq!(answered["status"], 201, "{answered}");
    assert_eq!(answered["answered"]["content"], "echo: ping");
    let req = app
        .http
        .get(app.url(&format!("/private/{}/messages", bot.id)))
        .basic_auth(&ann.token, Some(""));
    let list = crate::messaging::send(req).await.json;
    let got: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    let (ann_id, bot_id) = (ann.id.to_string(), bot.id.to_string());
    assert_eq!(got, [(&*ann_id, "ping"), (&*bot_id, "echo: ping")]);
}
