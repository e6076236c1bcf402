//! Reading a stream in tests: raw bytes, JSON-stream lines and Event-Stream frames, each wait
//! bounded so a missing event fails the test instead of hanging it.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, TestUser};

pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) struct StreamReader {
    response: reqwest::Response,
    pub buf: Vec<u8>,
    pub ended: bool,
}

impl StreamReader {
    /// Opens `path` as `user` with extra headers and checks for 200.
    pub(crate) async fn open(
        app: &TestApp,
        user: &TestUser,
        path: &str,
        headers: &[(&str, &str)],
    ) -> StreamReader {
        let mut req = app
            .http
            .get(app.url(path))
            .basic_auth(&user.token, Some(""));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::send(req, path).await
    }

    /// Opens a stream from a request built elsewhere (another credential, a browser's
    /// cookies) and checks for 200.
    pub(crate) async fn send(req: reqwest::RequestBuilder, path: &str) -> StreamReader {
        let response = req.send().await.expect("stream request");
        assert_eq!(response.status(), 200, "stream {path}");
        StreamReader {
            response,
            buf: Vec::new(),
            ended: false,
        }
    }

    /// Reads one more chunk; false at the end of the stream.
    pub(crate) async fn fill(&mut self) -> bool {
        match tokio::time::timeout(WAIT, self.response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                self.buf.extend_from_slice(&chunk);
                true
            }
            Ok(Ok(None)) | Ok(Err(_)) => {
                self.ended = true;
                false
            }
            Err(_) => panic!(
                "no stream data within {WAIT:?}; have {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    /// Takes bytes up to and including the first `delim`, reading more as needed.
    pub(crate) async fn take_until(&mut self, delim: &[u8]) -> Option<Vec<u8>> {
        loop {
            if let Some(at) = self.buf.windows(delim.len()).position(|w| w == delim) {
                let rest = self.buf.split_off(at + delim.len());
                return Some(std::mem::replace(&mut self.buf, rest));
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The next JSON-stream object, skipping keep-alive newlines.
    pub(crate) async fn next_json(&mut self) -> Option<Value> {
        let line = self.take_until(b"\r\n").await?;
        let text = String::from_utf8(line).expect("utf-8");
        Some(serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("bad line {text:?}: {e}")))
    }

    /// The next Event-Stream event as (id, event name, data), skipping comments.
    pub(crate) async fn next_sse(&mut self) -> Option<(Option<String>, Option<String>, Value)> {
        loop {
            let frame = String::from_utf8(self.take_until(b"\n\n").await?).expect("utf-8");
            let (mut id, mut name, mut data) = (None, None, None);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("event: ") {
                    name = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(v).expect("data is JSON"));
                }
            }
            if let Some(data) = data {
                return Some((id, name, data));
            }
        }
    }
}
