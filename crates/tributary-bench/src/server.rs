//! The processes under test: a fresh database (a temporary SQLite directory, or a PostgreSQL
//! database created for the run and dropped after it), `tributary serve` or the ceiling on a
//! free loopback port, provisioning through the admin CLI, and CPU and RSS from `/proc`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use serde_json::Value;

use crate::load::{self, Target};

pub type Res<T> = Result<T, String>;

/// Raises this process's open-file limit to its hard limit; children (the servers) inherit
/// it. Returns the new soft limit.
pub fn raise_nofile() -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return 0;
        }
        r.rlim_cur = r.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        r.rlim_cur
    }
}

/// A database for one run.
pub enum Database {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

static PG_SEQ: AtomicU32 = AtomicU32::new(0);

impl Database {
    pub fn sqlite() -> Res<Database> {
        tempfile::Builder::new()
            .prefix("tributary-bench-")
            .tempdir()
            .map(Database::Sqlite)
            .map_err(|e| format!("cannot create a temporary directory: {e}"))
    }

    /// Creates a fresh database on the server `admin_url` points at (its `postgres`
    /// database, reachable without a password).
    pub async fn postgres(admin_url: &str) -> Res<Database> {
        let name = format!(
            "tributary_bench_{}_{}",
            std::process::id(),
            PG_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        pg_admin(admin_url, &format!("CREATE DATABASE {name}")).await?;
        Ok(Database::Postgres {
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(dir) => {
                format!("sqlite://{}", self::sqlite_file(dir.path()).display())
            }
            Database::Postgres { admin_url, name } => {
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(admin_url);
                format!("{base}/{name}")
            }
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self {
            Database::Sqlite(dir) => Some(sqlite_file(dir.path())),
            Database::Postgres { .. } => None,
        }
    }

    /// Drops the PostgreSQL database (the SQLite directory goes when dropped).
    pub async fn remove(self) -> Res<()> {
        if let Database::Postgres { admin_url, name } = &self {
            pg_admin(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
        }
        Ok(())
    }

    /// Messages stored in the source's flow by the source: the count to compare with the
    /// acknowledged posts.
    pub async fn stored_by_source(&self, source_id: i64) -> Res<u64> {
        match self {
            Database::Sqlite(_) => {
                let path = self.sqlite_path().unwrap_or_default();
                tokio::task::spawn_blocking(move || -> Res<u64> {
                    let c = rusqlite::Connection::open_with_flags(
                        &path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                    )
                    .map_err(|e| e.to_string())?;
                    c.busy_timeout(Duration::from_secs(10))
                        .map_err(|e| e.to_string())?;
                    c.query_row(
                        "SELECT count(*) FROM messages WHERE source_id = ?1",
                        [source_id],
                        |r| r.get::<_, i64>(0),
                    )
                    .map(|n| n as u64)
                    .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
            }
            Database::Postgres { .. } => {
                let (client, conn) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::spawn(conn);
                let row = client
                    .query_one(
                        "SELECT count(*) FROM messages WHERE source_id = $1",
                        &[&source_id],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(row.get::<_, i64>(0) as u64)
            }
        }
    }
}

fn sqlite_file(dir: &Path) -> PathBuf {
    dir.join("tributary.db")
}

async fn pg_admin(admin_url: &str, sql: &str) -> Res<()> {
    let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("PostgreSQL at {admin_url}: {e}"))?;
    tokio::spawn(conn);
    client
        .batch_execute(sql)
        .await
        .map_err(|e| format!("PostgreSQL `{sql}`: {e}"))
}

/// A free port on 127.0.0.1 (closed again at once; the server binds it next).
pub fn free_port() -> Res<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A server process, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub target: Target,
}

impl Server {
    /// `tributary serve` on `database`.
    pub async fn tributary(bin: &Path, database: &str) -> Res<Server> {
        let port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database")
            .arg(database);
        Server::spawn(cmd, port).await
    }

    /// The ceiling endpoint.
    pub async fn ceiling(bin: &Path) -> Res<Server> {
        let port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.arg("--listen").arg(format!("127.0.0.1:{port}"));
        Server::spawn(cmd, port).await
    }

    async fn spawn(mut cmd: Command, port: u16) -> Res<Server> {
        cmd.env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut server = Server {
            child,
            target: Target { addr },
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server exited at start: {status}"));
            }
            if let Ok(mut s) = load::connect(&self.target, None).await {
                let req = load::request(&self.target, Method::GET, "/healthz", &[], Bytes::new());
                if let Ok((st, _)) = load::send(&mut s, req).await {
                    if st.is_success() {
                        return Ok(());
                    }
                }
            }
            if Instant::now() > deadline {
                return Err("the server did not answer /healthz within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server gracefully (SIGTERM), killing it after 10 s.
    pub async fn stop(mut self) {
        self.terminate().await;
    }

    async fn terminate(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SAFETY: signalling our own child by pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What the admin CLI created for a run.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub org: String,
    pub flow: String,
    pub flow_id: String,
    /// The member user's API token (for streams and reads).
    pub api_token: String,
    pub flow_token: String,
    pub source_id: i64,
}

impl Provisioned {
    /// `Authorization: Basic <api token>:`.
    pub fn basic_auth(&self) -> String {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.api_token))
        )
    }
}

fn admin(bin: &Path, database: &str, args: &[&str]) -> Res<Value> {
    let out = Command::new(bin)
        .arg("admin")
        .args(args)
        .arg("--database")
        .arg(database)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "tributary admin {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("tributary admin {}: {e}", args[0]))
}

fn field<'a>(v: &'a Value, k: &str) -> Res<&'a Value> {
    v.get(k)
        .ok_or_else(|| format!("admin output lacks `{k}`: {v}"))
}

fn text(v: &Value, k: &str) -> Res<String> {
    let f = field(v, k)?;
    Ok(f.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| f.to_string()))
}

/// Creates a user, an organization, a flow (with the user as member), an application and a
/// source, through `tributary admin`, as an operator would.
pub fn provision(bin: &Path, database: &str) -> Res<Provisioned> {
    let email = "bench@example.com";
    let user = admin(
        bin,
        database,
        &[
            "user",
            "create",
            "--email",
            email,
            "--name",
            "Bench User",
            "--nick",
            "bench",
        ],
    )?;
    let org = admin(
        bin,
        database,
        &["org", "create", "--name", "Bench", "--owner", email],
    )?;
    let org_name = text(&org, "parameterized_name")?;
    let flow = admin(
        bin,
        database,
        &[
            "flow", "create", "--org", &org_name, "--name", "Main", "--member", email,
        ],
    )?;
    let flow_name = text(&flow, "parameterized_name")?;
    let app = admin(
        bin,
        database,
        &[
            "app",
            "create",
            "--owner",
            email,
            "--name",
            "Bench App",
            "--redirect-uri",
            "https://bench.example.com/callback",
        ],
    )?;
    let app_id = text(&app, "id")?;
    let source = admin(
        bin,
        database,
        &[
            "source",
            "create",
            "--flow",
            &format!("{org_name}/{flow_name}"),
            "--app",
            &app_id,
            "--name",
            "Bench source",
        ],
    )?;
    Ok(Provisioned {
        org: org_name,
        flow: flow_name,
        flow_id: text(&flow, "id")?,
        api_token: text(&user, "api_token")?,
        flow_token: text(&source, "flow_token")?,
        source_id: field(&source, "id")?
            .as_i64()
            .ok_or("source id is not a number")?,
    })
}

/// CPU time and memory of a process, from `/proc`.
pub mod procstat {
    use std::time::Instant;

    fn ticks_per_second() -> f64 {
        // SAFETY: sysconf has no side effects.
        let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if t > 0 {
            t as f64
        } else {
            100.0
        }
    }

    /// User plus system CPU seconds of `pid` so far.
    pub fn cpu_seconds(pid: u32) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name may hold spaces; the fields after it are fixed.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = f.get(11)?.parse().ok()?;
        let stime: f64 = f.get(12)?.parse().ok()?;
        Some((utime + stime) / ticks_per_second())
    }

    fn status_kib(pid: u32, key: &str) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = s.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }

    /// Resident memory now, KiB.
    pub fn rss_kib(pid: u32) -> Option<u64> {
        status_kib(pid, "VmRSS:")
    }

    /// Peak resident memory, KiB.
    pub fn peak_rss_kib(pid: u32) -> Option<u64> {
        status_kib(pid, "VmHWM:")
    }

    /// Measures a process's CPU use over an interval, in % of one core.
    pub struct CpuMeter {
        pid: u32,
        at: Instant,
        cpu: f64,
    }

    impl CpuMeter {
        pub fn start(pid: u32) -> CpuMeter {
            CpuMeter {
                pid,
                at: Instant::now(),
                cpu: cpu_seconds(pid).unwrap_or(0.0),
            }
        }

        pub fn percent(&self) -> f64 {
            let cpu = cpu_seconds(self.pid).unwrap_or(self.cpu) - self.cpu;
            100.0 * cpu / self.at.elapsed().as_secs_f64().max(1e-9)
        }
    }
}
