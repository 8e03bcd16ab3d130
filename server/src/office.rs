//! The head office's store: sites, credentials, head-office actions, and the
//! storage side of the sync session.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rusqlite::params;
use serde::Serialize;
use wuye_app::AppError;
use wuye_node::folder::{self, FolderError};
use wuye_node::migrate::{self, Step};
use wuye_node::tls::{self, Identity};
use wuye_node::{Store, StoreError};
use wuye_protocol::complaint::Complaint;
use wuye_protocol::ids::SiteId;
use wuye_protocol::repair::Repair;
use wuye_protocol::sync::{site_peer, Applied, Outgoing, RoundFacts, ServerStore, SyncStore};
use wuye_protocol::time::{self, Clock};
use wuye_protocol::wire::{
    normalize_enroll_code, Checkpoint, Digest, DocPayload, HeadsAck, Seq, ENROLL_CODE_ALPHABET, ENROLL_CODE_CHARS,
};

pub use crate::backend::OfficeStore;
use crate::people::{Act, Actor};
use crate::{
    CERT_FILE, DB_FILE, DEFAULT_LISTEN, KEY_FILE, NEXT_CERT_FILE, NEXT_KEY_FILE, PREVIOUS_CERT_FILE, PREVIOUS_KEY_FILE,
};

/// Longest site name, in characters.
pub const MAX_SITE_NAME_CHARS: usize = 100;

/// Head office's own tables, step by step (see [`wuye_node::migrate`]).
pub(crate) const OFFICE_STEPS: &[Step] = &[
    Step::Sql(
        "CREATE TABLE IF NOT EXISTS sites (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_sync_at TEXT
        )",
    ),
    Step::AddColumns {
        table: "sites",
        columns: &[
            ("revoked_at", "TEXT"),
            ("enroll_hash", "TEXT"),
            ("enroll_expires_at", "TEXT"),
            ("enrolled_at", "TEXT"),
        ],
    },
    Step::AddColumns { table: "sites", columns: &[("clock_offset_ms", "TEXT"), ("holds_fingerprint", "TEXT")] },
    // The agent's own report at its last round (protocol 5), as JSON.
    Step::AddColumns { table: "sites", columns: &[("health", "TEXT")] },
];

/// A site clock further than this from head office's is reported (`site list`, logs).
pub const MAX_CLOCK_OFFSET_MS: i64 = 5 * 60 * 1000;

/// The setting holding the fingerprint of the certificate `cert rotate` made.
const NEXT_FINGERPRINT: &str = "next_fingerprint";
/// The setting naming the certificate head office last switched to: other
/// server folders on the same database switch to it without asking the
/// sites again (`cert switch` in each).
const SWITCHED_FINGERPRINT: &str = "switched_fingerprint";

/// How long an enrollment code stays valid after `site add` or `site rotate` issues it.
pub const ENROLL_CODE_HOURS: i64 = 72;

/// What can go wrong at head office.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    /// The data folder is missing or wrong.
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The TLS identity could not be made or read.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// A file in the folder could not be read.
    #[error("cannot read {path}: {source}; the server folder is damaged")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The application layer refused or failed.
    #[error(transparent)]
    App(#[from] wuye_app::AppError),
    /// A value given is wrong; the words say which and what to give.
    #[error("{0}")]
    Invalid(String),
}

impl OfficeError {
    /// The application layer's error this stands for, so that front ends
    /// tell it in the catalogue's words (a folder or certificate failure is
    /// told as a failure of the storage, with its own words).
    pub fn into_app(self) -> AppError {
        match self {
            OfficeError::App(e) => e,
            OfficeError::Store(e) => e.into(),
            OfficeError::Invalid(words) => AppError::InvalidSetting(words),
            other => AppError::Storage(StoreError::Corrupt { id: "head office".into(), reason: other.to_string() }),
        }
    }
}

impl From<rusqlite::Error> for OfficeError {
    fn from(e: rusqlite::Error) -> Self {
        OfficeError::Store(StoreError::Sqlite(e))
    }
}

/// A registered site as head office lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteInfo {
    /// The site's id.
    pub site_id: SiteId,
    /// Its name (项目/小区).
    pub name: String,
    /// When it was registered (UTC, RFC 3339).
    pub created_at: String,
    /// When its last sync round completed (UTC, RFC 3339), if ever.
    pub last_sync_at: Option<String>,
    /// Seconds since then.
    pub seconds_since_sync: Option<i64>,
    /// Records head office holds for the site that the site has not yet confirmed
    /// (head-office changes waiting to go down, or records it never confirmed).
    pub waiting_down: u64,
    /// Where its credential stands: `enrolled`, `awaiting enrollment until T`
    /// (or `enrollment code expired at T`), or `revoked at T`.
    pub credential: String,
    /// How far the site's clock was ahead of head office's at its last round
    /// (negative: behind), in seconds.
    pub clock_offset_seconds: Option<i64>,
    /// Whether that is more than 5 minutes either way.
    pub clock_wrong: bool,
    /// While a certificate rotation is under way: whether the site holds the
    /// next fingerprint (it completed a round since `cert rotate`).
    pub holds_next_fingerprint: Option<bool>,
    /// What the site's agent reported of itself at its last round (agents of
    /// protocol 5 on): version, disk free, records waiting to go up, last error.
    pub agent: Option<wuye_protocol::wire::Health>,
}

/// A one-time enrollment code for a site, shown once.
#[derive(Clone, Serialize)]
pub struct NewSite {
    /// The site's id.
    pub site_id: SiteId,
    /// The code the site's agent trades for its credential on its first sync.
    pub code: String,
    /// When the code stops working (UTC, RFC 3339).
    pub expires_at: String,
}

impl std::fmt::Debug for NewSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSite").field("site_id", &self.site_id).field("expires_at", &self.expires_at).finish()
    }
}

/// What head office keeps of a secret: its SHA-256. Credentials carry 256
/// random bits and codes 100, so a fast hash is enough; the secrets
/// themselves are never stored or logged.
fn hash_secret(secret: &str) -> String {
    wuye_node::secret::sha256_hex(secret.as_bytes())
}

