//! A source's JSON, exactly the shape of flowdock/api-docs docs/sources.md plus `application.configuration_uri`
//! (and `flow_token` on creation).

use std::collections::{BTreeMap, HashMap};

use tributary_types::Source;

use crate::error::ApiResult;
use crate::state::{AppState, Urls};
use crate::store::{AppRecord, FlowRecord, SourceRecord, UserRecord};

pub fn source(
    urls: &Urls,
    s: &SourceRecord,
    app: &AppRecord,
    flow: &FlowRecord,
    creator: Option<&UserRecord>,
) -> Source {
    let flow_url = urls.flow(&flow.org.parameterized_name, &flow.parameterized_name);
    Source {
        id: s.id,
        name: s.name.clone(),
        url: format!("{flow_url}/sources/{}", s.id),
        external_url: s.external_url.clone(),
        created_at: iso_millis(s.created_at),
        updated_at: iso_millis(s.updated_at),
        links: BTreeMap::new(),
        application: crate::apps::view::public(urls, app),
        creator: creator.map(|u| crate::users::view(urls, u)),
        error_message: s.error_message.clone(),
        configuration_url: s.configuration_url.clone(),
        flow_token: None,
        health: None,
    }
}

/// Renders many sources with their health, loading each application, flow and creator once.
pub async fn sources(state: &AppState, records: &[SourceRecord]) -> ApiResult<Vec<Source>> {
    let store = &state.store;
    let mut apps: HashMap<i64, AppRecord> = HashMap::new();
    let mut flows: HashMap<String, FlowRecord> = HashMap::new();
    let mut users: HashMap<i64, UserRecord> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for s in records {
        if !apps.contains_key(&s.app_id) {
            if let Some(a) = store.app_by_id(s.app_id).await? {
                apps.insert(a.id, a);
            }
        }
        if !flows.contains_key(&s.flow_id) {
            if let Some(f) = store.flow_by_id(&s.flow_id).await? {
                flows.insert(f.id.clone(), f);
            }
        }
        if let Some(id) = s.creator_id.filter(|id| !users.contains_key(id)) {
            if let Some(u) = store.user_by_id(id).await? {
                users.insert(u.id, u);
            }
        }
        if let (Some(app), Some(flow)) = (apps.get(&s.app_id), flows.get(&s.flow_id)) {
            let creator = s.creator_id.and_then(|id| users.get(&id));
            let mut body = source(&state.urls, s, app, flow, creator);
            body.health = Some(super::health::of(store, s).await?);
            out.push(body);
        }
    }
    Ok(out)
}

/// `2014-10-14T11:05:27.176Z`, the form flowdock/api-docs docs/sources.md shows.
pub fn iso_millis(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_have_milliseconds_and_z() {
        assert_eq!(
            super::iso_millis(1_413_284_727_176),
            "2014-10-14T11:05:27.176Z"
        );
        assert_eq!(super::iso_millis(0), "1970-01-01T00:00:00.000Z");
    }
}
