//! Real Chromium for the UI suite: Debian's `chromium` driven by `chromedriver` through the
//! WebDriver client fantoccini.
//!
//! Each [`Chrome`] starts its own chromedriver on a free loopback port and one headless
//! Chromium with a fresh profile, so tests run in parallel without sharing cookies. The
//! driver runs in a process group of its own, and dropping the `Chrome` (also when a test
//! panics) kills the whole group, browser included, so no Chromium outlives its test.
//!
//! Chromium must not try to reach the network on its own: on a closed network its
//! background connections fail and take the page loads with them, hence the
//! `--disable-background-networking` family of flags.
//!
//! Waits are explicit ([`Chrome::wait_for`]): poll a condition until it holds or a generous
//! deadline passes, then fail with what was expected. No test sleeps to pass time.

use std::future::Future;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long a condition may take before the test fails. Generous: the machine is small and
/// shared, and a wait ends as soon as its condition holds.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--lang=en-US",
];

fn binary(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    l.local_addr().expect("probe address").port()
}

/// Where screenshots go: `<target dir>/screenshots/`.
pub(crate) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // .../target/debug/deps/api-<hash>
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

/// Starts chromedriver on a free loopback port.
fn spawn_driver(driver_bin: &str) -> (Child, u16) {
    let port = free_port();
    let driver = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{driver_bin} is required for the UI tests (scripts/test installs it): {e}")
        });
    (driver, port)
}

/// One headless Chromium and the chromedriver that drives it.
pub(crate) struct Chrome {
    pub client: Client,
    pub base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Starts chromedriver and a browser sized like a laptop screen.
    pub(crate) async fn start(base: &str) -> Chrome {
        let driver_bin = binary("TRIBUTARY_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = binary("TRIBUTARY_CHROMIUM", "/usr/bin/chromium");
        let (mut driver, mut port) = spawn_driver(&driver_bin);
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push("--window-size=1360,860".into());
        let caps = json!({
            "browserName": "chrome",
            // Leave alerts open so that the XSS test can see one instead of having it
            // dismissed silently.
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object")
        };
        let deadline = Instant::now() + PATIENCE;
        let client = loop {
            // The probed port can be taken by another test between the probe and
            // chromedriver's bind; chromedriver then exits, and a new port is tried.
            if let Ok(Some(_)) = driver.try_wait() {
                (driver, port) = spawn_driver(&driver_bin);
            }
            let url = format!("http://127.0.0.1:{port}");
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await;
            match attempt {
                Ok(c) => break c,
                // chromedriver is still starting: its port is not open yet.
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("chromedriver did not start a browser: {e}"),
            }
        };
        Chrome {
            client,
            base: base.trim_end_matches('/').to_owned(),
            driver,
            _profile: profile,
        }
    }

    pub(crate) async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    pub(crate) async fn path(&self) -> String {
        let u = self.client.current_url().await.expect("current url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// The element, once it exists.
    pub(crate) async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} within {PATIENCE:?}: {e}"))
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    pub(crate) async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    /// Runs `script` in the page and returns its value.
    pub(crate) async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Polls `check` until it returns `Some`, failing with `what` after [`PATIENCE`].
    pub(crate) async fn wait_for<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the script returns `true`.
    pub(crate) async fn wait_js(&self, what: &str, script: &str) {
        self.wait_for(what, || async {
            (self.js(script).await == Value::Bool(true)).then_some(())
        })
        .await
    }

    /// Signs in through the login form, as a person does.
    pub(crate) async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/app").await;
        self.find("input[name=email]")
            .await
            .send_keys(email)
            .await
            .expect("type the email");
        self.find("input[name=password]")
            .await
            .send_keys(password)
            .await
            .expect("type the password");
        self.find("form[action='/login'] button[type=submit]")
            .await
            .click()
            .await
            .expect("submit the login form");
        self.find(".flow-list").await;
    }

    /// Waits until the page's stream is connected.
    pub(crate) async fn wait_live(&self) {
        self.wait_js(
            "the live stream to connect",
            "return document.getElementById('live-root')?.dataset.liveState === 'open';",
        )
        .await;
    }

    /// Saves a PNG of the window as `target/screenshots/<name>.png` and returns its path.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Ends the WebDriver session; dropping kills the processes either way.
    pub(crate) async fn close(&self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // The whole group: chromedriver and the browser it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}
