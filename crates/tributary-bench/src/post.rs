//! Scenario 1 (post) and 2 (ceiling): closed-loop `POST /messages` with a `flow_token`,
//! ~1 KB activities over 1,000 `external_thread_id`s, with the server's CPU and RSS.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, StatusCode};

use crate::body;
use crate::load::{self, Load, LoadResult, Target};
use crate::procstat;

/// Request paths and bodies, shared by the load's connections.
pub type Bodies = Arc<Vec<(String, Bytes)>>;

/// The 1,000 bodies, one per thread, posted round-robin.
pub fn bodies(flow_token: &str) -> Bodies {
    Arc::new(
        (0..body::THREADS)
            .map(|k| {
                (
                    "/messages".to_owned(),
                    Bytes::from(body::activity(flow_token, k, None)),
                )
            })
            .collect(),
    )
}

#[derive(Debug)]
pub struct PostStats {
    pub load: LoadResult,
    /// Server CPU over the whole run, % of one core (200% = both cores of this machine).
    pub cpu_percent: f64,
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
}

pub async fn run(
    target: &Target,
    server_pid: u32,
    bodies: Bodies,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> PostStats {
    let spec = Load {
        method: Method::POST,
        requests: bodies,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        expect: StatusCode::ACCEPTED,
        concurrency,
        warmup,
        duration,
    };
    let cpu = procstat::CpuMeter::start(server_pid);
    let load = load::run(target, &spec).await;
    PostStats {
        cpu_percent: cpu.percent(),
        rss_kib: procstat::rss_kib(server_pid).unwrap_or(0),
        peak_rss_kib: procstat::peak_rss_kib(server_pid).unwrap_or(0),
        load,
    }
}
