//! Parameterized names: the URL-safe form of organization and flow names, and the check of
//! their display names.

use crate::error::{ApiError, ApiResult};

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

/// A display name (of a flow or an organization) as given, trimmed: required, and at most
/// `max` characters.
pub fn display_name(name: &str, max: usize) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::field("name", "is required"));
    }
    let chars = name.chars().count();
    if chars > max {
        return Err(ApiError::field(
            "name",
            format!("is too long ({chars} characters, the limit is {max})"),
        ));
    }
    Ok(name.to_owned())
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
