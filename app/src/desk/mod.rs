//! The front desk's operations on complaints, each one local transaction.

use std::sync::Arc;
use wuye_node::Records as _;

use chrono::{DateTime, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use wuye_node::{Store, StoreError};
use wuye_protocol::commitment::{self, Commitment};
use wuye_protocol::complaint::{self, Complaint, NewComplaint};
use wuye_protocol::daily_report::{self, DailyReport};
use wuye_protocol::doc::RecordKind;
use wuye_protocol::duty_shift::{self, DutyShift, Shift};
use wuye_protocol::ids::{EventId, RecordId, StaffId};
use wuye_protocol::log_entry::{self, LogEntry};
use wuye_protocol::repair::{self, NewRepair, Repair, RepairStep};
use wuye_protocol::resident::{self, NewResident, Resident};
use wuye_protocol::rules::Channel;
use wuye_protocol::rules::RuleError;
use wuye_protocol::staff::{self, Guarded, Role, Staff};
use wuye_protocol::time::Clock;

use crate::settings::SiteSettings;
use crate::signin;
use crate::{AppError, Site};

/// Who acts when no name is given.
pub const DEFAULT_ACTOR: &str = "客服中心";

/// The front desk of one site: its store, the site, a clock and randomness.
pub struct Desk {
    /// The site's records.
    pub store: Store,
    /// Which site, in which time zone.
    pub site: Site,
    clock: Arc<dyn Clock>,
    rng: StdRng,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("site", &self.site).finish_non_exhaustive()
    }
}

mod commitments;
mod complaints;
mod duty;
mod fees;
mod handovers;
mod houses;
mod keys;
mod logs;
mod moveins;
mod releases;
mod renovations;
mod repairs;
mod report;
mod residents;
mod staffing;

pub use complaints::Step;
pub use fees::{Issued, NewChase, NewFeeItem, NewPayment, NewPrice};
pub use handovers::HandoverNote;
pub use houses::{check_sheet, Unmatched, COLUMNS as HOUSE_COLUMNS};
pub use keys::Loan;
pub use logs::NewLogEntry;
pub use moveins::{MoveInStep, MoveInView};
pub use renovations::{NewRenovation, RenovationView};
pub use repairs::DeskRepairStep;
pub use residents::shown_to;

impl Desk {
    /// A desk over an opened store, with the world injected.
    pub fn new(store: Store, site: Site, clock: Arc<dyn Clock>, rng: StdRng) -> Self {
        Self { store, site, clock, rng }
    }

    /// A desk with fresh randomness from the operating system.
    pub fn with_os_rng(store: Store, site: Site, clock: Arc<dyn Clock>) -> Self {
        Self::new(store, site, clock, StdRng::from_entropy())
    }

    /// The time now, from the desk's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Changes one of the site's settings, as `actor` (客服主管 or 经理), and
    /// writes the site profile head office reads.
    pub fn set_setting(
        &mut self,
        actor: &Actor,
        key: &str,
        value: &str,
    ) -> Result<SiteSettings, crate::settings::SettingsError> {
        let settings = SiteSettings::set_by(&self.store, actor.role, key, value)?;
        self.publish_profile()?;
        Ok(settings)
    }

    /// The site's figures for the month holding `day`, computed by the code
    /// head office uses for every site (`docs/KPI.md`).
    pub fn month_figures(&self, day: NaiveDate) -> Result<crate::kpi::Figures, AppError> {
        let basis = crate::kpi::SiteBasis {
            site_id: self.site.id,
            timezone: self.site.timezone,
            households: SiteSettings::load(&self.store)?.households,
        };
        let period = crate::kpi::Period::month_of(day);
        Ok(crate::kpi::figures(&self.store, period, &[basis], self.now())?.pop().unwrap_or_default())
    }

    /// Writes the site profile (管理处概况) when it differs from the
    /// settings: the first time, after a change, after an upgrade.
    pub fn publish_profile(&mut self) -> Result<(), StoreError> {
        use wuye_protocol::site_profile::{self, SiteProfile};
        let profile = SiteSettings::load(&self.store)?.profile();
        let now = self.clock.now();
        let existing = self.store.all::<SiteProfile>(Some(self.site.id))?.pop();
        match existing {
            Some(p) if p.profile == profile => Ok(()),
            Some(p) => {
                self.store.edit(p.id, |doc| site_profile::update_site_profile(doc, now, &profile))?;
                Ok(())
            }
            None => {
                let id = RecordId::random(&mut self.rng);
                let mut doc = site_profile::new_site_profile(id, self.site.id, self.site.timezone, now, &profile)?;
                self.store.insert_new(&mut doc)?;
                Ok(())
            }
        }
    }
}

/// Every step of a workflow by name, each with the reason it may not be taken now (none: it may).
pub type Offers = Vec<(&'static str, Option<AppError>)>;

/// Who takes a step: the name recorded with it, and the role that permits it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The name recorded in the record's history.
    pub name: String,
    /// The staff member's role, when a staff member acts.
    pub role: Option<Role>,
    /// The staff member, when one acts.
    pub staff_id: Option<StaffId>,
}

impl Actor {
    /// A staff member acting: recorded as "name（role）".
    pub fn of(member: &Staff) -> Self {
        Actor {
            name: format!("{}（{}）", member.name, member.role.label()),
            role: Some(member.role),
            staff_id: Some(member.staff_id()),
        }
    }

    /// A name with no staff record or role (head office, tests, imports).
    pub fn named(name: &str) -> Self {
        Actor { name: name.to_string(), role: None, staff_id: None }
    }
}
