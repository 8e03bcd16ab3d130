//! Wire messages, their limits and the frame codec.
//!
//! A frame is a 4-byte big-endian payload length followed by the payload: one
//! [`Message`] encoded with postcard. Every limit is a named constant here.

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::ids::{RecordId, SiteId};

/// Largest frame payload either side accepts.
pub const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;
/// Largest single document (or change set) in a batch.
pub const MAX_DOC_BYTES: usize = 1024 * 1024;
/// Most documents in one push or pull batch.
pub const MAX_BATCH_DOCS: usize = 500;
/// Most document bytes in one batch; a batch stops growing once past this.
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Most heads one document may declare.
pub const MAX_HEADS: usize = 64;
/// Push batches the agent sends ahead of their acknowledgements, so that it
/// reads the next batch while head office applies the last.
pub const PUSH_PIPELINE_DEPTH: usize = 2;
/// Most batches one sync round may exchange before it is cut off.
pub const MAX_BATCHES_PER_ROUND: usize = 10_000;
/// Longest credential token accepted.
pub const MAX_TOKEN_CHARS: usize = 256;
/// A site's credential: 32 random bytes the agent makes, as 64 lowercase hex digits.
pub const CREDENTIAL_HEX_CHARS: usize = 64;
/// Longest enrollment code accepted (codes are 20 characters plus dashes).
pub const MAX_ENROLL_CODE_CHARS: usize = 64;
/// Characters in an enrollment code, not counting the dashes between groups of five.
pub const ENROLL_CODE_CHARS: usize = 20;
/// The alphabet enrollment codes are written in (Crockford's base 32: no I, L, O or U).
pub const ENROLL_CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// An enrollment code as typed by a person, put in its one canonical form
/// (`XXXXX-XXXXX-XXXXX-XXXXX`): case, spaces and dashes do not matter, and
/// the letters O, I and L read as the digits they look like. `None` if it
/// cannot be a code.
pub fn normalize_enroll_code(text: &str) -> Option<String> {
    let mut chars = Vec::with_capacity(ENROLL_CODE_CHARS);
    for c in text.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ENROLL_CODE_ALPHABET.contains(&(c as u8)) || chars.len() == ENROLL_CODE_CHARS {
            return None;
        }
        chars.push(c);
    }
    if chars.len() != ENROLL_CODE_CHARS {
        return None;
    }
    let groups: Vec<String> = chars.chunks(5).map(|g| g.iter().collect()).collect();
    Some(groups.join("-"))
}

/// The ALPN protocol name both sides require.
pub const ALPN: &[u8] = b"wuye/1";

/// The length prefix of a frame.
pub const FRAME_HEADER_BYTES: usize = 4;

/// A sync position: the sender's local update counter.
pub type Seq = u64;

/// One Automerge change hash on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hash(pub [u8; 32]);

impl From<ChangeHash> for Hash {
    fn from(h: ChangeHash) -> Self {
        Hash(h.0)
    }
}

impl From<Hash> for ChangeHash {
    fn from(h: Hash) -> Self {
        ChangeHash(h.0)
    }
}

/// A document's heads, sorted.
pub type Heads = Vec<Hash>;

/// Converts Automerge heads to wire heads, sorted.
pub fn heads_to_wire(heads: &[ChangeHash]) -> Heads {
    let mut out: Heads = heads.iter().copied().map(Hash::from).collect();
    out.sort();
    out
}

/// Converts wire heads back to Automerge heads.
pub fn heads_from_wire(heads: &[Hash]) -> Vec<ChangeHash> {
    heads.iter().copied().map(ChangeHash::from).collect()
}

/// Packs heads into the bytes stored in a database column.
pub fn heads_to_blob(heads: &[Hash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Unpacks heads stored by [`heads_to_blob`]; `None` if the blob is damaged.
pub fn heads_from_blob(blob: &[u8]) -> Option<Heads> {
    if !blob.len().is_multiple_of(32) {
        return None;
    }
    Some(
        blob.chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                Hash(h)
            })
            .collect(),
    )
}

