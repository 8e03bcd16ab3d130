//! Reading records from the SQLite store: ids from prefixes, one record by
//! kind, and lists filtered and paged from the projection table; and the
//! store's side of [`Records`].

use automerge::AutoCommit;
use rusqlite::params;
use wuye_protocol::doc::RecordKind;
use wuye_protocol::ids::RecordId;
use wuye_protocol::kind::Kind;
use wuye_protocol::record::View;
use wuye_protocol::rules::RuleError;

use super::{pack, parse_view, Store, StoreError};
use crate::records::{list_query, paged, Dialect, Filter, Page, Paged, Records};

impl Store {
    /// Resolves a full id or a unique prefix of one.
    pub fn resolve(&self, kind: RecordKind, text: &str) -> Result<RecordId, StoreError> {
        crate::records::resolve_prefix(kind, text, |prefix| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id FROM docs WHERE kind = ?1 AND id >= ?2 AND id < ?2 || 'g' ORDER BY id LIMIT 2",
            )?;
            let ids = stmt.query_map(params![kind.as_str(), prefix], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(ids)
        })
    }

    /// One record of kind `T`, from its projection.
    pub fn get<T: Kind>(&self, id: RecordId) -> Result<T, StoreError> {
        let key = id.to_string();
        let mut stmt =
            self.conn.prepare_cached("SELECT stored, dict, site_id FROM projections WHERE id = ?1 AND kind = ?2")?;
        let mut rows = stmt.query(params![key, T::KIND.as_str()])?;
        let row = rows.next()?.ok_or_else(|| StoreError::NotFound { kind: T::KIND.noun(), id: key.clone() })?;
        let view = stored_view(&self.conn, &mut pack::Dictionaries::default(), &key, row, 0)?;
        parse_view(&key, &view)
    }

    /// A view just written, as the type its kind expects.
    pub fn typed<T: Kind + TryFrom<View, Error = View>>(view: View) -> Result<T, StoreError> {
        T::try_from(view).map_err(|other| StoreError::NotFound { kind: T::KIND.noun(), id: other.id().to_string() })
    }

    /// One page of the records of kind `T` that pass `filter`, in their
    /// kind's order, after the page's cursor.
    pub fn page<T: Kind>(&self, filter: &Filter, page: &Page) -> Result<Paged<T>, StoreError> {
        self.page_with(T::KIND, filter, page, |id, view| parse_view::<T>(id, view))
    }

    /// [`Store::page`] for a kind chosen at run time (a command line's word, say).
    pub fn page_views(&self, kind: RecordKind, filter: &Filter, page: &Page) -> Result<Paged<View>, StoreError> {
        self.page_with(kind, filter, page, |id, view| crate::records::parse_any(kind, id, view))
    }

    fn page_with<T>(
        &self,
        kind: RecordKind,
        filter: &Filter,
        page: &Page,
        parse: impl Fn(&str, &str) -> Result<T, StoreError>,
    ) -> Result<Paged<T>, StoreError> {
        let (sql, args) = list_query(Dialect::Sqlite, kind.as_str(), filter, page);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut dicts = pack::Dictionaries::default();
        let mut read = || -> Result<Option<(String, String, String)>, StoreError> {
            let Some(row) = rows.next()? else { return Ok(None) };
            let (id, sort): (String, String) = (row.get(0)?, row.get(1)?);
            let view = stored_view(&self.conn, &mut dicts, &id, row, 2)?;
            Ok(Some((id, sort, view)))
        };
        let rows = std::iter::from_fn(|| read().transpose());
        paged(rows, page, parse, |id| StoreError::Corrupt { id: id.to_string(), reason: "id does not parse".into() })
    }
}

/// A projection's view as JSON text, from the columns of `row` from `at` on
/// (the view as stored, its dictionary's number, its site's id: see
/// [`list_query`]), unpacked here rather than by SQL so that a page reads
/// each dictionary once.
fn stored_view(
    conn: &rusqlite::Connection,
    dicts: &mut pack::Dictionaries,
    id: &str,
    row: &rusqlite::Row<'_>,
    at: usize,
) -> Result<String, StoreError> {
    let site = row.get_ref(at + 2)?.as_str().map_err(rusqlite::Error::from)?;
    let key = pack::RowKey { id, site, heads: &[] };
    dicts.view(conn, key, row.get_ref(at)?, row.get(at + 1)?)
}

impl Records for Store {
    fn insert_batch(&mut self, docs: &mut [AutoCommit]) -> Result<Vec<View>, StoreError> {
        Store::insert_batch(self, docs)
    }

    fn edit_with(
        &mut self,
        id: RecordId,
        edit: &mut dyn FnMut(&mut AutoCommit) -> Result<(), RuleError>,
    ) -> Result<View, StoreError> {
        self.edit(id, edit)
    }

    fn document(&self, id: RecordId) -> Result<AutoCommit, StoreError> {
        self.load(id)
    }

    fn view<T: Kind>(&self, id: RecordId) -> Result<T, StoreError> {
        self.get(id)
    }

    fn resolve(&self, kind: RecordKind, text: &str) -> Result<RecordId, StoreError> {
        Store::resolve(self, kind, text)
    }

    fn list<T: Kind>(&self, filter: &Filter, page: &Page) -> Result<Paged<T>, StoreError> {
        self.page(filter, page)
    }

    fn list_views(&self, kind: RecordKind, filter: &Filter, page: &Page) -> Result<Paged<View>, StoreError> {
        self.page_views(kind, filter, page)
    }
}
