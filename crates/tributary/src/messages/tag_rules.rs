//! What a client may put in `tags`, on a post or a tag edit: a bounded number of bounded
//! tags, and none of the tags that only the server sets (docs/compatibility.md lists them).

use super::tags::{normalise, MAX_TAGS, MAX_TAG_CHARS};

/// Whether only the server sets `tag`: the meta tags of flowdock/api-docs docs/tags.md (`:user:…`,
/// `:unread:…`, `:highlight:…`, `:url`, `:file`, `:source:…`, `:project:…`, and every other
/// tag that starts with a colon) and a comment's `influx:<id>` link to its parent.
pub fn is_reserved(tag: &str) -> bool {
    let t = normalise(tag);
    t.starts_with(':') || t.starts_with("influx:")
}

/// Why the explicit tags are refused, if they are. `kept` are the tags the message carries
/// already: an edit may send those back, reserved or not. `@nick` stays allowed, as the
/// server turns it into `:user:` and `:unread:` tags itself.
pub fn check(explicit: &[String], kept: &[String]) -> Vec<String> {
    let mut reasons = Vec::new();
    if explicit.len() > MAX_TAGS {
        reasons.push(format!("at most {MAX_TAGS} tags"));
    }
    if explicit.iter().any(|t| t.chars().count() > MAX_TAG_CHARS) {
        reasons.push(format!("each tag is at most {MAX_TAG_CHARS} characters"));
    }
    let reserved: Vec<String> = explicit
        .iter()
        .map(|t| normalise(t))
        .filter(|t| is_reserved(t) && !kept.contains(t))
        .collect();
    if !reserved.is_empty() {
        reasons.push(format!(
            "{} can only be set by the server (tags starting with `:` or `influx:` are reserved)",
            reserved.join(", ")
        ));
    }
    reasons
}

/// The tags a message carries after `editor` replaced its list with `wanted`: the server's
/// own tags of `old` (mentions, links, files, a comment's parent) stay, because they are not
/// the editor's to drop, except the editor's own unread mark: dropping that is how a
/// Flowdock client marks a mention read.
pub fn after_edit(mut wanted: Vec<String>, old: &[String], editor: i64) -> Vec<String> {
    let own_unread = format!(":unread:{editor}");
    for tag in old.iter().filter(|t| is_reserved(t)) {
        if *tag != own_unread && !wanted.contains(tag) {
            wanted.push(tag.clone());
        }
    }
    wanted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_servers_tags_are_reserved() {
        for t in [
            ":user:1",
            ":unread:2",
            ":url",
            ":FILE",
            " :thread ",
            "Influx:3",
            ":x",
        ] {
            assert!(is_reserved(t), "{t}");
        }
        for t in ["bug", "#bug", "a:b", "influx", "@bob", "#:user:1"] {
            assert!(!is_reserved(t), "{t}");
        }
    }

    #[test]
    fn posts_may_not_set_them_and_edits_may_only_keep_them() {
        assert!(check(&strings(&["bug", "@bob", "a:b"]), &[]).is_empty());
        let refused = check(&strings(&["ok", ":Unread:2", "influx:1"]), &[]);
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].starts_with(":unread:2, influx:1 "),
            "{refused:?}"
        );
        assert!(check(&strings(&[":unread:2"]), &strings(&[":unread:2"])).is_empty());
        assert_eq!(check(&strings(&["x"; MAX_TAGS + 1]), &[]).len(), 1);
        assert_eq!(check(&["x".repeat(MAX_TAG_CHARS + 1)], &[]).len(), 1);
    }

    #[test]
    fn an_edit_keeps_the_servers_tags_but_the_editors_unread_mark() {
        let old = strings(&["draft", ":user:2", ":unread:2", ":unread:3", ":url"]);
        assert_eq!(
            after_edit(strings(&["fixed", ":url"]), &old, 2),
            strings(&["fixed", ":url", ":user:2", ":unread:3"])
        );
    }
}
