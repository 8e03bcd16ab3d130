//! The site's own settings: complaint categories, repair response deadlines,
//! and the dates of the summer duty schedule.

use serde::Serialize;
use wuye_node::{Store, StoreError};
use wuye_protocol::calendar::{self, DutyCalendar};
use wuye_protocol::complaint::DEFAULT_CATEGORIES;
use wuye_protocol::repair::{self, ResponseRules};

/// Most categories a site may define.
pub const MAX_CATEGORIES: usize = 50;

/// The site's settings as `settings show --json` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteSettings {
    /// Complaint categories (投诉类别).
    pub categories: Vec<String>,
    /// Emergency repairs: on site within this many minutes.
    pub emergency_minutes: i64,
    /// Normal repairs: within this many duty hours.
    pub normal_duty_hours: i64,
    /// A complaint's first reply: within this many duty hours (8: one duty day).
    pub complaint_reply_duty_hours: i64,
    /// A complaint's result: within this many duty hours (24: three duty days).
    pub complaint_result_duty_hours: i64,
    /// A major complaint's result: within this many duty hours.
    pub major_result_duty_hours: i64,
    /// First day of the summer schedule, MM-DD.
    pub summer_from: String,
    /// Last day of the summer schedule, MM-DD.
    pub summer_to: String,
    /// The port the web desk listens on.
    pub web_port: u16,
    /// Households (户数) the site serves, for the complaint rate; none until set.
    pub households: Option<u64>,
    /// A follow-up visit (回访) is due this many days after a complaint's
    /// result or a work order's completion.
    pub visit_within_days: i64,
    /// Item-release slips leave the working lists this many days after they close.
    pub slip_retention_days: i64,
    /// Keys lost or handed over leave the working lists this many days after.
    pub key_retention_days: i64,
    /// A resident who moved out has their personal details removed this many days after.
    pub resident_retention_days: i64,
    /// The move-in slip's stations (收楼流转单): their kinds, labels, order and
    /// who stamps each, as `kind:label:role,role;…`.
    pub movein_stations: Vec<wuye_protocol::movein::Station>,
    /// Arrears reach each level of chasing (催缴) this many days overdue: three rising numbers.
    pub chase_levels: [u32; 3],
    /// A move-in's fees station is stamped only when this many months of
    /// 物业费 from the handover are paid (0: not checked).
    pub movein_prepay_months: u32,
    /// The working hours renovations are allowed (装修施工时间), copied onto each application.
    pub renovation_hours: String,
    /// A renovation's deposit (装修押金), in fen.
    pub renovation_deposit: u64,
    /// A renovation's rubbish removal fee (装修垃圾清运费), in fen.
    pub renovation_rubbish_fee: u64,
    /// Each renovation pass's fee (出入证工本费), in fen.
    pub renovation_pass_fee: u64,
    /// The settings head office fixes for every site (公司统一设置), which
    /// this site may not change.
    pub set_by_company: Vec<String>,
}

/// A complaint's first reply unless the site sets otherwise: one duty day.
pub const COMPLAINT_REPLY_DUTY_HOURS: i64 = 8;
/// A complaint's result unless the site sets otherwise: three duty days.
pub const COMPLAINT_RESULT_DUTY_HOURS: i64 = 24;
/// A major complaint's result unless the site sets otherwise: one duty day.
pub const MAJOR_RESULT_DUTY_HOURS: i64 = 8;

/// A follow-up visit is due within this many days unless the site sets otherwise.
pub const VISIT_WITHIN_DAYS: i64 = 3;

/// Item-release slips are kept a year after they close (FORMS.md §7).
pub const SLIP_RETENTION_DAYS: i64 = 365;
/// Key records are kept two years after they close (FORMS.md §6).
pub const KEY_RETENTION_DAYS: i64 = 730;
/// A resident's personal details are kept a year after they move out unless set otherwise.
pub const RESIDENT_RETENTION_DAYS: i64 = wuye_protocol::company_settings::RESIDENT_RETENTION_DAYS as i64;

