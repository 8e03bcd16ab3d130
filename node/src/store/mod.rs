//! The SQLite record store: documents, sequence numbers, peer heads, projections.
//!
//! One table holds every record's Automerge document (its `save_nocompress()`
//! bytes packed against a dictionary of its kind, see `pack.rs`) with its
//! sorted heads and the local sequence number of its last update. Per peer,
//! `peer_cursors` holds the highest of the peer's sequence numbers committed
//! here and `peer_heads` the heads the peer is known to hold of each
//! document. One projection table (`projection_rows`, its views packed too,
//! read through the view `projections`) is derived from the documents for
//! lists and reports and can be rebuilt at any time (`wuye-agent rebuild`,
//! `wuye-server store rebuild`). Sites and peers are
//! kept by number in the tables that repeat them on every record
//! (`site_numbers`, `peer_numbers`), and a document by its own number in
//! `peer_heads`: head office's disk is mostly these tables.
//!
//! Every public write is one SQLite transaction. Documents are loaded on
//! demand and never all held in memory.

use std::path::Path;
use std::time::Duration;

use automerge::AutoCommit;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use wuye_protocol::doc::{self, DocError, RecordKind};
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::kind::Projection;
use wuye_protocol::record::{self, View};
use wuye_protocol::rules::RuleError;
use wuye_protocol::wire::{heads_to_blob, heads_to_wire, Seq};

/// How long a writer waits for another process's transaction before giving up.
pub const BUSY_TIMEOUT_MS: u64 = 10_000;
/// SQLite page cache per connection, in KiB.
pub const CACHE_KIB: u64 = 64 * 1024;
/// The write-ahead log is cut back to this size whenever it starts over
/// after a checkpoint (SQLite's `journal_size_limit`), so a burst of writes
/// (a first sync) does not leave a large log on disk for as long as the
/// program runs.
pub const WAL_LIMIT_BYTES: i64 = 8 * 1024 * 1024;

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
";

const SET_SETTING: &str =
    "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// One projection table for every kind (step 2): what lists read, rebuilt
/// from the documents whenever needed.
const PROJECTIONS: &str = "
DROP TABLE IF EXISTS complaints;
DROP TABLE IF EXISTS staff;
DROP TABLE IF EXISTS repairs;
DROP TABLE IF EXISTS entries;
CREATE TABLE IF NOT EXISTS projections (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    site_id TEXT NOT NULL,
    sort TEXT NOT NULL,
    status TEXT NOT NULL,
    view TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS projections_list ON projections (kind, site_id, sort, id);
";

/// The record store's layout, step by step (see [`crate::migrate`]).
const STORE_STEPS: &[crate::migrate::Step] = &[
    crate::migrate::Step::Sql(SCHEMA),
    crate::migrate::Step::Sql(PROJECTIONS),
    // Once the rebuild of step 2; the rebuild of step 10 does it now.
    crate::migrate::Step::Sql(""),
    crate::migrate::Step::Sql(PURGED),
    crate::migrate::Step::Sql(CHECKPOINTS),
    crate::migrate::Step::Sql(STATUS_INDEX),
    crate::migrate::Step::Sql(STATUS_COUNTS),
    crate::migrate::Step::AddColumns { table: "projections", columns: &[("facts", "TEXT NOT NULL DEFAULT ''")] },
    crate::migrate::Step::Sql(tally::KPI_TABLES),
    // Once the rebuild of step 10; the rebuild of step 15 does it now.
    crate::migrate::Step::Sql(""),
    // A document's changes after what its peer holds, kept when it is edited (step 11).
    crate::migrate::Step::AddColumns { table: "docs", columns: &[("pending", "BLOB"), ("pending_base", "BLOB")] },
    // Documents packed against their kind's dictionary (step 12, see [`pack`]).
    crate::migrate::Step::Sql(pack::TABLE),
    crate::migrate::Step::AddColumns { table: "docs", columns: &[("dict", "INTEGER")] },
    // Keyed by numbers, views packed (steps 14 to 16, see [`relayout`]).
    crate::migrate::Step::Run(relayout),
    crate::migrate::Step::Run(rebuild_in),
    crate::migrate::Step::Sql(PROJECTIONS_VIEW),
];

/// Step 14: sites and peers numbered (`site_numbers`, `peer_numbers`), and
/// the tables that repeat them on every record keep the numbers instead:
/// `docs` (now with its own number, `n`), `peer_heads` (peer and document
/// by number) and the projections, whose rows (`projection_rows`, views
/// packed) readers see through the view `projections` (step 16,
/// [`PROJECTIONS_VIEW`]) with the site's id and the view as JSON text, as
/// before. The projections are made again by the rebuild of step 15. Done
/// once: a database already laid out so is left as it is.
fn relayout(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let done: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM pragma_table_info('docs') WHERE name = 'n')", [], |r| r.get(0))?;
    if !done {
        tx.execute_batch(RELAYOUT)?;
    }
    Ok(())
}

