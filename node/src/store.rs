//! The SQLite record store: documents, sequence numbers, peer heads, projections.
//!
//! One table holds every record's Automerge document as compacted `save()`
//! bytes with its sorted heads and the local sequence number of its last
//! update. Per peer, `peer_cursors` holds the highest of the peer's sequence
//! numbers committed here and `peer_heads` the heads the peer is known to hold
//! of each document. Typed projection tables (`complaints`) are derived from
//! the documents for lists and reports and can be rebuilt at any time.
//!
//! Every public write is one SQLite transaction. Documents are loaded on
//! demand and never all held in memory.

use std::path::Path;
use std::time::Duration;

use automerge::AutoCommit;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use wuye_protocol::complaint::Complaint;
use wuye_protocol::doc::{self, DocError, RecordKind};
use wuye_protocol::duty::{Commitment, DailyReport, DutyShift, LogEntry};
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::record::{self, View};
use wuye_protocol::repair::Repair;
use wuye_protocol::rules::RuleError;
use wuye_protocol::staff::Staff;
use wuye_protocol::sync::{Applied, Outgoing, SyncStore};
use wuye_protocol::wire::{
    heads_from_blob, heads_from_wire, heads_to_blob, heads_to_wire, DocPayload, HeadsAck, Refusal, Seq,
    MAX_BATCH_BYTES, MAX_BATCH_DOCS,
};

/// How long a writer waits for another process's transaction before giving up.
pub const BUSY_TIMEOUT_MS: u64 = 10_000;
/// The database layout version this build writes.
pub const STORE_SCHEMA_VERSION: i64 = 4;
/// SQLite page cache per connection, in KiB.
pub const CACHE_KIB: u64 = 64 * 1024;
/// Shortest id prefix accepted where a full id is expected.
pub const MIN_ID_PREFIX_CHARS: usize = 4;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, value) VALUES ('seq', 0);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    site_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    heads BLOB NOT NULL,
    bytes BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_site_seq ON docs (site_id, seq);