/// Creates a server data folder: database and TLS identity. Returns the fingerprint.
pub fn init(dir: &Path, listen: Option<&str>) -> Result<String, OfficeError> {
    if let Some(listen) = listen {
        check_listen(listen)?;
    }
    let store = folder::create(dir, DB_FILE, "server")?;
    migrate::apply(store.conn(), "office", OFFICE_STEPS)?;
    let identity = Identity::generate()?;
    folder::write_private(&dir.join(KEY_FILE), &identity.key_der)?;
    folder::write_private(&dir.join(CERT_FILE), &identity.cert_der)?;
    store.set_setting("listen", listen.unwrap_or(DEFAULT_LISTEN))?;
    Ok(tls::fingerprint(&identity.cert_der))
}

/// The file in a server folder naming the PostgreSQL database head office
/// keeps its records in (owner-only: the address may carry a password); a
/// folder without it keeps them in `server.db`.
pub const STORE_URL_FILE: &str = "store.url";

/// The authority the database's TLS certificate is checked against, when the
/// folder has one (`--store-ca` at `init` or `store copy`); otherwise the
/// system's trusted authorities.
pub const STORE_CA_FILE: &str = "store-ca.pem";

/// Connects to the database at `url`, checking its certificate against `ca` (PEM) if given.
fn connect_pg(url: &str, ca: Option<&[u8]>) -> Result<wuye_store_pg::PgStore, OfficeError> {
    wuye_store_pg::PgStore::connect_with(url, ca).map_err(|e| cannot_reach(url, e))
}

/// The authority file given on the command line, read.
fn read_ca(ca: Option<&Path>) -> Result<Option<Vec<u8>>, OfficeError> {
    ca.map(read_file).transpose()
}

