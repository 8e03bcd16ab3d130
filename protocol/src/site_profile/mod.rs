//! The site profile (管理处概况): what head office needs of a site's own
//! settings to read its figures: households (for the complaint rate), time
//! limits, complaint categories, summer dates, and the agent's version. The
//! site writes it, whenever its settings change and when its agent starts;
//! head office only reads it. One per site.

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

/// What a site says of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Households (户数); none when the site has not said.
    pub households: Option<u64>,
    /// Complaint categories (投诉类别).
    pub categories: Vec<String>,
    /// Emergency repairs: on site within this many minutes.
    pub emergency_minutes: u64,
    /// Normal repairs: within this many duty hours.
    pub normal_duty_hours: u64,
    /// A complaint's first reply: within this many duty hours.
    pub complaint_reply_duty_hours: u64,
    /// A complaint's result: within this many duty hours.
    pub complaint_result_duty_hours: u64,
    /// A major complaint's result: within this many duty hours.
    pub major_result_duty_hours: u64,
    /// First day of the summer schedule, MM-DD.
    pub summer_from: String,
    /// Last day of the summer schedule, MM-DD.
    pub summer_to: String,
    /// The site agent's version.
    pub agent_version: String,
}

/// A site's profile as head office reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteProfile {
    /// The record id.
    pub id: RecordId,
    /// The site.
    pub site_id: SiteId,
    /// The site's time zone.
    pub timezone: String,
    /// What the site says.
    #[serde(flatten)]
    pub profile: Profile,
    /// When it was last written, in the site's time zone.
    pub updated_at: time::SiteTime,
}

fn write(doc: &mut AutoCommit, now: DateTime<Utc>, p: &Profile) -> Result<(), RuleError> {
    let categories = p.categories.join("\n");
    if categories.chars().count() > MAX_CATEGORIES_CHARS {
        return Err(RuleError::TooLong {
            field: "categories",
            len: categories.chars().count(),
            max: MAX_CATEGORIES_CHARS,
        });
    }
    doc.put(ROOT, "households", ScalarValue::Uint(p.households.unwrap_or(0)))?;
    doc.put(ROOT, "categories", categories)?;
    for (key, value) in [
        ("emergency_minutes", p.emergency_minutes),
        ("normal_duty_hours", p.normal_duty_hours),
        ("complaint_reply_duty_hours", p.complaint_reply_duty_hours),
        ("complaint_result_duty_hours", p.complaint_result_duty_hours),
        ("major_result_duty_hours", p.major_result_duty_hours),
    ] {
        doc.put(ROOT, key, ScalarValue::Uint(value))?;
    }
    doc.put(ROOT, "summer_from", p.summer_from.as_str())?;
    doc.put(ROOT, "summer_to", p.summer_to.as_str())?;
    doc.put(ROOT, "agent_version", p.agent_version.as_str())?;
    doc.put(ROOT, "updated_at", time::to_stored(now))?;
    Ok(())
}

/// A site's first profile.
pub fn new_site_profile(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    profile: &Profile,
) -> Result<AutoCommit, RuleError> {
    let mut doc = new_record(RecordKind::SiteProfile, id, site_id, tz, now, "管理处")?;
    write(&mut doc, now, profile)?;
    Ok(doc)
}

/// Writes the profile afresh (its settings changed).
pub fn update_site_profile(doc: &mut AutoCommit, now: DateTime<Utc>, profile: &Profile) -> Result<(), RuleError> {
    crate::kind::read::<SiteProfile>(doc)?;
    write(doc, now, profile)
}

impl crate::kind::Kind for SiteProfile {
    const KIND: RecordKind = RecordKind::SiteProfile;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        let households = root.u64("households")?;
        Ok(SiteProfile {
            id: header.id,
            site_id: header.site_id,
            timezone: header.timezone.name().to_string(),
            profile: Profile {
                households: (households > 0).then_some(households),
                categories: root.str_up_to("categories", MAX_CATEGORIES_CHARS)?.lines().map(str::to_string).collect(),
                emergency_minutes: root.u64("emergency_minutes")?,
                normal_duty_hours: root.u64("normal_duty_hours")?,
                complaint_reply_duty_hours: root.u64("complaint_reply_duty_hours")?,
                complaint_result_duty_hours: root.u64("complaint_result_duty_hours")?,
                major_result_duty_hours: root.u64("major_result_duty_hours")?,
                summer_from: root.str_up_to("summer_from", 5)?,
                summer_to: root.str_up_to("summer_to", 5)?,
                agent_version: root.str_up_to("agent_version", 40)?,
            },
            updated_at: time::to_site(root.instant("updated_at")?, header.timezone),
        })
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        crate::kind::Projection::at(self.updated_at.utc(), "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_reads_back_as_written_and_again_after_an_update() {
        let mut rng = rand::thread_rng();
        let now: DateTime<Utc> = "2026-11-29T02:00:00Z".parse().unwrap();
        let mut p = Profile {
            households: Some(1_200),
            categories: vec!["卫生".into(), "噪音".into()],
            emergency_minutes: 30,
            normal_duty_hours: 24,
            complaint_reply_duty_hours: 8,
            complaint_result_duty_hours: 24,
            major_result_duty_hours: 8,
            summer_from: "05-01".into(),
            summer_to: "09-30".into(),
            agent_version: "0.1.0".into(),
        };
        let mut doc =
            new_site_profile(RecordId::random(&mut rng), SiteId::random(&mut rng), chrono_tz::Asia::Shanghai, now, &p)
                .unwrap();
        let read: SiteProfile = crate::kind::read(&doc).unwrap();
        assert_eq!(read.profile, p);
        assert_eq!(read.timezone, "Asia/Shanghai");
        p.households = None;
        update_site_profile(&mut doc, now, &p).unwrap();
        assert_eq!(crate::kind::read::<SiteProfile>(&doc).unwrap().profile, p);
    }
}
