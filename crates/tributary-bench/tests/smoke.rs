//! Smoke test of the benchmark tool: tiny scenarios against the real `tributary` binary (the
//! debug build `cargo test --workspace` makes), checking what is counted, never how fast.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tributary::store::sqlite::seed::{self, SeedSpec};
use tributary_bench::database::Database;
use tributary_bench::provision::{self, Provisioned};
use tributary_bench::server::Server;
use tributary_bench::{fanout, post, read};

/// The `tributary` binary beside this test's directory (`target/<profile>/`), built when
/// missing. `cargo test --workspace` builds it with the server's own tests.
fn tributary_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir.join("tributary");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-p", "tributary", "--bin", "tributary"]);
        if profile_dir.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p tributary failed");
    }
    bin
}

async fn provisioned(db: &Database) -> (PathBuf, Provisioned) {
    let bin = tributary_bin();
    let (b, url) = (bin.clone(), db.url());
    let prov = tokio::task::spawn_blocking(move || provision::provision(&b, &url))
        .await
        .expect("the provisioning task")
        .expect("provision through the admin CLI");
    (bin, prov)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_post_run_stores_exactly_what_it_acknowledged() {
    let db = Database::sqlite().unwrap();
    let (bin, prov) = provisioned(&db).await;
    let before = db.stored_by_source(prov.source_id).await.unwrap();
    let server = Server::tributary(&bin, &db.url()).await.unwrap();
    let s = post::run(
        &server.target,
        server.pid(),
        post::bodies(&prov.flow_token),
        4,
        Duration::ZERO,
        Duration::from_millis(700),
    )
    .await;
    server.stop().await;
    assert_eq!(s.load.errors, 0, "first error: {:?}", s.load.first_error);
    assert!(s.load.acked > 0, "nothing was acknowledged");
    let stored = db.stored_by_source(prov.source_id).await.unwrap() - before;
    assert_eq!(stored, s.load.acked, "stored must equal acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_fan_out_delivers_every_accepted_post_to_every_subscriber() {
    let db = Database::sqlite().unwrap();
    let (bin, prov) = provisioned(&db).await;
    let server = Server::tributary(&bin, &db.url()).await.unwrap();
    let f = fanout::fanout(
        &server.target,
        server.pid(),
        &prov,
        5,
        40,
        Duration::from_millis(500),
    )
    .await
    .unwrap();
    server.stop().await;
    assert_eq!(f.failed_subscribers, 0);
    assert_eq!(f.posts, 20);
    assert_eq!(f.accepted, 20);
    assert_eq!(f.delivered, f.expected);
    assert_eq!(f.expected, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_seeded_messages_read_back_through_the_api() {
    let db = Database::sqlite().unwrap();
    let (bin, prov) = provisioned(&db).await;
    let path = db.sqlite_path().unwrap();
    let spec = SeedSpec {
        source_id: prov.source_id,
        count: 450,
    };
    let mut progress = Vec::new();
    let newest = seed::bulk_seed(&path, &spec, read::seed_item, |done, total| {
        progress.push((done, total))
    })
    .unwrap();
    // The source's announcement is message 1; the seeded ones follow it.
    assert_eq!(newest, 451);
    assert_eq!(progress.last(), Some(&(450, 450)));
    assert_eq!(db.stored_by_source(prov.source_id).await.unwrap(), 451);

    let server = Server::tributary(&bin, &db.url()).await.unwrap();
    let list = read::run(
        &server.target,
        &prov,
        read::list_paths(&prov, newest),
        1,
        Duration::ZERO,
        Duration::from_millis(200),
    )
    .await;
    let search = read::run(
        &server.target,
        &prov,
        vec![read::search_path(&prov)],
        1,
        Duration::ZERO,
        Duration::from_millis(200),
    )
    .await;
    // One page by hand: a seeded message as the API shows it, with its thread.
    let mut s = tributary_bench::load::connect(&server.target, None)
        .await
        .unwrap();
    let req = tributary_bench::load::request(
        &server.target,
        hyper::Method::GET,
        &format!("{}&until_id=300", read::search_path(&prov)),
        &[(
            hyper::header::AUTHORIZATION,
            hyper::header::HeaderValue::from_str(&prov.basic_auth()).unwrap(),
        )],
        bytes::Bytes::new(),
    );
    let (status, body) = tributary_bench::load::send(&mut s, req).await.unwrap();
    server.stop().await;
    assert_eq!(list.errors, 0, "{:?}", list.first_error);
    assert_eq!(search.errors, 0, "{:?}", search.first_error);
    assert!(list.acked > 0 && search.acked > 0);
    assert_eq!(status, 200);
    let page: Vec<tributary_types::Message> = serde_json::from_slice(&body).unwrap();
    // Ids ending in 07 carry the word: 7, 107 and 207 are below 300.
    let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
    assert_eq!(ids, vec![7, 107, 207]);
    let m = &page[1];
    assert_eq!(m.event, "activity");
    assert_eq!(
        m.external_thread_id.as_deref(),
        Some("github:component:pr:107")
    );
    let thread = m.thread.as_ref().expect("thread state spliced in");
    assert_eq!(thread.activities, 1);
}
