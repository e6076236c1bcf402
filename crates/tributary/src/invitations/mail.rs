//! The invitation email, sent after the commit from a task of its own, so that a slow or
//! failing SMTP server never holds up or fails the request; its outcome is recorded on the
//! invitation (`delivery`) and logged without the address or the link.

use crate::state::AppState;
use crate::store::{Delivery, FlowRecord, InvitationRecord, UserRecord};

pub(super) fn subject(inviter: &UserRecord, flow: &FlowRecord) -> String {
    format!(
        "{} invited you to {} on Tributary",
        one_line(&inviter.name),
        one_line(&flow.name)
    )
}

pub(super) fn body(
    inviter: &UserRecord,
    flow: &FlowRecord,
    message: Option<&str>,
    link: &str,
) -> String {
    let mut text = format!(
        "{} ({}) invited you to join the flow \"{}\" of {} on Tributary.\n\n",
        one_line(&inviter.name),
        inviter.email,
        one_line(&flow.name),
        one_line(&flow.org.name)
    );
    if let Some(m) = message {
        text.push_str(m);
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "Accept the invitation:\n{link}\n\nThe link works once. If you did not expect this \
         invitation, ignore this email.\n"
    ));
    text
}

/// Names are shown on one line: a line break in a name cannot forge lines of the email.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub(super) fn send_later(
    state: &AppState,
    inviter: &UserRecord,
    flow: &FlowRecord,
    invitation: &InvitationRecord,
    link: String,
) {
    let (mail, store) = (state.mail.clone(), state.store.clone());
    let subject = subject(inviter, flow);
    let body = body(inviter, flow, invitation.message.as_deref(), &link);
    let (id, to) = (invitation.id, invitation.email.clone());
    tokio::spawn(async move {
        let delivery = match mail.send(&to, &subject, body).await {
            Ok(true) => Delivery::Sent,
            Ok(false) => Delivery::NotConfigured,
            Err(kind) => {
                tracing::warn!(
                    invitation.id = id,
                    mail.error = kind,
                    "invitation.mail_failed"
                );
                Delivery::Failed
            }
        };
        if let Err(e) = store.set_invitation_delivery(id, delivery).await {
            tracing::warn!(invitation.id = id, error = %e, "invitation.delivery_not_recorded");
        }
    });
}
