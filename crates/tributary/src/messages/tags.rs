//! Tags: hashtags and @mentions parsed from content by flowdock-text's rules, explicit tags
//! normalised, and mentions of flow members turned into `:user:<id>` and `:unread:<id>`.
//!
//! The scanner follows flowdock-text's tokenizer: URLs are matched first and hide any `#` or
//! `@` inside them; a hashtag or mention must not follow a word character (or `&`, `/`), and
//! must not be followed by another `#` or by `://`; lines indented by four spaces are quotes
//! and carry no tags. A scanner over chars replaces the regexes, so nothing is compiled per
//! request.

use crate::store::UserRecord;

/// Mentions that reach every member (flowdock/api-docs docs/tags.md, "Everyone").
pub const EVERYONE: &[&str] = &["everyone", "everybody", "all", "anyone", "anybody"];

/// Most tags a message may carry, and the longest tag.
pub const MAX_TAGS: usize = 100;
pub const MAX_TAG_CHARS: usize = 100;

/// What the content mentions.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Lower-cased, without `#`.
    pub hashtags: Vec<String>,
    /// Lower-cased, without `@`.
    pub mentions: Vec<String>,
    pub has_url: bool,
}

fn in_ranges(c: char, ranges: &[(u32, u32)]) -> bool {
    let c = c as u32;
    ranges.iter().any(|&(a, b)| a <= c && c <= b)
}

const LATIN_ACCENTS: &[(u32, u32)] = &[
    (0x00C0, 0x00D6),
    (0x00D8, 0x00F6),
    (0x00F8, 0x017F),
    (0x1E00, 0x1EFF),
];

const NON_LATIN: &[(u32, u32)] = &[
    (0x0370, 0x03FF), // Greek
    (0x0400, 0x0527), // Cyrillic and supplement
    (0x1100, 0x11FF), // Hangul Jamo
    (0x2DE0, 0x2DFF),
    (0x3003, 0x3003),
    (0x3005, 0x3005),
    (0x303B, 0x303B),
    (0x3041, 0x3096), // Hiragana
    (0x3099, 0x309E),
    (0x30A1, 0x30FA), // Katakana
    (0x30FC, 0x30FE),
    (0x3130, 0x3185),
    (0x3400, 0x4DBF), // CJK
    (0x4E00, 0x9FFF),
    (0xA640, 0xA69F),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF), // Hangul syllables
    (0xFF10, 0xFF19), // full-width Latin
    (0xFF21, 0xFF3A),
    (0xFF41, 0xFF5A),
    (0xFF66, 0xFF9F), // half-width Katakana
    (0xFFA1, 0xFFDC), // half-width Hangul
];

fn word_letter(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || in_ranges(c, LATIN_ACCENTS) || in_ranges(c, NON_LATIN)
}

/// `hashtagAlphaNumeric`.
pub(crate) fn tag_char(c: char) -> bool {
    word_letter(c) || c == '-'
}

/// What may not stand right before a `#` or `@` (`startHashTagMatch`).
pub(crate) fn blocks_tag(prev: Option<char>) -> bool {
    matches!(prev, Some(c) if word_letter(c) || c == '&' || c == '/')
}

/// What may not stand right before a URL (`validPrecedingChars`).
pub(crate) fn blocks_url(prev: Option<char>) -> bool {
    matches!(prev, Some(c) if c.is_ascii_alphanumeric() || "-/\"'!=_@＠$#＃.".contains(c))
}

pub(crate) fn ends_tag(rest: &[char]) -> bool {
    matches!(rest.first(), Some('#' | '＃')) || rest.starts_with(&[':', '/', '/'])
}

fn starts_with_ci(chars: &[char], prefix: &str) -> bool {
    let mut it = chars.iter();
    prefix
        .chars()
        .all(|p| it.next().is_some_and(|c| c.to_ascii_lowercase() == p))
}

/// Length of a URL starting at `chars[0]`, if one does: a scheme or `www.`, then anything
/// up to whitespace, without trailing punctuation.
pub(crate) fn url_len(chars: &[char]) -> Option<usize> {
    let start = if starts_with_ci(chars, "https://") {
        8
    } else if starts_with_ci(chars, "http://") {
        7
    } else if starts_with_ci(chars, "www.") {
        4
    } else {
        return None;
    };
    let mut end = start;
    while end < chars.len() && !chars[end].is_whitespace() && !"<>\"".contains(chars[end]) {
        end += 1;
    }
    while end > start && ".,;:!?'”’".contains(chars[end - 1]) {
        end -= 1;
    }
    if end > start && chars[end - 1] == ')' && !chars[start..end].contains(&'(') {
        end -= 1;
    }
    (end > start && chars[start].is_alphanumeric()).then_some(end)
}