/// One document's changes in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocPayload {
    /// The record.
    pub id: RecordId,
    /// What kind of record it is, by its stored name: a kind this build does
    /// not know (made by a newer release) is still carried, kept and passed on.
    pub kind: String,
    /// Whether `bytes` is a whole saved document rather than the changes after the receiver's heads.
    pub full: bool,
    /// Automerge bytes: a `save()` or a `save_after(heads)`.
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
    /// The sender's heads once these changes are applied.
    pub heads: Heads,
}

/// The receiver now holds these heads of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadsAck {
    /// The record.
    pub id: RecordId,
    /// Heads both sides now hold.
    pub heads: Heads,
}

/// What two sides agreed on at the end of their last completed round: while
/// both still hold it, each side's memory of the other (cursors, the heads
/// the other holds) is true. A side restored from an older copy, or a copied
/// folder, presents an older or another one, and the round reconciles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Counts the rounds completed between the two sides.
    pub epoch: u64,
    /// Random, so that two histories that reached the same epoch differ.
    pub nonce: [u8; 16],
}

impl Checkpoint {
    /// A side's checkpoint once its memory of the other changed after the
    /// last completed round (a round cut short): its epoch, and no nonce.
    /// It never equals a checkpoint a completed round made.
    pub const fn changed_since(epoch: u64) -> Self {
        Self { epoch, nonce: [0; 16] }
    }

    /// Whether it still describes both sides' memory of each other.
    pub fn is_current(&self) -> bool {
        self.nonce != [0; 16]
    }
}

/// A document's id and a digest of the heads a side holds of it (see [`heads_digest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The record.
    pub id: RecordId,
    /// The digest of its heads.
    pub heads: u64,
}

/// A 64-bit digest of a set of heads (sorted change hashes): two sides that
/// hold the same heads compute the same digest. Heads are SHA-256 hashes, so
/// their first bytes are already uniform; they are folded in order.
pub fn heads_digest(heads: &[Hash]) -> u64 {
    let mut sorted: Vec<&Hash> = heads.iter().collect();
    sorted.sort();
    sorted.iter().fold(0xcbf2_9ce4_8422_2325u64, |acc, h| {
        let word = u64::from_le_bytes(h.0[..8].try_into().expect("a hash has 32 bytes"));
        (acc ^ word).wrapping_mul(0x0100_0000_01b3).rotate_left(29)
    })
}

/// Most digests one Reconcile message may carry.
pub const MAX_RECONCILE_DIGESTS: usize = 20_000;
/// Longest instance name an agent may present.
pub const MAX_INSTANCE_CHARS: usize = 64;

/// A document the receiver would not take, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The record.
    pub id: RecordId,
    /// Why, in words that name the field.
    pub reason: String,
}

/// Why a peer ended a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The two sides speak different protocol versions.
    VersionMismatch,
    /// The site id or token was refused.
    Unauthorized,
    /// A message broke a limit.
    LimitExceeded,
    /// A message arrived that the session did not expect.
    Protocol,
    /// The peer failed internally (its storage, say); try again later.
    Internal,
}

