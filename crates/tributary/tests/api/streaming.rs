//! The Streaming API's wire format and access rules: flowdock/api-docs docs/streaming.md and DESIGN §2.

use serde_json::{json, Value};
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::{Backend, Settings, TestApp};
use crate::messaging::Room;
use crate::stream_reader::StreamReader;

backend_tests!(
    the_json_stream_is_rest_json_and_crlf,
    the_json_keep_alive_is_a_bare_newline,
    event_stream_frames_have_id_and_data_and_no_retry,
    streams_need_a_credential_and_membership,
    filters_name_flows_by_path_or_id_and_root_paths_stream,
    edits_tags_and_deletes_are_streamed,
    a_graceful_shutdown_ends_open_streams,
);

/// Posts a chat message as Ann and returns the stored message's REST JSON text.
async fn chat(room: &Room, content: &str) -> String {
    let posted = room
        .user_post(
            &room.ann,
            &room.path("/messages"),
            json!({"event": "message", "content": content}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let id = posted.json["id"].as_i64().unwrap();
    let res = room
        .as_user(
            &room.ann,
            reqwest::Method::GET,
            &room.path(&format!("/messages/{id}")),
        )
        .send()
        .await
        .unwrap();
    res.text().await.unwrap()
}

async fn the_json_stream_is_rest_json_and_crlf(b: Backend) {
    let room = Room::new(b).await;
    let mut s = StreamReader::open(&room.app, &room.ann, "/stream/flows/acme/main", &[]).await;
    let one = chat(&room, "first").await;
    let two = chat(&room, "second").await;
    let want = format!("{one}\r\n{two}\r\n");
    while s.buf.len() < want.len() {
        assert!(s.fill().await, "stream ended early");
    }
    // Byte for byte: the REST JSON, each followed by CR LF, nothing else.
    assert_eq!(String::from_utf8_lossy(&s.buf), want);
}

async fn the_json_keep_alive_is_a_bare_newline(b: Backend) {
    let settings = Settings {
        keepalive: std::time::Duration::from_millis(100),
        ..Settings::default()
    };
    let app = TestApp::spawn_tuned(b, settings).await;
    let (ann, _, _) = app.ann_in_main().await;
    let mut s = StreamReader::open(&app, &ann, "/stream/flows/acme/main", &[]).await;
    while s.buf.len() < 3 {
        assert!(s.fill().await);
    }
    // A lone CR LF would crash node-flowdock's parser; the keep-alive is LF alone.
    assert!(s.buf.iter().all(|b| *b == b'\n'), "{:?}", s.buf);
    let mut e = StreamReader::open(
        &app,
        &ann,
        "/stream/flows/acme/main",
        &[("accept", "text/event-stream")],
    )
    .await;
    while e.buf.len() < 6 {
        assert!(e.fill().await);
    }
    assert!(
        e.buf.starts_with(b":\n\n:\n\n"),
        "{:?}",
        String::from_utf8_lossy(&e.buf)
    );
}

async fn event_stream_frames_have_id_and_data_and_no_retry(b: Backend) {
    let room = Room::new(b).await;
    let mut s = StreamReader::open(
        &room.app,
        &room.ann,
        "/stream/flows/acme/main?accept=text/event-stream",
        &[],
    )
    .await;
    let one = chat(&room, "hello").await;
    let id = serde_json::from_str::<Value>(&one).unwrap()["id"]
        .as_i64()
        .unwrap();
    let frame = s.take_until(b"\n\n").await.unwrap();
    assert_eq!(
        String::from_utf8(frame).unwrap(),
        format!("id: {id}\ndata: {one}\n\n")
    );
    assert!(!String::from_utf8_lossy(&s.buf).contains("retry:"));
    // The Accept header chooses the format as well as `?accept=`.
    let mut h = StreamReader::open(
        &room.app,
        &room.ann,
        "/stream/flows/acme/main",
        &[("accept", "text/event-stream")],
    )
    .await;
    chat(&room, "again").await;
    let (frame_id, name, data) = h.next_sse().await.unwrap();
    assert_eq!((frame_id, name), (Some((id + 1).to_string()), None));
    assert_eq!(data["content"], "again");
}

async fn streams_need_a_credential_and_membership(b: Backend) {
    let room = Room::new(b).await;
    let app = &room.app;
    let eve = app.user("eve").await;
    app.flow(&room.org, "Lobby", AccessMode::Organization, &[&room.ann])
        .await;
    let get = |path: &str| app.http.get(app.url(path));
    let cases = [
        (get("/stream/flows/acme/main"), 401),
        (
            get("/stream/flows/acme/main").basic_auth("nope", Some("")),
            401,
        ),
        (
            get("/stream/flows?filter=acme/main").bearer_auth("nope"),
            401,
        ),
        (
            get("/stream/flows/acme/main").basic_auth(&eve.token, Some("")),
            404,
        ),
        (
            get("/stream/flows?filter=acme/ghost").basic_auth(&room.ann.token, Some("")),
            404,
        ),
        // Bob is in the organization but has not joined the lobby.
        (
            get("/stream/flows/acme/lobby").basic_auth(&room.bob.token, Some("")),
            403,
        ),
        (
            get("/stream/flows").basic_auth(&room.ann.token, Some("")),
            400,
        ),
    ];
    for (req, want) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), want);
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].is_string(), "{body}");
    }
    // An OAuth token in `?access_token=`, as EventSource sends it.
    let dev = crate::oauth::register(app, &room.ann, "http://127.0.0.1:9/cb").await;
    let (status, token) = crate::oauth::token_request(
        app,
        &[
            ("grant_type", "password"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
            ("username", &room.ann.email),
            ("password", &room.ann.password),
            ("scope", "flow"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let access = token["access_token"].as_str().unwrap();
    let res = get(&format!(
        "/stream/flows/acme/main?access_token={access}&accept=text/event-stream"
    ))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    assert_eq!(
        res.headers()["flowdock-user"],
        room.ann.id.to_string().as_str()
    );
}

async fn filters_name_flows_by_path_or_id_and_root_paths_stream(b: Backend) {
    let room = Room::new(b).await;
    let app = &room.app;
    let side = room.anns_flow("Side", AccessMode::Invitation).await;
    // Flows by org/flow and by id; `active` and `user` are accepted.
    let path = format!(
        "/stream/flows?filter=acme/main,{}&active=true&user=0",
        side.id
    );
    let mut s = StreamReader::open(app, &room.ann, &path, &[]).await;
    // node-flowdock streams from `<base>/flows?filter=`; a `stream.` host uses the root too.
    let mut root =
        StreamReader::open(app, &room.ann, &format!("/flows?filter={}", side.id), &[]).await;
    let mut host = StreamReader::open(
        app,
        &room.ann,
        "/flows/acme/side",
        &[("host", "stream.example.com")],
    )
    .await;
    chat(&room, "in main").await;
    room.app
        .http
        .post(app.url("/flows/acme/side/messages"))
        .basic_auth(&room.ann.token, Some(""))
        .json(&json!({"event": "message", "content": "in side"}))
        .send()
        .await
        .unwrap();
    let a = s.next_json().await.unwrap();
    let b2 = s.next_json().await.unwrap();
    assert_eq!(
        (a["content"].clone(), b2["content"].clone()),
        (json!("in main"), json!("in side"))
    );
    assert_eq!(b2["flow"], json!(side.id));
    assert_eq!(root.next_json().await.unwrap()["content"], "in side");
    assert_eq!(host.next_json().await.unwrap()["content"], "in side");
}

async fn edits_tags_and_deletes_are_streamed(b: Backend) {
    let room = Room::new(b).await;
    let mut s = StreamReader::open(&room.app, &room.ann, "/stream/flows/acme/main", &[]).await;
    let posted = room
        .user_post(
            &room.ann,
            &room.path("/messages"),
            json!({"event": "message", "content": "tpyo"}),
        )
        .await;
    let id = posted.json["id"].as_i64().unwrap();
    let put = room
        .as_user(
            &room.ann,
            reqwest::Method::PUT,
            &room.path(&format!("/messages/{id}")),
        )
        .json(&json!({"content": "typo", "tags": ["fixed"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let inbox = room
        .token_post(crate::messaging::activity("ext:1", "Build"))
        .await;
    assert_eq!(inbox.status, 200, "{}", inbox.text);
    let item = room.messages("?event=activity").await;
    let item_id = item[0]["id"].as_i64().unwrap();
    let del = room
        .as_user(
            &room.ann,
            reqwest::Method::DELETE,
            &room.path(&format!("/messages/{item_id}")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let mut seen = Vec::new();
    while seen.len() < 5 {
        let m = s.next_json().await.unwrap();
        seen.push((
            m["event"].as_str().unwrap().to_owned(),
            m["content"].clone(),
            m["id"].as_i64().unwrap(),
        ));
    }
    let events: Vec<&str> = seen.iter().map(|(e, _, _)| e.as_str()).collect();
    assert_eq!(
        events,
        vec![
            "message",
            "message-edit",
            "tag-change",
            "activity",
            "message-delete"
        ]
    );
    assert_eq!(seen[1].1, json!({"message": id, "updated_content": "typo"}));
    assert_eq!(seen[4].1, json!({"message": item_id}));
    let ids: Vec<i64> = seen.iter().map(|(_, _, id)| *id).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "ids are consecutive: {ids:?}"
    );
}

async fn a_graceful_shutdown_ends_open_streams(b: Backend) {
    let mut room = Room::new(b).await;
    let mut s = StreamReader::open(&room.app, &room.ann, "/stream/flows/acme/main", &[]).await;
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), room.app.stop()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "graceful shutdown finishes with a stream open"
    );
    while s.fill().await {}
    assert!(s.ended);
}
