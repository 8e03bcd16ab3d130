//! The header every record document carries, and typed reading helpers.
//!
//! Every record is its own Automerge document. Its root map holds the header
//! (`kind`, `schema`, `id`, `site_id`, `created_at`, `created_by`, `timezone`),
//! which never changes after creation, and the kind's own fields.

use automerge::{hydrate, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ids::{RecordId, SiteId};
use crate::time;

/// The layout version written into new documents.
pub const SCHEMA_VERSION: u64 = 1;

macro_rules! record_kinds {
    ($($variant:ident = $name:literal in $module:ident::$ty:ident, $title:literal, $noun:literal, $word:literal;)+) => {
        /// What kind of record a document holds (the list is in [`crate::kinds`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum RecordKind {
            $(
                #[doc = $title]
                $variant,
            )+
        }

        impl RecordKind {
            /// Every kind, in the registry's order.
            pub const ALL: &'static [RecordKind] = &[$(RecordKind::$variant),+];

            /// The name stored in documents and the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(RecordKind::$variant => $name,)+
                }
            }

            /// The name people use for one (the paper form's title).
            pub fn title(self) -> &'static str {
                match self {
                    $(RecordKind::$variant => $title,)+
                }
            }

            /// What English calls one, in messages ("no repair work order with id …").
            pub fn noun(self) -> &'static str {
                match self {
                    $(RecordKind::$variant => $noun,)+
                }
            }

            /// The word the command lines take for the kind (`log`, `duty`, …).
            pub fn word(self) -> &'static str {
                match self {
                    $(RecordKind::$variant => $word,)+
                }
            }

            /// The kind a person named by its word or its stored name.
            pub fn from_word(word: &str) -> Option<Self> {
                let word = word.trim();
                Self::ALL.iter().copied().find(|k| k.word() == word || k.as_str() == word)
            }

            /// Parses a stored kind name.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(RecordKind::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

crate::kinds::for_each_kind!(record_kinds);

/// The fixed part of every record document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// What the record is.
    pub kind: RecordKind,
    /// Layout version the document was written with.
    pub schema: u64,
    /// The record's id.
    pub id: RecordId,
    /// The site that owns the record; never changes.
    pub site_id: SiteId,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// Who created it (a staff name or office).
    pub created_by: String,
    /// The owning site's time zone, used to show the record's times.
    pub timezone: Tz,
}

/// Why a document could not be read as a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// A required field is absent.
    #[error("field '{0}' is missing")]
    Missing(String),
    /// A field holds a value of the wrong type.
    #[error("field '{field}' should be {expected}")]
    WrongType {
        /// The field's path.
        field: String,
        /// What the layout requires there.
        expected: &'static str,
    },
    /// A field has the right type but an unacceptable value.
    #[error("field '{field}' is invalid: {reason}")]
    Invalid {
        /// The field's path.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The bytes are not an Automerge document.
    #[error("not a readable document: {0}")]
    Undecodable(String),
}

/// The four bytes every Automerge chunk starts with.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Most bytes one compressed change may inflate to.
pub const MAX_INFLATED_CHUNK_BYTES: u64 = 4 * 1024 * 1024;

