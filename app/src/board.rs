//! The day's board (今日): what the front desk must see at a glance, read
//! from the status index so that it stays fast with 100,000 records.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use wuye_protocol::commitment::Commitment;
use wuye_protocol::complaint::{Complaint, ComplaintStatus};
use wuye_protocol::daily_report::DailyReport;
use wuye_protocol::duty_shift::Shift;
use wuye_protocol::log_entry::LogEntry;
use wuye_protocol::repair::{Repair, Urgency};
use wuye_protocol::time::{self, SiteTime};

use crate::desk::Desk;
use crate::settings::SiteSettings;
use crate::shift::{self, in_states};
use crate::AppError;

/// Most major complaints the board names (the newest); the list shows the rest.
pub const BOARD_LIST: usize = 20;

/// One duty period of today and who holds it.
#[derive(Debug, Clone, Serialize)]
pub struct DutyPeriod {
    /// Morning or afternoon.
    pub shift: Shift,
    /// Its hours, `08:00–12:00`.
    pub hours: String,
    /// Who is on duty (empty: a gap).
    pub names: Vec<String>,
    /// Whether the period is running now.
    pub now: bool,
}

/// A work order nobody has reached yet, with the time left to its deadline.
#[derive(Debug, Clone, Serialize)]
pub struct RepairDue {
    /// The order.
    pub repair: Repair,
    /// Minutes left (negative: late), counted in duty time for a normal
    /// order and on the wall clock for an emergency, as its deadline was.
    pub minutes_left: i64,
    /// Whether `minutes_left` counts duty time.
    pub in_duty_time: bool,
}

/// A follow-up visit (回访) due: a complaint with its result, or a work
/// order completed, not yet visited.
#[derive(Debug, Clone, Serialize)]
pub struct VisitDue {
    /// `complaint` or `repair`: the page it is on.
    pub kind: &'static str,
    /// The record.
    pub id: wuye_protocol::ids::RecordId,
    /// Where and who.
    pub place: String,
    /// What it was about.
    pub text: String,
    /// When the visit is due.
    pub due: SiteTime,
    /// Whether that time has passed.
    pub late: bool,
}

/// The day's board.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// The site's local date.
    pub date: NaiveDate,
    /// Now, in the site's time zone.
    pub now: SiteTime,
    /// Today's duty periods.
    pub duty: Vec<DutyPeriod>,
    /// Open complaints by state, in the order of the workflow; states with none left out.
    pub complaints_by_status: Vec<(ComplaintStatus, usize)>,
    /// Major complaints waiting for the manager, the newest [`BOARD_LIST`].
    pub escalated: Vec<Complaint>,
    /// Work orders not yet reached, soonest deadline first.
    pub repairs_due: Vec<RepairDue>,
    /// Promised replies due within a day, or late.
    pub commitments_due: Vec<Commitment>,
    /// Calls and visits neither handled nor turned into a record.
    pub open_calls: Vec<LogEntry>,
    /// Keys lent and not back by their due time.
    pub keys_overdue: Vec<wuye_protocol::key::Key>,
    /// Promises to pay arrears (催缴 with a promised day) due by today, the house still owing.
    pub promises_due: Vec<wuye_protocol::chase::Chase>,
    /// Follow-up visits due by the end of today, the earliest first.
    pub visits_due: Vec<VisitDue>,
    /// Renovations ending this week, inspections overdue, violations past their deadline.
    pub renovations: crate::renovations::Watch,
    /// Today's daily report, once made.
    pub report: Option<DailyReport>,
}

impl Board {
    /// The periods of today that nobody holds.
    pub fn gaps(&self) -> impl Iterator<Item = &DutyPeriod> {
        self.duty.iter().filter(|p| p.names.is_empty())
    }
}

