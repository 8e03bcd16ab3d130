//! Item-release slips (物品放行条) at the desk and the gate: issued with a
//! number of the day (`FX-20261130-001`), checked at the gate by a 门岗,
//! cancelled at the desk.

use wuye_node::Page;
use wuye_node::Records as _;
use wuye_protocol::ids::RecordId;
use wuye_protocol::release::{self, NewSlip, ReleaseSlip, SlipStep};
use wuye_protocol::staff::{may, Guarded};

use super::{Actor, Desk};
use crate::AppError;

impl Desk {
    /// The next slip number of the site's day: `FX-YYYYMMDD-NNN`.
    fn next_slip_number(&self) -> Result<String, AppError> {
        let today = self.now().with_timezone(&self.site.timezone).date_naive();
        let day =
            crate::lists::ListFilter { from: Some(today), to: Some(today), ..crate::lists::ListFilter::default() };
        let filter = day.for_store(Some(self.site.id), self.site.timezone);
        let issued = self.store.page::<ReleaseSlip>(&filter, &Page::all())?.items.len();
        Ok(format!("FX-{}-{:03}", today.format("%Y%m%d"), issued + 1))
    }

    /// Issues a slip at the desk (not at the gate); its number is given here.
    pub fn issue_slip(&mut self, new: &NewSlip, actor: &Actor) -> Result<ReleaseSlip, AppError> {
        may(actor.role, Guarded::IssueSlip)?;
        let new = NewSlip { number: self.next_slip_number()?, ..new.clone() };
        let id = RecordId::random(&mut self.rng);
        let mut doc = release::issue(id, self.site.id, self.site.timezone, self.now(), &actor.name, &new)?;
        let view = self.store.insert_new(&mut doc)?;
        Ok(wuye_node::Store::typed(view)?)
    }

    /// A step on a slip: released or refused at the gate, cancelled at the desk.
    pub fn slip_step(&mut self, id: &str, step: SlipStep<'_>, actor: &Actor) -> Result<ReleaseSlip, AppError> {
        let guard = match step {
            SlipStep::Release | SlipStep::Refuse(_) => Guarded::CheckSlip,
            SlipStep::Cancel(_) => Guarded::IssueSlip,
        };
        may(actor.role, guard)?;
        let id = self.store.resolve(wuye_protocol::doc::RecordKind::ReleaseSlip, id)?;
        let now = self.now();
        let view = self.store.edit(id, |doc| release::step(doc, now, &actor.name, step))?;
        Ok(wuye_node::Store::typed(view)?)
    }

    /// One slip by id (or its first characters).
    pub fn slip(&self, id: &str) -> Result<ReleaseSlip, AppError> {
        Ok(self.store.get(self.store.resolve(wuye_protocol::doc::RecordKind::ReleaseSlip, id)?)?)
    }

    /// The site's working slips, newest first: those closed longer ago than
    /// the site keeps them in its lists (`slip-retention-days`) are archived.
    pub fn slips(&self) -> Result<Vec<ReleaseSlip>, AppError> {
        self.slips_where(false)
    }

    /// The archived slips, newest first.
    pub fn archived_slips(&self) -> Result<Vec<ReleaseSlip>, AppError> {
        self.slips_where(true)
    }

    fn slips_where(&self, archived: bool) -> Result<Vec<ReleaseSlip>, AppError> {
        let now = self.now();
        let keep = chrono::Duration::days(crate::settings::SiteSettings::load(&self.store)?.slip_retention_days);
        let today = now.with_timezone(&self.site.timezone).date_naive();
        let mut all = self.store.all::<ReleaseSlip>(Some(self.site.id))?;
        all.retain(|s| s.closed_on(now).is_some_and(|d| d + keep < today) == archived);
        all.reverse();
        Ok(all)
    }
}
