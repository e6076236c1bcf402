//! The post scenario and its ceiling: the same load against `bench-ceiling` and against
//! `tributary serve` on SQLite or PostgreSQL, in the same run.

use std::path::Path;

use tributary_bench::database::Database;
use tributary_bench::post;
use tributary_bench::report::Report;
use tributary_bench::server::{Res, Server};

use crate::{mib, say, Sizes};

/// One measured post load at concurrency `c` against a server this tool started.
async fn load(server: &Server, bodies: &post::Bodies, c: usize, sizes: &Sizes) -> post::PostStats {
    post::run(
        &server.target,
        server.pid(),
        bodies.clone(),
        c,
        sizes.warmup,
        sizes.duration,
    )
    .await
}

/// The server's CPU share, and its CPU time per answered request: unlike the rate, the
/// latter hardly moves when something else on the machine takes CPU, so it compares runs
/// taken under different loads.
fn add_cpu(report: &mut Report, name: &str, per: &str, s: &post::PostStats) {
    let rate = s.load.per_second();
    let each = if rate > 0.0 {
        s.cpu_percent / 100.0 * 1e6 / rate
    } else {
        0.0
    };
    report.add(name, "server CPU %", s.cpu_percent);
    report.add(name, &format!("server CPU µs per {per}"), each);
}

/// The ceiling at each concurrency; returns its requests per second.
pub(crate) async fn ceiling_run(bin: &Path, sizes: &Sizes, report: &mut Report) -> Res<[f64; 2]> {
    let server = Server::ceiling(bin).await?;
    let bodies = post::bodies("0123456789abcdef0123456789abcdef");
    let mut rates = [0.0; 2];
    for (i, c) in sizes.concurrency.iter().enumerate() {
        let s = load(&server, &bodies, *c, sizes).await;
        let name = format!("ceiling c{c}");
        say(format!(
            "{name}: {:.0} req/s, p99 {:.2} ms, errors {}",
            s.load.per_second(),
            s.load.ms(0.99),
            s.load.errors
        ));
        report.add(&name, "req/s", s.load.per_second());
        report.add(&name, "p50 ms", s.load.ms(0.5));
        report.add(&name, "p99 ms", s.load.ms(0.99));
        report.add(&name, "errors", s.load.errors as f64);
        add_cpu(report, &name, "req", &s);
        rates[i] = s.load.per_second();
    }
    server.stop().await;
    Ok(rates)
}

/// The post scenario on a fresh SQLite directory, or a fresh PostgreSQL database when
/// `pg` is given; returns msg/s at each concurrency.
pub(crate) async fn post_run(
    bin: &Path,
    sizes: &Sizes,
    pg: Option<&str>,
    report: &mut Report,
) -> Res<[f64; 2]> {
    let (db, backend) = match pg {
        Some(url) => (Database::postgres(url).await?, "postgres"),
        None => (Database::sqlite()?, "sqlite"),
    };
    let result = post_on(bin, sizes, &db, backend, report).await;
    db.remove().await?;
    result
}

async fn post_on(
    bin: &Path,
    sizes: &Sizes,
    db: &Database,
    backend: &str,
    report: &mut Report,
) -> Res<[f64; 2]> {
    let url = db.url();
    let prov = crate::provision(bin, &url).await?;
    let before = db.stored_by_source(prov.source_id).await?;
    let server = Server::tributary(bin, &url).await?;
    let bodies = post::bodies(&prov.flow_token);
    let mut rates = [0.0; 2];
    let mut acked = 0;
    for (i, c) in sizes.concurrency.iter().enumerate() {
        let s = load(&server, &bodies, *c, sizes).await;
        let name = format!("post {backend} c{c}");
        say(format!(
            "{name}: {:.0} msg/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, errors {}, CPU {:.0}%, RSS {:.0} MiB{}",
            s.load.per_second(),
            s.load.ms(0.5),
            s.load.ms(0.99),
            s.load.ms(0.999),
            s.load.errors,
            s.cpu_percent,
            mib(s.rss_kib),
            s.load.first_error.as_deref().map(|e| format!(" (first error: {e})")).unwrap_or_default()
        ));
        report.add(&name, "msg/s", s.load.per_second());
        report.add(&name, "p50 ms", s.load.ms(0.5));
        report.add(&name, "p99 ms", s.load.ms(0.99));
        report.add(&name, "p99.9 ms", s.load.ms(0.999));
        report.add(&name, "errors", s.load.errors as f64);
        add_cpu(report, &name, "msg", &s);
        report.add(&name, "server RSS MiB", mib(s.rss_kib));
        acked += s.load.acked;
        rates[i] = s.load.per_second();
    }
    server.stop().await;
    let stored = db.stored_by_source(prov.source_id).await? - before;
    say(format!(
        "post {backend}: acknowledged {acked}, stored {stored}"
    ));
    report.add(
        &format!("post {backend}"),
        "stored − acknowledged",
        stored as f64 - acked as f64,
    );
    if stored != acked {
        return Err(format!(
            "post {backend}: {acked} posts were acknowledged but {stored} are stored"
        ));
    }
    Ok(rates)
}
