//! Parameterized names: the URL-safe form of organization and flow names.

/// Lowercases ASCII letters and digits and joins every other run with one `-`, as Flowdock's
/// `parameterized_name` does ("My Flow!" becomes "my-flow").
pub fn parameterize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Path segments that routes use and names therefore may not take.
pub const RESERVED: &[&str] = &["all", "find"];

#[cfg(test)]
mod tests {
    use super::parameterize;

    #[test]
    fn parameterizes_like_flowdock() {
        assert_eq!(parameterize("My flow"), "my-flow");
        assert_eq!(parameterize("  Ops & Support!! "), "ops-support");
        assert_eq!(parameterize("Q4--2026"), "q4-2026");
        assert_eq!(parameterize("Ääkkönen"), "kk-nen");
        assert_eq!(parameterize("!!!"), "");
    }
}
