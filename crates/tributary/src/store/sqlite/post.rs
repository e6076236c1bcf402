//! One post on SQLite, run by the writer inside its group transaction.

use rusqlite::{params, Connection, OptionalExtension};

use super::message_rows::{
    create_thread, idempotent_response, insert_message, load_thread, next_id, parse_thread,
    remember,
};
use super::search::SearchOps;
use super::writer::Written;
use crate::store::*;

/// Stores one post inside the writer's group transaction: the thread upsert, the id, the
/// message row, its counts and its key are one atomic unit, and the single writer makes the
/// flow's ids commit in order. Answers with the message's event and its search text.
pub(super) fn post_message(c: &Connection, p: NewPost) -> StoreResult<Written<PostOutcome>> {
    let now = now_millis();
    if let Some(claim) = &p.claim {
        if let Some(r) = idempotent_response(c, &claim.scope, &claim.key)? {
            return Ok(Written::answer(PostOutcome::Replay(r)));
        }
    }
    let flow_id = p.message.flow.clone();
    let mut thread = match &p.thread {
        ThreadRef::None => None,
        ThreadRef::Existing(id) => {
            let t = load_thread(c, &flow_id, id)?.ok_or(StoreError::NotFound("thread"))?;
            may_join(&t, p.source_id)?;
            Some(t)
        }
        ThreadRef::External(nt) | ThreadRef::Join(nt) => {
            let found: Option<(String, String)> = c
                .prepare_cached(
                    "SELECT flow_id, state FROM threads WHERE source_id = ?1 AND external_thread_id = ?2",
                )?
                .query_row(params![nt.source_id, nt.external_thread_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            match found {
                Some((f, _)) if f != flow_id => return Err(StoreError::NotFound("thread")),
                Some((_, state)) => Some(parse_thread(&state)?),
                None if matches!(p.thread, ThreadRef::Join(_)) => {
                    return Err(StoreError::NotFound(NO_EXTERNAL_THREAD))
                }
                None => Some(create_thread(c, &flow_id, nt, now)?),
            }
        }
        ThreadRef::Start(nt) => Some(create_thread(c, &flow_id, nt, now)?),
    };
    let mut m = p.message;
    let mut thread_json = None;
    if let Some(t) = thread.as_mut() {
        let json = enter_thread(t, p.update.as_ref(), p.source_id, &mut m, now);
        c.prepare_cached(
            "UPDATE threads SET state = ?2, updated_at = ?3, message_count = message_count + 1 WHERE id = ?1",
        )?
        .execute(params![t.id, json, now])?;
        thread_json = Some(json);
    }
    let id = next_id(c, &flow_id)?;
    let own = finish_message(&mut m, &flow_id, id, now);
    let rowid = insert_message(c, &m, &own, p.user_id, p.source_id, p.parent_id)?;
    super::files::insert_attachments(c, &m)?;
    let json = splice(&own, thread_json.as_deref());
    if let Some(claim) = &p.claim {
        let body = if claim.body_is_message { &*json } else { "{}" };
        remember(c, claim, body, now, id)?;
    }
    let stored = StoredMessage::written(m, p.user_id, json);
    Ok(Written {
        events: vec![stored.to_event()],
        search: SearchOps::default().index(rowid, p.search_text),
        answer: PostOutcome::Stored(stored),
    })
}
