//! The app itself: list and create polls, vote, comment, close. Each change is published to
//! the connected flows before the page answers, so what the flow shows is never behind.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::db::Poll;
use crate::pages::{escape, page, PageError, PageResult};
use crate::publish::{publish, Event};
use crate::session::{MaybeUser, User};
use crate::App;

/// Longest question Polldock accepts (Tributary's own thread title limit is lower, which is
/// how a posting problem that persists can happen).
const MAX_QUESTION_CHARS: usize = 2000;

/// GET /
pub async fn index(State(app): State<App>, MaybeUser(user): MaybeUser) -> PageResult {
    let mut body = String::from("<h1>Polls</h1><ul id=\"polls\">");
    for (id, question, closed) in app.db.polls()? {
        body.push_str(&format!(
            "<li><a href=\"/polls/{id}\">{}</a>{}</li>",
            escape(&question),
            if closed { " (closed)" } else { "" }
        ));
    }
    body.push_str("</ul>");
    if user.is_some() {
        body.push_str(
            "<h2>New poll</h2><form method=\"post\" action=\"/polls\" id=\"new-poll\">\
             <p><label>Question <input name=\"question\" id=\"question\" required></label></p>\
             <p><label>Options, one per line<br>\
             <textarea name=\"options\" id=\"options\" rows=\"4\" required></textarea></label></p>\
             <button type=\"submit\" id=\"create-poll\">Create poll</button></form>",
        );
    }
    Ok(page("Polls", user.as_ref().map(|u| u.1.as_str()), &body))
}

#[derive(Deserialize)]
pub struct NewPoll {
    question: String,
    options: String,
}

/// POST /polls
pub async fn create_poll(State(app): State<App>, user: User, Form(f): Form<NewPoll>) -> PageResult {
    let question = f.question.trim();
    let options: Vec<String> = f
        .options
        .lines()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS || options.len() < 2 {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "A poll needs a question (at most 2000 characters) and at least two options",
        ));
    }
    let id = app.db.create_poll(question, user.id, &options)?;
    let poll = load(&app, id)?;
    publish(&app, &poll, Event::Created { by: user.name }).await;
    Ok(Redirect::to(&format!("/polls/{id}")).into_response())
}

fn load(app: &App, id: i64) -> Result<Poll, PageError> {
    app.db.poll(id)?.ok_or_else(PageError::not_found)
}

/// GET /polls/:id
pub async fn show_poll(
    State(app): State<App>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
) -> PageResult {
    let poll = load(&app, id)?;
    Ok(page(
        &poll.question,
        user.as_ref().map(|u| u.1.as_str()),
        &render(&poll, user.is_some()),
    ))
}

fn render(poll: &Poll, signed_in: bool) -> String {
    let mut b = format!(
        "<h1 id=\"poll-question\">{}</h1><p>Asked by {} · <span id=\"state\">{}</span></p><ul id=\"options\">",
        escape(&poll.question),
        escape(&poll.author),
        if poll.closed { "closed" } else { "open" }
    );
    for (oid, label, votes) in &poll.options {
        b.push_str(&format!(
            "<li>{} <strong id=\"votes-{oid}\" data-label=\"{}\">{votes}</strong>",
            escape(label),
            escape(label)
        ));
        if signed_in && !poll.closed {
            b.push_str(&format!(
                " <form method=\"post\" action=\"/polls/{}/vote\" class=\"inline\">\
                 <input type=\"hidden\" name=\"option\" value=\"{oid}\">\
                 <button type=\"submit\">Vote</button></form>",
                poll.id
            ));
        }
        b.push_str("</li>");
    }
    b.push_str("</ul><h2>Comments</h2><ul id=\"comments\">");
    for (author, text) in &poll.comments {
        b.push_str(&format!(
            "<li><strong>{}</strong>: {}</li>",
            escape(author),
            escape(text)
        ));
    }
    b.push_str("</ul>");
    if signed_in {
        b.push_str(&format!(
            "<form method=\"post\" action=\"/polls/{id}/comments\">\
             <label>Comment <input name=\"body\" id=\"comment\" required></label>\
             <button type=\"submit\" id=\"add-comment\">Add comment</button></form>",
            id = poll.id
        ));
        if !poll.closed {
            b.push_str(&format!(
                "<form method=\"post\" action=\"/polls/{id}/close\">\
                 <button type=\"submit\" id=\"close-poll\">Close poll</button></form>",
                id = poll.id
            ));
        }
    }
    b
}

#[derive(Deserialize)]
pub struct VoteForm {
    option: i64,
}

/// Records `user_id`'s vote and tells the flows; `false` when the poll is closed or the
/// option is not the poll's.
pub async fn cast_vote(
    app: &App,
    poll_id: i64,
    user: (i64, String),
    option: i64,
) -> Result<bool, PageError> {
    let poll = load(app, poll_id)?;
    if poll.closed || !app.db.vote(poll_id, user.0, option)? {
        return Ok(false);
    }
    let poll = load(app, poll_id)?;
    let label = poll
        .options
        .iter()
        .find(|o| o.0 == option)
        .map(|o| o.1.clone())
        .unwrap_or_default();
    publish(
        app,
        &poll,
        Event::Voted {
            by: user.1,
            option: label,
        },
    )
    .await;
    Ok(true)
}

/// POST /polls/:id/vote
pub async fn vote(
    State(app): State<App>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<VoteForm>,
) -> PageResult {
    if !cast_vote(&app, id, (user.id, user.name), f.option).await? {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "This poll does not take that vote",
        ));
    }
    Ok(Redirect::to(&format!("/polls/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct CommentForm {
    body: String,
}

/// POST /polls/:id/comments
pub async fn comment(
    State(app): State<App>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> PageResult {
    load(&app, id)?;
    let body = f.body.trim();
    if body.is_empty() {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "A comment needs text",
        ));
    }
    app.db.comment(id, user.id, body)?;
    let poll = load(&app, id)?;
    publish(
        &app,
        &poll,
        Event::Commented {
            by: user.name,
            body: body.to_owned(),
        },
    )
    .await;
    Ok(Redirect::to(&format!("/polls/{id}")).into_response())
}

/// POST /polls/:id/close
pub async fn close(
    State(app): State<App>,
    user: User,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let poll = load(&app, id)?;
    if !poll.closed {
        app.db.close_poll(id)?;
        let poll = load(&app, id)?;
        publish(&app, &poll, Event::Closed { by: user.name }).await;
    }
    Ok(Redirect::to(&format!("/polls/{id}")).into_response())
}
