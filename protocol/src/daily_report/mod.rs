//! The day's report upward (每日重大投诉、报修信息上报), as made at the site.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::RuleError;
use crate::time;

/// A day's report upward (每日重大投诉、报修信息上报), as computed at the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReport {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The local date reported on, YYYY-MM-DD.
    pub date: String,
    /// When it was made, in the site's time zone.
    pub made_at: String,
    /// Who made it.
    pub by: String,
    /// The figures, as made (JSON).
    pub content: String,
}

/// Writes a daily report, or rewrites one for the same date.
/// How far back a daily report may be made.
pub const MAX_REPORT_DAYS_BACK: i64 = 366;

/// Checks a daily report's date: not after `today` and not more than a year
/// back, both in site time.
pub fn check_report_date(date: chrono::NaiveDate, today: chrono::NaiveDate) -> Result<(), RuleError> {
    let earliest = today - chrono::Duration::days(MAX_REPORT_DAYS_BACK);
    if date > today || date < earliest {
        return Err(RuleError::OutOfRange {
            field: "the report date",
            value: date.format("%Y-%m-%d").to_string(),
            allowed: format!(
                "a day report covers a day that has begun: give a date from {earliest} to today ({today})"
            ),
        });
    }
    Ok(())
}

pub fn write_daily_report(doc: &mut AutoCommit, date: chrono::NaiveDate, content: &str) -> Result<(), RuleError> {
    if content.len() > crate::wire::MAX_DOC_BYTES / 2 {
        return Err(RuleError::TooLong { field: "report", len: content.len(), max: crate::wire::MAX_DOC_BYTES / 2 });
    }
    doc.put(ROOT, "date", date.format("%Y-%m-%d").to_string())?;
    doc.put(ROOT, "content", content)?;
    Ok(())
}

/// A new, empty daily report document.
pub fn new_daily_report(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
) -> Result<AutoCommit, RuleError> {
    new_record(RecordKind::DailyReport, id, site_id, tz, now, by)
}

impl crate::kind::Kind for DailyReport {
    const KIND: RecordKind = RecordKind::DailyReport;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        daily_report_from_root(root, header)
    }

    fn id(&self) -> RecordId {
        self.id
    }

    fn site_id(&self) -> SiteId {
        self.site_id
    }

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        Projection::at_site_time(&self.made_at, "")
    }
}

fn daily_report_from_root(root: &Fields<'_>, header: &Header) -> Result<DailyReport, DocError> {
    Ok(DailyReport {
        id: header.id,
        site_id: header.site_id,
        date: root.str("date")?,
        made_at: time::to_site(header.created_at, header.timezone),
        by: header.created_by.clone(),
        content: root.str_up_to("content", crate::wire::MAX_DOC_BYTES / 2)?,
    })
}
