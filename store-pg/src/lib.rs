//! Head office's record store on PostgreSQL: the same documents, peer heads,
//! cursors and checkpoints as the SQLite store (`wuye_node::Store`), with the
//! merging and checking shared from `wuye_node::store::merge` (no copy of
//! it here), so several `wuye-server` processes can serve sites from one
//! database.
//!
//! **Sequences under concurrent writers.** A pull cursor is a sequence number:
//! a site asks for its records changed after the last number it saw. With one
//! counter for everything and several writers, transactions commit out of
//! order: a record numbered 7 may commit after a reader has already seen 8
//! and moved its cursor past 7, and the record is never sent. Here every
//! site has its own counter row (`site_seqs`), and every transaction that
//! writes a site's documents first locks that row (`SELECT … FOR UPDATE`) and
//! holds the lock until it commits. Writers of one site therefore commit one
//! after the other, in the order of their numbers, so a reader that sees
//! number n has already seen every number below it. Writers of different
//! sites do not wait for each other.
//!
//! Every public write is one transaction, and a batch costs a handful of
//! statements however many documents it holds (reads with `id = ANY($1)`,
//! writes with `UNNEST`). Lists read through the same [`Records`] trait as
//! the SQLite store's. Head office's sites and actions live beside these
//! tables (`wuye_server::backend`); its figures, people and sessions are
//! still SQLite-only (see ARCHITECTURE.md). TLS to the database: rustls.

use automerge::AutoCommit;
use postgres::{Client, NoTls, Transaction};
use std::collections::HashMap;
use wuye_node::records::{list_query, paged, Cell, Dialect, Filter, Page, Paged, Records};
use wuye_node::sql::Sql;
use wuye_node::store::merge::{self, Candidate, Existing, Row};
use wuye_node::store::Tally;
use wuye_node::StoreError;
use wuye_protocol::doc::RecordKind;
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::kind::Kind;
use wuye_protocol::record::{self, View};
use wuye_protocol::rules::RuleError;
use wuye_protocol::sync::{Applied, Outgoing, SyncStore};
use wuye_protocol::wire::{
    heads_digest, heads_from_blob, heads_to_blob, heads_to_wire, Checkpoint, Digest, DocPayload, Hash, HeadsAck, Seq,
    MAX_BATCH_BYTES, MAX_BATCH_DOCS,
};

/// The layout, made once at connect (every statement may run again).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS site_seqs (site_id TEXT PRIMARY KEY, seq BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    site_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    heads BYTEA NOT NULL,
    bytes BYTEA NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_site_seq ON docs (site_id, seq);