/// Everything agent and server say to each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// Agent → server: who I am.
    Hello {
        /// The agent's [`crate::PROTOCOL_VERSION`].
        protocol_version: u32,
        /// The site the agent serves.
        site_id: SiteId,
        /// The site's secret credential.
        token: String,
        /// The agent's clock when it sent this (milliseconds since 1970, UTC),
        /// so head office can tell a site whose clock is wrong.
        sent_at_ms: i64,
        /// The checkpoint of the last round this agent completed, if any.
        checkpoint: Option<Checkpoint>,
        /// Which copy of the site's folder this is (a digest of the PC's name
        /// and the folder's path): a copy elsewhere presents another.
        instance: String,
    },
    /// Server → agent: accepted; here is how far your updates have reached me.
    Welcome {
        /// The site's name at head office.
        site_name: String,
        /// The highest agent sequence number the server has committed.
        push_cursor: Seq,
        /// Head office's clock when it answered (milliseconds since 1970, UTC).
        server_time_ms: i64,
        /// The fingerprint of the certificate head office will move to
        /// (`wuye-server cert rotate`), for the agent to accept beside the current one.
        next_fingerprint: Option<String>,
        /// The checkpoints differ: reconcile (send [`Message::Reconcile`]) before pushing.
        reconcile: bool,
    },
    /// Agent → server: documents changed since `push_cursor`.
    Push {
        /// The changes.
        docs: Vec<DocPayload>,
        /// The highest agent sequence number this batch covers.
        upto: Seq,
    },
    /// Server → agent: the push batch is committed.
    PushAck {
        /// The sequence number now committed.
        upto: Seq,
        /// Documents whose base the server lacks: send them whole.
        need_full: Vec<RecordId>,
        /// Documents the server refused.
        refused: Vec<Refusal>,
    },
    /// Agent → server: send what changed after `cursor`; I now hold `applied`.
    Pull {
        /// The highest server sequence number the agent has committed.
        cursor: Seq,
        /// Heads the agent now holds, from the previous batch.
        applied: Vec<HeadsAck>,
        /// Documents the agent could not apply incrementally: send them whole.
        need_full: Vec<RecordId>,
    },
    /// Server → agent: changed documents.
    PullBatch {
        /// The changes.
        docs: Vec<DocPayload>,
        /// The highest server sequence number this batch covers.
        upto: Seq,
        /// Whether more batches follow.
        more: bool,
    },
    /// Agent → server, when Welcome asks: the digests of the heads the agent
    /// holds of its documents, in id order, a batch at a time.
    Reconcile {
        /// The digests.
        digests: Vec<Digest>,
    },
    /// Server → agent: which of the batch's documents head office holds with
    /// the same heads (one bit each, in order, least significant bit first).
    ReconcileAck {
        /// The bits.
        #[serde(with = "serde_bytes")]
        same: Vec<u8>,
    },
    /// Agent → server: the round is complete; I hold `applied`.
    Done {
        /// Heads the agent now holds, from the last batch.
        applied: Vec<HeadsAck>,
    },
    /// Server → agent: acknowledged; the round is over, and this is the
    /// checkpoint both sides keep until the next.
    Bye {
        /// The new checkpoint.
        checkpoint: Checkpoint,
    },
    /// Either side: the session ends because of this.
    Error {
        /// What kind of failure.
        code: ErrorCode,
        /// What happened and what to do, for people.
        message: String,
    },
    /// Agent → server, instead of Hello on the site's first connection: the
    /// one-time enrollment code head office issued, and the credential the
    /// agent made for itself. Accepted, it is answered like Hello (Welcome),
    /// and from then on the agent says Hello with that credential.
    Enroll {
        /// The agent's [`crate::PROTOCOL_VERSION`].
        protocol_version: u32,
        /// The site the agent serves.
        site_id: SiteId,
        /// The enrollment code `wuye-server site add` (or `site rotate`) printed.
        code: String,
        /// The new credential: [`CREDENTIAL_HEX_CHARS`] hex digits.
        credential: String,
        /// The agent's clock when it sent this, as in Hello.
        sent_at_ms: i64,
        /// Which copy of the site's folder this is, as in Hello.
        instance: String,
    },
    /// Agent → server (protocol 5), in place of Done: the round is complete,
    /// and this is how the agent stands. Site PCs sit behind NAT where
    /// nothing can ask them, so each tells head office with every round.
    /// (Added last, so that the messages before it encode as protocol 4's.)
    Finish {
        /// Heads the agent now holds, from the last batch.
        applied: Vec<HeadsAck>,
        /// How the agent stands.
        health: Health,
    },
}

/// How a site's agent stands, as it reports it at the end of a round.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Health {
    /// The agent's version (`wuye-agent --version`).
    pub version: String,
    /// Free space on the disk holding the site's data, in bytes, when known.
    pub disk_free_bytes: Option<u64>,
    /// Records changed at the site not yet confirmed by head office, after the round.
    pub records_waiting: u64,
    /// The last sync error the agent met (empty when none since its last completed round).
    pub last_error: String,
}

/// Longest [`Health::version`], in characters.
pub const MAX_HEALTH_VERSION_CHARS: usize = 64;
/// Longest [`Health::last_error`], in characters.
pub const MAX_HEALTH_ERROR_CHARS: usize = 1_000;

/// Length of a certificate fingerprint in a Welcome (64 hex digits).
pub const FINGERPRINT_HEX_CHARS: usize = 64;

