//! What head office sees of its sites at a glance: every site in a person's
//! scope with its figures for a period (`wuye_app::kpi`, the code the sites
//! use), when its data was last synced (数据截至), the alerts, and the trend.
//! The dashboard, the command line and the exports all read it from here.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use wuye_app::fees::{self, Books, Money};
use wuye_app::kpi::{self, Estate, Figures, Period, SiteBasis};
use wuye_app::renovations::{self, Works};
use wuye_protocol::ids::SiteId;
use wuye_protocol::renovation::Renovation;
use wuye_protocol::site_profile::SiteProfile;
use wuye_protocol::time;

use crate::office::{HeadOffice, OfficeError};

/// The time zone of a site that has not sent its profile yet.
pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Asia::Shanghai;

/// A site not synced for longer than this is alerted.
pub const OFFLINE_ALERT_HOURS: i64 = 24;
/// A major complaint waiting for a decision longer than this is alerted.
pub const MAJOR_WAIT_ALERT_HOURS: i64 = 24;

/// A site as the figures need it.
#[derive(Debug, Clone, Serialize)]
pub struct SiteBrief {
    /// Its id.
    pub site_id: SiteId,
    /// Its name.
    pub name: String,
    /// When its last sync completed (数据截至).
    pub last_sync: Option<DateTime<Utc>>,
    /// Revoked sites keep their records but are not expected to sync.
    pub revoked: bool,
    /// What it says of itself, once it has synced its profile.
    pub profile: Option<SiteProfile>,
}

impl SiteBrief {
    /// Its time zone (Asia/Shanghai until its profile says).
    pub fn timezone(&self) -> Tz {
        self.profile.as_ref().and_then(|p| p.timezone.parse().ok()).unwrap_or(DEFAULT_TIMEZONE)
    }

    /// 数据截至 in the site's time, to the minute.
    pub fn as_of(&self) -> Option<String> {
        self.last_sync.map(|t| time::to_site(t, self.timezone()).minute(self.timezone()))
    }

    fn basis(&self) -> SiteBasis {
        SiteBasis {
            site_id: self.site_id,
            timezone: self.timezone(),
            households: self.profile.as_ref().and_then(|p| p.profile.households),
        }
    }
}

/// One site's line in the overview.
#[derive(Debug, Clone, Serialize)]
pub struct SiteLine {
    /// The site.
    pub site: SiteBrief,
    /// Its figures for the period.
    pub figures: Figures,
    /// Major complaints waiting for a decision now.
    pub majors_waiting: usize,
    /// Hours the oldest of them has waited.
    pub longest_wait_hours: Option<i64>,
    /// Open work orders past their deadline now.
    pub repairs_overdue: usize,
    /// Its homes, keys and item-release slips.
    pub estate: Estate,
    /// Its fees, payments and arrears for the period (`docs/KPI.md`).
    pub money: Money,
    /// Its renovations now (`docs/KPI.md`).
    pub works: Works,
}

/// Something head office should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alert {
    /// Not synced for more than a day (or never).
    Offline {
        /// The site.
        site_id: SiteId,
        /// Its name.
        name: String,
        /// Hours since its last sync; none if it never synced.
        hours: Option<i64>,
    },
    /// Major complaints waiting for a decision more than 24 hours.
    MajorWaiting {
        /// The site.
        site_id: SiteId,
        /// Its name.
        name: String,
        /// How many wait.
        count: usize,
        /// Hours the oldest has waited.
        hours: i64,
    },
    /// Work orders nobody reached by their deadline.
    RepairsOverdue {
        /// The site.
        site_id: SiteId,
        /// Its name.
        name: String,
        /// How many.
        count: usize,
    },
    /// Yesterday's daily report has not arrived.
    ReportMissing {
        /// The site.
        site_id: SiteId,
        /// Its name.
        name: String,
        /// The day, in the site's time.
        date: String,
    },
}

/// The overview of a period for a person's sites.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// The period.
    pub period: String,
    /// Each site, in the order sites were registered.
    pub lines: Vec<SiteLine>,
    /// All of them together.
    pub total: Figures,
    /// Their homes, keys and slips together.
    pub estate: Estate,
    /// All sites' fees together.
    pub money: Money,
    /// All sites' renovations together.
    pub works: Works,
    /// What to look at now.
    pub alerts: Vec<Alert>,
}