CREATE TABLE IF NOT EXISTS peer_cursors (peer TEXT PRIMARY KEY, cursor BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS peer_heads (
    peer TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    heads BYTEA NOT NULL,
    PRIMARY KEY (peer, doc_id)
);
CREATE TABLE IF NOT EXISTS peer_checkpoints (
    peer TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL,
    nonce BYTEA NOT NULL,
    instance TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS purged (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS projections (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    site_id TEXT NOT NULL,
    sort TEXT NOT NULL,
    status TEXT NOT NULL,
    view JSONB NOT NULL,
    facts TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS projections_list ON projections (kind, site_id, sort, id);
CREATE INDEX IF NOT EXISTS projections_status ON projections (kind, status, site_id, sort);
CREATE TABLE IF NOT EXISTS kpi_day (
    day TEXT NOT NULL,
    site_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, site_id, metric)
);
CREATE TABLE IF NOT EXISTS kpi_month (
    month TEXT NOT NULL,
    site_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (month, site_id, metric)
);
";

/// Plain views over the projections for BI tools (documented in
/// `docs/SCHEMA.md`): one row per record with ordinary columns, no Automerge
/// to decode. Phones, identity numbers and people's records are left out.
const BI_VIEWS: &str = "
CREATE OR REPLACE VIEW bi_complaints AS
SELECT id, site_id,
       (view->>'received_at')::timestamptz AS received_at,
       view->>'unit' AS unit,
       view->>'channel' AS channel,
       view->>'category' AS category,
       view->>'summary' AS summary,
       (view->>'major')::boolean AS major,
       status,
       view->'decision'->>'text' AS decision
FROM projections WHERE kind = 'complaint';
CREATE OR REPLACE VIEW bi_repairs AS
SELECT id, site_id,
       (view->>'reported_at')::timestamptz AS reported_at,
       coalesce(view->>'unit', view->>'area') AS place,
       view->>'category' AS category,
       view->>'description' AS description,
       view->>'urgency' AS urgency,
       (view->>'paid')::boolean AS paid,
       (view->>'response_deadline')::timestamptz AS response_deadline,
       (view->>'arrived_at')::timestamptz AS arrived_at,
       view->>'assigned_to' AS assigned_to,
       status
FROM projections WHERE kind = 'repair';
CREATE OR REPLACE VIEW bi_bills AS
SELECT id, site_id,
       view->>'house' AS house,
       view->>'item' AS item,
       view->>'fee_kind' AS fee_kind,
       (view->'period'->>'start')::date AS period_start,
       (view->'period'->>'months')::int AS period_months,
       (view->>'amount')::bigint AS amount_fen,
       (SELECT coalesce(sum((r->>'amount')::bigint), 0) FROM jsonb_array_elements(view->'reductions') r)
           AS reduced_fen,
       (view->>'due')::date AS due
FROM projections WHERE kind = 'bill';
CREATE OR REPLACE VIEW bi_payments AS
SELECT id, site_id,
       (view->>'receipt')::bigint AS receipt,
       view->>'pay_kind' AS pay_kind,
       view->>'house' AS house,
       view->>'method' AS method,
       (view->>'paid_on')::date AS paid_on,
       (view->>'received')::bigint AS received_fen,
       jsonb_array_length(view->'voids') > 0 AS voided
FROM projections WHERE kind = 'payment';
";

/// The TLS client configuration for the database: the authorities trusted
/// are `authority`'s certificates (PEM), or the system's.
fn tls_config(authority: Option<&[u8]>) -> Result<rustls::ClientConfig, StoreError> {
    use rustls::pki_types::pem::PemObject;
    let refused = |why: String| StoreError::Backend(why);
    let mut roots = rustls::RootCertStore::empty();
    match authority {
        Some(pem) => {
            for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
                let cert =
                    cert.map_err(|e| refused(format!("the database's authority is not a PEM certificate: {e}")))?;
                roots.add(cert).map_err(|e| refused(format!("the database's authority cannot be used: {e}")))?;
            }
            if roots.is_empty() {
                return Err(refused("the database's authority file holds no certificate".into()));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                tracing::warn!("no trusted authorities found on this system; a database offering TLS will be refused");
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A lock key that serialises making the layout between servers starting at once.
const SCHEMA_LOCK: i64 = 0x7775_7965_0001;

/// A database error as the store's.
pub fn db(e: postgres::Error) -> StoreError {
    // The driver's own words for a database error are only "db error": the database's are wanted.
    match e.as_db_error() {
        Some(d) => StoreError::Backend(match d.detail() {
            Some(detail) => format!("{} ({}): {detail}", d.message(), d.code().code()),
            None => format!("{} ({})", d.message(), d.code().code()),
        }),
        None => StoreError::Backend(e.to_string()),
    }
}

/// One record as another store holds it, for [`PgStore::copy_in`].
#[derive(Debug, Clone)]
pub struct CopiedDoc {
    /// Its id.
    pub id: String,
    /// Its kind's stored name.
    pub kind: String,
    /// Its site.
    pub site_id: String,
    /// Its heads, as both stores keep them.
    pub heads: Vec<u8>,
    /// The document.
    pub bytes: Vec<u8>,
    /// Its projection row: sort key, status, the view as JSON text, and its
    /// facts as stored ([`wuye_protocol::kpi::encode`]'s form).
    pub projection: Option<(String, String, String, String)>,
}

/// The record store on one PostgreSQL database.
pub struct PgStore {
    /// Behind a lock because lists read through `&self` ([`Records`]); one
    /// store is used by one thread at a time, so the lock is never contended.
    client: std::sync::Mutex<Client>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// Sequence numbers of one site reserved inside a transaction that holds its lock.
struct SiteSeqs {
    site: String,
    next: Seq,
}

impl SiteSeqs {
    /// Locks `site`'s counter for the rest of the transaction (see the module's words).
    fn lock(tx: &mut Transaction<'_>, site: &str) -> Result<Self, StoreError> {
        tx.execute("INSERT INTO site_seqs (site_id, seq) VALUES ($1, 0) ON CONFLICT (site_id) DO NOTHING", &[&site])
            .map_err(db)?;
        let seq: i64 =
            tx.query_one("SELECT seq FROM site_seqs WHERE site_id = $1 FOR UPDATE", &[&site]).map_err(db)?.get(0);
        Ok(Self { site: site.to_string(), next: seq as Seq + 1 })
    }

    fn take(&mut self) -> Seq {
        self.next += 1;
        self.next - 1
    }

    /// Writes the counter back; the lock goes with the commit.
    fn store(self, tx: &mut Transaction<'_>) -> Result<(), StoreError> {
        let last = (self.next - 1) as i64;
        tx.execute("UPDATE site_seqs SET seq = $2 WHERE site_id = $1", &[&self.site, &last]).map_err(db)?;
        Ok(())
    }
}

/// Records in one statement that `peer` holds each document at the heads
/// given (the last given for an id named twice); with `held_only`, only
/// documents this store holds.
fn held_by(
    tx: &mut Transaction<'_>,
    peer: &str,
    pairs: impl Iterator<Item = (String, Vec<u8>)>,
    held_only: bool,
) -> Result<(), StoreError> {
    let unique: std::collections::BTreeMap<String, Vec<u8>> = pairs.collect();
    if unique.is_empty() {
        return Ok(());
    }
    let (ids, heads): (Vec<String>, Vec<Vec<u8>>) = unique.into_iter().unzip();
    let only = if held_only { "WHERE EXISTS (SELECT 1 FROM docs WHERE docs.id = a.id)" } else { "" };
    tx.execute(
        &format!(
            "INSERT INTO peer_heads (peer, doc_id, heads)
             SELECT $1, a.id, a.heads FROM UNNEST($2::text[], $3::bytea[]) AS a(id, heads) {only}
             ON CONFLICT (peer, doc_id) DO UPDATE SET heads = excluded.heads"
        ),
        &[&peer, &ids, &heads],
    )
    .map_err(db)?;
    Ok(())
}

/// Marks the checkpoint agreed with `peer` as no longer describing this store's memory of it.
fn changed(tx: &mut Transaction<'_>, peer: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO peer_checkpoints (peer, epoch, nonce, instance) VALUES ($1, 0, $2, '')
         ON CONFLICT (peer) DO UPDATE SET nonce = excluded.nonce",
        &[&peer, &vec![0u8; 16]],
    )
    .map_err(db)?;
    Ok(())
}

impl PgStore {
    fn c(&mut self) -> &mut Client {
        self.client.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Connects to the database at `url` (`postgres://user@host:port/db`) and
    /// makes its tables when they are missing; TLS as [`PgStore::connect_with`]
    /// makes it, trusting the system's authorities.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None)
    }

    /// Connects as [`PgStore::connect`], over TLS unless the address says
    /// `sslmode=disable`: rustls, the server's certificate checked against
    /// `authority` (PEM, the company's own authority) or else the system's
    /// trusted authorities. `sslmode=require` refuses a server without TLS;
    /// the default (`prefer`) uses TLS whenever the server offers it, and
    /// then a certificate that does not check out is refused, never ignored.
    pub fn connect_with(url: &str, authority: Option<&[u8]>) -> Result<Self, StoreError> {
        let config: postgres::Config = url.parse().map_err(db)?;
        let mut client = match config.get_ssl_mode() {
            postgres::config::SslMode::Disable => config.connect(NoTls).map_err(db)?,
            _ => config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(authority)?)).map_err(db)?,
        };
        let mut tx = client.transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).map_err(db)?;
        tx.batch_execute(SCHEMA).map_err(db)?;
        tx.batch_execute(BI_VIEWS).map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(Self { client: std::sync::Mutex::new(client) })
    }

    /// Runs `sql` (statements that may run again: `CREATE … IF NOT EXISTS`,
    /// `CREATE OR REPLACE VIEW`) in one transaction under the lock that
    /// serialises making the layout, so servers starting at once do not race
    /// on the catalogue.
    pub fn make_tables(&mut self, sql: &str) -> Result<(), StoreError> {
        let mut tx = self.c().transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).map_err(db)?;
        tx.batch_execute(sql).map_err(db)?;
        tx.commit().map_err(db)
    }

    /// The connection, for tables kept beside the records (head office's
    /// sites and actions): one statement or one transaction at a time.
    pub fn client(&mut self) -> &mut Client {
        self.c()
    }

    /// The connection for reading through `&self`.
    pub fn reader(&self) -> std::sync::MutexGuard<'_, Client> {
        self.lock()
    }

    /// A setting, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = self.lock().query_opt("SELECT value FROM settings WHERE key = $1", &[&key]).map_err(db)?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Sets a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.c()
            .execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Removes a setting.
    pub fn delete_setting(&mut self, key: &str) -> Result<(), StoreError> {
        self.c().execute("DELETE FROM settings WHERE key = $1", &[&key]).map_err(db)?;
        Ok(())
    }

    /// How many of `site`'s records `peer` has not confirmed holding as they are now.
    pub fn unconfirmed_count(&self, peer: &str, site: SiteId) -> Result<u64, StoreError> {
        // Sequence numbers start at 1.
        self.unconfirmed_since(peer, site, 0)
    }

    /// Those of them numbered after `after`.
    pub fn unconfirmed_since(&self, peer: &str, site: SiteId, after: Seq) -> Result<u64, StoreError> {
        let n: i64 = self
            .lock()
            .query_one(
                "SELECT count(*) FROM docs d LEFT JOIN peer_heads p ON p.peer = $1 AND p.doc_id = d.id
                 WHERE d.site_id = $2 AND d.seq > $3 AND (p.heads IS NULL OR p.heads != d.heads)",
                &[&peer, &site.to_string(), &(after as i64)],
            )
            .map_err(db)?
            .get(0);
        Ok(n as u64)
    }

    /// Whether the database holds no record and no site yet.
    pub fn is_empty(&mut self) -> Result<bool, StoreError> {
        let docs: i64 = self.c().query_one("SELECT count(*) FROM docs", &[]).map_err(db)?.get(0);
        let purged: i64 = self.c().query_one("SELECT count(*) FROM purged", &[]).map_err(db)?.get(0);
        Ok(docs == 0 && purged == 0)
    }

    /// Writes records copied from another store as they are (documents,
    /// heads and projections unchanged), numbered per site in the order
    /// given, with the ids that store purged; one transaction.
    pub fn copy_in(&mut self, docs: &[CopiedDoc], purged: &[String]) -> Result<(), StoreError> {
        let mut tx = self.c().transaction().map_err(db)?;
        let mut sites: Vec<String> = docs.iter().map(|d| d.site_id.clone()).collect();
        sites.sort();
        sites.dedup();
        let mut seqs = Vec::with_capacity(sites.len());
        for site in &sites {
            seqs.push(SiteSeqs::lock(&mut tx, site)?);
        }
        let mut tally = Tally::default();
        for d in docs {
            let at = sites.binary_search(&d.site_id).expect("every site was locked");
            let seq = seqs[at].take() as i64;
            tx.execute(
                "INSERT INTO docs (id, kind, site_id, seq, heads, bytes) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&d.id, &d.kind, &d.site_id, &seq, &d.heads, &d.bytes],
            )
            .map_err(db)?;
            if let Some((sort, status, view, facts)) = &d.projection {
                let json: serde_json::Value = serde_json::from_str(view)
                    .map_err(|e| StoreError::Corrupt { id: d.id.clone(), reason: format!("projection: {e}") })?;
                tx.execute(
                    "INSERT INTO projections (id, kind, site_id, sort, status, view, facts)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&d.id, &d.kind, &d.site_id, sort, status, &json, facts],
                )
                .map_err(db)?;
                tally.add_stored(&d.site_id, facts);
            }
        }
        write_sums(&mut tx, tally)?;
        for s in seqs {
            s.store(&mut tx)?;
        }
        for id in purged {
            tx.execute("INSERT INTO purged (id) VALUES ($1) ON CONFLICT DO NOTHING", &[id]).map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(())
    }

    /// Saves newly created record documents in one transaction.
    pub fn insert_batch(&mut self, docs: &mut [AutoCommit]) -> Result<Vec<View>, StoreError> {
        let mut read = Vec::with_capacity(docs.len());
        for doc in docs.iter_mut() {
            let (_, view) = record::read(doc).map_err(RuleError::from)?;
            read.push((view, heads_to_wire(&doc.get_heads()), doc.save_nocompress()));
        }
        let mut sites: Vec<String> = read.iter().map(|(v, _, _)| v.site_id().to_string()).collect();
        sites.sort();
        sites.dedup();
        let mut tx = self.c().transaction().map_err(db)?;
        // Locked in one order, so two batches spanning the same sites never deadlock.
        let mut seqs = Vec::with_capacity(sites.len());
        for site in &sites {
            seqs.push(SiteSeqs::lock(&mut tx, site)?);
        }
        let mut views = Vec::with_capacity(read.len());
        let mut rows = Rows::default();
        for (view, heads, bytes) in read {
            let at = sites.binary_search(&view.site_id().to_string()).expect("every site was locked");
            let seq = seqs[at].take();
            let replaces = view.replaces();
            let row = Row::of(view);
            rows.add(&row, &heads, &bytes, seq);
            if let Some(old) = replaces {
                rows.purge(&mut tx, old)?;
            }
            views.push(*row.view.expect("a row made of a view has it"));
        }
        rows.write(&mut tx, "")?;
        for s in seqs {
            s.store(&mut tx)?;
        }
        tx.commit().map_err(db)?;
        Ok(views)
    }

    /// Loads a record, applies `edit` to it and saves it, in one transaction.
    pub fn edit<F>(&mut self, id: RecordId, edit: F) -> Result<View, StoreError>
    where
        F: FnOnce(&mut AutoCommit) -> Result<(), RuleError>,
    {
        let key = id.to_string();
        let mut tx = self.c().transaction().map_err(db)?;
        let site: String = tx
            .query_opt("SELECT site_id FROM docs WHERE id = $1", &[&key])
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound { kind: "record", id: key.clone() })?
            .get(0);
        // The site's lock before the read: two servers editing one record take turns.
        let mut seqs = SiteSeqs::lock(&mut tx, &site)?;
        let bytes: Vec<u8> = tx.query_one("SELECT bytes FROM docs WHERE id = $1", &[&key]).map_err(db)?.get(0);
        let mut doc = merge::load_checked(&key, &bytes)?;
        let before = wuye_protocol::doc::read_header(&doc).map_err(|e| merge::corrupt(id, e))?;
        edit(&mut doc)?;
        let after = wuye_protocol::doc::read_header(&doc).map_err(RuleError::from)?;
        assert_eq!(before, after, "domain edits never touch the header");
        let (_, view) = record::read(&doc).map_err(RuleError::from)?;
        let row = Row::of(view);
        let mut rows = Rows::default();
        rows.read_facts(&mut tx, std::slice::from_ref(&key))?;
        rows.add(&row, &heads_to_wire(&doc.get_heads()), &doc.save_nocompress(), seqs.take());
        rows.write(&mut tx, "")?;
        seqs.store(&mut tx)?;
        tx.commit().map_err(db)?;
        Ok(*row.view.expect("a row made of a view has it"))
    }

    /// A record's stored document, loaded and checked.
    pub fn load(&mut self, id: RecordId) -> Result<AutoCommit, StoreError> {
        let key = id.to_string();
        let row = self.c().query_opt("SELECT bytes FROM docs WHERE id = $1", &[&key]).map_err(db)?;
        let bytes: Vec<u8> = row.ok_or_else(|| StoreError::NotFound { kind: "record", id: key.clone() })?.get(0);
        merge::load_checked(&key, &bytes)
    }

    /// Makes every projection and the figures' sums again from the
    /// documents, in one transaction that holds every site's counter, so no
    /// writer runs meanwhile; returns how many projections it made.
    pub fn rebuild_projections(&mut self) -> Result<u64, StoreError> {
        /// Documents read, and projections written, at a time.
        const CHUNK: i32 = 1_000;
        let mut tx = self.c().transaction().map_err(db)?;
        tx.batch_execute(
            "LOCK TABLE site_seqs IN EXCLUSIVE MODE;
             DELETE FROM projections; DELETE FROM kpi_day; DELETE FROM kpi_month;",
        )
        .map_err(db)?;
        let docs = tx.bind("SELECT id, kind, bytes FROM docs ORDER BY id", &[]).map_err(db)?;
        let mut rows = Rows::default();
        let mut count = 0;
        loop {
            let chunk = tx.query_portal(&docs, CHUNK).map_err(db)?;
            if chunk.is_empty() {
                break;
            }
            for r in &chunk {
                let (id, kind, bytes): (String, String, Vec<u8>) = (r.get(0), r.get(1), r.get(2));
                // A kind this build does not know has no projection: it is kept as it came.
                if RecordKind::parse(&kind).is_none() {
                    continue;
                }
                let doc = merge::load_checked(&id, &bytes)?;
                let (_, view) =
                    record::read(&doc).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
                rows.add_projection(&Row::of(view));
                count += 1;
            }
            rows.write(&mut tx, "")?;
            // Each record is read once: nothing to take back later.
            rows.facts.clear();
        }
        tx.commit().map_err(db)?;
        Ok(count)
    }

    /// How many records the store holds.
    pub fn record_count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self.c().query_one("SELECT count(*) FROM docs", &[]).map_err(db)?.get(0);
        Ok(n as u64)
    }

    /// Runs a read-only query of the BI views (`docs/SCHEMA.md`) and returns
    /// its rows as text: what a BI tool sees, for tests and checks.
    pub fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, StoreError> {
        let rows = self.c().simple_query(sql).map_err(db)?;
        Ok(rows
            .into_iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect())
    }

    /// Every record's id and sorted heads, in id order: what two stores compare
    /// to tell whether they hold the same (`store copy` checks with it).
    pub fn all_heads(&mut self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows = self.c().query("SELECT id, heads FROM docs ORDER BY id", &[]).map_err(db)?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// [`SyncStore::apply`], calling `before_commit` with the first sequence
    /// number the batch took (or would take) while the site's lock is held,
    /// just before committing: for tests that hold a writer there on purpose.
    pub fn apply_then(
        &mut self,
        peer: &str,
        site: SiteId,
        docs: Vec<DocPayload>,
        cursor: Seq,
        before_commit: impl FnOnce(Seq),
    ) -> Result<Applied, StoreError> {
        let mut tx = self.c().transaction().map_err(db)?;
        // The site's lock first: what is read below cannot change before the commit.
        let mut seqs = SiteSeqs::lock(&mut tx, &site.to_string())?;
        let first = seqs.next;
        // What is held of the batch's documents, read in two statements for the whole batch.
        let ids: Vec<String> = docs.iter().map(|p| p.id.to_string()).collect();
        let mut held: std::collections::HashMap<String, Existing> = tx
            .query("SELECT id, site_id, bytes, seq FROM docs WHERE id = ANY($1)", &[&ids])
            .map_err(db)?
            .into_iter()
            .map(|r| (r.get(0), Existing { owner: r.get(1), bytes: r.get(2), seq: r.get::<_, i64>(3) as Seq }))
            .collect();
        let purged: std::collections::HashSet<String> = tx
            .query("SELECT id FROM purged WHERE id = ANY($1)", &[&ids])
            .map_err(db)?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        let gone: Vec<bool> = ids.iter().map(|id| purged.contains(id)).collect();
        let existing: Vec<Option<Existing>> = ids.iter().map(|id| held.remove(id)).collect();
        let merged = merge::merge_all(site, &docs, existing, gone);
        let mut rows = Rows::default();
        rows.read_facts(&mut tx, &ids)?;
        let mut writes = PgWrites { tx: &mut tx, seqs: &mut seqs, peer, rows };
        let (applied, _) = merge::settle(&mut writes, peer, merged)?;
        writes.flush()?;
        seqs.store(&mut tx)?;
        tx.execute(
            "INSERT INTO peer_cursors (peer, cursor) VALUES ($1, $2)
             ON CONFLICT (peer) DO UPDATE SET cursor = excluded.cursor",
            &[&peer, &(cursor as i64)],
        )
        .map_err(db)?;
        changed(&mut tx, peer)?;
        before_commit(first);
        tx.commit().map_err(db)?;
        Ok(applied)
    }
}

/// Rows waiting to be written in one statement per table ([`Rows::write`]):
/// a batch's documents cost a handful of round trips to the database, not
/// several for each document.
#[derive(Default)]
struct Rows {
    ids: Vec<String>,
    kinds: Vec<String>,
    sites: Vec<String>,
    seqs: Vec<i64>,
    heads: Vec<Vec<u8>>,
    bytes: Vec<Vec<u8>>,
    /// Projections: id, kind, site, sort, status, view.
    p_ids: Vec<String>,
    p_kinds: Vec<String>,
    p_sites: Vec<String>,
    p_sorts: Vec<String>,
    p_statuses: Vec<String>,
    p_views: Vec<serde_json::Value>,
    p_facts: Vec<String>,
    /// What the peer holds: document id, heads.
    held_ids: Vec<String>,
    held_heads: Vec<Vec<u8>>,
    /// The facts each projection of the transaction's records holds now
    /// ([`Rows::read_facts`], then as written), and the sums' changes.
    facts: HashMap<String, String>,
    tally: Tally,
}

impl Rows {
    /// Reads the facts the projections of `ids` hold now: what a write takes
    /// back from the sums. Every record written must be among the ids read.
    fn read_facts(&mut self, tx: &mut Transaction<'_>, ids: &[String]) -> Result<(), StoreError> {
        for r in tx.query("SELECT id, facts FROM projections WHERE id = ANY($1)", &[&ids]).map_err(db)? {
            self.facts.insert(r.get(0), r.get(1));
        }
        Ok(())
    }

    fn add(&mut self, row: &Row, heads: &[Hash], bytes: &[u8], seq: Seq) {
        self.add_projection(row);
        self.ids.push(row.id.to_string());
        self.kinds.push(row.kind.clone());
        self.sites.push(row.site.to_string());
        self.seqs.push(seq as i64);
        self.heads.push(heads_to_blob(heads));
        self.bytes.push(bytes.to_vec());
    }

    /// The projection of `row` (none for a kind this build does not know),
    /// and the change of its facts to the sums.
    fn add_projection(&mut self, row: &Row) {
        let id = row.id.to_string();
        if let Some(view) = &row.view {
            let p = view.projection();
            let (site, facts) = (row.site.to_string(), view.facts());
            let encoded = wuye_protocol::kpi::encode(&facts);
            let before = self.facts.insert(id.clone(), encoded.clone());
            if before.as_deref() != Some(encoded.as_str()) {
                if let Some(before) = &before {
                    self.tally.take_back(&site, before);
                }
                self.tally.add(&site, &facts);
            }
            self.p_facts.push(encoded);
            self.p_ids.push(id.clone());
            self.p_kinds.push(row.kind.clone());
            self.p_sites.push(row.site.to_string());
            self.p_sorts.push(p.sort);
            self.p_statuses.push(p.status.to_string());
            self.p_views.push(serde_json::to_value(view.as_ref()).expect("a record view always serializes"));
        }
    }

    /// Writes and empties what is waiting, the peer's holdings under `peer`.
    fn write(&mut self, tx: &mut Transaction<'_>, peer: &str) -> Result<(), StoreError> {
        if !self.ids.is_empty() {
            tx.execute(
                "INSERT INTO docs (id, kind, site_id, seq, heads, bytes)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::bytea[], $6::bytea[])
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, heads = excluded.heads, bytes = excluded.bytes",
                &[&self.ids, &self.kinds, &self.sites, &self.seqs, &self.heads, &self.bytes],
            )
            .map_err(db)?;
        }
        if !self.p_ids.is_empty() {
            tx.execute(
                "INSERT INTO projections (id, kind, site_id, sort, status, view, facts)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                     $7::text[])
                 ON CONFLICT (id) DO UPDATE SET sort = excluded.sort, status = excluded.status, view = excluded.view,
                     facts = excluded.facts",
                &[
                    &self.p_ids,
                    &self.p_kinds,
                    &self.p_sites,
                    &self.p_sorts,
                    &self.p_statuses,
                    &self.p_views,
                    &self.p_facts,
                ],
            )
            .map_err(db)?;
        }
        write_sums(tx, std::mem::take(&mut self.tally))?;
        if !self.held_ids.is_empty() {
            tx.execute(
                "INSERT INTO peer_heads (peer, doc_id, heads)
                 SELECT $1, * FROM UNNEST($2::text[], $3::bytea[])
                 ON CONFLICT (peer, doc_id) DO UPDATE SET heads = excluded.heads",
                &[&peer, &self.held_ids, &self.held_heads],
            )
            .map_err(db)?;
        }
        let facts = std::mem::take(&mut self.facts);
        *self = Rows { facts, ..Rows::default() };
        Ok(())
    }

    /// Writes what is waiting, then removes a record for good (its document,
    /// projection and its facts from the sums) and remembers its id.
    fn purge(&mut self, tx: &mut Transaction<'_>, id: RecordId) -> Result<(), StoreError> {
        self.write(tx, "")?;
        let id = id.to_string();
        let gone =
            tx.query_opt("DELETE FROM projections WHERE id = $1 RETURNING site_id, facts", &[&id]).map_err(db)?;
        if let Some(r) = gone {
            self.tally.take_back(r.get(0), r.get(1));
        }
        self.facts.remove(&id);
        for sql in [
            "DELETE FROM docs WHERE id = $1",
            "DELETE FROM peer_heads WHERE doc_id = $1",
            "INSERT INTO purged (id) VALUES ($1) ON CONFLICT DO NOTHING",
        ] {
            tx.execute(sql, &[&id]).map_err(db)?;
        }
        write_sums(tx, std::mem::take(&mut self.tally))
    }
}

/// Adds a transaction's changes to the figures' sums, in one statement per
/// table, dropping sums that come to nothing. Writers of one site hold its
/// lock, so two servers never add to one site's sums at once from stale reads.
fn write_sums(tx: &mut Transaction<'_>, tally: Tally) -> Result<(), StoreError> {
    let (days, months) = tally.changes();
    for (table, key, changes) in [("kpi_day", "day", days), ("kpi_month", "month", months)] {
        if changes.is_empty() {
            continue;
        }
        let mut cols: (Vec<String>, Vec<String>, Vec<String>, Vec<i64>) = Default::default();
        for (k, site, metric, n) in changes {
            cols.0.push(k);
            cols.1.push(site);
            cols.2.push(metric);
            cols.3.push(n);
        }
        tx.execute(
            &format!(
                "INSERT INTO {table} ({key}, site_id, metric, n)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[])
                 ON CONFLICT ({key}, site_id, metric) DO UPDATE SET n = {table}.n + excluded.n"
            ),
            &[&cols.0, &cols.1, &cols.2, &cols.3],
        )
        .map_err(db)?;
        tx.execute(
            &format!(
                "DELETE FROM {table} WHERE n = 0 AND ({key}, site_id, metric) IN
                 (SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]))"
            ),
            &[&cols.0, &cols.1, &cols.2],
        )
        .map_err(db)?;
    }
    Ok(())
}

