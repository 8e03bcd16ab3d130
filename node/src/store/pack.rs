//! Documents and views as stored: compressed against a dictionary of their kind.
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
//! rows packed against it need it to be read. A row is stored packed only
//! when that makes it smaller; its `dict` column names its dictionary, and a
//! row without one holds the document as Automerge saved it (every row
//! written before this layout, step 12).
//!
//! Each row is packed against its kind's dictionary preceded by the row's
//! own key (its site, id and heads, [`RowKey`]): every document holds those
//! too, as text and hashes no dictionary of the kind can know, so they are
//! stored once, in the row's columns, instead of twice. Rows packed before
//! the key was added read the same: LZ4 refers back from the end of the
//! dictionary, where the kind's part still is.
//!
//! A projection's view (the record as JSON, which lists read) is packed the
//! same way against a dictionary of its kind's views (`view:<kind>`: the
//! first view's field names, every value blanked). `projections` is a view
//! over `projection_rows` that unpacks it with the SQL function
//! [`VIEW_FUNCTION`], registered on every connection the store opens, so
//! what reads the projections reads JSON text as before.
//!
//! Only the stored form changes: what is sent, merged, checked and hashed is
//! the document as Automerge saved it.

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::StoreError;

/// The dictionaries' table (step 12; a row's `dict` names its dictionary).
pub(super) const TABLE: &str = "CREATE TABLE IF NOT EXISTS doc_dictionaries (
    n INTEGER PRIMARY KEY,
    kind TEXT NOT NULL UNIQUE,
    bytes BLOB NOT NULL
);";

/// The SQL function giving a projection row's view as JSON text:
/// `wuye_view(view, id, site_id, dictionary)`, the dictionary being the
/// bytes its `dict` names (NULL for a view stored as text).
pub const VIEW_FUNCTION: &str = "wuye_view";

/// No row unpacks to more than this: a damaged row cannot exhaust memory.
const MAX_UNPACKED_BYTES: usize = 256 * 1024 * 1024;

/// What a row is known by besides its bytes: its id and site (and a
/// document's heads), which the document or view holds too.
#[derive(Clone, Copy)]
pub struct RowKey<'a> {
    /// The record's id, as the row holds it.
    pub id: &'a str,
    /// The record's site, as the row holds it.
    pub site: &'a str,
    /// The document's heads as the row holds them (none for a view).
    pub heads: &'a [u8],
}

impl RowKey<'_> {
    /// The dictionary a row is packed against: its key, then its kind's dictionary.
    pub fn before(self, dictionary: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.before_into(dictionary, &mut out);
        out
    }

    /// [`RowKey::before`] written into `out` (its room kept from row to row).
    pub fn before_into<'o>(self, dictionary: &[u8], out: &'o mut Vec<u8>) -> &'o [u8] {
        out.clear();
        for part in [self.site.as_bytes(), self.id.as_bytes(), self.heads, dictionary] {
            out.extend_from_slice(part);
        }
        out
    }
}