CREATE TABLE IF NOT EXISTS peer_cursors (peer TEXT PRIMARY KEY, cursor INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS peer_heads (
    peer TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    heads BLOB NOT NULL,
    PRIMARY KEY (peer, doc_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS complaints (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    received_utc TEXT NOT NULL,
    status TEXT NOT NULL,
    major INTEGER NOT NULL,
    view TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS complaints_site ON complaints (site_id, received_utc);
CREATE TABLE IF NOT EXISTS staff (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    view TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS staff_site ON staff (site_id, name);
CREATE TABLE IF NOT EXISTS repairs (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL,
    reported_utc TEXT NOT NULL,
    status TEXT NOT NULL,
    deadline_utc TEXT NOT NULL,
    view TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS repairs_site ON repairs (site_id, reported_utc);
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    site_id TEXT NOT NULL,
    sort_utc TEXT NOT NULL,
    view TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_kind_site ON entries (kind, site_id, sort_utc);
";

const SET_SETTING: &str =
    "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// The record store's layout, step by step (see [`crate::migrate`]).
const STORE_STEPS: &[crate::migrate::Step] = &[crate::migrate::Step::Sql(SCHEMA)];

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, locked too long, damaged file).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No record has this id.
    #[error("no {kind} with id '{}': check the id with the list command", wuye_protocol::text::echo(id))]
    NotFound {
        /// What was looked for.
        kind: &'static str,
        /// The id or prefix given.
        id: String,
    },
    /// An id prefix matches more than one record.
    #[error("'{}' matches more than one record: give more of the id", wuye_protocol::text::echo(.0))]
    Ambiguous(String),
    /// An id prefix is too short to look up.
    #[error("'{}' is too short: give at least {MIN_ID_PREFIX_CHARS} characters of the id", wuye_protocol::text::echo(.0))]
    PrefixTooShort(String),
    /// A domain rule refused the action.
    #[error("{0}")]
    Rule(#[from] RuleError),
    /// The agent refused the action (nobody signed in, a wrong password), in words that say what to do.
    #[error("{0}")]
    Refused(String),
    /// A stored document failed its check when read back.
    #[error("stored record {id} is damaged: {reason}; restore the data folder from a backup")]
    Corrupt {
        /// The record.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A component's tables were laid out by a newer wuye.
    #[error("the {component} tables are at layout version {version}, newer than this build understands ({known}); upgrade wuye")]
    LayoutTooNew {
        /// Which component.
        component: &'static str,
        /// The version found.
        version: usize,
        /// The last this build knows.
        known: usize,
    },
    /// The database was written by a newer wuye.
    #[error(
        "the database layout is version {0}, newer than this build understands ({STORE_SCHEMA_VERSION}); upgrade wuye"
    )]
    TooNew(i64),
}

/// The record store on one SQLite database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::setup(Connection::open(path)?)
    }

    /// Opens an existing wuye database at `path`, or `Ok(None)` when the file
    /// is not one (empty, or another program's), without writing anything to
    /// it: a folder that is not recognised is left exactly as it was.
    pub fn open_existing(path: &Path) -> Result<Option<Self>, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
        // Reading the header writes nothing; a file that is not a database fails here.
        let read = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).and_then(|version| {
            let ours = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings')",
                [],
                |r| r.get::<_, bool>(0),
            )?;
            Ok(version > 0 && ours)
        });
        match read {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => {
                return Ok(None)
            }
            Err(e) => return Err(e.into()),
        }
        Self::setup(conn).map(Some)
    }

    /// Opens a wuye database read-only as it stands in its file, for reading
    /// when its disk is full: SQLite cannot then make the shared-memory file a
    /// normal open needs. Nothing can be written through it, and changes still
    /// in the write-ahead log (none after a clean stop) are not seen.
    pub fn open_snapshot(path: &Path) -> Result<Self, StoreError> {
        use rusqlite::OpenFlags;
        let uri = format!("file:{}?immutable=1", path.display().to_string().replace('%', "%25").replace('?', "%3f"));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(uri, flags)?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > STORE_SCHEMA_VERSION {
            return Err(StoreError::TooNew(version));
        }
        Ok(Self { conn })
    }

    /// Whether an error is the storage failing under SQLite (a full disk, an
    /// I/O error, a file that cannot be opened or written) rather than a rule.
    pub fn is_storage_failure(error: &rusqlite::Error) -> bool {
        use rusqlite::ErrorCode as C;
        matches!(error.sqlite_error_code(), Some(C::DiskFull | C::SystemIoFailure | C::CannotOpen | C::ReadOnly))
    }

    /// A private in-memory store, for tests and the socket-free harness.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Negative means KiB. Records are looked up by random ids across several
        // B-trees, so a small cache turns most lookups into file reads.
        conn.pragma_update(None, "cache_size", -(CACHE_KIB as i64))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > STORE_SCHEMA_VERSION {
            return Err(StoreError::TooNew(version));
        }
        // A current database is opened without writing, so read-only commands stay fast.
        crate::migrate::apply_on(&conn, "store", STORE_STEPS)?;
        // Older builds read `user_version` to refuse a newer layout; keep it for them.
        if version < STORE_SCHEMA_VERSION {
            conn.pragma_update(None, "user_version", STORE_SCHEMA_VERSION)?;
        }
        Ok(Self { conn })
    }

    /// The underlying connection, for the tables a binary keeps beside the records.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The underlying connection, mutable (for transactions over those tables).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// A stored setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Sets and deletes several settings in one transaction (one commit).
    pub fn set_settings(&self, set: &[(&str, &str)], delete: &[&str]) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        for (key, value) in set {
            tx.execute(SET_SETTING, params![key, value])?;
        }
        for key in delete {
            tx.execute("DELETE FROM settings WHERE key = ?1", [key])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(SET_SETTING, params![key, value])?;
        Ok(())
    }

    /// Removes a setting.
    pub fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        self.conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Saves a newly created record document.
    pub fn insert_new(&mut self, doc: &mut AutoCommit) -> Result<View, StoreError> {
        let mut views = self.insert_batch(std::slice::from_mut(doc))?;
        Ok(views.pop().expect("one document in, one view out"))
    }

    /// Saves many newly created record documents in one transaction (an import, say).
    pub fn insert_batch(&mut self, docs: &mut [AutoCommit]) -> Result<Vec<View>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut views = Vec::with_capacity(docs.len());
        let mut seqs = Seqs::reserve(&tx, docs.len())?;
        for doc in docs.iter_mut() {
            let (_, view) = record::read(doc).map_err(RuleError::from)?;
            let heads = heads_to_wire(&doc.get_heads());
            write_row(&tx, &view, &heads, &doc.save_nocompress(), seqs.take())?;
            views.push(view);
        }
        tx.commit()?;
        Ok(views)
    }

    /// Loads a record, applies `edit` to it and saves it, all in one transaction.
    pub fn edit<F>(&mut self, id: RecordId, edit: F) -> Result<View, StoreError>
    where
        F: FnOnce(&mut AutoCommit) -> Result<(), RuleError>,
    {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let bytes: Vec<u8> = tx
            .query_row("SELECT bytes FROM docs WHERE id = ?1", [id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { kind: "record", id: id.to_string() })?;
        let mut doc = load_checked(&id.to_string(), &bytes)?;
        let before = doc::read_header(&doc).map_err(|e| corrupt(id, e))?;
        edit(&mut doc)?;
        let after = doc::read_header(&doc).map_err(RuleError::from)?;
        assert_eq!(before, after, "domain edits never touch the header");
        let (_, view) = record::read(&doc).map_err(RuleError::from)?;
        let heads = heads_to_wire(&doc.get_heads());
        write_row(&tx, &view, &heads, &doc.save_nocompress(), Seqs::reserve(&tx, 1)?.take())?;
        tx.commit()?;
        Ok(view)
    }

    /// Resolves a full id or a unique prefix of one.
    pub fn resolve(&self, kind: RecordKind, text: &str) -> Result<RecordId, StoreError> {
        let text = text.trim().to_ascii_lowercase();
        if let Ok(id) = text.parse::<RecordId>() {
            return Ok(id);
        }
        if text.chars().count() < MIN_ID_PREFIX_CHARS {
            return Err(StoreError::PrefixTooShort(text));
        }
        if !text.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(StoreError::NotFound { kind: kind.as_str(), id: text });
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM docs WHERE kind = ?1 AND id >= ?2 AND id < ?2 || 'g' ORDER BY id LIMIT 2",
        )?;
        let ids: Vec<String> = stmt.query_map(params![kind.as_str(), text], |r| r.get(0))?.collect::<Result<_, _>>()?;
        match ids.as_slice() {
            [one] => one.parse().map_err(|e: wuye_protocol::ids::IdParseError| StoreError::Corrupt {
                id: one.clone(),
                reason: e.to_string(),
            }),
            [] => Err(StoreError::NotFound { kind: kind.as_str(), id: text }),
            _ => Err(StoreError::Ambiguous(text)),
        }
    }

    /// One complaint, from its projection.
    pub fn complaint(&self, id: RecordId) -> Result<Complaint, StoreError> {
        self.one_view("SELECT view FROM complaints WHERE id = ?1", "complaint", id)
    }

    /// The projection row of one record, parsed.
    fn one_view<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        what: &'static str,
        id: RecordId,
    ) -> Result<T, StoreError> {
        let view: String = self
            .conn
            .prepare_cached(sql)?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { kind: what, id: id.to_string() })?;
        parse_view(&id.to_string(), &view)
    }

    /// A view just written, as the type its kind expects; `what` names that kind in the error.
    pub fn typed<T: TryFrom<View, Error = View>>(view: View, what: &'static str) -> Result<T, StoreError> {
        T::try_from(view).map_err(|other| StoreError::NotFound { kind: what, id: other.id().to_string() })
    }

    /// Staff of one site, or of all, by name.
    pub fn staff(&self, site: Option<SiteId>) -> Result<Vec<Staff>, StoreError> {
        self.list("staff", None, site, "site_id, name, id")
    }

    /// A repair work order.
    pub fn repair(&self, id: RecordId) -> Result<Repair, StoreError> {
        self.one_view("SELECT view FROM repairs WHERE id = ?1", "repair work order", id)
    }

    /// Repair work orders, oldest first, of one site or of all.
    pub fn repairs(&self, site: Option<SiteId>) -> Result<Vec<Repair>, StoreError> {
        self.list("repairs", None, site, "reported_utc, id")
    }

    /// Projection rows of `table` (only `kind`'s, where given), of one site or of all, in `order`.
    fn list<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        kind: Option<RecordKind>,
        site: Option<SiteId>,
        order: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut sql = format!("SELECT id, view FROM {table} WHERE 1");
        let mut args = Vec::new();
        if let Some(kind) = kind {
            args.push(kind.as_str().to_string());
            sql += &format!(" AND kind = ?{}", args.len());
        }
        if let Some(site) = site {
            args.push(site.to_string());
            sql += &format!(" AND site_id = ?{}", args.len());
        }
        sql += &format!(" ORDER BY {order}");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows =
            stmt.query_map(rusqlite::params_from_iter(args), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, view) = row?;
            out.push(parse_view(&id, &view)?);
        }
        Ok(out)
    }

    /// Work-log entries, oldest first, of one site or of all.
    pub fn log_entries(&self, site: Option<SiteId>) -> Result<Vec<LogEntry>, StoreError> {
        self.entries(RecordKind::LogEntry, site)
    }

    /// Commitments, earliest due first, of one site or of all.
    pub fn commitments(&self, site: Option<SiteId>) -> Result<Vec<Commitment>, StoreError> {
        self.entries(RecordKind::Commitment, site)
    }

    /// Duty assignments, by shift start, of one site or of all.
    pub fn duty_shifts(&self, site: Option<SiteId>) -> Result<Vec<DutyShift>, StoreError> {
        self.entries(RecordKind::DutyShift, site)
    }

    /// Daily reports, oldest first, of one site or of all.
    pub fn daily_reports(&self, site: Option<SiteId>) -> Result<Vec<DailyReport>, StoreError> {
        self.entries(RecordKind::DailyReport, site)
    }

    /// Residents in the household register, oldest registration first, of one site or of all.
    /// Their ID-card and household-register numbers are whole: mask them for display.
    pub fn residents(&self, site: Option<SiteId>) -> Result<Vec<wuye_protocol::resident::Resident>, StoreError> {
        self.entries(RecordKind::Resident, site)
    }

    fn entries<T: serde::de::DeserializeOwned>(
        &self,
        kind: RecordKind,
        site: Option<SiteId>,
    ) -> Result<Vec<T>, StoreError> {
        self.list("entries", Some(kind), site, "sort_utc, id")
    }

    /// One staff member.
    pub fn staff_member(&self, id: RecordId) -> Result<Staff, StoreError> {
        self.one_view("SELECT view FROM staff WHERE id = ?1", "staff member", id)
    }

    /// Complaints, oldest first, of one site or of all.
    pub fn complaints(&self, site: Option<SiteId>) -> Result<Vec<Complaint>, StoreError> {
        self.list("complaints", None, site, "received_utc, id")
    }

    /// A record's stored document, loaded and checked.
    pub fn load(&self, id: RecordId) -> Result<AutoCommit, StoreError> {
        let bytes: Vec<u8> = self
            .conn
            .query_row("SELECT bytes FROM docs WHERE id = ?1", [id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { kind: "record", id: id.to_string() })?;
        load_checked(&id.to_string(), &bytes)
    }

    /// How many records the store holds.
    pub fn record_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM docs", [], |r| r.get(0))?)
    }

    /// Records of `site` changed here that `peer` has not yet confirmed holding.
    pub fn unconfirmed_count(&self, peer: &str, site: SiteId) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM docs d LEFT JOIN peer_heads p ON p.peer = ?1 AND p.doc_id = d.id
             WHERE d.site_id = ?2 AND (p.heads IS NULL OR p.heads != d.heads)",
            params![peer, site.to_string()],
            |r| r.get(0),
        )?)
    }

    /// Rebuilds every projection row from the documents.
    pub fn rebuild_projections(&mut self) -> Result<u64, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM complaints", [])?;
        tx.execute("DELETE FROM staff", [])?;
        tx.execute("DELETE FROM repairs", [])?;
        tx.execute("DELETE FROM entries", [])?;
        let mut count = 0;
        {
            let mut stmt = tx.prepare("SELECT id, bytes FROM docs")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                let bytes: Vec<u8> = row.get(1)?;
                let doc = load_checked(&id, &bytes)?;
                let (_, view) =
                    record::read(&doc).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
                project(&tx, &view)?;
                count += 1;
            }
        }
        tx.commit()?;
        Ok(count)
    }

    /// Stops committing transactions from copying the write-ahead log into the
    /// database; [`Store::checkpoint`] must then be called regularly.
    pub fn defer_checkpoints(&self) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// Copies what it can of the write-ahead log into the database without
    /// blocking writers.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Runs SQLite's own consistency check; `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

