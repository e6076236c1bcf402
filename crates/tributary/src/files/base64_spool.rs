//! Base64 text decoded into a spool file as it arrives, for JSON uploads.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use super::upload::{file_too_large, spool_error};
use crate::error::{ApiError, ApiResult};
use crate::store::blobs::{Spool, SpooledFile};
use crate::store::DynBlobStore;

/// Base64 as clients send it: padded or not, whitespace (line breaks) skipped.
pub(super) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Base64 characters decoded at a time (a multiple of 4).
pub(super) const DECODE_CHARS: usize = 64 * 1024;

pub(super) fn not_base64() -> ApiError {
    ApiError::field("content.data", "must be base64")
}

/// Base64 text arriving in pieces, decoded into a spool file. It accepts what decoding the
/// whole text at once accepts: whitespace anywhere, padding or none, but only at the end.
pub(super) struct Base64Spool {
    spool: Spool,
    pub(super) text: Vec<u8>,
    decoded: Vec<u8>,
    padding: u8,
    max: u64,
}

impl Base64Spool {
    pub(super) async fn create(blobs: &DynBlobStore, max: u64) -> ApiResult<Base64Spool> {
        Ok(Base64Spool {
            spool: Spool::create(blobs.spool_dir())
                .await
                .map_err(spool_error)?,
            text: Vec::new(),
            decoded: Vec::new(),
            padding: 0,
            max,
        })
    }

    /// Takes more text, to be decoded by [`Self::flush`].
    pub(super) fn take(&mut self, text: &[u8]) -> ApiResult<()> {
        for &b in text {
            if b.is_ascii_whitespace() {
                continue;
            }
            if b == b'=' {
                self.padding += 1;
                if self.padding > 2 {
                    return Err(not_base64());
                }
            } else if self.padding > 0 {
                return Err(not_base64());
            }
            self.text.push(b);
        }
        Ok(())
    }

    /// Decodes what was taken into the spool file: everything at the `end`, otherwise whole
    /// quanta of four characters while no padding has come.
    pub(super) async fn flush(&mut self, end: bool) -> ApiResult<()> {
        let n = match (end, self.padding) {
            (true, _) => self.text.len(),
            (false, 0) => self.text.len() / 4 * 4,
            (false, _) => 0,
        };
        if n == 0 && !end {
            return Ok(());
        }
        self.decoded.clear();
        BASE64
            .decode_vec(&self.text[..n], &mut self.decoded)
            .map_err(|_| not_base64())?;
        if self.spool.size() + self.decoded.len() as u64 > self.max {
            return Err(file_too_large("content", self.max));
        }
        self.spool.write(&self.decoded).await.map_err(spool_error)?;
        self.text.drain(..n);
        Ok(())
    }

    pub(super) async fn finish(mut self) -> ApiResult<SpooledFile> {
        self.flush(true).await?;
        self.spool.finish().await.map_err(spool_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `text` taken in pieces of `piece` bytes, flushing as a streamed upload does.
    async fn decode(text: &[u8], piece: usize, max: u64) -> ApiResult<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let blobs: DynBlobStore =
            std::sync::Arc::new(crate::store::blobs::FsBlobStore::open(dir.path()).unwrap());
        let mut b = Base64Spool::create(&blobs, max).await?;
        for p in text.chunks(piece) {
            b.take(p)?;
            b.flush(false).await?;
        }
        let spooled = b.finish().await?;
        Ok(std::fs::read(spooled.path()).unwrap())
    }

    #[tokio::test]
    async fn pieces_decode_as_the_whole_text_would() {
        let file: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
        let text = BASE64.encode(&file);
        for piece in [1, 2, 3, 5, 4096] {
            assert_eq!(decode(text.as_bytes(), piece, 1 << 20).await.unwrap(), file);
        }
        assert_eq!(decode(b"aGk", 1, 10).await.unwrap(), b"hi");
        assert_eq!(decode(b"aG\nk=\n", 2, 10).await.unwrap(), b"hi");
        for bad in ["aGk=aGk=", "aGk===", "a", "%%%%", "aGk=\n="] {
            // Refused as decoding the whole text (without its whitespace) refuses it.
            let compact: Vec<u8> = bad.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            assert!(BASE64.decode(&compact).is_err(), "{bad}");
            assert!(decode(bad.as_bytes(), 1, 10).await.is_err(), "{bad}");
        }
        match decode(text.as_bytes(), 7, 4999).await {
            Err(ApiError::PayloadTooLarge(m)) => assert!(m.contains("4999"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
