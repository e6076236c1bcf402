//! 429 answers: retried with backoff when the integration asked for it, a typed
//! `RateLimited` error otherwise. A tiny HTTP server on loopback plays the rate limiter.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tributary_sdk::thread::{Activity, Author, Thread};
use tributary_sdk::{Error, Integration, Retry};

/// Answers the first `limited` requests 429 (`Retry-After: 0`), then 202 `{}`. Returns the
/// base URL and the request counter.
async fn limiter(limited: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 64 * 1024];
            let mut read = 0;
            // Read the head and the Content-Length body, then answer and close.
            loop {
                let got = socket.read(&mut buf[read..]).await.unwrap_or(0);
                if got == 0 {
                    break;
                }
                read += got;
                let text = String::from_utf8_lossy(&buf[..read]).to_string();
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if read >= head_end + 4 + len {
                        break;
                    }
                }
            }
            let answer = if n < limited {
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Type: application/json\r\nContent-Length: 25\r\nConnection: close\r\n\r\n{\"message\":\"Slow down.\"}\n"
            } else {
                "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
            };
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (base, seen)
}

fn activity() -> Activity {
    Activity::new("t:1", Author::new("Ann"), "did it", Thread::new("A thing"))
}

#[tokio::test]
async fn a_configured_integration_retries_until_accepted() {
    let (base, seen) = limiter(2).await;
    let integration = Integration::new(&base, "token").with_retry(Retry::backoff(3));
    integration.post_activity(&activity()).await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 3, "two 429s, then the post");
}

#[tokio::test]
async fn without_retries_429_is_a_typed_error() {
    let (base, seen) = limiter(1).await;
    let integration = Integration::new(&base, "token");
    match integration.post_activity(&activity()).await {
        Err(Error::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(0)))
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn retries_stop_at_the_limit() {
    let (base, seen) = limiter(10).await;
    let integration = Integration::new(&base, "token").with_retry(Retry::backoff(2));
    assert!(matches!(
        integration.post_activity(&activity()).await,
        Err(Error::RateLimited { .. })
    ));
    assert_eq!(
        seen.load(Ordering::SeqCst),
        3,
        "the first attempt and two retries"
    );
}
