//! Telling the flows: each poll is one thread, `polldock:poll:<id>`, in every flow that added
//! Polldock. Poll events are activities, comments are discussions, and the thread carries the
//! poll's state: open (green) or closed (red), the option counts as fields, a link back, and
//! one "Vote: <option>" UpdateAction per option while the poll is open.
//!
//! Problems are reported where the flow sees them. A post Tributary refuses as invalid will
//! never succeed, so `error_message` is set at once; other failures (Tributary down, 5xx) set
//! it once they persist for `PERSISTENT_FAILURES` posts in a row. The next post that works
//! clears it. A 410 means the source was removed: the stored integration is deleted.

use tributary_sdk::thread::{Action, Activity, Author, Discussion, StatusColor, Thread};
use tributary_sdk::{Error, Integration};

use crate::db::{self, Poll};
use crate::App;

/// Failures in a row after which a transient problem counts as persistent.
pub const PERSISTENT_FAILURES: i64 = 3;

/// What happened to a poll.
#[derive(Debug, Clone)]
pub enum Event {
    Created { by: String },
    Voted { by: String, option: String },
    Closed { by: String },
    Commented { by: String, body: String },
}

/// The thread's external id, unique within each source.
pub fn external_thread_id(poll_id: i64) -> String {
    format!("polldock:poll:{poll_id}")
}

/// The poll as a thread.
pub fn thread(app: &App, poll: &Poll) -> Thread {
    let url = format!("{}/polls/{}", app.public_url, poll.id);
    let total: i64 = poll.options.iter().map(|o| o.2).sum();
    let mut t = Thread::new(poll.question.clone())
        .body(format!(
            "<p>Asked by {} · {total} vote{}</p>",
            crate::pages::escape(&poll.author),
            if total == 1 { "" } else { "s" }
        ))
        .external_url(url.clone())
        .status(
            if poll.closed {
                StatusColor::Red
            } else {
                StatusColor::Green
            },
            if poll.closed { "closed" } else { "open" },
        )
        .action(Action::view("Open in Polldock", url));
    for (id, label, votes) in &poll.options {
        t = t.field(label.clone(), votes.to_string());
        if !poll.closed {
            t = t.action(Action::update(
                format!("Vote: {label}"),
                format!("{}/flowdock/polls/{}/vote/{id}", app.public_url, poll.id),
            ));
        }
    }
    t
}

fn wanted(i: &db::Integration, event: &Event) -> bool {
    match event {
        Event::Created { .. } => i.post_created,
        Event::Voted { .. } => i.post_votes,
        Event::Closed { .. } => i.post_closed,
        Event::Commented { .. } => i.post_comments,
    }
}

/// Posts `event` of `poll` to every integration that wants it, and handles what comes back.
pub async fn publish(app: &App, poll: &Poll, event: Event) {
    let integrations = match app.db.integrations() {
        Ok(list) => list,
        Err(e) => {
            eprintln!("polldock: cannot read integrations: {e}");
            return;
        }
    };
    let thread = thread(app, poll);
    let id = external_thread_id(poll.id);
    for i in integrations.iter().filter(|i| wanted(i, &event)) {
        let client = Integration::new(&app.tributary_url, &i.flow_token);
        let result = match &event {
            Event::Created { by } => {
                let a = Activity::new(&id, Author::new(by), "created the poll", thread.clone());
                client.post_activity(&a).await
            }
            Event::Voted { by, option } => {
                let a = Activity::new(
                    &id,
                    Author::new(by),
                    format!("voted for {option}"),
                    thread.clone(),
                );
                client.post_activity(&a).await
            }
            Event::Closed { by } => {
                let a = Activity::new(&id, Author::new(by), "closed the poll", thread.clone());
                client.post_activity(&a).await
            }
            Event::Commented { by, body } => {
                let d = Discussion::new(
                    &id,
                    Author::new(by),
                    "commented",
                    crate::pages::escape(body),
                    thread.clone(),
                );
                client.post_discussion(&d).await
            }
        };
        if let Err(e) = settle(app, i, &client, result).await {
            eprintln!("polldock: integration {}: {e}", i.id);
        }
    }
}

/// Records one post's result and keeps the source's `error_message` in step with it.
async fn settle(
    app: &App,
    i: &db::Integration,
    client: &Integration,
    result: Result<(), Error>,
) -> Result<(), String> {
    match result {
        Ok(()) => {
            if i.error.is_some() {
                client.clear_error().await.map_err(|e| e.to_string())?;
            }
            app.db.record_success(i.id).map_err(|e| e.to_string())
        }
        Err(Error::SourceGone { reason }) => {
            eprintln!(
                "polldock: source {} was {reason} in flow {}; forgetting it",
                i.source_id, i.flow_name
            );
            app.db.delete_integration(i.id).map_err(|e| e.to_string())
        }
        Err(e) => {
            let failures = app.db.record_failure(i.id).map_err(|e| e.to_string())?;
            let persistent =
                matches!(e, Error::Validation { .. }) || failures >= PERSISTENT_FAILURES;
            if persistent {
                let message = format!("Polldock cannot post to this flow: {e}");
                match client.set_error(&message).await {
                    Ok(_) => app
                        .db
                        .set_error(i.id, Some(&message))
                        .map_err(|e| e.to_string())?,
                    // Removed meanwhile: forget it.
                    Err(Error::SourceGone { .. }) => {
                        app.db.delete_integration(i.id).map_err(|e| e.to_string())?
                    }
                    Err(other) => return Err(format!("{e}; and set_error failed: {other}")),
                }
            }
            Err(e.to_string())
        }
    }
}
