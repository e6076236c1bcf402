//! Scenario 4 (read): a flow bulk-seeded through the store, then `GET .../messages?limit=100`
//! at several `until_id` offsets, and `search=` for a word in 1% of the messages.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderValue, AUTHORIZATION};
use hyper::{Method, StatusCode};
use tributary::store::sqlite::seed::SeedItem;

use crate::body::THREADS;
use crate::load::{self, Load, LoadResult, Target};
use crate::provision::Provisioned;

/// The searched word: in the title of every message whose id ends in 07 (1% of them).
pub const WORD: &str = "kestrel";

const TEXT: &str = "Build finished on the main branch after the dependency update. All \
    checks passed: unit tests, integration tests against both backends, the browser suite, \
    formatting and lints. The release notes mention the thread ordering fix, the faster \
    stream resume and the new limits endpoint. Deployment to staging starts automatically \
    and production follows after the usual review by the on-call engineer.";

/// The n-th seeded message: an activity in one of the [`THREADS`] pull request threads.
pub fn seed_item(n: i64) -> SeedItem {
    let k = n as usize % THREADS;
    let word = if n % 100 == 7 { WORD } else { "heron" };
    SeedItem {
        title: format!("Updated pull request #{k}: build {n} by {word}"),
        body: TEXT.to_owned(),
        external_thread_id: format!("github:component:pr:{k}"),
        thread_title: format!("Fix bug in thread API (#{k})"),
    }
}

/// The list pages read round-robin: the newest, and `until_id` at 3/4, 1/2, 1/4 and near the
/// start of the flow.
pub fn list_paths(p: &Provisioned, newest: i64) -> Vec<String> {
    let base = format!("/flows/{}/{}/messages?limit=100", p.org, p.flow);
    let mut out = vec![base.clone()];
    for until in [newest * 3 / 4, newest / 2, newest / 4, 150] {
        out.push(format!("{base}&until_id={until}"));
    }
    out
}

pub fn search_path(p: &Provisioned) -> String {
    format!(
        "/flows/{}/{}/messages?limit=100&search={WORD}",
        p.org, p.flow
    )
}

pub async fn run(
    target: &Target,
    p: &Provisioned,
    paths: Vec<String>,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
) -> LoadResult {
    let auth = HeaderValue::from_str(&p.basic_auth()).expect("ascii header");
    let spec = Load {
        method: Method::GET,
        requests: Arc::new(paths.into_iter().map(|p| (p, Bytes::new())).collect()),
        headers: vec![(AUTHORIZATION, auth)],
        expect: StatusCode::OK,
        concurrency,
        warmup,
        duration,
    };
    load::run(target, &spec).await
}
