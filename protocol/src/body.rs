//! Record bodies written from and read into plain Rust structs: each field
//! of a struct's JSON form becomes a field of the document (maps, lists,
//! strings, whole numbers, booleans), so a record that is written once and
//! then only appended to needs no hand-written layout. Reading back checks
//! what a document from the network may hold: strings of printable text
//! within [`MAX_TEXT_CHARS`], lists within [`crate::events::MAX_ENTRIES`],
//! nesting within [`MAX_DEPTH`], no floating point, bytes or counters.

use automerge::transaction::Transactable;
use automerge::{hydrate, AutoCommit, ObjId, ObjType, ScalarValue, ROOT};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::doc::DocError;
use crate::events::MAX_ENTRIES;
use crate::rules::{RuleError, MAX_TEXT_CHARS};

/// Deepest nesting of maps and lists a body may have.
pub const MAX_DEPTH: usize = 5;

/// The header's fields, which a body never writes.
const HEADER: &[&str] = &["kind", "schema", "id", "site_id", "created_at", "created_by", "timezone"];

fn json_of<T: Serialize>(value: &T) -> Result<Value, RuleError> {
    serde_json::to_value(value).map_err(|e| RuleError::Automerge(format!("a body that is not a map of fields: {e}")))
}

/// Writes every field of `body` (a struct) at the document's root.
pub fn write<T: Serialize>(doc: &mut AutoCommit, body: &T) -> Result<(), RuleError> {
    let Value::Object(fields) = json_of(body)? else {
        return Err(RuleError::Automerge("a body must be a struct".into()));
    };
    for (key, value) in &fields {
        debug_assert!(!HEADER.contains(&key.as_str()), "a body field may not be named like the header's {key}");
        put(doc, &ROOT, Place::Key(key), value)?;
    }
    Ok(())
}

/// Appends `item` to the list `key` at the root (made on first use).
pub fn append<T: Serialize>(doc: &mut AutoCommit, key: &str, item: &T) -> Result<(), RuleError> {
    use automerge::ReadDoc;
    let list = match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::List), id)) => id,
        _ => doc.put_object(ROOT, key, ObjType::List)?,
    };
    let len = doc.length(&list);
    if len >= MAX_ENTRIES {
        return Err(RuleError::TooLong { field: "the record's list", len: len + 1, max: MAX_ENTRIES });
    }
    put(doc, &list, Place::Index(len), &json_of(item)?)
}

enum Place<'a> {
    Key(&'a str),
    Index(usize),
}

fn put(doc: &mut AutoCommit, obj: &ObjId, at: Place<'_>, value: &Value) -> Result<(), RuleError> {
    let object = |doc: &mut AutoCommit, kind: ObjType| match at {
        Place::Key(k) => doc.put_object(obj, k, kind),
        Place::Index(i) => doc.insert_object(obj, i, kind),
    };
    let scalar: ScalarValue = match value {
        Value::Object(fields) => {
            let map = object(doc, ObjType::Map)?;
            for (key, value) in fields {
                put(doc, &map, Place::Key(key), value)?;
            }
            return Ok(());
        }
        Value::Array(items) => {
            let list = object(doc, ObjType::List)?;
            for (i, value) in items.iter().enumerate() {
                put(doc, &list, Place::Index(i), value)?;
            }
            return Ok(());
        }
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(*b),
        Value::String(s) => ScalarValue::Str(s.as_str().into()),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => ScalarValue::Uint(u),
            (None, Some(i)) => ScalarValue::Int(i),
            _ => return Err(RuleError::Automerge("a body holds no floating-point numbers".into())),
        },
    };
    match at {
        Place::Key(k) => doc.put(obj, k, scalar)?,
        Place::Index(i) => doc.insert(obj, i, scalar)?,
    }
    Ok(())
}

/// The body's fields of a hydrated root, checked, as the struct `T`.
pub fn read<T: DeserializeOwned>(root: &hydrate::Map) -> Result<T, DocError> {
    let mut fields = Map::new();
    for (key, value) in root.iter() {
        if !HEADER.contains(&key.as_str()) {
            fields.insert(key.clone(), json(&value.value, key, 1)?);
        }
    }
    serde_json::from_value(Value::Object(fields)).map_err(|e| DocError::invalid("(body)", e.to_string()))
}

fn json(value: &hydrate::Value, path: &str, depth: usize) -> Result<Value, DocError> {
    if depth > MAX_DEPTH {
        return Err(DocError::invalid(path, format!("nested more than {MAX_DEPTH} deep")));
    }
    Ok(match value {
        hydrate::Value::Map(map) => {
            let mut out = Map::new();
            for (key, item) in map.iter() {
                let path = format!("{path}.{key}");
                out.insert(text(key.clone(), &path)?, json(&item.value, &path, depth + 1)?);
            }
            Value::Object(out)
        }
        hydrate::Value::List(list) => {
            if list.len() > MAX_ENTRIES {
                return Err(DocError::invalid(path, format!("{} entries, at most {MAX_ENTRIES}", list.len())));
            }
            let items = list.iter().enumerate().map(|(i, item)| json(&item.value, &format!("{path}[{i}]"), depth + 1));
            Value::Array(items.collect::<Result<_, _>>()?)
        }
        hydrate::Value::Text(t) => Value::String(text(t.to_string(), path)?),
        hydrate::Value::Scalar(s) => match s {
            ScalarValue::Str(s) => Value::String(text(s.to_string(), path)?),
            ScalarValue::Uint(n) => Value::from(*n),
            ScalarValue::Int(n) => Value::from(*n),
            ScalarValue::Boolean(b) => Value::Bool(*b),
            ScalarValue::Null => Value::Null,
            _ => return Err(DocError::invalid(path, "a value of a type records never hold")),
        },
    })
}

