//! Issue 15, point 2, measured on the real binary: the server's memory stays flat under
//! unauthenticated uploads and holds no whole copy of an authenticated one (BENCHMARKS.md,
//! "Unauthenticated uploads: memory").

use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tributary_sdk::FileUpload;

use crate::backend_tests;
use crate::helpers::{Backend, TestDb};
use crate::raw_http::{assert_refused, basic, read_answer, Raw};

backend_tests!(unauthenticated_uploads_leave_the_servers_memory_flat);

/// VmRSS and VmHWM of a process, in bytes.
fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| {
                v.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap()
                    * 1024
            })
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak (VmHWM) to the current RSS.
fn reset_peak(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
}

const MIB: u64 = 1024 * 1024;

/// How a streamed upload says how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// `Content-Length`: the server can refuse before it reads anything.
    Declared,
    /// `Transfer-Encoding: chunked`: the server reads up to its body limit first.
    Chunked,
}

/// Posts a JSON `file` of `file_bytes` zero bytes in base64 to `base` + `path`, written in
/// chunks of one shared buffer so that the test holds no copy of it. The answer, if the server
/// gave one (it may close the connection while the client is still sending), and the length
/// of the body.
async fn stream_json_upload(
    base: &str,
    path: &str,
    auth: &[(&str, String)],
    file_bytes: u64,
    framing: Framing,
) -> (Result<Raw, String>, u64) {
    let head: &[u8] =
        br#"{"event":"file","content":{"file_name":"zeros.bin","content_type":"application/octet-stream","data":""#;
    let tail: &[u8] = br#""}}"#;
    let chars = file_bytes / 3 * 4;
    let len = head.len() as u64 + chars + tail.len() as u64;
    let addr = base.strip_prefix("http://").unwrap();
    let mut request =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n");
    request += &match framing {
        Framing::Declared => format!("Content-Length: {len}\r\n"),
        Framing::Chunked => "Transfer-Encoding: chunked\r\n".to_owned(),
    };
    for (k, v) in auth {
        request += &format!("{k}: {v}\r\n");
    }
    request += "\r\n";
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let chunk = vec![b'A'; MIB as usize];
    let sent = async {
        sock.write_all(request.as_bytes()).await?;
        let mut pieces = vec![head];
        let mut left = chars;
        while left > 0 {
            let n = left.min(MIB);
            pieces.push(&chunk[..n as usize]);
            left -= n;
        }
        pieces.push(tail);
        for piece in pieces {
            if framing == Framing::Chunked {
                sock.write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .await?;
            }
            sock.write_all(piece).await?;
            if framing == Framing::Chunked {
                sock.write_all(b"\r\n").await?;
            }
        }
        if framing == Framing::Chunked {
            sock.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<_, std::io::Error>(())
    };
    // A refused upload ends in a closed connection; its answer may still be readable.
    let _ = sent.await;
    (read_answer(sock, Duration::from_secs(300)).await, len)
}

/// A `tributary serve --demo` child process with the default limits, on a fresh database.
struct Demo {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    token: String,
    _db: TestDb,
}

impl Demo {
    async fn start(b: Backend) -> Demo {
        let db = TestDb::new(b).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args(["serve", "--demo", "--database", &db.url])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env_remove("TRIBUTARY_MAX_BODY_BYTES")
            .env_remove("TRIBUTARY_MAX_UPLOAD_BYTES")
            .env_remove("TRIBUTARY_MAX_CONCURRENT_UPLOADS")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
        let seed: Value = serde_json::from_str(
            &tokio::time::timeout(Duration::from_secs(30), lines.next_line())
                .await
                .unwrap()
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        let token = seed["api_token"].as_str().unwrap().to_owned();
        let base = format!("http://127.0.0.1:{port}");
        let client = tributary_sdk::Client::new(&base).with_api_token(&token);
        let mut up = false;
        for _ in 0..100 {
            if client.flows().list(true).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "the server answers");
        // Warm up the posting path with a small upload; measurements start from here.
        let small = FileUpload::new("warm.txt", "text/plain", b"warm".to_vec());
        client
            .files()
            .upload_base64("demo", "main", &small)
            .await
            .unwrap();
        Demo {
            child,
            pid,
            base,
            token,
            _db: db,
        }
    }

    /// The idle RSS, with the peak reset to it.
    fn idle(&self) -> u64 {
        reset_peak(self.pid);
        rss(self.pid).0
    }

    /// The peak RSS since [`Self::idle`].
    fn peak(&self) -> u64 {
        rss(self.pid).1
    }
}

/// The memory figures of one measurement, for the log.
fn usage(idle: u64, peak: u64, delta: u64) -> String {
    format!(
        "idle {} MiB, peak {} MiB, delta {:.1} MiB",
        idle / MIB,
        peak / MIB,
        delta as f64 / MIB as f64
    )
}

const DEMO_MESSAGES: &str = "/flows/demo/main/messages";

async fn unauthenticated_uploads_leave_the_servers_memory_flat(b: Backend) {
    // A fresh process per measurement: freed memory stays resident in the allocator.
    for framing in [Framing::Declared, Framing::Chunked] {
        let mut server = Demo::start(b).await;
        let idle = server.idle();
        let started = std::time::Instant::now();
        let attempts = (0..3)
            .map(|_| stream_json_upload(&server.base, DEMO_MESSAGES, &[], 100 * MIB, framing));
        for (outcome, _) in futures_util::future::join_all(attempts).await {
            // The answer is 401, or the connection is closed while the client still sends.
            if let Ok(raw) = outcome {
                assert_refused(&raw, 401);
            }
        }
        let refused_in = started.elapsed();
        let peak = server.peak();
        let delta = peak.saturating_sub(idle);
        eprintln!(
            "[{b:?}] 3 unauthenticated 100 MiB uploads at once ({framing:?}): {}, \
             refused in {refused_in:.2?}",
            usage(idle, peak, delta)
        );
        let _ = server.child.start_kill();
        assert!(
            delta < 64 * MIB,
            "peak {peak} is {delta} bytes above idle {idle}"
        );
    }

    // One authenticated 100 MiB upload: the server holds no copy of it, let alone four.
    let mut server = Demo::start(b).await;
    let idle = server.idle();
    let started = std::time::Instant::now();
    let auth = [basic(&server.token)];
    let (outcome, len) = stream_json_upload(
        &server.base,
        DEMO_MESSAGES,
        &auth,
        100 * MIB,
        Framing::Chunked,
    )
    .await;
    let took = started.elapsed();
    let answer = outcome.unwrap();
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(
        answer.json["attachments"][0]["file_size"],
        100 * MIB / 3 * 3
    );
    let peak = server.peak();
    let delta = peak.saturating_sub(idle);
    eprintln!(
        "[{b:?}] 1 authenticated 100 MiB JSON upload ({} MiB of body): {}, \
         stored in {took:.2?}",
        len / MIB,
        usage(idle, peak, delta)
    );
    let _ = server.child.start_kill();
    // Today's main held about four copies (500 MiB for this body); the bound is far below
    // even one.
    assert!(
        delta < 64 * MIB,
        "peak {peak} is {delta} bytes above idle {idle}, for a body of {len}"
    );
}
