//! A site's page (drill-down: its figures, trend and records of the period)
//! and sync health (every site's last sync, what waits to go down, days
//! offline, agent version, credential; revoke and reissue for an administrator).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use wuye_app::kpi::{self, Estate, Figures, Period};
use wuye_app::AppError;
use wuye_node::Page as Rows;
use wuye_protocol::complaint::Complaint;
use wuye_protocol::handover::ShiftHandover;
use wuye_protocol::ids::SiteId;
use wuye_protocol::key::{Key, KeyStatus};
use wuye_protocol::kind::Kind;
use wuye_protocol::movein::MoveIn;
use wuye_protocol::release::ReleaseSlip;
use wuye_protocol::repair::Repair;

use super::overview::{period_or_now, trend_charts, OverviewQuery, TREND_MONTHS};
use super::page::{self, Page};
use super::session::Signed;
use super::DashState;
use crate::figures::SiteBrief;
use crate::office::OfficeStore;
use crate::office::{OfficeError, SiteInfo};

/// Records of each kind a site's page lists (the rest are in the exports).
pub const SITE_PAGE_RECORDS: usize = 100;

#[derive(Template)]
#[template(path = "site.html")]
struct SitePage {
    page: Page,
    site: SiteBrief,
    period: String,
    f: Figures,
    complaints: Vec<Complaint>,
    repairs: Vec<Repair>,
    office: OfficeRecords,
    chart_count: String,
    chart_rates: String,
    export_site: String,
}

/// The site's homes, keys, item-release slips and shift handovers as head office lists them.
#[derive(Debug, Default)]
struct OfficeRecords {
    estate: Estate,
    moveins: Vec<MoveIn>,
    keys_out: Vec<(Key, bool)>,
    slips: Vec<ReleaseSlip>,
    handovers: Vec<ShiftHandover>,
}

/// What a site's page shows.
type SiteView = (SiteBrief, Period, Figures, Vec<Complaint>, Vec<Repair>, OfficeRecords, Vec<(Period, Figures)>);

/// A site's page.
pub async fn show<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
    Query(q): Query<OverviewQuery>,
) -> Response {
    let actor = signed.actor();
    let asked = q.period.clone();
    let result = state
        .with_office(move |hq| -> Result<SiteView, AppError> {
            let site: SiteId = hq.site(&id).map_err(OfficeError::into_app)?;
            actor.may_see(site)?;
            let period = period_or_now(&asked, hq.now())?;
            let brief = hq
                .site_briefs(Some(&[site]))
                .map_err(OfficeError::into_app)?
                .pop()
                .ok_or_else(|| AppError::UnknownSite(site.to_string()))?;
            let one = std::slice::from_ref(&brief);
            let figures = hq.figures_of(one, period).map_err(OfficeError::into_app)?.pop().unwrap_or_default();
            let days = wuye_app::lists::ListFilter {
                from: Some(period.first()),
                to: Some(period.last()),
                ..wuye_app::lists::ListFilter::default()
            };
            let filter = days.for_store(Some(site), brief.timezone());
            let newest = Rows { limit: Some(SITE_PAGE_RECORDS), after: None, newest_first: true };
            let complaints: Vec<Complaint> =
                hq.store.list::<Complaint>(&filter, &newest)?.items.into_iter().map(Kind::at_head_office).collect();
            let repairs = hq.store.list::<Repair>(&filter, &newest)?.items;
            let now = hq.now();
            let everything = wuye_node::Filter { site: Some(site), ..wuye_node::Filter::default() };
            let lent = wuye_node::Filter { statuses: vec![KeyStatus::Lent.as_str().into()], ..everything.clone() };
            let office = OfficeRecords {
                estate: kpi::estate(&hq.store, period, now)?.remove(&site).unwrap_or_default(),
                moveins: hq.store.list::<MoveIn>(&everything, &newest)?.items,
                keys_out: hq
                    .store
                    .list::<Key>(&lent, &Rows::all())?
                    .items
                    .into_iter()
                    .map(|k| (k.is_overdue(now), k))
                    .map(|(late, k)| (k, late))
                    .collect(),
                slips: hq.store.list::<ReleaseSlip>(&filter, &newest)?.items,
                handovers: hq.store.list::<ShiftHandover>(&filter, &newest)?.items,
            };
            let month = Period::month_of(period.first());
            let trend = hq.trend(one, month, TREND_MONTHS).map_err(OfficeError::into_app)?;
            Ok((brief, period, figures, complaints, repairs, office, trend))
        })
        .await;
    let (site, period, f, complaints, repairs, office, trend) = match result {
        Ok(found) => found,
        Err(e) => return signed.error(&e),
    };
    let (chart_count, chart_rates) = trend_charts(signed.lang, &trend);
    let page = signed.page("overview", format!("{} · {}", page::word(signed.lang, "site.title"), site.name));
    let export_site = format!("&site={}", site.site_id);
    page::html(
        SitePage {
            page,
            site,
            period: period.to_string(),
            f,
            complaints,
            repairs,
            office,
            chart_count,
            chart_rates,
            export_site,
        }
        .render(),
    )
}

