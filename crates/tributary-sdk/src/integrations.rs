//! Typed calls for developer applications and sources (flowdock/api-docs docs/sources.md).

use reqwest::Method;
use serde_json::json;
use tributary_types::{Application, CreateApplication, CreateSource, Flow, Source, UpdateSource};

use crate::client::decode;
use crate::{Client, Error};

/// `/oauth/applications`.
pub struct Applications<'a> {
    pub(crate) client: &'a Client,
}

impl Applications<'_> {
    /// `GET /oauth/applications`: the caller's own applications, secrets included.
    pub async fn list(&self) -> Result<Vec<Application>, Error> {
        self.client.get("/oauth/applications").await
    }

    /// `POST /oauth/applications`: registers an application; the answer has its client id
    /// and secret.
    pub async fn create(&self, app: &CreateApplication) -> Result<Application, Error> {
        self.client
            .send_json(Method::POST, "/oauth/applications", app)
            .await
    }

    /// `GET /oauth/applications/:id`.
    pub async fn get(&self, id: i64) -> Result<Application, Error> {
        self.client.get(&format!("/oauth/applications/{id}")).await
    }
}

/// `/sources` and `/flows/:org/:flow/sources`.
pub struct Sources<'a> {
    pub(crate) client: &'a Client,
}

impl Sources<'_> {
    /// `GET /sources`: the sources of every flow the caller has joined.
    pub async fn list(&self) -> Result<Vec<Source>, Error> {
        self.client.get("/sources").await
    }

    /// `GET /flows/:org/:flow/sources`.
    pub async fn list_in_flow(&self, org: &str, flow: &str) -> Result<Vec<Source>, Error> {
        self.client
            .get(&format!("/flows/{org}/{flow}/sources"))
            .await
    }

    /// `GET /flows/:org/:flow/sources/:id`.
    pub async fn get(&self, org: &str, flow: &str, id: i64) -> Result<Source, Error> {
        self.client
            .get(&format!("/flows/{org}/{flow}/sources/{id}"))
            .await
    }

    /// `POST /flows/:org/:flow/sources` with an OAuth token of scope `integration`. The
    /// answer's `flow_token` is shown this once: store it.
    pub async fn create(
        &self,
        org: &str,
        flow: &str,
        source: &CreateSource,
    ) -> Result<Source, Error> {
        self.client
            .send_json(
                Method::POST,
                &format!("/flows/{org}/{flow}/sources"),
                source,
            )
            .await
    }

    /// `POST` to the flow's `links.sources.href`, as the integration guide advises: the flow
    /// from `flows().find(id)` names its own sources endpoint, absolute (at the server's public
    /// URL) or relative to the client's base URL.
    pub async fn create_in(&self, flow: &Flow, source: &CreateSource) -> Result<Source, Error> {
        let href = flow
            .links
            .get("sources")
            .map(|l| l.href.as_str())
            .ok_or_else(|| Error::Decode("the flow has no `links.sources`".into()))?;
        let req = if href.starts_with("http://") || href.starts_with("https://") {
            self.client.request_url(Method::POST, href)
        } else {
            self.client.request(Method::POST, href)
        };
        self.client.send_json_to(req, source).await
    }

    /// `PUT /flows/:org/:flow/sources/:id`. An empty `error_message` clears the error.
    pub async fn update(
        &self,
        org: &str,
        flow: &str,
        id: i64,
        changes: &UpdateSource,
    ) -> Result<Source, Error> {
        self.client
            .send_json(
                Method::PUT,
                &format!("/flows/{org}/{flow}/sources/{id}"),
                changes,
            )
            .await
    }

    /// `PUT /sources` authenticated by the source's own `flow_token`; needs no other
    /// credential. A removed source answers [`Error::SourceGone`].
    pub async fn update_with_token(
        &self,
        flow_token: &str,
        changes: &UpdateSource,
    ) -> Result<Source, Error> {
        let mut body = serde_json::to_value(changes).map_err(|e| Error::Decode(e.to_string()))?;
        body["flow_token"] = json!(flow_token);
        self.client.send_json(Method::PUT, "/sources", &body).await
    }

    /// `POST /flows/:org/:flow/sources/:id/rotate`: gives the source a new `flow_token`,
    /// returned in the answer's `flow_token` and never again. The old token keeps working for
    /// `grace_secs` seconds (the server's `--flow-token-grace` when `None`, which is also the
    /// most it allows), then answers [`Error::SourceGone`] with reason `rotated`. `Some(0)`
    /// kills the old token, and any earlier one still in its grace, at once: use it for a
    /// leaked token.
    pub async fn rotate_flow_token(
        &self,
        org: &str,
        flow: &str,
        id: i64,
        grace_secs: Option<u64>,
    ) -> Result<Source, Error> {
        self.client
            .send_json(
                Method::POST,
                &format!("/flows/{org}/{flow}/sources/{id}/rotate"),
                &grace_body(grace_secs),
            )
            .await
    }

    /// `DELETE /flows/:org/:flow/sources/:id`: from then on the `flow_token` answers 410.
    pub async fn delete(&self, org: &str, flow: &str, id: i64) -> Result<(), Error> {
        let response = self
            .client
            .request(Method::DELETE, &format!("/flows/{org}/{flow}/sources/{id}"))
            .send()
            .await?;
        if response.status().is_success() {
            return Ok(());
        }
        decode::<serde_json::Value>(response).await.map(|_| ())
    }
}

/// The body of a rotation: `{"grace": secs}`, or nothing for the server's default.
pub(crate) fn grace_body(grace_secs: Option<u64>) -> serde_json::Value {
    match grace_secs {
        Some(secs) => json!({ "grace": secs }),
        None => json!({}),
    }
}
