//! Merging a received document into what is held, and choosing what to send
//! a peer: the checks every store makes, with no database in them, so that
//! any store (SQLite here, PostgreSQL in `wuye-store-pg`) runs the same logic.

use wuye_protocol::doc;
use wuye_protocol::doc::RecordKind;
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::record::{self, View};
use wuye_protocol::wire::{heads_from_blob, heads_from_wire, heads_to_wire, DocPayload, Hash, Seq};

use super::StoreError;
pub use super::{corrupt, load_checked, parse_view};

/// Whether a written document takes a new sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequence {
    /// A local change, or a merge that holds something the sender lacks: it must flow onwards.
    Bump,
    /// The document now equals what the sender holds: keep its number so nothing echoes.
    Keep,
}

/// What every record shares, from a known kind's whole header.
fn opaque_of(header: &doc::Header) -> doc::Opaque {
    doc::Opaque { kind: header.kind.as_str().to_string(), id: header.id, site_id: header.site_id }
}

/// A document's row: what it is, whose, and its view when this build knows its kind.
pub struct Row {
    /// The record.
    pub id: RecordId,
    /// Its kind's stored name.
    pub kind: String,
    /// Its owner.
    pub site: SiteId,
    /// Its view, for the projection; none for a kind this build does not know.
    pub view: Option<Box<View>>,
}

impl Row {
    /// The row of a view.
    pub fn of(view: View) -> Self {
        Self { id: view.id(), kind: view.kind().as_str().to_string(), site: view.site_id(), view: Some(Box::new(view)) }
    }
}

/// What merging one incoming document came to.
pub enum Merged {
    /// Checked and ready to write.
    Take { row: Row, heads: Vec<Hash>, bytes: Vec<u8>, sequence: Sequence, sent: Vec<Hash> },
    /// The changes lack their base: the sender must send the whole document.
    NeedFull,
    /// Refused, with the reason.
    Refused(String),
    /// Replaced by another record and deleted here: acknowledged, not stored.
    Gone,
}

/// What the receiver already holds of a document.
pub struct Existing {
    pub owner: String,
    pub bytes: Vec<u8>,
    pub seq: Seq,
}

/// Merges one incoming document into what is held and checks the result. Pure CPU work.
pub fn merge(site: SiteId, payload: &DocPayload, existing: Option<&Existing>) -> Result<Merged, StoreError> {
    let id = payload.id.to_string();
    // A kind this build does not know (made by a newer release) is kept and
    // passed on unchanged, after the checks every record gets: id, owner, history.
    let known = RecordKind::parse(&payload.kind).is_some();
    let (mut doc, before) = match existing {
        Some(e) if e.owner != site.to_string() => {
            return Ok(Merged::Refused(format!(
                "record {id} belongs to another site; a site may only send its own records"
            )));
        }
        Some(e) => {
            let mut doc = load_checked(&id, &e.bytes)?;
            // One read of the document either way: the whole header of a known kind, else what all share.
            let (opaque, header) = if known {
                let header = doc::read_header(&doc).map_err(|err| corrupt(payload.id, err))?;
                (opaque_of(&header), Some(header))
            } else {
                (doc::read_opaque(&doc).map_err(|err| corrupt(payload.id, err))?, None)
            };
            if let Err(err) = doc::load_incremental_untrusted(&mut doc, &payload.bytes) {
                return Ok(Merged::Refused(format!("record {id}: the changes do not decode: {err}")));
            }
            (doc, Some((opaque, header)))
        }
        None if payload.full => match doc::load_untrusted(&payload.bytes) {
            Ok(doc) => (doc, None),
            Err(err) => return Ok(Merged::Refused(format!("record {id}: the document does not load: {err}"))),
        },
        None => return Ok(Merged::NeedFull),
    };
    if !doc.get_missing_deps(&heads_from_wire(&payload.heads)).is_empty() {
        return Ok(Merged::NeedFull);
    }
    let (full_header, view) = if known {
        match record::read(&doc) {
            Ok((header, view)) => (Some(header), Some(Box::new(view))),
            Err(e) => return Ok(Merged::Refused(format!("record {id}: {e}"))),
        }
    } else {
        (None, None)
    };
    let header = match &full_header {
        Some(full) => opaque_of(full),
        None => match doc::read_opaque(&doc) {
            Ok(header) => header,
            Err(e) => return Ok(Merged::Refused(format!("record {id}: {e}"))),
        },
    };
    if header.id != payload.id || header.kind != payload.kind {
        return Ok(Merged::Refused(format!(
            "record {id}: the document says it is {} {}, not what the batch claims",
            header.kind, header.id
        )));
    }
    if header.site_id != site {
        return Ok(Merged::Refused(format!(
            "record {id}: the document claims site {}, but this sync is for site {site}",
            header.site_id
        )));
    }
    if before.is_some_and(|(opaque, full)| opaque != header || full != full_header) {
        return Ok(Merged::Refused(format!(
            "record {id}: the changes alter its kind, owner or creation fields, which never change"
        )));
    }
    let heads = heads_to_wire(&doc.get_heads());
    let mut sent = payload.heads.clone();
    sent.sort();
    // Only when the merge holds something the sender lacks does it need a new
    // sequence number (so that it flows back); otherwise it would echo.
    let sequence = if heads == sent { Sequence::Keep } else { Sequence::Bump };
    // A whole document that arrived new is already a checked save: store it as it came.
    let bytes = if existing.is_none() && payload.full { payload.bytes.clone() } else { doc.save_nocompress() };
    let row = Row { id: payload.id, kind: header.kind, site: header.site_id, view };
    Ok(Merged::Take { row, heads, bytes, sequence, sent })
}