/// What [`relayout`] runs.
const RELAYOUT: &str = "
CREATE TABLE site_numbers (n INTEGER PRIMARY KEY, site_id TEXT NOT NULL UNIQUE);
CREATE TABLE peer_numbers (n INTEGER PRIMARY KEY, peer TEXT NOT NULL UNIQUE);
INSERT OR IGNORE INTO site_numbers (site_id) SELECT DISTINCT site_id FROM docs ORDER BY site_id;
INSERT OR IGNORE INTO peer_numbers (peer) SELECT DISTINCT peer FROM peer_heads ORDER BY peer;
CREATE TABLE docs_numbered (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    site INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    heads BLOB NOT NULL,
    bytes BLOB NOT NULL,
    pending BLOB,
    pending_base BLOB,
    dict INTEGER
);
INSERT INTO docs_numbered (n, id, kind, site, seq, heads, bytes, pending, pending_base, dict)
    SELECT d.rowid, d.id, d.kind, s.n, d.seq, d.heads, d.bytes, d.pending, d.pending_base, d.dict
    FROM docs d JOIN site_numbers s ON s.site_id = d.site_id ORDER BY d.rowid;
CREATE TABLE peer_heads_numbered (
    peer INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    heads BLOB NOT NULL,
    PRIMARY KEY (peer, doc)
) WITHOUT ROWID;
INSERT INTO peer_heads_numbered (peer, doc, heads)
    SELECT p.n, d.n, h.heads FROM peer_heads h
    JOIN peer_numbers p ON p.peer = h.peer JOIN docs_numbered d ON d.id = h.doc_id;