/// Extracts hashtags, mentions and whether a URL occurs, by flowdock-text's rules.
pub fn parse(text: &str) -> Parsed {
    let mut out = Parsed::default();
    for line in text.split('\n') {
        let chars: Vec<char> = line.chars().collect();
        // A line indented by four spaces is quoted code: only its URLs count.
        let quoted = chars.len() >= 4 && chars[..4].iter().all(|c| c.is_whitespace());
        let mut i = 0;
        while i < chars.len() {
            let prev = if i == 0 { None } else { Some(chars[i - 1]) };
            if !blocks_url(prev) {
                if let Some(n) = url_len(&chars[i..]) {
                    out.has_url = true;
                    i += n;
                    continue;
                }
            }
            let c = chars[i];
            if !quoted && (c == '#' || c == '＃' || c == '@') && !blocks_tag(prev) {
                let mut end = i + 1;
                let extra = |ch: char| c == '@' && ch == '.';
                while end < chars.len() && (tag_char(chars[end]) || extra(chars[end])) {
                    end += 1;
                }
                while end > i + 1 && chars[end - 1] == '.' {
                    end -= 1;
                }
                if end > i + 1 && !ends_tag(&chars[end..]) {
                    let name: String = chars[i + 1..end].iter().collect::<String>().to_lowercase();
                    if c == '@' {
                        out.mentions.push(name);
                    } else {
                        out.hashtags.push(name);
                    }
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
    }
    out
}

/// An ordered set of tags.
#[derive(Debug, Default)]
struct TagSet(Vec<String>);

impl TagSet {
    fn add(&mut self, tag: String) {
        if !tag.is_empty() && !self.0.contains(&tag) {
            self.0.push(tag);
        }
    }

    /// `@nick` to `:user:<id>` and `:unread:<id>`; `@all` and friends to `:user:everyone` and
    /// an unread tag for every other member. A nick no member has is dropped.
    fn mention(&mut self, name: &str, members: &[UserRecord], poster: Option<i64>) {
        let name = name.to_lowercase();
        if EVERYONE.contains(&name.as_str()) {
            self.add(":user:everyone".into());
            for m in members
                .iter()
                .filter(|m| !m.disabled && Some(m.id) != poster)
            {
                self.add(format!(":unread:{}", m.id));
            }
        } else if let Some(m) = members
            .iter()
            .find(|m| !m.disabled && m.nick.to_lowercase() == name)
        {
            self.add(format!(":user:{}", m.id));
            self.add(format!(":unread:{}", m.id));
        }
    }
}

/// Normalises one explicit tag: `#` prefixes go, case goes; meta tags (with a colon) stay.
pub fn normalise(raw: &str) -> String {
    let t = raw.trim();
    if t.contains(':') {
        t.to_lowercase()
    } else {
        // Trimmed again: `# launch` is the tag `launch`, not ` launch`.
        t.trim_start_matches(['#', '＃']).trim().to_lowercase()
    }
}

/// The tags a message carries: the explicit ones, then what its content mentions.
pub fn resolve(
    explicit: &[String],
    content: Option<&str>,
    members: &[UserRecord],
    poster: Option<i64>,
) -> Vec<String> {
    let mut set = TagSet::default();
    for raw in explicit {
        let t = raw.trim();
        match t.strip_prefix('@') {
            Some(name) => set.mention(name, members, poster),
            None => set.add(normalise(t)),
        }
    }
    if let Some(text) = content {
        let parsed = parse(text);
        for h in parsed.hashtags {
            set.add(h);
        }
        for m in &parsed.mentions {
            set.mention(m, members, poster);
        }
        if parsed.has_url {
            set.add(":url".into());
        }
    }
    set.0
}

/// The `tags` parameter: a JSON array, or one string with commas (repeated form keys arrive as
/// an array already).
pub fn from_param(v: &serde_json::Value) -> Result<Vec<String>, &'static str> {
    use serde_json::Value;
    let mut out = Vec::new();
    match v {
        Value::Null => {}
        Value::String(s) => out.extend(s.split(',').map(str::to_owned)),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => out.extend(s.split(',').map(str::to_owned)),
                    Value::Number(n) => out.push(n.to_string()),
                    _ => return Err("must be a list of strings or a comma-separated string"),
                }
            }
        }
        _ => return Err("must be a list of strings or a comma-separated string"),
    }
    out.retain(|t| !t.trim().is_empty());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<String> {
        parse(text).hashtags
    }

    fn mentions(text: &str) -> Vec<String> {
        parse(text).mentions
    }

    #[test]
    fn hashtags_follow_flowdock_text() {
        assert_eq!(tags("a #hashtag here"), ["hashtag"]);
        assert_eq!(tags("On the #16 bus"), ["16"]);
        assert_eq!(tags("hello #foo-bar"), ["foo-bar"]);
        assert_eq!(
            tags("(#hashtag1 )#hashtag2 [#hashtag3 ]#hashtag4 ’#hashtag5’#hashtag6"),
            ["hashtag1", "hashtag2", "hashtag3", "hashtag4", "hashtag5", "hashtag6"]
        );
        assert_eq!(tags("Working remotely #café"), ["café"]);
        assert_eq!(tags("What is #트위터 anyway?"), ["트위터"]);
        assert_eq!(tags("What is #ашок anyway?"), ["ашок"]);
        assert_eq!(
            tags("日本語ハッシュテスト。#日本語ハッシュタグ"),
            ["日本語ハッシュタグ"]
        );
        assert!(tags("日本語ハッシュタグ#日本語ハッシュタグ").is_empty());
        assert!(tags("this is not valid: # 会議中 ハッシュ").is_empty());
        assert_eq!(
            tags("#hashtag: #hashtag; #hashtag, #hashtag. #hashtag! #hashtag?").len(),
            6
        );
        assert_eq!(tags("#hashtag\ntest\n#hashtag2\n"), ["hashtag", "hashtag2"]);
        assert!(tags("#http://twitter.com #https://twitter.com").is_empty());
        assert!(tags("text http://google.com/#foo").is_empty());
        assert!(tags("a&#39;b foo/#bar x#y").is_empty());
        assert!(tags("    #quoted code").is_empty());
        assert_eq!(tags("#CamelCase"), ["camelcase"]);
    }

    #[test]
    fn mentions_follow_flowdock_text() {
        assert_eq!(mentions("@username reply"), ["username"]);
        assert_eq!(mentions("mention @J.R"), ["j.r"]);
        assert_eq!(mentions("i'm mentioning @username."), ["username"]);
        assert_eq!(mentions("mention @user-name"), ["user-name"]);
        assert_eq!(
            mentions("mention @username1 @username2, @user.name @davy.crokett."),
            ["username1", "username2", "user.name", "davy.crokett"]
        );
        assert!(mentions("@http://twitter.com").is_empty());
        assert!(mentions("mail ann@example.com").is_empty());
        assert_eq!(mentions("@username\n@mention"), ["username", "mention"]);
    }

    #[test]
    fn urls_are_noticed() {
        assert!(parse("see http://example.com/a.").has_url);
        assert!(parse("see www.example.com").has_url);
        assert!(!parse("no links here").has_url);
    }

    fn user(id: i64, nick: &str) -> UserRecord {
        UserRecord {
            id,
            email: format!("{nick}@x.io"),
            name: nick.into(),
            nick: nick.into(),
            avatar: String::new(),
            website: None,
            password_hash: None,
            disabled: false,
            created_at: 0,
        }
    }

    #[test]
    fn resolves_mentions_and_normalises() {
        let members = [user(16, "Marty"), user(17, "Doc")];
        let tags = resolve(
            &[
                "#space-time-continuum".into(),
                "TODO".into(),
                "@nobody".into(),
            ],
            Some("@Marty, there's a severe #bug, see http://example.com"),
            &members,
            Some(17),
        );
        assert_eq!(
            tags,
            [
                "space-time-continuum",
                "todo",
                "bug",
                ":user:16",
                ":unread:16",
                ":url"
            ]
        );
        let all = resolve(&["@all".into()], None, &members, Some(17));
        assert_eq!(all, [":user:everyone", ":unread:16"]);
    }

    #[test]
    fn tag_params_take_arrays_and_commas() {
        use serde_json::json;
        assert_eq!(
            from_param(&json!("#awesome,cool,@mike")).unwrap(),
            ["#awesome", "cool", "@mike"]
        );
        assert_eq!(from_param(&json!(["a", "b,c"])).unwrap(), ["a", "b", "c"]);
        assert!(from_param(&json!({"a": 1})).is_err());
    }
}
