//! The `tributary` binary: admin commands print one JSON object, failures exit non-zero with a
//! JSON error, and `serve` runs, seeds the demo and shuts down on SIGTERM.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::backend_tests;
use crate::child_server::{app_create, free_port, source_create};
use crate::helpers::{Backend, TestApp, TestDb};

backend_tests!(
    admin_commands_build_a_working_account,
    admin_mistakes_fail_with_json_errors,
    source_delete_takes_effect_on_the_running_server,
    serve_seeds_the_demo_and_stops_on_sigterm,
);

fn tributary(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(args)
        .args(["--database", &db.url])
        .env_remove("TRIBUTARY_DATABASE")
        .output()
        .expect("run tributary")
}

fn json_ok(out: Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim().lines().count(), 1, "one JSON object: {text}");
    serde_json::from_str(text.trim()).unwrap()
}

fn json_err(out: Output) -> Value {
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    let text = String::from_utf8(out.stderr).unwrap();
    let line = text.lines().last().unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|_| panic!("JSON error expected, got {text}"))
}

async fn admin_commands_build_a_working_account(b: Backend) {
    let db = TestDb::new(b).await;
    let user = json_ok(tributary(
        &db,
        &[
            "admin",
            "user",
            "create",
            "--email",
            "ann@x.io",
            "--name",
            "Ann",
            "--nick",
            "ann",
            "--password",
            "longpassword",
        ],
    ));
    let token = user["api_token"].as_str().unwrap().to_owned();
    assert!(user["id"].is_number());
    json_ok(tributary(
        &db,
        &[
            "admin", "user", "create", "--email", "bob@x.io", "--name", "Bob", "--nick", "bob",
        ],
    ));
    let org = json_ok(tributary(
        &db,
        &[
            "admin", "org", "create", "--name", "Acme Inc", "--owner", "ann@x.io",
        ],
    ));
    assert_eq!(org["parameterized_name"], "acme-inc");
    let added = json_ok(tributary(
        &db,
        &[
            "admin", "org", "add-user", "--org", "acme-inc", "--email", "bob@x.io",
        ],
    ));
    assert_eq!(added["admin"], false);
    let flow = json_ok(tributary(
        &db,
        &[
            "admin", "flow", "create", "--org", "acme-inc", "--name", "Main", "--member",
            "ann@x.io", "--member", "bob@x.io",
        ],
    ));
    assert!(flow["id"].is_string());
    assert_eq!(flow["parameterized_name"], "main");
    let published = ["--setup-uri", "http://127.0.0.1:9/setup", "--published"];
    let app_out = json_ok(tributary(
        &db,
        &[&["admin"][..], &app_create("ann@x.io", "Hook"), &published].concat(),
    ));
    assert_eq!(app_out["client_secret"].as_str().unwrap().len(), 64);
    let app_id = app_out["id"].to_string();
    let source = json_ok(tributary(
        &db,
        &[
            &["admin"][..],
            &source_create("acme-inc/main", &app_id, "repo"),
        ]
        .concat(),
    ));
    assert_eq!(source["flow_token"].as_str().unwrap().len(), 32);

    // The server started on the same database sees all of it.
    let app = TestApp::spawn_on(db).await;
    let client = app.sdk().with_api_token(&token);
    let flows = client.flows().list(true).await.unwrap();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].id, flow["id"].as_str().unwrap());
    assert_eq!(
        flows[0]
            .users
            .as_ref()
            .unwrap()
            .iter()
            .filter(|u| u.in_flow == Some(true))
            .count(),
        2
    );
    let stored = app
        .store
        .source_by_id(source["id"].as_i64().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "repo");
    assert_eq!(
        app.sdk()
            .with_password("ann@x.io", "longpassword")
            .users()
            .me()
            .await
            .unwrap()
            .nick,
        "ann"
    );
}

