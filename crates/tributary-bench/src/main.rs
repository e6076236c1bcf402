//! `tributary-bench`: runs every benchmark scenario and prints one table (BENCHMARKS.md).
//!
//! ```text
//! cargo run --release -p tributary-bench -- [--quick] [--runs N] [--only post,pg,fanout,idle,read]
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use tributary::store::sqlite::seed::{self, SeedSpec};
use tributary_bench::load::Target;
use tributary_bench::report::{Goal, Report};
use tributary_bench::server::{self, Database, Provisioned, Res, Server};
use tributary_bench::{fanout, post, read};

#[derive(Debug, Parser)]
#[command(
    name = "tributary-bench",
    about = "Tributary's benchmarks; see BENCHMARKS.md"
)]
struct Args {
    /// Small sizes and short runs: finishes in under 2 minutes once built.
    #[arg(long)]
    quick: bool,
    /// Runs of each scenario (default 3, or 1 with --quick); the table shows median, min, max.
    #[arg(long)]
    runs: Option<usize>,
    /// Scenarios to run (default all): post (with the ceiling), pg, fanout, idle, read.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The `tributary` binary to test (default: build it with `cargo build --release`).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// The ceiling binary (default: build it with `cargo build --release`).
    #[arg(long)]
    ceiling_bin: Option<PathBuf>,
    /// A PostgreSQL server's `postgres` database, reachable without a password; the `pg`
    /// scenario creates a database there for each run and drops it after.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Post to an already running server instead (with --flow-token); only the post load runs.
    #[arg(long, requires = "flow_token")]
    url: Option<String>,
    #[arg(long)]
    flow_token: Option<String>,
    /// Measured seconds of each post load (default 10, or 3 with --quick).
    #[arg(long)]
    duration: Option<f64>,
    /// Messages in the big read flow (default 1,000,000, or 50,000 with --quick).
    #[arg(long)]
    read_size: Option<u64>,
    /// Idle streams to open (default 10,000, or 2,000 with --quick).
    #[arg(long)]
    idle_streams: Option<usize>,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
}

struct Sizes {
    warmup: Duration,
    duration: Duration,
    concurrency: [usize; 2],
    fan_subscribers: usize,
    fan_rate: u64,
    fan_duration: Duration,
    idle: usize,
    read_small: u64,
    read_big: u64,
    read_warmup: Duration,
    read_duration: Duration,
    read_concurrency: usize,
}