/// Whether `text` is exactly `len` hex digits (a credential, a fingerprint).
pub fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why bytes could not be read as a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The declared length is over [`MAX_FRAME_BYTES`].
    #[error("frame of {0} bytes is over the {MAX_FRAME_BYTES}-byte limit")]
    TooLong(usize),
    /// The stream ended inside a frame.
    #[error("the stream ended inside a frame ({have} of {need} bytes)")]
    Truncated {
        /// Bytes received.
        have: usize,
        /// Bytes the frame needed.
        need: usize,
    },
    /// The payload is not a message.
    #[error("undecodable message: {0}")]
    Malformed(String),
    /// An opening message of another protocol version.
    #[error(
        "protocol version {0} is not supported: this side speaks version {current}; upgrade the older side",
        current = crate::PROTOCOL_VERSION
    )]
    Version(u32),
}

/// Encodes a message as one frame.
pub fn encode(message: &Message) -> Result<Vec<u8>, FrameError> {
    let mut out = postcard::to_extend(message, vec![0u8; FRAME_HEADER_BYTES])
        .map_err(|e| FrameError::Malformed(e.to_string()))?;
    let len = out.len() - FRAME_HEADER_BYTES;
    if len > MAX_FRAME_BYTES {
        return Err(FrameError::TooLong(len));
    }
    out[..FRAME_HEADER_BYTES].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(out)
}

/// Reads a frame's length prefix and checks it against the limit.
pub fn decode_len(header: [u8; FRAME_HEADER_BYTES]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_FRAME_BYTES {
        return Err(FrameError::TooLong(len));
    }
    Ok(len)
}

/// Decodes a frame's payload.
pub fn decode_payload(payload: &[u8]) -> Result<Message, FrameError> {
    postcard::from_bytes(payload).map_err(|e| match opening_version(payload) {
        Some(version) if version != crate::PROTOCOL_VERSION => FrameError::Version(version),
        _ => FrameError::Malformed(e.to_string()),
    })
}

