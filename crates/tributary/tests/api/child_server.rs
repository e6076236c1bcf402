//! The real `tributary` binary as a child process: `tributary admin` commands that seed a
//! database, and `tributary serve` started on a free port, for the tests that kill, restart or
//! configure the server through its command line and environment.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::TestDb;

/// Runs `tributary admin <args> --database <db>` and returns the one JSON object it prints.
pub(crate) fn admin(db: &TestDb, args: &[&str]) -> Value {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(["admin"])
        .args(args)
        .args(["--database", &db.url])
        .env_remove("TRIBUTARY_DATABASE")
        .output()
        .expect("run tributary admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// A loopback port that was free a moment ago.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Through `tributary admin`: the user `email` named `name` with the nick ann (and `extra`
/// arguments), the organization Acme they own, and its flow Main with them in it. Returns the
/// user's JSON (with its API token) and the flow's.
pub(crate) fn seed_ann_in_main(
    db: &TestDb,
    email: &str,
    name: &str,
    extra: &[&str],
) -> (Value, Value) {
    let user_args = [
        "user", "create", "--email", email, "--name", name, "--nick", "ann",
    ];
    let user = admin(db, &[&user_args[..], extra].concat());
    admin(db, &["org", "create", "--name", "Acme", "--owner", email]);
    let flow = admin(
        db,
        &[
            "flow", "create", "--org", "acme", "--name", "Main", "--member", email,
        ],
    );
    (user, flow)
}

/// The `app create` arguments for the application `name` owned by `owner`, redirecting to a
/// dead loopback port.
pub(crate) fn app_create<'a>(owner: &'a str, name: &'a str) -> Vec<&'a str> {
    vec![
        "app",
        "create",
        "--owner",
        owner,
        "--name",
        name,
        "--redirect-uri",
        "http://127.0.0.1:9/cb",
    ]
}

/// The `source create` arguments for the source `name` of application `app` in `flow`.
pub(crate) fn source_create<'a>(flow: &'a str, app: &'a str, name: &'a str) -> Vec<&'a str> {
    vec![
        "source", "create", "--flow", flow, "--app", app, "--name", name,
    ]
}

/// `tributary serve` listening on `port` with the database of `db`, not the environment's.
pub(crate) fn serve_command(port: u16, db: &TestDb) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"));
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--database",
        &db.url,
    ])
    .env_remove("TRIBUTARY_DATABASE");
    cmd
}

/// Spawns `cmd` with its output discarded; the child is killed when dropped.
pub(crate) fn spawn_quiet(cmd: &mut tokio::process::Command, what: &str) -> tokio::process::Child {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect(what)
}

/// Starts `tributary serve` on a fresh port and waits until it answers.
pub(crate) async fn serve(db: &TestDb) -> (tokio::process::Child, String) {
    let port = free_port();
    let child = spawn_quiet(&mut serve_command(port, db), "spawn tributary serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await {
            if res.status().is_success() {
                return (child, base);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tributary serve did not come up on {base}");
}