/// The PostgreSQL store's writes for [`merge::settle`], inside one
/// transaction holding the site's sequence lock; rows are gathered and
/// written together ([`PgWrites::flush`]), in order with any purge.
struct PgWrites<'a, 'b> {
    tx: &'a mut Transaction<'b>,
    seqs: &'a mut SiteSeqs,
    peer: &'a str,
    rows: Rows,
}

impl PgWrites<'_, '_> {
    fn flush(&mut self) -> Result<(), StoreError> {
        self.rows.write(self.tx, self.peer)
    }
}

impl merge::Writes for PgWrites<'_, '_> {
    fn next_seq(&mut self) -> Seq {
        self.seqs.take()
    }

    fn write(&mut self, row: &Row, heads: &[Hash], bytes: &[u8], seq: Seq, _fresh: bool) -> Result<(), StoreError> {
        self.rows.add(row, heads, bytes, seq);
        Ok(())
    }

    fn held_by_peer(&mut self, id: &str, heads: &[Hash]) -> Result<(), StoreError> {
        self.rows.held_ids.push(id.to_string());
        self.rows.held_heads.push(heads_to_blob(heads));
        Ok(())
    }

    fn purge(&mut self, id: RecordId) -> Result<(), StoreError> {
        // What was gathered before is written first: the purge may remove one of those rows.
        self.rows.write(self.tx, self.peer)?;
        self.rows.purge(self.tx, id)
    }
}

