//! Organizations, flows, and who belongs to them.

use async_trait::async_trait;
use tributary_types::AccessMode;

use super::{StoreResult, UserRecord};

#[async_trait]
pub trait FlowStore: Send + Sync {
    // Organizations
    async fn create_org(&self, org: NewOrg) -> StoreResult<OrgRecord>;
    async fn org_by_name(&self, parameterized_name: &str) -> StoreResult<Option<OrgRecord>>;
    /// Sets the organization's display name; its `parameterized_name` stays, as every URL of
    /// it does. `false` when there is no such organization.
    async fn rename_org(&self, org_id: i64, name: &str) -> StoreResult<bool>;
    /// Adds the user to the organization, or updates the admin flag of an existing member.
    async fn add_org_member(&self, org_id: i64, user_id: i64, admin: bool) -> StoreResult<()>;
    /// `Some(admin)` when the user is a member.
    async fn org_membership(&self, org_id: i64, user_id: i64) -> StoreResult<Option<bool>>;
    async fn orgs_of_user(&self, user_id: i64) -> StoreResult<Vec<OrgRecord>>;
    async fn org_members(&self, org_id: i64) -> StoreResult<Vec<OrgMember>>;
    /// Sets a member's admin flag. Checked and written in one transaction that serialises
    /// with every other admin change of the organization, so that two admins demoting each
    /// other at once cannot leave it without one.
    async fn set_org_admin(
        &self,
        org_id: i64,
        user_id: i64,
        admin: bool,
    ) -> StoreResult<MemberChange>;
    /// Takes the user out of the organization and out of every flow of it, in one
    /// transaction; the last admin stays, as in [`FlowStore::set_org_admin`].
    async fn remove_org_member(&self, org_id: i64, user_id: i64) -> StoreResult<MemberChange>;

    // Flows
    /// Creates the flow; `creator`, when given, becomes its first member.
    async fn create_flow(&self, flow: NewFlow, creator: Option<i64>) -> StoreResult<FlowRecord>;
    async fn flow_by_name(&self, org: &str, flow: &str) -> StoreResult<Option<FlowRecord>>;
    async fn flow_by_id(&self, id: &str) -> StoreResult<Option<FlowRecord>>;
    /// The flows the user has joined and, with `with_joinable`, the organization-mode flows of
    /// its organizations that it could join. Disabled flows are left out. Ordered by org, name.
    async fn flows_for_user(
        &self,
        user_id: i64,
        with_joinable: bool,
    ) -> StoreResult<Vec<FlowForUser>>;
    async fn flow_membership(
        &self,
        flow_id: &str,
        user_id: i64,
    ) -> StoreResult<Option<FlowMembership>>;
    /// Joins the user to the flow (or updates `open` when already a member); `Forbidden`
    /// when the user is blocked from it, checked in the same statement as the insert.
    async fn set_flow_member(&self, flow_id: &str, user_id: i64, open: bool) -> StoreResult<()>;
    /// Blocks the user from the flow, which also takes it out of the flow, or lifts the block.
    async fn set_flow_block(&self, flow_id: &str, user_id: i64, blocked: bool) -> StoreResult<()>;
    async fn update_flow(&self, flow_id: &str, changes: FlowChanges) -> StoreResult<FlowRecord>;
    async fn flow_members(&self, flow_id: &str) -> StoreResult<Vec<UserRecord>>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrgRecord {
    pub id: i64,
    pub name: String,
    pub parameterized_name: String,
    pub user_limit: i64,
    pub active: bool,
    /// Counted by the query that loaded the row.
    pub user_count: i64,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub name: String,
    pub parameterized_name: String,
    pub user_limit: i64,
}

/// What became of a change to an organization's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Done,
    NotMember,
    /// Refused: the organization would be left without an admin.
    LastAdmin,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrgMember {
    pub user: UserRecord,
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    pub id: String,
    pub org: OrgRecord,
    pub name: String,
    pub parameterized_name: String,
    pub access_mode: AccessMode,
    pub disabled: bool,
    pub join_token: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewFlow {
    pub id: String,
    pub org_id: i64,
    pub name: String,
    pub parameterized_name: String,
    pub access_mode: AccessMode,
    pub join_token: String,
}

/// The caller's membership of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowMembership {
    pub open: bool,
}

/// A flow as seen by one user: `membership` is `None` when the user has not joined it.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowForUser {
    pub flow: FlowRecord,
    pub membership: Option<FlowMembership>,
}

#[derive(Debug, Clone, Default)]
pub struct FlowChanges {
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub access_mode: Option<AccessMode>,
}