async fn admin_mistakes_fail_with_json_errors(b: Backend) {
    let db = TestDb::new(b).await;
    json_ok(tributary(
        &db,
        &[
            "admin", "user", "create", "--email", "ann@x.io", "--name", "Ann", "--nick", "ann",
        ],
    ));
    let dup = json_err(tributary(
        &db,
        &[
            "admin", "user", "create", "--email", "ANN@x.io", "--name", "Ann", "--nick", "ann",
        ],
    ));
    assert_eq!(dup["message"], "email is already taken");
    let bad = json_err(tributary(
        &db,
        &[
            "admin", "user", "create", "--email", "nope", "--name", "", "--nick", "a",
        ],
    ));
    assert_eq!(bad["message"], "Validation error");
    assert!(bad["errors"]["email"].is_array() && bad["errors"]["name"].is_array());
    let no_org = json_err(tributary(
        &db,
        &[
            "admin", "flow", "create", "--org", "ghost", "--name", "Main",
        ],
    ));
    assert!(no_org["message"].as_str().unwrap().contains("ghost"));
    let no_owner = json_err(tributary(
        &db,
        &[
            "admin", "org", "create", "--name", "Acme", "--owner", "who@x.io",
        ],
    ));
    assert!(no_owner["errors"]["owner"].is_array());
    json_ok(tributary(
        &db,
        &["admin", "org", "create", "--name", "Acme"],
    ));
    let dup_org = json_err(tributary(
        &db,
        &["admin", "org", "create", "--name", "ACME"],
    ));
    assert!(dup_org["message"]
        .as_str()
        .unwrap()
        .contains("already taken"));
    let no_member = json_err(tributary(
        &db,
        &[
            "admin", "flow", "create", "--org", "acme", "--name", "Main", "--member", "who@x.io",
        ],
    ));
    assert!(no_member["errors"]["member"].is_array());
    let bad_flow = json_err(tributary(
        &db,
        &[
            "admin", "source", "create", "--flow", "acme", "--app", "1", "--name", "x",
        ],
    ));
    assert!(bad_flow["errors"]["flow"].is_array());
    let bad_uri = json_err(tributary(
        &db,
        &[
            "admin",
            "app",
            "create",
            "--owner",
            "ann@x.io",
            "--name",
            "A",
            "--redirect-uri",
            "not a url",
        ],
    ));
    assert!(bad_uri["errors"]["redirect_uri"].is_array());
    let no_source = json_err(tributary(&db, &["admin", "source", "delete", "--id", "77"]));
    assert_eq!(no_source["message"], "Source not found");
    let bad_reason = json_err(tributary(
        &db,
        &[
            "admin", "source", "delete", "--id", "1", "--reason", "because",
        ],
    ));
    assert!(bad_reason["errors"]["reason"].is_array());
    // The "no flows were created" half of the member check.
    let app = TestApp::spawn_on(db).await;
    assert!(app
        .store
        .flow_by_name("acme", "main")
        .await
        .unwrap()
        .is_none());
}

async fn source_delete_takes_effect_on_the_running_server(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, _) = app.ann_in_main().await;
    let hook = json_ok(tributary(
        &app.db,
        &[&["admin"][..], &app_create(&ann.email, "Hook")].concat(),
    ));
    let hook_id = hook["id"].to_string();
    let src = json_ok(tributary(
        &app.db,
        &[
            &["admin"][..],
            &source_create("acme/main", &hook_id, "repo"),
        ]
        .concat(),
    ));
    let hash = tributary::secrets::hash_token(src["flow_token"].as_str().unwrap());
    assert_eq!(
        app.store
            .source_by_token_hash(&hash)
            .await
            .unwrap()
            .unwrap()
            .removed_at,
        None
    );
    let gone = json_ok(tributary(
        &app.db,
        &["admin", "source", "delete", "--id", &src["id"].to_string()],
    ));
    assert_eq!(gone["reason"], "removed");
    // The running server's store sees the removal at once: no cache stands in between.
    assert!(app
        .store
        .source_by_token_hash(&hash)
        .await
        .unwrap()
        .unwrap()
        .removed_at
        .is_some());
}

async fn serve_seeds_the_demo_and_stops_on_sigterm(b: Backend) {
    let db = TestDb::new(b).await;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tributary.toml");
    // Listen address from the TOML file, public URL from the environment, database from a flag.
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:{port}\"\npublic_url = \"http://tributary.test\"\n"),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(["serve", "--demo", "--database", &db.url, "--config"])
        .arg(&config)
        .env("TRIBUTARY_PUBLIC_URL", "http://tributary.test")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let seed: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(seed["demo"], "seeded");
    let token = seed["api_token"].as_str().unwrap();
    assert!(seed["password"].as_str().unwrap().len() >= 8);

    let base = format!("http://127.0.0.1:{port}");
    let client = tributary_sdk::Client::new(&base).with_api_token(token);
    let mut flows = None;
    for _ in 0..100 {
        if let Ok(f) = client.flows().list(true).await {
            flows = Some(f);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let flows = flows.expect("server answers");
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].url, "http://tributary.test/flows/demo/main");
    let login = client.users().me().await.unwrap();
    let by_password = tributary_sdk::Client::new(&base)
        .with_password(&login.email, seed["password"].as_str().unwrap());
    assert_eq!(by_password.users().me().await.unwrap().id, login.id);

    // A second node on the same SQLite file is refused; on PostgreSQL it is how one scales out.
    if b == Backend::Sqlite {
        let second = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
                .args(["serve", "--listen", "127.0.0.1:0", "--database", &db.url])
                .output(),
        )
        .await
        .expect("the second node gives up at once")
        .unwrap();
        let err = json_err(second);
        assert!(
            err["message"].as_str().unwrap().contains("PostgreSQL"),
            "{err}"
        );
    }
    let status = crate::helpers::signal_and_wait(&mut child, "TERM").await;
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}
