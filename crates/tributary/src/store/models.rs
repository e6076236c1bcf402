//! Rows as the store hands them out, and the inputs that create them.
//!
//! These are trusted values: they were validated before they reached the store, so the
//! backends only map columns.

use tributary_types::AccessMode;

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub nick: String,
    pub avatar: String,
    pub website: Option<String>,
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub nick: String,
    pub avatar: String,
    pub website: Option<String>,
    pub password_hash: Option<String>,
    pub api_token_hash: String,
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

#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub icon_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub setup_uri: Option<String>,
    pub configuration_uri: Option<String>,
    pub published: bool,
    pub created_at: i64,
    /// An admin allowed this application the OAuth password grant (off by default).
    pub password_grant: bool,
}

#[derive(Debug, Clone)]
pub struct NewApp {
    pub owner_id: i64,
    pub name: String,
    pub icon_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub setup_uri: Option<String>,
    pub configuration_uri: Option<String>,
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub id: i64,
    pub flow_id: String,
    pub app_id: i64,
    pub creator_id: Option<i64>,
    pub name: String,
    pub external_url: Option<String>,
    pub error_message: Option<String>,
    pub configuration_url: Option<String>,
    pub removed_at: Option<i64>,
    pub removal_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a `flow_token` names, read together because every post with one needs all three:
/// the source, the application it belongs to and the flow it posts to.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceContext {
    pub source: SourceRecord,
    pub app: AppRecord,
    pub flow: FlowRecord,
}

#[derive(Debug, Clone)]
pub struct NewSource {
    pub flow_id: String,
    pub app_id: i64,
    pub creator_id: Option<i64>,
    pub name: String,
    pub external_url: Option<String>,
    pub flow_token_hash: String,
}

/// Changes to a developer application; `None` leaves a field as it is, and `Some(None)` clears
/// an optional one.
#[derive(Debug, Clone, Default)]
pub struct AppChanges {
    pub name: Option<String>,
    pub icon_url: Option<Option<String>>,
    pub redirect_uri: Option<String>,
    pub setup_uri: Option<Option<String>>,
    pub configuration_uri: Option<Option<String>>,
    pub client_secret: Option<String>,
    pub published: Option<bool>,
    pub password_grant: Option<bool>,
}

/// Changes to a source through `PUT`; `Some(None)` clears the field.
#[derive(Debug, Clone, Default)]
pub struct SourceChanges {
    pub error_message: Option<Option<String>>,
    pub configuration_url: Option<Option<String>>,
}

/// An OAuth authorization code, stored by its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthCodeRecord {
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    /// The `redirect_uri` the authorization request named; `None` when it used the
    /// registered one by leaving it out.
    pub redirect_uri: Option<String>,
    /// Scope bits, as `auth::Scopes::bits`.
    pub scopes: i64,
    /// The PKCE S256 challenge, when the client sent one.
    pub code_challenge: Option<String>,
    pub flow_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewOAuthCode {
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    pub redirect_uri: Option<String>,
    pub scopes: i64,
    pub code_challenge: Option<String>,
    pub flow_id: Option<String>,
    pub expires_at: i64,
}

/// An access token and its optional refresh token. Only hashes are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthTokenRecord {
    pub id: i64,
    pub app_id: i64,
    pub user_id: i64,
    pub scopes: i64,
    /// Shared by every token descended from one grant.
    pub family: String,
    pub has_refresh: bool,
    pub access_expires_at: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOAuthToken {
    pub app_id: i64,
    pub user_id: i64,
    pub scopes: i64,
    pub family: String,
    pub access_token_hash: String,
    pub refresh_token_hash: Option<String>,
    pub access_expires_at: i64,
}
