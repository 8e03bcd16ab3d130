//! The duty roster (值班表): one staff member on duty for one half-day.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId, StaffId};
use crate::kind::new_record;
use crate::rules::field_text as text;
use crate::rules::{RuleError, MAX_NAME_CHARS};
use crate::time;

/// A half-day of duty (am 08:00–12:00, pm afternoon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Shift {
    /// The morning period.
    Am,
    /// The afternoon period.
    Pm,
}

impl Shift {
    /// Both shifts of a day.
    pub const ALL: [Shift; 2] = [Shift::Am, Shift::Pm];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Shift::Am => "am",
            Shift::Pm => "pm",
        }
    }
}

impl std::str::FromStr for Shift {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "am" | "上午" => Ok(Shift::Am),
            "pm" | "下午" => Ok(Shift::Pm),
            other => Err(RuleError::Unknown { what: "shift (am or pm)", value: other.chars().take(16).collect() }),
        }
    }
}

/// One staff member on duty for one shift of one day (值班表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyShift {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The local date, YYYY-MM-DD.
    pub date: String,
    /// Which half of the day.
    pub shift: Shift,
    /// The staff member's id.
    pub staff_id: StaffId,
    /// The staff member's name.
    pub staff_name: String,
    /// When the shift starts, in the site's time zone (for ordering).
    pub starts_at: crate::time::SiteTime,
}

/// Writes a duty assignment.
#[allow(clippy::too_many_arguments)]
pub fn new_duty_shift(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    date: chrono::NaiveDate,
    shift: Shift,
    starts_at: DateTime<Utc>,
    staff_id: StaffId,
    staff_name: &str,
) -> Result<AutoCommit, RuleError> {
    let mut doc = new_record(RecordKind::DutyShift, id, site_id, tz, now, by)?;
    doc.put(ROOT, "date", date.format("%Y-%m-%d").to_string())?;
    doc.put(ROOT, "shift", shift.as_str())?;
    doc.put(ROOT, "starts_at", time::to_stored(starts_at))?;
    doc.put(ROOT, "staff_id", staff_id.to_string())?;
    doc.put(ROOT, "staff_name", text("staff", staff_name, MAX_NAME_CHARS, true)?)?;
    Ok(doc)
}

impl crate::kind::Kind for DutyShift {
    const KIND: RecordKind = RecordKind::DutyShift;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        duty_shift_from_root(root, header)
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        Projection::at(self.starts_at.utc(), "")
    }
}

fn duty_shift_from_root(root: &Fields<'_>, header: &Header) -> Result<DutyShift, DocError> {
    let date = root.str("date")?;
    chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| DocError::invalid("date", "not YYYY-MM-DD"))?;
    Ok(DutyShift {
        id: header.id,
        site_id: header.site_id,
        date,
        shift: root.str("shift")?.parse().map_err(|e: RuleError| DocError::invalid("shift", e.to_string()))?,
        staff_id: root
            .str("staff_id")?
            .parse()
            .map_err(|e: crate::ids::IdParseError| DocError::invalid("staff_id", e.to_string()))?,
        staff_name: root.str("staff_name")?,
        starts_at: time::to_site(root.instant("starts_at")?, header.timezone),
    })
}
