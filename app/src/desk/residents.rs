//! The desk's operations on the household register (住户家庭情况登记表).

use super::*;

impl Desk {
    /// Registers a resident in the household register (住户家庭情况登记表).
    pub fn add_resident(&mut self, input: &NewResident, actor: &Actor) -> Result<Resident, AppError> {
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = resident::create(id, site, tz, now, &actor.name, input)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// The household register as `actor` may see it (see [`shown_to`]).
    pub fn residents_for(&self, actor: &Actor) -> Result<Vec<Resident>, AppError> {
        Ok(self.store.all::<wuye_protocol::resident::Resident>(None)?.into_iter().map(|r| shown_to(r, actor)).collect())
    }
}

/// The setting that names the staff member who acts by default.
/// A resident as `actor` may see them: identity numbers whole for 客服主管
/// and 经理, masked for everyone else.
pub fn shown_to(resident: Resident, actor: &Actor) -> Resident {
    if staff::allowed(actor.role, Guarded::SeeIdNumbers) {
        resident
    } else {
        resident.masked()
    }
}
