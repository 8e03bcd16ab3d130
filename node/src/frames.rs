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
    // The buffer grows as bytes arrive (doubling, but never past the declared
    // length), so a peer that declares a large frame and sends little holds
    // little memory, and a whole frame costs its length and no more.
    let mut payload: Vec<u8> = vec![0; len.min(FIRST_READ_BYTES)];
    let mut got = 0;
    while got < len {
        if got == payload.len() {
            let grow = (len - got).min(got.max(FIRST_READ_BYTES));
            payload.reserve_exact(grow);
            payload.resize(got + grow, 0);
        }
        let n = r.read(&mut payload[got..]).await?;
        if n == 0 {
            return Err(FrameError::Truncated { have: FRAME_HEADER_BYTES + got, need: FRAME_HEADER_BYTES + len }.into());
        }
        got += n;
    }
    Ok(Some((wire::decode_payload(&payload)?, FRAME_HEADER_BYTES + len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_cross_a_pipe_and_truncation_is_reported() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        write_message(
            &mut a,
            &Message::Bye { checkpoint: wuye_protocol::wire::Checkpoint { epoch: 1, nonce: [0; 16] } },
        )
        .await
        .unwrap();
        drop(a);
        assert_eq!(
            read_message(&mut b).await.unwrap().unwrap().0,
            Message::Bye { checkpoint: wuye_protocol::wire::Checkpoint { epoch: 1, nonce: [0; 16] } }
        );
        assert!(read_message(&mut b).await.unwrap().is_none());

        let (mut a, mut b) = tokio::io::duplex(1024);
        let frame =
            wire::encode(&Message::Bye { checkpoint: wuye_protocol::wire::Checkpoint { epoch: 1, nonce: [0; 16] } })
                .unwrap();
        a.write_all(&frame[..frame.len() - 1]).await.unwrap();
        drop(a);
        assert!(matches!(read_message(&mut b).await, Err(FrameIoError::Frame(FrameError::Truncated { .. }))));
    }

    #[tokio::test]
    async fn a_large_frame_arriving_in_small_pieces_is_read_whole() {
        let big = Message::Error { code: wire::ErrorCode::Internal, message: "长".repeat(300_000) };
        let (mut a, mut b) = tokio::io::duplex(1500);
        let sent = big.clone();
        let writer = tokio::spawn(async move { write_message(&mut a, &sent).await.unwrap() });
        let (read, used) = read_message(&mut b).await.unwrap().unwrap();
        assert_eq!(read, big);
        assert_eq!(used, writer.await.unwrap());

        // Declared long, cut short: reported with how much came.
        let (mut a, mut b) = tokio::io::duplex(1500);
        let frame = wire::encode(&big).unwrap();
        let cut = frame[..200_000].to_vec();
        tokio::spawn(async move { a.write_all(&cut).await.unwrap() });
        match read_message(&mut b).await {
            Err(FrameIoError::Frame(FrameError::Truncated { have, need })) => {
                assert_eq!((have, need), (200_000, frame.len()))
            }
            other => panic!("expected a truncation, got {other:?}"),
        }
    }
}
