//! The figures (`docs/KPI.md` defines each): for a month or a week, per
//! site, read from the sums the store keeps of every record's facts
//! ([`wuye_protocol::kpi`]). The same code runs at a site (its own figures)
//! and at head office (every site's), over the same sums, so both arrive at
//! the same numbers.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use wuye_node::sql as q;
#[cfg(test)]
use wuye_node::Store;
use wuye_node::{Cell, Records, StoreError};
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
pub(crate) fn percent(numerator: i64, denominator: i64) -> Option<f64> {
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

/// Up to this many sites are named in the figures' query.
const NAMED_SITES: usize = 50;

/// The local date at `now` in `tz`.
fn today(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// Every site's figures for `period` as they stand at `now`, in the order of `sites`.
pub fn figures<R: Records<Error = StoreError>>(
    store: &R,
    period: Period,
    sites: &[SiteBasis],
    now: DateTime<Utc>,
) -> Result<Vec<Figures>, StoreError> {
    // A month over everywhere (its last day before the earliest "today" on
    // Earth) is read from the monthly sums; otherwise from the daily ones,
    // leaving out deadlines still to come at each site.
    let over_everywhere = period.last() < (now - Duration::hours(14)).date_naive();
    let mut sums: HashMap<String, HashMap<String, i64>> = HashMap::new();
    let (first, last) = (period.first().to_string(), period.last().to_string());
    let zones: HashMap<String, Tz> = sites.iter().map(|s| (s.site_id.to_string(), s.timezone)).collect();
    // A few sites (a drill-down, a region) are named in the query, so that
    // the database skips the others' rows; the whole company reads them all.
    let named: Vec<String> =
        if sites.len() <= NAMED_SITES { sites.iter().map(|s| s.site_id.to_string()).collect() } else { Vec::new() };
    let only = |first: usize| match named.len() {
        0 => String::new(),
        n => format!(" AND {}", q::one_of("site_id", first, n)),
    };
    match period.month_key().filter(|_| over_everywhere) {
        Some(month) => {
            let sql = format!("SELECT site_id, metric, n FROM kpi_month WHERE month = ?1{}", only(2));
            let args: Vec<Cell> = std::iter::once(month).chain(named.iter().cloned()).map(Cell::Text).collect();
            for row in store.rows(&sql, &args)? {
                let [Cell::Text(site), Cell::Text(metric), n] = <[Cell; 3]>::try_from(row).unwrap_or_default() else {
                    continue;
                };
                if zones.contains_key(&site) {
                    *sums.entry(site).or_default().entry(metric).or_default() += n.int();
                }
            }
        }
        None => {
            let sql = format!("SELECT day, site_id, metric, n FROM kpi_day WHERE day BETWEEN ?1 AND ?2{}", only(3));
            let args: Vec<Cell> =
                [first.clone(), last.clone()].into_iter().chain(named.iter().cloned()).map(Cell::Text).collect();
            let mut today_of: HashMap<String, String> = HashMap::new();
            for row in store.rows(&sql, &args)? {
                let [Cell::Text(day), Cell::Text(site), Cell::Text(metric), n] =
                    <[Cell; 4]>::try_from(row).unwrap_or_default()
                else {
                    continue;
                };
                let Some(tz) = zones.get(&site) else { continue };
                if metric == m::DAILY_REPORTS {
                    // Days with a report: a day reported twice (two copies of a site, say) counts once.
                    if n.int() > 0 {
                        *sums.entry(site).or_default().entry(metric).or_default() += 1;
                    }
                    continue;
                }
                if m::DEADLINES.contains(&metric.as_str()) {
                    let today = today_of.entry(site.clone()).or_insert_with(|| today(*tz, now).to_string());
                    if day >= *today {
                        continue;
                    }
                }
                *sums.entry(site).or_default().entry(metric).or_default() += n.int();
            }
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
            let site_sums = sums.get(&key).unwrap_or(&empty);
            let sent = site_sums.get(m::DAILY_REPORTS).copied().unwrap_or(0).min(days);
            Figures::from_sums(Some(s.site_id), site_sums, s.households, days, sent)
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
pub fn majors_waiting<R: Records<Error = StoreError>>(store: &R) -> Result<HashMap<SiteId, MajorsWaiting>, StoreError> {
    let rows = store.rows(
        "SELECT site_id, count(*), min(sort) FROM projections WHERE kind = 'complaint' AND status = 'escalated'
         GROUP BY site_id",
        &[],
    )?;
    let mut out = HashMap::new();
    for row in rows {
        let [Cell::Text(site), count, oldest] = <[Cell; 3]>::try_from(row).unwrap_or_default() else { continue };
        let Ok(site) = site.parse::<SiteId>() else { continue };
        out.insert(
            site,
            MajorsWaiting {
                count: usize::try_from(count.int()).unwrap_or_default(),
                oldest: oldest.text().and_then(wuye_protocol::time::from_stored),
            },
        );
    }
    Ok(out)
}

/// The records of `kind` with one of `statuses` whose view's `field` (an
/// instant) is before `now`, counted by site; with `unless`, only those
/// whose view has no such field.
fn late<R: Records<Error = StoreError>>(
    store: &R,
    kind: &str,
    statuses: &[&str],
    field: &str,
    unless: Option<&str>,
    now: DateTime<Utc>,
) -> Result<HashMap<SiteId, usize>, StoreError> {
    let d = store.dialect();
    let mut sql = format!(
        "SELECT site_id, {} FROM projections WHERE kind = ?1 AND {}",
        d.field(field),
        q::one_of("status", 2, statuses.len())
    );
    if let Some(unless) = unless {
        sql += &format!(" AND {} IS NULL", d.field(unless));
    }
    let args: Vec<Cell> = std::iter::once(kind).chain(statuses.iter().copied()).map(q::text).collect();
    let mut out: HashMap<SiteId, usize> = HashMap::new();
    for row in store.rows(&sql, &args)? {
        let [Cell::Text(site), when] = <[Cell; 2]>::try_from(row).unwrap_or_default() else { continue };
        let late = when.text().and_then(|d| DateTime::parse_from_rfc3339(d).ok()).is_some_and(|d| now > d);
        if let (true, Ok(site)) = (late, site.parse::<SiteId>()) {
            *out.entry(site).or_default() += 1;
        }
    }
    Ok(out)
}

/// Every site's open work orders nobody reached by their deadline, now.
pub fn repairs_overdue<R: Records<Error = StoreError>>(
    store: &R,
    now: DateTime<Utc>,
) -> Result<HashMap<SiteId, usize>, StoreError> {
    late(store, "repair", &["reported", "dispatched"], "response_deadline", Some("arrived_at"), now)
}

/// A site's homes, keys and item-release slips as head office sees them:
/// 交付率 now, keys out and overdue now, slips of the period issued and refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estate {
    /// Houses in the register.
    pub houses: i64,
    /// … handed over (已交付 or later).
    pub handed_over: i64,
    /// 交付率, %.
    pub delivery_rate: Option<f64>,
    /// Move-in slips in progress.
    pub moveins_open: i64,
    /// Keys lent and not back.
    pub keys_out: i64,
    /// … past their due time.
    pub keys_overdue: i64,
    /// Item-release slips for the period's days.
    pub slips_issued: i64,
    /// … refused at the gate.
    pub slips_refused: i64,
}

impl Estate {
    /// Several sites together.
    pub fn total(all: &[Estate]) -> Estate {
        let mut t = Estate::default();
        for e in all {
            t.houses += e.houses;
            t.handed_over += e.handed_over;
            t.moveins_open += e.moveins_open;
            t.keys_out += e.keys_out;
            t.keys_overdue += e.keys_overdue;
            t.slips_issued += e.slips_issued;
            t.slips_refused += e.slips_refused;
        }
        t.delivery_rate = percent(t.handed_over, t.houses);
        t
    }
}

/// Every site's [`Estate`] for `period`, as of `now`.
pub fn estate<R: Records<Error = StoreError>>(
    store: &R,
    period: Period,
    now: DateTime<Utc>,
) -> Result<HashMap<SiteId, Estate>, StoreError> {
    let mut out: HashMap<SiteId, Estate> = HashMap::new();
    let by_status = store.rows(
        "SELECT site_id, kind, status, count(*) FROM projections
         WHERE kind IN ('house', 'move_in', 'key') GROUP BY site_id, kind, status",
        &[],
    )?;
    for row in by_status {
        let [Cell::Text(site), Cell::Text(kind), Cell::Text(status), n] =
            <[Cell; 4]>::try_from(row).unwrap_or_default()
        else {
            continue;
        };
        let Ok(site) = site.parse::<SiteId>() else { continue };
        let n = n.int();
        let e = out.entry(site).or_default();
        match (kind.as_str(), status.as_str()) {
            ("house", state) => {
                e.houses += n;
                if state != wuye_protocol::house::HouseState::NotHandedOver.as_str() {
                    e.handed_over += n;
                }
            }
            ("move_in", "in_progress") => e.moveins_open += n,
            ("key", "lent") => e.keys_out += n,
            _ => {}
        }
    }
    for (site, n) in late(store, "key", &["lent"], "due_back", None, now)? {
        out.entry(site).or_default().keys_overdue += n as i64;
    }
    let slips = store.rows(
        &format!(
            "SELECT site_id, status, count(*) FROM projections
             WHERE kind = 'release_slip' AND {} BETWEEN ?1 AND ?2 GROUP BY site_id, status",
            store.dialect().field("valid_on"),
        ),
        &[q::text(period.first().to_string()), q::text(period.last().to_string())],
    )?;
    for row in slips {
        let [Cell::Text(site), Cell::Text(status), n] = <[Cell; 3]>::try_from(row).unwrap_or_default() else {
            continue;
        };
        let Ok(site) = site.parse::<SiteId>() else { continue };
        let e = out.entry(site).or_default();
        e.slips_issued += n.int();
        if status == wuye_protocol::release::SlipStatus::Refused.as_str() {
            e.slips_refused += n.int();
        }
    }
    for e in out.values_mut() {
        e.delivery_rate = percent(e.handed_over, e.houses);
    }
    Ok(out)
}

/// Whether each site sent its daily report for `day`.
pub fn reported_on<R: Records<Error = StoreError>>(
    store: &R,
    day: NaiveDate,
) -> Result<std::collections::HashSet<SiteId>, StoreError> {
    let rows = store.rows(
        "SELECT site_id FROM kpi_day WHERE day = ?1 AND metric = ?2 AND n > 0",
        &[q::text(day.to_string()), q::text(m::DAILY_REPORTS)],
    )?;
    Ok(rows.into_iter().filter_map(|r| r.first().and_then(Cell::text).and_then(|s| s.parse().ok())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use wuye_protocol::complaint::{self, NewComplaint};
    use wuye_protocol::ids::{EventId, RecordId};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    /// A complaint at `site` received at `received`, due in 3 days, resolved
    /// after `hours` (if given) and visited with `score` the next day.
    fn complaint(store: &mut Store, site: SiteId, received: &str, resolved_after: Option<i64>, score: u8) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(received.len() as u64 + u64::from(score));
        let input = NewComplaint {
            customer: "张伟".into(),
            phone: String::new(),
            unit: "3栋501".into(),
            channel: wuye_protocol::rules::Channel::Phone,
            summary: "漏水".into(),
            category: "设施".into(),
            departments: vec![],
            major: false,
        };
        let t = at(received);
        let tz = chrono_tz::Asia::Shanghai;
        let mut doc =
            complaint::create(RecordId::random(&mut rng), site, tz, t, "客服员", EventId::random(&mut rng), &input)
                .unwrap();
        complaint::set_time_limits(&mut doc, t + Duration::days(1), t + Duration::days(3)).unwrap();
        if let Some(h) = resolved_after {
            complaint::resolve(&mut doc, EventId::random(&mut rng), t + Duration::hours(h), "客服员", "已修").unwrap();
            let visit = t + Duration::hours(h) + Duration::days(1);
            complaint::visit(&mut doc, EventId::random(&mut rng), visit, "客服员", score, "").unwrap();
        }
        store.insert_new(&mut doc).unwrap();
    }

    #[test]
    fn a_months_figures_count_what_happened_in_it_at_each_site_and_deadlines_only_once_over() {
        let mut store = Store::open_in_memory().unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let (a, b) = (SiteId::random(&mut rng), SiteId::random(&mut rng));
        // Site A in October (Asia/Shanghai days): three complaints, one resolved late, one on time, one open.
        complaint(&mut store, a, "2026-10-05T02:00:00Z", Some(10), 5);
        complaint(&mut store, a, "2026-10-10T02:00:00Z", Some(100), 2);
        complaint(&mut store, a, "2026-10-31T16:30:00Z", None, 0); // 00:30 on 1 November in Shanghai
        complaint(&mut store, b, "2026-10-12T02:00:00Z", Some(5), 4);
        let tz = chrono_tz::Asia::Shanghai;
        let basis = |site| SiteBasis { site_id: site, timezone: tz, households: Some(400) };
        let oct = Period::parse("2026-10").unwrap();
        let now = at("2026-11-29T02:00:00Z");
        // Read from the month's sums (October is over everywhere) and from the days: the same.
        let by_month = figures(&store, oct, &[basis(a), basis(b)], now).unwrap();
        let by_days = figures(&store, oct, &[basis(a), basis(b)], at("2026-11-01T00:00:00Z")).unwrap();
        for f in [&by_month[0], &by_days[0]] {
            assert_eq!(f.complaints, 2, "the third was received on 1 November, Shanghai time");
            assert_eq!((f.complaint_results_on_time, f.complaint_results_due), (1, 2));
            assert_eq!(f.complaint_timely, Some(50.0));
            assert_eq!((f.visits_satisfied, f.visits), (1, 2));
            assert_eq!(f.complaint_rate, Some(0.5));
        }
        assert_eq!(by_month[1].complaints, 1, "site B's own");
        // November, seen on 2 November: the open complaint is due on the 3rd, not yet over.
        let nov = Period::parse("2026-11").unwrap();
        let early = figures(&store, nov, &[basis(a)], at("2026-11-02T02:00:00Z")).unwrap();
        assert_eq!((early[0].complaints, early[0].complaint_results_due), (1, 0));
        let later = figures(&store, nov, &[basis(a)], at("2026-11-05T02:00:00Z")).unwrap();
        assert_eq!((later[0].complaint_results_on_time, later[0].complaint_results_due), (0, 1), "late now");
        let total = Figures::total(&by_month);
        assert_eq!((total.complaints, total.visits, total.households), (3, 3, Some(800)));
    }

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