/// Creates a server folder whose records live in the empty PostgreSQL
/// database at `url`: the TLS identity in the folder, the tables in the
/// database. Returns the fingerprint. A second server on the same database
/// is a copy of the first one's folder (the same certificate, so sites trust
/// both); `init` on a database already holding a head office is refused.
pub fn init_postgres(dir: &Path, url: &str, ca: Option<&Path>, listen: Option<&str>) -> Result<String, OfficeError> {
    if let Some(listen) = listen {
        check_listen(listen)?;
    }
    check_store_url(url)?;
    if dir.exists() && std::fs::read_dir(dir).map_err(|source| io_error(dir, source))?.next().is_some() {
        return Err(FolderError::NotEmpty(dir.to_path_buf()).into());
    }
    let ca = read_ca(ca)?;
    let mut store = connect_pg(url, ca.as_deref())?;
    store.lay_out()?;
    let sites = store.site_rows(None)?.len();
    if sites > 0 || !store.is_empty()? {
        // A new certificate here would not be the one the sites trust.
        return Err(OfficeError::Invalid(format!(
            "this database already holds a head office ({sites} sites): a second server on it is a copy of the \
             first server's folder (the same certificate, which the sites trust), started with its own --listen; \
             copy that folder instead of running `init` again"
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| io_error(dir, source))?;
    folder::restrict(dir, 0o700)?;
    if let Some(ca) = &ca {
        folder::write_private(&dir.join(STORE_CA_FILE), ca)?;
    }
    folder::write_private(&dir.join(STORE_URL_FILE), url.as_bytes())?;
    let identity = Identity::generate()?;
    folder::write_private(&dir.join(KEY_FILE), &identity.key_der)?;
    folder::write_private(&dir.join(CERT_FILE), &identity.cert_der)?;
    store.set_setting("listen", listen.unwrap_or(DEFAULT_LISTEN))?;
    Ok(tls::fingerprint(&identity.cert_der))
}

/// Refuses an address that is not a PostgreSQL one, saying what to give.
fn check_store_url(url: &str) -> Result<(), OfficeError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(());
    }
    Err(OfficeError::Invalid(format!(
        "--store takes a PostgreSQL address such as postgres://wuye@db.example:5432/wuye, not {}",
        wuye_protocol::text::echo(url)
    )))
}

fn cannot_reach(url: &str, e: StoreError) -> OfficeError {
    OfficeError::Invalid(format!(
        "cannot use the PostgreSQL database at {}: {e}; check that it runs, that the address and user are right, \
         and that the user may create tables in it",
        shown_address(url)
    ))
}

/// A database address as it may be shown: no password, no parameters (which may carry one).
fn shown_address(url: &str) -> String {
    let url = url.split('?').next().unwrap_or_default();
    match url.split_once('@') {
        Some((who, place)) => format!("{}@{place}", who.split(':').take(2).collect::<Vec<_>>().join(":")),
        None => url.to_string(),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> OfficeError {
    OfficeError::Io { path: path.display().to_string(), source }
}

/// What `store copy` copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Records (documents with their projections).
    pub records: u64,
    /// Ids of records replaced and deleted, remembered so they are never taken again.
    pub purged: u64,
    /// Registered sites.
    pub sites: u64,
    /// Lines of `hq_actions`.
    pub actions: u64,
}

/// Settings that belong to head office rather than to its SQLite file.
const COPIED_SETTINGS: [&str; 4] = ["listen", NEXT_FINGERPRINT, SWITCHED_FINGERPRINT, crate::company::RULES_SETTING];

/// Records copied a transaction at a time.
const COPY_CHUNK: usize = 1_000;

/// Copies head office's SQLite folder `dir` into the empty PostgreSQL
/// database at `url`: every record as it is (documents, heads, projections),
/// the ids of purged records, the sites with their credentials, head
/// office's settings and its actions log, read in one snapshot; then checks
/// that every record's heads arrived equal and points the folder at the
/// database. What head office knew of each site's holdings is not copied,
/// so each site's next round compares digests (as after a restore) and
/// sends only what differs.
pub fn copy_to_postgres(dir: &Path, url: &str, ca: Option<&Path>) -> Result<Copied, OfficeError> {
    check_store_url(url)?;
    if store_url(dir)?.is_some() {
        return Err(OfficeError::Invalid(format!(
            "{} already runs on PostgreSQL (its {STORE_URL_FILE} names the database); nothing was copied",
            dir.display()
        )));
    }
    let from = HeadOffice::open(dir, Arc::new(time::SystemClock))?;
    let ca = read_ca(ca)?;
    let mut to = connect_pg(url, ca.as_deref())?;
    to.lay_out()?;
    if !to.is_empty()? || !to.site_rows(None)?.is_empty() {
        return Err(OfficeError::Invalid(
            "the PostgreSQL database already holds records or sites; `store copy` copies into an empty database \
             only (create one with `createdb`), so that nothing there is mixed with or overwritten by the copy"
                .into(),
        ));
    }
    let conn = from.store.conn();
    // One read transaction: a snapshot, even if something writes meanwhile.
    let snapshot = conn.unchecked_transaction()?;
    let mut copied = Copied { records: 0, purged: 0, sites: 0, actions: 0 };
    let purged: Vec<String> = snapshot
        .prepare("SELECT id FROM purged ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut stmt = snapshot.prepare(
        "SELECT d.id, d.kind, s.site_id, d.heads, d.bytes, p.sort, p.status, p.view, p.facts, d.dict
         FROM docs d JOIN site_numbers s ON s.n = d.site LEFT JOIN projections p ON p.id = d.id ORDER BY d.seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut chunk = Vec::with_capacity(COPY_CHUNK);
    let mut flush = |chunk: &mut Vec<wuye_store_pg::CopiedDoc>, purged: &[String]| -> Result<(), OfficeError> {
        to.copy_in(chunk, purged)?;
        chunk.clear();
        Ok(())
    };
    while let Some(r) = rows.next()? {
        let sort: Option<String> = r.get(5)?;
        let projection = match sort {
            Some(sort) => Some((sort, r.get(6)?, r.get(7)?, r.get(8)?)),
            None => None,
        };
        let (id, site_id, heads): (String, String, Vec<u8>) = (r.get(0)?, r.get(2)?, r.get(3)?);
        // PostgreSQL holds each document as Automerge saved it.
        let bytes = wuye_node::store::stored_document(&snapshot, (&id, &site_id, &heads), r.get(4)?, r.get(9)?)?;
        chunk.push(wuye_store_pg::CopiedDoc { id, kind: r.get(1)?, site_id, heads, bytes, projection });
        copied.records += 1;
        if chunk.len() == COPY_CHUNK {
            flush(&mut chunk, &[])?;
        }
    }
    flush(&mut chunk, &purged)?;
    copied.purged = purged.len() as u64;
    drop(rows);
    drop(stmt);
    for row in from.store.site_rows(None)? {
        crate::backend::copy_site_row(&mut to, &row)?;
        copied.sites += 1;
    }
    for key in COPIED_SETTINGS {
        if let Some(value) = from.store.setting(key)? {
            to.set_setting(key, &value)?;
        }
    }
    // Head office's record of its actions, and its people with their
    // sign-in names and password hashes (sessions are not copied: people
    // sign in again), row for row in the SQL both databases read.
    for (table, columns) in [
        ("hq_actions", "at, \"by\", action, target"),
        ("hq_users", "id, login, name, role, sites, created_at, created_by, disabled_at"),
        ("logins", "login, staff_id, hash, changed_at"),
    ] {
        let rows =
            wuye_node::sql::Sql::rows(&*snapshot, &format!("SELECT {columns} FROM {table} ORDER BY rowid"), &[])?;
        let params: Vec<String> = (1..=columns.split(", ").count()).map(|i| format!("?{i}")).collect();
        let insert = format!("INSERT INTO {table} ({columns}) VALUES ({})", params.join(", "));
        if table == "hq_actions" {
            copied.actions = rows.len() as u64;
        }
        for row in rows {
            wuye_node::sql::Sql::exec(&to, &insert, &row)?;
        }
    }
    let mut held: Vec<(String, Vec<u8>)> = snapshot
        .prepare("SELECT id, heads FROM docs")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    drop(snapshot);
    let mut arrived = to.all_heads()?;
    held.sort();
    arrived.sort();
    if held != arrived {
        let missing = held.iter().filter(|h| !arrived.contains(h)).count();
        return Err(OfficeError::Invalid(format!(
            "the copy is not whole: {missing} of {} records differ in PostgreSQL; the folder still runs on SQLite. \
             Empty the database and copy again",
            held.len()
        )));
    }
    if let Some(ca) = &ca {
        folder::write_private(&dir.join(STORE_CA_FILE), ca)?;
    }
    folder::write_private(&dir.join(STORE_URL_FILE), url.as_bytes())?;
    Ok(copied)
}

/// Head office as its folder says: on SQLite, or on PostgreSQL. Opened
/// once per command, so the difference in size is of no matter.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Opened {
    /// Records in the folder's `server.db`.
    Sqlite(HeadOffice),
    /// Records in the database `store.url` names.
    Postgres(HeadOffice<wuye_store_pg::PgStore>),
}

/// Opens head office as its folder says.
pub fn open_any(dir: &Path, clock: Arc<dyn Clock>) -> Result<Opened, OfficeError> {
    match store_url(dir)? {
        Some(url) => {
            let ca_path = dir.join(STORE_CA_FILE);
            let ca = if ca_path.is_file() { Some(read_file(&ca_path)?) } else { None };
            let store = connect_pg(&url, ca.as_deref())?;
            Ok(Opened::Postgres(HeadOffice::over(store, clock, StdRng::from_entropy())?))
        }
        None => Ok(Opened::Sqlite(HeadOffice::open(dir, clock)?)),
    }
}

/// The PostgreSQL address a folder names, if it names one.
pub fn store_url(dir: &Path) -> Result<Option<String>, OfficeError> {
    let path = dir.join(STORE_URL_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let url = String::from_utf8(read_file(&path)?).map_err(|_| {
        OfficeError::Invalid(format!("{} is not text; write the database's address in it again", path.display()))
    })?;
    Ok(Some(url.trim().to_string()))
}

/// The files of head office's TLS identity a backup carries beside the database.
const IDENTITY_FILES: [&str; 6] =
    [CERT_FILE, KEY_FILE, NEXT_CERT_FILE, NEXT_KEY_FILE, PREVIOUS_CERT_FILE, PREVIOUS_KEY_FILE];

/// Writes a consistent copy of head office's database to `to` (also while
/// `run` runs), carrying the TLS identity files in a table of the copy, so
/// one file restores the whole folder.
pub fn backup(dir: &Path, to: &Path) -> Result<(), OfficeError> {
    if dir.join(STORE_URL_FILE).is_file() {
        return Err(OfficeError::Invalid(format!(
            "head office in {} keeps its records in PostgreSQL: back the database up with PostgreSQL's own tools \
             (pg_dump, or the company's usual backups of it), and keep a copy of this folder (its certificate and key \
             live here)",
            dir.display()
        )));
    }
    let store = folder::open(dir, DB_FILE, "server", "wuye-server init")?;
    folder::backup(&store, to)?;
    let copy = Store::open(to)?;
    copy.conn().execute_batch("CREATE TABLE backup_files (name TEXT PRIMARY KEY, bytes BLOB NOT NULL)")?;
    for name in IDENTITY_FILES {
        let path = dir.join(name);
        if path.is_file() {
            let bytes = read_file(&path)?;
            copy.conn().execute("INSERT INTO backup_files (name, bytes) VALUES (?1, ?2)", params![name, bytes])?;
        }
    }
    copy.conn().execute_batch("PRAGMA journal_mode = DELETE")?;
    Ok(())
}

/// Makes `dir` (new or empty) head office's folder from a backup file.
pub fn restore(from: &Path, dir: &Path) -> Result<(), OfficeError> {
    let store = folder::restore(from, dir, DB_FILE, "server", "wuye-server init")?;
    let files: Vec<(String, Vec<u8>)> = {
        let mut stmt = store.conn().prepare("SELECT name, bytes FROM backup_files")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (name, bytes) in &files {
        if !IDENTITY_FILES.contains(&name.as_str()) {
            continue;
        }
        folder::write_private(&dir.join(name), bytes)?;
    }
    store.conn().execute_batch("DROP TABLE backup_files")?;
    if !dir.join(CERT_FILE).is_file() {
        return Err(OfficeError::Io {
            path: dir.join(CERT_FILE).display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "the backup carries no certificate"),
        });
    }
    Ok(())
}

/// Checks a listen address.
pub fn check_listen(listen: &str) -> Result<std::net::SocketAddr, OfficeError> {
    listen.parse().map_err(|_| AppError::ListenInvalid(listen.to_string()).into())
}

fn read_file(path: &Path) -> Result<Vec<u8>, OfficeError> {
    std::fs::read(path).map_err(|source| OfficeError::Io { path: path.display().to_string(), source })
}

/// The TLS identity stored in a server folder.
pub fn identity(dir: &Path) -> Result<Identity, OfficeError> {
    Ok(Identity { cert_der: read_file(&dir.join(CERT_FILE))?, key_der: read_file(&dir.join(KEY_FILE))? })
}

/// Head office's store with the world injected: on SQLite (the default,
/// [`Store`]) or on any [`OfficeStore`] (PostgreSQL). What the dashboard,
/// figures, exports and people need is written for SQLite alone so far.
pub struct HeadOffice<S = Store> {
    /// The records of every site.
    pub store: S,
    clock: Arc<dyn Clock>,
    rng: StdRng,
}

impl<S> std::fmt::Debug for HeadOffice<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadOffice").finish_non_exhaustive()
    }
}

impl HeadOffice {
    /// Opens the store of a server folder.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, OfficeError> {
        if dir.join(STORE_URL_FILE).is_file() {
            return Err(OfficeError::Invalid(format!(
                "head office in {} keeps its records in PostgreSQL; this works on a head office on SQLite only",
                dir.display()
            )));
        }
        let store = folder::open(dir, DB_FILE, "server", "wuye-server init")?;
        Self::new(store, clock, StdRng::from_entropy())
    }

    /// Head office over any SQLite store (an in-memory one in tests).
    pub fn new(store: Store, clock: Arc<dyn Clock>, rng: StdRng) -> Result<Self, OfficeError> {
        Self::over(store, clock, rng)
    }
}

