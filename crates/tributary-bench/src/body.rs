//! The posted body: the integration guide's step 5 activity (`POST /messages` with a
//! `flow_token`, an author, a title and thread data), padded to about 1 KB with a realistic
//! pull request description.

use serde_json::json;

/// Distinct `external_thread_id`s the post scenario spreads its messages over.
pub const THREADS: usize = 1_000;

/// The marker the fan-out scenario puts in each title to match a received event to its post.
pub const MARKER: &[u8] = b"bench#";

const DESCRIPTION: &str = "This pull request fixes the ordering of thread updates when two \
    activities for the same pull request arrive within one millisecond. The newest state now \
    always wins, the counts stay exact under concurrency, and the thread list is sorted by \
    the time of the last update. It also adds tests for paging through long threads and for \
    sources whose external ids contain colons, slashes and unicode.";

/// One activity about pull request `thread` (0..[`THREADS`]); `seq`, when given, is written
/// into the title after [`MARKER`] and ended by `;`.
pub fn activity(flow_token: &str, thread: usize, seq: Option<u64>) -> String {
    let title = match seq {
        Some(s) => format!("Updated pull request bench#{s};"),
        None => "Updated pull request".to_owned(),
    };
    json!({
        "flow_token": flow_token,
        "event": "activity",
        "author": {
            "name": "anttipitkanen",
            "avatar": "https://avatars.githubusercontent.com/u/946511?v=2"
        },
        "title": title,
        "body": DESCRIPTION,
        "external_thread_id": format!("github:component:pr:{thread}"),
        "thread": {
            "title": format!("Fix bug in thread API (#{thread})"),
            "body": "Body with <b>HTML</b> formatting",
            "external_url": format!("https://github.com/flowdock/component/pull/{thread}"),
            "status": {"color": "green", "value": "open"},
            "fields": [
                {"label": "Repository", "value": "flowdock/component"},
                {"label": "Branch", "value": "fix-thread-ordering"}
            ]
        }
    })
    .to_string()
}

/// Finds every `bench#<seq>;` in `frame`.
pub fn markers(frame: &[u8], mut found: impl FnMut(u64)) {
    for at in memchr::memmem::find_iter(frame, MARKER) {
        let mut n: u64 = 0;
        let mut digits = 0;
        for &b in &frame[at + MARKER.len()..] {
            if b.is_ascii_digit() {
                n = n * 10 + u64::from(b - b'0');
                digits += 1;
            } else {
                break;
            }
        }
        if digits > 0 {
            found(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_about_a_kilobyte_and_parse_as_post_message() {
        let b = activity("0123456789abcdef0123456789abcdef", 999, Some(123456));
        assert!((900..=1200).contains(&b.len()), "{} bytes", b.len());
        let p: tributary_types::PostMessage = serde_json::from_str(&b).unwrap();
        assert_eq!(
            p.external_thread_id.as_deref(),
            Some("github:component:pr:999")
        );
        let mut seen = Vec::new();
        markers(b.as_bytes(), |n| seen.push(n));
        assert_eq!(seen, vec![123456]);
    }
}
