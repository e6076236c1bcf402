//! Percent-encoding as both ends of the API write it into paths and query strings.

/// Percent-encodes every byte outside RFC 3986's unreserved set, so that a value with spaces,
/// quotes or slashes stays one path segment or one query value.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_segment;

    #[test]
    fn only_unreserved_bytes_stay() {
        assert_eq!(encode_segment("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(encode_segment("a b/c\"é"), "a%20b%2Fc%22%C3%A9");
    }
}
