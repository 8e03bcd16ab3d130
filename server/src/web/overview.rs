//! The overview (总览): every site in the person's scope with its figures for
//! a month or a week, sortable, with 数据截至 beside them; the alerts; the
//! trend of the last 12 months as charts; the exports.

use std::cmp::Ordering;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use wuye_app::kpi::{Figures, Period};
use wuye_app::AppError;

use super::chart::{self, Series};
use super::page::{self, Page};
use super::session::Signed;
use super::DashState;
use crate::figures::{Alert, Overview, SiteLine};
use crate::office::OfficeStore;

/// Months the trend shows.
pub const TREND_MONTHS: usize = 12;

/// What the overview is asked for.
#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    /// `2026-11` or `2026-W48`; this month when absent.
    #[serde(default)]
    pub period: String,
    /// The column to sort by.
    #[serde(default)]
    pub sort: String,
    /// Descending.
    #[serde(default)]
    pub desc: bool,
}

/// The period asked for, or this month at head office (China Standard Time).
pub fn period_or_now(text: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Period, AppError> {
    if text.trim().is_empty() {
        return Ok(Period::month_of(now.with_timezone(&crate::figures::DEFAULT_TIMEZONE).date_naive()));
    }
    Period::parse(text)
}

/// The columns the table sorts by, with how.
fn key(sort: &str, a: &SiteLine, b: &SiteLine) -> Ordering {
    let f = |l: &SiteLine| l.figures.clone();
    let opt = |x: Option<f64>, y: Option<f64>| x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    let (fa, fb) = (f(a), f(b));
    match sort {
        "complaints" => fa.complaints.cmp(&fb.complaints),
        "major" => a.majors_waiting.cmp(&b.majors_waiting),
        "rate" => opt(fa.complaint_rate, fb.complaint_rate),
        "timely" => opt(fa.complaint_timely, fb.complaint_timely),
        "visit" => opt(fa.visit_rate, fb.visit_rate),
        "satisfaction" => opt(fa.satisfaction, fb.satisfaction),
        "repairs" => fa.repairs.cmp(&fb.repairs),
        "emergency" => opt(fa.emergency_timely, fb.emergency_timely),
        "normal" => opt(fa.normal_timely, fb.normal_timely),
        "rework" => opt(fa.rework_rate, fb.rework_rate),
        "income" => fa.paid_income_fen.cmp(&fb.paid_income_fen),
        "reports" => opt(fa.daily_report_rate, fb.daily_report_rate),
        "as_of" => a.site.last_sync.cmp(&b.site.last_sync),
        _ => a.site.name.cmp(&b.site.name),
    }
}

/// A sortable column's header.
#[derive(Debug)]
pub struct Column {
    /// Its sort key.
    pub key: &'static str,
    /// Its words' key.
    pub word: &'static str,
}

/// The table's sortable columns, in order.
pub const COLUMNS: [Column; 14] = [
    Column { key: "site", word: "overview.site" },
    Column { key: "as_of", word: "overview.as_of" },
    Column { key: "complaints", word: "k.complaints" },
    Column { key: "rate", word: "k.rate" },
    Column { key: "timely", word: "k.timely" },
    Column { key: "major", word: "overview.majors" },
    Column { key: "visit", word: "k.visit_rate" },
    Column { key: "satisfaction", word: "k.satisfaction" },
    Column { key: "repairs", word: "k.repairs" },
    Column { key: "emergency", word: "k.emergency" },
    Column { key: "normal", word: "k.normal" },
    Column { key: "rework", word: "k.rework" },
    Column { key: "income", word: "k.income" },
    Column { key: "reports", word: "k.reports" },
];

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    page: Page,
    o: Overview,
    period: String,
    sort: String,
    desc: bool,
    columns: &'static [Column],
    chart_count: String,
    chart_rates: String,
    export_site: String,
}

impl OverviewPage {
    /// The link that sorts by `key` (the other way when it is the current one).
    fn sort_link(&self, key: &str) -> String {
        let desc = self.sort == key && !self.desc;
        format!("/?period={}&sort={key}&desc={desc}", wuye_web::show::url_encode(&self.period))
    }

