//! Any record document, read by its kind.

use automerge::ReadDoc;
use serde::{Deserialize, Serialize};

use crate::complaint::Complaint;
use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::duty::{Commitment, DailyReport, DutyShift, LogEntry};
use crate::ids::{RecordId, SiteId};
use crate::kind::Kind;
use crate::repair::Repair;
use crate::resident::Resident;
use crate::staff::Staff;

/// A record as its kind presents it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum View {
    /// A complaint.
    Complaint(Box<Complaint>),
    /// A staff member.
    Staff(Staff),
    /// A repair work order.
    Repair(Box<Repair>),
    /// A work-log entry.
    LogEntry(LogEntry),
    /// A commitment.
    Commitment(Commitment),
    /// A duty assignment.
    DutyShift(DutyShift),
    /// A daily report.
    DailyReport(DailyReport),
    /// A resident.
    Resident(Resident),
}

impl View {
    /// The record's id.
    pub fn id(&self) -> RecordId {
        match self {
            View::Complaint(c) => c.id,
            View::Staff(s) => s.id,
            View::Repair(r) => r.id,
            View::LogEntry(l) => l.id,
            View::Commitment(c) => c.id,
            View::DutyShift(d) => d.id,
            View::DailyReport(d) => d.id,
            View::Resident(r) => r.id,
        }
    }

    /// The owning site.
    pub fn site_id(&self) -> SiteId {
        match self {
            View::Complaint(c) => c.site_id,
            View::Staff(s) => s.site_id,
            View::Repair(r) => r.site_id,
            View::LogEntry(l) => l.site_id,
            View::Commitment(c) => c.site_id,
            View::DutyShift(d) => d.site_id,
            View::DailyReport(d) => d.site_id,
            View::Resident(r) => r.site_id,
        }
    }

    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            View::Complaint(_) => RecordKind::Complaint,
            View::Staff(_) => RecordKind::Staff,
            View::Repair(_) => RecordKind::Repair,
            View::LogEntry(_) => RecordKind::LogEntry,
            View::Commitment(_) => RecordKind::Commitment,
            View::DutyShift(_) => RecordKind::DutyShift,
            View::DailyReport(_) => RecordKind::DailyReport,
            View::Resident(_) => RecordKind::Resident,
        }
    }
}

/// A view converted to its kind's type: `Ok` when it is that kind, else the view back.
macro_rules! view_into {
    ($($variant:ident => $ty:ty, $unwrap:expr;)+) => {
        $(
            impl TryFrom<View> for $ty {
                type Error = View;
                fn try_from(view: View) -> Result<Self, View> {
                    match view {
                        View::$variant(inner) => Ok($unwrap(inner)),
                        other => Err(other),
                    }
                }
            }
        )+
    };
}

view_into! {
    Complaint => Complaint, |c: Box<Complaint>| *c;
    Staff => Staff, |s| s;
    Repair => Repair, |r: Box<Repair>| *r;
    LogEntry => LogEntry, |l| l;
    Commitment => Commitment, |c| c;
    DutyShift => DutyShift, |d| d;
    DailyReport => DailyReport, |d| d;
    Resident => Resident, |r| r;
}

/// Reads and checks any record document, in one pass: its header and its view.
/// The kinds' `from_root` readers are reached only from here, by the header's
/// kind, so none of them checks the kind again.
pub fn read(doc: &impl ReadDoc) -> Result<(Header, View), DocError> {
    let hydrated = doc::hydrate_root(doc)?;
    let root = Fields::root(&hydrated)?;
    let header = doc::header_from(&root)?;
    let view = match header.kind {
        RecordKind::Complaint => View::Complaint(Box::new(Complaint::from_root(&root, &header)?)),
        RecordKind::Staff => View::Staff(Staff::from_root(&root, &header)?),
        RecordKind::Repair => View::Repair(Box::new(Repair::from_root(&root, &header)?)),
        RecordKind::LogEntry => View::LogEntry(LogEntry::from_root(&root, &header)?),
        RecordKind::Commitment => View::Commitment(Commitment::from_root(&root, &header)?),
        RecordKind::DutyShift => View::DutyShift(DutyShift::from_root(&root, &header)?),
        RecordKind::DailyReport => View::DailyReport(DailyReport::from_root(&root, &header)?),
        RecordKind::Resident => View::Resident(Resident::from_root(&root, &header)?),
    };
    Ok((header, view))
}
