//! The application layer: every operation a front end offers (the command
//! line today, the web desk and head office's dashboard next), as functions
//! from who is acting and typed input to a typed result or a typed error.
//! Role checks, links to work-log entries, list filters, reports and the
//! messages people read live here, once, so no front end repeats a rule.
//!
//! - [`desk`]: the site's operations, one file per record kind (`desk/complaint.rs`, …);
//! - [`fees`]: every house's fee ledger, the arrears list and the fee figures, the same at the site and at head office;
//! - [`identity`]: whole identity numbers, kept at the site in a table that never syncs;
//! - [`signin`]: staff sign-in: Argon2id password hashes, sessions by token, waits after failures;
//! - [`settings`]: the site's complaint categories, repair deadlines and summer schedule;
//! - [`board`]: the day's board (今日) the web desk opens on;
//! - [`shift`]: shift handover and the shift-start briefing;
//! - [`reports`]: recurring problems and the daily figures, the same code at the site and at head office;
//! - [`lists`]: lists filtered (state, dates) and paged (a limit and a keyset cursor);
//! - [`office`]: head office's operations on the sites' records;
//! - [`error`]: the typed error every operation returns, with a stable code;
//! - [`messages`]: what people read for each code, in Chinese and English.

use chrono_tz::Tz;
use wuye_protocol::ids::SiteId;

pub mod board;
pub mod desk;
pub mod error;
pub mod fees;
pub mod identity;
pub mod kpi;
pub mod lists;
pub mod messages;
pub mod office;
pub mod renovations;
pub mod reports;
pub mod settings;
pub mod shift;
pub mod signin;

pub use error::AppError;

/// Lays out (or brings up to date) the site's own tables beside its records
/// (sign-ins, whole identity numbers) and finishes any move they need; run
/// whenever a site's folder is opened.
pub fn open_site_tables(store: &mut wuye_node::Store) -> Result<(), wuye_node::StoreError> {
    signin::migrate(store)?;
    identity::migrate(store, &mut <rand::rngs::StdRng as rand::SeedableRng>::from_entropy())?;
    Ok(())
}

/// The site an operation happens at: which it is and the time zone its people live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    /// The site's id.
    pub id: SiteId,
    /// The site's time zone: times are shown and days counted in it.
    pub timezone: Tz,
}
