//! Shift handover (交接班) and the shift-start briefing: what the next shift
//! must know, computed from the site's records.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use wuye_node::{Store, StoreError};
use wuye_protocol::commitment::Commitment;
use wuye_protocol::complaint::{Complaint, ComplaintStatus};
use wuye_protocol::log_entry::LogEntry;
use wuye_protocol::repair::{Repair, RepairStatus};
use wuye_protocol::time;

/// How far ahead a commitment counts as due at handover.
pub const DUE_WITHIN_HOURS: i64 = 24;

/// The open items handed to the next shift.
#[derive(Debug, Clone, Serialize)]
pub struct Handover {
    /// Work-log entries neither handled nor turned into a record: by the duty
    /// rules each must become a work order or a complaint record.
    pub carry_over: Vec<LogEntry>,
    /// Commitments unanswered and due within a day, or late.
    pub commitments_due: Vec<Commitment>,
    /// Complaints not archived.
    pub open_complaints: Vec<Complaint>,
    /// Work orders not closed.
    pub open_repairs: Vec<Repair>,
    /// Work orders nobody reached by their deadline.
    pub overdue_repairs: Vec<Repair>,
}

/// Records of kind `T` in one of `statuses`, read through the status index
/// (a site with 100,000 records has few open ones).
pub(crate) fn in_states<T: wuye_protocol::kind::Kind>(
    store: &Store,
    statuses: impl IntoIterator<Item = &'static str>,
) -> Result<Vec<T>, StoreError> {
    let filter = wuye_node::Filter { statuses: statuses.into_iter().map(String::from).collect(), ..Default::default() };
    Ok(store.page::<T>(&filter, &wuye_node::Page::all())?.items)
}

/// The complaint states that are not closed.
pub fn open_complaint_states() -> impl Iterator<Item = &'static str> {
    ComplaintStatus::ALL
        .into_iter()
        .filter(|s| *s != ComplaintStatus::Archived)
        .map(wuye_protocol::complaint::status_name)
}

/// The work-order states that are not closed.
pub fn open_repair_states() -> impl Iterator<Item = &'static str> {
    RepairStatus::ALL.iter().copied().filter(|s| *s != RepairStatus::Closed).map(RepairStatus::as_str)
}

/// The open items as of `now`.
pub fn handover(store: &Store, now: DateTime<Utc>) -> Result<Handover, StoreError> {
    let open_repairs: Vec<Repair> = in_states(store, open_repair_states())?;
    Ok(Handover {
        carry_over: carry_over(store)?,
        commitments_due: commitments_due(store, now)?,
        open_complaints: in_states(store, open_complaint_states())?,
        overdue_repairs: open_repairs.iter().filter(|r| r.is_overdue(now)).cloned().collect(),
        open_repairs,
    })
}

/// Calls and visits neither handled nor turned into a record.
pub fn carry_over(store: &Store) -> Result<Vec<LogEntry>, StoreError> {
    Ok(in_states::<LogEntry>(store, ["open"])?.into_iter().filter(|l| l.open).collect())
}

/// Promised replies unanswered and due within [`DUE_WITHIN_HOURS`] of `now`, or late.
pub fn commitments_due(store: &Store, now: DateTime<Utc>) -> Result<Vec<Commitment>, StoreError> {
    let soon = now + Duration::hours(DUE_WITHIN_HOURS);
    Ok(in_states::<Commitment>(store, ["open"])?.into_iter().filter(|c| c.is_due_by(soon)).collect())
}

/// What happened on one day at the site.
#[derive(Debug, Clone, Serialize)]
pub struct DaySummary {
    /// The local date.
    pub date: NaiveDate,
    /// Calls and visits logged.
    pub calls_and_visits: usize,
    /// Complaints registered.
    pub complaints: usize,
    /// Of which major (重大投诉).
    pub major_complaints: usize,
    /// Work orders reported.
    pub repairs: usize,
    /// Of which emergencies.
    pub emergency_repairs: usize,
}

/// The shift-start briefing (班前会): yesterday's summary and today's open items.
#[derive(Debug, Clone, Serialize)]
pub struct Briefing {
    /// The previous day.
    pub yesterday: DaySummary,
    /// What is open now.
    pub open: Handover,
}

fn local_date(at: &time::SiteTime) -> NaiveDate {
    at.local().date_naive()
}

/// Summarises one local day.
pub fn day_summary(store: &Store, date: NaiveDate) -> Result<DaySummary, StoreError> {
    let complaints: Vec<Complaint> =
        store.all::<Complaint>(None)?.into_iter().filter(|c| local_date(&c.received_at) == date).collect();
    let repairs: Vec<Repair> =
        store.all::<Repair>(None)?.into_iter().filter(|r| local_date(&r.reported_at) == date).collect();
    Ok(DaySummary {
        date,
        calls_and_visits: store.all::<LogEntry>(None)?.iter().filter(|l| local_date(&l.at) == date).count(),
        major_complaints: complaints.iter().filter(|c| c.major).count(),
        complaints: complaints.len(),
        emergency_repairs: repairs.iter().filter(|r| r.urgency == wuye_protocol::repair::Urgency::Emergency).count(),
        repairs: repairs.len(),
    })
}

/// The briefing for the shift starting at `now` in time zone `tz`.
pub fn briefing(store: &Store, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Result<Briefing, StoreError> {
    let today = local_date(&time::to_site(now, tz));
    let yesterday = today.pred_opt().expect("dates stay within chrono's range");
    Ok(Briefing { yesterday: day_summary(store, yesterday)?, open: handover(store, now)? })
}
