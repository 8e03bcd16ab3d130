//! What can go wrong in the store, and the limits its messages name.

use wuye_protocol::rules::RuleError;

/// The database layout version this build writes (kept in `user_version`
/// for older builds; layouts are versioned per component by `crate::migrate`).
pub const STORE_SCHEMA_VERSION: i64 = 4;
/// Shortest id prefix accepted where a full id is expected.
pub const MIN_ID_PREFIX_CHARS: usize = 4;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed (disk full, locked too long, damaged file).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Another database failed (PostgreSQL at head office), in its own words.
    #[error("database error: {0}")]
    Backend(String),
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
    /// A stored document failed its check when read back.
    #[error("stored record {id} is damaged: {reason}; restore the data folder from a backup")]
    Corrupt {
        /// The record.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A record's projection (what lists read) is damaged; it is made from
    /// the record's document, so making it again mends it.
    #[error(
        "the list entry of record {id} is damaged: {reason}; make the lists again from the records with \
         `wuye-agent rebuild` (at the site) or `wuye-server store rebuild` (at head office)"
    )]
    Projection {
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
