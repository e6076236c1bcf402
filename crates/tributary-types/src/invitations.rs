//! Invitations to a flow and its join link: flowdock/api-docs docs/Invitations.md and
//! docs/Join-Url.md.

use serde::{Deserialize, Serialize};

/// An invitation, as every invitation resource returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: i64,
    /// `pending` or `accepted`.
    pub state: String,
    pub email: String,
    /// The flow's id.
    pub flow: String,
    pub url: String,
    /// Milliseconds since the epoch.
    pub created: i64,
    /// When it was last (re)sent, in milliseconds since the epoch.
    pub updated: i64,
    /// The link that accepts the invitation, shown only in the answer that created or resent
    /// it, and only when no email carries it (no SMTP server is configured). A Tributary
    /// extension; the token behind it is stored only as a hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_url: Option<String>,
}

/// `POST /flows/:org/:flow/invitations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationsCreated {
    pub erroneous_emails: Vec<String>,
    pub invitations: Vec<Invitation>,
}

/// `GET`/`POST /flows/:org/:flow/join_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinUrl {
    pub join_url: Option<String>,
}
