//! What every record kind is: the trait each kind implements, the header
//! every new document starts with, and reading a document as one kind. The
//! list of kinds ([`crate::kinds`]) sits above the kinds; the kinds see only this.

use automerge::{AutoCommit, ReadDoc};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS};

/// What a store keeps beside a record's view to list it without reading
/// every view: the key lists sort by and the status lists filter by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// Lists are in this order (then by id): an instant in UTC's stored
    /// form (which sorts as text), or a name.
    pub sort: String,
    /// The record's status name, or empty for kinds without one.
    pub status: &'static str,
}

impl Projection {
    /// Sorted by an instant, with a status.
    pub fn at(at: DateTime<Utc>, status: &'static str) -> Self {
        Self { sort: crate::time::to_stored(at), status }
    }
}

/// One kind of record: which it is, how its view is read from a document,
/// and what a store keeps to list it.
pub trait Kind: Sized + Serialize + DeserializeOwned {
    /// The kind, as the header names it.
    const KIND: RecordKind;

    /// Reads the view from a hydrated root whose header is already read and
    /// names this kind.
    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError>;

    /// The record's id.
    fn id(&self) -> RecordId;

    /// The site that owns the record.
    fn site_id(&self) -> SiteId;

    /// Sort key and status, for lists.
    fn projection(&self) -> Projection;

    /// The record this one replaces, whose document every store deletes
    /// (and purges from its files) on receiving this one.
    fn replaces(&self) -> Option<RecordId> {
        None
    }

    /// The view as head office may show it: the same, unless the kind holds
    /// something only the site may see.
    fn at_head_office(self) -> Self {
        self
    }

    /// What the record counts towards in the figures (see [`crate::kpi`]).
    fn facts(&self) -> Vec<crate::kpi::Fact> {
        Vec::new()
    }
}

/// The two `Kind` methods every view answers from its own `id` and
/// `site_id` fields, written once: `kind::ids!();` inside the impl.
macro_rules! ids {
    () => {
        fn id(&self) -> crate::ids::RecordId {
            self.id
        }

        fn site_id(&self) -> crate::ids::SiteId {
            self.site_id
        }
    };
}
pub(crate) use ids;

/// Reads and checks a document that must be of kind `T`, in one pass.
pub fn read<T: Kind>(doc: &impl ReadDoc) -> Result<T, DocError> {
    let hydrated = doc::hydrate_root(doc)?;
    let root = Fields::root(&hydrated)?;
    let header = doc::header_from(&root)?;
    if header.kind != T::KIND {
        return Err(DocError::invalid("kind", format!("not this kind of record: found {}", header.kind.as_str())));
    }
    T::from_root(&root, &header)
}

/// A new document of `kind` holding only its header, written by `by` now.
pub fn new_record(
    kind: RecordKind,
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
) -> Result<AutoCommit, RuleError> {
    let mut doc = AutoCommit::new();
    let created_by = field_text("by", by, MAX_NAME_CHARS, true)?;
    doc::write_header(
        &mut doc,
        &Header { kind, schema: doc::SCHEMA_VERSION, id, site_id, created_at: now, created_by, timezone: tz },
    )?;
    Ok(doc)
}
