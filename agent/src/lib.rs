//! The site office agent (管理处).
//!
//! - [`config`]: the agent's settings (server, pinned fingerprint, site, token, time zone), kept in its database;
//! - [`desk`]: the front desk's operations (register a complaint, add a tracking note), applied as Automerge changes;
//! - [`link`]: the sync driver: one round over QUIC, and `run`'s keep-syncing loop with backoff;
//! - [`progress`]: a progress bar (or log lines) for long syncs;
//! - [`reports`]: recurring problems across complaints and work orders;
//! - [`settings`]: the site's complaint categories, repair deadlines and summer schedule;
//! - [`shift`]: shift handover and the shift-start briefing;
//! - [`signin`]: staff sign-in: Argon2id password hashes, one-shift sessions, waits after failures;
//! - [`status`]: the site's standing with head office.
//!
//! The agent keeps every record in its own SQLite database and works the same
//! with or without head office reachable.

pub mod config;
pub mod desk;
pub mod link;
pub mod progress;
pub mod reports;
pub mod settings;
pub mod shift;
pub mod signin;
pub mod status;

/// The database file inside an agent's data folder.
pub const DB_FILE: &str = "agent.db";