DROP TABLE peer_heads;
DROP TABLE docs;
ALTER TABLE docs_numbered RENAME TO docs;
ALTER TABLE peer_heads_numbered RENAME TO peer_heads;
CREATE UNIQUE INDEX docs_site_seq ON docs (site, seq);
DROP TABLE projections;
DELETE FROM projection_counts;
CREATE TABLE projection_rows (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    site INTEGER NOT NULL,
    sort TEXT NOT NULL,
    status TEXT NOT NULL,
    view NOT NULL,
    facts TEXT NOT NULL,
    dict INTEGER
);
CREATE INDEX projections_list ON projection_rows (kind, site, sort, id);
CREATE INDEX projections_status ON projection_rows (kind, status, site, sort);
CREATE TRIGGER projection_counted AFTER INSERT ON projection_rows BEGIN
    INSERT INTO projection_counts (kind, site_id, status, n)
        VALUES (new.kind, (SELECT site_id FROM site_numbers WHERE n = new.site), new.status, 1)
        ON CONFLICT (kind, site_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER projection_uncounted AFTER DELETE ON projection_rows BEGIN
    UPDATE projection_counts SET n = n - 1
        WHERE kind = old.kind AND site_id = (SELECT site_id FROM site_numbers WHERE n = old.site)
        AND status = old.status;
END;
CREATE TRIGGER projection_recounted AFTER UPDATE OF status ON projection_rows
    WHEN old.status IS NOT new.status BEGIN
    UPDATE projection_counts SET n = n - 1
        WHERE kind = old.kind AND site_id = (SELECT site_id FROM site_numbers WHERE n = old.site)
        AND status = old.status;
    INSERT INTO projection_counts (kind, site_id, status, n)
        VALUES (new.kind, (SELECT site_id FROM site_numbers WHERE n = new.site), new.status, 1)
        ON CONFLICT (kind, site_id, status) DO UPDATE SET n = n + 1;
END;
";

/// Step 16: the projections as readers see them (the view made first by
/// step 14, made again): each row with its site's id and its view as JSON
/// text, unpacked by [`pack::VIEW_FUNCTION`] only when a query reads it;
/// and the view as stored, with its dictionary's number, for the store's
/// own lists, which unpack it themselves ([`pack::Dictionaries::view`]).
const PROJECTIONS_VIEW: &str = "
DROP VIEW IF EXISTS projections;
CREATE VIEW projections AS
    SELECT p.id, p.kind, s.site_id, p.sort, p.status,
           wuye_view(p.view, p.id, s.site_id, (SELECT bytes FROM doc_dictionaries WHERE n = p.dict)) AS view,
           p.facts, p.view AS stored, p.dict
    FROM projection_rows p JOIN site_numbers s ON s.n = p.site;
";

/// The number `value` is kept under in `table` (`site_numbers` or
/// `peer_numbers`), given it the first time.
fn number(tx: &Connection, table: &str, column: &str, value: &str) -> Result<i64, rusqlite::Error> {
    match known_number(tx, table, column, value)? {
        Some(n) => Ok(n),
        None => tx
            .prepare_cached(&format!("INSERT INTO {table} ({column}) VALUES (?1) RETURNING n"))?
            .query_row([value], |r| r.get(0)),
    }
}

/// The number `value` is kept under in `table`, if it has one yet (a read:
/// numbers are given by writes).
pub(crate) fn known_number(
    tx: &Connection,
    table: &str,
    column: &str,
    value: &str,
) -> Result<Option<i64>, rusqlite::Error> {
    tx.prepare_cached(&format!("SELECT n FROM {table} WHERE {column} = ?1"))?
        .query_row([value], |r| r.get(0))
        .optional()
}

/// A site's number in this store's tables ([`relayout`]), given it the first time.
pub(crate) fn site_number(tx: &Connection, site: &str) -> Result<i64, rusqlite::Error> {
    number(tx, "site_numbers", "site_id", site)
}

/// A peer's number in `peer_heads` ([`relayout`]), given it the first time.
pub(crate) fn peer_number(tx: &Connection, peer: &str) -> Result<i64, rusqlite::Error> {
    number(tx, "peer_numbers", "peer", peer)
}

/// How many records of each kind each site has in each state (step 7),
/// kept by triggers on every projection write, so that the day's board and
/// head office's figures count open records without reading them.
const STATUS_COUNTS: &str = "
CREATE TABLE IF NOT EXISTS projection_counts (
    kind TEXT NOT NULL,
    site_id TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (kind, site_id, status)
) WITHOUT ROWID;
DELETE FROM projection_counts;
INSERT INTO projection_counts (kind, site_id, status, n)
    SELECT kind, site_id, status, count(*) FROM projections GROUP BY kind, site_id, status;
CREATE TRIGGER IF NOT EXISTS projection_counted AFTER INSERT ON projections BEGIN
    INSERT INTO projection_counts (kind, site_id, status, n) VALUES (new.kind, new.site_id, new.status, 1)
        ON CONFLICT (kind, site_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS projection_uncounted AFTER DELETE ON projections BEGIN
    UPDATE projection_counts SET n = n - 1
        WHERE kind = old.kind AND site_id = old.site_id AND status = old.status;
END;
CREATE TRIGGER IF NOT EXISTS projection_recounted AFTER UPDATE OF status ON projections
    WHEN old.status IS NOT new.status BEGIN
    UPDATE projection_counts SET n = n - 1
        WHERE kind = old.kind AND site_id = old.site_id AND status = old.status;
    INSERT INTO projection_counts (kind, site_id, status, n) VALUES (new.kind, new.site_id, new.status, 1)
        ON CONFLICT (kind, site_id, status) DO UPDATE SET n = n + 1;
END;
";

/// Open records found by their state without reading every row (step 6): the
/// day's board asks for what is not closed among 100,000 records.
const STATUS_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS projections_status ON projections (kind, status, site_id, sort);";

/// The checkpoint agreed with each peer at the end of the last completed round (step 5).
const CHECKPOINTS: &str = "CREATE TABLE IF NOT EXISTS peer_checkpoints (
    peer TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    instance TEXT NOT NULL
) WITHOUT ROWID;";

/// Records replaced by others and deleted (step 4): never taken again.
const PURGED: &str = "CREATE TABLE IF NOT EXISTS purged (id TEXT PRIMARY KEY) WITHOUT ROWID;";

/// The record store on one SQLite database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// The database file, for a store on disk.
    pub fn path(&self) -> Option<&Path> {
        self.conn.path().filter(|p| !p.is_empty()).map(Path::new)
    }

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
        pack::register(&conn)?;
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
        // A newer release's database is refused before anything (even the journal mode) is written.
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > STORE_SCHEMA_VERSION {
            return Err(StoreError::TooNew(version));
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "journal_size_limit", WAL_LIMIT_BYTES)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Negative means KiB. Records are looked up by random ids across several
        // B-trees, so a small cache turns most lookups into file reads.
        conn.pragma_update(None, "cache_size", -(CACHE_KIB as i64))?;
        // What reads `projections` reads each view through it.
        pack::register(&conn)?;
        // A current database is opened without writing, so read-only commands stay fast.
        crate::migrate::apply(&conn, "store", STORE_STEPS)?;
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
        self.insert_batch_with(docs, |_| Ok(()))
    }

    /// Saves newly created record documents and, in the same transaction,
    /// rows of the caller's own tables that never sync (`local`): both are
    /// written, or neither.
    pub fn insert_batch_with(
        &mut self,
        docs: &mut [AutoCommit],
        local: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<Vec<View>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut views = Vec::with_capacity(docs.len());
        let mut seqs = Seqs::reserve(&tx, docs.len())?;
        let mut tally = Tally::default();
        let mut dicts = pack::Dictionaries::default();
        for doc in docs.iter_mut() {
            let (_, view) = record::read(doc).map_err(RuleError::from)?;
            let heads = heads_to_wire(&doc.get_heads());
            let row = Row::of(view);
            write_row(&tx, &mut tally, &mut dicts, &row, &heads, &doc.save_nocompress(), seqs.take(), false)?;
            let view = *row.view.expect("a row made of a view has it");
            if let Some(old) = view.replaces() {
                purge(&tx, &mut tally, old)?;
            }
            views.push(view);
        }
        tally.flush(&tx)?;
        local(&tx)?;
        tx.commit()?;
        Ok(views)
    }

    /// Writes a consistent copy of the whole database to `path` (a new file),
    /// while other connections go on reading and writing (`VACUUM INTO`).
    pub fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        let target = path.to_str().ok_or_else(|| StoreError::Corrupt {
            id: path.display().to_string(),
            reason: "the backup's path is not UTF-8".into(),
        })?;
        self.conn.execute("VACUUM INTO ?1", [target])?;
        Ok(())
    }

    /// Deletes what is left of purged documents in the files: the database is
    /// rewritten without their pages (`VACUUM`) and the write-ahead log is
    /// emptied, so their bytes are in no file of the folder.
    pub fn compact(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("VACUUM")?;
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Loads a record, applies `edit` to it and saves it, all in one transaction.
    pub fn edit<F>(&mut self, id: RecordId, edit: F) -> Result<View, StoreError>
    where
        F: FnOnce(&mut AutoCommit) -> Result<(), RuleError>,
    {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut doc = load_stored(&tx, id)?;
        let before = doc::read_header(&doc).map_err(|e| corrupt(id, e))?;
        edit(&mut doc)?;
        let after = doc::read_header(&doc).map_err(RuleError::from)?;
        assert_eq!(before, after, "domain edits never touch the header");
        let (_, view) = record::read(&doc).map_err(RuleError::from)?;
        let heads = heads_to_wire(&doc.get_heads());
        let row = Row::of(view);
        let mut tally = Tally::default();
        let seq = Seqs::reserve(&tx, 1)?.take();
        write_row(
            &tx,
            &mut tally,
            &mut pack::Dictionaries::default(),
            &row,
            &heads,
            &doc.save_nocompress(),
            seq,
            false,
        )?;
        tally.flush(&tx)?;
        keep_pending(&tx, id, &row, &mut doc)?;
        tx.commit()?;
        Ok(*row.view.expect("a row made of a view has it"))
    }

    /// A record's stored document, loaded and checked.
    pub fn load(&self, id: RecordId) -> Result<AutoCommit, StoreError> {
        load_stored(&self.conn, id)
    }

    /// How many records the store holds.
    pub fn record_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM docs", [], |r| r.get(0))?)
    }

    /// How many records of `kind` (of `site`, or of every site) are in `status`.
    pub fn count_in_state(&self, kind: RecordKind, site: Option<SiteId>, status: &str) -> Result<usize, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(sum(n), 0) FROM projection_counts
             WHERE kind = ?1 AND status = ?2 AND (?3 IS NULL OR site_id = ?3)",
        )?;
        let count: i64 = stmt.query_row(params![kind.as_str(), status, site.map(|s| s.to_string())], |r| r.get(0))?;
        Ok(usize::try_from(count).unwrap_or_default())
    }

    /// Records of `site` changed here that `peer` has not yet confirmed holding.
    pub fn unconfirmed_count(&self, peer: &str, site: SiteId) -> Result<u64, StoreError> {
        // Sequence numbers start at 1.
        self.unconfirmed_since(peer, site, 0)
    }

    /// Those of them numbered after `after` (the sequence's index finds them).
    pub fn unconfirmed_since(&self, peer: &str, site: SiteId, after: Seq) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM docs d
             LEFT JOIN peer_heads p ON p.peer = (SELECT n FROM peer_numbers WHERE peer = ?1) AND p.doc = d.n
             WHERE d.site = (SELECT n FROM site_numbers WHERE site_id = ?2) AND d.seq > ?3
                 AND (p.heads IS NULL OR p.heads != d.heads)",
            params![peer, site.to_string(), after as i64],
            |r| r.get(0),
        )?)
    }

    /// Rebuilds every projection row from the documents.
    pub fn rebuild_projections(&mut self) -> Result<u64, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let count = rebuild(&tx)?;
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
    /// blocking writers; once all of it is copied and the log's file is
    /// larger than its limit, empties the file too (giving up at once, until
    /// the next time, if a reader still needs the old pages).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let (busy, log, copied): (i64, i64, i64) =
            self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let limit = self.conn.pragma_query_value(None, "journal_size_limit", |r| r.get::<_, i64>(0))?;
        if busy == 0 && log > 0 && log == copied && self.wal_bytes() > limit.max(0) as u64 {
            self.conn.busy_timeout(Duration::from_millis(20))?;
            let cut = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            self.conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
            cut?;
        }
        Ok(())
    }

    /// The size of the write-ahead log's file (0 in memory or when there is none).
    pub fn wal_bytes(&self) -> u64 {
        let Some(path) = self.path() else { return 0 };
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map_or(0, |m| m.len())
    }

    /// Sets the size the write-ahead log is cut back to ([`WAL_LIMIT_BYTES`] unless set).
    pub fn set_wal_limit(&self, bytes: i64) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "journal_size_limit", bytes)?;
        Ok(())
    }

    /// Copies the whole write-ahead log into the database and empties the
    /// log's file (waiting for readers, up to the busy timeout): for a
    /// program's last act before it stops, so that its folder holds one file.
    pub fn checkpoint_fully(&self) -> Result<(), StoreError> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// SQLite's quicker consistency check (`PRAGMA quick_check`); `ok` when the file is sound.
    pub fn quick_check(&self) -> Result<String, StoreError> {
        Ok(self.conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?)
    }

    /// Whether this is a read-only snapshot (see [`Store::open_snapshot`]).
    pub fn is_snapshot(&self) -> bool {
        self.conn.is_readonly(rusqlite::DatabaseName::Main).unwrap_or(false)
    }

    /// Runs SQLite's own consistency check; `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// A stored document's header failing its check, as the store reports it.
