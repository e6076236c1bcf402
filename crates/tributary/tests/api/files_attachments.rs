//! Attachments on inbox items (flowdock/api-docs docs/files.md): an integration's `activity` or `discussion`
//! carries `attachments[<id>]` parts, and `cid:<id>` references in its body become the
//! stored files' paths.

use tributary_sdk::{FileUpload, Integration, Multipart};
use tributary_types::{Author, PostMessage, ThreadUpdate};

use crate::backend_tests;
use crate::files_upload::{is_path_of, png};
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(activity_attachments_are_stored_and_cid_references_rewritten);

async fn activity_attachments_are_stored_and_cid_references_rewritten(b: Backend) {
    let r = Room::new(b).await;
    let hook = Integration::new(&r.app.base_url, &r.token);
    let message = PostMessage {
        event: "activity".into(),
        external_thread_id: Some("build-7".into()),
        title: Some("Build 7 failed".into()),
        body: Some(r#"<p>Screen: <img src="cid:shot"> log: <a href="cid:log">log</a> <img src="cid:missing"></p>"#.into()),
        author: Some(Author {
            name: "CI".into(),
            ..Author::default()
        }),
        thread: Some(ThreadUpdate {
            title: Some("Build 7".into()),
            ..ThreadUpdate::default()
        }),
        tags: vec!["ci".into()],
        ..PostMessage::default()
    };
    let shot = FileUpload::new("shot.png", "image/png", png(100));
    let log = FileUpload::new("build.log", "text/plain", b"error: boom\n".to_vec());
    let m = hook
        .post_with_attachments(&message, &[("shot", shot.clone()), ("log", log.clone())])
        .await
        .unwrap();
    assert_eq!(m.event, "activity");
    assert_eq!(m.attachments.len(), 2);
    assert!(m.tags.contains(&":file".to_owned()) && m.tags.contains(&"ci".to_owned()));
    let by_id = |id: &str| {
        m.attachments
            .iter()
            .find(|a| a["content_id"] == id)
            .cloned()
            .unwrap()
    };
    let (shot_a, log_a) = (by_id("shot"), by_id("log"));
    assert!(is_path_of(&shot_a["path"], &r.flow.id, "shot.png"));
    assert_eq!(shot_a["image"]["width"], 2);
    assert_eq!(log_a["file_size"], log.bytes.len());
    let body = m.body.clone().unwrap();
    assert!(
        body.contains(&format!(
            "<img src=\"{}\" referrerpolicy=\"no-referrer\">",
            shot_a["path"].as_str().unwrap()
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!("href=\"{}\"", log_a["path"].as_str().unwrap())),
        "{body}"
    );
    assert!(
        !body.contains("cid:"),
        "unknown references are dropped: {body}"
    );
    assert_eq!(m.thread.unwrap().activities, 1);
    // Members download both.
    for (a, f) in [(&shot_a, &shot), (&log_a, &log)] {
        let back = r.download(&r.bob, a["path"].as_str().unwrap()).await;
        assert_eq!(back.bytes, f.bytes);
    }
    // A discussion takes attachments without ids too.
    let discussion = PostMessage {
        event: "discussion".into(),
        external_thread_id: Some("build-7".into()),
        title: Some("commented".into()),
        body: Some("see attached".into()),
        author: Some(Author {
            name: "Ann".into(),
            ..Author::default()
        }),
        thread: Some(ThreadUpdate {
            title: Some("Build 7".into()),
            ..ThreadUpdate::default()
        }),
        ..PostMessage::default()
    };
    let form = Multipart::new()
        .fields(&serde_json::to_value(&discussion).unwrap())
        .text("flow_token", &r.token)
        .file("attachments[]", &log);
    let a = r.token_post_form(form).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["attachments"].as_array().unwrap().len(), 1);
    assert!(a.json["attachments"][0].get("content_id").is_none());
}
