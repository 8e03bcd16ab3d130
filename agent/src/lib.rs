//! The site office agent (管理处).
//!
//! - [`config`]: the agent's settings (server, pinned fingerprint, site, token, time zone), kept in its database;
//! - [`link`]: the sync driver: one round over QUIC, and `run`'s keep-syncing loop with backoff;
//! - [`progress`]: a progress bar (or log lines) for long syncs;
//! - [`status`]: the site's standing with head office.
//!
//! The site's operations, rules and messages are in the application layer
//! (`wuye-app`); this crate adds syncing, configuration and the command line.
//!
//! The agent keeps every record in its own SQLite database and works the same
//! with or without head office reachable.

pub mod config;
pub mod link;
pub mod progress;
pub mod status;

/// The database file inside an agent's data folder.
pub const DB_FILE: &str = "agent.db";
pub mod web;
