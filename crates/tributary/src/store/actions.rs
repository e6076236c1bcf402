//! Thread action attempts as the store keeps them: one row per click on an UpdateAction.

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutcome {
    /// The integration answered 2xx.
    Success,
    /// The integration answered 401 with a `Flowdock-Token url=...` challenge.
    Authenticate,
    /// Any other answer, a timeout, or a connection failure.
    Error,
    /// The target was a private, loopback or link-local address, and no request was sent.
    Refused,
}

impl ActionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOutcome::Success => "success",
            ActionOutcome::Authenticate => "authenticate",
            ActionOutcome::Error => "error",
            ActionOutcome::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> ActionOutcome {
        match s {
            "success" => ActionOutcome::Success,
            "authenticate" => ActionOutcome::Authenticate,
            "refused" => ActionOutcome::Refused,
            _ => ActionOutcome::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewActionAttempt {
    pub source_id: i64,
    pub flow_id: String,
    pub thread_id: String,
    pub action_index: i64,
    pub action_name: String,
    pub user_id: Option<i64>,
    pub method: String,
    pub url: String,
    /// The HTTP status the integration answered; `None` when none came.
    pub status: Option<i64>,
    pub outcome: ActionOutcome,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub attempted_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionAttemptRecord {
    pub id: i64,
    pub attempt: NewActionAttempt,
}

/// Most attempts one listing returns, newest first.
pub const ACTION_ATTEMPTS_LIMIT: i64 = 100;