impl<S: OfficeStore> HeadOffice<S> {
    /// Head office over a store whose own tables are laid out.
    pub fn over(mut store: S, clock: Arc<dyn Clock>, rng: StdRng) -> Result<Self, OfficeError> {
        store.lay_out()?;
        Ok(Self { store, clock, rng })
    }

    /// The configured listen address.
    pub fn listen(&self) -> Result<String, OfficeError> {
        Ok(self.store.setting("listen")?.unwrap_or_else(|| DEFAULT_LISTEN.to_string()))
    }

    /// Registers a site and issues its one-time enrollment code.
    pub fn add_site(&mut self, name: &str) -> Result<NewSite, OfficeError> {
        let name = wuye_protocol::rules::field_text("the site name", name, MAX_SITE_NAME_CHARS, true)
            .map_err(AppError::from)?;
        let site_id = SiteId::random(&mut self.rng);
        self.store
            .write_site(site_id, SiteWrite::Registered { name: &name, at: &time::to_stored(self.clock.now()) })?;
        self.publish_to_new(site_id)?;
        self.issue_code(site_id)
    }

    /// A fresh enrollment code for `site`; the site's credential and any older code stop working.
    fn issue_code(&mut self, site_id: SiteId) -> Result<NewSite, OfficeError> {
        let raw: String =
            (0..ENROLL_CODE_CHARS).map(|_| ENROLL_CODE_ALPHABET[(self.rng.next_u32() % 32) as usize] as char).collect();
        let code = normalize_enroll_code(&raw).expect("a generated code is canonical");
        let expires_at = time::to_stored(self.clock.now() + chrono::Duration::hours(ENROLL_CODE_HOURS));
        self.store
            .write_site(site_id, SiteWrite::CodeIssued { code_hash: &hash_secret(&code), expires_at: &expires_at })?;
        Ok(NewSite { site_id, code, expires_at })
    }

    /// Revokes a site: its open connections close, and every later attempt
    /// (credential or unused enrollment code) is refused.
    pub fn revoke_site(&mut self, by: &Actor, id: &str) -> Result<SiteId, OfficeError> {
        by.may(Act::ManageSites)?;
        let site = self.site(id)?;
        self.record_action(by, "site revoke", &site.to_string())?;
        self.store.write_site(site, SiteWrite::Revoked { at: &time::to_stored(self.clock.now()) })?;
        Ok(site)
    }

    /// Issues a site a new enrollment code (and lifts a revocation); the old
    /// credential stops working at once, and the site's open connections close.
    pub fn rotate_site(&mut self, by: &Actor, id: &str) -> Result<NewSite, OfficeError> {
        by.may(Act::ManageSites)?;
        let site_id = self.site(id)?;
        self.record_action(by, "site rotate", &site_id.to_string())?;
        self.issue_code(site_id)
    }

    /// The hash of one site's current credential, `None` if revoked or never enrolled.
    pub fn credential_hash(&self, site: SiteId) -> Result<Option<String>, StoreError> {
        Ok(self.credential_row(site)?.and_then(SiteRow::live_credential))
    }

    /// The hash of each site's current credential, `None` for a revoked site
    /// or one with no credential; `run` closes connections that no longer match.
    pub fn credentials(&self) -> Result<std::collections::HashMap<SiteId, Option<String>>, OfficeError> {
        Ok(self
            .site_rows(None)?
            .into_iter()
            .filter_map(|row| Some((row.id.parse().ok()?, row.live_credential())))
            .collect())
    }

