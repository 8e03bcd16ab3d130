//! The figures (`docs/KPI.md` defines each): for a month or a week, per
//! site, read from the sums the store keeps of every record's facts
//! ([`wuye_protocol::kpi`]). The same code runs at a site (its own figures)
//! and at head office (every site's), over the same sums, so both arrive at
//! the same numbers.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use wuye_node::{Store, StoreError};
use wuye_protocol::ids::SiteId;
use wuye_protocol::kpi::metric as m;

use crate::AppError;

/// A month or an ISO week, in the sites' own calendars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// A calendar month.
    Month {
        /// The year.
        year: i32,
        /// 1 to 12.
        month: u32,
    },
    /// An ISO week (Monday to Sunday).
    Week {
        /// The ISO year.
        year: i32,
        /// 1 to 53.
        week: u32,
    },
}

impl Period {
    /// `2026-11` (a month) or `2026-W48` (a week).
    pub fn parse(text: &str) -> Result<Self, AppError> {
        let bad = || AppError::BadPeriod(text.to_string());
        let text = text.trim();
        if let Some((year, week)) = text.split_once("-W").or_else(|| text.split_once("-w")) {
            let (year, week) = (year.parse().map_err(|_| bad())?, week.parse().map_err(|_| bad())?);
            NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).ok_or_else(bad)?;
            return Ok(Period::Week { year, week });
        }
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        let (year, month) = (year.parse().map_err(|_| bad())?, month.parse().map_err(|_| bad())?);
        NaiveDate::from_ymd_opt(year, month, 1).filter(|_| (2000..=2100).contains(&year)).ok_or_else(bad)?;
        Ok(Period::Month { year, month })
    }

    /// The month holding `day`.
    pub fn month_of(day: NaiveDate) -> Self {
        Period::Month { year: day.year(), month: day.month() }
    }

    /// The first day.
    pub fn first(self) -> NaiveDate {
        match self {
            Period::Month { year, month } => NaiveDate::from_ymd_opt(year, month, 1).expect("checked when parsed"),
            Period::Week { year, week } => {
                NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).expect("checked when parsed")
            }
        }
    }

    /// The last day.
    pub fn last(self) -> NaiveDate {
        match self {
            Period::Month { .. } => self.next().first() - Duration::days(1),
            Period::Week { .. } => self.first() + Duration::days(6),
        }
    }

    /// The period after this one.
    pub fn next(self) -> Self {
        match self {
            Period::Month { year, month: 12 } => Period::Month { year: year + 1, month: 1 },
            Period::Month { year, month } => Period::Month { year, month: month + 1 },
            Period::Week { .. } => Self::week_of(self.first() + Duration::days(7)),
        }
    }

    /// The period before this one.
    pub fn previous(self) -> Self {
        match self {
            Period::Month { year, month: 1 } => Period::Month { year: year - 1, month: 12 },
            Period::Month { year, month } => Period::Month { year, month: month - 1 },
            Period::Week { .. } => Self::week_of(self.first() - Duration::days(7)),
        }
    }

    fn week_of(day: NaiveDate) -> Self {
        let w = day.iso_week();
        Period::Week { year: w.year(), week: w.week() }
    }

    /// The `n` periods ending with this one, oldest first.
    pub fn trailing(self, n: usize) -> Vec<Period> {
        let mut out = vec![self];
        for _ in 1..n {
            out.push(out.last().expect("one at least").previous());
        }
        out.reverse();
        out
    }

    /// The month's key in the sums (`2026-11`), for a month.
    fn month_key(self) -> Option<String> {
        matches!(self, Period::Month { .. }).then(|| self.first().format("%Y-%m").to_string())
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Week { year, week } => write!(f, "{year}-W{week:02}"),
        }
    }
}

/// What the figures need to know of a site beyond its records.
#[derive(Debug, Clone)]
pub struct SiteBasis {
    /// The site.
    pub site_id: SiteId,
    /// Its time zone: its days are its own.
    pub timezone: Tz,
    /// Households (户数), for the complaint rate; unknown when the site has not said.
    pub households: Option<u64>,
}

/// A share as a percentage, none when there is nothing to divide by.
fn percent(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 * 100.0 / denominator as f64)
}

