//! Shift handover (交接班) and the shift-start briefing: what the next shift
//! must know, computed from the site's records.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use wuye_node::Records as _;
use wuye_node::{Store, StoreError};
use wuye_protocol::commitment::Commitment;
use wuye_protocol::complaint::{Complaint, ComplaintStatus};
use wuye_protocol::handover::{OpenItem, OpenKind};
use wuye_protocol::key::{Key, KeyStatus};
use wuye_protocol::log_entry::LogEntry;
use wuye_protocol::release::{ReleaseSlip, SlipStatus};
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
    /// Keys lent and not back.
    pub keys_out: Vec<Key>,
    /// Keys lent and not back by their due time.
    pub keys_overdue: Vec<Key>,
    /// Item-release slips issued and not yet checked at the gate.
    pub slips_waiting: Vec<ReleaseSlip>,
}

impl Handover {
    /// Whether a key out is overdue.
    pub fn key_overdue(&self, key: &Key) -> bool {
        self.keys_overdue.iter().any(|o| o.id == key.id)
    }

    /// Every item as the handover record lists it.
    pub fn open_items(&self, now: DateTime<Utc>) -> Vec<OpenItem> {
        let item = |kind, id, text: String, overdue| OpenItem { kind, id, text, overdue };
        let mut items = Vec::new();
        for l in &self.carry_over {
            items.push(item(OpenKind::CarryOver, l.id, format!("{} {}：{}", l.caller, l.unit, l.asked), false));
        }
        for c in &self.commitments_due {
            items.push(item(OpenKind::Commitment, c.id, format!("{}：{}", c.caller, c.text), c.due.utc() < now));
        }
        for c in &self.open_complaints {
            items.push(item(
                OpenKind::Complaint,
                c.id,
                format!("{} {} {}：{}", c.status.label(), c.unit, c.customer, c.summary),
                false,
            ));
        }
        for r in &self.open_repairs {
            let place = r.unit.clone().or_else(|| r.area.clone()).unwrap_or_default();
            let late = self.overdue_repairs.iter().any(|o| o.id == r.id);
            items.push(item(OpenKind::Repair, r.id, format!("{} {place}：{}", r.status.label(), r.description), late));
        }
        for k in &self.keys_out {
            let to = k.lent_to.clone().unwrap_or_default();
            items.push(item(OpenKind::Key, k.id, format!("{} {} 借给 {to}", k.tag, k.opens), k.is_overdue(now)));
        }
        for s in &self.slips_waiting {
            items.push(item(OpenKind::Slip, s.id, format!("{} {} {}", s.number, s.house, s.applicant), false));
        }
        items
    }
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
    let keys_out: Vec<Key> = in_states(store, [KeyStatus::Lent.as_str()])?;
    Ok(Handover {
        carry_over: carry_over(store)?,
        commitments_due: commitments_due(store, now)?,
        open_complaints: in_states(store, open_complaint_states())?,
        overdue_repairs: open_repairs.iter().filter(|r| r.is_overdue(now)).cloned().collect(),
        open_repairs,
        keys_overdue: keys_out.iter().filter(|k| k.is_overdue(now)).cloned().collect(),
        keys_out,
        slips_waiting: in_states::<ReleaseSlip>(store, [SlipStatus::Issued.as_str()])?
            .into_iter()
            .filter(|s| !s.is_expired(now))
            .collect(),
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
