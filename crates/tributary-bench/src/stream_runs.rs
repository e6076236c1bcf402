//! The streaming scenarios: fan-out of posted events to many Event-Stream subscribers, and
//! the memory of many idle streams.

use std::path::Path;

use tributary_bench::database::Database;
use tributary_bench::fanout;
use tributary_bench::provision::Provisioned;
use tributary_bench::report::Report;
use tributary_bench::server::{Res, Server};

use crate::{mib, provision, say, Sizes};

async fn fresh_server(bin: &Path) -> Res<(Database, Provisioned, Server)> {
    let db = Database::sqlite()?;
    let url = db.url();
    let prov = provision(bin, &url).await?;
    let server = Server::tributary(bin, &url).await?;
    Ok((db, prov, server))
}

pub(crate) async fn fanout_run(bin: &Path, sizes: &Sizes, report: &mut Report) -> Res<()> {
    let (_db, prov, server) = fresh_server(bin).await?;
    let f = fanout::fanout(
        &server.target,
        server.pid(),
        &prov,
        sizes.fan_subscribers,
        sizes.fan_rate,
        sizes.fan_duration,
    )
    .await?;
    server.stop().await;
    let name = format!(
        "fan-out {} SSE, {} msg/s",
        sizes.fan_subscribers, sizes.fan_rate
    );
    let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    say(format!(
        "{name}: {} subscribers ({} failed), {}/{} posts accepted, delivered {}/{}, accepted→received p50 {:.2} p99 {:.2} p99.9 {:.2} ms, sent→received p99 {:.2} ms, CPU {:.0}%",
        f.subscribers,
        f.failed_subscribers,
        f.accepted,
        f.posts,
        f.delivered,
        f.expected,
        ms(&f.accepted_to_received, 0.5),
        ms(&f.accepted_to_received, 0.99),
        ms(&f.accepted_to_received, 0.999),
        ms(&f.sent_to_received, 0.99),
        f.cpu_percent
    ));
    report.add(&name, "delivery p50 ms", ms(&f.accepted_to_received, 0.5));
    report.add(&name, "delivery p99 ms", ms(&f.accepted_to_received, 0.99));
    report.add(
        &name,
        "delivery p99.9 ms",
        ms(&f.accepted_to_received, 0.999),
    );
    report.add(&name, "sent→received p99 ms", ms(&f.sent_to_received, 0.99));
    report.add(
        &name,
        "missed deliveries",
        (f.expected - f.delivered.min(f.expected)) as f64,
    );
    report.add(
        &name,
        "failed subscribers + post errors",
        (f.failed_subscribers as u64 + f.post_errors) as f64,
    );
    report.add(&name, "server CPU %", f.cpu_percent);
    Ok(())
}

pub(crate) async fn idle_run(bin: &Path, sizes: &Sizes, report: &mut Report) -> Res<()> {
    let (_db, prov, server) = fresh_server(bin).await?;
    let s = fanout::idle(&server.target, server.pid(), &prov, sizes.idle).await?;
    server.stop().await;
    let name = format!("idle streams ({})", sizes.idle);
    say(format!(
        "{name}: {} open ({} failed), RSS {:.1} → {:.1} MiB, {:.1} KiB per stream",
        s.opened,
        s.failed,
        mib(s.rss_before_kib),
        mib(s.rss_after_kib),
        s.kib_per_stream()
    ));
    report.add(&name, "KiB per stream", s.kib_per_stream());
    report.add(&name, "server RSS MiB", mib(s.rss_after_kib));
    report.add(&name, "failed streams", s.failed as f64);
    Ok(())
}