/// The protocol version an opening message (Hello or Enroll) declares, read
/// from its first bytes alone: both begin with it in every version, so a peer
/// of another version is told so even when the rest of its message has
/// another layout.
fn opening_version(payload: &[u8]) -> Option<u32> {
    fn varint(bytes: &mut impl Iterator<Item = u8>) -> Option<u32> {
        let mut value: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = bytes.next()?;
            value |= u32::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    /// Variant indices of Hello and Enroll in [`Message`], as postcard writes them.
    const OPENINGS: [u32; 2] = [0, 9];
    let mut bytes = payload.iter().copied();
    let variant = varint(&mut bytes)?;
    OPENINGS.contains(&variant).then(|| varint(&mut bytes)).flatten()
}

/// Decodes the first frame in `buf`: `Ok(None)` if more bytes are needed,
/// otherwise the message and the bytes it used.
pub fn decode(buf: &[u8]) -> Result<Option<(Message, usize)>, FrameError> {
    let Some(header) = buf.get(..FRAME_HEADER_BYTES) else {
        return Ok(None);
    };
    let len = decode_len(header.try_into().expect("slice of header length"))?;
    let Some(payload) = buf.get(FRAME_HEADER_BYTES..FRAME_HEADER_BYTES + len) else {
        return Ok(None);
    };
    Ok(Some((decode_payload(payload)?, FRAME_HEADER_BYTES + len)))
}

/// Decodes a buffer that must hold exactly whole frames (the stream has ended).
pub fn decode_all(mut buf: &[u8]) -> Result<Vec<Message>, FrameError> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        match decode(buf)? {
            Some((message, used)) => {
                out.push(message);
                buf = &buf[used..];
            }
            None => {
                let need = buf
                    .get(..FRAME_HEADER_BYTES)
                    .map(|h| FRAME_HEADER_BYTES + u32::from_be_bytes(h.try_into().expect("header")) as usize)
                    .unwrap_or(FRAME_HEADER_BYTES);
                return Err(FrameError::Truncated { have: buf.len(), need });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        Message::Error { code: ErrorCode::Unauthorized, message: "令牌错误".into() }
    }

    #[test]
    fn enrollment_codes_are_read_the_way_people_type_them() {
        let canonical = "0123A-BCDEF-GHJKM-NPQRS";
        assert_eq!(normalize_enroll_code(canonical).as_deref(), Some(canonical));
        assert_eq!(normalize_enroll_code("o123a bcdef ghjkm npqrs").as_deref(), Some(canonical));
        assert_eq!(normalize_enroll_code("0123ABCDEFGHJKMNPQRS").as_deref(), Some(canonical));
        assert_eq!(normalize_enroll_code("i1L1100000000000000O").as_deref(), Some("11111-00000-00000-00000"));
        for bad in ["", "0123A-BCDEF-GHJKM-NPQR", "0123A-BCDEF-GHJKM-NPQRST", "0123A-BCDEF-GHJKM-NPQRU", "登记码"] {
            assert_eq!(normalize_enroll_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_frame_round_trips() {
        let frame = encode(&sample()).unwrap();
        let (message, used) = decode(&frame).unwrap().unwrap();
        assert_eq!(message, sample());
        assert_eq!(used, frame.len());
    }

    #[test]
    fn two_frames_back_to_back_decode_in_order() {
        let mut buf = encode(&sample()).unwrap();
        let bye = Message::Bye { checkpoint: Checkpoint { epoch: 3, nonce: [7; 16] } };
        buf.extend(encode(&bye).unwrap());
        assert_eq!(decode_all(&buf).unwrap(), vec![sample(), bye]);
    }

    #[test]
    fn an_overlong_length_is_refused_before_reading_the_payload() {
        let header = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes();
        assert_eq!(decode(&header), Err(FrameError::TooLong(MAX_FRAME_BYTES + 1)));
        assert_eq!(decode(&u32::MAX.to_be_bytes()), Err(FrameError::TooLong(u32::MAX as usize)));
    }

    #[test]
    fn a_truncated_frame_waits_then_fails_at_end_of_stream() {
        let frame = encode(&sample()).unwrap();
        for cut in 0..frame.len() {
            assert_eq!(decode(&frame[..cut]), Ok(None), "cut at {cut}");
            if cut > 0 {
                assert!(matches!(decode_all(&frame[..cut]), Err(FrameError::Truncated { .. })), "cut at {cut}");
            }
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut rng_state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..512usize {
            let mut payload = Vec::with_capacity(len);
            for _ in 0..len {
                rng_state ^= rng_state << 13;
                rng_state ^= rng_state >> 7;
                rng_state ^= rng_state << 17;
                payload.push(rng_state as u8);
            }
            let mut frame = (len as u32).to_be_bytes().to_vec();
            frame.extend(&payload);
            // Either a message or an error; what matters is that it returns.
            let _ = decode(&frame);
        }
        let mut frame = 3u32.to_be_bytes().to_vec();
        frame.extend([0xff, 0xff, 0xff]);
        assert!(matches!(decode(&frame), Err(FrameError::Malformed(_))));
    }

    #[test]
    fn an_opening_message_of_another_version_is_named_as_such() {
        // A version-1 Hello: no `sent_at_ms`, so it does not decode as today's.
        #[derive(serde::Serialize)]
        enum Old {
            Hello { protocol_version: u32, site_id: crate::ids::SiteId, token: String },
        }
        let site = crate::ids::SiteId::random(&mut <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1));
        let old =
            postcard::to_stdvec(&Old::Hello { protocol_version: 1, site_id: site, token: "令牌".into() }).unwrap();
        let e = decode_payload(&old).unwrap_err();
        assert_eq!(e, FrameError::Version(1));
        assert!(e.to_string().contains("upgrade the older side"), "{e}");
        let garbage = [0u8, crate::PROTOCOL_VERSION as u8, 0xff];
        assert!(matches!(decode_payload(&garbage), Err(FrameError::Malformed(_))), "the current version is not blamed");
    }

    #[test]
    fn heads_blob_round_trips_and_rejects_damage() {
        let heads = vec![Hash([1; 32]), Hash([2; 32])];
        assert_eq!(heads_from_blob(&heads_to_blob(&heads)), Some(heads));
        assert_eq!(heads_from_blob(&[0u8; 31]), None);
    }
}
