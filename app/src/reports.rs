//! Reports over a site's records: recurring problems (对反复出现的问题) and the
//! daily figures. The same code runs at the site and at head office, over
//! one site's records, so both arrive at the same figures.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use wuye_protocol::complaint::ComplaintStatus;
use wuye_protocol::daily_report::{DailyFigures, ReportItem};
use wuye_protocol::ids::SiteId;
use wuye_protocol::repair::{RepairStatus, Urgency};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use wuye_node::{Records, StoreError};
use wuye_protocol::complaint::Complaint;
use wuye_protocol::ids::RecordId;
use wuye_protocol::repair::Repair;
use wuye_protocol::time::SiteTime;

/// Fewest records in a group for it to count as recurring.
pub const RECURRING_MIN: usize = 2;

/// Complaints and work orders about the same place and category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecurringGroup {
    /// `unit` or `building`.
    pub scope: &'static str,
    /// The unit or building.
    pub place: String,
    /// The complaint category or repair category.
    pub category: String,
    /// How many records.
    pub count: usize,
    /// The records, oldest first.
    pub records: Vec<RecordId>,
}

/// The building of a unit: "3栋2单元501" → "3栋", "5号楼-201" → "5号楼"; otherwise the unit itself.
pub fn building_of(unit: &str) -> String {
    for marker in ["栋", "号楼", "幢", "座"] {
        if let Some(i) = unit.find(marker) {
            return unit[..i + marker.len()].to_string();
        }
    }
    unit.to_string()
}

/// Groups `site`'s complaints and work orders of the last `days` days by unit
/// and category and by building and category, keeping the groups that recur.
pub fn recurring<R: Records<Error = StoreError>>(
    store: &R,
    site: SiteId,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Vec<RecurringGroup>, StoreError> {
    let since = now - Duration::days(days);
    let mut items: Vec<(DateTime<Utc>, String, String, RecordId)> = Vec::new();
    for c in store.all::<Complaint>(Some(site))? {
        let at = c.received_at.utc();
        if at >= since {
            items.push((at, c.unit, c.category, c.id));
        }
    }
    for r in store.all::<Repair>(Some(site))? {
        let Some(unit) = r.unit.clone().or(r.area.clone()) else { continue };
        let at = r.reported_at.utc();
        if at >= since {
            items.push((at, unit, r.category.label().to_string(), r.id));
        }
    }
    items.sort();
    let mut groups: BTreeMap<(&'static str, String, String), Vec<RecordId>> = BTreeMap::new();
    for (_, unit, category, id) in items {
        groups.entry(("unit", unit.clone(), category.clone())).or_default().push(id);
        let building = building_of(&unit);
        if building != unit {
            groups.entry(("building", building, category)).or_default().push(id);
        }
    }
    let mut out: Vec<RecurringGroup> = groups
        .into_iter()
        .filter(|(_, ids)| ids.len() >= RECURRING_MIN)
        .map(|((scope, place, category), records)| RecurringGroup {
            scope,
            place,
            category,
            count: records.len(),
            records,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.scope.cmp(b.scope)).then(a.place.cmp(&b.place)));
    Ok(out)
}

/// Whether a site time falls on a local date (in the site's own offset).
fn on(date: NaiveDate, at: SiteTime) -> bool {
    at.local().date_naive() == date
}

/// Computes `site`'s daily report figures for a local date, as they stand at `now`.
pub fn daily_figures<R: Records<Error = StoreError>>(
    store: &R,
    site: SiteId,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DailyFigures, StoreError> {
    let complaints = store.all::<Complaint>(Some(site))?;
    let repairs = store.all::<Repair>(Some(site))?;
    let mut figures = DailyFigures {
        date,
        major_complaints: Vec::new(),
        urgent_repairs: Vec::new(),
        complaints_by_category: BTreeMap::new(),
        repairs_by_category: BTreeMap::new(),
        open_complaints: complaints.iter().filter(|c| c.status != ComplaintStatus::Archived).count(),
        open_repairs: repairs.iter().filter(|r| r.status != RepairStatus::Closed).count(),
        conflicting_decisions: complaints
            .iter()
            .filter(|c| !c.conflicting_decisions.is_empty())
            .map(|c| ReportItem {
                id: c.id,
                place: c.unit.clone(),
                summary: c.summary.clone(),
                status: format!(
                    "{} ({} 决定冲突 conflicting decisions)",
                    c.status.label(),
                    c.conflicting_decisions.len()
                ),
            })
            .collect(),
    };
    for c in complaints.iter().filter(|c| on(date, c.received_at)) {
        *figures.complaints_by_category.entry(c.category.clone()).or_default() += 1;
        if c.major {
            figures.major_complaints.push(ReportItem {
                id: c.id,
                place: c.unit.clone(),
                summary: c.summary.clone(),
                status: c.status.label().to_string(),
            });
        }
    }
    for r in &repairs {
        let today = on(date, r.reported_at);
        if today {
            *figures.repairs_by_category.entry(r.category.label().to_string()).or_default() += 1;
        }
        if (today && r.urgency == Urgency::Emergency) || r.is_overdue(now) {
            figures.urgent_repairs.push(ReportItem {
                id: r.id,
                place: r.unit.clone().or(r.area.clone()).unwrap_or_default(),
                summary: r.description.clone(),
                status: if r.is_overdue(now) {
                    format!("{} (逾期 overdue)", r.status.label())
                } else {
                    r.status.label().to_string()
                },
            });
        }
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildings_are_read_from_unit_names() {
        assert_eq!(building_of("3栋2单元501"), "3栋");
        assert_eq!(building_of("5号楼-201"), "5号楼");
        assert_eq!(building_of("地下车库"), "地下车库");
    }
}
