//! Chat text to HTML: everything escaped, then URLs linkified and `#tags` and `@mentions`
//! marked, by the same tokenizer rules that tag the message on the way in (`messages::tags`),
//! so what is highlighted is exactly what was tagged.
//!
//! Integration HTML (titles, bodies, fields) is not handled here: it was sanitised on the way
//! in and is cleaned once more when rendered (`views`).

use crate::messages::tags::{blocks_tag, blocks_url, ends_tag, tag_char, url_len};

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who a chat text is rendered for: the reader's nick (mentions of it stand out) and the
/// nicks of the flow's members (only those become mentions, as only those were tagged).
pub struct Reader<'a> {
    pub nick: &'a str,
    pub member_nicks: &'a [String],
}

impl Reader<'_> {
    fn is_member(&self, nick: &str) -> bool {
        crate::messages::tags::EVERYONE.contains(&nick)
            || self
                .member_nicks
                .iter()
                .any(|n| n.eq_ignore_ascii_case(nick))
    }
}

/// Renders chat text as safe HTML. Lines indented by four spaces are quoted code, as in
/// Flowdock: shown in a `<pre>` block, with links but no tags.
pub fn chat_html(text: &str, reader: &Reader) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut in_quote = false;
    for (n, line) in text.split('\n').enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let quoted = chars.len() >= 4 && chars[..4].iter().all(|c| c.is_whitespace());
        if quoted && !in_quote {
            out.push_str("<pre class=\"quote\">");
            in_quote = true;
        } else if !quoted && in_quote {
            out.push_str("</pre>");
            in_quote = false;
        } else if n > 0 {
            out.push_str(if in_quote { "\n" } else { "<br>" });
        }
        let body = if quoted { &chars[4..] } else { &chars[..] };
        line_html(body, quoted, reader, &mut out);
    }
    if in_quote {
        out.push_str("</pre>");
    }
    out
}

fn line_html(chars: &[char], quoted: bool, reader: &Reader, out: &mut String) {
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        let prev = if i == 0 { None } else { Some(chars[i - 1]) };
        if !blocks_url(prev) {
            if let Some(n) = url_len(&chars[i..]) {
                out.push_str(&escape(&plain));
                plain.clear();
                let url: String = chars[i..i + n].iter().collect();
                let href = if url.to_ascii_lowercase().starts_with("www.") {
                    format!("http://{url}")
                } else {
                    url.clone()
                };
                out.push_str(&format!(
                    "<a href=\"{}\" rel=\"nofollow noopener\" target=\"_blank\">{}</a>",
                    escape(&href),
                    escape(&url)
                ));
                i += n;
                continue;
            }
        }
        let c = chars[i];
        if !quoted && (c == '#' || c == '＃' || c == '@') && !blocks_tag(prev) {
            let mut end = i + 1;
            while end < chars.len() && (tag_char(chars[end]) || (c == '@' && chars[end] == '.')) {
                end += 1;
            }
            while end > i + 1 && chars[end - 1] == '.' {
                end -= 1;
            }
            if end > i + 1 && !ends_tag(&chars[end..]) {
                let word: String = chars[i..end].iter().collect();
                let name: String = chars[i + 1..end].iter().collect();
                if c == '@' && reader.is_member(&name.to_lowercase()) {
                    out.push_str(&escape(&plain));
                    plain.clear();
                    let me = name.eq_ignore_ascii_case(reader.nick)
                        || crate::messages::tags::EVERYONE.contains(&name.to_lowercase().as_str());
                    let class = if me { "mention me" } else { "mention" };
                    out.push_str(&format!("<span class=\"{class}\">{}</span>", escape(&word)));
                    i = end;
                    continue;
                }
                if c != '@' {
                    out.push_str(&escape(&plain));
                    plain.clear();
                    out.push_str(&format!("<span class=\"tag\">{}</span>", escape(&word)));
                    i = end;
                    continue;
                }
            }
        }
        plain.push(c);
        i += 1;
    }
    out.push_str(&escape(&plain));
}

/// The visible text of sanitised inline HTML (a title that has to sit inside a link of its
/// own): tags dropped, text kept escaped.
pub fn strip_tags(html: &str) -> String {
    ammonia::Builder::empty().clean(html).to_string()
}

/// `strip_tags` leaves entities escaped; the template escapes again, so undo the basic ones.
pub fn unescape_basic(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> String {
        let nicks = vec!["ann".to_owned(), "bob".to_owned()];
        chat_html(
            text,
            &Reader {
                nick: "ann",
                member_nicks: &nicks,
            },
        )
    }

    #[test]
    fn escapes_everything_it_does_not_mark_up() {
        assert_eq!(
            render("<script>alert(1)</script> & \"q\""),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(render("a\nb"), "a<br>b");
    }

    #[test]
    fn links_tags_and_mentions() {
        assert_eq!(
            render("see https://x.io/a?b=1&c=2."),
            "see <a href=\"https://x.io/a?b=1&amp;c=2\" rel=\"nofollow noopener\" target=\"_blank\">https://x.io/a?b=1&amp;c=2</a>."
        );
        assert_eq!(
            render("www.x.io"),
            "<a href=\"http://www.x.io\" rel=\"nofollow noopener\" target=\"_blank\">www.x.io</a>"
        );
        assert_eq!(
            render("#deploy by @bob and @Ann, not @carol"),
            "<span class=\"tag\">#deploy</span> by <span class=\"mention\">@bob</span> and \
             <span class=\"mention me\">@Ann</span>, not @carol"
        );
        // A `#` inside a URL is part of the link, not a tag.
        assert!(!render("http://x.io/#frag").contains("class=\"tag\""));
    }

    #[test]
    fn javascript_urls_are_never_links() {
        assert_eq!(
            render("javascript:alert(1)//http://x"),
            "javascript:alert(1)//http://x"
        );
    }

    #[test]
    fn quoted_lines_become_a_code_block_without_tags() {
        assert_eq!(
            render("look:\n    fn #main()\n    x\nok"),
            "look:<pre class=\"quote\">fn #main()\nx</pre>ok"
        );
    }

    #[test]
    fn strips_markup_from_titles() {
        assert_eq!(
            strip_tags("<a href=\"https://x.io\" rel=\"nofollow noopener\">PR</a> &amp; more"),
            "PR &amp; more"
        );
    }
}
