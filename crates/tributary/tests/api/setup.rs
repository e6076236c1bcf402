//! Fixtures many tests begin with: several users at once, Ann's organization Acme with its
//! flow Main, and an authenticated GET that reads JSON.

use reqwest::{RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tributary::store::{FlowRecord, OrgRecord};
use tributary_types::{AccessMode, CreateSource};

use crate::helpers::{TestApp, TestUser};

impl TestApp {
    /// One user per nick, made one after the other in the order given.
    pub(crate) async fn users<const N: usize>(&self, nicks: [&str; N]) -> [TestUser; N] {
        let mut made = Vec::with_capacity(N);
        for nick in nicks {
            made.push(self.user(nick).await);
        }
        made.try_into().expect("one user per nick")
    }

    /// Ann, the organization Acme she owns, and its invitation-only flow Main with her in it.
    pub(crate) async fn ann_in_main(&self) -> (TestUser, OrgRecord, FlowRecord) {
        let ann = self.user("ann").await;
        let org = self.org("Acme", &ann).await;
        let flow = self
            .flow(&org, "Main", AccessMode::Invitation, &[&ann])
            .await;
        (ann, org, flow)
    }

    /// Ann and Bob, the organization Acme (Ann its admin, Bob a member) and its invitation-only
    /// flow Main with both in it.
    pub(crate) async fn ann_and_bob_in_main(&self) -> (TestUser, TestUser, OrgRecord, FlowRecord) {
        let [ann, bob] = self.users(["ann", "bob"]).await;
        let org = self.acme(&ann, &[&bob]).await;
        let flow = self
            .flow(&org, "Main", AccessMode::Invitation, &[&ann, &bob])
            .await;
        (ann, bob, org, flow)
    }

    /// The organization Acme, owned by `owner`, with `members` joined as plain members.
    pub(crate) async fn acme(&self, owner: &TestUser, members: &[&TestUser]) -> OrgRecord {
        let org = self.org("Acme", owner).await;
        for m in members {
            self.join_org(&org, m, false).await;
        }
        org
    }

    /// GET `path` with `token` as HTTP basic user, as Flowdock clients send it; the body as JSON.
    pub(crate) async fn get_json(&self, path: &str, token: &str) -> Value {
        self.http
            .get(self.url(path))
            .basic_auth(token, Some(""))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Sends `req`; a failure to get any answer fails the test.
pub(crate) async fn sent(req: RequestBuilder) -> Response {
    req.send().await.unwrap()
}

/// Sends `req` and reads the answer's body as JSON.
pub(crate) async fn json_of<T: DeserializeOwned>(req: RequestBuilder) -> T {
    sent(req).await.json().await.unwrap()
}

/// A source of that name, without an external URL, for the SDK's `sources().create`.
pub(crate) fn new_source(name: &str) -> CreateSource {
    CreateSource {
        name: name.into(),
        external_url: None,
    }
}