/// Checks the chunk framing of Automerge bytes before Automerge parses them:
/// every chunk must be a document (0), a change (1) or a compressed change
/// (2), the kinds `save` and `save_after` write, within the bytes given, and
/// a compressed change must inflate to at most [`MAX_INFLATED_CHUNK_BYTES`].
/// Automerge 0.12 also parses "bundle" chunks (3), which nothing here writes
/// and whose parser a 170-byte input drove to 3 GB and 9 s (found by the
/// `document` fuzz target); a deflate stream can likewise inflate a
/// thousandfold.
pub fn check_chunks(bytes: &[u8]) -> Result<(), String> {
    use std::io::Read;
    let mut rest = bytes;
    if rest.is_empty() {
        return Err("no Automerge chunks: the bytes are empty".into());
    }
    while !rest.is_empty() {
        let Some((head, after)) = rest.split_first_chunk::<9>() else {
            return Err("the bytes end inside an Automerge chunk header".into());
        };
        if head[..4] != CHUNK_MAGIC {
            return Err("not Automerge bytes: a chunk lacks the magic number".into());
        }
        let kind = head[8];
        let mut len: u64 = 0;
        let mut used = 0;
        loop {
            let Some(&b) = after.get(used) else {
                return Err("the bytes end inside an Automerge chunk length".into());
            };
            if used == 9 {
                return Err("an Automerge chunk length is too long".into());
            }
            len |= u64::from(b & 0x7f) << (7 * used);
            used += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let data_start = used;
        let Some(data) = usize::try_from(len).ok().and_then(|len| after.get(data_start..data_start.checked_add(len)?))
        else {
            return Err(format!("an Automerge chunk declares {len} bytes, more than were sent"));
        };
        match kind {
            0 | 1 => {}
            2 => {
                let mut inflated = Vec::new();
                flate2::read::DeflateDecoder::new(data)
                    .take(MAX_INFLATED_CHUNK_BYTES + 1)
                    .read_to_end(&mut inflated)
                    .map_err(|e| format!("a compressed Automerge change does not inflate: {e}"))?;
                if inflated.len() as u64 > MAX_INFLATED_CHUNK_BYTES {
                    return Err(format!(
                        "a compressed Automerge change inflates past {MAX_INFLATED_CHUNK_BYTES} bytes"
                    ));
                }
            }
            other => return Err(format!("Automerge chunk type {other} is not accepted (only documents and changes)")),
        }
        rest = &after[data_start + data.len()..];
    }
    Ok(())
}

/// Loads a whole document from bytes that came from outside (the network, a
/// file). Automerge 0.12's decoder panics on some malformed input (found by
/// the `document` fuzz target: an `unwrap` in its column decoder, `hexane`),
/// so a panic is caught and turned into an error like any other; the
/// half-built document is dropped.
pub fn load_untrusted(bytes: &[u8]) -> Result<AutoCommit, String> {
    check_chunks(bytes)?;
    match std::panic::catch_unwind(|| AutoCommit::load(bytes)) {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the Automerge decoder failed on these bytes".to_string()),
    }
}

/// Applies changes from outside to `doc`, catching a decoder panic as
/// [`load_untrusted`] does. On an error `doc` may hold part of the changes:
/// the caller must drop it.
pub fn load_incremental_untrusted(doc: &mut AutoCommit, bytes: &[u8]) -> Result<(), String> {
    check_chunks(bytes)?;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.load_incremental(bytes))) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the Automerge decoder failed on these changes".to_string()),
    }
}

impl DocError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        DocError::Invalid { field: field.into(), reason: reason.into() }
    }
}

/// Writes the header into a new, empty document.
pub fn write_header(doc: &mut AutoCommit, header: &Header) -> Result<(), automerge::AutomergeError> {
    use automerge::transaction::Transactable;
    doc.put(ROOT, "kind", header.kind.as_str())?;
    doc.put(ROOT, "schema", ScalarValue::Uint(header.schema))?;
    doc.put(ROOT, "id", header.id.to_string())?;
    doc.put(ROOT, "site_id", header.site_id.to_string())?;
    doc.put(ROOT, "created_at", time::to_stored(header.created_at))?;
    doc.put(ROOT, "created_by", header.created_by.as_str())?;
    doc.put(ROOT, "timezone", header.timezone.name())?;
    Ok(())
}

/// Reads and checks the header of any record document.
pub fn read_header(doc: &impl ReadDoc) -> Result<Header, DocError> {
    let root = hydrate_root(doc)?;
    header_from(&Fields::root(&root)?)
}

/// The whole document as plain values: one pass, much cheaper than a lookup per field.
pub fn hydrate_root(doc: &impl ReadDoc) -> Result<hydrate::Value, DocError> {
    doc.hydrate(ROOT, None).map_err(|e| DocError::Undecodable(e.to_string()))
}