/// One site's figures for a period (`docs/KPI.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// The site.
    pub site_id: Option<SiteId>,
    /// 投诉量: complaints received.
    pub complaints: i64,
    /// Of which major (重大投诉).
    pub complaints_major: i64,
    /// Households the rate is per.
    pub households: Option<u64>,
    /// 投诉率: complaints per 100 households.
    pub complaint_rate: Option<f64>,
    /// Complaints whose result was due in the period (days already over).
    pub complaint_results_due: i64,
    /// … whose result stood by the deadline.
    pub complaint_results_on_time: i64,
    /// 投诉及时率, %.
    pub complaint_timely: Option<f64>,
    /// Results and completions recorded (complaints and work orders).
    pub resolved: i64,
    /// … followed by a visit.
    pub resolved_visited: i64,
    /// 回访率, %.
    pub visit_rate: Option<f64>,
    /// Visits made.
    pub visits: i64,
    /// … scoring 3 or more.
    pub visits_satisfied: i64,
    /// 满意率, %.
    pub satisfaction: Option<f64>,
    /// Work orders reported.
    pub repairs: i64,
    /// Emergency orders due (days already over).
    pub emergency_due: i64,
    /// … on site by the deadline.
    pub emergency_on_time: i64,
    /// 维修及时率 (紧急), %.
    pub emergency_timely: Option<f64>,
    /// Normal orders due (days already over).
    pub normal_due: i64,
    /// … on site by the deadline.
    pub normal_on_time: i64,
    /// 维修及时率 (一般), %.
    pub normal_timely: Option<f64>,
    /// Work orders closed.
    pub repairs_closed: i64,
    /// … that had been reopened.
    pub repairs_reopened: i64,
    /// 返修率, %.
    pub rework_rate: Option<f64>,
    /// Paid-service income, fen.
    pub paid_income_fen: i64,
    /// Days with a daily report sent.
    pub daily_reports: i64,
    /// Days of the period so far.
    pub days: i64,
    /// 日报上报率, %.
    pub daily_report_rate: Option<f64>,
}

impl Figures {
    /// The figures from the period's sums of each metric.
    fn from_sums(
        site_id: Option<SiteId>,
        sums: &HashMap<String, i64>,
        households: Option<u64>,
        days: i64,
        reports: i64,
    ) -> Self {
        let get = |metric: &str| sums.get(metric).copied().unwrap_or(0);
        let complaints = get(m::COMPLAINTS);
        let resolved = get(m::COMPLAINTS_RESOLVED) + get(m::REPAIRS_COMPLETED);
        let resolved_visited = get(m::COMPLAINTS_RESOLVED_VISITED) + get(m::REPAIRS_COMPLETED_VISITED);
        let f = Figures {
            site_id,
            complaints,
            complaints_major: get(m::COMPLAINTS_MAJOR),
            households,
            complaint_rate: households.filter(|h| *h > 0).map(|h| complaints as f64 * 100.0 / h as f64),
            complaint_results_due: get(m::COMPLAINT_RESULTS_DUE),
            complaint_results_on_time: get(m::COMPLAINT_RESULTS_ON_TIME),
            resolved,
            resolved_visited,
            visits: get(m::VISITS),
            visits_satisfied: get(m::VISITS_SATISFIED),
            repairs: get(m::REPAIRS),
            emergency_due: get(m::REPAIRS_DUE_EMERGENCY),
            emergency_on_time: get(m::REPAIRS_ON_TIME_EMERGENCY),
            normal_due: get(m::REPAIRS_DUE_NORMAL),
            normal_on_time: get(m::REPAIRS_ON_TIME_NORMAL),
            repairs_closed: get(m::REPAIRS_CLOSED),
            repairs_reopened: get(m::REPAIRS_CLOSED_REOPENED),
            paid_income_fen: get(m::PAID_INCOME_FEN),
            daily_reports: reports,
            days,
            ..Figures::default()
        };
        f.with_rates()
    }

    /// Works out the shares from the counts.
    fn with_rates(mut self) -> Self {
        self.complaint_timely = percent(self.complaint_results_on_time, self.complaint_results_due);
        self.visit_rate = percent(self.resolved_visited, self.resolved);
        self.satisfaction = percent(self.visits_satisfied, self.visits);
        self.emergency_timely = percent(self.emergency_on_time, self.emergency_due);
        self.normal_timely = percent(self.normal_on_time, self.normal_due);
        self.rework_rate = percent(self.repairs_reopened, self.repairs_closed);
        self.daily_report_rate = percent(self.daily_reports, self.days);
        self
    }

