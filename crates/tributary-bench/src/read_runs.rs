//! The read scenario: one flow bulk-seeded to a small and then a big size, listed and
//! searched at each.

use std::path::Path;
use std::time::Instant;

use tributary::store::sqlite::seed::{self, SeedSpec};
use tributary_bench::database::Database;
use tributary_bench::provision::Provisioned;
use tributary_bench::read;
use tributary_bench::report::Report;
use tributary_bench::server::{Res, Server};

use crate::{say, Sizes};

pub(crate) fn label(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

/// Seeds `count` more messages through the store's bulk path, with a progress line.
async fn seed_more(db: &Database, prov: &Provisioned, count: u64) -> Res<i64> {
    let path = db.sqlite_path().ok_or("the read scenario seeds SQLite")?;
    let spec = SeedSpec {
        source_id: prov.source_id,
        count,
    };
    let started = Instant::now();
    let newest = tokio::task::spawn_blocking(move || {
        seed::bulk_seed(&path, &spec, read::seed_item, |done, total| {
            let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
            eprint!(
                "\r    seeding {done}/{total} ({:.0}%), {:.0} messages/s   ",
                100.0 * done as f64 / total as f64,
                rate
            );
        })
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("seeding: {e}"))?;
    eprintln!();
    Ok(newest)
}

pub(crate) async fn read_scenario(
    bin: &Path,
    sizes: &Sizes,
    runs: usize,
    report: &mut Report,
) -> Res<()> {
    let db = Database::sqlite()?;
    let url = db.url();
    let prov = crate::provision(bin, &url).await?;
    let mut seeded = 0;
    for size in [sizes.read_small, sizes.read_big] {
        say(format!(
            "read: seeding the flow to {} messages",
            label(size)
        ));
        let newest = seed_more(&db, &prov, size - seeded).await?;
        seeded = size;
        let server = Server::tributary(bin, &url).await?;
        let name = format!("read {}", label(size));
        for run in 1..=runs {
            let list = read::run(
                &server.target,
                &prov,
                read::list_paths(&prov, newest),
                sizes.read_concurrency,
                sizes.read_warmup,
                sizes.read_duration,
            )
            .await;
            let search = read::run(
                &server.target,
                &prov,
                vec![read::search_path(&prov)],
                sizes.read_concurrency,
                sizes.read_warmup,
                sizes.read_duration,
            )
            .await;
            say(format!(
                "{name} (run {run}): list p50 {:.2} p99 {:.2} ms ({:.0} req/s, errors {}); search p50 {:.2} p99 {:.2} ms ({:.0} req/s, errors {})",
                list.ms(0.5),
                list.ms(0.99),
                list.per_second(),
                list.errors,
                search.ms(0.5),
                search.ms(0.99),
                search.per_second(),
                search.errors
            ));
            if let Some(e) = list.first_error.as_ref().or(search.first_error.as_ref()) {
                say(format!("  first error: {e}"));
            }
            report.add(&name, "list limit=100 p50 ms", list.ms(0.5));
            report.add(&name, "list limit=100 p99 ms", list.ms(0.99));
            report.add(&name, "list req/s", list.per_second());
            report.add(
                &name,
                &format!("search={} p50 ms", read::WORD),
                search.ms(0.5),
            );
            report.add(
                &name,
                &format!("search={} p99 ms", read::WORD),
                search.ms(0.99),
            );
            report.add(&name, "errors", (list.errors + search.errors) as f64);
        }
        server.stop().await;
    }
    let (small, big) = (
        format!("read {}", label(sizes.read_small)),
        format!("read {}", label(sizes.read_big)),
    );
    let ratio = |metric: &str| -> Vec<f64> {
        match (report.get(&big, metric), report.get(&small, metric)) {
            (Some(b), Some(s)) => b.values.iter().zip(&s.values).map(|(b, s)| b / s).collect(),
            _ => Vec::new(),
        }
    };
    let list_ratio = ratio("list limit=100 p99 ms");
    for v in list_ratio {
        report.add(
            &format!(
                "read {big_l} ÷ {small_l}",
                big_l = label(sizes.read_big),
                small_l = label(sizes.read_small)
            ),
            "list p99 ratio",
            v,
        );
    }
    Ok(())
}
