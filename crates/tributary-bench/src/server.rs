//! The processes under test: `tributary serve` or the ceiling on a free loopback port,
//! started and stopped; the open-file limit they inherit.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;

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

/// A free port on 127.0.0.1 (closed again at once; the server binds it next).
pub fn free_port() -> Res<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Whether the servers under test run their rate limiter (issue 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RateLimits {
    On,
    Off,
}

static RATE_LIMITS: std::sync::OnceLock<RateLimits> = std::sync::OnceLock::new();

/// Sets the limiter mode of every `tributary serve` started after it (once, from the flags).
pub fn set_rate_limits(mode: RateLimits) {
    let _ = RATE_LIMITS.set(mode);
}

/// The flags for the limiter. The default per-credential limit is meant for people and
/// integrations, not for one `flow_token` posting as fast as the machine allows (or one user
/// opening 10,000 streams), so "on" raises the limits past any scenario's load: the requests
/// still pass the limiter (keying, bucket update, headers), which is the cost to measure.
fn rate_limit_args() -> Vec<String> {
    match RATE_LIMITS.get().copied().unwrap_or(RateLimits::On) {
        RateLimits::Off => vec!["--rate-limits".into(), "false".into()],
        RateLimits::On => [
            "--rate-limits",
            "true",
            "--rate-limit-per-second",
            "1000000000",
            "--rate-limit-ip-per-second",
            "1000000000",
            "--rate-limit-burst",
            "1000000000",
        ]
        .map(String::from)
        .to_vec(),
    }
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
            .arg(database)
            .args(rate_limit_args());
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
