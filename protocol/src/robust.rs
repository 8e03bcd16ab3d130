//! The checks the fuzz targets (`fuzz/`) run on arbitrary bytes, shared with
//! the regression test that replays every committed input in CI.
//!
//! Each function must return, never panic, whatever the bytes; the only
//! panics here are assertions of properties that must hold for input that
//! decodes (a decoded message encodes back to the same frame).

use crate::wire::{self, FrameError};
use crate::{doc, record};

/// Frame codec: splits `data` into frames; every frame decoded re-encodes to
/// the same bytes, and a stream cut anywhere is reported, not misread.
pub fn frames(data: &[u8]) {
    let mut rest = data;
    while let Ok(Some((message, used))) = wire::decode(rest) {
        let again = wire::encode(&message).expect("a decoded message encodes");
        assert_eq!(wire::decode(&again).expect("re-encoded frame decodes").map(|(m, _)| m), Some(message));
        rest = &rest[used..];
    }
    match wire::decode_all(data) {
        Ok(messages) => assert!(data.is_empty() || !messages.is_empty()),
        Err(FrameError::TooLong(len)) => assert!(len > wire::MAX_FRAME_BYTES),
        Err(FrameError::Truncated { have, need }) => assert!(have < need),
        Err(FrameError::Version(v)) => assert_ne!(v, crate::PROTOCOL_VERSION),
        Err(FrameError::Malformed(_)) => {}
    }
}

/// Message decoding: one payload; what decodes must encode back to a payload
/// that decodes to the same message.
pub fn message(data: &[u8]) {
    if let Ok(message) = wire::decode_payload(data) {
        let frame = wire::encode(&message).expect("a decoded message encodes");
        let again = wire::decode_payload(&frame[wire::FRAME_HEADER_BYTES..]).expect("re-encoded payload decodes");
        assert_eq!(again, message);
    }
}

/// Document validation: bytes that load as an Automerge document are read as
/// a record, which either succeeds or names what is wrong.
pub fn document(data: &[u8]) {
    if data.len() > wire::MAX_DOC_BYTES {
        return;
    }
    let Ok(doc) = doc::load_untrusted(data) else {
        return;
    };
    match record::read(&doc) {
        Ok((header, view)) => {
            assert_eq!(view.id(), header.id);
            assert_eq!(view.kind(), header.kind);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
