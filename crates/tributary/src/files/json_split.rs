//! The scanner behind streamed JSON uploads: it follows a JSON body's nesting just far enough
//! to find the string at `content.data`, decodes it into a spool file on the way, and copies
//! everything else (that string left empty) for serde_json to parse.

use super::base64_spool::{not_base64, Base64Spool, DECODE_CHARS};
use super::upload::body_too_large;
use crate::error::{ApiError, ApiResult};
use crate::state::FileSettings;
use crate::store::blobs::SpooledFile;
use crate::store::DynBlobStore;

/// Which key of the path to `content.data` a value is under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Content,
    Data,
    Other,
}

#[derive(Debug, Clone, Copy)]
enum Frame {
    Object { expect_key: bool, key: Key },
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Key,
    Value,
    /// The string at `content.data`: decoded, not copied.
    Data,
}

#[derive(Debug, Clone, Copy)]
enum Escape {
    No,
    Backslash,
    Unicode { left: u8, value: u32 },
}

#[derive(Debug, Clone, Copy)]
enum Lex {
    Between,
    InString { role: Role, escape: Escape },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataState {
    Before,
    Open,
    Closed,
}

/// Longest key worth remembering: `content`.
const KEY_BYTES: usize = 7;

/// Splits a streamed JSON body into its `content.data` string, decoded into a spool file,
/// and the rest. It checks only what it needs; serde_json judges the rest.
pub(super) struct DataSplitter {
    rest: Vec<u8>,
    limits: FileSettings,
    stack: Vec<Frame>,
    lex: Lex,
    key: Vec<u8>,
    /// The key being read has no escapes and fits [`KEY_BYTES`].
    key_plain: bool,
    data: Base64Spool,
    data_state: DataState,
}

impl DataSplitter {
    pub(super) async fn create(blobs: &DynBlobStore, limits: &FileSettings) -> ApiResult<Self> {
        Ok(DataSplitter {
            rest: Vec::new(),
            limits: limits.clone(),
            stack: Vec::new(),
            lex: Lex::Between,
            key: Vec::with_capacity(KEY_BYTES),
            key_plain: true,
            data: Base64Spool::create(blobs, limits.max_upload_bytes).await?,
            data_state: DataState::Before,
        })
    }

    pub(super) async fn feed(&mut self, mut chunk: &[u8]) -> ApiResult<()> {
        while !chunk.is_empty() {
            if let Lex::InString {
                role: Role::Data,
                escape: Escape::No,
            } = self.lex
            {
                // The bulk of an upload: plain base64 up to the next quote or escape.
                let end = chunk
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                    .unwrap_or(chunk.len());
                self.data.take(&chunk[..end])?;
                chunk = &chunk[end..];
                if chunk.is_empty() {
                    break;
                }
            }
            self.step(chunk[0])?;
            chunk = &chunk[1..];
        }
        if self.data.text.len() >= DECODE_CHARS {
            self.data.flush(false).await?;
        }
        Ok(())
    }

    /// The rest of the body, and the file when there was a string at `content.data`.
    pub(super) async fn finish(self) -> ApiResult<(Vec<u8>, Option<SpooledFile>)> {
        let spooled = match self.data_state {
            DataState::Closed => Some(self.data.finish().await?),
            _ => None,
        };
        Ok((self.rest, spooled))
    }

    fn copy(&mut self, b: u8) -> ApiResult<()> {
        if self.rest.len() >= self.limits.max_body_bytes {
            return Err(body_too_large(&self.limits));
        }
        self.rest.push(b);
        Ok(())
    }