/// The web desk's port unless the site sets another.
pub const DEFAULT_WEB_PORT: u16 = 8080;

/// A setting that cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The value is wrong for its key.
    #[error("{0}")]
    Invalid(String),
    /// The person may not change settings.
    #[error(transparent)]
    Refused(#[from] wuye_protocol::rules::RuleError),
    /// Head office fixes this setting for every site.
    #[error("{0} is set by head office for every site (公司统一设置，管理处不能修改); ask head office to change it or to let sites set it")]
    Company(String),
}

/// Complaint categories written `卫生,噪音,其他` (or with full-width commas): 1 to
/// [`MAX_CATEGORIES`] of at most 50 characters, each once.
pub fn check_categories(value: &str) -> Result<Vec<String>, SettingsError> {
    let invalid = |why: String| SettingsError::Invalid(why);
    let list: Vec<&str> = value.split([',', '，']).map(str::trim).filter(|c| !c.is_empty()).collect();
    if list.is_empty() || list.len() > MAX_CATEGORIES || list.iter().any(|c| c.chars().count() > 50) {
        return Err(invalid(format!(
            "give 1 to {MAX_CATEGORIES} categories of at most 50 characters, separated by commas (e.g. 卫生,噪音,其他)"
        )));
    }
    for (i, c) in list.iter().enumerate() {
        wuye_protocol::rules::field_text("a category", c, 50, true).map_err(|e| invalid(e.to_string()))?;
        if list[..i].iter().any(|earlier| earlier.to_lowercase() == c.to_lowercase()) {
            return Err(invalid(format!(
                "the category '{c}' is given twice: each category once (e.g. 卫生,噪音,其他)"
            )));
        }
    }
    Ok(list.into_iter().map(str::to_string).collect())
}

/// A time limit (minutes or duty hours): a whole number from 1 to 10000.
pub fn check_limit(key: &str, value: &str) -> Result<i64, SettingsError> {
    value.trim().parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| {
        SettingsError::Invalid(format!(
            "{key} takes a whole number from 1 to 10000, not '{}'",
            wuye_protocol::text::echo(value)
        ))
    })
}

/// The company's settings as published to this site, if they were.
pub fn company_rules(store: &Store) -> Result<Option<wuye_protocol::company_settings::Rules>, StoreError> {
    use rusqlite::OptionalExtension;
    let json: Option<String> = store
        .conn()
        .query_row("SELECT view FROM projections WHERE kind = 'company_settings' ORDER BY sort DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(json
        .and_then(|j| serde_json::from_str::<wuye_protocol::company_settings::CompanySettings>(&j).ok())
        .map(|c| c.rules))
}

const KEYS: &str = "categories, emergency-minutes, normal-duty-hours, complaint-reply-duty-hours, \
                    complaint-result-duty-hours, major-result-duty-hours, summer, web-port, households, \
                    visit-within-days, slip-retention-days, key-retention-days, \
                    resident-retention-days, movein-stations, chase-levels, movein-prepay-months, \
                    renovation-hours, renovation-deposit, renovation-rubbish-fee, renovation-pass-fee";

/// Renovation work is allowed in these hours unless the site sets otherwise.
pub const RENOVATION_HOURS: &str = "08:00–12:00、14:00–18:00；周末及节假日不得进行噪音作业";
/// A renovation's deposit unless the site sets otherwise: ¥2,000.
pub const RENOVATION_DEPOSIT: u64 = 200_000;
/// A renovation's rubbish removal fee unless the site sets otherwise: ¥300.
pub const RENOVATION_RUBBISH_FEE: u64 = 30_000;
/// Each renovation pass's fee unless the site sets otherwise: ¥10.
pub const RENOVATION_PASS_FEE: u64 = 1_000;