/// A document in the form to store: the bytes, and the dictionary they are
/// packed against (`None`: as Automerge saved them).
pub(super) struct Packed {
    pub bytes: Vec<u8>,
    pub dict: Option<i64>,
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

/// A view's JSON with its field names and every value blanked (strings
/// empty, numbers 0, flags false): the structure every view of its kind
/// repeats, and nothing of the record. A name that is not a plain word (a
/// map keyed by what a person typed) is blanked too.
fn view_skeleton(json: &str) -> Option<Vec<u8>> {
    let b = json.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let end = string_end(b, i)?;
                let text = &b[i..end];
                let key = b[end..].iter().find(|c| !c.is_ascii_whitespace()) == Some(&b':');
                let word =
                    text.len() <= 66 && text[1..text.len() - 1].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
                out.extend_from_slice(if key && word { text } else { b"\"\"" });
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                out.push(b'0');
                i += b[i..].iter().take_while(|c| matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')).count();
            }
            b't' | b'f' => {
                out.extend_from_slice(b"false");
                i += b[i..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Where the JSON string starting at `start` (its opening quote) ends, past its closing quote.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start + 1;
    loop {
        match b.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// `input` compressed against `dictionary` (LZ4, its length first), when that is smaller.
fn compress(dictionary: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    let packed = lz4_flex::block::compress_prepend_size_with_dict(input, dictionary);
    (packed.len() < input.len()).then_some(packed)
}

/// How long a packed row is once unpacked (what it says it is).
pub(super) fn unpacked_len(stored: &[u8]) -> usize {
    stored.first_chunk::<4>().map_or(0, |size| u32::from_le_bytes(*size) as usize)
}

/// A packed row's bytes as they were before packing, `dictionary` being the
/// row's own ([`RowKey::before`] its kind's).
pub(super) fn unpack(id: &str, stored: &[u8], dictionary: &[u8]) -> Result<Vec<u8>, StoreError> {
    let damaged = |reason: &str| StoreError::Corrupt { id: id.to_string(), reason: reason.to_string() };
    let Some((_, packed)) = stored.split_first_chunk::<4>() else {
        return Err(damaged("stored row is cut short"));
    };
    let size = unpacked_len(stored);
    if size > MAX_UNPACKED_BYTES {
        return Err(damaged("stored row unpacks to more than any record holds"));
    }
    let mut out = vec![0; size];
    match lz4_flex::block::decompress_into_with_dict(packed, &mut out, dictionary) {
        Ok(written) if written == size => Ok(out),
        Ok(_) => Err(damaged("stored row unpacks to fewer bytes than it says")),
        Err(e) => Err(damaged(&format!("stored row does not unpack: {e}"))),
    }
}

/// A dictionary and its number.
type Named = (i64, Arc<Vec<u8>>);

/// The dictionaries rows are packed against, read (or made) once each in a
/// transaction. One lives no longer than its transaction: a dictionary made
/// in a transaction that is rolled back is gone, and its number may be
/// given to another.
#[derive(Default)]
pub(super) struct Dictionaries {
    by_n: HashMap<i64, Arc<Vec<u8>>>,
    /// By what the name starts with (`""` for documents, `"view:"` for
    /// views), then the kind: found without making the name.
    by_name: HashMap<&'static str, HashMap<String, Named>>,
    /// A row's own dictionary ([`RowKey::before`]), its room kept from row to row.
    before: Vec<u8>,
}

impl Dictionaries {
    /// Dictionary `n`, or none for a row stored as it was.
    pub fn get(&mut self, conn: &Connection, n: Option<i64>) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
        let Some(n) = n else { return Ok(None) };
        if let Some(found) = self.by_n.get(&n) {
            return Ok(Some(found.clone()));
        }
        let bytes: Vec<u8> = conn
            .prepare_cached("SELECT bytes FROM doc_dictionaries WHERE n = ?1")?
            .query_row([n], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Corrupt {
                id: format!("dictionary {n}"),
                reason: "a stored row names a dictionary the database does not hold".into(),
            })?;
        let bytes = Arc::new(bytes);
        self.by_n.insert(n, bytes.clone());
        Ok(Some(bytes))
    }

    /// The dictionary called `prefix` and `kind`, made by `make` (and kept)
    /// if there is none yet.
    fn named(
        &mut self,
        conn: &Connection,
        (prefix, kind): (&'static str, &str),
        make: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Result<Option<Named>, StoreError> {
        if let Some(found) = self.by_name.get(prefix).and_then(|kinds| kinds.get(kind)) {
            return Ok(Some(found.clone()));
        }
        let name = format!("{prefix}{kind}");
        let found: Option<(i64, Vec<u8>)> = conn
            .prepare_cached("SELECT n, bytes FROM doc_dictionaries WHERE kind = ?1")?
            .query_row([&name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (n, bytes) = match found {
            Some(found) => found,
            None => {
                let Some(bytes) = make() else { return Ok(None) };
                let n = conn
                    .prepare_cached("INSERT INTO doc_dictionaries (kind, bytes) VALUES (?1, ?2) RETURNING n")?
                    .query_row(rusqlite::params![name, bytes], |r| r.get(0))?;
                (n, bytes)
            }
        };
        let bytes = Arc::new(bytes);
        self.by_n.insert(n, bytes.clone());
        self.by_name.entry(prefix).or_default().insert(kind.to_string(), (n, bytes.clone()));
        Ok(Some((n, bytes)))
    }

    /// Packs `doc` (as Automerge saved it) against its kind's dictionary,
    /// made from the first document of the kind.
    pub fn pack(&mut self, conn: &Connection, kind: &str, key: RowKey<'_>, doc: &[u8]) -> Result<Packed, StoreError> {
        let packed = self.named(conn, ("", kind), || skeleton(doc))?.and_then(|(n, dictionary)| {
            Some(Packed { bytes: compress(key.before_into(&dictionary, &mut self.before), doc)?, dict: Some(n) })
        });
        Ok(packed.unwrap_or_else(|| Packed { bytes: doc.to_vec(), dict: None }))
    }

    /// A projection's view in the form to store: packed against its kind's
    /// views' dictionary (a blob, and the dictionary's number), or the JSON
    /// text as it is when that is no larger.
    pub fn pack_view(
        &mut self,
        conn: &Connection,
        kind: &str,
        key: RowKey<'_>,
        json: String,
    ) -> Result<(Value, Option<i64>), StoreError> {
        let named = self.named(conn, ("view:", kind), || view_skeleton(&json))?;
        let packed = named.and_then(|(n, dictionary)| {
            Some((compress(key.before_into(&dictionary, &mut self.before), json.as_bytes())?, n))
        });
        Ok(match packed {
            Some((bytes, n)) => (Value::Blob(bytes), Some(n)),
            None => (Value::Text(json), None),
        })
    }

    /// A stored row's document as Automerge saved it.
    pub fn unpack(
        &mut self,
        conn: &Connection,
        key: RowKey<'_>,
        stored: Vec<u8>,
        n: Option<i64>,
    ) -> Result<Vec<u8>, StoreError> {
        match self.get(conn, n)? {
            Some(dictionary) => unpack(key.id, &stored, key.before_into(&dictionary, &mut self.before)),
            None => Ok(stored),
        }
    }

    /// A projection's view as JSON text, from its row's `stored` view and
    /// `dict` column: text as it is, or unpacked against dictionary `n`.
    /// What [`VIEW_FUNCTION`] gives in SQL, without copying the dictionary
    /// for every row.
    pub fn view(
        &mut self,
        conn: &Connection,
        key: RowKey<'_>,
        stored: ValueRef<'_>,
        n: Option<i64>,
    ) -> Result<String, StoreError> {
        let damaged = |reason: &str| view_damaged(key.id, reason);
        match stored {
            ValueRef::Text(text) => std::str::from_utf8(text).map(str::to_string).map_err(|_| damaged("is not text")),
            ValueRef::Blob(packed) => {
                let dictionary = match self.get(conn, n) {
                    Ok(Some(dictionary)) => dictionary,
                    Ok(None) | Err(StoreError::Corrupt { .. }) => {
                        return Err(damaged("names a dictionary the database does not hold"))
                    }
                    Err(e) => return Err(e),
                };
                let bytes = unpack(key.id, packed, key.before_into(&dictionary, &mut self.before))
                    .map_err(|_| damaged("does not unpack"))?;
                String::from_utf8(bytes).map_err(|_| damaged("does not unpack to text"))
            }
            _ => Err(damaged("is neither text nor packed")),
        }
    }
}

/// Record `id`'s projection, damaged: its view `reason` ("does not unpack", …).
fn view_damaged(id: &str, reason: &str) -> StoreError {
    StoreError::Projection { id: id.to_string(), reason: format!("it {reason}") }
}

/// Registers [`VIEW_FUNCTION`] on `conn`: a view stored as text is given as
/// it is, a packed one unpacked against its row's dictionary.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let mut before = Vec::new();
    conn.create_scalar_function(VIEW_FUNCTION, 4, flags, move |ctx| {
        let ValueRef::Blob(stored) = ctx.get_raw(0) else {
            return Ok(Value::from(ctx.get_raw(0)));
        };
        let text = |i: usize| ctx.get_raw(i).as_str().unwrap_or_default();
        let key = RowKey { id: text(1), site: text(2), heads: &[] };
        let damaged =
            |reason: &str| rusqlite::Error::UserFunctionError(view_damaged(key.id, reason).to_string().into());
        let ValueRef::Blob(dictionary) = ctx.get_raw(3) else {
            return Err(damaged("names a dictionary the database does not hold"));
        };
        let bytes =
            unpack(key.id, stored, key.before_into(dictionary, &mut before)).map_err(|_| damaged("does not unpack"))?;
        String::from_utf8(bytes).map(Value::Text).map_err(|_| damaged("does not unpack to text"))
    })
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

    const SITE: &str = "83859ce6-3cad-4136-9bf6-dd661d7beb6e";

    fn key(id: &str) -> RowKey<'_> {
        RowKey { id, site: SITE, heads: b"0123456789abcdef0123456789abcdef" }
    }

    #[test]
    fn a_document_packs_against_its_kinds_dictionary_and_unpacks_to_itself() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(TABLE).unwrap();
        let tx = conn.transaction().unwrap();
        let mut dicts = Dictionaries::default();
        let first = complaint("张伟", "13900000000", "楼上漏水，天花板发霉");
        let packed = dicts.pack(&tx, "complaint", key("a"), &first).unwrap();
        assert!(packed.dict.is_some() && packed.bytes.len() < first.len());
        let second = complaint("王芳", "13900000001", "电梯夜间噪音过大");
        let again = dicts.pack(&tx, "complaint", key("b"), &second).unwrap();
        assert_eq!(again.dict, packed.dict, "one dictionary a kind");
        assert!(again.bytes.len() * 3 < second.len() * 2, "{} of {} bytes", again.bytes.len(), second.len());
        // Read in another transaction, as a reader would.
        let mut reader = Dictionaries::default();
        assert_eq!(reader.unpack(&tx, key("b"), again.bytes.clone(), again.dict).unwrap(), second);
        assert_eq!(unpacked_len(&again.bytes), second.len(), "a batch counts what goes on the wire");
        assert_eq!(reader.unpack(&tx, key("a"), packed.bytes.clone(), packed.dict).unwrap(), first);

        // The dictionary holds the fields, not the first record's details.
        let dictionary = reader.get(&tx, packed.dict).unwrap().unwrap();
        let holds = |text: &str| dictionary.windows(text.len()).any(|w| w == text.as_bytes());
        assert!(holds("customer") && holds("events") && holds("type"));
        for detail in ["张伟", "13900000000", "楼上漏水", "3栋501", "registered", "客服员"] {
            assert!(!holds(detail), "{detail} is in the dictionary");
        }

        // What is not a document, or does not shrink, is stored as it is.
        let noise: Vec<u8> = (0..64u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let plain = dicts.pack(&tx, "repair", key("c"), &noise).unwrap();
        assert_eq!((plain.dict, plain.bytes.as_slice()), (None, noise.as_slice()));
        assert_eq!(reader.unpack(&tx, key("c"), noise.clone(), None).unwrap(), noise);

        // A damaged row is reported, not read as something else.
        let mut cut = again.bytes;
        cut.truncate(cut.len() / 2);
        assert!(reader.unpack(&tx, key("b"), cut, again.dict).is_err());
        assert!(reader.unpack(&tx, key("e"), vec![1, 2, 3], Some(99)).is_err(), "a dictionary that is not there");
    }

    #[test]
    fn a_row_packed_against_its_kind_alone_reads_the_same_with_its_key() {
        // As rows were packed before the key came first in their dictionary.
        let dictionary = skeleton(&complaint("张伟", "13900000000", "楼上漏水")).unwrap();
        let doc = complaint("王芳", "13900000001", "电梯夜间噪音过大");
        let old = compress(&dictionary, &doc).unwrap();
        assert_eq!(unpack("b", &old, &key("b").before(&dictionary)).unwrap(), doc);

        // A document holding its id and site: the key saves storing them twice.
        let id = "54743dc5-e24d-4a41-bb15-9584c1226df6";
        let mut held = AutoCommit::load(&doc).unwrap();
        held.put(ROOT, "id", id).unwrap();
        held.put(ROOT, "site_id", SITE).unwrap();
        let held = held.save_nocompress();
        let with_key = compress(&key(id).before(&dictionary), &held).unwrap();
        let without = compress(&dictionary, &held).unwrap();
        assert!(with_key.len() + 30 < without.len(), "{} against {} bytes", with_key.len(), without.len());
        assert_eq!(unpack(id, &with_key, &key(id).before(&dictionary)).unwrap(), held);
    }

    #[test]
    fn views_pack_against_their_kinds_skeleton_and_read_back_through_sql() {
        let view = |id: &str, customer: &str, phone: &str| {
            format!(
                r#"{{"id":"{id}","site_id":"{SITE}","customer":"{customer}","phone":"{phone}","major":true,"count":12,"score":-1.5e3,"notes":[{{"text":"已派\"维修\"","by":"客服员"}}],"names":{{"张伟":1}},"decision":null}}"#
            )
        };
        let skeleton = String::from_utf8(view_skeleton(&view("a", "张伟", "13900000000")).unwrap()).unwrap();
        assert_eq!(
            skeleton,
            r#"{"id":"","site_id":"","customer":"","phone":"","major":false,"count":0,"score":0,"notes":[{"text":"","by":""}],"names":{"":0},"decision":null}"#
        );
        serde_json::from_str::<serde_json::Value>(&skeleton).unwrap();

        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(TABLE).unwrap();
        register(&conn).unwrap();
        // The store's view over its rows, reduced to what this test needs.
        conn.execute_batch(
            "CREATE TABLE projection_rows (id TEXT, site_id TEXT, view, dict INTEGER);
             CREATE VIEW projections AS SELECT id, wuye_view(view, id, site_id,
                 (SELECT bytes FROM doc_dictionaries WHERE n = projection_rows.dict)) AS view FROM projection_rows;",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let mut dicts = Dictionaries::default();
        let ids = ["611830d3-641a-48f9-8a69-0dcc25d1f4b0", "54743dc5-e24d-4a41-bb15-9584c1226df6"];
        for (id, who) in ids.iter().zip(["张伟", "王芳"]) {
            let json = view(id, who, "13900000001");
            let key = RowKey { id, site: SITE, heads: &[] };
            let (stored, dict) = dicts.pack_view(&tx, "complaint", key, json.clone()).unwrap();
            let Value::Blob(bytes) = &stored else { panic!("a view that shrinks is packed") };
            assert!(bytes.len() * 2 < json.len(), "{} of {} bytes", bytes.len(), json.len());
            tx.execute(
                "INSERT INTO projection_rows (id, site_id, view, dict) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![id, SITE, stored, dict],
            )
            .unwrap();
        }
        // A view written before views were packed is read as it is.
        tx.execute("INSERT INTO projection_rows VALUES ('c', ?1, '{\"a\":1}', NULL)", [SITE]).unwrap();
        let read = |id: &str| -> rusqlite::Result<String> {
            tx.query_row("SELECT view FROM projections WHERE id = ?1", [id], |r| r.get(0))
        };
        assert_eq!(read(ids[1]).unwrap(), view(ids[1], "王芳", "13900000001"));
        assert_eq!(read("c").unwrap(), r#"{"a":1}"#);
        let found: String = tx
            .query_row("SELECT id FROM projections WHERE json_extract(view, '$.customer') = '张伟'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(found, ids[0]);
        // The store's lists unpack the view as stored themselves, to the same text.
        let mut reader = Dictionaries::default();
        let mut by_rust = |id: &str| {
            let (stored, dict): (Value, Option<i64>) = tx
                .query_row("SELECT view, dict FROM projection_rows WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap();
            reader.view(&tx, RowKey { id, site: SITE, heads: &[] }, (&stored).into(), dict)
        };
        assert_eq!(by_rust(ids[0]).unwrap(), view(ids[0], "张伟", "13900000001"));
        assert_eq!(by_rust(ids[1]).unwrap(), view(ids[1], "王芳", "13900000001"));
        assert_eq!(by_rust("c").unwrap(), r#"{"a":1}"#);
        let dictionary: Vec<u8> =
            tx.query_row("SELECT bytes FROM doc_dictionaries WHERE kind = 'view:complaint'", [], |r| r.get(0)).unwrap();
        assert!(!dictionary.windows("张伟".len()).any(|w| w == "张伟".as_bytes()));

        // A damaged view is an error naming the record and what to do, never a panic.
        tx.execute("UPDATE projection_rows SET view = x'ff00ff' WHERE id = ?1", [ids[0]]).unwrap();
        let e = read(ids[0]).unwrap_err().to_string();
        assert!(e.contains(ids[0]) && e.contains("rebuild"), "{e}");
        let e = by_rust(ids[0]).unwrap_err().to_string();
        assert!(e.contains(ids[0]) && e.contains("does not unpack") && e.contains("rebuild"), "{e}");
        tx.execute("UPDATE projection_rows SET dict = 99 WHERE id = ?1", [ids[1]]).unwrap();
        assert!(read(ids[1]).unwrap_err().to_string().contains("dictionary"));
        assert!(by_rust(ids[1]).unwrap_err().to_string().contains("dictionary"));
        tx.execute("UPDATE projection_rows SET view = 7 WHERE id = 'c'", []).unwrap();
        assert!(by_rust("c").unwrap_err().to_string().contains("neither text nor packed"));
    }
}
