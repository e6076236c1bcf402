//! Developer applications and sources (flowdock/api-docs docs/sources.md, flowdock/api-docs docs/production-integrations.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Link, User};

/// A developer application. Sources embed the public part (`id`, `name`, `icon_url`, `url`,
/// `configuration_uri`); the owner also sees the OAuth client fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub icon_url: Option<String>,
    pub url: String,
    #[serde(default)]
    pub configuration_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<bool>,
}

/// `POST /oauth/applications`. The server also accepts these fields nested under
/// `application`, as Flowdock's own scripts sent them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateApplication {
    pub name: String,
    pub redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_uri: Option<String>,
}

/// A source: one application installed into one flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub id: i64,
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links", default)]
    pub links: BTreeMap<String, Link>,
    pub application: Application,
    /// `null` for sources created by an operator with the admin command.
    #[serde(default)]
    pub creator: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_url: Option<String>,
    /// Only in the answer to the creation request (and to a rotation): it cannot be read
    /// again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token: Option<String>,
    /// What the integration's owner looks at first when it "stopped working" (Tributary's
    /// addition, issue 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<SourceHealth>,
}

/// A source's health: its posts, its rejected requests and its failed thread actions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    /// When the source last posted successfully.
    pub last_post_at: Option<String>,
    /// Messages the source posted in the last 24 hours.
    pub posts_last_24h: i64,
    /// Requests made with the source's `flow_token` (current or replaced) that were refused
    /// with a 4xx status (410 after removal or rotation, 400 validation, ...), ever.
    pub rejected_posts: i64,
    /// The latest of those.
    pub last_rejection: Option<SourceProblem>,
    /// Thread action requests to the integration that failed in the last 24 hours.
    pub action_failures_last_24h: i64,
    /// The latest failed thread action request.
    pub last_action_failure: Option<SourceProblem>,
    /// The problem the integration itself reported (the source's `error_message`).
    pub error_message: Option<String>,
    /// While a rotation's grace period runs: when the replaced `flow_token` stops working.
    pub previous_token_expires_at: Option<String>,
}

/// One failure in a [`SourceHealth`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceProblem {
    pub at: String,
    /// The HTTP status: the one answered to the integration, or the one its action endpoint
    /// answered (`null` when it never answered).
    pub status: Option<i64>,
    pub message: String,
}

/// `POST /flows/:org/:flow/sources`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateSource {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
}

/// `PUT` on a source. An empty `error_message` clears the error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_url: Option<String>,
}
