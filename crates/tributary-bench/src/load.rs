//! The load generator: closed-loop clients on keep-alive HTTP/1.1 connections (hyper's
//! connection-level client, no pool in the way), recording each request's latency in an HDR
//! histogram. Every request loop is bounded in time and in count.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpSocket;

/// Requests one load run may send at most, whatever its duration.
pub const MAX_REQUESTS: usize = 20_000_000;

pub type Sender = SendRequest<Full<Bytes>>;

/// Where requests go.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
}

impl Target {
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

/// A latency histogram in microseconds, from 1 µs to 60 s, 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// The source address of the `i`-th client socket when the target is on loopback: spread over
/// 127.0.0.2..=127.0.0.251 so that tens of thousands of connections never run one address
/// out of ephemeral ports.
pub fn local_ip(target: &Target, i: usize) -> Option<IpAddr> {
    match target.addr.ip() {
        IpAddr::V4(v4) if v4.is_loopback() => {
            Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (i % 250) as u8)))
        }
        _ => None,
    }
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Opens one keep-alive HTTP/1.1 connection, from `local` when given.
pub async fn connect(target: &Target, local: Option<IpAddr>) -> io::Result<Sender> {
    let sock = match target.addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(ip) = local {
        sock.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = sock.connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io_err)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer.
pub async fn send(
    sender: &mut Sender,
    req: Request<Full<Bytes>>,
) -> io::Result<(StatusCode, Bytes)> {
    sender.ready().await.map_err(io_err)?;
    let resp = sender.send_request(req).await.map_err(io_err)?;
    let status = resp.status();
    let body = resp.into_body().collect().await.map_err(io_err)?.to_bytes();
    Ok((status, body))
}

/// Sends a request and returns the response head with its body still streaming.
pub async fn open(
    sender: &mut Sender,
    req: Request<Full<Bytes>>,
) -> io::Result<Response<Incoming>> {
    sender.ready().await.map_err(io_err)?;
    sender.send_request(req).await.map_err(io_err)
}

pub fn request(
    target: &Target,
    method: Method,
    path: &str,
    headers: &[(HeaderName, HeaderValue)],
    body: Bytes,
) -> Request<Full<Bytes>> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, target.host());
    for (k, v) in headers {
        b = b.header(k, v);
    }
    b.body(Full::new(body)).expect("valid request")
}

/// One closed-loop load: `concurrency` connections, each sending the next of `requests` as
/// soon as its previous answer is read, for `warmup` + `duration`.
#[derive(Clone)]
pub struct Load {
    pub method: Method,
    /// Path (with query) and body of each request, used round-robin.
    pub requests: Arc<Vec<(String, Bytes)>>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub expect: StatusCode,
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

#[derive(Debug)]
pub struct LoadResult {
    /// Answers with the expected status, warm-up included: what the server acknowledged.
    pub acked: u64,
    /// Answers with the expected status completed inside the measured window.
    pub measured: u64,
    /// Unexpected statuses and connection failures, warm-up included.
    pub errors: u64,
    pub window: Duration,
    /// Latency of the requests started inside the window, in µs.
    pub hist: Histogram<u64>,
    /// The first unexpected answer, to say what went wrong.
    pub first_error: Option<String>,
}

impl LoadResult {
    pub fn per_second(&self) -> f64 {
        self.measured as f64 / self.window.as_secs_f64()
    }

    /// The `q` quantile (0..=1) in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }
}

struct Worker {
    acked: u64,
    measured: u64,
    errors: u64,
    hist: Histogram<u64>,
    first_error: Option<String>,
}

pub async fn run(target: &Target, load: &Load) -> LoadResult {
    let start = Instant::now();
    let from = start + load.warmup;
    let end = from + load.duration;
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(load.concurrency);
    for i in 0..load.concurrency {
        let (target, load, next) = (target.clone(), load.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut w = Worker {
                acked: 0,
                measured: 0,
                errors: 0,
                hist: histogram(),
                first_error: None,
            };
            let mut sender = None;
            while Instant::now() < end {
                let s = match sender.as_mut() {
                    Some(s) => s,
                    None => match connect(&target, local_ip(&target, i)).await {
                        Ok(s) => sender.insert(s),
                        Err(e) => {
                            w.errors += 1;
                            w.first_error.get_or_insert_with(|| format!("connect: {e}"));
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    },
                };
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= MAX_REQUESTS {
                    break;
                }
                let (path, body) = &load.requests[n % load.requests.len()];
                let req = request(
                    &target,
                    load.method.clone(),
                    path,
                    &load.headers,
                    body.clone(),
                );
                let t0 = Instant::now();
                let outcome = send(s, req).await;
                let t1 = Instant::now();
                match outcome {
                    Ok((status, _)) if status == load.expect => {
                        w.acked += 1;
                        if t1 >= from && t1 <= end {
                            w.measured += 1;
                        }
                        if t0 >= from {
                            let us = (t1 - t0).as_micros().max(1) as u64;
                            let _ = w.hist.record(us.min(60_000_000));
                        }
                    }
                    Ok((status, body)) => {
                        w.errors += 1;
                        w.first_error.get_or_insert_with(|| {
                            format!(
                                "{status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            )
                        });
                    }
                    Err(e) => {
                        w.errors += 1;
                        w.first_error.get_or_insert_with(|| e.to_string());
                        sender = None;
                    }
                }
            }
            w
        }));
    }
    let mut out = LoadResult {
        acked: 0,
        measured: 0,
        errors: 0,
        window: load.duration,
        hist: histogram(),
        first_error: None,
    };
    for t in tasks {
        match t.await {
            Ok(w) => {
                out.acked += w.acked;
                out.measured += w.measured;
                out.errors += w.errors;
                let _ = out.hist.add(&w.hist);
                if out.first_error.is_none() {
                    out.first_error = w.first_error;
                }
            }
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    out
}
