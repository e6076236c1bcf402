//! Accounts: users, their API tokens, the site-administrator flag and web sessions.

use async_trait::async_trait;

use super::StoreResult;

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRecord>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn user_by_api_token_hash(&self, hash: &str) -> StoreResult<Option<UserRecord>>;
    async fn set_api_token_hash(&self, user_id: i64, hash: &str) -> StoreResult<()>;
    /// Changes the given fields of the user's profile; `Conflict` when the email is taken.
    async fn update_user(&self, user_id: i64, changes: UserChanges) -> StoreResult<UserRecord>;
    /// Users who share a flow with `user_id`, plus every user of the organizations it
    /// administers (flowdock/api-docs docs/users.md, "List all users"). Ordered by id.
    async fn users_visible_to(&self, user_id: i64) -> StoreResult<Vec<UserRecord>>;
    /// Whether the two users belong to at least one common organization.
    async fn share_organization(&self, a: i64, b: i64) -> StoreResult<bool>;

    // Site administrators (issue 4: they publish applications)
    async fn user_is_admin(&self, user_id: i64) -> StoreResult<bool>;
    async fn set_user_admin(&self, user_id: i64, admin: bool) -> StoreResult<()>;

    // Web sessions
    async fn create_web_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The session's user, when the session exists and has not expired.
    async fn web_session_user(&self, token_hash: &str) -> StoreResult<Option<UserRecord>>;
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()>;
}

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

/// A profile change: `None` leaves a field as it is. `website: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub nick: Option<String>,
    pub avatar: Option<String>,
    pub website: Option<Option<String>>,
}
