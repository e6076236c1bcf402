//! Invitations to a flow and joining by link: the one area that adds people to a flow (and
//! its organization) on the strength of a token rather than an admin's say.

use async_trait::async_trait;

use super::{FlowRecord, StoreResult};

#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Creates the pending invitation of `email` to the flow, or, when one is pending already,
    /// resends it: a new token (the old link stops working), the new message, `updated_at` now.
    async fn upsert_invitation(&self, new: NewInvitation) -> StoreResult<InvitationRecord>;
    /// The flow's pending invitations, oldest first.
    async fn pending_invitations(&self, flow_id: &str) -> StoreResult<Vec<InvitationRecord>>;
    /// One invitation of the flow, in any state.
    async fn invitation_by_id(
        &self,
        flow_id: &str,
        id: i64,
    ) -> StoreResult<Option<InvitationRecord>>;
    async fn invitation_by_token(&self, token_hash: &str) -> StoreResult<Option<InvitationRecord>>;
    /// Revokes a pending invitation; `false` when it was not pending (accepted, revoked, gone).
    async fn revoke_invitation(&self, flow_id: &str, id: i64) -> StoreResult<bool>;
    /// Records what became of the invitation's email (sent after the commit).
    async fn set_invitation_delivery(&self, id: i64, delivery: Delivery) -> StoreResult<()>;
    /// Accepts a pending invitation for `user_id`, in one transaction: the invitation is
    /// used up, and the user joins the flow and (as a plain member, unless already one) its
    /// organization. `false`, with nothing changed, when it was no longer pending.
    async fn accept_invitation(&self, id: i64, user_id: i64) -> StoreResult<bool>;
    /// Joins the user to the flow and (as a plain member, unless already one) its
    /// organization: what opening the flow's join link does.
    async fn join_flow(&self, flow: &FlowRecord, user_id: i64) -> StoreResult<()>;
    /// Every flow whose parameterized name is `name`, in any organization: the candidates of
    /// a join link, which names the flow but not its organization.
    async fn flows_named(&self, name: &str) -> StoreResult<Vec<FlowRecord>>;
    /// Gives the flow a new join token: the old join link stops working at once.
    async fn reset_join_token(&self, flow_id: &str, token: &str) -> StoreResult<FlowRecord>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Pending,
    Accepted,
    Revoked,
}

impl InvitationState {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Revoked => "revoked",
        }
    }

    /// An unknown value reads as revoked: a row the code does not understand opens nothing.
    pub fn parse(s: &str) -> InvitationState {
        match s {
            "pending" => InvitationState::Pending,
            "accepted" => InvitationState::Accepted,
            _ => InvitationState::Revoked,
        }
    }
}

/// What became of an invitation's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Handed to the sending task, not yet accepted by the SMTP server.
    Queued,
    Sent,
    Failed,
    /// No SMTP server is configured: the inviter was shown the link instead.
    NotConfigured,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Failed => "failed",
            Delivery::NotConfigured => "not_configured",
        }
    }

    pub fn parse(s: &str) -> Delivery {
        match s {
            "sent" => Delivery::Sent,
            "failed" => Delivery::Failed,
            "not_configured" => Delivery::NotConfigured,
            _ => Delivery::Queued,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub flow_id: String,
    /// Trimmed and lower-cased, so that a resend finds the pending invitation.
    pub email: String,
    pub message: Option<String>,
    pub inviter_id: i64,
    pub token_hash: String,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvitationRecord {
    pub id: i64,
    pub flow_id: String,
    pub email: String,
    pub message: Option<String>,
    pub inviter_id: Option<i64>,
    pub state: InvitationState,
    pub delivery: Delivery,
    pub accepted_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}
