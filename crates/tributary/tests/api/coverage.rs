//! The endpoint coverage table (`docs/compatibility.md`, "Endpoint coverage") holds: every
//! row marked implemented whose handler is in this tree is routed, on both backends. The
//! test reads the table, so a row added there (or a handler filled in) is covered at once.

use std::path::Path;

use reqwest::{Method, StatusCode};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(every_implemented_endpoint_in_the_table_is_routed);

/// One row of the table.
#[derive(Debug)]
struct Row {
    method: String,
    path: String,
    status: String,
    /// The handler's file (under `src/`) and function, when the row names them.
    handler: Option<(String, String)>,
}

fn table() -> Vec<Row> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("../../docs/compatibility.md")).unwrap();
    let section = doc
        .split("\n## Endpoint coverage\n")
        .nth(1)
        .expect("docs/compatibility.md has an Endpoint coverage section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Method"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 5, "a row of five cells: {l}");
            let names: Vec<&str> = cells[4].split('`').skip(1).step_by(2).collect();
            let handler = match names.as_slice() {
                [file, func, ..] if file.ends_with(".rs") => {
                    Some((file.to_string(), func.to_string()))
                }
                _ => None,
            };
            Row {
                method: cells[0].to_owned(),
                path: cells[1].to_owned(),
                status: cells[3].to_owned(),
                handler,
            }
        })
        .collect()
}

/// Whether the row's handler is in this tree.
fn in_tree(row: &Row) -> bool {
    let Some((file, func)) = &row.handler else {
        return false;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(file);
    // A generic handler (`fn push_form<F: PushForm>(`) counts as well.
    std::fs::read_to_string(path).is_ok_and(|src| {
        src.contains(&format!("fn {func}(")) || src.contains(&format!("fn {func}<"))
    })
}

/// The doc's path with each `:placeholder` replaced by something of the room's.
fn concrete(path: &str, room: &Room) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(at) = rest.find(':') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push_str(&match &tail[..end] {
            "organization" | "organisation" => room.org.parameterized_name.clone(),
            "flow" => room.flow.parameterized_name.clone(),
            "flow_token" | "flow_api_token" => room.token.clone(),
            "user_id" => room.bob.id.to_string(),
            _ => "1".to_owned(),
        });
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

async fn every_implemented_endpoint_in_the_table_is_routed(b: Backend) {
    let rows = table();
    assert!(
        rows.len() >= 60,
        "the table lists every documented endpoint"
    );
    for row in &rows {
        let known = ["implemented", "not yet", "deliberately not"];
        assert!(
            known.iter().any(|k| row.status.starts_with(k)),
            "{} {}: status {:?} is one of {known:?}",
            row.method,
            row.path,
            row.status
        );
        if row.status.starts_with("implemented") && row.status.contains("issue 17") {
            continue;
        }
        if row.status.starts_with("implemented") {
            assert!(
                in_tree(row),
                "{} {}: its handler {:?} is in src/",
                row.method,
                row.path,
                row.handler
            );
        }
    }

    let room = Room::new(b).await;
    let http = &room.app.http;
    // What the server answers when no route matches.
    let miss = http
        .get(room.app.url("/no/such/endpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(miss.status(), StatusCode::NOT_FOUND);
    let miss = miss.text().await.unwrap();

    let mut checked = 0;
    for row in rows
        .iter()
        .filter(|r| r.status.starts_with("implemented") && in_tree(r))
    {
        let (path, stream) = match row.path.strip_suffix(" (stream)") {
            Some(p) => (p, true),
            None => (row.path.as_str(), false),
        };
        let method: Method = row.method.parse().unwrap();
        let url = room.app.url(&concrete(path, &room));
        let mut req = http
            .request(method.clone(), &url)
            .basic_auth(&room.ann.token, Some(""));
        if stream {
            req = req.header("host", "stream.tributary.test");
        }
        if method != Method::GET {
            req = req.header("content-type", "application/json").body("{}");
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {url}: no such method"
        );
        if status == StatusCode::NOT_FOUND {
            let body = res.text().await.unwrap();
            assert_ne!(
                body, miss,
                "{method} {url}: no route ({} {})",
                row.method, row.path
            );
        }
        checked += 1;
    }
    assert!(checked >= 35, "only {checked} rows were requested");
}