impl SyncStore for PgStore {
    type Error = StoreError;

    fn cursor(&mut self, peer: &str) -> Result<Seq, StoreError> {
        let row = self.c().query_opt("SELECT cursor FROM peer_cursors WHERE peer = $1", &[&peer]).map_err(db)?;
        Ok(row.map_or(0, |r| r.get::<_, i64>(0)) as Seq)
    }

    fn outgoing(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<Outgoing, StoreError> {
        let site = site.to_string();
        let mut out = Outgoing { docs: Vec::new(), upto: after, more: true };
        while out.docs.is_empty() && out.more {
            let mut candidates = Vec::new();
            let mut bytes_total = 0usize;
            out.more = false;
            let rows = self
                .c()
                .query(
                    "SELECT d.id, d.kind, d.seq, d.heads, d.bytes, p.heads FROM docs d
                     LEFT JOIN peer_heads p ON p.peer = $1 AND p.doc_id = d.id
                     WHERE d.site_id = $2 AND d.seq > $3 ORDER BY d.seq LIMIT $4",
                    &[&peer, &site, &(out.upto as i64), &(MAX_BATCH_DOCS as i64)],
                )
                .map_err(db)?;
            let scanned = rows.len();
            for row in rows {
                out.upto = row.get::<_, i64>(2) as Seq;
                let heads: Vec<u8> = row.get(3);
                let peer_heads: Option<Vec<u8>> = row.get(5);
                if peer_heads.as_deref() == Some(heads.as_slice()) {
                    continue;
                }
                let bytes: Vec<u8> = row.get(4);
                bytes_total += bytes.len();
                candidates.push(Candidate {
                    id: row.get(0),
                    kind: row.get(1),
                    heads,
                    bytes,
                    dictionary: None,
                    peer_heads,
                    pending: None,
                });
                if bytes_total >= MAX_BATCH_BYTES {
                    out.more = true;
                    break;
                }
            }
            if scanned == MAX_BATCH_DOCS {
                out.more = true;
            }
            for payload in merge::par_map(&candidates, Candidate::payload) {
                out.docs.extend(payload?);
            }
        }
        Ok(out)
    }

    fn apply(&mut self, peer: &str, site: SiteId, docs: Vec<DocPayload>, cursor: Seq) -> Result<Applied, StoreError> {
        self.apply_then(peer, site, docs, cursor, |_| {})
    }

    fn acknowledge(&mut self, peer: &str, held: &[HeadsAck], need_full: &[RecordId]) -> Result<(), StoreError> {
        if held.is_empty() && need_full.is_empty() {
            return Ok(());
        }
        let mut tx = self.c().transaction().map_err(db)?;
        // Heads of a document this store does not hold are ignored.
        held_by(&mut tx, peer, held.iter().map(|a| (a.id.to_string(), heads_to_blob(&a.heads))), true)?;
        // Documents the peer needs whole take new numbers of their site's sequence.
        let mut owners: Vec<(String, String)> = Vec::new();
        for id in need_full {
            let id = id.to_string();
            if let Some(r) = tx.query_opt("SELECT site_id FROM docs WHERE id = $1", &[&id]).map_err(db)? {
                owners.push((r.get(0), id));
            }
        }
        owners.sort();
        let mut i = 0;
        while i < owners.len() {
            let mut seqs = SiteSeqs::lock(&mut tx, &owners[i].0)?;
            while i < owners.len() && owners[i].0 == seqs.site {
                let id = &owners[i].1;
                tx.execute("DELETE FROM peer_heads WHERE peer = $1 AND doc_id = $2", &[&peer, id]).map_err(db)?;
                tx.execute("UPDATE docs SET seq = $1 WHERE id = $2", &[&(seqs.take() as i64), id]).map_err(db)?;
                i += 1;
            }
            seqs.store(&mut tx)?;
        }
        changed(&mut tx, peer)?;
        tx.commit().map_err(db)?;
        Ok(())
    }

    fn checkpoint_with(&mut self, peer: &str) -> Result<Option<(Checkpoint, String)>, StoreError> {
        let row = self
            .c()
            .query_opt("SELECT epoch, nonce, instance FROM peer_checkpoints WHERE peer = $1", &[&peer])
            .map_err(db)?;
        Ok(row.and_then(|r| {
            let epoch: i64 = r.get(0);
            let nonce: [u8; 16] = r.get::<_, Vec<u8>>(1).try_into().ok()?;
            Some((Checkpoint { epoch: epoch.max(0) as u64, nonce }, r.get(2)))
        }))
    }

    fn keep_checkpoint(&mut self, peer: &str, checkpoint: Checkpoint, instance: &str) -> Result<(), StoreError> {
        let epoch = checkpoint.epoch.min(i64::MAX as u64) as i64;
        self.c()
            .execute(
                "INSERT INTO peer_checkpoints (peer, epoch, nonce, instance) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (peer) DO UPDATE SET epoch = excluded.epoch, nonce = excluded.nonce,
                                                  instance = excluded.instance",
                &[&peer, &epoch, &checkpoint.nonce.to_vec(), &instance],
            )
            .map_err(db)?;
        Ok(())
    }

    fn forget_peer(&mut self, peer: &str) -> Result<(), StoreError> {
        let mut tx = self.c().transaction().map_err(db)?;
        tx.execute("DELETE FROM peer_heads WHERE peer = $1", &[&peer]).map_err(db)?;
        tx.execute("DELETE FROM peer_cursors WHERE peer = $1", &[&peer]).map_err(db)?;
        changed(&mut tx, peer)?;
        tx.commit().map_err(db)?;
        Ok(())
    }

    fn digests(&mut self, site: SiteId, after: Option<RecordId>, limit: usize) -> Result<Vec<Digest>, StoreError> {
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        let rows = self
            .c()
            .query(
                "SELECT id, heads FROM docs WHERE site_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                &[&site.to_string(), &after, &(limit as i64)],
            )
            .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.get(0);
            let damaged = |reason: &str| StoreError::Corrupt { id: id.clone(), reason: reason.to_string() };
            let heads = heads_from_blob(&r.get::<_, Vec<u8>>(1)).ok_or_else(|| damaged("damaged heads"))?;
            let parsed: RecordId = id.parse().map_err(|_| damaged("id does not parse"))?;
            out.push(Digest { id: parsed, heads: heads_digest(&heads) });
        }
        Ok(out)
    }

