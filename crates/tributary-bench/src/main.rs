//! `tributary-bench`: runs every benchmark scenario and prints one table (BENCHMARKS.md).
//!
//! ```text
//! cargo run --release -p tributary-bench -- [--quick] [--runs N] [--only post,pg,fanout,idle,read]
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use tributary_bench::load::Target;
use tributary_bench::provision::{self, Provisioned};
use tributary_bench::report::{Goal, Report};
use tributary_bench::server::{self, Res};
use tributary_bench::{post, read};

mod post_runs;
mod read_runs;
mod stream_runs;

use post_runs::{ceiling_run, post_run};
use read_runs::{label, read_scenario};
use stream_runs::{fanout_run, idle_run};

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
    /// The servers' rate limits: `on` (the default) keeps the limiter in every request's path
    /// with limits no scenario reaches, so the figures include its cost; `off` turns it off.
    #[arg(long, value_enum, default_value_t = server::RateLimits::On)]
    rate_limits: server::RateLimits,
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
    server::set_rate_limits(args.rate_limits);
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
        "Mode: {}, {runs} run(s); load average at start: {}; server binary: {}; rate limits {:?}",
        if args.quick { "quick" } else { "full" },
        loadavg(),
        server_bin.display(),
        args.rate_limits
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

/// Provisions a user, an organization, a flow, an app and a source through the admin CLI.
async fn provision(bin: &Path, url: &str) -> Res<Provisioned> {
    let (bin, url) = (bin.to_owned(), url.to_owned());
    tokio::task::spawn_blocking(move || provision::provision(&bin, &url))
        .await
        .map_err(|e| e.to_string())?
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
