//! What a record store offers whatever database is under it: records written
//! and read by kind, and lists filtered and paged. The SQLite store
//! ([`crate::store::Store`]) implements it on both sides; the merge and check
//! logic every implementation shares is in `store::merge`, with no database in it.

use automerge::AutoCommit;
use wuye_protocol::doc::RecordKind;
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
pub trait Records: SyncStore + crate::sql::Sql {
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

    /// A record of `kind` by its full id or a unique prefix of one (see [`resolve_prefix`]).
    fn resolve(&self, kind: RecordKind, text: &str) -> Result<RecordId, Self::Error>;

    /// One page of the records of kind `T` that pass `filter`.
    fn list<T: Kind>(&self, filter: &Filter, page: &Page) -> Result<Paged<T>, Self::Error>;

    /// One page of the records of a kind chosen at run time (a command line's word, say).
    fn list_views(&self, kind: RecordKind, filter: &Filter, page: &Page) -> Result<Paged<View>, Self::Error>;

    /// Every record of kind `T`, of one site or of all, in its kind's order.
    fn all<T: Kind>(&self, site: Option<SiteId>) -> Result<Vec<T>, Self::Error> {
        Ok(self.list::<T>(&Filter { site, ..Filter::default() }, &Page::all())?.items)
    }
}

/// One value of a [`crate::sql::Sql`] query or argument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cell {
    /// SQL's NULL (or a type the figures never read).
    #[default]
    Null,
    /// An integer (a count, a sum).
    Int(i64),
    /// Text.
    Text(String),
}

impl Cell {
    /// The text, if it is text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The integer, 0 if it is none.
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(n) => *n,
            _ => 0,
        }
    }
}

/// The SQL a list is written in: the two stores differ only in these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: `?N` parameters, JSON text, binary collation.
    Sqlite,
    /// PostgreSQL: `$N` parameters, JSONB, `COLLATE "C"` for SQLite's byte order.
    Postgres,
}

impl Dialect {
    fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// A top-level field of a projection's view, as text (a field name is
    /// the kind's own, never typed by a person).
    pub fn field(self, name: &str) -> String {
        debug_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        match self {
            Dialect::Sqlite => format!("json_extract(view, '$.{name}')"),
            Dialect::Postgres => format!("(view ->> '{name}')"),
        }
    }

    /// A text column compared or ordered byte by byte.
    fn bytes(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => column.to_string(),
            Dialect::Postgres => format!("{column} COLLATE \"C\""),
        }
    }
}

/// The query of one page of a list over the `projections` table, and its
/// arguments in order: the same list from either store, in the kind's order
/// (sort key, then id, byte by byte), after the page's cursor, one more row
/// than the page holds (to know whether another follows). Rows are `(id,
/// sort, view as JSON text)`, which [`paged`] reads; from SQLite, `(id,
/// sort, view as stored, its dictionary, site id)`, which the store unpacks
/// into the view before [`paged`] reads it (once a row, and only for the
/// rows it reads).
pub fn list_query(dialect: Dialect, kind: &str, filter: &Filter, page: &Page) -> (String, Vec<String>) {
    let view = match dialect {
        Dialect::Sqlite => "stored, dict, site_id",
        Dialect::Postgres => "view::text",
    };
    let mut sql = format!("SELECT id, sort, {view} FROM projections WHERE kind = {}", dialect.param(1));
    let mut args: Vec<String> = vec![kind.to_string()];
    let mut arg = |sql: &mut String, clause: &str, value: String| {
        args.push(value);
        *sql += &clause.replace('?', &dialect.param(args.len()));
    };
    if let Some(site) = filter.site {
        arg(&mut sql, " AND site_id = ?", site.to_string());
    }
    if !filter.statuses.is_empty() {
        sql += " AND status IN (";
        for (i, status) in filter.statuses.iter().enumerate() {
            arg(&mut sql, if i == 0 { "?" } else { ", ?" }, status.to_string());
        }
        sql += ")";
    }
    let sort = dialect.bytes("sort");
    if let Some(from) = &filter.sort_from {
        arg(&mut sql, &format!(" AND {sort} >= ?"), from.clone());
    }
    if let Some(before) = &filter.sort_before {
        arg(&mut sql, &format!(" AND {sort} < ?"), before.clone());
    }
    for (field, value) in &filter.fields {
        // A field name is the kind's own (a constant), never typed by a person.
        debug_assert!(field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let flag = matches!(value.as_str(), "true" | "false");
        match (dialect, flag) {
            (Dialect::Sqlite, true) => {
                sql += &format!(" AND json_extract(view, '$.{field}') = {}", i32::from(value == "true"))
            }
            (Dialect::Sqlite, false) => {
                arg(&mut sql, &format!(" AND json_extract(view, '$.{field}') = ?"), value.clone())
            }
            (Dialect::Postgres, true) => sql += &format!(" AND view -> '{field}' = '{value}'::jsonb"),
            (Dialect::Postgres, false) => arg(&mut sql, &format!(" AND view ->> '{field}' = ?"), value.clone()),
        }
    }
    if let Some(text) = filter.contains.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // The view is JSON: look for the text as JSON writes it (quotes and backslashes escaped).
        let json = serde_json::to_string(text).unwrap_or_default();
        let inner = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_string();
        let found = match dialect {
            Dialect::Sqlite => " AND instr(view, ?) > 0",
            Dialect::Postgres => " AND strpos(view::text, ?) > 0",
        };
        arg(&mut sql, found, inner);
    }
    let (after, order) = if page.newest_first { ("<", " DESC") } else { (">", "") };
    let id = dialect.bytes("id");
    if let Some(cursor) = &page.after {
        args.push(cursor.sort.clone());
        args.push(cursor.id.to_string());
        let (s, i) = (dialect.param(args.len() - 1), dialect.param(args.len()));
        sql += &format!(" AND ({sort} {after} {s} OR (sort = {s} AND {id} {after} {i}))");
    }
    sql += &format!(" ORDER BY {sort}{order}, {id}{order}");
    if let Some(limit) = page.limit {
        sql += &format!(" LIMIT {}", limit.saturating_add(1));
    }
    (sql, args)
}

