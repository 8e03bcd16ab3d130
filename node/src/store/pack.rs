//! Documents as stored: compressed against a dictionary of their kind.
//!
//! A record's saved Automerge document repeats what every document of its
//! kind holds (the field names, the layout of its columns), so compressing
//! each one alone saves a tenth; against a dictionary that already holds
//! that structure it saves about a third (LZ4 with a dictionary: a few
//! microseconds a document). The first document of each kind a store writes
//! gives that kind's dictionary (`doc_dictionaries`): its skeleton, a
//! document of the same fields and lists with every value blanked, so that
//! no person's details are kept in it and a purged record leaves nothing
//! behind. A dictionary is kept as long as the store and never changed: the
//! documents packed against it need it to be read. A document is stored
//! packed only when that makes it smaller; `docs.dict` names its dictionary,
//! and a row without one holds the document as Automerge saved it (every row
//! written before this layout, step 12).
//!
//! Only the stored form changes: what is sent, merged, checked and hashed is
//! the document as Automerge saved it.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::{OptionalExtension, Transaction};

use super::StoreError;

/// The dictionaries' table (step 12; `docs.dict` names each row's).
pub(super) const TABLE: &str = "CREATE TABLE IF NOT EXISTS doc_dictionaries (
    n INTEGER PRIMARY KEY,
    kind TEXT NOT NULL UNIQUE,
    bytes BLOB NOT NULL
);";

/// No document unpacks to more than this: a damaged row cannot exhaust memory.
const MAX_UNPACKED_BYTES: usize = 256 * 1024 * 1024;

/// A document in the form to store: the bytes, and the dictionary they are
/// packed against (`None`: as Automerge saved them).
pub(super) struct Packed {
    pub bytes: Vec<u8>,
    pub dict: Option<i64>,
}