fn text(text: String, path: &str) -> Result<String, DocError> {
    let len = text.chars().count();
    if len > MAX_TEXT_CHARS {
        return Err(DocError::invalid(path, format!("{len} characters, more than the {MAX_TEXT_CHARS} allowed")));
    }
    if let Some((at, c)) = crate::text::first_forbidden(&text, true) {
        return Err(DocError::invalid(path, format!("control character {}", crate::text::describe(at, c))));
    }
    Ok(text)
}

/// A record's view whose fields beside the header are a body: its id, site, body (the fields of its document
/// beside the header, see [`crate::body`]), and when and by whom it was made
/// (named `$at` and `$by` as the form names them); it reads as its body
/// (`Deref`), and implements [`crate::kind::Kind`] with `$check` run on the
/// body read and `$projection` as its sort key and status.
macro_rules! body_record {
    (
        $(#[$doc:meta])* $name:ident($body:ty), $kind:expr, $at:ident, $by:ident,
        check |$c:ident| $check:expr, projection |$v:ident| $projection:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            /// The record id.
            pub id: crate::ids::RecordId,
            /// The owning site.
            pub site_id: crate::ids::SiteId,
            /// What it holds.
            #[serde(flatten)]
            pub body: $body,
            /// When it was made, in the site's time zone.
            pub $at: crate::time::SiteTime,
            /// Who made it.
            pub $by: String,
        }

        impl std::ops::Deref for $name {
            type Target = $body;
            fn deref(&self) -> &$body {
                &self.body
            }
        }

        impl crate::kind::Kind for $name {
            const KIND: crate::doc::RecordKind = $kind;

            fn from_root(
                root: &crate::doc::Fields<'_>,
                header: &crate::doc::Header,
            ) -> Result<Self, crate::doc::DocError> {
                let body: $body = root.body()?;
                #[allow(unused_variables)]
                let $c = &body;
                $check?;
                Ok($name {
                    id: header.id,
                    site_id: header.site_id,
                    body,
                    $at: crate::time::to_site(header.created_at, header.timezone),
                    $by: header.created_by.clone(),
                })
            }

            crate::kind::ids!();

            fn projection(&self) -> crate::kind::Projection {
                let $v = self;
                $projection
            }
        }
    };
}
pub(crate) use body_record;

/// A new document of `kind` holding the header and `body`, written by `by` now.
pub fn new_doc<B: Serialize>(
    kind: crate::doc::RecordKind,
    id: crate::ids::RecordId,
    site_id: crate::ids::SiteId,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
    by: &str,
    body: &B,
) -> Result<automerge::AutoCommit, RuleError> {
    let mut doc = crate::kind::new_record(kind, id, site_id, tz, now, by)?;
    crate::body::write(&mut doc, body)?;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        count: u64,
        below: i64,
        flag: bool,
        maybe: Option<String>,
        lines: Vec<Line>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Line {
        what: String,
        fen: u64,
    }

    fn root(doc: &AutoCommit) -> hydrate::Value {
        crate::doc::hydrate_root(doc).unwrap()
    }

    #[test]
    fn a_body_written_reads_back_the_same_and_appends_merge_from_both_sides() {
        let sample = Sample {
            name: "物业费 2026年3月".into(),
            count: 7,
            below: -3,
            flag: true,
            maybe: None,
            lines: vec![Line { what: "本金".into(), fen: 100 }],
        };
        let mut doc = AutoCommit::new();
        write(&mut doc, &sample).unwrap();
        let hydrate::Value::Map(map) = root(&doc) else { panic!("a map") };
        assert_eq!(read::<Sample>(&map).unwrap(), sample);

        let mut other = doc.fork();
        append(&mut doc, "lines", &Line { what: "滞纳金".into(), fen: 5 }).unwrap();
        append(&mut other, "lines", &Line { what: "减免".into(), fen: 9 }).unwrap();
        doc.merge(&mut other).unwrap();
        other.merge(&mut doc).unwrap();
        let hydrate::Value::Map(a) = root(&doc) else { panic!("a map") };
        let hydrate::Value::Map(b) = root(&other) else { panic!("a map") };
        let (a, b) = (read::<Sample>(&a).unwrap(), read::<Sample>(&b).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.lines.len(), 3);
    }

    #[test]
    fn what_a_body_may_not_hold_is_refused_on_reading() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "name", "a\u{7}b").unwrap();
        let hydrate::Value::Map(map) = root(&doc) else { panic!("a map") };
        assert!(read::<Map<String, Value>>(&map).unwrap_err().to_string().contains("control character"));

        let mut doc = AutoCommit::new();
        doc.put(ROOT, "price", 1.5).unwrap();
        let hydrate::Value::Map(map) = root(&doc) else { panic!("a map") };
        assert!(read::<Map<String, Value>>(&map).is_err());

        let mut doc = AutoCommit::new();
        let mut obj = ROOT;
        for _ in 0..8 {
            obj = doc.put_object(&obj, "deeper", ObjType::Map).unwrap();
        }
        let hydrate::Value::Map(map) = root(&doc) else { panic!("a map") };
        assert!(read::<Map<String, Value>>(&map).unwrap_err().to_string().contains("nested"));
    }
}
