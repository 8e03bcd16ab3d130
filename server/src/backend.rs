//! Where head office keeps its records and its own tables: SQLite (a file in
//! the server's folder, the default) or PostgreSQL (one database several
//! `wuye-server run` processes serve sites from).
//!
//! [`OfficeStore`] is what head office's rules need of a store beyond the
//! records ([`Records`]): settings, the `sites` table, the actions log and the
//! upkeep of a log file. The rules themselves (who is admitted, what an
//! enrollment comes to, what a round leaves in a site's row) are written once
//! in `office`; each store only reads and writes rows here, in its own SQL.

use wuye_app::signin;
use wuye_node::records::Records;
use wuye_node::sql::Sql;
use wuye_node::{Store, StoreError};
use wuye_protocol::ids::SiteId;
use wuye_store_pg::{db, PgStore};

use crate::office::{SiteRow, SiteWrite, SITE_COLUMNS};

/// What head office needs of a store besides its records.
pub trait OfficeStore: Records<Error = StoreError> + Send + Sized + 'static {
    /// Makes head office's own tables, or brings them up to date.
    fn lay_out(&mut self) -> Result<(), StoreError>;
    /// A setting, if set.
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets a setting.
    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Removes a setting.
    fn delete_setting(&mut self, key: &str) -> Result<(), StoreError>;
    /// How many of `site`'s records `peer` has not confirmed holding as they are now.
    fn unconfirmed_count(&self, peer: &str, site: SiteId) -> Result<u64, StoreError>;
    /// The rows of `sites`, in the order sites were registered: one site's, or all.
    fn site_rows(&self, only: Option<SiteId>) -> Result<Vec<SiteRow>, StoreError>;
    /// Changes one site's row.
    fn write_site(&mut self, site: SiteId, write: SiteWrite<'_>) -> Result<(), StoreError>;
    /// Notes an action on sites or people in `hq_actions`.
    fn record_action(&self, at: &str, by: &str, action: &str, target: &str) -> Result<(), StoreError> {
        crate::people::write_action(self, at, by, action, target)
    }
    /// How many bytes the store takes (the database files in the folder `dir`, or the database).
    fn size_bytes(&self, dir: &std::path::Path) -> Result<u64, StoreError>;
    /// Before serving: take checkpoints off the sync path, where the store has them.
    fn defer_checkpoints(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// The regular upkeep of the store's log, if it keeps one of its own.
    fn checkpoint(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// The closing upkeep, waited for on shutdown.
    fn checkpoint_fully(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The SQL of each change, in SQLite's and PostgreSQL's parameters: the
/// site's id is always the first parameter.
fn site_sql(write: &SiteWrite<'_>) -> (&'static str, &'static str) {
    match write {
        SiteWrite::Registered { .. } => (
            "INSERT INTO sites (id, name, token_hash, created_at) VALUES (?1, ?2, '', ?3)",
            "INSERT INTO sites (id, name, token_hash, created_at) VALUES ($1, $2, '', $3)",
        ),
        SiteWrite::CodeIssued { .. } => (
            "UPDATE sites SET token_hash = '', revoked_at = NULL, enroll_hash = ?2, enroll_expires_at = ?3,
             enrolled_at = NULL WHERE id = ?1",
            "UPDATE sites SET token_hash = '', revoked_at = NULL, enroll_hash = $2, enroll_expires_at = $3,
             enrolled_at = NULL WHERE id = $1",
        ),
        SiteWrite::Revoked { .. } => {
            ("UPDATE sites SET revoked_at = ?2 WHERE id = ?1", "UPDATE sites SET revoked_at = $2 WHERE id = $1")
        }
        SiteWrite::Enrolled { .. } => (
            "UPDATE sites SET token_hash = ?2, enrolled_at = ?3 WHERE id = ?1",
            "UPDATE sites SET token_hash = $2, enrolled_at = $3 WHERE id = $1",
        ),
        SiteWrite::Synced { .. } => (
            "UPDATE sites SET last_sync_at = ?2, clock_offset_ms = ?3,
                    holds_fingerprint = coalesce(?4, holds_fingerprint), health = ?5 WHERE id = ?1",
            "UPDATE sites SET last_sync_at = $2, clock_offset_ms = $3,
                    holds_fingerprint = coalesce($4, holds_fingerprint), health = $5 WHERE id = $1",
        ),
    }
}

/// The values after the site's id, as text (or NULL), in the order of [`site_sql`].
fn site_values(write: &SiteWrite<'_>) -> Vec<Option<String>> {
    let some = |s: &str| Some(s.to_string());
    match write {
        SiteWrite::Registered { name, at } => vec![some(name), some(at)],
        SiteWrite::CodeIssued { code_hash, expires_at } => vec![some(code_hash), some(expires_at)],
        SiteWrite::Revoked { at } => vec![some(at)],
        SiteWrite::Enrolled { token_hash, at } => vec![some(token_hash), some(at)],
        SiteWrite::Synced { at, clock_offset_ms, holds_fingerprint, health } => vec![
            some(at),
            Some(clock_offset_ms.to_string()),
            holds_fingerprint.map(str::to_string),
            health.map(str::to_string),
        ],
    }
}

/// The `sites` query for one site or all, oldest first (`id` in byte order
/// on either store); `only` is the parameter as the store writes it typed.
fn sites_query(only: &str, collate: &str) -> String {
    format!(
        "SELECT {SITE_COLUMNS} FROM sites WHERE {only} IS NULL OR id = {only} \
         ORDER BY created_at{collate}, id{collate}"
    )
}

/// A `sites` row from its columns in [`SITE_COLUMNS`]' order, read through
/// either store's getter.
fn site_row<E>(get: impl Fn(usize) -> Result<Option<String>, E>) -> Result<SiteRow, E> {
    Ok(SiteRow {
        id: get(0)?.unwrap_or_default(),
        name: get(1)?.unwrap_or_default(),
        created_at: get(2)?.unwrap_or_default(),
        last_sync_at: get(3)?,
        token_hash: get(4)?.unwrap_or_default(),
        revoked_at: get(5)?,
        enroll_hash: get(6)?,
        enroll_expires_at: get(7)?,
        enrolled_at: get(8)?,
        clock_offset_ms: get(9)?,
        holds_fingerprint: get(10)?,
        health: get(11)?,
    })
}

impl OfficeStore for Store {
    fn lay_out(&mut self) -> Result<(), StoreError> {
        wuye_node::migrate::apply(self.conn(), "office", crate::office::OFFICE_STEPS)?;
        crate::people::migrate(self)
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Store::setting(self, key)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        Store::set_setting(self, key, value)
    }

    fn delete_setting(&mut self, key: &str) -> Result<(), StoreError> {
        Store::delete_setting(self, key)
    }

    fn unconfirmed_count(&self, peer: &str, site: SiteId) -> Result<u64, StoreError> {
        Store::unconfirmed_count(self, peer, site)
    }

    fn site_rows(&self, only: Option<SiteId>) -> Result<Vec<SiteRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&sites_query("?1", ""))?;
        let rows = stmt.query_map([only.map(|s| s.to_string())], |r| site_row(|i| r.get(i)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn write_site(&mut self, site: SiteId, write: SiteWrite<'_>) -> Result<(), StoreError> {
        let args: Vec<Option<String>> = std::iter::once(Some(site.to_string())).chain(site_values(&write)).collect();
        self.conn().execute(site_sql(&write).0, rusqlite::params_from_iter(args))?;
        Ok(())
    }

    fn size_bytes(&self, dir: &std::path::Path) -> Result<u64, StoreError> {
        Ok(crate::metrics::sqlite_bytes(dir))
    }

    fn defer_checkpoints(&mut self) -> Result<(), StoreError> {
        Store::defer_checkpoints(self)
    }

    fn checkpoint(&mut self) -> Result<(), StoreError> {
        Store::checkpoint(self)
    }

    fn checkpoint_fully(&mut self) -> Result<(), StoreError> {
        Store::checkpoint_fully(self)
    }
}

/// Head office's own tables on PostgreSQL, beside the record store's: the
/// same columns as on SQLite (times as RFC 3339 text, so one row type reads
/// both), and `bi_sites` for BI tools (`docs/SCHEMA.md`: no credential
/// hashes). Every statement may run again.
const PG_OFFICE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_sync_at TEXT,
    revoked_at TEXT,
    enroll_hash TEXT,
    enroll_expires_at TEXT,
    enrolled_at TEXT,
    clock_offset_ms TEXT,
    holds_fingerprint TEXT,
    health TEXT
);
CREATE OR REPLACE VIEW bi_sites AS
SELECT id AS site_id, name, created_at::timestamptz AS registered_at, last_sync_at::timestamptz AS last_sync_at,
       revoked_at IS NOT NULL AS revoked
FROM sites;
";

impl OfficeStore for PgStore {
    fn lay_out(&mut self) -> Result<(), StoreError> {
        // The people and sign-in tables are written in SQL both databases read.
        let all = [PG_OFFICE_SCHEMA, crate::people::PEOPLE_TABLES, signin::LOGIN_TABLES, signin::SESSION_TABLES];
        self.make_tables(&all.join(";\n"))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        PgStore::setting(self, key)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        PgStore::set_setting(self, key, value)
    }

    fn delete_setting(&mut self, key: &str) -> Result<(), StoreError> {
        PgStore::delete_setting(self, key)
    }

    fn unconfirmed_count(&self, peer: &str, site: SiteId) -> Result<u64, StoreError> {
        PgStore::unconfirmed_count(self, peer, site)
    }

    fn site_rows(&self, only: Option<SiteId>) -> Result<Vec<SiteRow>, StoreError> {
        let only = only.map(|s| s.to_string());
        let rows = self.reader().query(&sites_query("$1::text", " COLLATE \"C\""), &[&only]).map_err(db)?;
        rows.iter().map(|r| site_row(|i| r.try_get(i)).map_err(db)).collect()
    }

    fn size_bytes(&self, _dir: &std::path::Path) -> Result<u64, StoreError> {
        let size = self.rows("SELECT pg_database_size(current_database())", &[])?;
        Ok(size.first().and_then(|r| r.first()).map_or(0, |n| u64::try_from(n.int()).unwrap_or_default()))
    }

    fn write_site(&mut self, site: SiteId, write: SiteWrite<'_>) -> Result<(), StoreError> {
        let args: Vec<Option<String>> = std::iter::once(Some(site.to_string())).chain(site_values(&write)).collect();
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            args.iter().map(|a| a as &(dyn postgres::types::ToSql + Sync)).collect();
        self.client().execute(site_sql(&write).1, &params).map_err(db)?;
        Ok(())
    }
}

/// Writes a site's row as another store holds it, whole (`store copy`).
pub(crate) fn copy_site_row(store: &mut PgStore, row: &SiteRow) -> Result<(), StoreError> {
    store
        .client()
        .execute(
            &format!("INSERT INTO sites ({SITE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
            &[
                &row.id,
                &row.name,
                &row.created_at,
                &row.last_sync_at,
                &row.token_hash,
                &row.revoked_at,
                &row.enroll_hash,
                &row.enroll_expires_at,
                &row.enrolled_at,
                &row.clock_offset_ms,
                &row.holds_fingerprint,
                &row.health,
            ],
        )
        .map_err(db)?;
    Ok(())
}
