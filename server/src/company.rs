//! Company-wide settings (公司统一设置): head office publishes complaint
//! categories and time limits to every site, as one `company_settings`
//! document per site that goes down with the site's records; a site reads
//! them and may set its own value only where head office allows. A site
//! registered later gets the settings in force.

use std::collections::HashMap;

use wuye_app::settings::{check_categories, check_limit, SettingsError};
use wuye_app::AppError;
use wuye_protocol::company_settings::{self, CompanySettings, Rules, GOVERNED};
use wuye_protocol::ids::{RecordId, SiteId};

use crate::office::{HeadOffice, OfficeError};
use crate::people::{Act, Actor};

/// Head office's setting holding the rules in force (JSON).
pub(crate) const RULES_SETTING: &str = "company_rules";

/// What `settings publish` changes: each given value replaces the one in force.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Categories, `卫生,噪音,其他`.
    pub categories: Option<String>,
    /// Time limits by the site settings' key (`complaint-result-duty-hours`, …).
    pub limits: Vec<(String, String)>,
    /// The keys sites may set for themselves (replacing the list in force).
    pub site_may_set: Option<String>,
}

/// The rules before head office published any: the sites' own defaults, every key governed.
pub fn default_rules() -> Rules {
    let d = wuye_app::settings::SiteSettings::default_values();
    let hours = |n: i64| u64::try_from(n).unwrap_or_default();
    Rules {
        categories: d.categories,
        complaint_reply_duty_hours: hours(d.complaint_reply_duty_hours),
        complaint_result_duty_hours: hours(d.complaint_result_duty_hours),
        major_result_duty_hours: hours(d.major_result_duty_hours),
        emergency_minutes: hours(d.emergency_minutes),
        normal_duty_hours: hours(d.normal_duty_hours),
        resident_retention_days: hours(d.resident_retention_days),
        site_may_set: Vec::new(),
    }
}

fn invalid(e: SettingsError) -> OfficeError {
    match e {
        SettingsError::Store(e) => OfficeError::Store(e),
        other => OfficeError::Invalid(other.to_string()),
    }
}

fn apply(mut rules: Rules, changes: &Changes) -> Result<Rules, OfficeError> {
    if let Some(categories) = &changes.categories {
        rules.categories = check_categories(categories).map_err(invalid)?;
    }
    for (key, value) in &changes.limits {
        if key == "resident-retention-days" {
            rules.resident_retention_days = value.trim().parse().ok().filter(|n| (30..=3650).contains(n)).ok_or_else(|| {
                OfficeError::Invalid(format!(
                    "resident-retention-days takes the days a moved-out resident's details are kept, 30 to 3650, not '{}'",
                    wuye_protocol::text::echo(value)
                ))
            })?;
            continue;
        }
        let n = u64::try_from(check_limit(key, value).map_err(invalid)?).unwrap_or_default();
        match key.as_str() {
            "complaint-reply-duty-hours" => rules.complaint_reply_duty_hours = n,
            "complaint-result-duty-hours" => rules.complaint_result_duty_hours = n,
            "major-result-duty-hours" => rules.major_result_duty_hours = n,
            "emergency-minutes" => rules.emergency_minutes = n,
            "normal-duty-hours" => rules.normal_duty_hours = n,
            other => return Err(OfficeError::Invalid(format!("'{other}' is not a time limit head office sets"))),
        }
    }
    if let Some(keys) = &changes.site_may_set {
        let keys: Vec<String> =
            keys.split([',', '，']).map(str::trim).filter(|k| !k.is_empty()).map(String::from).collect();
        if let Some(wrong) = keys.iter().find(|k| !GOVERNED.contains(&k.as_str())) {
            return Err(OfficeError::Invalid(format!(
                "'{wrong}' is not a setting head office governs: use some of {}",
                GOVERNED.join(", ")
            )));
        }
        rules.site_may_set = keys;
    }
    Ok(rules)
}

impl<S: crate::office::OfficeStore> HeadOffice<S> {
    /// The company's settings in force, if head office published any.
    pub fn company_rules(&self) -> Result<Option<Rules>, OfficeError> {
        Ok(self.store.setting(RULES_SETTING)?.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Publishes the company's settings with `changes` to every site; returns them.
    pub fn publish_rules(&mut self, by: &Actor, changes: &Changes) -> Result<Rules, OfficeError> {
        by.may(Act::Publish)?;
        let rules = apply(self.company_rules()?.unwrap_or_else(default_rules), changes)?;
        let json = serde_json::to_string(&rules).expect("rules serialize");
        self.store.set_setting(RULES_SETTING, &json)?;
        let held = self.company_docs()?;
        for site in self.site_ids()? {
            self.publish_to(site, held.get(&site).copied(), &rules, &by.signature())?;
        }
        self.record_action(by, "settings publish", &json)?;
        Ok(rules)
    }

    /// Gives a newly registered site the settings in force, if any.
    pub(crate) fn publish_to_new(&mut self, site: SiteId) -> Result<(), OfficeError> {
        if let Some(rules) = self.company_rules()? {
            self.publish_to(site, None, &rules, "总部")?;
        }
        Ok(())
    }

    /// Each site's company-settings document.
    fn company_docs(&self) -> Result<HashMap<SiteId, RecordId>, OfficeError> {
        let mut out = HashMap::new();
        let all = self.store.list::<CompanySettings>(&wuye_node::Filter::default(), &wuye_node::Page::all())?;
        for c in all.items {
            out.insert(c.site_id, c.id);
        }
        Ok(out)
    }

    fn publish_to(&mut self, site: SiteId, held: Option<RecordId>, rules: &Rules, by: &str) -> Result<(), OfficeError> {
        let now = self.now();
        match held {
            Some(id) => {
                self.store.edit_with(id, &mut |doc| company_settings::update_company_settings(doc, now, by, rules))?;
            }
            None => {
                let tz =
                    self.site_briefs(Some(&[site]))?.pop().map_or(crate::figures::DEFAULT_TIMEZONE, |b| b.timezone());
                let id = self.new_record_id();
                let mut doc =
                    company_settings::new_company_settings(id, site, tz, now, by, rules).map_err(AppError::from)?;
                self.store.insert_batch(std::slice::from_mut(&mut doc))?;
            }
        }
        Ok(())
    }
}