fn corrupt(id: RecordId, e: DocError) -> StoreError {
    StoreError::Corrupt { id: id.to_string(), reason: e.to_string() }
}

fn parse_view<T: serde::de::DeserializeOwned>(id: &str, view: &str) -> Result<T, StoreError> {
    serde_json::from_str(view).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        reason: format!("projection row does not parse: {e}; run the rebuild command"),
    })
}

fn load_checked(id: &str, bytes: &[u8]) -> Result<AutoCommit, StoreError> {
    AutoCommit::load(bytes)
        .map_err(|e| StoreError::Corrupt { id: id.to_string(), reason: format!("document does not load: {e}") })
}

/// Sequence numbers reserved from the counter in one statement, for one transaction.
/// Numbers left unused leave gaps, which is harmless: only their order matters.
struct Seqs {
    next: Seq,
    end: Seq,
}

impl Seqs {
    fn reserve(tx: &rusqlite::Transaction<'_>, count: usize) -> Result<Self, rusqlite::Error> {
        let count = count.max(1) as i64;
        let last: i64 = tx
            .prepare_cached("UPDATE counters SET value = value + ?1 WHERE name = 'seq' RETURNING value")?
            .query_row([count], |r| r.get(0))?;
        Ok(Self { next: (last - count + 1) as Seq, end: last as Seq })
    }

