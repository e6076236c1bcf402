//! Scenario 3 (fan-out): SSE subscribers on one flow while posts arrive at a fixed rate, with
//! the delivery latency of every event to every subscriber; and idle streams, with the
//! server's RSS per stream.

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::BodyExt;
use hyper::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use tokio::sync::{watch, Semaphore};

use crate::body;
use crate::load::{self, Target};
use crate::procstat;
use crate::provision::Provisioned;
use crate::server::Res;

/// Connections the posts are spread over (open loop: each post leaves at its scheduled time).
const POSTERS: usize = 8;

fn stream_headers(p: &Provisioned) -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (
            AUTHORIZATION,
            HeaderValue::from_str(&p.basic_auth()).expect("ascii header"),
        ),
        (ACCEPT, HeaderValue::from_static("text/event-stream")),
    ]
}

/// Opens one Event-Stream of the flow; answers the connection and the body once the server
/// said 200.
async fn subscribe(
    target: &Target,
    p: &Provisioned,
    i: usize,
) -> io::Result<(load::Sender, hyper::body::Incoming)> {
    let mut s = load::connect(target, load::local_ip(target, i)).await?;
    let path = format!("/stream/flows/{}/{}", p.org, p.flow);
    let req = load::request(target, Method::GET, &path, &stream_headers(p), Bytes::new());
    let resp = load::open(&mut s, req).await?;
    if resp.status() != StatusCode::OK {
        return Err(io::Error::other(format!(
            "stream answered {}",
            resp.status()
        )));
    }
    Ok((s, resp.into_body()))
}

#[derive(Debug)]
pub struct FanoutStats {
    pub subscribers: usize,
    pub failed_subscribers: usize,
    pub posts: u64,
    pub accepted: u64,
    pub post_errors: u64,
    /// Deliveries expected: accepted posts × connected subscribers.
    pub expected: u64,
    pub delivered: u64,
    /// Post accepted (202 read by the poster) → event read by the subscriber, µs. Events
    /// that arrive before the poster has read its 202 count as 1 µs (see `early`).
    pub accepted_to_received: Histogram<u64>,
    /// Post sent → event read, µs: includes the commit.
    pub sent_to_received: Histogram<u64>,
    /// Deliveries that arrived before the poster read its answer (the server publishes to
    /// the bus right after COMMIT, then answers).
    pub early: u64,
    pub cpu_percent: f64,
    pub rss_kib: u64,
}

fn micros(base: Instant) -> u64 {
    base.elapsed().as_micros() as u64
}

