//! Company-wide settings (公司统一设置): what head office publishes to every
//! site (complaint categories, time limits), as one document per site so
//! that it goes down with that site's records. Head office writes it; a site
//! only reads it, and may set its own value only for the keys head office
//! allows (`site_may_set`).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ScalarValue, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::RuleError;
use crate::time;

/// Most characters of the categories, joined.
const MAX_CATEGORIES_CHARS: usize = 5_000;

/// The settings head office governs, by the name the site's settings use.
pub const GOVERNED: [&str; 7] = [
    "categories",
    "complaint-reply-duty-hours",
    "complaint-result-duty-hours",
    "major-result-duty-hours",
    "emergency-minutes",
    "normal-duty-hours",
    "resident-retention-days",
];

/// How long a moved-out resident's details are kept unless head office says otherwise.
pub const RESIDENT_RETENTION_DAYS: u64 = 365;

fn resident_retention_days() -> u64 {
    RESIDENT_RETENTION_DAYS
}

/// What head office publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Complaint categories (投诉类别) every site uses.
    pub categories: Vec<String>,
    /// A complaint's first reply: within this many duty hours.
    pub complaint_reply_duty_hours: u64,
    /// A complaint's result: within this many duty hours.
    pub complaint_result_duty_hours: u64,
    /// A major complaint's result: within this many duty hours.
    pub major_result_duty_hours: u64,
    /// Emergency repairs: on site within this many minutes.
    pub emergency_minutes: u64,
    /// Normal repairs: within this many duty hours.
    pub normal_duty_hours: u64,
    /// A moved-out resident's personal details are removed this many days after.
    #[serde(default = "resident_retention_days")]
    pub resident_retention_days: u64,
    /// The keys of [`GOVERNED`] a site may set for itself.
    pub site_may_set: Vec<String>,
}

impl Rules {
    /// The value head office gives `key`, as the site's settings write it.
    pub fn value(&self, key: &str) -> Option<String> {
        Some(match key {
            "categories" => self.categories.join(","),
            "complaint-reply-duty-hours" => self.complaint_reply_duty_hours.to_string(),
            "complaint-result-duty-hours" => self.complaint_result_duty_hours.to_string(),
            "major-result-duty-hours" => self.major_result_duty_hours.to_string(),
            "emergency-minutes" => self.emergency_minutes.to_string(),
            "normal-duty-hours" => self.normal_duty_hours.to_string(),
            "resident-retention-days" => self.resident_retention_days.to_string(),
            _ => return None,
        })
    }

    /// Whether a site may set `key` itself.
    pub fn site_may(&self, key: &str) -> bool {
        !GOVERNED.contains(&key) || self.site_may_set.iter().any(|k| k == key)
    }
}

/// The company's settings as a site holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySettings {
    /// The record id.
    pub id: RecordId,
    /// The site it was published to.
    pub site_id: SiteId,
    /// What head office publishes.
    #[serde(flatten)]
    pub rules: Rules,
    /// When it was last published.
    pub published_at: time::SiteTime,
    /// Who published it.
    pub published_by: String,
}

fn write(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, r: &Rules) -> Result<(), RuleError> {
    let categories = r.categories.join("\n");
    let len = categories.chars().count();
    if len > MAX_CATEGORIES_CHARS {
        return Err(RuleError::TooLong { field: "categories", len, max: MAX_CATEGORIES_CHARS });
    }
    doc.put(ROOT, "categories", categories)?;
    for (key, value) in [
        ("complaint_reply_duty_hours", r.complaint_reply_duty_hours),
        ("complaint_result_duty_hours", r.complaint_result_duty_hours),
        ("major_result_duty_hours", r.major_result_duty_hours),
        ("emergency_minutes", r.emergency_minutes),
        ("normal_duty_hours", r.normal_duty_hours),
        ("resident_retention_days", r.resident_retention_days),
    ] {
        doc.put(ROOT, key, ScalarValue::Uint(value))?;
    }
    doc.put(ROOT, "site_may_set", r.site_may_set.join(","))?;
    doc.put(ROOT, "published_at", time::to_stored(now))?;
    doc.put(ROOT, "published_by", crate::rules::field_text("by", by, crate::rules::MAX_NAME_CHARS, true)?)?;
    Ok(())
}