/// A changed document the peer may lack, as read from the database.
pub struct Candidate {
    pub id: String,
    pub kind: String,
    pub heads: Vec<u8>,
    /// The document as stored (left empty when `pending` stands in for it).
    pub bytes: Vec<u8>,
    /// The row's own dictionary `bytes` are packed against, if they are
    /// (SQLite's store: its key, then its kind's).
    pub dictionary: Option<Vec<u8>>,
    pub peer_heads: Option<Vec<u8>>,
    /// The changes after the peer's heads, kept when the document was last
    /// written and still after exactly those heads: sent as they are, with
    /// no document loaded.
    pub pending: Option<Vec<u8>>,
}

impl Candidate {
    /// What to send: the changes after the peer's heads when it has a usable
    /// base, the whole saved document when not, nothing when it lacks nothing.
    pub fn payload(&self) -> Result<Option<DocPayload>, StoreError> {
        let damaged = |reason: &str| StoreError::Corrupt { id: self.id.clone(), reason: reason.to_string() };
        let id: RecordId = self.id.parse().map_err(|_| damaged("id does not parse"))?;
        let kind = self.kind.clone();
        let heads = heads_from_blob(&self.heads).ok_or_else(|| damaged("damaged heads"))?;
        if let Some(changes) = &self.pending {
            return Ok(Some(DocPayload { id, kind, full: false, bytes: changes.clone(), heads }));
        }
        let bytes = match &self.dictionary {
            Some(dictionary) => super::pack::unpack(&self.id, &self.bytes, dictionary)?,
            None => self.bytes.clone(),
        };
        if let Some(known) = self.peer_heads.as_deref().and_then(heads_from_blob) {
            let mut doc = load_checked(&self.id, &bytes)?;
            if let Some(changes) = changes_after(&mut doc, &known) {
                if changes.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(DocPayload { id, kind, full: false, bytes: changes, heads }));
            }
        }
        Ok(Some(DocPayload { id, kind, full: true, bytes, heads }))
    }
}

/// The changes of `doc` after `known` (a peer's heads), when the document
/// holds everything `known` names: what a push would send it.
pub fn changes_after(doc: &mut automerge::AutoCommit, known: &[Hash]) -> Option<Vec<u8>> {
    let known = heads_from_wire(known);
    doc.get_missing_deps(&known).is_empty().then(|| doc.save_after(&known))
}