    /// Every registered site.
    pub fn sites(&self) -> Result<Vec<SiteInfo>, OfficeError> {
        let now = self.clock.now();
        let next = self.store.setting(NEXT_FINGERPRINT)?;
        let mut out = Vec::new();
        for row in self.site_rows(None)? {
            let site_id: SiteId = row
                .id
                .parse()
                .map_err(|_| StoreError::Corrupt { id: row.id.clone(), reason: "site id does not parse".into() })?;
            let seconds_since_sync =
                row.last_sync_at.as_deref().and_then(time::from_stored).map(|t| (now - t).num_seconds().max(0));
            let credential = row.standing(now);
            let offset_ms = row.clock_offset_ms.as_deref().and_then(|o| o.parse::<i64>().ok());
            let holds_next_fingerprint = next.as_ref().map(|next| row.holds_fingerprint.as_ref() == Some(next));
            out.push(SiteInfo {
                site_id,
                name: row.name,
                created_at: row.created_at,
                last_sync_at: row.last_sync_at,
                seconds_since_sync,
                waiting_down: self.store.unconfirmed_count(&site_peer(site_id), site_id)?,
                credential,
                clock_offset_seconds: offset_ms.map(|o| o / 1000),
                clock_wrong: offset_ms.is_some_and(|o| o.abs() > MAX_CLOCK_OFFSET_MS),
                holds_next_fingerprint,
                agent: row.health.as_deref().and_then(|h| serde_json::from_str(h).ok()),
            });
        }
        Ok(out)
    }

    /// Makes the certificate head office will move to and announces its
    /// fingerprint to every site at its next sync; returns the fingerprint.
    /// Rotating again replaces a next certificate not yet switched to.
    pub fn rotate_cert(&mut self, dir: &Path) -> Result<String, OfficeError> {
        let identity = Identity::generate()?;
        folder::write_private(&dir.join(NEXT_KEY_FILE), &identity.key_der)?;
        folder::write_private(&dir.join(NEXT_CERT_FILE), &identity.cert_der)?;
        let fingerprint = tls::fingerprint(&identity.cert_der);
        self.store.set_setting(NEXT_FINGERPRINT, &fingerprint)?;
        self.store.delete_setting(SWITCHED_FINGERPRINT)?;
        Ok(fingerprint)
    }

    /// The certificate waiting to be switched to: the next one (`true`), or
    /// the one another server folder on the same database has already
    /// switched to (`false`).
    fn waiting_cert(&self) -> Result<(String, bool), OfficeError> {
        if let Some(next) = self.store.setting(NEXT_FINGERPRINT)? {
            return Ok((next, true));
        }
        match self.store.setting(SWITCHED_FINGERPRINT)? {
            Some(switched) => Ok((switched, false)),
            None => Err(AppError::NoCertWaiting.into()),
        }
    }

    /// Copies the next certificate and its key from the server folder
    /// `from` (where `cert rotate` made them) into `dir`: every server folder
    /// on one database serves with the same certificate. Refused unless it is
    /// the certificate head office is moving to.
    pub fn copy_next_cert(&self, from: &Path, dir: &Path) -> Result<String, OfficeError> {
        let (waiting, _) = self.waiting_cert()?;
        let cert = read_file(&from.join(NEXT_CERT_FILE))?;
        if tls::fingerprint(&cert) != waiting {
            return Err(AppError::CertMismatch { file: NEXT_CERT_FILE, fingerprint: waiting }.into());
        }
        let key = read_file(&from.join(NEXT_KEY_FILE))?;
        folder::write_private(&dir.join(NEXT_KEY_FILE), &key)?;
        folder::write_private(&dir.join(NEXT_CERT_FILE), &cert)?;
        Ok(waiting)
    }

    /// Sites that can sync now (enrolled, not revoked) and do not yet hold the next fingerprint.
    pub fn sites_lacking_next(&self) -> Result<Vec<SiteInfo>, OfficeError> {
        Ok(self
            .sites()?
            .into_iter()
            .filter(|s| s.credential == "enrolled" && s.holds_next_fingerprint == Some(false))
            .collect())
    }

    /// Moves to the certificate `rotate_cert` made (the old one is kept as
    /// `cert-previous.der`). Refused while an enrolled site does not hold the
    /// new fingerprint, unless `force`: such a site could not connect until
    /// it is given the fingerprint with `wuye-agent server set`.
    pub fn switch_cert(&mut self, dir: &Path, force: bool) -> Result<String, OfficeError> {
        let (next, first) = self.waiting_cert()?;
        let next_cert = read_file(&dir.join(NEXT_CERT_FILE))?;
        if tls::fingerprint(&next_cert) != next {
            return Err(AppError::CertMismatch { file: NEXT_CERT_FILE, fingerprint: next }.into());
        }
        // The sites were asked when the first folder switched.
        let lacking = if first { self.sites_lacking_next()? } else { Vec::new() };
        if !lacking.is_empty() && !force {
            let names: Vec<String> = lacking.iter().map(|s| format!("{} ({})", s.name, s.site_id)).collect();
            return Err(AppError::SitesLackingCert { names }.into());
        }
        let rename = |from: &str, to: &str| {
            std::fs::rename(dir.join(from), dir.join(to))
                .map_err(|source| OfficeError::Io { path: dir.join(from).display().to_string(), source })
        };
        rename(CERT_FILE, PREVIOUS_CERT_FILE)?;
        rename(KEY_FILE, PREVIOUS_KEY_FILE)?;
        rename(NEXT_CERT_FILE, CERT_FILE)?;
        rename(NEXT_KEY_FILE, KEY_FILE)?;
        self.store.set_setting(SWITCHED_FINGERPRINT, &next)?;
        self.store.delete_setting(NEXT_FINGERPRINT)?;
        Ok(next)
    }

    /// Checks that a site id given on the command line is registered.
    pub fn site(&self, id: &str) -> Result<SiteId, OfficeError> {
        let site: SiteId = id.parse().map_err(AppError::from)?;
        if self.store.site_rows(Some(site))?.is_empty() {
            return Err(AppError::UnknownSite(site.to_string()).into());
        }
        Ok(site)
    }