    fn compare_digests(&mut self, peer: &str, site: SiteId, digests: &[Digest]) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.c().transaction().map_err(db)?;
        let site = site.to_string();
        let ids: Vec<String> = digests.iter().map(|d| d.id.to_string()).collect();
        let ours: std::collections::HashMap<String, Vec<u8>> = tx
            .query("SELECT id, heads FROM docs WHERE id = ANY($1) AND site_id = $2", &[&ids, &site])
            .map_err(db)?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut same = Vec::with_capacity(digests.len());
        let mut both = Vec::new();
        for (d, id) in digests.iter().zip(ids) {
            let blob = ours.get(&id);
            let held = blob.and_then(|b| heads_from_blob(b)).is_some_and(|h| heads_digest(&h) == d.heads);
            if let (true, Some(blob)) = (held, blob) {
                both.push((id, blob.clone()));
            }
            same.push(held);
        }
        held_by(&mut tx, peer, both.into_iter(), false)?;
        changed(&mut tx, peer)?;
        tx.commit().map_err(db)?;
        Ok(same)
    }

    fn mark_held(&mut self, peer: &str, ids: &[RecordId]) -> Result<(), StoreError> {
        let mut tx = self.c().transaction().map_err(db)?;
        let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        tx.execute(
            "INSERT INTO peer_heads (peer, doc_id, heads) SELECT $1, id, heads FROM docs WHERE id = ANY($2)
             ON CONFLICT (peer, doc_id) DO UPDATE SET heads = excluded.heads",
            &[&peer, &ids],
        )
        .map_err(db)?;
        changed(&mut tx, peer)?;
        tx.commit().map_err(db)?;
        Ok(())
    }

    fn unconfirmed_after(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<u64, StoreError> {
        self.unconfirmed_since(peer, site, after)
    }
}

