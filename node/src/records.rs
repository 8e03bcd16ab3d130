//! What a record store offers whatever database is under it: records written
//! and read by kind, and lists filtered and paged. The SQLite store
//! ([`crate::store::Store`]) implements it on both sides; the merge and check
//! logic every implementation shares is in `store::merge`, with no database in it.

use automerge::AutoCommit;
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::kind::Kind;
use wuye_protocol::record::View;
use wuye_protocol::rules::RuleError;
use wuye_protocol::sync::SyncStore;

/// Which records of a kind a list wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this site's.
    pub site: Option<SiteId>,
    /// Only records whose status is one of these (all when empty).
    pub statuses: Vec<String>,
    /// Only records whose sort key is at least this (an instant's stored form, say).
    pub sort_from: Option<String>,
    /// Only records whose sort key is before this.
    pub sort_before: Option<String>,
    /// Only records whose view has these top-level fields equal to these
    /// values (text as stored; `true`/`false` for flags).
    pub fields: Vec<(&'static str, String)>,
    /// Only records whose view contains this text anywhere (a name, a unit, a phone).
    pub contains: Option<String>,
}

/// Where a page starts: after the record with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last record's sort key.
    pub sort: String,
    /// The last record's id.
    pub id: RecordId,
}

/// How much of a list, from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many (all when absent).
    pub limit: Option<usize>,
    /// After this record (from the start when absent).
    pub after: Option<Cursor>,
    /// Newest first: the kind's order reversed, the cursor counting down.
    pub newest_first: bool,
}

impl Page {
    /// The whole list.
    pub fn all() -> Self {
        Self::default()
    }

    /// The first `limit` records.
    pub fn first(limit: usize) -> Self {
        Self { limit: Some(limit), ..Self::default() }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The records, in their kind's order.
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next: Option<Cursor>,
}

/// Record storage: the operations the application layer and the sync session
/// need, whatever database holds the records.
pub trait Records: SyncStore {
    /// Saves newly created record documents in one transaction.
    fn insert_batch(&mut self, docs: &mut [AutoCommit]) -> Result<Vec<View>, Self::Error>;

    /// Loads a record, applies `edit` and saves it, in one transaction.
    fn edit_with(
        &mut self,
        id: RecordId,
        edit: &mut dyn FnMut(&mut AutoCommit) -> Result<(), RuleError>,
    ) -> Result<View, Self::Error>;

    /// A record's document.
    fn document(&self, id: RecordId) -> Result<AutoCommit, Self::Error>;

    /// One record of kind `T`.
    fn view<T: Kind>(&self, id: RecordId) -> Result<T, Self::Error>;

    /// One page of the records of kind `T` that pass `filter`.
    fn list<T: Kind>(&self, filter: &Filter, page: &Page) -> Result<Paged<T>, Self::Error>;
}
