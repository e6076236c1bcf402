//! URL fields: the one validator behind every URL a client, a page or an operator gives
//! (an application's redirect, setup, configuration and icon URLs, a source's
//! `external_url` and `configuration_url`, a thread's `external_url`, an author's avatar).
//!
//! A URL is parsed with the `url` crate and kept as it re-serialises: scheme and host
//! lower-cased, the default port dropped, spaces and the like percent-encoded. What is stored
//! is then safe for every later use: a `Location` header, a link on a page, an outbound call.
//! The WHATWG parser silently drops tabs and line breaks, so a value holding them (or any
//! other control character) is refused before parsing: what was sent and what is stored must
//! never differ by a hidden header break.

use crate::error::{err, ApiError, ApiResult, FieldErrors};

/// Longest URL accepted, in characters: what browsers and proxies reliably carry.
pub const MAX_URL_CHARS: usize = 2048;

/// The OAuth out-of-band redirect URI, allowed where a redirect URI is expected.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

const NOT_WEB: &str = "must be an absolute http or https URL";
const CONTROL: &str = "must not contain control characters (such as line breaks or tabs)";

/// An absolute `http` or `https` URL with a host, normalised; the reason it is not one.
pub fn normalise_web(raw: &str) -> Result<String, String> {
    if raw.chars().any(char::is_control) {
        return Err(CONTROL.into());
    }
    let raw = raw.trim();
    let chars = raw.chars().count();
    if chars > MAX_URL_CHARS {
        return Err(format!(
            "is too long ({chars} characters, the limit is {MAX_URL_CHARS})"
        ));
    }
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(u.into()),
        _ => Err(NOT_WEB.into()),
    }
}

/// [`normalise_web`] for a URL template: the placeholders `{name}` of `names` stay as
/// written, even in the path, where the parser percent-encodes braces.
pub fn normalise_template(raw: &str, names: &[&str]) -> Result<String, String> {
    let mut url = normalise_web(raw)?;
    for name in names {
        url = url.replace(&format!("%7B{name}%7D"), &format!("{{{name}}}"));
    }
    Ok(url)
}

/// An optional web URL: blank (or absent) means none; 400 naming `field` when it is not one.
pub fn optional_web_url(field: &str, raw: Option<String>) -> ApiResult<Option<String>> {
    let mut errors = FieldErrors::new();
    let url = check_optional(&mut errors, field, raw, &[]);
    match errors.is_empty() {
        true => Ok(url),
        false => Err(ApiError::Validation(errors)),
    }
}

/// A web URL among other fields: the normalised URL, or the reason recorded in `errors`.
pub fn check_web(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<String> {
    normalise_web(raw).map_err(|r| err(errors, field, r)).ok()
}

/// An optional URL template with the placeholders `names` among other fields: `None` when
/// blank, absent, or refused (the reason recorded in `errors`).
pub fn check_optional(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<String>,
    names: &[&str],
) -> Option<String> {
    let raw = raw.filter(|v| !v.trim().is_empty())?;
    normalise_template(&raw, names)
        .map_err(|r| err(errors, field, r))
        .ok()
}

/// An OAuth redirect URI among other fields: a web URL, or the out-of-band URI.
pub fn check_redirect(errors: &mut FieldErrors, field: &str, raw: &str) -> Option<String> {
    if raw.trim() == OOB {
        return Some(OOB.to_owned());
    }
    check_web(errors, field, raw)
}

/// Whether a request's `redirect_uri` names the registered one: the same string, or the same
/// URL once normalised (registered URIs are stored normalised; a client sends what its
/// developer typed). Nothing else matches, per RFC 9700's exact matching.
pub fn same_redirect_uri(given: &str, registered: &str) -> bool {
    given == registered || normalise_web(given).is_ok_and(|g| g == registered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_are_normalised() {
        let n = |s: &str| normalise_web(s).unwrap();
        assert_eq!(
            n("HTTPS://Example.COM:443/a b"),
            "https://example.com/a%20b"
        );
        assert_eq!(n(" http://x.io "), "http://x.io/");
        assert_eq!(n("https://x.io/p?q=1#f"), "https://x.io/p?q=1#f");
        assert_eq!(n(&n("HTTP://X.io/é")), n("HTTP://X.io/é"), "idempotent");
    }

    #[test]
    fn control_characters_and_other_schemes_are_refused() {
        for bad in [
            "https://x.io/\r\nSet-Cookie: a",
            "https://x.io/\t",
            "https://x.io/\0",
            "https://x.io/\u{7f}",
            "https://x.io/\u{9b}",
            "javascript:alert(1)",
            "mailto:a@x.io",
            "file:///etc/passwd",
            "https://",
            "//x.io/a",
            "/a",
            "",
        ] {
            assert!(normalise_web(bad).is_err(), "{bad:?}");
        }
        let long = format!("https://x.io/{}", "a".repeat(MAX_URL_CHARS));
        assert!(normalise_web(&long).unwrap_err().contains("too long"));
    }

    #[test]
    fn templates_keep_their_placeholders() {
        assert_eq!(
            normalise_template(
                "https://X.io/s/{flow_id}?u={flow_url}&x={other}",
                &["flow_id", "flow_url"]
            )
            .unwrap(),
            "https://x.io/s/{flow_id}?u={flow_url}&x={other}"
        );
        assert_eq!(
            normalise_template("https://x.io/{other}", &["flow_id"]).unwrap(),
            "https://x.io/%7Bother%7D"
        );
    }

    #[test]
    fn redirect_uris_match_as_written_or_normalised() {
        let mut errors = FieldErrors::new();
        let stored = check_redirect(&mut errors, "r", "HTTPS://App.io:443/cb").unwrap();
        assert_eq!(stored, "https://app.io/cb");
        assert!(same_redirect_uri("HTTPS://App.io:443/cb", &stored));
        assert!(same_redirect_uri("https://app.io/cb", &stored));
        assert!(!same_redirect_uri("https://app.io/cb/", &stored));
        assert!(!same_redirect_uri("https://app.io/cb\n", &stored));
        assert_eq!(check_redirect(&mut errors, "r", OOB).unwrap(), OOB);
        assert!(check_redirect(&mut errors, "r", "urn:x").is_none());
        assert_eq!(errors["r"], [NOT_WEB]);
        assert!(same_redirect_uri(OOB, OOB));
    }
}
