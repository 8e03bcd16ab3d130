//! The contract between site agents and head office.
//!
//! Everything both sides must agree on lives here and nowhere else:
//!
//! - [`rules`]: the vocabulary every record kind shares: refusals, text limits and checks, channels;
//! - [`ids`]: one id type per concept (`SiteId`, `RecordId`, `EventId`);
//! - [`time`]: the injected clock and how instants are shown in a site's time zone;
//! - [`doc`]: the header every record document carries, and reading helpers;
//! - [`calendar`]: duty hours and deadlines counted in them;
//! - [`duty`]: the duty rules' records: work-log entries and commitments;
//! - [`complaint`]: the complaint record (客户投诉登记表): its document layout,
//!   its domain rules and the pure function that computes its status;
//! - [`staff`]: staff members, their roles and which steps each role may take;
//! - [`repair`]: the repair work order (维修工作单): layout, rules, status, response deadline;
//! - [`resident`]: the household register, with ID-card checks and masking;
//! - [`events`]: steps kept as events (who, when, what), appended and never overwritten;
//! - [`kind`]: the trait every record kind implements, and reading a document as one kind;
//! - [`fee`]: fee items, meter readings, bills, payments, reminders and day closes, and the ledger's arithmetic;
//! - [`body`]: record bodies written from and read into plain structs;
//! - [`renovation`]: the renovation (装修): application, passes, patrols, inspection, deposit refund;
//! - [`money`]: amounts in whole fen (`Fen`), read from yuan and shown as people write them;
//! - [`record`]: the list of kinds: any record document read by its kind;
//! - [`wire`]: wire messages, limits and the frame codec;
//! - [`sync`]: the sync session as a state machine with no I/O;
//! - [`text`]: which characters a field may hold, and text made safe to print;
//! - [`robust`]: the checks the fuzz targets run on arbitrary bytes.
//!
//! This crate does no I/O: no sockets, no files, no clock reads.

#[macro_use]
mod labelled;

pub mod body;
pub mod calendar;
pub mod commitment;
pub mod company_settings;
pub mod complaint;
pub mod daily_report;
pub mod doc;
pub mod duty_shift;
pub mod events;
pub mod fee;
pub use fee::{bill, chase, day_close, fee_item, meter, payment};
pub mod handover;
pub mod house;
pub mod ids;
pub mod key;
pub mod kind;
mod kinds;
pub mod kpi;
pub mod log_entry;
pub mod money;
pub mod movein;
pub mod record;
pub mod release;
pub mod renovation;
pub mod repair;
pub mod resident;
pub mod robust;
pub mod rules;
pub mod site_profile;
pub mod staff;
pub mod sync;
pub mod text;
pub mod time;
pub mod wire;

/// Bumped whenever a wire message or a document layout changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 5;

/// The oldest agent protocol version head office serves: head office may be
/// upgraded first and go on serving sites that have not been, as long as
/// their version is in `MIN_AGENT_PROTOCOL_VERSION..=PROTOCOL_VERSION`
/// (version 4 changed the opening messages, so it starts the range; version 5
/// added the agent's health report, Finish, which head office reads beside Done).
pub const MIN_AGENT_PROTOCOL_VERSION: u32 = 4;
