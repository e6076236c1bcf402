//! Snapshots of the invitation and join-link shapes (flowdock/api-docs docs/Invitations.md,
//! docs/Join-Url.md), with times, tokens, the flow's random id and the port replaced.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::invitations::{call, setup};

backend_tests!(invitations_and_the_join_url_keep_their_shape);

/// Times and tokens become placeholders; the base URL and the flow id, names.
fn stable(v: &Value, base: &str, flow_id: &str) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("created" | "updated", Value::Number(_)) => json!(format!("[{k}]")),
                        _ => stable(v, base, flow_id),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| stable(v, base, flow_id)).collect())
        }
        Value::String(s) => {
            let s = s
                .replace(base, "http://tributary.test")
                .replace(flow_id, "[flow id]");
            // The random token of a link: `/invite/<hex>`, `/invitations/<hex>-main`.
            let s = match s.split_once("/invite/") {
                Some((head, _)) => format!("{head}/invite/[token]"),
                None => s,
            };
            let s = match s.split_once("/invitations/") {
                Some((head, tail)) if tail.ends_with("-main") => {
                    format!("{head}/invitations/[token]-main")
                }
                _ => s,
            };
            Value::String(s)
        }
        other => other.clone(),
    }
}

async fn invitations_and_the_join_url_keep_their_shape(b: Backend) {
    let s = setup(b).await;
    let flow = s.main_flow().await;
    let base = s.app.base_url.clone();
    let snap = |v: &Value| stable(v, &base, &flow.id);
    let post = reqwest::Method::POST;
    let (status, created) = call(
        &s.app,
        &s.ann,
        post.clone(),
        "/flows/acme/main/invitations",
        Some(json!({"emails": "carol@example.com, invalid", "message": "Hi"})),
    )
    .await;
    assert_eq!(status, 201);
    insta::assert_json_snapshot!("invitations_created", snap(&created));
    let path = format!(
        "/flows/acme/main/invitations/{}",
        created["invitations"][0]["id"]
    );
    let (_, one) = s.as_ann(reqwest::Method::GET, &path).await;
    insta::assert_json_snapshot!("invitation", snap(&one));
    let (_, list) = s
        .as_ann(reqwest::Method::GET, "/flows/acme/main/invitations")
        .await;
    insta::assert_json_snapshot!("invitation_list", snap(&list));
    let (_, off) = s
        .as_ann(reqwest::Method::GET, "/flows/acme/main/join_url")
        .await;
    insta::assert_json_snapshot!("join_url_off", snap(&off));
    let (_, on) = s.as_ann(post, "/flows/acme/main/join_url").await;
    insta::assert_json_snapshot!("join_url_on", snap(&on));
}