    /// Several sites' figures together (the company's): counts added, shares worked out again.
    pub fn total(all: &[Figures]) -> Figures {
        let mut t = Figures::default();
        let mut households: Option<u64> = Some(0);
        for f in all {
            t.complaints += f.complaints;
            t.complaints_major += f.complaints_major;
            households = households.zip(f.households).map(|(a, b)| a + b);
            t.complaint_results_due += f.complaint_results_due;
            t.complaint_results_on_time += f.complaint_results_on_time;
            t.resolved += f.resolved;
            t.resolved_visited += f.resolved_visited;
            t.visits += f.visits;
            t.visits_satisfied += f.visits_satisfied;
            t.repairs += f.repairs;
            t.emergency_due += f.emergency_due;
            t.emergency_on_time += f.emergency_on_time;
            t.normal_due += f.normal_due;
            t.normal_on_time += f.normal_on_time;
            t.repairs_closed += f.repairs_closed;
            t.repairs_reopened += f.repairs_reopened;
            t.paid_income_fen += f.paid_income_fen;
            t.daily_reports += f.daily_reports;
            t.days += f.days;
        }
        t.households = households.filter(|_| !all.is_empty());
        t.complaint_rate = t.households.filter(|h| *h > 0).map(|h| t.complaints as f64 * 100.0 / h as f64);
        t.with_rates()
    }
}

/// The local date at `now` in `tz`.
fn today(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// Every site's figures for `period` as they stand at `now`, in the order of `sites`.
pub fn figures(
    store: &Store,
    period: Period,
    sites: &[SiteBasis],
    now: DateTime<Utc>,
) -> Result<Vec<Figures>, StoreError> {
    // A month over everywhere (its last day before the earliest "today" on
    // Earth) is read from the monthly sums; otherwise from the daily ones,
    // leaving out deadlines still to come at each site.
    let over_everywhere = period.last() < (now - Duration::hours(14)).date_naive();
    let mut sums: HashMap<String, HashMap<String, i64>> = HashMap::new();
    let first = period.first().to_string();
    let last = period.last().to_string();
    let zones: HashMap<String, Tz> = sites.iter().map(|s| (s.site_id.to_string(), s.timezone)).collect();
    match period.month_key().filter(|_| over_everywhere) {
        Some(month) => {
            let mut stmt = store.conn().prepare_cached("SELECT site_id, metric, n FROM kpi_month WHERE month = ?1")?;
            let mut rows = stmt.query([month])?;
            while let Some(row) = rows.next()? {
                let site: String = row.get(0)?;
                if zones.contains_key(&site) {
                    *sums.entry(site).or_default().entry(row.get(1)?).or_default() += row.get::<_, i64>(2)?;
                }
            }
        }
        None => {
            let mut stmt = store
                .conn()
                .prepare_cached("SELECT day, site_id, metric, n FROM kpi_day WHERE day BETWEEN ?1 AND ?2")?;
            let mut rows = stmt.query([&first, &last])?;
            let mut today_of: HashMap<String, String> = HashMap::new();
            while let Some(row) = rows.next()? {
                let site: String = row.get(1)?;
                let Some(tz) = zones.get(&site) else { continue };
                let metric: String = row.get(2)?;
                if m::DEADLINES.contains(&metric.as_str()) {
                    let day: String = row.get(0)?;
                    let today = today_of.entry(site.clone()).or_insert_with(|| today(*tz, now).to_string());
                    if day >= *today {
                        continue;
                    }
                }
                *sums.entry(site).or_default().entry(metric).or_default() += row.get::<_, i64>(3)?;
            }
        }
    }
    let mut reports: HashMap<String, i64> = HashMap::new();
    {
        let mut stmt = store.conn().prepare_cached(
            "SELECT site_id, count(*) FROM kpi_day WHERE day BETWEEN ?1 AND ?2 AND metric = ?3 AND n > 0 GROUP BY site_id",
        )?;
        let mut rows = stmt.query([&first, &last, &m::DAILY_REPORTS.to_string()])?;
        while let Some(row) = rows.next()? {
            reports.insert(row.get(0)?, row.get(1)?);
        }
    }
    let empty = HashMap::new();
    Ok(sites
        .iter()
        .map(|s| {
            let key = s.site_id.to_string();
            // Days of the period up to yesterday: today's report is not due yet.
            let yesterday = today(s.timezone, now) - Duration::days(1);
            let days = (yesterday.min(period.last()) - period.first()).num_days() + 1;
            let days = days.max(0);
            let sent = reports.get(&key).copied().unwrap_or(0).min(days);
            Figures::from_sums(Some(s.site_id), sums.get(&key).unwrap_or(&empty), s.households, days, sent)
        })
        .collect())
}

/// Major complaints waiting for the property manager's decision at a site:
/// how many, and since when the oldest was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MajorsWaiting {
    /// How many.
    pub count: usize,
    /// When the oldest was received (UTC).
    pub oldest: Option<DateTime<Utc>>,
}