impl PgStore {
    /// One page of the projections of `kind` that pass `filter`, in the
    /// kind's order (byte order of the sort key and id, as SQLite orders
    /// them, whatever the database's collation), after the page's cursor.
    fn page_with<T>(
        &self,
        kind: RecordKind,
        filter: &Filter,
        page: &Page,
        parse: impl Fn(&str, &str) -> Result<T, StoreError>,
    ) -> Result<Paged<T>, StoreError> {
        let (sql, args) = list_query(Dialect::Postgres, kind.as_str(), filter, page);
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            args.iter().map(|a| a as &(dyn postgres::types::ToSql + Sync)).collect();
        let rows = self.lock().query(&sql, &params).map_err(db)?;
        paged(rows.into_iter().map(|r| Ok((r.get(0), r.get(1), r.get(2)))), page, parse, |id| StoreError::Corrupt {
            id: id.to_string(),
            reason: "id does not parse".into(),
        })
    }
}

impl Records for PgStore {
    fn insert_batch(&mut self, docs: &mut [AutoCommit]) -> Result<Vec<View>, StoreError> {
        PgStore::insert_batch(self, docs)
    }

    fn edit_with(
        &mut self,
        id: RecordId,
        edit: &mut dyn FnMut(&mut AutoCommit) -> Result<(), RuleError>,
    ) -> Result<View, StoreError> {
        self.edit(id, edit)
    }

