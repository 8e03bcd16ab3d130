//! The day's report upward (每日重大投诉、报修信息上报), as made at the site:
//! its figures are typed fields of the document, not text.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ScalarValue, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::RuleError;
use crate::time;

/// Most items one list of a report may name, and most categories it may count.
pub const MAX_REPORT_ITEMS: usize = 10_000;

/// A major complaint or an urgent work order named in a daily report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportItem {
    /// The record.
    pub id: RecordId,
    /// Unit or area.
    pub place: String,
    /// What it is about.
    pub summary: String,
    /// Where it stands (its label).
    pub status: String,
}

/// The figures of a daily report upward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyFigures {
    /// The local date.
    pub date: NaiveDate,
    /// Major complaints received that day.
    pub major_complaints: Vec<ReportItem>,
    /// Emergency work orders reported that day, and any order overdue now.
    pub urgent_repairs: Vec<ReportItem>,
    /// Complaints received that day, by category.
    pub complaints_by_category: BTreeMap<String, usize>,
    /// Work orders reported that day, by category.
    pub repairs_by_category: BTreeMap<String, usize>,
    /// Complaints not archived, now.
    pub open_complaints: usize,
    /// Work orders not closed, now.
    pub open_repairs: usize,
    /// Complaints whose managers decided differently while apart (决定冲突),
    /// now: a manager must settle each with a new decision.
    #[serde(default)]
    pub conflicting_decisions: Vec<ReportItem>,
}

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
    pub made_at: crate::time::SiteTime,
    /// Who made it.
    pub by: String,
    /// The figures.
    pub figures: DailyFigures,
}

/// How far back a daily report may be made.
pub const MAX_REPORT_DAYS_BACK: i64 = 366;

/// Checks a daily report's date: not after `today` and not more than a year
/// back, both in site time.
pub fn check_report_date(date: NaiveDate, today: NaiveDate) -> Result<(), RuleError> {
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

fn put_items(doc: &mut AutoCommit, figures: &ObjId, key: &str, items: &[ReportItem]) -> Result<(), RuleError> {
    if items.len() > MAX_REPORT_ITEMS {
        return Err(RuleError::TooLong { field: "report", len: items.len(), max: MAX_REPORT_ITEMS });
    }
    let list = doc.put_object(figures, key, ObjType::List)?;
    for (i, item) in items.iter().enumerate() {
        let map = doc.insert_object(&list, i, ObjType::Map)?;
        doc.put(&map, "id", item.id.to_string())?;
        doc.put(&map, "place", item.place.as_str())?;
        doc.put(&map, "summary", item.summary.as_str())?;
        doc.put(&map, "status", item.status.as_str())?;
    }
    Ok(())
}

fn put_counts(
    doc: &mut AutoCommit,
    figures: &ObjId,
    key: &str,
    counts: &BTreeMap<String, usize>,
) -> Result<(), RuleError> {
    if counts.len() > MAX_REPORT_ITEMS {
        return Err(RuleError::TooLong { field: "report", len: counts.len(), max: MAX_REPORT_ITEMS });
    }
    let map = doc.put_object(figures, key, ObjType::Map)?;
    for (name, n) in counts {
        doc.put(&map, name.as_str(), ScalarValue::Uint(*n as u64))?;
    }
    Ok(())
}

/// Writes a day's figures into a report document (made anew, or rewritten
/// for the same date). The figures are typed fields; the same figures are
/// also kept as JSON text in `content`, the layout builds before this one read.
pub fn write_daily_report(doc: &mut AutoCommit, figures: &DailyFigures) -> Result<(), RuleError> {
    let legacy = serde_json::to_string(figures).expect("figures serialize");
    if legacy.len() > crate::wire::MAX_DOC_BYTES / 2 {
        return Err(RuleError::TooLong { field: "report", len: legacy.len(), max: crate::wire::MAX_DOC_BYTES / 2 });
    }
    doc.put(ROOT, "date", figures.date.format("%Y-%m-%d").to_string())?;
    let map = doc.put_object(ROOT, "figures", ObjType::Map)?;
    doc.put(&map, "open_complaints", ScalarValue::Uint(figures.open_complaints as u64))?;
    doc.put(&map, "open_repairs", ScalarValue::Uint(figures.open_repairs as u64))?;
    put_counts(doc, &map, "complaints_by_category", &figures.complaints_by_category)?;
    put_counts(doc, &map, "repairs_by_category", &figures.repairs_by_category)?;
    put_items(doc, &map, "major_complaints", &figures.major_complaints)?;
    put_items(doc, &map, "urgent_repairs", &figures.urgent_repairs)?;
    put_items(doc, &map, "conflicting_decisions", &figures.conflicting_decisions)?;
    doc.put(ROOT, "content", legacy)?;
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

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        crate::kind::Projection::at(self.made_at.utc(), "")
    }

    fn facts(&self) -> Vec<crate::kpi::Fact> {
        let date = self.figures.date;
        vec![crate::kpi::Fact { metric: crate::kpi::metric::DAILY_REPORTS, day: date, n: 1 }]
    }
}