    fn take(&mut self) -> Seq {
        assert!(self.next <= self.end, "more sequence numbers taken than reserved");
        self.next += 1;
        self.next - 1
    }
}

/// Whether a written document takes a new sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sequence {
    /// A local change, or a merge that holds something the sender lacks: it must flow onwards.
    Bump,
    /// The document now equals what the sender holds: keep its number so nothing echoes.
    Keep,
}

/// Writes one checked document and its projection row.
fn write_row(
    tx: &rusqlite::Transaction<'_>,
    view: &View,
    heads: &[wuye_protocol::wire::Hash],
    bytes: &[u8],
    seq: Seq,
) -> Result<(), StoreError> {
    let id = view.id().to_string();
    tx.prepare_cached(
        "INSERT INTO docs (id, kind, site_id, seq, heads, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, heads = excluded.heads, bytes = excluded.bytes",
    )?
    .execute(params![
        id,
        view.kind().as_str(),
        view.site_id().to_string(),
        seq as i64,
        heads_to_blob(heads),
        bytes
    ])?;
    project(tx, view)
}

fn project(tx: &rusqlite::Transaction<'_>, view: &View) -> Result<(), StoreError> {
    match view {
        View::Complaint(c) => project_complaint(tx, c),
        View::Staff(s) => project_staff(tx, s),
        View::Repair(r) => project_repair(tx, r),
        View::LogEntry(l) => project_entry(tx, view, &l.at),
        View::Commitment(c) => project_entry(tx, view, &c.due),
        View::DutyShift(d) => project_entry(tx, view, &d.starts_at),
        View::DailyReport(d) => project_entry(tx, view, &d.made_at),
        View::Resident(r) => project_entry(tx, view, &r.created_at),
    }
}