impl Desk {
    /// Follow-up visits due by the end of the site's today: complaints with
    /// their result and work orders completed, each due the site's
    /// `visit-within-days` after; the earliest first.
    pub fn visits_due(&self) -> Result<Vec<VisitDue>, AppError> {
        let now = self.now();
        let tz = self.site.timezone;
        let within = chrono::Duration::days(SiteSettings::load(&self.store)?.visit_within_days);
        let today = now.with_timezone(&tz).date_naive();
        let mut due = Vec::new();
        let mut add = |kind, id, place: String, text: String, done: DateTime<Utc>| {
            let at = done + within;
            if at.with_timezone(&tz).date_naive() <= today {
                due.push(VisitDue { kind, id, place, text, due: time::to_site(at, tz), late: at < now });
            }
        };
        for c in
            in_states::<Complaint>(&self.store, [wuye_protocol::complaint::status_name(ComplaintStatus::Resolved)])?
        {
            if let Some(r) = &c.result {
                add("complaint", c.id, format!("{} {}", c.unit, c.customer), c.summary.clone(), r.at.utc());
            }
        }
        for r in in_states::<Repair>(&self.store, [wuye_protocol::repair::RepairStatus::Completed.as_str()])? {
            if let Some(done) = r.events.iter().rev().find(|e| e.kind == "completed") {
                let place = r.unit.clone().or_else(|| r.area.clone()).unwrap_or_default();
                add("repair", r.id, format!("{place} {}", r.reporter), r.description.clone(), done.at.utc());
            }
        }
        due.sort_by_key(|d| d.due.utc());
        Ok(due)
    }

    /// The day's board as of now.
    pub fn board(&self) -> Result<Board, AppError> {
        let now = self.now();
        let tz = self.site.timezone;
        let date = now.with_timezone(&tz).date_naive();
        let calendar = SiteSettings::load(&self.store)?.calendar(tz);
        let duty = self
            .duty_check(date)?
            .into_iter()
            .zip(calendar.periods(date))
            .map(|((shift, names), (from, to))| DutyPeriod {
                shift,
                hours: format!("{}–{}", from.format("%H:%M"), to.format("%H:%M")),
                names,
                now: calendar.instant(date, from) <= now && now < calendar.instant(date, to),
            })
            .collect();
        let mut complaints_by_status = Vec::new();
        let mut escalated = Vec::new();
        for status in ComplaintStatus::ALL.into_iter().filter(|s| *s != ComplaintStatus::Archived) {
            let name = wuye_protocol::complaint::status_name(status);
            let count =
                self.store.count_in_state(wuye_protocol::doc::RecordKind::Complaint, Some(self.site.id), name)?;
            if count > 0 {
                complaints_by_status.push((status, count));
            }
            if status == ComplaintStatus::Escalated && count > 0 {
                // By site too, so that the status index gives them newest first without sorting.
                let filter = wuye_node::Filter {
                    site: Some(self.site.id),
                    statuses: vec![name.to_string()],
                    ..wuye_node::Filter::default()
                };
                let newest =
                    wuye_node::Page { limit: Some(BOARD_LIST), newest_first: true, ..wuye_node::Page::default() };
                escalated = self.store.page::<Complaint>(&filter, &newest)?.items;
            }
        }
        let mut repairs_due: Vec<RepairDue> = in_states::<Repair>(&self.store, shift::open_repair_states())?
            .into_iter()
            .filter(|r| r.arrived_at.is_none())
            .map(|repair| {
                let deadline = repair.response_deadline.utc();
                let in_duty_time = repair.urgency != Urgency::Emergency;
                let left = if in_duty_time { calendar.duty_time_between(now, deadline) } else { deadline - now };
                RepairDue { minutes_left: left.num_minutes(), in_duty_time, repair }
            })
            .collect();
        repairs_due.sort_by_key(|d| d.repair.response_deadline.utc());
        let report = self.daily_report_of(date)?;
        Ok(Board {
            date,
            now: time::to_site(now, tz),
            duty,
            complaints_by_status,
            escalated,
            repairs_due,
            commitments_due: shift::commitments_due(&self.store, now)?,
            open_calls: shift::carry_over(&self.store)?,
            keys_overdue: self.keys(true)?,
            promises_due: self.promises_due()?,
            visits_due: self.visits_due()?,
            renovations: crate::renovations::watch(
                &in_states::<wuye_protocol::renovation::Renovation>(
                    &self.store,
                    crate::renovations::WATCHED.map(wuye_protocol::renovation::RenovationState::as_str),
                )?,
                date,
            ),
            report,
        })
    }
}