fn items(figures: &Fields<'_>, key: &str) -> Result<Vec<ReportItem>, DocError> {
    let mut out = Vec::new();
    for (i, value) in figures.list(key, MAX_REPORT_ITEMS)?.into_iter().enumerate() {
        let path = format!("figures.{key}[{i}]");
        let item = Fields::item(value, &path)?;
        out.push(ReportItem {
            id: item
                .str("id")?
                .parse()
                .map_err(|e: crate::ids::IdParseError| DocError::invalid(format!("{path}.id"), e.to_string()))?,
            place: item.str("place")?,
            summary: item.text("summary")?,
            status: item.str("status")?,
        });
    }
    Ok(out)
}

fn counts(figures: &Fields<'_>, key: &str) -> Result<BTreeMap<String, usize>, DocError> {
    Ok(figures.counts(key, MAX_REPORT_ITEMS)?.into_iter().map(|(k, n)| (k, n as usize)).collect())
}

fn figures_from(root: &Fields<'_>, date: NaiveDate) -> Result<DailyFigures, DocError> {
    let figures = match root.map("figures") {
        Ok(figures) => figures,
        // A report made before the figures were typed keeps them as JSON text.
        Err(DocError::Missing(_)) => {
            let content = root.str_up_to("content", crate::wire::MAX_DOC_BYTES / 2)?;
            return serde_json::from_str(&content)
                .map_err(|e| DocError::invalid("content", format!("the figures do not read: {e}")));
        }
        Err(e) => return Err(e),
    };
    Ok(DailyFigures {
        date,
        major_complaints: items(&figures, "major_complaints")?,
        urgent_repairs: items(&figures, "urgent_repairs")?,
        complaints_by_category: counts(&figures, "complaints_by_category")?,
        repairs_by_category: counts(&figures, "repairs_by_category")?,
        open_complaints: figures.u64("open_complaints")? as usize,
        open_repairs: figures.u64("open_repairs")? as usize,
        conflicting_decisions: items(&figures, "conflicting_decisions")?,
    })
}

fn daily_report_from_root(root: &Fields<'_>, header: &Header) -> Result<DailyReport, DocError> {
    let date = root.str("date")?;
    let day = NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| DocError::invalid("date", "not YYYY-MM-DD"))?;
    Ok(DailyReport {
        id: header.id,
        site_id: header.site_id,
        date,
        made_at: time::to_site(header.created_at, header.timezone),
        by: header.created_by.clone(),
        figures: figures_from(root, day)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn figures_are_typed_fields_and_a_report_of_the_first_layout_still_reads() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let item = ReportItem {
            id: RecordId::random(&mut rng),
            place: "3栋501".into(),
            summary: "楼上漏水".into(),
            status: "处理中".into(),
        };
        let figures = DailyFigures {
            date,
            major_complaints: vec![item.clone()],
            urgent_repairs: vec![],
            complaints_by_category: BTreeMap::from([("噪音".to_string(), 2), ("卫生".to_string(), 1)]),
            repairs_by_category: BTreeMap::new(),
            open_complaints: 3,
            open_repairs: 0,
            conflicting_decisions: vec![item],
        };
        let (id, site) = (RecordId::random(&mut rng), SiteId::random(&mut rng));
        let tz = chrono_tz::Asia::Shanghai;
        let mut doc = new_daily_report(id, site, tz, now, "李娜").unwrap();
        write_daily_report(&mut doc, &figures).unwrap();
        let read: DailyReport = crate::kind::read(&doc).unwrap();
        assert_eq!(read.figures, figures);
        assert_eq!(read.date, "2026-11-27");

        // The first layout: the figures as JSON text only.
        let mut old = new_daily_report(id, site, tz, now, "李娜").unwrap();
        old.put(ROOT, "date", "2026-11-27").unwrap();
        old.put(ROOT, "content", serde_json::to_string(&figures).unwrap()).unwrap();
        assert_eq!(crate::kind::read::<DailyReport>(&old).unwrap().figures, figures);
        old.put(ROOT, "content", "{not json").unwrap();
        assert!(crate::kind::read::<DailyReport>(&old).is_err(), "damaged figures are refused, not guessed");
    }
}
