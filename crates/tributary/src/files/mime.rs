//! Content types of uploads: what a client said, checked, or else guessed from the file name,
//! and which types a browser may show inline.

/// Raster image types a browser renders without running anything. SVG is deliberately not
/// here: it is a document that can carry script.
pub const INLINE_IMAGES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

pub const OCTET_STREAM: &str = "application/octet-stream";

/// Longest accepted content type.
const MAX_CHARS: usize = 127;

/// The content type to store: the client's, when it is a well-formed `type/subtype`
/// (parameters such as `charset` are kept), else a guess from the file name's extension.
/// Lower-cased, so comparisons and the `Content-Type` header are predictable.
pub fn content_type(given: Option<&str>, file_name: &str) -> String {
    match given.map(str::trim).filter(|t| well_formed(t)) {
        Some(t) if !t.eq_ignore_ascii_case(OCTET_STREAM) => t.to_ascii_lowercase(),
        _ => guess(file_name).to_owned(),
    }
}

/// Whether a file of this type is shown inline rather than downloaded.
pub fn is_inline_image(content_type: &str) -> bool {
    INLINE_IMAGES.contains(&essence(content_type))
}

/// `type/subtype` without parameters.
pub fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

fn token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+'
                )
        })
}

fn well_formed(t: &str) -> bool {
    if t.len() > MAX_CHARS || !t.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return false;
    }
    let mut parts = t.split(';');
    let Some((ty, sub)) = parts.next().and_then(|e| e.trim().split_once('/')) else {
        return false;
    };
    token(ty)
        && token(sub)
        && parts.all(|p| {
            p.trim()
                .split_once('=')
                .is_some_and(|(k, v)| token(k.trim()) && !v.trim().is_empty())
        })
}

/// The usual type of a file name's extension.
pub fn guess(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "bmp" => "image/bmp",
        "ico" => "image/vnd.microsoft.icon",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        _ => OCTET_STREAM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_types_are_checked_and_missing_ones_guessed() {
        assert_eq!(content_type(Some("Image/PNG"), "x"), "image/png");
        assert_eq!(
            content_type(Some("text/plain; charset=utf-8"), "x"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type(None, "a.SVG"), "image/svg+xml");
        assert_eq!(content_type(Some(OCTET_STREAM), "a.png"), "image/png");
        assert_eq!(content_type(Some("nonsense"), "a.bin"), OCTET_STREAM);
        assert_eq!(
            content_type(Some("text/html\r\nX-Evil: 1"), "a.txt"),
            "text/plain"
        );
    }

    #[test]
    fn only_raster_images_are_inline() {
        assert!(is_inline_image("image/png"));
        assert!(is_inline_image("image/jpeg; x=y"));
        assert!(!is_inline_image("image/svg+xml"));
        assert!(!is_inline_image("text/html"));
    }
}