/// One site's line in sync health.
#[derive(Debug)]
pub struct HealthLine {
    /// What head office knows of the site and its credential.
    pub info: SiteInfo,
    /// Whole days since its last sync.
    pub days_offline: Option<i64>,
    /// The agent's version, from its own report (or its profile, from older agents).
    pub version: String,
}

impl HealthLine {
    /// The disk's free space at the site, as people read it: `12.3 GB`.
    pub fn disk_free(&self) -> String {
        match self.info.agent.as_ref().and_then(|a| a.disk_free_bytes) {
            Some(b) if b >= 1 << 30 => format!("{:.1} GB", b as f64 / f64::from(1u32 << 30)),
            Some(b) => format!("{} MB", b >> 20),
            None => "—".into(),
        }
    }

    /// Whether the site's disk is nearly full (under 1 GB free).
    pub fn disk_low(&self) -> bool {
        self.info.agent.as_ref().and_then(|a| a.disk_free_bytes).is_some_and(|b| b < 1 << 30)
    }
}

#[derive(Template)]
#[template(path = "health.html")]
struct HealthPage {
    page: Page,
    lines: Vec<HealthLine>,
    notice: Option<String>,
    code: Option<(String, String)>,
}

async fn health_view<S: OfficeStore>(
    state: &DashState<S>,
    signed: &Signed,
    notice: Option<String>,
    code: Option<(String, String)>,
) -> Response {
    let user = signed.user.clone();
    let result = state
        .with_office(move |hq| -> Result<Vec<HealthLine>, OfficeError> {
            let versions: std::collections::HashMap<SiteId, String> = hq
                .site_briefs(user.scope())?
                .into_iter()
                .filter_map(|b| Some((b.site_id, b.profile?.profile.agent_version)))
                .collect();
            Ok(hq
                .sites()?
                .into_iter()
                .filter(|s| user.sees(s.site_id))
                .map(|info| HealthLine {
                    days_offline: info.seconds_since_sync.map(|s| s / 86_400),
                    version: info
                        .agent
                        .as_ref()
                        .map(|a| a.version.clone())
                        .or_else(|| versions.get(&info.site_id).cloned())
                        .unwrap_or_default(),
                    info,
                })
                .collect())
        })
        .await;
    match result {
        Ok(lines) => {
            let page = signed.page("sync", page::word(signed.lang, "sync.title"));
            page::html(HealthPage { page, lines, notice, code }.render())
        }
        Err(e) => signed.error(&e.into_app()),
    }
}

/// Sync health.
pub async fn health<S: OfficeStore>(State(state): State<DashState<S>>, signed: Signed) -> Response {
    health_view(&state, &signed, None, None).await
}

/// An administrator revokes a site.
pub async fn revoke<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let actor = signed.actor();
    match state.with_office(move |hq| hq.revoke_site(&actor, &id)).await {
        Ok(_) => health_view(&state, &signed, Some(page::word(signed.lang, "sync.revoked").into()), None).await,
        Err(e) => signed.error(&e.into_app()),
    }
}

/// An administrator issues a site a new enrollment code (its old credential stops working).
pub async fn rotate<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let actor = signed.actor();
    match state.with_office(move |hq| hq.rotate_site(&actor, &id)).await {
        Ok(new) => health_view(&state, &signed, None, Some((new.site_id.to_string(), new.code))).await,
        Err(e) => signed.error(&e.into_app()),
    }
}
