//! Head office (总部).
//!
//! - [`office`]: the head office's store: registered sites and their
//!   credentials, head-office actions (the manager's decision), and the
//!   storage side of the sync session;
//! - [`company`]: company-wide settings published to every site;
//! - [`figures`]: every site's figures for a period, the alerts and the
//!   trend, as the dashboard, the command line and the exports read them;
//! - [`export`]: the figures table and the registers as xlsx and CSV;
//! - [`people`]: head-office people, their roles and sites, and who did what;
//! - [`web`]: the dashboard (总部看板) over HTTPS;
//! - [`serve`]: the QUIC endpoint: accepts sites, runs a session per stream,
//!   bounded by named limits.

pub mod backend;
pub mod company;
pub mod export;
pub mod figures;
pub mod metrics;
pub mod office;
pub mod people;
pub mod serve;
pub mod web;

/// The database file inside the server's data folder.
pub const DB_FILE: &str = "server.db";
/// The certificate file inside the server's data folder.
pub const CERT_FILE: &str = "cert.der";
/// The private key file inside the server's data folder (owner-only).
pub const KEY_FILE: &str = "key.der";
/// The certificate `cert rotate` made, waiting for `cert switch`.
pub const NEXT_CERT_FILE: &str = "cert-next.der";
/// Its private key (owner-only).
pub const NEXT_KEY_FILE: &str = "key-next.der";
/// The certificate `cert switch` replaced, kept in case it must be put back.
pub const PREVIOUS_CERT_FILE: &str = "cert-previous.der";
/// Its private key (owner-only).
pub const PREVIOUS_KEY_FILE: &str = "key-previous.der";
/// Where `run` listens when neither `init` nor `run` was told.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:7443";
/// Where the dashboard listens unless told otherwise.
pub const DEFAULT_DASHBOARD_LISTEN: &str = "0.0.0.0:8443";