/// What an export of a period holds for its sites: their figures, their
/// homes, keys and slips, and the totals.
#[derive(Debug, Clone)]
pub struct Book {
    /// The sites, in the order sites were registered.
    pub sites: Vec<SiteBrief>,
    /// Each site's figures.
    pub figures: Vec<Figures>,
    /// All of them together.
    pub total: Figures,
    /// Each site's homes, keys and slips.
    pub estates: Vec<Estate>,
    /// All of them together.
    pub estate: Estate,
    /// Each site's fees, in `sites`' order.
    pub money: Vec<Money>,
    /// All sites' fees together.
    pub money_total: Money,
    /// Each site's renovations now, in `sites`' order.
    pub works: Vec<Works>,
    /// All sites' renovations together.
    pub works_total: Works,
    /// The period.
    pub period: Period,
    /// When it was read (arrears are as of the period's end or this, whichever is earlier).
    pub now: DateTime<Utc>,
}

impl<S: crate::office::OfficeStore> HeadOffice<S> {
    /// The registered sites `scope` allows (every site when `None`), with their profiles.
    pub fn site_briefs(&self, scope: Option<&[SiteId]>) -> Result<Vec<SiteBrief>, OfficeError> {
        let all = self.store.list::<SiteProfile>(&wuye_node::Filter::default(), &wuye_node::Page::all())?;
        let mut profiles: HashMap<SiteId, SiteProfile> = all.items.into_iter().map(|p| (p.site_id, p)).collect();
        let mut out = Vec::new();
        for row in self.store.site_rows(None)? {
            let Ok(site_id) = row.id.parse::<SiteId>() else { continue };
            if scope.is_some_and(|s| !s.contains(&site_id)) {
                continue;
            }
            out.push(SiteBrief {
                site_id,
                name: row.name,
                last_sync: row.last_sync_at.as_deref().and_then(time::from_stored),
                revoked: row.revoked_at.is_some(),
                profile: profiles.remove(&site_id),
            });
        }
        Ok(out)
    }

    /// What an export of `period` holds for the sites `scope` allows.
    pub fn book(&self, scope: Option<&[SiteId]>, period: Period) -> Result<Book, OfficeError> {
        let sites = self.site_briefs(scope)?;
        let figures = self.figures_of(&sites, period)?;
        let mut all = kpi::estate(&self.store, period, self.now())?;
        let estates: Vec<Estate> = sites.iter().map(|s| all.remove(&s.site_id).unwrap_or_default()).collect();
        let money = self.money_of(&sites, period)?;
        let works = self.works_of(&sites)?;
        Ok(Book {
            total: Figures::total(&figures),
            estate: Estate::total(&estates),
            money_total: Money::total(&money),
            works_total: Works::total(&works),
            works,
            sites,
            figures,
            estates,
            money,
            period,
            now: self.now(),
        })
    }

    /// Every site's fee figures for `period` in `sites`' order, from the bills
    /// and payments synced, by the code the sites use ([`wuye_app::fees`]).
    pub fn money_of(&self, sites: &[SiteBrief], period: Period) -> Result<Vec<Money>, OfficeError> {
        let now = self.now();
        let mut out = Vec::with_capacity(sites.len());
        for site in sites {
            let books = Books::load(&self.store, Some(site.site_id))?;
            let today = now.with_timezone(&site.timezone()).date_naive();
            out.push(fees::money(&books, period.first(), period.last(), today));
        }
        Ok(out)
    }

    /// Every site's renovations now in `sites`' order, from the renovations,
    /// bills and payments synced, by the code the sites use ([`wuye_app::renovations`]).
    pub fn works_of(&self, sites: &[SiteBrief]) -> Result<Vec<Works>, OfficeError> {
        let now = self.now();
        let mut out = Vec::with_capacity(sites.len());
        for site in sites {
            let all: Vec<Renovation> = self.store.all(Some(site.site_id))?;
            let today = now.with_timezone(&site.timezone()).date_naive();
            let books = if all.is_empty() { Books::default() } else { Books::load(&self.store, Some(site.site_id))? };
            out.push(renovations::works(&all, &books, today));
        }
        Ok(out)
    }

