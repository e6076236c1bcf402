//! Prometheus metrics: request counts and latency histograms by route.
//!
//! Written by hand rather than pulling a metrics stack: two metric families do not justify
//! the dependency weight, and the text format is simple.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::secrets;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    access: MetricsAccess,
}

/// Who may read `/metrics`, and on which listener (README, "Operations"). By default anyone
/// who reaches the API listener may: route names and request counts are not secret, but an
/// operator may well not want them public.
#[derive(Clone, Debug, Default)]
pub struct MetricsAccess {
    /// The hash of the bearer token `/metrics` requires, when one is set.
    token_hash: Option<String>,
    /// Served on a listener of its own (`--metrics-listen`); the API listener answers 404.
    own_listener: bool,
}

impl MetricsAccess {
    /// A blank token means none.
    pub fn new(token: Option<&str>, own_listener: bool) -> MetricsAccess {
        MetricsAccess {
            token_hash: token
                .filter(|t| !t.trim().is_empty())
                .map(secrets::hash_token),
            own_listener,
        }
    }

    pub fn own_listener(&self) -> bool {
        self.own_listener
    }

    /// Whether the request may read the metrics: it carries `Authorization: Bearer <token>`
    /// (compared in constant time), or no token is set.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token_hash else {
            return true;
        };
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .is_some_and(|(_, token)| secrets::token_matches(token.trim(), expected))
    }
}

impl Metrics {
    pub fn new(access: MetricsAccess) -> Metrics {
        Metrics {
            access,
            ..Metrics::default()
        }
    }

    pub fn access(&self) -> &MetricsAccess {
        &self.access
    }

    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            let h = m.entry((method.to_owned(), route.to_owned())).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.sum += secs;
            h.count += 1;
        }
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP tributary_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE tributary_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((method, route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "tributary_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str(
            "# HELP tributary_http_request_duration_seconds HTTP request latency by route.\n",
        );
        out.push_str("# TYPE tributary_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for ((method, route), h) in m.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (bound, n) in BUCKETS.iter().zip(h.counts.iter()) {
                    let _ = writeln!(out, "tributary_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}");
                }
                let _ = writeln!(
                    out,
                    "tributary_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "tributary_http_request_duration_seconds_sum{{{labels}}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "tributary_http_request_duration_seconds_count{{{labels}}} {}",
                    h.count
                );
            }
        }
        out
    }
}

/// GET /metrics: the Prometheus text, for the holder of the metrics token when one is set.
pub async fn show_metrics(State(metrics): State<Arc<Metrics>>, headers: HeaderMap) -> Response {
    if !metrics.access.allows(&headers) {
        let mut refused = ApiError::Unauthorized(
            "The metrics need `Authorization: Bearer <metrics token>`".into(),
        )
        .into_response();
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return refused;
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics.render(),
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Records every routed request. Unrouted requests count under `unmatched`, so that scanners
/// cannot blow up the label set.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(req).await;
    metrics.record(&method, &route, response.status().as_u16(), start.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.record("GET", "/flows", 200, Duration::from_millis(2));
        m.record("GET", "/flows", 200, Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains(
            "tributary_http_requests_total{method=\"GET\",route=\"/flows\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\"} 1"));
        assert!(text.contains("le=\"0.05\"} 2"));
        assert!(text.contains(
            "tributary_http_request_duration_seconds_count{method=\"GET\",route=\"/flows\"} 2"
        ));
    }

    #[test]
    fn a_token_needs_its_bearer_header() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(MetricsAccess::default().allows(&HeaderMap::new()));
        assert!(MetricsAccess::new(Some(" "), false).allows(&HeaderMap::new()));
        let guarded = MetricsAccess::new(Some("s3cret"), false);
        assert!(!guarded.allows(&HeaderMap::new()));
        assert!(guarded.allows(&with("Bearer s3cret")));
        assert!(guarded.allows(&with("bearer s3cret")));
        for bad in [
            "Bearer s3cre",
            "Bearer s3crett",
            "Basic s3cret",
            "Bearers3cret",
            "s3cret",
        ] {
            assert!(!guarded.allows(&with(bad)), "{bad}");
        }
    }
}
