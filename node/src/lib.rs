//! What runs on both the site agent and head office.
//!
//! - [`store`]: the SQLite record store (documents, sequence numbers, peer
//!   heads, projections) and its implementation of the sync session's storage;
//! - [`records`]: what any record store offers (by kind, filtered, paged), whatever the database;
//! - [`migrate`]: one migration scheme for every local table, on both sides;
//! - [`frames`]: reading and writing wire frames on async streams;
//! - [`folder`]: creating private data folders and opening only real ones;
//! - [`process`]: logging set-up, the stop signal and JSON output for the binaries;
//! - [`secret`]: random 256-bit secrets and the SHA-256 kept in their place;
//! - [`render`]: how records are shown in a terminal;
//! - [`tls`]: the server's TLS identity, certificate pinning and the QUIC
//!   endpoint configurations built from them.

pub mod folder;
pub mod frames;
pub mod migrate;
pub mod process;
pub mod records;
pub mod render;
pub mod secret;
pub mod sql;
pub mod store;
pub mod tls;

pub use records::{Cell, Cursor, Dialect, Filter, Page, Paged, Records};
pub use store::{Store, StoreError};