/// A projection's view of a kind chosen at run time, parsed.
pub fn parse_any(kind: RecordKind, id: &str, view: &str) -> Result<View, crate::StoreError> {
    View::from_json(kind, view)
        .map_err(|e| crate::StoreError::Projection { id: id.to_string(), reason: format!("it does not parse: {e}") })
}

/// A page of a list from the rows of its [`list_query`], each parsed by `parse`.
pub fn paged<T, E>(
    rows: impl IntoIterator<Item = Result<(String, String, String), E>>,
    page: &Page,
    parse: impl Fn(&str, &str) -> Result<T, E>,
    bad_id: impl Fn(&str) -> E,
) -> Result<Paged<T>, E> {
    let mut items = Vec::new();
    let mut last = None;
    let mut next = None;
    for row in rows {
        let (id, sort, view) = row?;
        if page.limit.is_some_and(|limit| items.len() == limit) {
            next = last.take();
            break;
        }
        items.push(parse(&id, &view)?);
        let parsed: RecordId = id.parse().map_err(|_| bad_id(&id))?;
        last = Some(Cursor { sort, id: parsed });
    }
    Ok(Paged { items, next })
}

/// Resolves a full record id, or a prefix of one typed at a command line
/// (at least [`MIN_ID_PREFIX_CHARS`](crate::store::MIN_ID_PREFIX_CHARS)
/// characters), to the one record of `kind` it names; `first_two` gives the
/// ids of that kind starting with the prefix, in order, at most two.
pub fn resolve_prefix(
    kind: RecordKind,
    text: &str,
    first_two: impl FnOnce(&str) -> Result<Vec<String>, crate::StoreError>,
) -> Result<RecordId, crate::StoreError> {
    use crate::StoreError;
    let text = text.trim().to_ascii_lowercase();
    if let Ok(id) = text.parse::<RecordId>() {
        return Ok(id);
    }
    if text.chars().count() < crate::store::MIN_ID_PREFIX_CHARS {
        return Err(StoreError::PrefixTooShort(text));
    }
    if !text.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(StoreError::NotFound { kind: kind.noun(), id: text });
    }
    match first_two(&text)?.as_slice() {
        [one] => one.parse().map_err(|e: wuye_protocol::ids::IdParseError| StoreError::Corrupt {
            id: one.clone(),
            reason: e.to_string(),
        }),
        [] => Err(StoreError::NotFound { kind: kind.noun(), id: text }),
        _ => Err(StoreError::Ambiguous(text)),
    }
}
