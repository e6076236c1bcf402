//! Issue 17: the attachment path of a private message as flowdock/api-docs
//! docs/Private-Messages.md writes it, `/private/:user_id/:user_id/files/:id/:name`, leads to
//! the same participants-only download as the `/files/private-<lo>-<hi>/...` path.

use serde_json::Value;

use crate::backend_tests;
use crate::helpers::{Backend, TestUser};
use crate::private_world::{no_redirect, World};

backend_tests!(the_documented_private_file_path_is_the_participants_alone);

async fn the_documented_private_file_path_is_the_participants_alone(b: Backend) {
    let w = World::new(b).await;
    let m = w.send_plans().await;
    // `/files/<storage>/<file id>/<name>`: the file id is the third segment.
    let path = m["content"]["path"].as_str().unwrap().to_owned();
    let file_id = path.split('/').nth(3).unwrap().to_owned();
    let no_redirect = no_redirect();
    let fetch = |who: &TestUser, first: i64, second: i64| {
        no_redirect
            .get(w.app.url(&format!(
                "/private/{first}/{second}/files/{file_id}/plans.txt"
            )))
            .basic_auth(&who.token, Some(""))
            .send()
    };
    // Either participant, with the ids in either order.
    for (who, first, second) in [
        (&w.ann, w.ann.id, w.bob.id),
        (&w.bob, w.bob.id, w.ann.id),
        (&w.bob, w.ann.id, w.bob.id),
    ] {
        let res = fetch(who, first, second).await.unwrap();
        assert_eq!(res.status(), 302, "{}", who.email);
        let signed = res.headers()["location"].to_str().unwrap().to_owned();
        let bytes = w.download(signed).await;
        assert_eq!(&bytes[..], b"secret plans");
    }
    for who in [&w.carol, &w.dave, &w.eve] {
        let res = fetch(who, w.ann.id, w.bob.id).await.unwrap();
        assert_eq!(res.status(), 404, "{}", who.email);
    }
    // Not numbers: a 404 in the JSON format, never a 500.
    let res = no_redirect
        .get(w.app.url("/private/x/y/files/1/plans.txt"))
        .basic_auth(&w.ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
}
