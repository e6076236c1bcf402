//! Typed calls, one struct per API resource.

use reqwest::Method;
use tributary_types::{CreateFlow, Flow, Organization, UpdateFlow, User};

use crate::{Client, Error};

/// `/flows`.
pub struct Flows<'a> {
    pub(crate) client: &'a Client,
}

impl Flows<'_> {
    /// `GET /flows`: the flows the caller has joined; `users` embeds each flow's user list.
    pub async fn list(&self, users: bool) -> Result<Vec<Flow>, Error> {
        self.client
            .get(&format!("/flows?users={}", users as u8))
            .await
    }

    /// `GET /flows/all`: also the organization flows the caller could join.
    pub async fn all(&self) -> Result<Vec<Flow>, Error> {
        self.client.get("/flows/all").await
    }

    /// `GET /flows/:org/:flow`.
    pub async fn get(&self, org: &str, flow: &str) -> Result<Flow, Error> {
        self.client.get(&format!("/flows/{org}/{flow}")).await
    }

    /// `GET /flows/find?id=`: a flow by its id, as setup URIs pass it.
    pub async fn find(&self, id: &str) -> Result<Flow, Error> {
        let q: String = url_encode(id);
        self.client.get(&format!("/flows/find?id={q}")).await
    }

    /// `POST /flows/:org`.
    pub async fn create(&self, org: &str, name: &str) -> Result<Flow, Error> {
        self.client
            .send_json(
                Method::POST,
                &format!("/flows/{org}"),
                &CreateFlow { name: name.into() },
            )
            .await
    }

    /// `PUT /flows/:org/:flow`.
    pub async fn update(&self, org: &str, flow: &str, changes: &UpdateFlow) -> Result<Flow, Error> {
        self.client
            .send_json(Method::PUT, &format!("/flows/{org}/{flow}"), changes)
            .await
    }

    /// `GET /flows/:org/:flow/users`.
    pub async fn users(&self, org: &str, flow: &str) -> Result<Vec<User>, Error> {
        self.client.get(&format!("/flows/{org}/{flow}/users")).await
    }
}

/// `/organizations`.
pub struct Organizations<'a> {
    pub(crate) client: &'a Client,
}

impl Organizations<'_> {
    /// `GET /organizations`: the organizations the caller belongs to.
    pub async fn list(&self) -> Result<Vec<Organization>, Error> {
        self.client.get("/organizations").await
    }

    /// `GET /organizations/:org`.
    pub async fn get(&self, org: &str) -> Result<Organization, Error> {
        self.client.get(&format!("/organizations/{org}")).await
    }

    /// `GET /organizations/:org/users`.
    pub async fn users(&self, org: &str) -> Result<Vec<User>, Error> {
        self.client
            .get(&format!("/organizations/{org}/users"))
            .await
    }
}

/// `/user` and `/users`.
pub struct Users<'a> {
    pub(crate) client: &'a Client,
}

impl Users<'_> {
    /// `GET /user`: the caller.
    pub async fn me(&self) -> Result<User, Error> {
        self.client.get("/user").await
    }

    /// `GET /users`: the users who share a flow with the caller, and every user of the
    /// organizations the caller administers.
    pub async fn list(&self) -> Result<Vec<User>, Error> {
        self.client.get("/users").await
    }

    /// `GET /users/:id`.
    pub async fn get(&self, id: i64) -> Result<User, Error> {
        self.client.get(&format!("/users/{id}")).await
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_query_values() {
        assert_eq!(super::url_encode("a b&c"), "a%20b%26c");
        assert_eq!(super::url_encode("05654aa3-3b13"), "05654aa3-3b13");
    }
}
