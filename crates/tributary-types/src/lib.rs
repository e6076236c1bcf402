//! The Flowdock API's wire types, shared by the Tributary server and the SDK.
//!
//! Shapes follow `flowdock/api-docs`; where the docs are silent the choice is recorded in
//! `docs/compatibility.md`. Ids keep Flowdock's mixed representation on purpose: flow ids are
//! strings, user and organization ids are numbers, because existing clients depend on it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod encoding;
mod integrations;
mod invitations;
mod private;
pub use encoding::encode_segment;
pub use integrations::*;
pub use invitations::*;
pub use private::*;

/// A user as `GET /users` and `GET /flows/:org/:flow/users` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub nick: String,
    pub avatar: String,
    #[serde(default)]
    pub website: Option<String>,
    /// Present in organization user lists only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<bool>,
    /// Present in flow user lists only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flow: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// A member of an organization, as embedded in an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationMember {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub admin: bool,
}

/// An organization. `users` is filled on the organization resources, not inside flows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub parameterized_name: String,
    pub user_limit: i64,
    pub user_count: i64,
    pub active: bool,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<OrganizationMember>>,
}

/// One API resource of a flow and the HTTP methods the caller may use on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
    pub methods: Vec<String>,
}

/// A flow, as every flow resource returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub id: String,
    pub name: String,
    pub parameterized_name: String,
    pub organization: Organization,
    pub unread_mentions: i64,
    pub open: bool,
    pub joined: bool,
    pub disabled: bool,
    pub url: String,
    pub web_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
    pub access_mode: AccessMode,
    /// Resource name (`self`, `users`, ...) to its link.
    pub links: BTreeMap<String, Link>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<Vec<User>>,
}

/// Who may see and join a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessMode {
    Invitation,
    Link,
    Organization,
}

impl AccessMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::Invitation => "invitation",
            AccessMode::Link => "link",
            AccessMode::Organization => "organization",
        }
    }

    pub fn parse(s: &str) -> Option<AccessMode> {
        match s {
            "invitation" => Some(AccessMode::Invitation),
            "link" => Some(AccessMode::Link),
            "organization" => Some(AccessMode::Organization),
            _ => None,
        }
    }
}

/// `POST /flows/:org`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CreateFlow {
    pub name: String,
}

/// `PUT /flows/:org/:flow`. Every field is optional; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UpdateFlow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_mode: Option<AccessMode>,
}

/// The body of every error: `{"message": ..., "errors": {field: [reason, ...]}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, Vec<String>>,
    /// Why a resource is gone (`removed`, `flow_deleted`, ...), on 410 answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub mod messages;
pub use messages::*;