pub fn corrupt(id: RecordId, e: DocError) -> StoreError {
    StoreError::Corrupt { id: id.to_string(), reason: e.to_string() }
}

/// Deletes a record replaced by another everywhere it is kept here (its
/// document, projection and peers' heads), and remembers its id so that the
/// document is never taken again from a peer that still holds it.
pub(crate) fn purge(tx: &rusqlite::Transaction<'_>, tally: &mut Tally, id: RecordId) -> Result<(), StoreError> {
    let id = id.to_string();
    tx.prepare_cached("DELETE FROM peer_heads WHERE doc = (SELECT n FROM docs WHERE id = ?1)")?.execute([&id])?;
    tx.prepare_cached("DELETE FROM docs WHERE id = ?1")?.execute([&id])?;
    let facts: Option<(i64, String)> = tx
        .prepare_cached("DELETE FROM projection_rows WHERE id = ?1 RETURNING site, facts")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((site, facts)) = facts {
        let site: String =
            tx.prepare_cached("SELECT site_id FROM site_numbers WHERE n = ?1")?.query_row([site], |r| r.get(0))?;
        tally.take_back(&site, &facts);
    }
    tx.prepare_cached("INSERT OR IGNORE INTO purged (id) VALUES (?1)")?.execute([&id])?;
    Ok(())
}

