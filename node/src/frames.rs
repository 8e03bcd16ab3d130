//! Wire frames on async byte streams (a QUIC stream in production).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wuye_protocol::wire::{self, FrameError, Message, FRAME_HEADER_BYTES};

/// Why a frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameIoError {
    /// The bytes were not a valid frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The stream failed.
    #[error("connection failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes one message as a frame.
pub async fn write_message<W: AsyncWrite + Unpin>(w: &mut W, message: &Message) -> Result<usize, FrameIoError> {
    let frame = wire::encode(message)?;
    w.write_all(&frame).await?;
    Ok(frame.len())
}

/// Memory set aside for a frame before its bytes arrive.
const FIRST_READ_BYTES: usize = 64 * 1024;

/// Reads one message; `Ok(None)` when the stream ended cleanly between frames.
pub async fn read_message<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<(Message, usize)>, FrameIoError> {
    let mut header = [0u8; FRAME_HEADER_BYTES];
    let mut have = 0;
    while have < FRAME_HEADER_BYTES {
        let n = r.read(&mut header[have..]).await?;
        if n == 0 {
            if have == 0 {
                return Ok(None);
            }
            return Err(FrameError::Truncated { have, need: FRAME_HEADER_BYTES }.into());
        }
        have += n;
    }
    let len = wire::decode_len(header)?;
    // The buffer grows as bytes arrive, so a peer that declares a large frame
    // and sends little holds little memory.
    let mut payload = Vec::with_capacity(len.min(FIRST_READ_BYTES));
    let got = (&mut *r).take(len as u64).read_to_end(&mut payload).await?;
    if got < len {
        return Err(FrameError::Truncated { have: FRAME_HEADER_BYTES + got, need: FRAME_HEADER_BYTES + len }.into());
    }
    Ok(Some((wire::decode_payload(&payload)?, FRAME_HEADER_BYTES + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_cross_a_pipe_and_truncation_is_reported() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        write_message(&mut a, &Message::Bye).await.unwrap();
        drop(a);
        assert_eq!(read_message(&mut b).await.unwrap().unwrap().0, Message::Bye);
        assert!(read_message(&mut b).await.unwrap().is_none());

        let (mut a, mut b) = tokio::io::duplex(1024);
        let frame = wire::encode(&Message::Bye).unwrap();
        a.write_all(&frame[..frame.len() - 1]).await.unwrap();
        drop(a);
        assert!(matches!(read_message(&mut b).await, Err(FrameIoError::Frame(FrameError::Truncated { .. }))));
    }
}