    fn step(&mut self, b: u8) -> ApiResult<()> {
        match self.lex {
            Lex::InString {
                role: Role::Data,
                escape,
            } => self.data_byte(b, escape),
            Lex::InString { role, escape } => {
                self.copy(b)?;
                let escape = match escape {
                    Escape::No if b == b'"' => {
                        self.end_string(role);
                        return Ok(());
                    }
                    Escape::No if b == b'\\' => {
                        self.key_plain = false;
                        Escape::Backslash
                    }
                    Escape::No => {
                        if role == Role::Key {
                            self.key_byte(b);
                        }
                        Escape::No
                    }
                    // The byte after a backslash; the hex digits of `\u` are never quotes.
                    _ => Escape::No,
                };
                self.lex = Lex::InString { role, escape };
                Ok(())
            }
            Lex::Between => {
                self.copy(b)?;
                match b {
                    b'"' => self.start_string()?,
                    b'{' => self.stack.push(Frame::Object {
                        expect_key: true,
                        key: Key::Other,
                    }),
                    b'[' => self.stack.push(Frame::Array),
                    b'}' | b']' => {
                        self.stack.pop();
                    }
                    b',' => {
                        if let Some(Frame::Object { expect_key, .. }) = self.stack.last_mut() {
                            *expect_key = true;
                        }
                    }
                    _ => {}
                }
                Ok(())
            }
        }
    }

    fn start_string(&mut self) -> ApiResult<()> {
        let role = match self.stack.last() {
            Some(Frame::Object {
                expect_key: true, ..
            }) => {
                self.key.clear();
                self.key_plain = true;
                Role::Key
            }
            Some(Frame::Object { key: Key::Data, .. }) => {
                if self.data_state != DataState::Before {
                    return Err(ApiError::field("content.data", "must appear once"));
                }
                self.data_state = DataState::Open;
                Role::Data
            }
            _ => Role::Value,
        };
        self.lex = Lex::InString {
            role,
            escape: Escape::No,
        };
        Ok(())
    }

    fn key_byte(&mut self, b: u8) {
        if self.key.len() < KEY_BYTES {
            self.key.push(b);
        } else {
            self.key_plain = false;
        }
    }

    fn end_string(&mut self, role: Role) {
        self.lex = Lex::Between;
        if role != Role::Key {
            return;
        }
        let depth = self.stack.len();
        let in_content = matches!(
            self.stack.first(),
            Some(Frame::Object {
                key: Key::Content,
                ..
            })
        );
        let key = match (depth, self.key_plain, self.key.as_slice()) {
            (1, true, b"content") => Key::Content,
            (2, true, b"data") if in_content => Key::Data,
            _ => Key::Other,
        };
        if let Some(Frame::Object { expect_key, key: k }) = self.stack.last_mut() {
            *expect_key = false;
            *k = key;
        }
    }