/// Rebuilds every projection row from the documents, in `tx`; returns how many.
fn rebuild(tx: &rusqlite::Transaction<'_>) -> Result<u64, StoreError> {
    tx.execute_batch("DELETE FROM projection_rows; DELETE FROM kpi_day; DELETE FROM kpi_month;")?;
    let mut tally = Tally::default();
    let mut count = 0;
    let mut dicts = pack::Dictionaries::default();
    let mut stmt = tx.prepare(
        "SELECT d.id, d.kind, s.site_id, d.heads, d.bytes, d.dict, d.site FROM docs d
         JOIN site_numbers s ON s.n = d.site",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let kind: String = row.get(1)?;
        // A kind this build does not know has no projection: it is kept as it came.
        if RecordKind::parse(&kind).is_none() {
            continue;
        }
        let (site, heads): (String, Vec<u8>) = (row.get(2)?, row.get(3)?);
        let key = pack::RowKey { id: &id, site: &site, heads: &heads };
        let bytes = dicts.unpack(tx, key, row.get(4)?, row.get(5)?)?;
        let doc = load_checked(&id, &bytes)?;
        let (_, view) =
            record::read(&doc).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
        // The table was just emptied: no earlier facts to take back.
        project(tx, &mut tally, &mut dicts, &view, row.get(6)?, true)?;
        count += 1;
    }
    tally.flush(tx)?;
    Ok(count)
}