/// The company's settings for one site, first published.
pub fn new_company_settings(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    rules: &Rules,
) -> Result<AutoCommit, RuleError> {
    let mut doc = new_record(RecordKind::CompanySettings, id, site_id, tz, now, by)?;
    write(&mut doc, now, by, rules)?;
    Ok(doc)
}

/// Publishes the company's settings again.
pub fn update_company_settings(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    rules: &Rules,
) -> Result<(), RuleError> {
    crate::kind::read::<CompanySettings>(doc)?;
    write(doc, now, by, rules)
}

impl crate::kind::Kind for CompanySettings {
    const KIND: RecordKind = RecordKind::CompanySettings;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        let list = |text: String, sep: char| text.split(sep).filter(|s| !s.is_empty()).map(str::to_string).collect();
        Ok(CompanySettings {
            id: header.id,
            site_id: header.site_id,
            rules: Rules {
                categories: list(root.str_up_to("categories", MAX_CATEGORIES_CHARS)?, '\n'),
                complaint_reply_duty_hours: root.u64("complaint_reply_duty_hours")?,
                complaint_result_duty_hours: root.u64("complaint_result_duty_hours")?,
                major_result_duty_hours: root.u64("major_result_duty_hours")?,
                emergency_minutes: root.u64("emergency_minutes")?,
                normal_duty_hours: root.u64("normal_duty_hours")?,
                // Published before head office set it: the default.
                resident_retention_days: match root.u64("resident_retention_days") {
                    Err(DocError::Missing(_)) => RESIDENT_RETENTION_DAYS,
                    other => other?,
                },
                site_may_set: list(root.str_up_to("site_may_set", 500)?, ','),
            },
            published_at: time::to_site(root.instant("published_at")?, header.timezone),
            published_by: root.str_up_to("published_by", crate::rules::MAX_NAME_CHARS)?,
        })
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        crate::kind::Projection::at(self.published_at.utc(), "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_settings_read_back_and_say_what_a_site_may_set() {
        let mut rng = rand::thread_rng();
        let now: DateTime<Utc> = "2026-11-29T02:00:00Z".parse().unwrap();
        let mut rules = Rules {
            categories: vec!["卫生".into(), "噪音".into(), "其他".into()],
            complaint_reply_duty_hours: 8,
            complaint_result_duty_hours: 24,
            major_result_duty_hours: 8,
            emergency_minutes: 30,
            normal_duty_hours: 24,
            resident_retention_days: 180,
            site_may_set: vec!["categories".into()],
        };
        let mut doc = new_company_settings(
            RecordId::random(&mut rng),
            SiteId::random(&mut rng),
            chrono_tz::Asia::Shanghai,
            now,
            "周总（总部经理）",
            &rules,
        )
        .unwrap();
        let read: CompanySettings = crate::kind::read(&doc).unwrap();
        assert_eq!(read.rules, rules);
        assert!(read.rules.site_may("categories") && !read.rules.site_may("complaint-result-duty-hours"));
        assert!(read.rules.site_may("web-port"), "what head office does not govern stays the site's");
        assert_eq!(read.rules.value("categories").as_deref(), Some("卫生,噪音,其他"));
        rules.site_may_set.clear();
        rules.complaint_result_duty_hours = 16;
        update_company_settings(&mut doc, now, "周总（总部经理）", &rules).unwrap();
        assert_eq!(crate::kind::read::<CompanySettings>(&doc).unwrap().rules, rules);
        assert_eq!(read.rules.value("resident-retention-days").as_deref(), Some("180"));
        // Published before head office set the retention: the default, in the document and in its JSON.
        doc.delete(ROOT, "resident_retention_days").unwrap();
        let old = crate::kind::read::<CompanySettings>(&doc).unwrap();
        assert_eq!(old.rules.resident_retention_days, RESIDENT_RETENTION_DAYS);
        let mut json = serde_json::to_value(&old).unwrap();
        let rules_json = if json.get("rules").is_some() { &mut json["rules"] } else { &mut json };
        assert!(rules_json.as_object_mut().unwrap().remove("resident_retention_days").is_some());
        let back: CompanySettings = serde_json::from_value(json).unwrap();
        assert_eq!(back.rules.resident_retention_days, RESIDENT_RETENTION_DAYS);
    }
}