/// Reads the header from a hydrated root.
pub fn header_from(root: &Fields<'_>) -> Result<Header, DocError> {
    let kind_name = root.str("kind")?;
    let kind = RecordKind::parse(&kind_name)
        .ok_or_else(|| DocError::invalid("kind", format!("unknown record kind '{kind_name}'")))?;
    let schema = root.u64("schema")?;
    if schema == 0 || schema > SCHEMA_VERSION {
        return Err(DocError::invalid(
            "schema",
            format!("version {schema} is not supported (this build reads up to {SCHEMA_VERSION}); upgrade wuye"),
        ));
    }
    let id = root.str("id")?.parse().map_err(|e: crate::ids::IdParseError| DocError::invalid("id", e.to_string()))?;
    let site_id = root
        .str("site_id")?
        .parse()
        .map_err(|e: crate::ids::IdParseError| DocError::invalid("site_id", e.to_string()))?;
    let created_at = root.instant("created_at")?;
    let created_by = root.str("created_by")?;
    let tz_name = root.str("timezone")?;
    let timezone = time::parse_timezone(&tz_name).map_err(|e| DocError::invalid("timezone", e.to_string()))?;
    Ok(Header { kind, schema, id, site_id, created_at, created_by, timezone })
}

/// The fields every build can read of any record, whatever its kind: for a
/// kind this build does not know, which is kept and passed on unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opaque {
    /// The kind's stored name.
    pub kind: String,
    /// The record's id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
}

/// Longest kind name a document or a payload may carry.
pub const MAX_KIND_CHARS: usize = 32;

/// Reads a document's kind, id and owner, whatever the kind.
pub fn read_opaque(doc: &impl ReadDoc) -> Result<Opaque, DocError> {
    let hydrated = hydrate_root(doc)?;
    let root = Fields::root(&hydrated)?;
    let kind = root.str("kind")?;
    if kind.is_empty()
        || kind.chars().count() > MAX_KIND_CHARS
        || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    {
        return Err(DocError::invalid("kind", format!("'{}' is not a record kind's name", crate::text::echo(&kind))));
    }
    let id = root.str("id")?.parse().map_err(|e: crate::ids::IdParseError| DocError::invalid("id", e.to_string()))?;
    let site_id = root
        .str("site_id")?
        .parse()
        .map_err(|e: crate::ids::IdParseError| DocError::invalid("site_id", e.to_string()))?;
    Ok(Opaque { kind, id, site_id })
}

/// A hydrated map read field by field; errors name the field's path.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    map: &'a hydrate::Map,
    path: &'a str,
}

fn wrong(path: String, expected: &'static str) -> DocError {
    DocError::WrongType { field: path, expected }
}

impl<'a> Fields<'a> {
    /// The document's root map.
    pub fn root(value: &'a hydrate::Value) -> Result<Self, DocError> {
        match value {
            hydrate::Value::Map(map) => Ok(Self { map, path: "" }),
            _ => Err(wrong("(root)".into(), "a map")),
        }
    }

    /// The map stored in a list item (`path` names the list and index).
    pub fn item(value: &'a hydrate::Value, path: &'a str) -> Result<Self, DocError> {
        match value {
            hydrate::Value::Map(map) => Ok(Self { map, path }),
            _ => Err(wrong(path.to_string(), "a map")),
        }
    }

    fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Result<&'a hydrate::Value, DocError> {
        self.map.get(key).ok_or_else(|| DocError::Missing(self.path(key)))
    }

    /// A required one-line string field (a plain string or a text object).
    pub fn str(&self, key: &str) -> Result<String, DocError> {
        self.string(key, MAX_FIELD_CHARS, false)
    }

    /// A required long text field, which may hold line breaks.
    pub fn text(&self, key: &str) -> Result<String, DocError> {
        self.string(key, MAX_FIELD_CHARS, true)
    }

    /// A required text field that may be longer than [`MAX_FIELD_CHARS`], up to `max` characters.
    pub fn str_up_to(&self, key: &str, max: usize) -> Result<String, DocError> {
        self.string(key, max, true)
    }

    fn string(&self, key: &str, max: usize, multiline: bool) -> Result<String, DocError> {
        let text = match self.get(key)? {
            hydrate::Value::Scalar(ScalarValue::Str(s)) => s.to_string(),
            hydrate::Value::Text(t) => t.to_string(),
            _ => return Err(wrong(self.path(key), "a string")),
        };
        check_text(text, max, multiline, || self.path(key))
    }

    /// An optional one-line string field: empty when the document has none
    /// (written by a release before the field existed).
    pub fn str_or_empty(&self, key: &str) -> Result<String, DocError> {
        if self.map.get(key).is_none() {
            return Ok(String::new());
        }
        self.str(key)
    }

    /// A required boolean field.
    pub fn bool(&self, key: &str) -> Result<bool, DocError> {
        match self.get(key)? {
            hydrate::Value::Scalar(ScalarValue::Boolean(b)) => Ok(*b),
            _ => Err(wrong(self.path(key), "true or false")),
        }
    }

    /// A required unsigned integer field.
    pub fn u64(&self, key: &str) -> Result<u64, DocError> {
        match self.get(key)? {
            hydrate::Value::Scalar(ScalarValue::Uint(n)) => Ok(*n),
            hydrate::Value::Scalar(ScalarValue::Int(n)) if *n >= 0 => Ok(*n as u64),
            _ => Err(wrong(self.path(key), "a whole number")),
        }
    }

    /// A required whole number, which may be below zero.
    pub fn i64(&self, key: &str) -> Result<i64, DocError> {
        match self.get(key)? {
            hydrate::Value::Scalar(ScalarValue::Int(n)) => Ok(*n),
            hydrate::Value::Scalar(ScalarValue::Uint(n)) => {
                i64::try_from(*n).map_err(|_| wrong(self.path(key), "a whole number"))
            }
            _ => Err(wrong(self.path(key), "a whole number")),
        }
    }

    /// A required instant, stored as RFC 3339 text.
    pub fn instant(&self, key: &str) -> Result<DateTime<Utc>, DocError> {
        let text = self.str(key)?;
        time::from_stored(&text)
            .ok_or_else(|| DocError::invalid(self.path(key), format!("'{text}' is not an RFC 3339 time")))
    }

    /// An optional instant: none when the document has no such field (written
    /// by a release before the field existed).
    pub fn instant_or_none(&self, key: &str) -> Result<Option<DateTime<Utc>>, DocError> {
        if self.map.get(key).is_none() {
            return Ok(None);
        }
        self.instant(key).map(Some)
    }

    /// A required nested map field.
    pub fn map(&self, key: &'a str) -> Result<Fields<'a>, DocError> {
        match self.get(key)? {
            hydrate::Value::Map(map) => Ok(Self { map, path: key }),
            _ => Err(wrong(self.path(key), "a map")),
        }
    }

    /// A required map of names to whole numbers (counts by category, say), at most `max` entries.
    pub fn counts(&self, key: &str, max: usize) -> Result<std::collections::BTreeMap<String, u64>, DocError> {
        let map = match self.get(key)? {
            hydrate::Value::Map(map) => map,
            _ => return Err(wrong(self.path(key), "a map")),
        };
        if map.len() > max {
            return Err(DocError::invalid(self.path(key), format!("{} entries, at most {max}", map.len())));
        }
        let inner = Fields { map, path: "" };
        let mut out = std::collections::BTreeMap::new();
        for name in map.keys() {
            let name = check_text(name.clone(), MAX_FIELD_CHARS, false, || format!("{}.{name}", self.path(key)))?;
            let n = inner.u64(&name).map_err(|_| wrong(format!("{}.{name}", self.path(key)), "a whole number"))?;
            out.insert(name, n);
        }
        Ok(out)
    }

    /// The fields beside the header, checked, as the struct `T` (see [`crate::body`]).
    pub fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T, DocError> {
        crate::body::read(self.map)
    }

    /// A required list field, at most `max` long: its items.
    pub fn list(&self, key: &str, max: usize) -> Result<Vec<&'a hydrate::Value>, DocError> {
        match self.get(key)? {
            hydrate::Value::List(list) => {
                if list.len() > max {
                    return Err(DocError::invalid(self.path(key), format!("{} entries, at most {max}", list.len())));
                }
                Ok(list.iter().map(|item| &item.value).collect())
            }
            _ => Err(wrong(self.path(key), "a list")),
        }
    }
}