    /// The arrow beside the current sort column.
    fn arrow(&self, key: &str) -> &'static str {
        match (self.sort == key, self.desc) {
            (true, true) => " ▼",
            (true, false) => " ▲",
            _ => "",
        }
    }

    fn alert_words(&self, alert: &Alert) -> (String, String, String) {
        let t = |k| page::word(self.page.lang, k);
        match alert {
            Alert::Offline { site_id, name, hours: Some(h) } => {
                (site_id.to_string(), name.clone(), format!("{}（{} h）", t("alerts.offline"), h))
            }
            Alert::Offline { site_id, name, hours: None } => {
                (site_id.to_string(), name.clone(), t("alerts.never").into())
            }
            Alert::MajorWaiting { site_id, name, count, hours } => {
                (site_id.to_string(), name.clone(), format!("{}：{count}（{hours} h）", t("alerts.major")))
            }
            Alert::RepairsOverdue { site_id, name, count } => {
                (site_id.to_string(), name.clone(), format!("{}：{count}", t("alerts.overdue")))
            }
            Alert::ReportMissing { site_id, name, date } => {
                (site_id.to_string(), name.clone(), format!("{}：{date}", t("alerts.report")))
            }
        }
    }
}

/// The charts of a trend: complaints by period, and the main shares.
pub fn trend_charts(lang: wuye_app::messages::Lang, trend: &[(Period, Figures)]) -> (String, String) {
    let labels: Vec<String> = trend.iter().map(|(p, _)| p.to_string()).collect();
    let t = |k| page::word(lang, k).to_string();
    let count = chart::line(
        &t("overview.trend_complaints"),
        &labels,
        &[
            Series {
                name: t("k.complaints"),
                colour: "#c0392b",
                values: trend.iter().map(|(_, f)| Some(f.complaints as f64)).collect(),
            },
            Series {
                name: t("k.repairs"),
                colour: "#2471a3",
                values: trend.iter().map(|(_, f)| Some(f.repairs as f64)).collect(),
            },
        ],
        None,
    );
    let rates = chart::line(
        &t("overview.trend_rates"),
        &labels,
        &[
            Series {
                name: t("k.timely"),
                colour: "#c0392b",
                values: trend.iter().map(|(_, f)| f.complaint_timely).collect(),
            },
            Series {
                name: t("k.satisfaction"),
                colour: "#1e8449",
                values: trend.iter().map(|(_, f)| f.satisfaction).collect(),
            },
            Series {
                name: t("k.normal"),
                colour: "#2471a3",
                values: trend.iter().map(|(_, f)| f.normal_timely).collect(),
            },
        ],
        Some(100.0),
    );
    (count, rates)
}

/// What the overview shows: the period, its overview, the trend.
type Shown = (Period, Overview, Vec<(Period, Figures)>);

/// The overview.
pub async fn show<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let user = signed.user.clone();
    let asked = q.period.clone();
    let result = state
        .with_office(move |hq| -> Result<Shown, AppError> {
            let period = period_or_now(&asked, hq.now())?;
            let overview = hq.overview(user.scope(), period).map_err(crate::office::OfficeError::into_app)?;
            let sites: Vec<_> = overview.lines.iter().map(|l| l.site.clone()).collect();
            let month = match period {
                Period::Month { .. } => period,
                Period::Week { .. } => Period::month_of(period.first()),
            };
            let trend = hq.trend(&sites, month, TREND_MONTHS).map_err(crate::office::OfficeError::into_app)?;
            Ok((period, overview, trend))
        })
        .await;
    let (period, mut o, trend) = match result {
        Ok(found) => found,
        Err(e) => return signed.error(&e),
    };
    let sort = if COLUMNS.iter().any(|c| c.key == q.sort) { q.sort.clone() } else { "site".to_string() };
    o.lines.sort_by(|a, b| {
        let order = key(&sort, a, b);
        if q.desc {
            order.reverse()
        } else {
            order
        }
    });
    let (chart_count, chart_rates) = trend_charts(signed.lang, &trend);
    let page = signed.page("overview", page::word(signed.lang, "overview.title"));
    page::html(
        OverviewPage {
            page,
            o,
            period: period.to_string(),
            sort,
            desc: q.desc,
            columns: &COLUMNS,
            chart_count,
            chart_rates,
            export_site: String::new(),
        }
        .render(),
    )
}