    /// Head office acting now, through the application layer.
    fn office(&mut self) -> wuye_app::office::Office<'_, S> {
        wuye_app::office::Office { store: &mut self.store, now: self.clock.now(), rng: &mut self.rng }
    }

    /// The property manager's decision on a major complaint (重大投诉), by a
    /// manager (or the command line, for the name it gives).
    pub fn decide(&mut self, by: &Actor, id: &str, text: &str) -> Result<Complaint, OfficeError> {
        by.may(Act::Decide)?;
        by.may_see(self.complaint(id)?.site_id)?;
        Ok(self.office().decide(id, text, &by.signature())?)
    }

    /// A head-office note (跟踪记录) on a complaint.
    pub fn note(&mut self, by: &Actor, id: &str, text: &str) -> Result<Complaint, OfficeError> {
        by.may(Act::Note)?;
        by.may_see(self.complaint(id)?.site_id)?;
        Ok(self.office().note(id, text, &by.signature())?)
    }

    /// A head-office note on a repair work order.
    pub fn repair_note(&mut self, by: &Actor, id: &str, text: &str) -> Result<Repair, OfficeError> {
        by.may(Act::Note)?;
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::Repair, id).map_err(AppError::from)?;
        by.may_see(self.store.view::<Repair>(rid).map_err(AppError::from)?.site_id)?;
        Ok(self.office().repair_note(id, text, &by.signature())?)
    }

    /// A reduction (减免) of a site's bill granted at head office by a
    /// manager; it reaches the site with its next sync and merges with any
    /// payment the site took meanwhile (see `wuye_protocol::fee::ledger`).
    pub fn reduce_bill(
        &mut self,
        by: &Actor,
        id: &str,
        amount: wuye_protocol::money::Fen,
        reason: &str,
    ) -> Result<wuye_protocol::bill::Bill, OfficeError> {
        by.may(Act::Decide)?;
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::Bill, id).map_err(AppError::from)?;
        let bill = self.store.view::<wuye_protocol::bill::Bill>(rid).map_err(AppError::from)?;
        by.may_see(bill.site_id)?;
        let (now, signature) = (self.now(), by.signature());
        let view = self
            .store
            .edit_with(rid, &mut |doc| wuye_protocol::bill::reduce(doc, now, &signature, amount, reason))
            .map_err(AppError::from)?;
        Ok(Store::typed(view).map_err(AppError::from)?)
    }

    /// A head-office note (跟踪记录) on a site's renovation; it reaches the
    /// site at its next sync and merges with whatever the site wrote meanwhile.
    pub fn renovation_note(
        &mut self,
        by: &Actor,
        id: &str,
        text: &str,
    ) -> Result<wuye_protocol::renovation::Renovation, OfficeError> {
        by.may(Act::Note)?;
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::Renovation, id).map_err(AppError::from)?;
        let r = self.store.view::<wuye_protocol::renovation::Renovation>(rid).map_err(AppError::from)?;
        by.may_see(r.site_id)?;
        let (now, signature) = (self.now(), by.signature());
        let view = self
            .store
            .edit_with(rid, &mut |doc| wuye_protocol::renovation::note(doc, now, &signature, text))
            .map_err(AppError::from)?;
        Ok(Store::typed(view).map_err(AppError::from)?)
    }

    /// A complaint as `by` may see it (its site theirs), with its history.
    pub fn complaint_for(
        &self,
        by: &Actor,
        id: &str,
    ) -> Result<(Complaint, Vec<wuye_protocol::complaint::HistoryEntry>), OfficeError> {
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::Complaint, id).map_err(AppError::from)?;
        let complaint = self.store.view::<Complaint>(rid).map_err(AppError::from)?;
        by.may_see(complaint.site_id)?;
        let doc = self.store.document(rid)?;
        let history = wuye_protocol::complaint::history(&doc).map_err(|e| crate::office::corrupt(rid, e))?;
        Ok((complaint, history))
    }

    /// A work order as `by` may see it (its site theirs); its events are its history.
    pub fn repair_for(&self, by: &Actor, id: &str) -> Result<Repair, OfficeError> {
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::Repair, id).map_err(AppError::from)?;
        let repair = self.store.view::<Repair>(rid).map_err(AppError::from)?;
        by.may_see(repair.site_id)?;
        Ok(repair)
    }

    /// Every record of kind `T`, of one site or of all, in the kind's order.
    pub fn all<T: wuye_protocol::kind::Kind>(&self, site: Option<SiteId>) -> Result<Vec<T>, OfficeError> {
        let filter = wuye_node::Filter { site, ..wuye_node::Filter::default() };
        Ok(self.store.list::<T>(&filter, &wuye_node::Page::all())?.items)
    }

    /// The ids of every registered site.
    pub fn site_ids(&self) -> Result<Vec<SiteId>, OfficeError> {
        Ok(self.site_rows(None)?.into_iter().filter_map(|row| row.id.parse().ok()).collect())
    }

    /// Notes an administrator's action on a site or credential.
    pub fn record_action(&self, by: &Actor, action: &str, target: &str) -> Result<(), OfficeError> {
        Ok(self.store.record_action(&time::to_stored(self.clock.now()), &by.signature(), action, target)?)
    }

    /// A fresh record id.
    pub fn new_record_id(&mut self) -> wuye_protocol::ids::RecordId {
        wuye_protocol::ids::RecordId::random(&mut self.rng)
    }

    /// The time now, as head office's clock says.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// One complaint by id or unique prefix.
    pub fn complaint(&mut self, id: &str) -> Result<Complaint, OfficeError> {
        Ok(self.office().complaint(id)?)
    }
}

impl<S: OfficeStore> SyncStore for HeadOffice<S> {
    type Error = StoreError;

    fn cursor(&mut self, peer: &str) -> Result<Seq, StoreError> {
        self.store.cursor(peer)
    }

