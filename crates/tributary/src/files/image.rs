//! Image dimensions from the first bytes of PNG, GIF, JPEG and WebP files, for the
//! `image: {width, height}` of an attachment. Only headers are read: nothing is decoded.

/// The image's width and height, when `head` starts a PNG, GIF, JPEG or WebP file whose
/// header says so.
pub fn dimensions(head: &[u8]) -> Option<(u32, u32)> {
    let dims = png(head)
        .or_else(|| gif(head))
        .or_else(|| jpeg(head))
        .or_else(|| webp(head))?;
    (dims.0 > 0 && dims.1 > 0).then_some(dims)
}

/// Fits `(w, h)` into a `max` by `max` box, keeping the aspect ratio and never enlarging.
pub fn fit(w: u32, h: u32, max: u32) -> (u32, u32) {
    if w <= max && h <= max {
        return (w, h);
    }
    let (w64, h64, m) = (u64::from(w), u64::from(h), u64::from(max));
    // Rounded to the nearest pixel, as Flowdock's 1920x1087 became a 100x57 thumbnail.
    if w >= h {
        (max, ((h64 * m + w64 / 2) / w64).max(1) as u32)
    } else {
        (((w64 * m + h64 / 2) / h64).max(1) as u32, max)
    }
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn png(b: &[u8]) -> Option<(u32, u32)> {
    if !b.starts_with(b"\x89PNG\r\n\x1a\n") || b.get(12..16)? != b"IHDR" {
        return None;
    }
    Some((be32(b, 16)?, be32(b, 20)?))
}

fn gif(b: &[u8]) -> Option<(u32, u32)> {
    if !(b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")) {
        return None;
    }
    Some((le16(b, 6)?, le16(b, 8)?))
}

fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    if !b.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut i = 2;
    loop {
        // Skip fill bytes, then read the marker.
        while *b.get(i)? == 0xff && *b.get(i + 1)? == 0xff {
            i += 1;
        }
        if *b.get(i)? != 0xff {
            return None;
        }
        let marker = *b.get(i + 1)?;
        let len = be16(b, i + 2)? as usize;
        // Start-of-frame markers, except DHT (c4), JPG (c8) and DAC (cc).
        if (0xc0..=0xcf).contains(&marker) && !matches!(marker, 0xc4 | 0xc8 | 0xcc) {
            return Some((be16(b, i + 7)?, be16(b, i + 5)?));
        }
        if len < 2 {
            return None;
        }
        i += 2 + len;
    }
}

fn webp(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(0..4)? != b"RIFF" || b.get(8..12)? != b"WEBP" {
        return None;
    }
    match b.get(12..16)? {
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        b"VP8L" => {
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8 " => Some((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1x1 PNG, the smallest real image.
    pub(super) const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ];

    #[test]
    fn reads_headers() {
        assert_eq!(dimensions(PNG_1X1), Some((1, 1)));
        assert_eq!(dimensions(b"GIF89a\x20\x03\x58\x02rest"), Some((800, 600)));
        let jpeg = [
            0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 17, 8, 0x01, 0xe0, 0x02, 0x80,
        ];
        assert_eq!(dimensions(&jpeg), Some((640, 480)));
        assert_eq!(
            dimensions(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(dimensions(&jpeg[..10]), None);
    }

    #[test]
    fn fits_into_a_box() {
        assert_eq!(fit(1920, 1087, 100), (100, 57));
        assert_eq!(fit(50, 400, 100), (13, 100));
        assert_eq!(fit(10, 10, 100), (10, 10));
    }
}