/// A list item that must be a string.
pub fn item_str(value: &hydrate::Value, path: impl FnOnce() -> String) -> Result<String, DocError> {
    let text = match value {
        hydrate::Value::Scalar(ScalarValue::Str(s)) => s.to_string(),
        hydrate::Value::Text(t) => t.to_string(),
        _ => return Err(wrong(path(), "a string")),
    };
    check_text(text, MAX_FIELD_CHARS, false, path)
}

/// Longest text any document field may hold when read (the longest a rule
/// lets anyone write, `rules::MAX_TEXT_CHARS`, is the same); a document
/// carrying more was not written by wuye and is refused.
pub const MAX_FIELD_CHARS: usize = 2_000;

/// A field's text as read from a document: within `max` characters and free
/// of control characters (line breaks only in long texts), the same rule as
/// at input, so a forged document cannot carry what a person could not type.
fn check_text(text: String, max: usize, multiline: bool, path: impl FnOnce() -> String) -> Result<String, DocError> {
    let len = text.chars().count();
    if len > max {
        return Err(DocError::invalid(path(), format!("{len} characters, more than the {max} allowed")));
    }
    if let Some((at, c)) = crate::text::first_forbidden(&text, multiline) {
        return Err(DocError::invalid(path(), format!("control character {}", crate::text::describe(at, c))));
    }
    Ok(text)
}

/// The document's heads, sorted, so two replicas with the same history compare equal.
pub fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}

/// A required nested object of the given type; returns its id.
pub fn get_object(
    doc: &impl ReadDoc,
    obj: &ObjId,
    key: &str,
    path: &str,
    expected: ObjType,
) -> Result<ObjId, DocError> {
    match doc.get(obj, key) {
        Ok(Some((Value::Object(t), id))) if t == expected => Ok(id),
        Ok(Some(_)) => Err(DocError::WrongType {
            field: path.to_string(),
            expected: match expected {
                ObjType::List => "a list",
                ObjType::Map | ObjType::Table => "a map",
                ObjType::Text => "text",
            },
        }),
        Ok(None) => Err(DocError::Missing(path.to_string())),
        Err(e) => Err(DocError::invalid(path, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn chunk(kind: u8, data: &[u8]) -> Vec<u8> {
        let mut out = CHUNK_MAGIC.to_vec();
        out.extend([0, 0, 0, 0, kind]);
        let mut len = data.len();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            out.push(if len > 0 { byte | 0x80 } else { byte });
            if len == 0 {
                break;
            }
        }
        out.extend(data);
        out
    }

    #[test]
    fn only_document_and_change_chunks_of_honest_size_reach_automerge() {
        let mut doc = AutoCommit::new();
        doc.put(automerge::ROOT, "unit", "3栋501").unwrap();
        let saved = doc.save();
        let nocompress = doc.save_nocompress();
        let base = doc.get_heads();
        doc.put(automerge::ROOT, "unit", "3栋502").unwrap();
        let changes = doc.save_after(&base);
        for honest in [&saved, &nocompress, &changes] {
            check_chunks(honest).unwrap();
        }
        let mut two = nocompress.clone();
        two.extend(&changes);
        check_chunks(&two).unwrap();

        let bomb = {
            use std::io::Write;
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(&vec![0u8; 8 * 1024 * 1024]).unwrap();
            z.finish().unwrap()
        };
        assert!(bomb.len() < 64 * 1024, "a small deflate stream");
        let cases: [(Vec<u8>, &str); 6] = [
            (Vec::new(), "empty"),
            (chunk(3, b"bundle"), "type 3"),
            (chunk(9, b""), "type 9"),
            (chunk(2, &bomb), "inflates past"),
            (saved[..saved.len() - 1].to_vec(), "more than were sent"),
            (b"PK\x03\x04 not automerge".to_vec(), "magic"),
        ];
        for (bytes, words) in cases {
            let e = check_chunks(&bytes).unwrap_err();
            assert!(e.contains(words), "{words}: {e}");
            assert!(load_untrusted(&bytes).is_err());
        }
    }
}