    fn document(&self, id: RecordId) -> Result<AutoCommit, StoreError> {
        let key = id.to_string();
        let row = self.lock().query_opt("SELECT bytes FROM docs WHERE id = $1", &[&key]).map_err(db)?;
        let bytes: Vec<u8> = row.ok_or_else(|| StoreError::NotFound { kind: "record", id: key.clone() })?.get(0);
        merge::load_checked(&key, &bytes)
    }

    fn view<T: Kind>(&self, id: RecordId) -> Result<T, StoreError> {
        let key = id.to_string();
        let row = self
            .lock()
            .query_opt("SELECT view::text FROM projections WHERE id = $1 AND kind = $2", &[&key, &T::KIND.as_str()])
            .map_err(db)?;
        let view: String = row.ok_or_else(|| StoreError::NotFound { kind: T::KIND.noun(), id: key.clone() })?.get(0);
        merge::parse_view(&key, &view)
    }

    fn resolve(&self, kind: RecordKind, text: &str) -> Result<RecordId, StoreError> {
        wuye_node::records::resolve_prefix(kind, text, |prefix| {
            let rows = self
                .lock()
                .query(
                    "SELECT id FROM docs WHERE kind = $1 AND id COLLATE \"C\" >= $2 AND id COLLATE \"C\" < $2 || 'g'
                     ORDER BY id COLLATE \"C\" LIMIT 2",
                    &[&kind.as_str(), &prefix],
                )
                .map_err(db)?;
            Ok(rows.into_iter().map(|r| r.get(0)).collect())
        })
    }