/// Batches smaller than this are handled on the calling thread.
const PARALLEL_MIN_ITEMS: usize = 16;

/// Maps `f` over `items`, on rayon's pool of long-lived threads (one per core)
/// when the batch is large enough. Long-lived threads keep their allocator
/// heaps warm; a thread per batch made the kernel zero fresh pages each time.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    if items.len() < PARALLEL_MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    items.par_iter().map(f).collect()
}

/// How a store writes what merging a batch decided: the SQL differs between
/// stores, the decisions do not ([`settle`]).
pub trait Writes {
    /// The next sequence number of the batch's site.
    fn next_seq(&mut self) -> Seq;
    /// Writes a document's row and projection; `fresh` when it was not held before.
    fn write(&mut self, row: &Row, heads: &[Hash], bytes: &[u8], seq: Seq, fresh: bool) -> Result<(), StoreError>;
    /// Records that the sending peer holds `heads` of document `id`.
    fn held_by_peer(&mut self, id: &str, heads: &[Hash]) -> Result<(), StoreError>;
    /// Deletes a record replaced by another, for good.
    fn purge(&mut self, id: RecordId) -> Result<(), StoreError>;
}

/// Merges every document of a batch (on all cores) against what is held
/// of it (`existing`, and whether it was purged, `gone`, in the same order).
pub fn merge_all(
    site: SiteId,
    docs: &[DocPayload],
    existing: Vec<Option<Existing>>,
    gone: Vec<bool>,
) -> Vec<(&DocPayload, Option<Existing>, Result<Merged, StoreError>)> {
    let work: Vec<(&DocPayload, Option<Existing>, bool)> =
        docs.iter().zip(existing).zip(gone).map(|((p, e), g)| (p, e, g)).collect();
    let merged = par_map(
        &work,
        |(payload, existing, gone)| {
            if *gone {
                Ok(Merged::Gone)
            } else {
                merge(site, payload, existing.as_ref())
            }
        },
    );
    work.into_iter().zip(merged).map(|((p, e, _), m)| (p, e, m)).collect()
}

/// Writes a merged batch through `w` and says what became of each document
/// (held, needing the whole document, refused); true in the second place
/// when a replaced record was purged. A record twice in one batch is refused
/// the second time.
pub fn settle<W: Writes>(
    w: &mut W,
    peer: &str,
    merged: Vec<(&DocPayload, Option<Existing>, Result<Merged, StoreError>)>,
) -> Result<(wuye_protocol::sync::Applied, bool), StoreError> {
    use wuye_protocol::wire::{HeadsAck, Refusal};
    let mut applied = wuye_protocol::sync::Applied::default();
    let mut seen = std::collections::HashSet::with_capacity(merged.len());
    let mut purged = false;
    for (payload, existing, merged) in merged {
        let id = payload.id;
        let merged =
            if seen.insert(id) { merged? } else { Merged::Refused(format!("record {id} appears twice in one batch")) };
        match merged {
            Merged::Take { row, heads, bytes, sequence, sent } => {
                let seq = match (&existing, sequence) {
                    (Some(e), Sequence::Keep) => e.seq,
                    _ => w.next_seq(),
                };
                w.write(&row, &heads, &bytes, seq, existing.is_none())?;
                w.held_by_peer(&id.to_string(), &sent)?;
                applied.held.push(HeadsAck { id, heads: sent });
                if let Some(old) = row.view.as_ref().and_then(|v| v.replaces()) {
                    w.purge(old)?;
                    purged = true;
                }
            }
            Merged::Gone => {
                // Replaced and deleted here: the peer may stop sending it.
                let mut heads = payload.heads.clone();
                heads.sort();
                applied.held.push(HeadsAck { id, heads });
            }
            Merged::NeedFull => applied.need_full.push(id),
            Merged::Refused(reason) => {
                tracing::warn!(%id, %reason, "refused a record from {peer}");
                applied.refused.push(Refusal { id, reason });
            }
        }
    }
    Ok((applied, purged))
}
