//! Reading messages and threads: the list filters as SQL, and each message's stored JSON
//! spliced with its thread's current state.

use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use crate::store::*;

type Arg = Box<dyn ToSql + Sync + Send>;

const MESSAGE_COLS: &str =
    "m.flow_id, m.id, m.event, m.user_id, m.app, m.thread_id, m.body, t.state";
const MESSAGE_FROM: &str = "messages m LEFT JOIN threads t ON t.id = m.thread_id";

fn message_row(r: &Row) -> StoredMessage {
    let own: &str = r.get(6);
    let state: Option<&str> = r.get(7);
    StoredMessage {
        flow_id: r.get(0),
        id: r.get(1),
        event: r.get(2),
        user_id: r.get(3),
        app: r.get(4),
        thread_id: r.get(5),
        json: splice(own, state),
    }
}

pub(super) async fn message_by_id(
    c: &impl GenericClient,
    flow_id: &str,
    id: i64,
) -> StoreResult<Option<StoredMessage>> {
    let sql =
        format!("SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE m.flow_id = $1 AND m.id = $2");
    Ok(c.query_opt(&sql, &[&flow_id, &id])
        .await?
        .as_ref()
        .map(message_row))
}

fn push(args: &mut Vec<Arg>, v: Arg) -> String {
    args.push(v);
    format!("${}", args.len())
}

pub(super) async fn list_messages(
    c: &impl GenericClient,
    q: MessageQuery,
) -> StoreResult<Vec<StoredMessage>> {
    let mut args: Vec<Arg> = Vec::new();
    let p = push(&mut args, Box::new(q.flow_id.clone()));
    let mut sql = format!("SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE m.flow_id = {p}");
    if let Some(t) = &q.thread_id {
        let p = push(&mut args, Box::new(t.clone()));
        sql.push_str(&format!(" AND m.thread_id = {p}"));
    }
    if !q.events.is_empty() {
        let p = push(&mut args, Box::new(q.events.clone()));
        sql.push_str(&format!(" AND m.event = ANY({p}::text[])"));
    }
    if let Some(id) = q.since_id {
        let p = push(&mut args, Box::new(id));
        sql.push_str(&format!(" AND m.id > {p}"));
    }
    if let Some(id) = q.until_id {
        let p = push(&mut args, Box::new(id));
        sql.push_str(&format!(" AND m.id < {p}"));
    }
    if !q.tags.is_empty() {
        if q.tags_any {
            let p = push(&mut args, Box::new(q.tags.clone()));
            sql.push_str(&format!(
                " AND m.id IN (SELECT message_id FROM message_tags WHERE flow_id = m.flow_id AND tag = ANY({p}::text[]))"
            ));
        } else {
            for tag in &q.tags {
                let p = push(&mut args, Box::new(tag.clone()));
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM message_tags g WHERE g.flow_id = m.flow_id AND g.message_id = m.id AND g.tag = {p})"
                ));
            }
        }
    }
    if !q.search.is_empty() {
        // plainto_tsquery reads words only, never operators; PostgreSQL text cannot hold NUL,
        // so control characters go (the API refuses them before they get here).
        let words: String = q.search.join(" ").replace(|c: char| c.is_control(), " ");
        let p = push(&mut args, Box::new(words));
        sql.push_str(&format!(
            " AND m.search_vector @@ plainto_tsquery('simple', {p})"
        ));
    }
    let limit = push(&mut args, Box::new(q.limit));
    let skip = push(&mut args, Box::new(q.skip));
    let order = if q.ascending { "ASC" } else { "DESC" };
    sql.push_str(&format!(
        " ORDER BY m.id {order} LIMIT {limit} OFFSET {skip}"
    ));
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    let mut out: Vec<StoredMessage> = c
        .query(&sql, &refs)
        .await?
        .iter()
        .map(message_row)
        .collect();
    if !q.ascending {
        out.reverse();
    }
    Ok(out)
}

fn thread_row(r: &Row) -> ThreadRecord {
    let state: &str = r.get(3);
    ThreadRecord {
        id: r.get(0),
        flow_id: r.get(1),
        updated_at: r.get(2),
        json: state.into(),
    }
}

pub(super) async fn thread_by_id(
    c: &impl GenericClient,
    flow_id: &str,
    id: &str,
) -> StoreResult<Option<ThreadRecord>> {
    Ok(c.query_opt(
        "SELECT id, flow_id, updated_at, state FROM threads WHERE flow_id = $1 AND id = $2",
        &[&flow_id, &id],
    )
    .await?
    .as_ref()
    .map(thread_row))
}

pub(super) async fn list_threads(
    c: &impl GenericClient,
    q: ThreadQuery,
) -> StoreResult<Vec<ThreadRecord>> {
    let mut args: Vec<Arg> = Vec::new();
    let p = push(&mut args, Box::new(q.flow_id.clone()));
    let mut sql = format!("SELECT id, flow_id, updated_at, state FROM threads WHERE flow_id = {p}");
    if let Some(since) = q.since {
        let p = push(&mut args, Box::new(since));
        sql.push_str(&format!(" AND updated_at > {p}"));
    }
    if let Some(until) = q.until {
        let p = push(&mut args, Box::new(until));
        match q.until_id {
            Some(id) => {
                let i = push(&mut args, Box::new(id));
                sql.push_str(&format!(
                    " AND (updated_at < {p} OR (updated_at = {p} AND id < {i}))"
                ));
            }
            None => sql.push_str(&format!(" AND updated_at < {p}")),
        }
    }
    match &q.application {
        Some(AppFilter::Chat) => sql.push_str(" AND origin = 'chat'"),
        Some(AppFilter::Inbox) => sql.push_str(" AND origin = 'inbox'"),
        Some(AppFilter::App(id)) => {
            let p = push(&mut args, Box::new(*id));
            sql.push_str(&format!(" AND app_id = {p}"));
        }
        None => {}
    }
    if !q.include_empty {
        sql.push_str(" AND message_count > CASE WHEN origin = 'chat' THEN 1 ELSE 0 END");
    }
    let p = push(&mut args, Box::new(q.limit));
    sql.push_str(&format!(" ORDER BY updated_at DESC, id DESC LIMIT {p}"));
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    Ok(c.query(&sql, &refs).await?.iter().map(thread_row).collect())
}