pub async fn fanout(
    target: &Target,
    server_pid: u32,
    p: &Provisioned,
    subscribers: usize,
    rate: u64,
    duration: Duration,
) -> Res<FanoutStats> {
    let base = Instant::now();
    let n_posts = (rate as f64 * duration.as_secs_f64()).round() as u64;
    let ready = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let connecting = Arc::new(Semaphore::new(256));
    let mut subs = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let (target, p, ready, failed, mut stop, connecting) = (
            target.clone(),
            p.clone(),
            ready.clone(),
            failed.clone(),
            stop_rx.clone(),
            connecting.clone(),
        );
        subs.push(tokio::spawn(async move {
            let permit = connecting.acquire_owned().await;
            let (_sender, mut body) = match subscribe(&target, &p, i).await {
                Ok(x) => x,
                Err(e) => {
                    if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("  subscriber {i}: {e}");
                    }
                    return None;
                }
            };
            drop(permit);
            ready.fetch_add(1, Ordering::Relaxed);
            let mut got: Vec<(u64, u64)> = Vec::with_capacity(n_posts as usize);
            let mut buf: Vec<u8> = Vec::with_capacity(8192);
            while (got.len() as u64) < n_posts {
                tokio::select! {
                    frame = body.frame() => match frame {
                        Some(Ok(f)) => {
                            let Ok(data) = f.into_data() else { continue };
                            let now = micros(base);
                            buf.extend_from_slice(&data);
                            // Only complete events are scanned, so a marker is never split.
                            if let Some(end) = memchr::memmem::rfind(&buf, b"\n\n") {
                                body::markers(&buf[..end], |seq| got.push((seq, now)));
                                buf.drain(..end + 2);
                            }
                        }
                        _ => break,
                    },
                    _ = stop.changed() => break,
                }
            }
            Some(got)
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while ready.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < subscribers {
        if Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connected = ready.load(Ordering::Relaxed);
    if connected == 0 {
        return Err("no subscriber could connect".into());
    }
    // Let the last subscriptions reach the bus before the first post.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..n_posts).map(|_| AtomicU64::new(0)).collect());
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..n_posts).map(|_| AtomicU64::new(0)).collect());
    let cpu = procstat::CpuMeter::start(server_pid);
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let mut posters = Vec::new();
    for c in 0..POSTERS {
        let (target, token, sent, acked) = (
            target.clone(),
            p.flow_token.clone(),
            sent.clone(),
            acked.clone(),
        );
        posters.push(tokio::spawn(async move {
            let mut errors = 0u64;
            let mut s = match load::connect(&target, None).await {
                Ok(s) => s,
                Err(_) => return n_posts.div_ceil(POSTERS as u64),
            };
            let headers = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
            let mut seq = c as u64;
            while seq < n_posts {
                tokio::time::sleep_until((start + interval * seq as u32).into()).await;
                let b = body::activity(&token, seq as usize % body::THREADS, Some(seq));
                let req = load::request(&target, Method::POST, "/messages", &headers, b.into());
                sent[seq as usize].store(micros(base), Ordering::Relaxed);
                match load::send(&mut s, req).await {
                    Ok((StatusCode::ACCEPTED, _)) => {
                        acked[seq as usize].store(micros(base), Ordering::Relaxed)
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        if let Ok(fresh) = load::connect(&target, None).await {
                            s = fresh;
                        }
                    }
                }
                seq += POSTERS as u64;
            }
            errors
        }));
    }
    let mut post_errors = 0;
    for t in posters {
        post_errors += t.await.unwrap_or(0);
    }
    let cpu_percent = cpu.percent();
    let rss_kib = procstat::rss_kib(server_pid).unwrap_or(0);
    // Give the last events time to arrive, then stop whoever still waits.
    let grace = Instant::now() + Duration::from_secs(5);
    while Instant::now() < grace && subs.iter().any(|s| !s.is_finished()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(true);
    let mut stats = FanoutStats {
        subscribers: connected,
        failed_subscribers: subscribers - connected,
        posts: n_posts,
        accepted: acked
            .iter()
            .filter(|a| a.load(Ordering::Relaxed) > 0)
            .count() as u64,
        post_errors,
        expected: 0,
        delivered: 0,
        accepted_to_received: load::histogram(),
        sent_to_received: load::histogram(),
        early: 0,
        cpu_percent,
        rss_kib,
    };
    stats.expected = stats.accepted * connected as u64;
    for s in subs {
        let Ok(Some(got)) = s.await else { continue };
        for (seq, at) in got {
            let Some(a) = acked.get(seq as usize) else {
                continue;
            };
            let a = a.load(Ordering::Relaxed);
            if a == 0 {
                continue;
            }
            stats.delivered += 1;
            if at < a {
                stats.early += 1;
            }
            let _ = stats
                .accepted_to_received
                .record(at.saturating_sub(a).max(1));
            let s0 = sent[seq as usize].load(Ordering::Relaxed);
            let _ = stats.sent_to_received.record(at.saturating_sub(s0).max(1));
        }
    }
    Ok(stats)
}

#[derive(Debug)]
pub struct IdleStats {
    pub opened: usize,
    pub failed: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
}

impl IdleStats {
    pub fn kib_per_stream(&self) -> f64 {
        (self.rss_after_kib.saturating_sub(self.rss_before_kib)) as f64 / self.opened.max(1) as f64
    }
}

/// Opens `streams` Event-Streams of one flow and leaves them idle; RSS is read before and
/// after (once a small warm-up set of streams has been opened and closed, so one-off
/// allocations are not charged to the streams).
pub async fn idle(
    target: &Target,
    server_pid: u32,
    p: &Provisioned,
    streams: usize,
) -> Res<IdleStats> {
    // Warm-up: a few streams, closed again.
    let mut warm = Vec::new();
    for i in 0..64 {
        warm.push(
            subscribe(target, p, i)
                .await
                .map_err(|e| format!("stream: {e}"))?,
        );
    }
    drop(warm);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = procstat::rss_kib(server_pid).unwrap_or(0);
    let (stop_tx, stop_rx) = watch::channel(false);
    let connecting = Arc::new(Semaphore::new(256));
    let opened = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(streams);
    for i in 0..streams {
        let (target, p, mut stop, connecting, opened, failed) = (
            target.clone(),
            p.clone(),
            stop_rx.clone(),
            connecting.clone(),
            opened.clone(),
            failed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let permit = connecting.acquire_owned().await;
            let (_sender, mut body) = match subscribe(&target, &p, i).await {
                Ok(x) => x,
                Err(e) => {
                    if failed.fetch_add(1, Ordering::Relaxed) == 0 {
                        eprintln!("  idle stream {i}: {e}");
                    }
                    return;
                }
            };
            drop(permit);
            opened.fetch_add(1, Ordering::Relaxed);
            loop {
                tokio::select! {
                    f = body.frame() => if f.is_none() { return },
                    _ = stop.changed() => return,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(180);
    while opened.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < streams
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stats = IdleStats {
        opened: opened.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        rss_before_kib,
        rss_after_kib: procstat::rss_kib(server_pid).unwrap_or(0),
    };
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    Ok(stats)
}
