//! Issue 15, point 4, for flows: leaving a flow or archiving it ends the streams of that flow, and a stream of several flows as a whole, while other flows' streams run on.

use serde_json::json;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::revocation_room::{admin, json_end, reason, room, runs_on, sse_end, KEEPALIVE, MAIN};
use crate::stream_reader::StreamReader;

backend_tests!(
    leaving_a_flow_ends_its_streams,
    archiving_a_flow_ends_its_streams,
);

async fn leaving_a_flow_ends_its_streams(b: Backend) {
    let r = room(b).await;
    let side = r
        .app
        .flow(&r.org, "Side", AccessMode::Invitation, &[&r.ann])
        .await;
    let mut main = StreamReader::open(&r.app, &r.ann, MAIN, &[]).await;
    // A stream of several flows ends as a whole, naming the flow that was left.
    let both = "/stream/flows?filter=acme/main,acme/side&accept=text/event-stream";
    let mut both = StreamReader::open(&r.app, &r.ann, both, &[]).await;
    let mut side_only = StreamReader::open(&r.app, &r.ann, "/stream/flows/acme/side", &[]).await;
    let mut bobs = StreamReader::open(&r.app, &r.bob, MAIN, &[]).await;

    let args = ["flow", "remove-user", "--flow", "acme/main", "--email"];
    let out = admin(&r.app.db, &[&args[..], &[r.ann.email.as_str()]].concat()).await;
    assert_eq!(out["removed"], json!(true));
    let end = json_end(&mut main).await;
    assert_eq!(reason(&end), "left_flow", "{end}");
    assert_eq!(end["content"]["flow"], json!(r.main.id));
    let end = sse_end(&mut both).await;
    assert_eq!(reason(&end), "left_flow", "{end}");
    assert_eq!(end["content"]["flow"], json!(r.main.id));
    runs_on(&r, &mut bobs, false, "bob is still in").await;
    // Ann's stream of the flow she is still in runs on.
    let until = tokio::time::Instant::now() + KEEPALIVE * 5;
    while let Ok(more) = tokio::time::timeout_at(until, side_only.fill()).await {
        assert!(more, "the stream of the other flow ended");
    }
    let res = r
        .app
        .http
        .post(r.app.url("/flows/acme/side/messages"))
        .basic_auth(&r.ann.token, Some(""))
        .json(&json!({"event": "message", "content": "side"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let m = side_only.next_json().await.expect("still open");
    assert_eq!(
        (&m["content"], &m["flow"]),
        (&json!("side"), &json!(side.id))
    );
}

async fn archiving_a_flow_ends_its_streams(b: Backend) {
    let r = room(b).await;
    let mut anns = StreamReader::open(&r.app, &r.ann, MAIN, &[]).await;
    let sse = [("accept", "text/event-stream")];
    let mut bobs = StreamReader::open(&r.app, &r.bob, MAIN, &sse).await;

    // Ann administers the organization, so she may archive the flow.
    let res = r
        .app
        .http
        .put(r.app.url("/flows/acme/main"))
        .basic_auth(&r.ann.token, Some(""))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let end = json_end(&mut anns).await;
    assert_eq!(reason(&end), "flow_archived", "{end}");
    assert_eq!(end["content"]["flow"], json!(r.main.id));
    assert_eq!(reason(&sse_end(&mut bobs).await), "flow_archived");
}
