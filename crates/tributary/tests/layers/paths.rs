//! The module paths a source file names, read from its text as `layers.py` reads them:
//! `use` trees and inline `crate::`/`super::` paths, outside the file's test module.

#[derive(Clone, Copy)]
pub(crate) enum Root {
    Crate,
    Super,
}

/// `use crate::a::{b, c::d};` → `a::b`, `a::c::d`.
pub(crate) fn use_paths(text: &str) -> Vec<(Root, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("use") {
        if !starts_word(text, at) {
            continue;
        }
        let rest = text[at + 3..].trim_start();
        if rest.len() == text[at + 3..].len() {
            continue; // `user`, `used`: not the keyword
        }
        let Some((root, tree)) = root_of(rest) else {
            continue;
        };
        let Some(end) = tree.find(';') else { continue };
        let tree: String = tree[..end].chars().filter(|c| !c.is_whitespace()).collect();
        out.extend(expand(&tree).into_iter().map(|p| (root, p)));
    }
    out
}

/// Every `crate::a::b` or `super::a` in the text, in code or in comments.
pub(crate) fn inline_paths(text: &str) -> Vec<(Root, String)> {
    let mut out = Vec::new();
    for root_word in ["crate::", "super::"] {
        for (at, _) in text.match_indices(root_word) {
            if !starts_word(text, at) {
                continue;
            }
            let Some((root, rest)) = root_of(&text[at..]) else {
                continue;
            };
            // Lower-case segments only: the path ends at a type, a `{` or a space.
            let mut segments = Vec::new();
            for segment in rest.split("::") {
                let name: String = segment.chars().take_while(|c| is_ident(*c)).collect();
                if !name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
                    break;
                }
                let whole = name.len() == segment.len();
                segments.push(name);
                if !whole {
                    break;
                }
            }
            let path = segments.join("::");
            if !path.is_empty() {
                out.push((root, path));
            }
        }
    }
    out
}

fn root_of(s: &str) -> Option<(Root, &str)> {
    if let Some(rest) = s.strip_prefix("crate::") {
        Some((Root::Crate, rest))
    } else {
        s.strip_prefix("super::").map(|rest| (Root::Super, rest))
    }
}

/// `a::{b::c, d}` → `a::b::c`, `a::d`; `a as b` → `a`.
pub(crate) fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{').filter(|_| tree.ends_with('}')) else {
        return vec![tree.split(" as ").next().unwrap_or(tree).to_owned()];
    };
    let head = tree[..open].trim_end_matches("::");
    let body = &tree[open + 1..tree.len() - 1];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| match head.is_empty() {
            true => p,
            false => format!("{head}::{p}"),
        })
        .collect()
}

/// The text before a file's `#[cfg(test)] mod tests {`: tests may reach anywhere.
pub(crate) fn without_tests(text: &str) -> &str {
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]") {
        let at = from + at;
        let rest = text[at + "#[cfg(test)]".len()..].trim_start();
        let words: Vec<&str> = rest.splitn(3, char::is_whitespace).collect();
        if words.first() == Some(&"mod") && words.get(1).is_some_and(|w| w.starts_with("tests")) {
            return &text[..at];
        }
        from = at + 1;
    }
    text
}

fn starts_word(text: &str, at: usize) -> bool {
    !text[..at].chars().next_back().is_some_and(is_ident)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}