/// The projection of the simpler record kinds: one table, sorted by one instant.
fn project_entry(tx: &rusqlite::Transaction<'_>, view: &View, sort_site_time: &str) -> Result<(), StoreError> {
    let json = serde_json::to_string(view).expect("a record view always serializes");
    tx.prepare_cached(
        "INSERT INTO entries (id, kind, site_id, sort_utc, view) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET sort_utc = excluded.sort_utc, view = excluded.view",
    )?
    .execute(params![
        view.id().to_string(),
        view.kind().as_str(),
        view.site_id().to_string(),
        utc(view.id(), sort_site_time)?,
        json
    ])?;
    Ok(())
}

fn utc(id: RecordId, site_time: &str) -> Result<String, StoreError> {
    wuye_protocol::time::from_stored(site_time)
        .map(wuye_protocol::time::to_stored)
        .ok_or_else(|| StoreError::Corrupt { id: id.to_string(), reason: format!("'{site_time}' does not parse") })
}

fn project_repair(tx: &rusqlite::Transaction<'_>, repair: &Repair) -> Result<(), StoreError> {
    let json = serde_json::to_string(repair).expect("a repair view always serializes");
    tx.prepare_cached(
        "INSERT INTO repairs (id, site_id, reported_utc, status, deadline_utc, view) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, view = excluded.view",
    )?
    .execute(params![
        repair.id.to_string(),
        repair.site_id.to_string(),
        utc(repair.id, &repair.reported_at)?,
        repair.status.as_str(),
        utc(repair.id, &repair.response_deadline)?,
        json
    ])?;
    Ok(())
}

fn project_staff(tx: &rusqlite::Transaction<'_>, staff: &Staff) -> Result<(), StoreError> {
    let json = serde_json::to_string(staff).expect("a staff view always serializes");
    tx.prepare_cached(
        "INSERT INTO staff (id, site_id, name, role, view) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, view = excluded.view",
    )?
    .execute(params![staff.id.to_string(), staff.site_id.to_string(), staff.name, staff.role.as_str(), json])?;
    Ok(())
}

fn project_complaint(tx: &rusqlite::Transaction<'_>, view: &Complaint) -> Result<(), StoreError> {
    let received = wuye_protocol::time::from_stored(&view.received_at)
        .map(wuye_protocol::time::to_stored)
        .ok_or_else(|| StoreError::Corrupt { id: view.id.to_string(), reason: "received_at does not parse".into() })?;
    let json = serde_json::to_string(view).expect("a complaint view always serializes");
    let status = serde_json::to_value(view.status).expect("status serializes");
    tx.prepare_cached(
        "INSERT INTO complaints (id, site_id, received_utc, status, major, view) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, major = excluded.major, view = excluded.view",
    )?
    .execute(params![
        view.id.to_string(),
        view.site_id.to_string(),
        received,
        status.as_str().unwrap_or_default(),
        view.major,
        json
    ])?;
    Ok(())
}