    /// Every site's figures for `period` in `sites`' order.
    pub fn figures_of(&self, sites: &[SiteBrief], period: Period) -> Result<Vec<Figures>, OfficeError> {
        let basis: Vec<SiteBasis> = sites.iter().map(SiteBrief::basis).collect();
        Ok(kpi::figures(&self.store, period, &basis, self.now())?)
    }

    /// The overview of `period` for the sites `scope` allows.
    pub fn overview(&self, scope: Option<&[SiteId]>, period: Period) -> Result<Overview, OfficeError> {
        let now = self.now();
        let sites = self.site_briefs(scope)?;
        let figures = self.figures_of(&sites, period)?;
        let majors = kpi::majors_waiting(&self.store)?;
        let overdue = kpi::repairs_overdue(&self.store, now)?;
        let mut estates = kpi::estate(&self.store, period, now)?;
        let mut money = self.money_of(&sites, period)?.into_iter();
        let mut works = self.works_of(&sites)?.into_iter();
        let mut reported: HashMap<chrono::NaiveDate, std::collections::HashSet<SiteId>> = HashMap::new();
        let mut alerts = Vec::new();
        let mut lines = Vec::with_capacity(sites.len());
        for (site, figures) in sites.into_iter().zip(figures) {
            let waiting = majors.get(&site.site_id);
            let longest = waiting.and_then(|w| w.oldest).map(|t| (now - t).num_hours());
            let late = overdue.get(&site.site_id).copied().unwrap_or(0);
            let (id, name) = (site.site_id, site.name.clone());
            if !site.revoked {
                let hours = site.last_sync.map(|t| (now - t).num_hours());
                if hours.is_none_or(|h| h > OFFLINE_ALERT_HOURS) {
                    alerts.push(Alert::Offline { site_id: id, name: name.clone(), hours });
                }
                let yesterday = now.with_timezone(&site.timezone()).date_naive() - Duration::days(1);
                let sent = match reported.entry(yesterday) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => e.insert(kpi::reported_on(&self.store, yesterday)?),
                };
                if site.last_sync.is_some() && !sent.contains(&id) {
                    alerts.push(Alert::ReportMissing { site_id: id, name: name.clone(), date: yesterday.to_string() });
                }
            }
            if let (Some(w), Some(hours)) = (waiting, longest) {
                if hours > MAJOR_WAIT_ALERT_HOURS {
                    alerts.push(Alert::MajorWaiting { site_id: id, name: name.clone(), count: w.count, hours });
                }
            }
            if late > 0 {
                alerts.push(Alert::RepairsOverdue { site_id: id, name, count: late });
            }
            lines.push(SiteLine {
                site,
                figures,
                majors_waiting: waiting.map_or(0, |w| w.count),
                longest_wait_hours: longest,
                repairs_overdue: late,
                estate: estates.remove(&id).unwrap_or_default(),
                money: money.next().unwrap_or_default(),
                works: works.next().unwrap_or_default(),
            });
        }
        let all: Vec<Figures> = lines.iter().map(|l| l.figures.clone()).collect();
        let estate = Estate::total(&lines.iter().map(|l| l.estate.clone()).collect::<Vec<_>>());
        let money = Money::total(&lines.iter().map(|l| l.money.clone()).collect::<Vec<_>>());
        let works = Works::total(&lines.iter().map(|l| l.works.clone()).collect::<Vec<_>>());
        Ok(Overview { period: period.to_string(), lines, total: Figures::total(&all), estate, money, works, alerts })
    }

    /// The figures of the `n` periods ending with `period`, for the sites
    /// given together: the trend the overview and a site's page draw.
    pub fn trend(&self, sites: &[SiteBrief], period: Period, n: usize) -> Result<Vec<(Period, Figures)>, OfficeError> {
        period.trailing(n).into_iter().map(|p| Ok((p, Figures::total(&self.figures_of(sites, p)?)))).collect()
    }
}