    fn outgoing(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<Outgoing, StoreError> {
        self.store.outgoing(peer, site, after)
    }

    fn apply(&mut self, peer: &str, site: SiteId, docs: Vec<DocPayload>, cursor: Seq) -> Result<Applied, StoreError> {
        self.store.apply(peer, site, docs, cursor)
    }

    fn acknowledge(
        &mut self,
        peer: &str,
        held: &[HeadsAck],
        need_full: &[wuye_protocol::ids::RecordId],
    ) -> Result<(), StoreError> {
        self.store.acknowledge(peer, held, need_full)
    }

    fn checkpoint_with(&mut self, peer: &str) -> Result<Option<(Checkpoint, String)>, StoreError> {
        self.store.checkpoint_with(peer)
    }

    fn keep_checkpoint(&mut self, peer: &str, checkpoint: Checkpoint, instance: &str) -> Result<(), StoreError> {
        self.store.keep_checkpoint(peer, checkpoint, instance)
    }

    fn forget_peer(&mut self, peer: &str) -> Result<(), StoreError> {
        self.store.forget_peer(peer)
    }

    fn digests(
        &mut self,
        site: SiteId,
        after: Option<wuye_protocol::ids::RecordId>,
        limit: usize,
    ) -> Result<Vec<Digest>, StoreError> {
        self.store.digests(site, after, limit)
    }

    fn compare_digests(&mut self, peer: &str, site: SiteId, digests: &[Digest]) -> Result<Vec<bool>, StoreError> {
        self.store.compare_digests(peer, site, digests)
    }

    fn mark_held(&mut self, peer: &str, ids: &[wuye_protocol::ids::RecordId]) -> Result<(), StoreError> {
        self.store.mark_held(peer, ids)
    }

    fn unconfirmed_after(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<u64, StoreError> {
        self.store.unconfirmed_after(peer, site, after)
    }
}

/// One row of the `sites` table, as each store reads it.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_sync_at: Option<String>,
    pub token_hash: String,
    pub revoked_at: Option<String>,
    pub enroll_hash: Option<String>,
    pub enroll_expires_at: Option<String>,
    pub enrolled_at: Option<String>,
    pub clock_offset_ms: Option<String>,
    pub holds_fingerprint: Option<String>,
    pub health: Option<String>,
}

/// The one column of `sites` a row's columns come in, for each store's SELECT.
pub const SITE_COLUMNS: &str = "id, name, created_at, last_sync_at, token_hash, revoked_at, enroll_hash, \
     enroll_expires_at, enrolled_at, clock_offset_ms, holds_fingerprint, health";

/// A change to one site's row, as every store writes it (times as stored text).
#[derive(Debug)]
pub enum SiteWrite<'a> {
    /// A new site, with no credential yet.
    Registered { name: &'a str, at: &'a str },
    /// A new enrollment code: the credential, any revocation and the last enrollment cleared.
    CodeIssued { code_hash: &'a str, expires_at: &'a str },
    /// Revoked.
    Revoked { at: &'a str },
    /// Enrolled with a credential (its hash).
    Enrolled { token_hash: &'a str, at: &'a str },
    /// A round completed: when, the clock offset, the fingerprint the site
    /// holds (kept when `None`), the agent's report as JSON.
    Synced { at: &'a str, clock_offset_ms: i64, holds_fingerprint: Option<&'a str>, health: Option<&'a str> },
}

impl SiteRow {
    /// The hash of the credential that admits the site now: none when revoked or not yet enrolled.
    fn live_credential(self) -> Option<String> {
        (self.revoked_at.is_none() && !self.token_hash.is_empty()).then_some(self.token_hash)
    }

    /// Where the credential stands, in words for `site list`.
    fn standing(&self, now: DateTime<Utc>) -> String {
        match (&self.revoked_at, &self.enroll_expires_at) {
            (Some(at), _) => format!("revoked at {at}"),
            _ if !self.token_hash.is_empty() => "enrolled".to_string(),
            (None, Some(until)) if time::from_stored(until).is_some_and(|t| t > now) => {
                format!("awaiting enrollment until {until}")
            }
            (None, until) => format!("enrollment code expired at {}", until.as_deref().unwrap_or_default()),
        }
    }
}

impl<S: OfficeStore> HeadOffice<S> {
    /// The rows of `sites`, oldest first: one site's, or all.
    fn site_rows(&self, only: Option<SiteId>) -> Result<Vec<SiteRow>, StoreError> {
        self.store.site_rows(only)
    }

    fn credential_row(&self, site: SiteId) -> Result<Option<SiteRow>, StoreError> {
        Ok(self.site_rows(Some(site))?.pop())
    }
}

/// A stored document that does not read as its kind.
pub(crate) fn corrupt(id: wuye_protocol::ids::RecordId, e: wuye_protocol::doc::DocError) -> OfficeError {
    OfficeError::Store(StoreError::Corrupt { id: id.to_string(), reason: e.to_string() })
}

fn not_registered(site: SiteId) -> String {
    format!(
        "site {site} is not registered at head office; check the site id given to `wuye-agent init` against `wuye-server site list`"
    )
}

fn revoked(site: SiteId, at: &str) -> String {
    format!(
        "site {site} was revoked by head office at {at}; ask head office for a new enrollment code (`wuye-server site rotate {site}`)"
    )
}

/// What head office answers a site presenting `token`, from the site's row:
/// its name, or why it is refused and what to do. The rule, apart from where
/// the row is kept.
fn admission(site: SiteId, row: Option<SiteRow>, token: &str) -> Result<String, String> {
    let Some(row) = row else {
        return Err(not_registered(site));
    };
    match row {
        SiteRow { revoked_at: Some(at), .. } => Err(revoked(site, &at)),
        // Both sides are hashes of a 256-bit secret, so comparing them leaks nothing useful.
        SiteRow { name, token_hash, .. } if !token_hash.is_empty() && token_hash == hash_secret(token) => Ok(name),
        SiteRow { enroll_hash: Some(_), enrolled_at: None, .. } => Err(format!(
            "site {site} has not enrolled yet, or head office issued it a new enrollment code: \
             run `wuye-agent enroll CODE` with the code `wuye-server site add` or `site rotate` printed"
        )),
        SiteRow { .. } => Err(format!(
            "the credential of site {site} was refused: it was replaced or never issued; \
             ask head office for a new enrollment code (`wuye-server site rotate {site}`) and run `wuye-agent enroll CODE`"
        )),
    }
}

/// What an enrollment comes to, from the site's row.
enum Enrollment {
    /// Refused, with why and what to do.
    Refused(String),
    /// The same agent retrying after its answer was lost: nothing to write.
    Again(String),
    /// Accepted: the credential is to be kept (its hash), the code spent.
    Accept(String),
}

/// Whether `code` enrolls `site` with `credential` now, from the site's row.
fn enrollment(site: SiteId, row: Option<SiteRow>, code: &str, credential: &str, now: DateTime<Utc>) -> Enrollment {
    let Some(row) = row else {
        return Enrollment::Refused(not_registered(site));
    };
    let ask_again = format!("ask head office for a new one (`wuye-server site rotate {site}`)");
    let code_hash = normalize_enroll_code(code).map(|c| hash_secret(&c));
    match row {
        SiteRow { revoked_at: Some(at), .. } => Enrollment::Refused(revoked(site, &at)),
        SiteRow { enroll_hash: Some(expected), .. } if Some(&expected) != code_hash.as_ref() => {
            Enrollment::Refused(format!("the enrollment code for site {site} is wrong; check it, or {ask_again}"))
        }
        SiteRow { enroll_hash: None, .. } => Enrollment::Refused(format!(
            "site {site} has no enrollment code waiting (it was used or replaced); {ask_again}"
        )),
        SiteRow { name, enrolled_at: Some(_), token_hash, .. } if token_hash == hash_secret(credential) => {
            Enrollment::Again(name)
        }
        SiteRow { enrolled_at: Some(at), .. } => {
            Enrollment::Refused(format!("the enrollment code for site {site} was already used at {at}; {ask_again}"))
        }
        SiteRow { enroll_expires_at, .. }
            if enroll_expires_at.as_deref().and_then(time::from_stored).is_none_or(|until| now >= until) =>
        {
            Enrollment::Refused(format!(
                "the enrollment code for site {site} expired at {}; {ask_again}",
                enroll_expires_at.unwrap_or_default()
            ))
        }
        SiteRow { name, .. } => Enrollment::Accept(name),
    }
}

impl<S: OfficeStore> ServerStore for HeadOffice<S> {
    fn authenticate(&mut self, site: SiteId, token: &str) -> Result<Result<String, String>, StoreError> {
        Ok(admission(site, self.credential_row(site)?, token))
    }

    fn enroll(
        &mut self,
        site: SiteId,
        code: &str,
        credential: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<String, String>, StoreError> {
        Ok(match enrollment(site, self.credential_row(site)?, code, credential, now) {
            Enrollment::Refused(why) => Err(why),
            Enrollment::Again(name) => Ok(name),
            Enrollment::Accept(name) => {
                self.store.write_site(
                    site,
                    SiteWrite::Enrolled { token_hash: &hash_secret(credential), at: &time::to_stored(now) },
                )?;
                Ok(name)
            }
        })
    }

    fn next_fingerprint(&mut self) -> Result<Option<String>, StoreError> {
        self.store.setting(NEXT_FINGERPRINT)
    }

    fn round_finished(
        &mut self,
        site: SiteId,
        now: DateTime<Utc>,
        facts: &RoundFacts,
        after: u64,
    ) -> Result<Checkpoint, StoreError> {
        if facts.clock_offset_ms.abs() > MAX_CLOCK_OFFSET_MS {
            tracing::warn!(
                site = %site,
                offset_s = facts.clock_offset_ms / 1000,
                "the site's clock differs from head office's by more than 5 minutes: deadlines and history there rest on it"
            );
        }
        let health = facts.health.as_ref().and_then(|h| serde_json::to_string(h).ok());
        self.store.write_site(
            site,
            SiteWrite::Synced {
                at: &time::to_stored(now),
                clock_offset_ms: facts.clock_offset_ms,
                holds_fingerprint: facts.holds_fingerprint.as_deref(),
                health: health.as_deref(),
            },
        )?;
        let mut nonce = [0u8; 16];
        self.rng.fill_bytes(&mut nonce);
        let checkpoint = Checkpoint { epoch: after.saturating_add(1), nonce };
        self.store.keep_checkpoint(&site_peer(site), checkpoint, &facts.instance)?;
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "ABCDE-FGHJK-MNPQR-STVWX";

    fn row(enrolled: bool) -> SiteRow {
        let now = time::from_stored("2026-11-30T02:00:00Z").unwrap();
        SiteRow {
            id: "s".into(),
            name: "朝阳花园".into(),
            created_at: String::new(),
            last_sync_at: None,
            token_hash: if enrolled { hash_secret("credential") } else { String::new() },
            revoked_at: None,
            enroll_hash: normalize_enroll_code(CODE).map(|c| hash_secret(&c)),
            enroll_expires_at: Some(time::to_stored(now + chrono::Duration::hours(72))),
            enrolled_at: enrolled.then(|| time::to_stored(now)),
            clock_offset_ms: None,
            holds_fingerprint: None,
            health: None,
        }
    }

    #[test]
    fn a_database_address_is_shown_without_its_password() {
        assert_eq!(shown_address("postgres://wuye:秘密@db:5432/wuye"), "postgres://wuye@db:5432/wuye");
        assert_eq!(shown_address("postgres://db/wuye?password=x&sslmode=require"), "postgres://db/wuye");
        assert_eq!(shown_address("postgresql://wuye@db/wuye"), "postgresql://wuye@db/wuye");
    }

    #[test]
    fn the_site_rules_decide_from_the_row_alone() {
        let site = SiteId::random(&mut rand::thread_rng());
        let now = time::from_stored("2026-11-30T03:00:00Z").unwrap();
        let words = |e: Enrollment| match e {
            Enrollment::Refused(w) => format!("refused: {w}"),
            Enrollment::Again(n) => format!("again: {n}"),
            Enrollment::Accept(n) => format!("accept: {n}"),
        };
        assert_eq!(words(enrollment(site, Some(row(false)), CODE, "credential", now)), "accept: 朝阳花园");
        assert!(words(enrollment(site, Some(row(false)), "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ", "c", now)).contains("is wrong"));
        assert_eq!(words(enrollment(site, Some(row(true)), CODE, "credential", now)), "again: 朝阳花园");
        assert!(words(enrollment(site, Some(row(true)), CODE, "another", now)).contains("already used"));
        let late = now + chrono::Duration::hours(80);
        assert!(words(enrollment(site, Some(row(false)), CODE, "credential", late)).contains("expired"));
        assert!(words(enrollment(site, None, CODE, "credential", now)).starts_with("refused"));
        assert_eq!(admission(site, Some(row(true)), "credential"), Ok("朝阳花园".to_string()));
        assert!(admission(site, Some(row(false)), "credential").unwrap_err().contains("not enrolled yet"));
        assert!(admission(site, Some(row(true)), "wrong").unwrap_err().contains("refused"));
        let revoked = SiteRow { revoked_at: Some("2026-11-30T02:30:00Z".into()), ..row(true) };
        assert!(admission(site, Some(revoked), "credential").unwrap_err().contains("revoked"));
    }
}
