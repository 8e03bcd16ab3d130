//! The header every record document carries, and typed reading helpers.
//!
//! Every record is its own Automerge document. Its root map holds the header
//! (`kind`, `schema`, `id`, `site_id`, `created_at`, `created_by`, `timezone`),
//! which never changes after creation, and the kind's own fields.

use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, Value, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ids::{RecordId, SiteId};
use crate::time;

/// The layout version written into new documents.
pub const SCHEMA_VERSION: u64 = 1;

/// What kind of record a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A customer complaint (客户投诉).
    Complaint,
}

impl RecordKind {
    /// The name stored in documents and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Complaint => "complaint",
        }
    }

    /// Parses a stored kind name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "complaint" => Some(RecordKind::Complaint),
            _ => None,
        }
    }
}

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
    let kind_name = get_str(doc, &ROOT, "kind", "kind")?;
    let kind = RecordKind::parse(&kind_name)
        .ok_or_else(|| DocError::invalid("kind", format!("unknown record kind '{kind_name}'")))?;
    let schema = get_u64(doc, &ROOT, "schema", "schema")?;
    if schema == 0 || schema > SCHEMA_VERSION {
        return Err(DocError::invalid(
            "schema",
            format!("version {schema} is not supported (this build reads up to {SCHEMA_VERSION}); upgrade wuye"),
        ));
    }
    let id = get_str(doc, &ROOT, "id", "id")?
        .parse()
        .map_err(|e: crate::ids::IdParseError| DocError::invalid("id", e.to_string()))?;
    let site_id = get_str(doc, &ROOT, "site_id", "site_id")?
        .parse()
        .map_err(|e: crate::ids::IdParseError| DocError::invalid("site_id", e.to_string()))?;
    let created_at = get_instant(doc, &ROOT, "created_at", "created_at")?;
    let created_by = get_str(doc, &ROOT, "created_by", "created_by")?;
    let tz_name = get_str(doc, &ROOT, "timezone", "timezone")?;
    let timezone = time::parse_timezone(&tz_name).map_err(|e| DocError::invalid("timezone", e.to_string()))?;
    Ok(Header { kind, schema, id, site_id, created_at, created_by, timezone })
}

/// The document's heads, sorted, so two replicas with the same history compare equal.
pub fn sorted_heads(doc: &mut AutoCommit) -> Vec<ChangeHash> {
    let mut heads = doc.get_heads();
    heads.sort();
    heads
}

fn scalar<'a>(doc: &'a impl ReadDoc, obj: &ObjId, key: &str, path: &str) -> Result<Option<Value<'a>>, DocError> {
    match doc.get(obj, key) {
        Ok(Some((value, _))) => Ok(Some(value)),
        Ok(None) => Ok(None),
        Err(e) => Err(DocError::invalid(path, e.to_string())),
    }
}

/// A required string field.
pub fn get_str(doc: &impl ReadDoc, obj: &ObjId, key: &str, path: &str) -> Result<String, DocError> {
    match scalar(doc, obj, key, path)? {
        Some(Value::Scalar(s)) => match s.as_ref() {
            ScalarValue::Str(text) => Ok(text.to_string()),
            _ => Err(DocError::WrongType { field: path.to_string(), expected: "a string" }),
        },
        Some(Value::Object(ObjType::Text)) => {
            let (_, id) = doc.get(obj, key).ok().flatten().ok_or_else(|| DocError::Missing(path.to_string()))?;
            doc.text(&id).map_err(|e| DocError::invalid(path, e.to_string()))
        }
        Some(_) => Err(DocError::WrongType { field: path.to_string(), expected: "a string" }),
        None => Err(DocError::Missing(path.to_string())),
    }
}

/// A required boolean field.
pub fn get_bool(doc: &impl ReadDoc, obj: &ObjId, key: &str, path: &str) -> Result<bool, DocError> {
    match scalar(doc, obj, key, path)? {
        Some(Value::Scalar(s)) => {
            s.as_bool().ok_or_else(|| DocError::WrongType { field: path.to_string(), expected: "true or false" })
        }
        Some(_) => Err(DocError::WrongType { field: path.to_string(), expected: "true or false" }),
        None => Err(DocError::Missing(path.to_string())),
    }
}

/// A required unsigned integer field.
pub fn get_u64(doc: &impl ReadDoc, obj: &ObjId, key: &str, path: &str) -> Result<u64, DocError> {
    match scalar(doc, obj, key, path)? {
        Some(Value::Scalar(s)) => {
            s.as_u64().ok_or_else(|| DocError::WrongType { field: path.to_string(), expected: "a whole number" })
        }
        Some(_) => Err(DocError::WrongType { field: path.to_string(), expected: "a whole number" }),
        None => Err(DocError::Missing(path.to_string())),
    }
}

/// A required instant, stored as RFC 3339 text.
pub fn get_instant(doc: &impl ReadDoc, obj: &ObjId, key: &str, path: &str) -> Result<DateTime<Utc>, DocError> {
    let text = get_str(doc, obj, key, path)?;
    time::from_stored(&text).ok_or_else(|| DocError::invalid(path, format!("'{text}' is not an RFC 3339 time")))
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

/// The map stored at `index` of a list.
pub fn list_map_at(doc: &impl ReadDoc, list: &ObjId, index: usize, path: &str) -> Result<ObjId, DocError> {
    match doc.get(list, index) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Ok(id),
        Ok(Some(_)) => Err(DocError::WrongType { field: format!("{path}[{index}]"), expected: "a map" }),
        Ok(None) => Err(DocError::Missing(format!("{path}[{index}]"))),
        Err(e) => Err(DocError::invalid(format!("{path}[{index}]"), e.to_string())),
    }
}

/// The string stored at `index` of a list.
pub fn list_str_at(doc: &impl ReadDoc, list: &ObjId, index: usize, path: &str) -> Result<String, DocError> {
    match doc.get(list, index) {
        Ok(Some((Value::Scalar(s), _))) => s
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| DocError::WrongType { field: format!("{path}[{index}]"), expected: "a string" }),
        Ok(Some(_)) => Err(DocError::WrongType { field: format!("{path}[{index}]"), expected: "a string" }),
        Ok(None) => Err(DocError::Missing(format!("{path}[{index}]"))),
        Err(e) => Err(DocError::invalid(format!("{path}[{index}]"), e.to_string())),
    }
}