/// An amount stored in fen, or the default.
fn fen_setting(stored: Option<String>, default: u64) -> u64 {
    stored.and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Arrears are chased at 15, 60 and 180 days overdue unless the site sets otherwise.
pub const CHASE_LEVELS: [u32; 3] = [15, 60, 180];
/// Half a year of 物业费 is paid at move-in unless the site sets otherwise.
pub const MOVEIN_PREPAY_MONTHS: u32 = 6;

/// Three rising day counts, `15,60,180`.
fn parse_levels(text: &str) -> Option<[u32; 3]> {
    let days: Vec<u32> = text.split([',', '，']).map(|d| d.trim().parse().ok()).collect::<Option<_>>()?;
    match days.as_slice() {
        [a, b, c] if 0 < *a && a < b && b < c && *c <= 3650 => Some([*a, *b, *c]),
        _ => None,
    }
}

fn month_day_text((month, day): (u32, u32)) -> String {
    format!("{month:02}-{day:02}")
}

fn month_day(text: &str) -> Option<(u32, u32)> {
    let (m, d) = text.trim().split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    chrono::NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

impl SiteSettings {
    /// Reads the settings, with the defaults for any not set.
    pub fn load(store: &Store) -> Result<Self, StoreError> {
        let company = company_rules(store)?;
        // A setting head office governs: its value, unless it lets sites set their own.
        let get = |key: &str| -> Result<Option<String>, StoreError> {
            match &company {
                Some(rules) if !rules.site_may(key) => Ok(rules.value(key)),
                Some(rules) => Ok(store.setting(&format!("site.{key}"))?.or_else(|| rules.value(key))),
                None => store.setting(&format!("site.{key}")),
            }
        };
        let mut settings = Self::from_values(get)?;
        settings.set_by_company = company
            .map(|rules| {
                wuye_protocol::company_settings::GOVERNED
                    .iter()
                    .filter(|k| !rules.site_may(k))
                    .map(|k| k.to_string())
                    .collect()
            })
            .unwrap_or_default();
        Ok(settings)
    }

    /// The settings a site has before anyone sets any.
    pub fn default_values() -> Self {
        Self::from_values(|_| Ok(None)).expect("no store is read")
    }

    /// The settings from their stored values (`get`), with the defaults for any not set.
    fn from_values(get: impl Fn(&str) -> Result<Option<String>, StoreError>) -> Result<Self, StoreError> {
        Ok(Self {
            categories: match get("categories")? {
                Some(list) => list.split(',').map(str::to_string).collect(),
                None => DEFAULT_CATEGORIES.iter().map(|c| c.to_string()).collect(),
            },
            emergency_minutes: get("emergency-minutes")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(repair::EMERGENCY_RESPONSE_MINUTES),
            normal_duty_hours: get("normal-duty-hours")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(repair::NORMAL_RESPONSE_DUTY_HOURS),
            summer_from: get("summer-from")?.unwrap_or_else(|| month_day_text(calendar::DEFAULT_SUMMER_FROM)),
            summer_to: get("summer-to")?.unwrap_or_else(|| month_day_text(calendar::DEFAULT_SUMMER_TO)),
            complaint_reply_duty_hours: get("complaint-reply-duty-hours")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(COMPLAINT_REPLY_DUTY_HOURS),
            complaint_result_duty_hours: get("complaint-result-duty-hours")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(COMPLAINT_RESULT_DUTY_HOURS),
            major_result_duty_hours: get("major-result-duty-hours")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(MAJOR_RESULT_DUTY_HOURS),
            web_port: get("web-port")?.and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_WEB_PORT),
            households: get("households")?.and_then(|v| v.parse().ok()),
            visit_within_days: get("visit-within-days")?.and_then(|v| v.parse().ok()).unwrap_or(VISIT_WITHIN_DAYS),
            slip_retention_days: get("slip-retention-days")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(SLIP_RETENTION_DAYS),
            key_retention_days: get("key-retention-days")?.and_then(|v| v.parse().ok()).unwrap_or(KEY_RETENTION_DAYS),
            resident_retention_days: get("resident-retention-days")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(RESIDENT_RETENTION_DAYS),
            movein_stations: get("movein-stations")?
                .and_then(|v| wuye_protocol::movein::parse_stations(&v).ok())
                .unwrap_or_else(wuye_protocol::movein::default_stations),
            chase_levels: get("chase-levels")?.and_then(|v| parse_levels(&v)).unwrap_or(CHASE_LEVELS),
            movein_prepay_months: get("movein-prepay-months")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(MOVEIN_PREPAY_MONTHS),
            renovation_hours: get("renovation-hours")?.unwrap_or_else(|| RENOVATION_HOURS.to_string()),
            renovation_deposit: fen_setting(get("renovation-deposit")?, RENOVATION_DEPOSIT),
            renovation_rubbish_fee: fen_setting(get("renovation-rubbish-fee")?, RENOVATION_RUBBISH_FEE),
            renovation_pass_fee: fen_setting(get("renovation-pass-fee")?, RENOVATION_PASS_FEE),
            set_by_company: Vec::new(),
        })
    }

    /// Checks that a person of `role` may change the site's settings (客服主管
    /// or 经理), then checks and stores one setting.
    pub fn set_by(
        store: &Store,
        role: Option<wuye_protocol::staff::Role>,
        key: &str,
        value: &str,
    ) -> Result<Self, SettingsError> {
        wuye_protocol::staff::may(role, wuye_protocol::staff::Guarded::Configure)?;
        Self::set(store, key, value)
    }

    /// Checks and stores one setting.
    pub fn set(store: &Store, key: &str, value: &str) -> Result<Self, SettingsError> {
        let invalid = |why: String| SettingsError::Invalid(why);
        let company_key = if key == "summer" { "summer-from" } else { key };
        if company_rules(store)?.is_some_and(|rules| !rules.site_may(company_key)) {
            return Err(SettingsError::Company(key.to_string()));
        }
        match key {
            "categories" => {
                let list = check_categories(value)?;
                store.set_setting("site.categories", &list.join(","))?;
            }
            "emergency-minutes"
            | "normal-duty-hours"
            | "complaint-reply-duty-hours"
            | "complaint-result-duty-hours"
            | "major-result-duty-hours" => {
                let n = check_limit(key, value)?;
                store.set_setting(&format!("site.{key}"), &n.to_string())?;
            }
            "visit-within-days" | "slip-retention-days" | "key-retention-days" | "resident-retention-days" => {
                let (range, what) = match key {
                    "visit-within-days" => (1..=30, "the days a follow-up visit is due within"),
                    _ => (30..=3650, "the days records are kept after they close"),
                };
                let n: i64 = value.trim().parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    invalid(format!(
                        "{key} takes {what}, {} to {}, not '{}'",
                        range.start(),
                        range.end(),
                        wuye_protocol::text::echo(value)
                    ))
                })?;
                store.set_setting(&format!("site.{key}"), &n.to_string())?;
            }
            "households" => {
                let n: u64 = value.trim().parse().ok().filter(|n| (1..=1_000_000).contains(n)).ok_or_else(|| {
                    invalid(format!(
                        "households takes the number of households (户数), 1 to 1000000, not '{}'",
                        wuye_protocol::text::echo(value)
                    ))
                })?;
                store.set_setting("site.households", &n.to_string())?;
            }
            "movein-stations" => {
                let stations = wuye_protocol::movein::parse_stations(value).map_err(|e| {
                    invalid(format!(
                        "movein-stations takes kind:label:roles;… for the six kinds documents, inspection, papers, \
                         fees, keys, gift (e.g. {}): {e}",
                        wuye_protocol::movein::stations_text(&wuye_protocol::movein::default_stations())
                    ))
                })?;
                store.set_setting("site.movein-stations", &wuye_protocol::movein::stations_text(&stations))?;
            }
            "chase-levels" => {
                let levels = parse_levels(value).ok_or_else(|| {
                    invalid(format!(
                        "chase-levels takes three rising day counts, like 15,60,180, not '{}'",
                        wuye_protocol::text::echo(value)
                    ))
                })?;
                store.set_setting("site.chase-levels", &format!("{},{},{}", levels[0], levels[1], levels[2]))?;
            }
            "movein-prepay-months" => {
                let n: u32 = value.trim().parse().ok().filter(|n| *n <= 24).ok_or_else(|| {
                    invalid(format!(
                        "movein-prepay-months takes the months of 物业费 paid at move-in, 0 to 24, not '{}'",
                        wuye_protocol::text::echo(value)
                    ))
                })?;
                store.set_setting("site.movein-prepay-months", &n.to_string())?;
            }
            "renovation-hours" => {
                let text = wuye_protocol::rules::field_text("renovation-hours", value, 200, true).map_err(|e| {
                    invalid(format!("renovation-hours takes the hours renovation work is allowed: {e}"))
                })?;
                store.set_setting("site.renovation-hours", &text)?;
            }
            "renovation-deposit" | "renovation-rubbish-fee" | "renovation-pass-fee" => {
                let fen = wuye_protocol::money::Fen::parse_yuan(value).ok().filter(|f| f.0 <= 100_000_000).ok_or_else(
                    || {
                        invalid(format!(
                            "{key} takes an amount in yuan, 0 to 1000000, like 2000, not '{}'",
                            wuye_protocol::text::echo(value)
                        ))
                    },
                )?;
                store.set_setting(&format!("site.{key}"), &fen.0.to_string())?;
            }
            "web-port" => {
                let port: u16 = value.trim().parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                    invalid(format!(
                        "web-port takes a port from 1 to 65535, not '{}'",
                        wuye_protocol::text::echo(value)
                    ))
                })?;
                store.set_setting("site.web-port", &port.to_string())?;
            }
            "summer" => {
                let (from, to) = value
                    .split_once("..")
                    .and_then(|(a, b)| Some((month_day(a)?, month_day(b)?)))
                    .filter(|(a, b)| a <= b)
                    .ok_or_else(|| {
                        invalid(format!(
                            "summer takes MM-DD..MM-DD, e.g. 05-01..09-30, not '{}'",
                            wuye_protocol::text::echo(value)
                        ))
                    })?;
                store.set_setting("site.summer-from", &format!("{:02}-{:02}", from.0, from.1))?;
                store.set_setting("site.summer-to", &format!("{:02}-{:02}", to.0, to.1))?;
            }
            other => {
                return Err(invalid(format!(
                    "unknown setting '{}': use one of {KEYS}",
                    wuye_protocol::text::echo(other)
                )))
            }
        }
        Ok(Self::load(store)?)
    }

    /// The duty calendar these settings describe.
    pub fn calendar(&self, tz: chrono_tz::Tz) -> DutyCalendar {
        let mut calendar = DutyCalendar::new(tz);
        if let (Some(from), Some(to)) = (month_day(&self.summer_from), month_day(&self.summer_to)) {
            calendar.summer_from = from;
            calendar.summer_to = to;
        }
        calendar
    }

    /// What head office reads of these settings (the synced site profile).
    pub fn profile(&self) -> wuye_protocol::site_profile::Profile {
        let hours = |h: i64| u64::try_from(h).unwrap_or_default();
        wuye_protocol::site_profile::Profile {
            households: self.households,
            categories: self.categories.clone(),
            emergency_minutes: hours(self.emergency_minutes),
            normal_duty_hours: hours(self.normal_duty_hours),
            complaint_reply_duty_hours: hours(self.complaint_reply_duty_hours),
            complaint_result_duty_hours: hours(self.complaint_result_duty_hours),
            major_result_duty_hours: hours(self.major_result_duty_hours),
            summer_from: self.summer_from.clone(),
            summer_to: self.summer_to.clone(),
            agent_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The repair response rules these settings describe.
    pub fn response_rules(&self) -> ResponseRules {
        ResponseRules { emergency_minutes: self.emergency_minutes, normal_duty_hours: self.normal_duty_hours }
    }
}
