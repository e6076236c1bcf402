//! [`Grant`]: what a principal's credential was, so that an open stream can be re-checked.

use crate::secrets;

/// What a principal's credential was, kept as hashes only: an open stream's credential is
/// re-checked every keep-alive (by the sweeper of [`super::Registry`]), and must end when it
/// no longer works. `auth` makes one for every principal it authenticates.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Grant {
    /// The SHA-256 of the API token; regenerating the token ends the grant.
    ApiToken(String),
    /// The SHA-256 of the OAuth access token; revocation and expiry end the grant.
    AccessToken(String),
    /// The SHA-256 of the session token; logging out ends the grant.
    Session(String),
    /// The argon2 hash the password was checked against; a new password ends the grant.
    Password(String),
}

impl Grant {
    /// The grant of a browser session token.
    pub fn session(token: &str) -> Grant {
        Grant::Session(secrets::hash_token(token))
    }
}

/// Only the kind: even hashes stay out of logs.
impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Grant::ApiToken(_) => "ApiToken",
            Grant::AccessToken(_) => "AccessToken",
            Grant::Session(_) => "Session",
            Grant::Password(_) => "Password",
        })
    }
}