/// [`rebuild`] as a migration step.
fn rebuild_in(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    rebuild(tx).map(|_| ())
}

fn parse_id(id: &str) -> Result<RecordId, StoreError> {
    id.parse().map_err(|e: wuye_protocol::ids::IdParseError| StoreError::Corrupt {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

/// A projection row's view as the type its kind expects, reporting a row that does not parse as damage.
pub fn parse_view<T: serde::de::DeserializeOwned>(id: &str, view: &str) -> Result<T, StoreError> {
    serde_json::from_str(view)
        .map_err(|e| StoreError::Projection { id: id.to_string(), reason: format!("it does not parse: {e}") })
}

/// A record's stored document, unpacked, loaded and checked.
fn load_stored(conn: &Connection, id: RecordId) -> Result<AutoCommit, StoreError> {
    let key = id.to_string();
    let (site, heads, stored, dict): (String, Vec<u8>, Vec<u8>, Option<i64>) = conn
        .query_row(STORED, [&key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound { kind: "record", id: key.clone() })?;
    let row = pack::RowKey { id: &key, site: &site, heads: &heads };
    let bytes = pack::Dictionaries::default().unpack(conn, row, stored, dict)?;
    load_checked(&key, &bytes)
}

/// A document's row by its id: its site's id, heads, stored bytes and dictionary.
const STORED: &str = "SELECT s.site_id, d.heads, d.bytes, d.dict FROM docs d
    JOIN site_numbers s ON s.n = d.site WHERE d.id = ?1";

/// A stored document as Automerge saved it, for readers beside the store
/// (`bytes` and `dict` as a `docs` row holds them with its `id`, `site_id`
/// and `heads`, read in `conn`).
pub fn stored_document(
    conn: &Connection,
    (id, site, heads): (&str, &str, &[u8]),
    bytes: Vec<u8>,
    dict: Option<i64>,
) -> Result<Vec<u8>, StoreError> {
    pack::Dictionaries::default().unpack(conn, pack::RowKey { id, site, heads }, bytes, dict)
}

/// Loads a stored document's bytes, reporting bytes that do not load as damage.
pub fn load_checked(id: &str, bytes: &[u8]) -> Result<AutoCommit, StoreError> {
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

/// Keeps an edited document's changes after the heads its one peer holds
/// (head office for a site's store, the record's site for head office's), so
/// that the next push sends them without loading the document
/// ([`merge::Candidate::pending`]). Nothing is kept when the peer holds
/// nothing yet (the whole document goes) or lacks what the changes build on.
fn keep_pending(
    tx: &rusqlite::Transaction<'_>,
    id: RecordId,
    row: &Row,
    doc: &mut AutoCommit,
) -> Result<(), StoreError> {
    let peers = [wuye_protocol::sync::SERVER_PEER.to_string(), wuye_protocol::sync::site_peer(row.site)];
    let known: Vec<Vec<u8>> = tx
        .prepare_cached(
            "SELECT heads FROM peer_heads WHERE peer IN (SELECT n FROM peer_numbers WHERE peer IN (?1, ?2))
             AND doc = (SELECT n FROM docs WHERE id = ?3)",
        )?
        .query_map(params![peers[0], peers[1], id.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let [known] = known.as_slice() else { return Ok(()) };
    let Some(heads) = wuye_protocol::wire::heads_from_blob(known) else { return Ok(()) };
    if let Some(changes) = merge::changes_after(doc, &heads) {
        tx.prepare_cached("UPDATE docs SET pending = ?2, pending_base = ?3 WHERE id = ?1")?.execute(params![
            id.to_string(),
            changes,
            known
        ])?;
    }
    Ok(())
}

/// Writes one checked document and its projection row (any pending changes
/// it kept are dropped: they were after an older version).
#[allow(clippy::too_many_arguments)]
fn write_row(
    tx: &rusqlite::Transaction<'_>,
    tally: &mut Tally,
    dicts: &mut pack::Dictionaries,
    row: &Row,
    heads: &[wuye_protocol::wire::Hash],
    bytes: &[u8],
    seq: Seq,
    fresh: bool,
) -> Result<(), StoreError> {
    let (id, site, heads) = (row.id.to_string(), row.site.to_string(), heads_to_blob(heads));
    let packed = dicts.pack(tx, &row.kind, pack::RowKey { id: &id, site: &site, heads: &heads }, bytes)?;
    let number = site_number(tx, &site)?;
    tx.prepare_cached(
        "INSERT INTO docs (id, kind, site, seq, heads, bytes, dict) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, heads = excluded.heads, bytes = excluded.bytes,
             dict = excluded.dict, pending = NULL, pending_base = NULL",
    )?
    .execute(params![id, row.kind, number, seq as i64, heads, packed.bytes, packed.dict])?;
    match &row.view {
        Some(view) => project(tx, tally, dicts, view, number, fresh),
        None => Ok(()),
    }
}

/// Writes a record's projection row: its view, sort key, status and facts
/// (see [`Projection`], [`wuye_protocol::kpi`]); the facts' change goes to
/// `tally`. `site_n` is the number its site is kept under (`site_numbers`).
/// `fresh`: the caller knows the record has no projection yet (a document
/// received for the first time), so none is looked up.
fn project(
    tx: &rusqlite::Transaction<'_>,
    tally: &mut Tally,
    dicts: &mut pack::Dictionaries,
    view: &View,
    site_n: i64,
    fresh: bool,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(view).expect("a record view always serializes");
    let Projection { sort, status } = view.projection();
    let id = view.id().to_string();
    let site = view.site_id().to_string();
    let facts = view.facts();
    let encoded = wuye_protocol::kpi::encode(&facts);
    let before: Option<String> = match fresh {
        true => None,
        false => tx
            .prepare_cached("SELECT facts FROM projection_rows WHERE id = ?1")?
            .query_row([&id], |r| r.get(0))
            .optional()?,
    };
    if before.as_deref() != Some(encoded.as_str()) {
        if let Some(before) = &before {
            tally.take_back(&site, before);
        }
        tally.add(&site, &facts);
    }
    let kind = view.kind().as_str();
    let (stored, dict) = dicts.pack_view(tx, kind, pack::RowKey { id: &id, site: &site, heads: &[] }, json)?;
    tx.prepare_cached(
        "INSERT INTO projection_rows (id, kind, site, sort, status, view, facts, dict)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET sort = excluded.sort, status = excluded.status, view = excluded.view,
             facts = excluded.facts, dict = excluded.dict",
    )?
    .execute(params![id, kind, site_n, sort, status, stored, encoded, dict])?;
    Ok(())
}

pub mod error;
pub mod merge;
use merge::Row;
mod pack;
mod read;
mod sync;
mod tally;
pub use tally::{SumChange, Tally};

pub use error::{StoreError, MIN_ID_PREFIX_CHARS, STORE_SCHEMA_VERSION};

#[cfg(test)]
mod tests;