    fn list<T: Kind>(&self, filter: &Filter, page: &Page) -> Result<Paged<T>, StoreError> {
        self.page_with(T::KIND, filter, page, |id, view| merge::parse_view::<T>(id, view))
    }

    fn list_views(&self, kind: RecordKind, filter: &Filter, page: &Page) -> Result<Paged<View>, StoreError> {
        self.page_with(kind, filter, page, |id, view| wuye_node::records::parse_any(kind, id, view))
    }
}

/// `?N` parameters (the SQL both stores read, [`wuye_node::sql`]) as PostgreSQL's `$N`.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// Arguments as the driver takes them: text, 64-bit integers, NULL.
fn pg_args(args: &[Cell]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    args.iter()
        .map(|c| -> Box<dyn postgres::types::ToSql + Sync> {
            match c {
                Cell::Null => Box::new(None::<String>),
                Cell::Int(n) => Box::new(*n),
                Cell::Text(t) => Box::new(t.clone()),
            }
        })
        .collect()
}

/// A row's values as cells: integers (of any width) and text; anything else as NULL.
fn pg_cells(r: &postgres::Row) -> Vec<Cell> {
    use postgres::types::Type;
    (0..r.len())
        .map(|i| {
            let t = r.columns()[i].type_();
            let cell = if *t == Type::INT8 {
                r.try_get::<_, Option<i64>>(i).ok().flatten().map(Cell::Int)
            } else if *t == Type::INT4 {
                r.try_get::<_, Option<i32>>(i).ok().flatten().map(|n| Cell::Int(n.into()))
            } else if *t == Type::INT2 {
                r.try_get::<_, Option<i16>>(i).ok().flatten().map(|n| Cell::Int(n.into()))
            } else if *t == Type::TEXT || *t == Type::VARCHAR {
                r.try_get::<_, Option<String>>(i).ok().flatten().map(Cell::Text)
            } else {
                None
            };
            cell.unwrap_or(Cell::Null)
        })
        .collect()
}

/// Runs a statement of the shared SQL on a client or a transaction.
fn pg_exec(c: &mut impl postgres::GenericClient, sql: &str, args: &[Cell]) -> Result<usize, StoreError> {
    let args = pg_args(args);
    let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    Ok(c.execute(dollar_params(sql).as_str(), &params).map_err(db)? as usize)
}

/// Runs a query of the shared SQL on a client or a transaction.
fn pg_rows(c: &mut impl postgres::GenericClient, sql: &str, args: &[Cell]) -> Result<Vec<Vec<Cell>>, StoreError> {
    let args = pg_args(args);
    let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
    Ok(c.query(dollar_params(sql).as_str(), &params).map_err(db)?.iter().map(pg_cells).collect())
}

/// The advisory lock every [`Sql::write`] takes: such writes (counting
/// failed sign-ins) are rare and short, so one lock for all of them serializes
/// them across every server on the database.
const SIDE_WRITE_LOCK: i64 = 0x7775_7965_0002;

/// One write transaction of [`Sql::write`].
struct PgTx<'a>(std::cell::RefCell<Transaction<'a>>);

impl Sql for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&self, sql: &str, args: &[Cell]) -> Result<usize, StoreError> {
        pg_exec(&mut *self.0.borrow_mut(), sql, args)
    }

    fn rows(&self, sql: &str, args: &[Cell]) -> Result<Vec<Vec<Cell>>, StoreError> {
        pg_rows(&mut *self.0.borrow_mut(), sql, args)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn Sql) -> Result<(), StoreError>) -> Result<(), StoreError> {
        f(self)
    }
}

impl Sql for PgStore {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&self, sql: &str, args: &[Cell]) -> Result<usize, StoreError> {
        pg_exec(&mut *self.lock(), sql, args)
    }

    fn rows(&self, sql: &str, args: &[Cell]) -> Result<Vec<Vec<Cell>>, StoreError> {
        pg_rows(&mut *self.lock(), sql, args)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn Sql) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut client = self.lock();
        let mut tx = client.transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SIDE_WRITE_LOCK]).map_err(db)?;
        let tx = PgTx(std::cell::RefCell::new(tx));
        f(&tx)?;
        tx.0.into_inner().commit().map_err(db)
    }
}
