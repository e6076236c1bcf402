//! A post validated by its event kind. [`EventKind`] names the events a client may post;
//! [`parse`] reads the kind once, runs the checks every kind shares (`common`), then the
//! kind's own parser, so each kind's rules sit in one file: `chat` (message, status),
//! `comment`, `file`, `inbox` (activity, discussion).

mod chat;
mod comment;
mod common;
mod event;
mod file;
mod inbox;

pub use common::{Draft, MAX_CONTENT_CHARS};
pub use event::{EventKind, UnknownEvent};

use super::input::PostInput;
use crate::auth::poster::Poster;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::files::upload::Upload;
use crate::store::{DynStore, FlowRecord};

/// Validates and sanitises `input` by its kind into a [`Draft`] whose tags are still to be
/// resolved. Field errors are collected and answered together; a missing comment parent
/// answers 404 before them.
pub async fn parse<'a>(
    store: &DynStore,
    poster: &'a Poster,
    flow: &'a FlowRecord,
    input: &'a PostInput,
    files: &'a [Upload],
) -> ApiResult<Draft<'a>> {
    let kind = event_kind(input)?;
    let mut errors = FieldErrors::new();
    let mut draft = Draft::check(kind, poster, flow, input, files, &mut errors);
    match kind {
        EventKind::Message => chat::message(&mut draft, &mut errors),
        EventKind::Status => chat::status(&mut draft, &mut errors),
        EventKind::Comment => comment::parse(&mut draft, store, &mut errors).await?,
        EventKind::File => file::parse(&mut draft),
        EventKind::Activity | EventKind::Discussion => inbox::parse(&mut draft, &mut errors),
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(draft)
}

/// The kind a post asks for, read from `event` once. The comment endpoints fix it: `event`
/// may be left out there, and must be `comment` when given.
fn event_kind(input: &PostInput) -> ApiResult<EventKind> {
    let event = input.params.event.as_deref();
    if input.target.comment {
        return match event {
            None | Some("") => Ok(EventKind::Comment),
            Some(e) if e == EventKind::Comment.as_str() => Ok(EventKind::Comment),
            Some(_) => Err(ApiError::field("event", "must be comment on this endpoint")),
        };
    }
    let event = event.map(str::trim).unwrap_or("");
    if event.is_empty() {
        return Err(ApiError::field("event", "is required"));
    }
    event.parse().map_err(|UnknownEvent| {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::field("event", format!("must be one of {}", names.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::input::{MessageInput, Target};

    fn kind_of(event: Option<&str>, comment: bool) -> Result<EventKind, String> {
        let input = PostInput {
            params: MessageInput {
                event: event.map(str::to_owned),
                ..MessageInput::default()
            },
            target: Target {
                comment,
                ..Target::default()
            },
        };
        event_kind(&input).map_err(|e| match e {
            ApiError::Validation(errors) => format!("{errors:?}"),
            other => format!("{other:?}"),
        })
    }

    #[test]
    fn the_event_is_read_once_and_trimmed() {
        assert_eq!(kind_of(Some(" status "), false), Ok(EventKind::Status));
        assert_eq!(
            kind_of(None, false),
            Err(r#"{"event": ["is required"]}"#.into())
        );
        assert_eq!(
            kind_of(Some("action"), false),
            Err(r#"{"event": ["must be one of message, status, comment, file, activity, discussion"]}"#.into())
        );
    }

    #[test]
    fn the_comment_endpoints_fix_the_event() {
        for event in [None, Some(""), Some("comment")] {
            assert_eq!(kind_of(event, true), Ok(EventKind::Comment), "{event:?}");
        }
        for event in [Some("message"), Some(" comment")] {
            assert_eq!(
                kind_of(event, true),
                Err(r#"{"event": ["must be comment on this endpoint"]}"#.into()),
                "{event:?}"
            );
        }
    }
}