/// What merging one incoming document came to.
enum Merged {
    /// Checked and ready to write.
    Take {
        view: Box<View>,
        heads: Vec<wuye_protocol::wire::Hash>,
        bytes: Vec<u8>,
        sequence: Sequence,
        sent: Vec<wuye_protocol::wire::Hash>,
    },
    /// The changes lack their base: the sender must send the whole document.
    NeedFull,
    /// Refused, with the reason.
    Refused(String),
}

/// What the receiver already holds of a document.
struct Existing {
    owner: String,
    bytes: Vec<u8>,
    seq: Seq,
}

/// Merges one incoming document into what is held and checks the result. Pure CPU work.
fn merge(site: SiteId, payload: &DocPayload, existing: Option<&Existing>) -> Result<Merged, StoreError> {
    let id = payload.id.to_string();
    let (mut doc, before) = match existing {
        Some(e) if e.owner != site.to_string() => {
            return Ok(Merged::Refused(format!(
                "record {id} belongs to another site; a site may only send its own records"
            )));
        }
        Some(e) => {
            let mut doc = load_checked(&id, &e.bytes)?;
            let header = doc::read_header(&doc).map_err(|err| corrupt(payload.id, err))?;
            if let Err(err) = doc::load_incremental_untrusted(&mut doc, &payload.bytes) {
                return Ok(Merged::Refused(format!("record {id}: the changes do not decode: {err}")));
            }
            (doc, Some(header))
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
    let (header, view) = match record::read(&doc) {
        Ok(read) => read,
        Err(e) => return Ok(Merged::Refused(format!("record {id}: {e}"))),
    };
    if header.id != payload.id || header.kind != payload.kind {
        return Ok(Merged::Refused(format!(
            "record {id}: the document says it is {} {}, not what the batch claims",
            header.kind.as_str(),
            header.id
        )));
    }
    if header.site_id != site {
        return Ok(Merged::Refused(format!(
            "record {id}: the document claims site {}, but this sync is for site {site}",
            header.site_id
        )));
    }
    if before.is_some_and(|before| before != header) {
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
    Ok(Merged::Take { view: Box::new(view), heads, bytes, sequence, sent })
}

/// A changed document the peer may lack, as read from the database.
struct Candidate {
    id: String,
    kind: String,
    heads: Vec<u8>,
    bytes: Vec<u8>,
    peer_heads: Option<Vec<u8>>,
}

impl Candidate {
    /// What to send: the changes after the peer's heads when it has a usable
    /// base, the whole saved document when not, nothing when it lacks nothing.
    fn payload(&self) -> Result<Option<DocPayload>, StoreError> {
        let damaged = |reason: &str| StoreError::Corrupt { id: self.id.clone(), reason: reason.to_string() };
        let id: RecordId = self.id.parse().map_err(|_| damaged("id does not parse"))?;
        let kind = RecordKind::parse(&self.kind).ok_or_else(|| damaged("unknown kind"))?;
        let heads = heads_from_blob(&self.heads).ok_or_else(|| damaged("damaged heads"))?;
        if let Some(known) = self.peer_heads.as_deref().and_then(heads_from_blob) {
            let mut doc = load_checked(&self.id, &self.bytes)?;
            let known = heads_from_wire(&known);
            if doc.get_missing_deps(&known).is_empty() {
                let changes = doc.save_after(&known);
                if changes.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(DocPayload { id, kind, full: false, bytes: changes, heads }));
            }
        }
        Ok(Some(DocPayload { id, kind, full: true, bytes: self.bytes.clone(), heads }))
    }
}

/// Batches smaller than this are handled on the calling thread.
const PARALLEL_MIN_ITEMS: usize = 16;

/// Maps `f` over `items`, on rayon's pool of long-lived threads (one per core)
/// when the batch is large enough. Long-lived threads keep their allocator
/// heaps warm; a thread per batch made the kernel zero fresh pages each time.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    if items.len() < PARALLEL_MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    items.par_iter().map(f).collect()
}

fn upsert_peer_heads(
    tx: &rusqlite::Transaction<'_>,
    peer: &str,
    id: &str,
    heads: &[wuye_protocol::wire::Hash],
) -> Result<(), rusqlite::Error> {
    tx.prepare_cached(
        "INSERT INTO peer_heads (peer, doc_id, heads) VALUES (?1, ?2, ?3)
         ON CONFLICT (peer, doc_id) DO UPDATE SET heads = excluded.heads",
    )?
    .execute(params![peer, id, heads_to_blob(heads)])?;
    Ok(())
}

impl SyncStore for Store {
    type Error = StoreError;

    fn cursor(&mut self, peer: &str) -> Result<Seq, StoreError> {
        let cursor: Option<i64> =
            self.conn.query_row("SELECT cursor FROM peer_cursors WHERE peer = ?1", [peer], |r| r.get(0)).optional()?;
        Ok(cursor.unwrap_or(0) as Seq)
    }

    fn outgoing(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<Outgoing, StoreError> {
        let tx = self.conn.transaction()?;
        let mut out = Outgoing { docs: Vec::new(), upto: after, more: true };
        while out.docs.is_empty() && out.more {
            let mut candidates = Vec::new();
            let mut scanned = 0;
            let mut bytes_total = 0usize;
            out.more = false;
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT d.id, d.kind, d.seq, d.heads, d.bytes, p.heads FROM docs d
                     LEFT JOIN peer_heads p ON p.peer = ?1 AND p.doc_id = d.id
                     WHERE d.site_id = ?2 AND d.seq > ?3 ORDER BY d.seq LIMIT ?4",
                )?;
                let mut rows = stmt.query(params![peer, site.to_string(), out.upto as i64, MAX_BATCH_DOCS as i64])?;
                while let Some(row) = rows.next()? {
                    scanned += 1;
                    let seq: i64 = row.get(2)?;
                    out.upto = seq as Seq;
                    let heads: Vec<u8> = row.get(3)?;
                    let peer_heads: Option<Vec<u8>> = row.get(5)?;
                    if peer_heads.as_deref() == Some(heads.as_slice()) {
                        continue;
                    }
                    let bytes: Vec<u8> = row.get(4)?;
                    bytes_total += bytes.len();
                    candidates.push(Candidate { id: row.get(0)?, kind: row.get(1)?, heads, bytes, peer_heads });
                    if bytes_total >= MAX_BATCH_BYTES {
                        out.more = true;
                        break;
                    }
                }
            }
            if scanned == MAX_BATCH_DOCS {
                out.more = true;
            }
            for payload in par_map(&candidates, Candidate::payload) {
                out.docs.extend(payload?);
            }
        }
        drop(tx);
        Ok(out)
    }

    fn apply(&mut self, peer: &str, site: SiteId, docs: Vec<DocPayload>, cursor: Seq) -> Result<Applied, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut existing = Vec::with_capacity(docs.len());
        {
            let mut stmt = tx.prepare_cached("SELECT site_id, bytes, seq FROM docs WHERE id = ?1")?;
            for payload in &docs {
                existing.push(
                    stmt.query_row([payload.id.to_string()], |r| {
                        Ok(Existing { owner: r.get(0)?, bytes: r.get(1)?, seq: r.get::<_, i64>(2)? as Seq })
                    })
                    .optional()?,
                );
            }
        }
        let started = std::time::Instant::now();
        let work: Vec<(&DocPayload, Option<Existing>)> = docs.iter().zip(existing).collect();
        let merged = par_map(&work, |(payload, existing)| merge(site, payload, existing.as_ref()));
        let merge_us = started.elapsed().as_micros() as u64;
        let mut applied = Applied::default();
        let mut seen = std::collections::HashSet::with_capacity(docs.len());
        let mut seqs = Seqs::reserve(&tx, docs.len())?;
        for ((payload, existing), merged) in work.iter().zip(merged) {
            let id = payload.id;
            let merged = if seen.insert(id) {
                merged?
            } else {
                Merged::Refused(format!("record {id} appears twice in one batch"))
            };
            match merged {
                Merged::Take { view, heads, bytes, sequence, sent } => {
                    let seq = match (existing, sequence) {
                        (Some(e), Sequence::Keep) => e.seq,
                        _ => seqs.take(),
                    };
                    write_row(&tx, &view, &heads, &bytes, seq)?;
                    upsert_peer_heads(&tx, peer, &id.to_string(), &sent)?;
                    applied.held.push(HeadsAck { id, heads: sent });
                }
                Merged::NeedFull => applied.need_full.push(id),
                Merged::Refused(reason) => {
                    tracing::warn!(%id, %reason, "refused a record from {peer}");
                    applied.refused.push(Refusal { id, reason });
                }
            }
        }
        tx.prepare_cached(
            "INSERT INTO peer_cursors (peer, cursor) VALUES (?1, ?2)
             ON CONFLICT (peer) DO UPDATE SET cursor = excluded.cursor",
        )?
        .execute(params![peer, cursor as i64])?;
        let write_us = started.elapsed().as_micros() as u64 - merge_us;
        tx.commit()?;
        tracing::debug!(
            docs = docs.len(),
            merge_us,
            write_us,
            total_us = started.elapsed().as_micros() as u64,
            "applied a batch"
        );
        Ok(applied)
    }

    fn acknowledge(&mut self, peer: &str, held: &[HeadsAck], need_full: &[RecordId]) -> Result<(), StoreError> {
        if held.is_empty() && need_full.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            // Heads of a document this store does not hold are ignored.
            let mut upsert = tx.prepare_cached(
                "INSERT INTO peer_heads (peer, doc_id, heads)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM docs WHERE id = ?2)
                 ON CONFLICT (peer, doc_id) DO UPDATE SET heads = excluded.heads",
            )?;
            for ack in held {
                upsert.execute(params![peer, ack.id.to_string(), heads_to_blob(&ack.heads)])?;
            }
        }
        if !need_full.is_empty() {
            let mut seqs = Seqs::reserve(&tx, need_full.len())?;
            for id in need_full {
                let id = id.to_string();
                tx.prepare_cached("DELETE FROM peer_heads WHERE peer = ?1 AND doc_id = ?2")?
                    .execute(params![peer, id])?;
                tx.prepare_cached("UPDATE docs SET seq = ?1 WHERE id = ?2")?
                    .execute(params![seqs.take() as i64, id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use wuye_protocol::complaint::NewComplaint;
    use wuye_protocol::ids::EventId;
    use wuye_protocol::rules::Channel;

    fn with_complaints(n: usize) -> (Store, Vec<RecordId>) {
        let mut store = Store::open_in_memory().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let site = SiteId::random(&mut rng);
        let now = wuye_protocol::time::from_stored("2026-11-27T01:00:00Z").unwrap();
        let ids = (0..n)
            .map(|i| {
                let mut doc = wuye_protocol::complaint::create(
                    RecordId::random(&mut rng),
                    site,
                    chrono_tz::Asia::Shanghai,
                    now + chrono::Duration::minutes(i as i64),
                    "客服员",
                    EventId::random(&mut rng),
                    &NewComplaint {
                        customer: format!("住户{i}"),
                        unit: "1栋101".into(),
                        channel: Channel::Visit,
                        summary: "噪音".into(),
                        category: "噪音".into(),
                        departments: vec![],
                        major: false,
                    },
                )
                .unwrap();
                store.insert_new(&mut doc).unwrap().id()
            })
            .collect();
        (store, ids)
    }

    #[test]
    fn ids_resolve_from_unique_prefixes_only() {
        let (store, ids) = with_complaints(40);
        let full = ids[0].to_string();
        assert_eq!(store.resolve(RecordKind::Complaint, &full).unwrap(), ids[0]);
        assert_eq!(store.resolve(RecordKind::Complaint, &full[..13].to_uppercase()).unwrap(), ids[0]);
        assert!(matches!(store.resolve(RecordKind::Complaint, "ab"), Err(StoreError::PrefixTooShort(_))));
        assert!(matches!(store.resolve(RecordKind::Complaint, "zzzz"), Err(StoreError::NotFound { .. })));
        for (seq, id) in
            ["abcd0000-0000-4000-8000-000000000000", "abcd1111-0000-4000-8000-000000000000"].iter().enumerate()
        {
            store
                .conn()
                .execute("INSERT INTO docs VALUES (?1, 'complaint', 's', ?2, x'', x'')", params![id, seq as i64])
                .unwrap();
        }
        assert!(matches!(store.resolve(RecordKind::Complaint, "abcd"), Err(StoreError::Ambiguous(_))));
        assert_eq!(
            store.resolve(RecordKind::Complaint, "abcd1").unwrap().to_string(),
            "abcd1111-0000-4000-8000-000000000000"
        );
    }

    #[test]
    fn projections_rebuild_to_the_same_rows() {
        let (mut store, _) = with_complaints(12);
        let before = store.complaints(None).unwrap();
        assert_eq!(store.rebuild_projections().unwrap(), 12);
        assert_eq!(store.complaints(None).unwrap(), before);
        assert_eq!(before[0].customer, "住户0", "oldest first");
    }

    #[test]
    fn a_refused_edit_leaves_the_record_and_its_sequence_alone() {
        let (mut store, ids) = with_complaints(1);
        let seq_before: i64 = store.conn().query_row("SELECT seq FROM docs", [], |r| r.get(0)).unwrap();
        let err = store.edit(ids[0], |_| Err(RuleError::Empty("note"))).unwrap_err();
        assert!(err.to_string().contains("note is empty"), "{err}");
        let seq_after: i64 = store.conn().query_row("SELECT seq FROM docs", [], |r| r.get(0)).unwrap();
        assert_eq!(seq_before, seq_after);
    }
}