    /// One byte of the `content.data` string that is not plain base64 text: its end, an
    /// escape, or a part of one. Escapes decode as serde_json would decode them.
    fn data_byte(&mut self, b: u8, escape: Escape) -> ApiResult<()> {
        let invalid = || ApiError::BadRequest("Invalid JSON: a bad string in content.data".into());
        let next = match escape {
            Escape::No => match b {
                b'"' => {
                    self.copy(b)?;
                    self.data_state = DataState::Closed;
                    self.lex = Lex::Between;
                    return Ok(());
                }
                b'\\' => Escape::Backslash,
                _ if b < 0x20 => return Err(invalid()),
                _ => {
                    self.data.take(&[b])?;
                    Escape::No
                }
            },
            Escape::Backslash => match b {
                // Whitespace, which base64 skips.
                b'n' | b'r' | b't' | b'f' => Escape::No,
                b'/' => {
                    self.data.take(b"/")?;
                    Escape::No
                }
                b'u' => Escape::Unicode { left: 4, value: 0 },
                b'"' | b'\\' | b'b' => return Err(not_base64()),
                _ => return Err(invalid()),
            },
            Escape::Unicode { left, value } => {
                let digit = char::from(b).to_digit(16).ok_or_else(invalid)?;
                let value = value * 16 + digit;
                if left > 1 {
                    Escape::Unicode {
                        left: left - 1,
                        value,
                    }
                } else {
                    match u8::try_from(value) {
                        Ok(c) if c.is_ascii() => self.data.take(&[c])?,
                        _ => return Err(not_base64()),
                    }
                    Escape::No
                }
            }
        };
        self.lex = Lex::InString {
            role: Role::Data,
            escape: next,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::base64_spool::BASE64;
    use base64::Engine;

    fn blobs(dir: &std::path::Path) -> DynBlobStore {
        std::sync::Arc::new(crate::store::blobs::FsBlobStore::open(dir).unwrap())
    }

    fn limits() -> FileSettings {
        FileSettings::new(1 << 20, 4096, 4)
    }

    /// Splits `body` fed in pieces of `piece` bytes: the rest, and the decoded file.
    async fn split(body: &[u8], piece: usize) -> ApiResult<(String, Option<Vec<u8>>)> {
        let dir = tempfile::tempdir().unwrap();
        let mut s = DataSplitter::create(&blobs(dir.path()), &limits()).await?;
        for c in body.chunks(piece) {
            s.feed(c).await?;
        }
        let (rest, file) = s.finish().await?;
        let file = file.map(|f| std::fs::read(f.path()).unwrap());
        Ok((String::from_utf8(rest).unwrap(), file))
    }

    #[tokio::test]
    async fn the_data_string_is_decoded_and_left_empty_in_the_rest() {
        let file: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let b64 = BASE64.encode(&file);
        let body = format!(
            r#"{{"event":"file","tags":["a","b"],"content":{{"file_name":"x\"y","data":"{b64}","n":[{{"data":"no"}}]}},"data":"top"}}"#
        );
        for piece in [1, 3, 7, 4096, body.len()] {
            let (rest, got) = split(body.as_bytes(), piece).await.unwrap();
            assert_eq!(
                rest,
                r#"{"event":"file","tags":["a","b"],"content":{"file_name":"x\"y","data":"","n":[{"data":"no"}]},"data":"top"}"#
            );
            assert_eq!(got.as_deref(), Some(file.as_slice()), "piece {piece}");
        }
    }

    #[tokio::test]
    async fn escapes_whitespace_and_padding_decode_as_a_whole_string_would() {
        let cases: &[(&str, &[u8])] = &[
            (r#"aGVsbG8g\nd29ybGQ=\n"#, b"hello world"),
            (r#"aGVsbG8gd29ybGQ"#, b"hello world"),
            (r#" a G V s\r\n\tbG8 "#, b"hello"),
            (r#"\u0061GVsbG8\u003d"#, b"hello"),
            (r#"\/\/8="#, &[0xff, 0xff]),
            (r#""#, b""),
        ];
        for (data, want) in cases {
            let body = format!(r#"{{"content":{{"data":"{data}"}}}}"#);
            let (_, got) = split(body.as_bytes(), 2).await.unwrap();
            assert_eq!(got.as_deref(), Some(*want), "{data}");
        }
        for bad in [r#"aGk=aGk="#, r#"aG\"k"#, r#"a\u00e9GV"#] {
            let body = format!(r#"{{"content":{{"data":"{bad}"}}}}"#);
            match split(body.as_bytes(), 3).await {
                Err(ApiError::Validation(e)) => assert!(e.contains_key("content.data"), "{bad}"),
                other => panic!("{bad}: {:?}", other.map(|r| r.0)),
            }
        }
    }

    #[tokio::test]
    async fn only_the_plain_content_data_path_streams() {
        for body in [
            r#"{"data":"aGk="}"#,
            r#"{"content":"aGk="}"#,
            r#"{"other":{"data":"aGk="}}"#,
            r#"{"content":{"d\u0061ta":"aGk="}}"#,
            r#"[{"content":{"data":"aGk="}}]"#,
            r#"{"content":{"x":{"data":"aGk="}}}"#,
        ] {
            let (rest, got) = split(body.as_bytes(), 5).await.unwrap();
            assert_eq!(rest, body);
            assert!(got.is_none(), "{body}");
        }
        let twice = r#"{"content":{"data":"aGk=","data":"aGk="}}"#;
        assert!(split(twice.as_bytes(), 5).await.is_err());
    }

    #[tokio::test]
    async fn the_rest_keeps_to_the_body_limit() {
        let long_field = format!(
            r#"{{"title":"{}","content":{{"data":""}}}}"#,
            "t".repeat(5000)
        );
        assert!(matches!(
            split(long_field.as_bytes(), 512).await,
            Err(ApiError::PayloadTooLarge(_))
        ));
    }
}
