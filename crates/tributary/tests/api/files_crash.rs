//! A crash during an upload: the real `tributary` binary is killed with SIGKILL while a large
//! multipart body is still streaming in, slowly. After a restart on the same database there is
//! no message for the upload, no stored blob, and no spool file of the dead process; uploads
//! work again.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use tokio::io::AsyncWriteExt;
use tributary_sdk::{Client, FileUpload};

use crate::backend_tests;
use crate::child_server::{seed_ann_in_main, serve};
use crate::helpers::{Backend, TestDb};

backend_tests!(a_sigkill_mid_upload_leaves_no_message_and_no_blob);

/// Where the server spools uploads for this database.
fn spool_dir(b: Backend, db: &TestDb) -> PathBuf {
    match b {
        Backend::Sqlite => files_dir(db).join("tmp"),
        Backend::Postgres => std::env::temp_dir().join("tributary-uploads"),
    }
}

/// The SQLite file store: `files/` beside the database.
fn files_dir(db: &TestDb) -> PathBuf {
    let path = PathBuf::from(db.url.strip_prefix("sqlite://").unwrap());
    path.parent().unwrap().join("files")
}

fn spooled_by(dir: &PathBuf, pid: u32) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| n.starts_with(&format!("{pid}-")))
                .collect()
        })
        .unwrap_or_default()
}

/// Blobs the store holds: files under the SQLite data directory, rows in PostgreSQL.
async fn stored_blobs(b: Backend, db: &TestDb) -> usize {
    match b {
        Backend::Sqlite => std::fs::read_dir(files_dir(db))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name() != "tmp")
            .count(),
        Backend::Postgres => {
            let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            let n: i64 = client
                .query_one(
                    "SELECT (SELECT count(*) FROM blobs) + (SELECT count(*) FROM files)",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            n as usize
        }
    }
}

async fn a_sigkill_mid_upload_leaves_no_message_and_no_blob(b: Backend) {
    let db = TestDb::new(b).await;
    let (user, _) = seed_ann_in_main(&db, "ann@x.io", "Ann", &[]);
    let token = user["api_token"].as_str().unwrap().to_owned();
    let (mut server, base) = serve(&db).await;
    let pid = server.id().expect("running");
    let spool = spool_dir(b, &db);

    // A raw request, so the body can stall halfway: headers promise 8 MiB of file.
    let boundary = "crash-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nfile\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let file_len = 8 * 1024 * 1024;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
    let addr = base.strip_prefix("http://").unwrap();
    let request = format!(
        "POST /flows/acme/main/messages HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n{head}",
        head.len() + file_len + tail.len()
    );
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    sock.write_all(request.as_bytes()).await.unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    // Send slowly until the server is visibly spooling this upload, and a bit more.
    for _ in 0..600 {
        sock.write_all(&chunk).await.unwrap();
        sent += chunk.len();
        if sent >= 512 * 1024 && !spooled_by(&spool, pid).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sent < file_len, "the upload is still unfinished");
    assert_eq!(
        spooled_by(&spool, pid).len(),
        1,
        "the server is spooling the upload"
    );
    let status = crate::helpers::signal_and_wait(&mut server, "KILL").await;
    assert!(!status.success(), "killed, not exited: {status:?}");
    drop(sock);

    // Restart on the same database: the dead process's spool file is swept, nothing stored.
    let (_server, base) = serve(&db).await;
    assert!(spooled_by(&spool, pid).is_empty(), "the spool file is gone");
    assert_eq!(stored_blobs(b, &db).await, 0, "no blob was stored");
    let ann = Client::new(&base).with_api_token(&token);
    let messages = ann
        .messages()
        .list("acme", "main", &Default::default())
        .await
        .unwrap();
    assert!(messages.is_empty(), "no dangling message: {messages:?}");

    // And uploads work after the restart.
    let f = FileUpload::new("after.txt", "text/plain", b"after the crash".to_vec());
    let m = ann.files().upload("acme", "main", &f).await.unwrap();
    let back = ann
        .files()
        .download(m.attachments[0]["path"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(back.bytes, b"after the crash");
    assert_eq!(
        stored_blobs(b, &db).await,
        if b == Backend::Sqlite { 1 } else { 2 }
    );
}
