//! The sweeper's two pure halves: what to read for the open streams, and, from what was read,
//! which streams lost access and why.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{Ending, Grant, Key, Reason, Watch};
use crate::store::{AccessQuery, AccessReport};

/// What to read for these entries, each user, token, session and membership once.
pub(super) fn query(live: &[(Key, Vec<Arc<Watch>>)]) -> AccessQuery {
    let mut q = AccessQuery::default();
    let mut users = HashSet::new();
    let mut pairs = HashSet::new();
    for (key, watches) in live {
        users.insert(key.user_id);
        match &key.grant {
            Grant::AccessToken(hash) => q.access_tokens.push(hash.clone()),
            Grant::Session(hash) => q.sessions.push(hash.clone()),
            Grant::ApiToken(_) | Grant::Password(_) => {}
        }
        for flow in watches.iter().flat_map(|w| w.flows.iter()) {
            if pairs.insert((key.user_id, flow.clone())) {
                q.memberships.push((key.user_id, flow.to_string()));
            }
        }
    }
    q.users = users.into_iter().collect();
    q
}

/// Ends every stream that lost access; returns how many.
pub(super) fn judge_all(live: &[(Key, Vec<Arc<Watch>>)], report: &AccessReport, now: i64) -> usize {
    let users: HashMap<_, _> = report.users.iter().map(|u| (u.id, u)).collect();
    let tokens: HashMap<_, _> = report
        .access_tokens
        .iter()
        .map(|t| (t.hash.as_str(), t))
        .collect();
    let sessions: HashMap<_, _> = report
        .sessions
        .iter()
        .map(|s| (s.hash.as_str(), s))
        .collect();
    let members: HashMap<_, _> = report
        .memberships
        .iter()
        .map(|m| ((m.user_id, m.flow_id.as_str()), m.flow_disabled))
        .collect();
    let mut ended = 0;
    for (key, watches) in live {
        let grant_ends = match users.get(&key.user_id) {
            None => Some(Reason::AccountDisabled),
            Some(u) if u.disabled => Some(Reason::AccountDisabled),
            Some(u) => match &key.grant {
                Grant::ApiToken(hash) => {
                    (u.api_token_hash != *hash).then_some(Reason::CredentialChanged)
                }
                Grant::Password(hash) => (u.password_hash.as_deref() != Some(hash.as_str()))
                    .then_some(Reason::CredentialChanged),
                Grant::AccessToken(hash) => match tokens.get(hash.as_str()) {
                    None => Some(Reason::TokenRevoked),
                    Some(t) if t.revoked => Some(Reason::TokenRevoked),
                    Some(t) if t.expires_at <= now => Some(Reason::TokenExpired),
                    Some(_) => None,
                },
                Grant::Session(hash) => match sessions.get(hash.as_str()) {
                    None => Some(Reason::LoggedOut),
                    Some(s) if s.expires_at <= now => Some(Reason::SessionExpired),
                    Some(_) => None,
                },
            },
        };
        for watch in watches {
            let ending = match grant_ends {
                Some(reason) => Some(Ending { reason, flow: None }),
                None => watch.flows.iter().find_map(|flow| {
                    let reason = match members.get(&(key.user_id, &**flow)) {
                        None => Reason::LeftFlow,
                        Some(true) => Reason::FlowArchived,
                        Some(false) => return None,
                    };
                    Some(Ending {
                        reason,
                        flow: Some(flow.clone()),
                    })
                }),
            };
            if let Some(ending) = ending {
                watch.end(ending);
                ended += 1;
            }
        }
    }
    ended
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, watch};
    use super::*;
    use crate::store::{MemberAccess, TokenAccess, UserAccess};

    fn report() -> AccessReport {
        let user = |id, disabled| UserAccess {
            id,
            disabled,
            api_token_hash: format!("api-{id}"),
            password_hash: Some(format!("pw-{id}")),
        };
        let token = |hash: &str, expires_at, revoked| TokenAccess {
            hash: hash.into(),
            expires_at,
            revoked,
        };
        let member = |user_id, flow: &str, flow_disabled| MemberAccess {
            user_id,
            flow_id: flow.into(),
            flow_disabled,
        };
        AccessReport {
            users: vec![user(1, false), user(2, true)],
            access_tokens: vec![
                token("live", 100, false),
                token("revoked", 100, true),
                token("old", 10, false),
            ],
            sessions: vec![token("s-live", 100, false), token("s-old", 10, false)],
            memberships: vec![member(1, "a", false), member(1, "z", true)],
        }
    }

    fn verdict(grant: Grant, user: i64, flows: &[&str]) -> Option<Ending> {
        let w = watch(flows);
        let live = vec![(key(user, grant), vec![w.clone()])];
        judge_all(&live, &report(), 50);
        w.ending.get().cloned()
    }

    fn reason(grant: Grant, user: i64, flows: &[&str]) -> Option<Reason> {
        verdict(grant, user, flows).map(|e| e.reason)
    }

    #[test]
    fn each_grant_is_judged_by_what_it_was_checked_against() {
        use Grant::*;
        let a = &["a"][..];
        assert_eq!(reason(ApiToken("api-1".into()), 1, a), None);
        let changed = Some(Reason::CredentialChanged);
        assert_eq!(reason(ApiToken("api-old".into()), 1, a), changed);
        assert_eq!(reason(Password("pw-1".into()), 1, a), None);
        assert_eq!(reason(Password("pw-old".into()), 1, a), changed);
        assert_eq!(reason(AccessToken("live".into()), 1, a), None);
        let revoked = Some(Reason::TokenRevoked);
        assert_eq!(reason(AccessToken("revoked".into()), 1, a), revoked);
        assert_eq!(reason(AccessToken("gone".into()), 1, a), revoked);
        let expired = Some(Reason::TokenExpired);
        assert_eq!(reason(AccessToken("old".into()), 1, a), expired);
        assert_eq!(reason(Session("s-live".into()), 1, a), None);
        assert_eq!(
            reason(Session("s-gone".into()), 1, a),
            Some(Reason::LoggedOut)
        );
        let session_expired = Some(Reason::SessionExpired);
        assert_eq!(reason(Session("s-old".into()), 1, a), session_expired);
        let disabled = Some(Reason::AccountDisabled);
        assert_eq!(reason(ApiToken("api-2".into()), 2, a), disabled);
        assert_eq!(reason(ApiToken("api-3".into()), 3, a), disabled);
    }

    #[test]
    fn a_lost_flow_ends_the_stream_and_is_named() {
        let grant = || Grant::ApiToken("api-1".into());
        let left = verdict(grant(), 1, &["a", "b"]).unwrap();
        assert_eq!(left.reason, Reason::LeftFlow);
        assert_eq!(left.flow.as_deref(), Some("b"));
        let archived = verdict(grant(), 1, &["z", "a"]).unwrap();
        assert_eq!(
            (archived.reason, archived.flow.as_deref()),
            (Reason::FlowArchived, Some("z"))
        );
        // The credential comes first, and names no flow.
        let both = verdict(Grant::ApiToken("x".into()), 1, &["b"]).unwrap();
        assert_eq!((both.reason, both.flow), (Reason::CredentialChanged, None));
    }
}