/// Packs `doc` (as Automerge saved it) against its kind's dictionary, made
/// from the first document of the kind.
pub(super) fn pack(tx: &Transaction<'_>, kind: &str, doc: &[u8]) -> Result<Packed, StoreError> {
    let found: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT n, bytes FROM doc_dictionaries WHERE kind = ?1")?
        .query_row([kind], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (n, dictionary) = match found {
        Some(found) => found,
        None => {
            let Some(dictionary) = skeleton(doc) else {
                return Ok(Packed { bytes: doc.to_vec(), dict: None });
            };
            let n = tx
                .prepare_cached("INSERT INTO doc_dictionaries (kind, bytes) VALUES (?1, ?2) RETURNING n")?
                .query_row(rusqlite::params![kind, dictionary], |r| r.get(0))?;
            (n, dictionary)
        }
    };
    Ok(match compress(&dictionary, doc) {
        Some(bytes) => Packed { bytes, dict: Some(n) },
        None => Packed { bytes: doc.to_vec(), dict: None },
    })
}

/// A document of the same fields and lists as `doc`, every value blank: the
/// structure every document of its kind repeats, and nothing of the record.
fn skeleton(doc: &[u8]) -> Option<Vec<u8>> {
    let from = automerge::AutoCommit::load(doc).ok()?;
    let mut to = automerge::AutoCommit::new();
    copy_blank(&from, &automerge::ROOT, &mut to, &automerge::ROOT, 0).ok()?;
    Some(to.save_nocompress())
}

fn copy_blank(
    from: &automerge::AutoCommit,
    obj: &automerge::ObjId,
    to: &mut automerge::AutoCommit,
    into: &automerge::ObjId,
    depth: usize,
) -> Result<(), automerge::AutomergeError> {
    use automerge::{transaction::Transactable, ObjType, ReadDoc, Value};
    if depth > wuye_protocol::body::MAX_DEPTH {
        return Ok(());
    }
    // A text's characters are values: its skeleton is an empty text.
    let props: Vec<automerge::Prop> = match from.object_type(obj)? {
        ObjType::Map | ObjType::Table => from.keys(obj).map(automerge::Prop::from).collect(),
        ObjType::List => (0..from.length(obj)).map(automerge::Prop::from).collect(),
        ObjType::Text => Vec::new(),
    };
    for prop in props {
        let Some((value, id)) = from.get(obj, prop.clone())? else { continue };
        match (value, prop) {
            (Value::Object(kind), automerge::Prop::Map(key)) => {
                let child = to.put_object(into, key, kind)?;
                copy_blank(from, &id, to, &child, depth + 1)?;
            }
            (Value::Object(kind), automerge::Prop::Seq(i)) => {
                let child = to.insert_object(into, i, kind)?;
                copy_blank(from, &id, to, &child, depth + 1)?;
            }
            (Value::Scalar(value), automerge::Prop::Map(key)) => to.put(into, key, blank(&value))?,
            (Value::Scalar(value), automerge::Prop::Seq(i)) => to.insert(into, i, blank(&value))?,
        }
    }
    Ok(())
}

/// A value of the same type as `value`, holding nothing.
fn blank(value: &automerge::ScalarValue) -> automerge::ScalarValue {
    use automerge::ScalarValue as S;
    match value {
        S::Str(_) => S::Str("".into()),
        S::Int(_) => S::Int(0),
        S::Uint(_) => S::Uint(0),
        S::F64(_) => S::F64(0.0),
        S::Timestamp(_) => S::Timestamp(0),
        S::Boolean(_) => S::Boolean(false),
        S::Bytes(_) => S::Bytes(Vec::new()),
        _ => S::Null,
    }
}

/// `doc` compressed against `dictionary` (LZ4, its length first), when that is smaller.
fn compress(dictionary: &[u8], doc: &[u8]) -> Option<Vec<u8>> {
    let packed = lz4_flex::block::compress_prepend_size_with_dict(doc, dictionary);
    (packed.len() < doc.len()).then_some(packed)
}

/// How long a packed document is once unpacked (what it says it is).
pub(super) fn unpacked_len(stored: &[u8]) -> usize {
    stored.first_chunk::<4>().map_or(0, |size| u32::from_le_bytes(*size) as usize)
}

/// The document of a stored row as Automerge saved it.
pub(super) fn unpack(id: &str, stored: &[u8], dictionary: &[u8]) -> Result<Vec<u8>, StoreError> {
    let damaged = |reason: &str| StoreError::Corrupt { id: id.to_string(), reason: reason.to_string() };
    let Some((_, packed)) = stored.split_first_chunk::<4>() else {
        return Err(damaged("stored document is cut short"));
    };
    let size = unpacked_len(stored);
    if size > MAX_UNPACKED_BYTES {
        return Err(damaged("stored document unpacks to more than any document holds"));
    }
    let mut out = vec![0; size];
    match lz4_flex::block::decompress_into_with_dict(packed, &mut out, dictionary) {
        Ok(written) if written == size => Ok(out),
        Ok(_) => Err(damaged("stored document unpacks to fewer bytes than it says")),
        Err(e) => Err(damaged(&format!("stored document does not unpack: {e}"))),
    }
}

/// The dictionaries documents are packed against, read once each in a transaction.
#[derive(Default)]
pub(super) struct Dictionaries(HashMap<i64, Arc<Vec<u8>>>);

impl Dictionaries {
    /// Dictionary `n`, or none for a row stored as Automerge saved it.
    pub fn get(&mut self, tx: &rusqlite::Connection, n: Option<i64>) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
        let Some(n) = n else { return Ok(None) };
        if let Some(found) = self.0.get(&n) {
            return Ok(Some(found.clone()));
        }
        let bytes: Vec<u8> = tx
            .prepare_cached("SELECT bytes FROM doc_dictionaries WHERE n = ?1")?
            .query_row([n], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Corrupt {
                id: format!("dictionary {n}"),
                reason: "a stored document names a dictionary the database does not hold".into(),
            })?;
        let bytes = Arc::new(bytes);
        self.0.insert(n, bytes.clone());
        Ok(Some(bytes))
    }

    /// A stored row's document as Automerge saved it.
    pub fn unpack(
        &mut self,
        tx: &rusqlite::Connection,
        id: &str,
        stored: Vec<u8>,
        n: Option<i64>,
    ) -> Result<Vec<u8>, StoreError> {
        match self.get(tx, n)? {
            Some(dictionary) => unpack(id, &stored, &dictionary),
            None => Ok(stored),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{transaction::Transactable, AutoCommit, ObjType, ROOT};

    fn complaint(customer: &str, phone: &str, summary: &str) -> Vec<u8> {
        let mut doc = AutoCommit::new();
        for (key, value) in [("customer", customer), ("phone", phone), ("summary", summary), ("unit", "3栋501")] {
            doc.put(ROOT, key, value).unwrap();
        }
        doc.put(ROOT, "major", true).unwrap();
        let events = doc.put_object(ROOT, "events", ObjType::List).unwrap();
        let event = doc.insert_object(&events, 0, ObjType::Map).unwrap();
        doc.put(&event, "type", "registered").unwrap();
        doc.put(&event, "by", "客服员").unwrap();
        doc.save_nocompress()
    }

    #[test]
    fn a_document_packs_against_its_kinds_dictionary_and_unpacks_to_itself() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(TABLE).unwrap();
        let tx = conn.transaction().unwrap();
        let first = complaint("张伟", "13900000000", "楼上漏水，天花板发霉");
        let packed = pack(&tx, "complaint", &first).unwrap();
        assert!(packed.dict.is_some() && packed.bytes.len() < first.len());
        let second = complaint("王芳", "13900000001", "电梯夜间噪音过大");
        let again = pack(&tx, "complaint", &second).unwrap();
        assert_eq!(again.dict, packed.dict, "one dictionary a kind");
        assert!(again.bytes.len() * 3 < second.len() * 2, "{} of {} bytes", again.bytes.len(), second.len());
        let mut dicts = Dictionaries::default();
        assert_eq!(dicts.unpack(&tx, "a", again.bytes.clone(), again.dict).unwrap(), second);
        assert_eq!(unpacked_len(&again.bytes), second.len(), "a batch counts what goes on the wire");
        assert_eq!(dicts.unpack(&tx, "b", packed.bytes, packed.dict).unwrap(), first);

        // The dictionary holds the fields, not the first record's details.
        let dictionary = dicts.get(&tx, packed.dict).unwrap().unwrap();
        let holds = |text: &str| dictionary.windows(text.len()).any(|w| w == text.as_bytes());
        assert!(holds("customer") && holds("events") && holds("type"));
        for detail in ["张伟", "13900000000", "楼上漏水", "3栋501", "registered", "客服员"] {
            assert!(!holds(detail), "{detail} is in the dictionary");
        }

        // What is not a document, or does not shrink, is stored as it is.
        let noise: Vec<u8> = (0..64u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let plain = pack(&tx, "repair", &noise).unwrap();
        assert_eq!((plain.dict, plain.bytes.as_slice()), (None, noise.as_slice()));
        assert_eq!(dicts.unpack(&tx, "c", noise.clone(), None).unwrap(), noise);

        // A damaged row is reported, not read as something else.
        let mut cut = again.bytes;
        cut.truncate(cut.len() / 2);
        assert!(dicts.unpack(&tx, "d", cut, again.dict).is_err());
        assert!(dicts.unpack(&tx, "e", vec![1, 2, 3], Some(99)).is_err(), "a dictionary that is not there");
    }
}
