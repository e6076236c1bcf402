//! Reading messages and threads: the list filters as SQL, and each message's stored JSON
//! spliced with its thread's current state.

use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::store::*;

const MESSAGE_COLS: &str =
    "m.flow_id, m.id, m.event, m.user_id, m.app, m.thread_id, m.body, t.state";
const MESSAGE_FROM: &str = "messages m LEFT JOIN threads t ON t.id = m.thread_id";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMessage> {
    let own: String = r.get(6)?;
    let state: Option<String> = r.get(7)?;
    Ok(StoredMessage {
        flow_id: r.get(0)?,
        id: r.get(1)?,
        event: r.get(2)?,
        user_id: r.get(3)?,
        app: r.get(4)?,
        thread_id: r.get(5)?,
        json: splice(&own, state.as_deref()),
    })
}

pub(super) fn message_by_id(
    c: &Connection,
    flow_id: &str,
    id: i64,
) -> StoreResult<Option<StoredMessage>> {
    let sql =
        format!("SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE m.flow_id = ?1 AND m.id = ?2");
    Ok(c.prepare_cached(&sql)?
        .query_row(params![flow_id, id], message_row)
        .optional()?)
}

/// Quotes each keyword so FTS5 reads it as a plain string, never as syntax (`AND`, `NEAR`,
/// `*`, `^`, `col:`, parentheses, `-`): inside double quotes only `"` is special, and it is
/// doubled. Juxtaposed strings must all match. Control characters are dropped (a NUL ends
/// FTS5's parse); the API refuses them before they get here.
fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| {
            let plain: String = t.chars().filter(|c| !c.is_control()).collect();
            format!("\"{}\"", plain.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn list_messages(c: &Connection, q: MessageQuery) -> StoreResult<Vec<StoredMessage>> {
    let mut sql = format!("SELECT {MESSAGE_COLS} FROM {MESSAGE_FROM} WHERE m.flow_id = ?");
    let mut args: Vec<Sql> = vec![Sql::Text(q.flow_id.clone())];
    if let Some(t) = &q.thread_id {
        sql.push_str(" AND m.thread_id = ?");
        args.push(Sql::Text(t.clone()));
    }
    if !q.events.is_empty() {
        sql.push_str(&format!(" AND m.event IN ({})", marks(q.events.len())));
        args.extend(q.events.iter().map(|e| Sql::Text(e.clone())));
    }
    if let Some(id) = q.since_id {
        sql.push_str(" AND m.id > ?");
        args.push(Sql::Integer(id));
    }
    if let Some(id) = q.until_id {
        sql.push_str(" AND m.id < ?");
        args.push(Sql::Integer(id));
    }
    if !q.tags.is_empty() {
        if q.tags_any {
            sql.push_str(&format!(
                " AND m.id IN (SELECT message_id FROM message_tags WHERE flow_id = m.flow_id AND tag IN ({}))",
                marks(q.tags.len())
            ));
            args.extend(q.tags.iter().map(|t| Sql::Text(t.clone())));
        } else {
            for tag in &q.tags {
                sql.push_str(" AND EXISTS (SELECT 1 FROM message_tags g WHERE g.flow_id = m.flow_id AND g.message_id = m.id AND g.tag = ?)");
                args.push(Sql::Text(tag.clone()));
            }
        }
    }
    if !q.search.is_empty() {
        sql.push_str(
            " AND m.rowid IN (SELECT rowid FROM search.messages_fts WHERE messages_fts MATCH ?)",
        );
        args.push(Sql::Text(fts_query(&q.search)));
    }
    sql.push_str(if q.ascending {
        " ORDER BY m.id ASC LIMIT ? OFFSET ?"
    } else {
        " ORDER BY m.id DESC LIMIT ? OFFSET ?"
    });
    args.push(Sql::Integer(q.limit));
    args.push(Sql::Integer(q.skip));
    let mut st = c.prepare_cached(&sql)?;
    let mut out = st
        .query_map(params_from_iter(args), message_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if !q.ascending {
        out.reverse();
    }
    Ok(out)
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn thread_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ThreadRecord> {
    let state: String = r.get(3)?;
    Ok(ThreadRecord {
        id: r.get(0)?,
        flow_id: r.get(1)?,
        updated_at: r.get(2)?,
        json: state.into(),
    })
}

pub(super) fn thread_by_id(
    c: &Connection,
    flow_id: &str,
    id: &str,
) -> StoreResult<Option<ThreadRecord>> {
    Ok(c.query_row(
        "SELECT id, flow_id, updated_at, state FROM threads WHERE flow_id = ?1 AND id = ?2",
        params![flow_id, id],
        thread_row,
    )
    .optional()?)
}

pub(super) fn list_threads(c: &Connection, q: ThreadQuery) -> StoreResult<Vec<ThreadRecord>> {
    let mut sql =
        String::from("SELECT id, flow_id, updated_at, state FROM threads WHERE flow_id = ?");
    let mut args: Vec<Sql> = vec![Sql::Text(q.flow_id.clone())];
    if let Some(since) = q.since {
        sql.push_str(" AND updated_at > ?");
        args.push(Sql::Integer(since));
    }
    match (q.until, q.until_id) {
        (Some(until), Some(id)) => {
            sql.push_str(" AND (updated_at < ? OR (updated_at = ? AND id < ?))");
            args.extend([Sql::Integer(until), Sql::Integer(until), Sql::Text(id)]);
        }
        (Some(until), None) => {
            sql.push_str(" AND updated_at < ?");
            args.push(Sql::Integer(until));
        }
        (None, _) => {}
    }
    match &q.application {
        Some(AppFilter::Chat) => sql.push_str(" AND origin = 'chat'"),
        Some(AppFilter::Inbox) => sql.push_str(" AND origin = 'inbox'"),
        Some(AppFilter::App(id)) => {
            sql.push_str(" AND app_id = ?");
            args.push(Sql::Integer(*id));
        }
        None => {}
    }
    if !q.include_empty {
        sql.push_str(" AND message_count > CASE WHEN origin = 'chat' THEN 1 ELSE 0 END");
    }
    sql.push_str(" ORDER BY updated_at DESC, id DESC LIMIT ?");
    args.push(Sql::Integer(q.limit));
    let mut st = c.prepare(&sql)?;
    let rows = st
        .query_map(params_from_iter(args), thread_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn keywords_are_quoted_strings_whatever_they_hold() {
        let q =
            |terms: &[&str]| fts_query(&terms.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        assert_eq!(
            q(&["deploy", "AND", "NEAR(a"]),
            r#""deploy" "AND" "NEAR(a""#
        );
        assert_eq!(q(&[r#"a"b"#, "\0x\u{1}"]), r#""a""b" "x""#);
    }
}