impl Sizes {
    fn new(a: &Args) -> Sizes {
        let q = a.quick;
        let secs = |full: f64, quick: f64| Duration::from_secs_f64(if q { quick } else { full });
        Sizes {
            warmup: secs(2.0, 1.0),
            duration: a
                .duration
                .map(Duration::from_secs_f64)
                .unwrap_or(secs(10.0, 3.0)),
            concurrency: [16, 64],
            fan_subscribers: 1_000,
            fan_rate: 200,
            fan_duration: secs(10.0, 3.0),
            idle: a.idle_streams.unwrap_or(if q { 2_000 } else { 10_000 }),
            read_small: 10_000,
            read_big: a.read_size.unwrap_or(if q { 50_000 } else { 1_000_000 }),
            read_warmup: secs(1.0, 0.5),
            read_duration: secs(5.0, 2.0),
            read_concurrency: 2,
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tributary-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn wants(args: &Args, s: &str) -> bool {
    args.only.is_empty() || args.only.iter().any(|o| o == s)
}

fn say(msg: impl AsRef<str>) {
    eprintln!("==> {}", msg.as_ref());
}

async fn run(args: Args) -> Res<()> {
    let started = Instant::now();
    let nofile = server::raise_nofile();
    let sizes = Sizes::new(&args);
    let runs = args.runs.unwrap_or(if args.quick { 1 } else { 3 }).max(1);
    let mut report = Report::default();
    if let Some(url) = &args.url {
        return against_url(&args, &sizes, url).await;
    }
    let (server_bin, ceiling_bin) = binaries(&args)?;
    say(format!(
        "{} mode, {runs} run(s), open-file limit {nofile}, load {}",
        if args.quick { "quick" } else { "full" },
        loadavg()
    ));
    report.note(format!(
        "Mode: {}, {runs} run(s); load average at start: {}; server binary: {}",
        if args.quick { "quick" } else { "full" },
        loadavg(),
        server_bin.display()
    ));
    for run in 1..=runs {
        say(format!("run {run}/{runs}"));
        let mut ceiling = [f64::NAN; 2];
        if wants(&args, "post") || wants(&args, "pg") {
            ceiling = ceiling_run(&ceiling_bin, &sizes, &mut report).await?;
        }
        if wants(&args, "post") {
            let rates = post_run(&server_bin, &sizes, None, &mut report).await?;
            for (c, (r, ceil)) in sizes.concurrency.iter().zip(rates.iter().zip(ceiling)) {
                report.add("post ÷ ceiling", &format!("sqlite c{c}"), r / ceil);
            }
        }
        if wants(&args, "pg") {
            match post_run(&server_bin, &sizes, Some(&args.pg_url), &mut report).await {
                Ok(rates) => {
                    for (c, (r, ceil)) in sizes.concurrency.iter().zip(rates.iter().zip(ceiling)) {
                        report.add("post ÷ ceiling", &format!("postgres c{c}"), r / ceil);
                    }
                }
                Err(e) => {
                    say(format!("postgres skipped: {e}"));
                    report.note(format!("PostgreSQL scenario skipped in run {run}: {e}"));
                }
            }
        }
        if wants(&args, "fanout") {
            fanout_run(&server_bin, &sizes, &mut report).await?;
        }
        if wants(&args, "idle") {
            idle_run(&server_bin, &sizes, &mut report).await?;
        }
    }
    if wants(&args, "read") {
        read_scenario(&server_bin, &sizes, runs, &mut report).await?;
    }
    set_goals(&mut report, &sizes);
    report.note(format!(
        "Finished in {:.0} s; load average at the end: {}",
        started.elapsed().as_secs_f64(),
        loadavg()
    ));
    println!("{}", report.table());
    if let Some(path) = &args.json {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default(),
        )
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The server and ceiling binaries: given, or built here in release mode.
fn binaries(args: &Args) -> Res<(PathBuf, PathBuf)> {
    if let (Some(s), Some(c)) = (&args.server_bin, &args.ceiling_bin) {
        return Ok((s.clone(), c.clone()));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    say("building tributary and bench-ceiling (cargo build --release)");
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "-p",
            "tributary",
            "--bin",
            "tributary",
        ])
        .args(["-p", "tributary-bench", "--bin", "bench-ceiling"])
        .status()
        .map_err(|e| format!("cannot run {cargo}: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release failed: {status}"));
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if Path::new(&d).is_absolute() => PathBuf::from(d),
        Some(d) => root.join(d),
        None => root.join("target"),
    };
    let dir = target.join("release");
    Ok((
        args.server_bin
            .clone()
            .unwrap_or_else(|| dir.join("tributary")),
        args.ceiling_bin
            .clone()
            .unwrap_or_else(|| dir.join("bench-ceiling")),
    ))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Server CPU time per answered request: unlike the rate, it hardly moves when something
/// else on the machine takes CPU, so it compares runs taken under different loads.
fn cpu_micros_each(cpu_percent: f64, per_second: f64) -> f64 {
    if per_second > 0.0 {
        cpu_percent / 100.0 * 1e6 / per_second
    } else {
        0.0
    }
}

/// The ceiling at each concurrency; returns its requests per second.
async fn ceiling_run(bin: &Path, sizes: &Sizes, report: &mut Report) -> Res<[f64; 2]> {
    let server = Server::ceiling(bin).await?;
    let bodies = post::bodies("0123456789abcdef0123456789abcdef");
    let mut rates = [0.0; 2];
    for (i, c) in sizes.concurrency.iter().enumerate() {
        let s = post::run(
            &server.target,
            server.pid(),
            bodies.clone(),
            *c,
            sizes.warmup,
            sizes.duration,
        )
        .await;
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
        report.add(&name, "server CPU %", s.cpu_percent);
        report.add(
            &name,
            "server CPU µs per req",
            cpu_micros_each(s.cpu_percent, s.load.per_second()),
        );
        rates[i] = s.load.per_second();
    }
    server.stop().await;
    Ok(rates)
}

/// The post scenario on a fresh SQLite directory, or a fresh PostgreSQL database when
/// `pg` is given; returns msg/s at each concurrency.
async fn post_run(
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
    let prov = {
        let (bin, url) = (bin.to_owned(), url.clone());
        tokio::task::spawn_blocking(move || server::provision(&bin, &url))
            .await
            .map_err(|e| e.to_string())??
    };
    let before = db.stored_by_source(prov.source_id).await?;
    let server = Server::tributary(bin, &url).await?;
    let bodies = post::bodies(&prov.flow_token);
    let mut rates = [0.0; 2];
    let mut acked = 0;
    for (i, c) in sizes.concurrency.iter().enumerate() {
        let s = post::run(
            &server.target,
            server.pid(),
            bodies.clone(),
            *c,
            sizes.warmup,
            sizes.duration,
        )
        .await;
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
        report.add(&name, "server CPU %", s.cpu_percent);
        report.add(
            &name,
            "server CPU µs per msg",
            cpu_micros_each(s.cpu_percent, s.load.per_second()),
        );
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

async fn fresh_server(bin: &Path) -> Res<(Database, Provisioned, Server)> {
    let db = Database::sqlite()?;
    let url = db.url();
    let prov = {
        let (bin, url) = (bin.to_owned(), url.clone());
        tokio::task::spawn_blocking(move || server::provision(&bin, &url))
            .await
            .map_err(|e| e.to_string())??
    };
    let server = Server::tributary(bin, &url).await?;
    Ok((db, prov, server))
}

async fn fanout_run(bin: &Path, sizes: &Sizes, report: &mut Report) -> Res<()> {
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

async fn idle_run(bin: &Path, sizes: &Sizes, report: &mut Report) -> Res<()> {
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

fn label(n: u64) -> String {
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

async fn read_scenario(bin: &Path, sizes: &Sizes, runs: usize, report: &mut Report) -> Res<()> {
    let db = Database::sqlite()?;
    let url = db.url();
    let prov = {
        let (bin, url) = (bin.to_owned(), url.clone());
        tokio::task::spawn_blocking(move || server::provision(&bin, &url))
            .await
            .map_err(|e| e.to_string())??
    };
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

fn set_goals(report: &mut Report, sizes: &Sizes) {
    let [_, c64] = sizes.concurrency;
    report.goal(
        "post ÷ ceiling",
        &format!("sqlite c{c64}"),
        Goal::AtLeast(0.5),
    );
    report.goal(&format!("post sqlite c{c64}"), "p99 ms", Goal::AtMost(10.0));
    report.goal(
        "post ÷ ceiling",
        &format!("postgres c{c64}"),
        Goal::AtLeast(0.2),
    );
    report.goal("post sqlite", "stored − acknowledged", Goal::AtMost(0.0));
    report.goal("post postgres", "stored − acknowledged", Goal::AtMost(0.0));
    let fan = format!(
        "fan-out {} SSE, {} msg/s",
        sizes.fan_subscribers, sizes.fan_rate
    );
    report.goal(&fan, "delivery p99 ms", Goal::AtMost(50.0));
    report.goal(
        &format!("idle streams ({})", sizes.idle),
        "KiB per stream",
        Goal::AtMost(20.0),
    );
    let big = format!("read {}", label(sizes.read_big));
    report.goal(&big, "list limit=100 p99 ms", Goal::AtMost(5.0));
    report.goal(
        &big,
        &format!("search={} p99 ms", read::WORD),
        Goal::AtMost(50.0),
    );
    report.goal(
        &format!(
            "read {} ÷ {}",
            label(sizes.read_big),
            label(sizes.read_small)
        ),
        "list p99 ratio",
        Goal::AtMost(1.5),
    );
}

/// `--url`: the post load against a server someone else runs.
async fn against_url(args: &Args, sizes: &Sizes, url: &str) -> Res<()> {
    let hostport = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let addr = tokio::net::lookup_host(&hostport)
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .next()
        .ok_or_else(|| format!("{url}: no address"))?;
    let target = Target { addr };
    let bodies = post::bodies(args.flow_token.as_deref().unwrap_or_default());
    let mut report = Report::default();
    for c in sizes.concurrency {
        // No server process here to read /proc from: CPU and RSS read as 0.
        let s = post::run(&target, 0, bodies.clone(), c, sizes.warmup, sizes.duration).await;
        let name = format!("post {url} c{c}");
        report.add(&name, "msg/s", s.load.per_second());
        report.add(&name, "p50 ms", s.load.ms(0.5));
        report.add(&name, "p99 ms", s.load.ms(0.99));
        report.add(&name, "p99.9 ms", s.load.ms(0.999));
        report.add(&name, "errors", s.load.errors as f64);
        report.add(&name, "acknowledged", s.load.acked as f64);
    }
    println!("{}", report.table());
    Ok(())
}
