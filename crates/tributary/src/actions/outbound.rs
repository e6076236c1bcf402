//! Sending one UpdateAction request and reading the integration's answer.
//!
//! The request never follows redirects (a redirect could lead to an address the target
//! check refused), never goes through a proxy (`HTTP_PROXY` and friends are ignored: a proxy
//! would connect wherever it likes, bypassing the pinning), and gives up after the
//! configured timeout (5 s): a slow integration must not hold the user's click, or a server
//! task, for long. `https://` targets are verified against the URL's host name (`tls`).

use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method};

use super::target::{self, Target};
use crate::state::ActionTls;
use crate::store::ActionOutcome;

/// How the request went.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub outcome: ActionOutcome,
    /// The status the integration answered, when it answered.
    pub status: Option<u16>,
    /// From a `401` with `WWW-Authenticate: Flowdock-Token url=...`.
    pub authenticate_url: Option<String>,
    /// What went wrong, in words for the user and the attempts log.
    pub error: Option<String>,
    pub latency: Duration,
}

/// One outbound action request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub body: Vec<u8>,
    pub token: String,
}

/// Checks the target, sends the request, and classifies the answer.
pub async fn deliver(
    req: Request,
    allow_private: bool,
    timeout: Duration,
    tls: &ActionTls,
) -> Delivery {
    let started = Instant::now();
    let failed = |outcome, error: String, status| Delivery {
        outcome,
        status,
        authenticate_url: None,
        error: Some(error),
        latency: started.elapsed(),
    };
    let target = match target::check(&req.url, allow_private).await {
        Ok(t) => t,
        Err(refusal) => return failed(ActionOutcome::Refused, refusal.message(), None),
    };
    let client = match client_for(&target, timeout, tls) {
        Ok(c) => c,
        Err(e) => return failed(ActionOutcome::Error, format!("cannot send: {e}"), None),
    };
    let sent = client
        .request(req.method, target.url)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header("FLOWDOCK-TOKEN", req.token)
        .body(req.body)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return failed(
                ActionOutcome::Error,
                format!("The integration did not answer within {timeout:?}"),
                None,
            )
        }
        Err(e) => {
            return failed(
                ActionOutcome::Error,
                format!("The integration could not be reached: {}", without_url(&e)),
                None,
            )
        }
    };
    let status = response.status();
    let latency = started.elapsed();
    if status.is_success() {
        return Delivery {
            outcome: ActionOutcome::Success,
            status: Some(status.as_u16()),
            authenticate_url: None,
            error: None,
            latency,
        };
    }
    if status.as_u16() == 401 {
        let challenge = response
            .headers()
            .get_all(axum::http::header::WWW_AUTHENTICATE)
            .iter()
            .find_map(challenge_url);
        if let Some(url) = challenge {
            return Delivery {
                outcome: ActionOutcome::Authenticate,
                status: Some(401),
                authenticate_url: Some(url),
                error: None,
                latency,
            };
        }
    }
    Delivery {
        outcome: ActionOutcome::Error,
        status: Some(status.as_u16()),
        authenticate_url: None,
        error: Some(format!("The integration answered {status}")),
        latency,
    }
}

/// A client that connects only to the checked addresses, directly. reqwest's `resolve`
/// overrides only the address: TLS still sends the URL's host name (SNI) and checks the
/// certificate against it.
pub(crate) fn client_for(
    target: &Target,
    timeout: Duration,
    tls: &ActionTls,
) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .use_preconfigured_tls(tls.client_config())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("Tributary/", env!("CARGO_PKG_VERSION")));
    if let Some(domain) = &target.domain {
        builder = builder.resolve_to_addrs(domain, &target.addrs);
    }
    builder.build()
}

/// reqwest's message names the URL, which the caller already knows; keep the reason.
fn without_url(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// The URL of `Flowdock-Token url=...`, when it is a web URL: the user is shown it as a
/// link, so `javascript:` and friends must not get through.
pub fn challenge_url(value: &HeaderValue) -> Option<String> {
    let value = value.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("flowdock-token") {
        return None;
    }
    let rest = rest.trim();
    let url = rest
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("url="))
        .map(|_| rest[4..].trim().trim_matches('"'))?;
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_silent_integration_times_out() {
        // Accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let delivery = deliver(
            Request {
                method: Method::POST,
                url: format!("http://{addr}/vote"),
                body: b"{}".to_vec(),
                token: "t".into(),
            },
            true,
            Duration::from_millis(200),
            &ActionTls::default(),
        )
        .await;
        held.abort();
        assert_eq!(delivery.outcome, ActionOutcome::Error);
        assert_eq!(delivery.status, None);
        assert_eq!(
            delivery.error.as_deref(),
            Some("The integration did not answer within 200ms")
        );
    }

    #[test]
    fn challenges_must_name_a_web_url() {
        let v = |s: &str| HeaderValue::from_str(s).unwrap();
        assert_eq!(
            challenge_url(&v("Flowdock-Token url=https://app.example/auth?claim=x")).as_deref(),
            Some("https://app.example/auth?claim=x")
        );
        assert_eq!(
            challenge_url(&v("flowdock-token URL=\"http://app.example/a\"")).as_deref(),
            Some("http://app.example/a")
        );
        assert_eq!(
            challenge_url(&v("Flowdock-Token url=javascript:alert(1)")),
            None
        );
        assert_eq!(challenge_url(&v("Basic realm=\"x\"")), None);
    }
}