/// Every site's major complaints waiting for a decision, now.
pub fn majors_waiting(store: &Store) -> Result<HashMap<SiteId, MajorsWaiting>, StoreError> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT site_id, count(*), min(sort) FROM projections WHERE kind = 'complaint' AND status = 'escalated'
         GROUP BY site_id",
    )?;
    let mut out = HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let site: String = row.get(0)?;
        let Ok(site) = site.parse::<SiteId>() else { continue };
        let count: i64 = row.get(1)?;
        let oldest: Option<String> = row.get(2)?;
        out.insert(
            site,
            MajorsWaiting {
                count: usize::try_from(count).unwrap_or_default(),
                oldest: oldest.as_deref().and_then(wuye_protocol::time::from_stored),
            },
        );
    }
    Ok(out)
}

/// Every site's open work orders nobody reached by their deadline, now.
pub fn repairs_overdue(store: &Store, now: DateTime<Utc>) -> Result<HashMap<SiteId, usize>, StoreError> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT site_id, json_extract(view, '$.response_deadline') FROM projections
         WHERE kind = 'repair' AND status IN ('reported', 'dispatched') AND json_extract(view, '$.arrived_at') IS NULL",
    )?;
    let mut out: HashMap<SiteId, usize> = HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let site: String = row.get(0)?;
        let deadline: Option<String> = row.get(1)?;
        let late = deadline.as_deref().and_then(|d| DateTime::parse_from_rfc3339(d).ok()).is_some_and(|d| now > d);
        if let (true, Ok(site)) = (late, site.parse::<SiteId>()) {
            *out.entry(site).or_default() += 1;
        }
    }
    Ok(out)
}

/// Whether each site sent its daily report for `day`.
pub fn reported_on(store: &Store, day: NaiveDate) -> Result<std::collections::HashSet<SiteId>, StoreError> {
    let mut stmt =
        store.conn().prepare_cached("SELECT site_id FROM kpi_day WHERE day = ?1 AND metric = ?2 AND n > 0")?;
    let rows = stmt.query_map([day.to_string(), m::DAILY_REPORTS.to_string()], |r| r.get::<_, String>(0))?;
    let mut out = std::collections::HashSet::new();
    for site in rows {
        if let Ok(site) = site?.parse() {
            out.insert(site);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_read_and_walked_in_the_sites_calendar() {
        let nov = Period::parse("2026-11").unwrap();
        assert_eq!((nov.first().to_string(), nov.last().to_string()), ("2026-11-01".into(), "2026-11-30".into()));
        assert_eq!(Period::parse("2026-12").unwrap().next(), Period::parse("2027-01").unwrap());
        assert_eq!(nov.trailing(3), vec![Period::parse("2026-09").unwrap(), Period::parse("2026-10").unwrap(), nov]);
        let w = Period::parse("2026-W48").unwrap();
        assert_eq!((w.first().to_string(), w.last().to_string()), ("2026-11-23".into(), "2026-11-29".into()));
        assert_eq!(w.next().to_string(), "2026-W49");
        for bad in ["2026-13", "11月", "2026-W54", "", "1999-01"] {
            assert!(matches!(Period::parse(bad), Err(AppError::BadPeriod(_))), "{bad}");
        }
    }
}
