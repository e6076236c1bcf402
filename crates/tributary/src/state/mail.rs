//! Outgoing email: the SMTP server of `--smtp-url`, or none.
//!
//! Sending never holds up a request: callers send after their commit, from a task of their
//! own. Failures are reported as a short kind, never with the server's reply, which may quote
//! the recipient or the credentials.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one email may take, connecting included.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The sender of the server's email; `Mailer::none()` when no SMTP server is configured.
#[derive(Clone, Default)]
pub struct Mailer {
    inner: Option<Arc<Smtp>>,
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold the SMTP password: never shown.
        f.debug_struct("Mailer")
            .field("configured", &self.configured())
            .finish()
    }
}

impl Mailer {
    pub fn none() -> Mailer {
        Mailer::default()
    }

    /// A mailer for `smtp://host:port` (plain, or `?tls=required` for STARTTLS) or
    /// `smtps://host:port` (implicit TLS), with `user:password@` when the server wants them.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| format!("--smtp-from {from:?} is not an email address"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|_| "--smtp-url must be smtp://HOST:PORT or smtps://HOST:PORT".to_owned())?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Mailer {
            inner: Some(Arc::new(Smtp { transport, from })),
        })
    }

    pub fn configured(&self) -> bool {
        self.inner.is_some()
    }

    /// Sends a plain-text email. `Err` holds a short kind (`timeout`, `refused`, ...) that is
    /// safe to log; `Ok(false)` when no SMTP server is configured.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<bool, &'static str> {
        let Some(smtp) = &self.inner else {
            return Ok(false);
        };
        let to: Mailbox = to.parse().map_err(|_| "bad_recipient")?;
        let message = Message::builder()
            .from(smtp.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|_| "bad_message")?;
        match smtp.transport.send(message).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_timeout() => Err("timeout"),
            Err(e) if e.is_permanent() => Err("rejected"),
            Err(e) if e.is_transient() => Err("deferred"),
            Err(_) => Err("unreachable"),
        }
    }
}
