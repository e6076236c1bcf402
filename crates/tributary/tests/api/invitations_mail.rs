//! Invitation emails through a real SMTP server: aiosmtpd (PyPI), installed once by
//! `scripts/smtp-test-venv` and started per test on a free loopback port, writing each
//! message into a Maildir that the test reads. The email names the recipient, the subject,
//! and holds the invitation's link; an SMTP server that is down or stalls fails nothing but
//! the delivery, which the invitation records.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::OnceCell;
use tributary::state::Mailer;
use tributary::store::Delivery;

use crate::backend_tests;
use crate::browser::{csrf, location, Browser};
use crate::helpers::{Backend, TestApp};
use crate::invitations::{setup_with, Setup};

backend_tests!(
    an_invitation_is_emailed_with_its_link,
    a_failing_or_stalled_smtp_server_fails_only_the_delivery,
);

const PATIENCE: Duration = Duration::from_secs(20);

static PYTHON: OnceCell<PathBuf> = OnceCell::const_new();

async fn python() -> PathBuf {
    PYTHON
        .get_or_init(|| async {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/smtp-test-venv");
            let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("smtp-test");
            let out = tokio::process::Command::new("bash")
                .arg(script)
                .arg(&venv)
                .output()
                .await
                .expect("run scripts/smtp-test-venv");
            assert!(
                out.status.success(),
                "scripts/smtp-test-venv failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        })
        .await
        .clone()
}

/// A running aiosmtpd with its Maildir.
struct SmtpServer {
    port: u16,
    maildir: PathBuf,
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    async fn start() -> SmtpServer {
        let python = python().await;
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let deadline = Instant::now() + PATIENCE;
        loop {
            // The probed port can be taken before aiosmtpd binds it: then try another.
            let port = crate::child_server::free_port();
            let mut child = tokio::process::Command::new(&python)
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir)
                .kill_on_drop(true)
                .spawn()
                .expect("start aiosmtpd");
            while Instant::now() < deadline {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return SmtpServer {
                        port,
                        maildir,
                        _child: child,
                        _dir: dir,
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far, once there are `n`.
    async fn messages(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let files: Vec<PathBuf> = std::fs::read_dir(self.maildir.join("new"))
                .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            if files.len() >= n {
                return files
                    .iter()
                    .map(|f| std::fs::read_to_string(f).unwrap())
                    .collect();
            }
            assert!(Instant::now() < deadline, "{n} emails did not arrive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn app_with_mail(b: Backend, smtp_url: &str) -> Setup {
    let mailer = Mailer::new(smtp_url, "Tributary <invites@tributary.test>").unwrap();
    setup_with(TestApp::spawn_with(b, move |s| s.mail = mailer).await).await
}

async fn post_invitation(s: &Setup, email: &str) -> (StatusCode, serde_json::Value) {
    crate::invitations::call(
        &s.app,
        &s.ann,
        reqwest::Method::POST,
        "/flows/acme/main/invitations",
        Some(json!({"emails": [email], "message": "We talk about widgets here."})),
    )
    .await
}

async fn delivery(s: &Setup, id: i64) -> Delivery {
    let flow = s.main_flow().await;
    s.app
        .store
        .invitation_by_id(&flow.id, id)
        .await
        .unwrap()
        .unwrap()
        .delivery
}

async fn wait_delivery(s: &Setup, id: i64, want: Delivery) {
    let deadline = Instant::now() + PATIENCE;
    while delivery(s, id).await != want {
        assert!(Instant::now() < deadline, "delivery never became {want:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn an_invitation_is_emailed_with_its_link(b: Backend) {
    let smtp = SmtpServer::start().await;
    let s = app_with_mail(b, &smtp.url()).await;
    let (status, body) = post_invitation(&s, "carol@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let inv = &body["invitations"][0];
    assert!(
        inv.get("invitation_url").is_none(),
        "the email carries the link: {body}"
    );
    let mail = smtp.messages(1).await.remove(0);
    // Quoted-printable soft line breaks, if any, undone.
    let text = mail.replace("=\r\n", "").replace("=\n", "");
    assert!(text.contains("X-RcptTo: carol@example.com"), "{text}");
    assert!(text.contains("To: carol@example.com"), "{text}");
    assert!(
        text.contains("From: Tributary <invites@tributary.test>"),
        "{text}"
    );
    assert!(
        text.contains("Subject: ann Tester invited you to Main on Tributary"),
        "{text}"
    );
    assert!(text.contains("We talk about widgets here."), "{text}");
    let start = text
        .find(&s.app.url("/invite/"))
        .expect("the link is in the body");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    wait_delivery(&s, inv["id"].as_i64().unwrap(), Delivery::Sent).await;

    // The emailed link signs Carol up into the flow.
    let path = link.strip_prefix(&s.app.base_url).unwrap();
    let browser = Browser::new(&s.app);
    let html = browser.page(path).await;
    let res = browser
        .post(
            path,
            &[
                ("csrf_token", csrf(&html).as_str()),
                ("name", "Carol"),
                ("nick", "carol"),
                ("email", "carol@example.com"),
                ("password", "carol-secret"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/app/acme/main");
}

async fn a_failing_or_stalled_smtp_server_fails_only_the_delivery(b: Backend) {
    // Nothing listens here: the connection is refused.
    let s = app_with_mail(
        b,
        &format!("smtp://127.0.0.1:{}", crate::child_server::free_port()),
    )
    .await;
    let (status, body) = post_invitation(&s, "carol@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    wait_delivery(
        &s,
        body["invitations"][0]["id"].as_i64().unwrap(),
        Delivery::Failed,
    )
    .await;

    // A server that accepts the connection and never says a word: the answer does not wait.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = stall.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = stall.accept().await {
            open.push(conn);
        }
    });
    let s = app_with_mail(b, &format!("smtp://127.0.0.1:{port}")).await;
    let started = Instant::now();
    let (status, body) = post_invitation(&s, "dave@example.com").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let id = body["invitations"][0]["id"].as_i64().unwrap();
    assert_eq!(delivery(&s, id).await, Delivery::Queued);
    held.abort();
}

/// `--smtp-url` and `--smtp-from` win over `smtp_url` and `smtp_from` in the config file; the
/// URL (which may hold a password) never shows in `Debug`; a bad URL or sender is refused.
#[test]
fn smtp_settings_come_from_flags_or_the_config_file() {
    use tributary::config::{Config, Overrides, DEFAULT_SMTP_FROM};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.toml");
    std::fs::write(
        &path,
        "smtp_url = \"smtp://mailer:hunter2@mail.example.com:2525\"\nsmtp_from = \"Ops <ops@example.com>\"\n",
    )
    .unwrap();
    let file = Config::load(Overrides {
        file: Some(path.clone()),
        ..Default::default()
    })
    .unwrap();
    let url = file.smtp_url.as_ref().unwrap();
    assert_eq!(url.expose(), "smtp://mailer:hunter2@mail.example.com:2525");
    assert_eq!(file.smtp_from, "Ops <ops@example.com>");
    assert!(!format!("{file:?}").contains("hunter2"));
    let flags = Config::load(Overrides {
        file: Some(path),
        smtp_url: Some("smtps://mail.example.org".into()),
        smtp_from: Some("x@example.org".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(flags.smtp_url.unwrap().expose(), "smtps://mail.example.org");
    assert_eq!(flags.smtp_from, "x@example.org");
    let none = Config::load(Overrides::default()).unwrap();
    assert!(none.smtp_url.is_none());
    assert_eq!(none.smtp_from, DEFAULT_SMTP_FROM);

    assert!(Mailer::new(url.expose(), &file.smtp_from)
        .unwrap()
        .configured());
    assert!(!format!("{:?}", Mailer::new(url.expose(), "a@b.c").unwrap()).contains("hunter2"));
    assert!(Mailer::new("http://mail.example.com", "a@b.c").is_err());
    assert!(Mailer::new("smtp://mail.example.com", "not an address").is_err());
    assert!(!Mailer::none().configured());
}
