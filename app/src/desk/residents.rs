//! The desk's operations on the household register (住户家庭情况登记表).

use super::*;

impl Desk {
    /// Registers a resident in the household register (住户家庭情况登记表).
    /// A resident belongs to a house: once the site has a house register,
    /// the unit must name a house in it, and is written as the register does.
    pub fn add_resident(&mut self, input: &NewResident, actor: &Actor) -> Result<Resident, AppError> {
        let houses = self.houses(None, None)?;
        let mut input = input.clone();
        if !houses.is_empty() {
            let key = wuye_protocol::house::address_key(&input.unit);
            let Some(house) = houses.iter().find(|h| wuye_protocol::house::address_key(&h.address()) == key) else {
                return Err(RuleError::OutOfRange {
                    field: "the unit",
                    value: wuye_protocol::text::echo(&input.unit),
                    allowed: "a house in the register (`unit list`): correct the unit, or register the house".into(),
                }
                .into());
            };
            input.unit = house.address();
            input.household.house_id = Some(house.id);
        }
        let input = &input;
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let (doc, identity) = resident::create(id, site, tz, now, &actor.name, input)?;
        let mut docs = [doc];
        let views = self.store.insert_batch_with(&mut docs, |tx| crate::identity::save(tx, id, &identity))?;
        let view = views.into_iter().next().expect("one document in, one view out");
        Ok(shown_to(Store::typed::<Resident>(view)?.with_identity(&identity), actor))
    }

    /// Records that a resident moved out on `day`.
    pub fn move_out(&mut self, id: &str, day: chrono::NaiveDate, actor: &Actor) -> Result<Resident, AppError> {
        let rid = self.store.resolve(RecordKind::Resident, id)?;
        let view = self.store.edit(rid, |doc| resident::move_out(doc, day))?;
        Ok(shown_to(Store::typed::<Resident>(view)?, actor))
    }

    /// Removes the personal details of residents who moved out longer ago
    /// than the site keeps them (`resident-retention-days`), recording the
    /// removal in each record and deleting the whole identity numbers kept
    /// here; the residents whose details were removed.
    pub fn remove_moved_out_details(&mut self, actor: &Actor) -> Result<Vec<Resident>, AppError> {
        let keep = chrono::Duration::days(SiteSettings::load(&self.store)?.resident_retention_days);
        let now = self.clock.now();
        let today = now.with_timezone(&self.site.timezone).date_naive();
        let due: Vec<Resident> = self
            .store
            .all::<Resident>(Some(self.site.id))?
            .into_iter()
            .filter(|r| {
                r.household.details_removed.is_none() && r.household.moved_out.is_some_and(|d| d + keep < today)
            })
            .collect();
        let mut done = Vec::with_capacity(due.len());
        for r in due {
            let view = self.store.edit(r.id, |doc| resident::remove_details(doc, now, &actor.name))?;
            crate::identity::forget(&self.store, r.id)?;
            done.push(Store::typed::<Resident>(view)?);
        }
        Ok(done)
    }

    /// The household register as `actor` may see it (see [`shown_to`]): the
    /// whole numbers, kept at this site only, for those who may see them.
    pub fn residents_for(&self, actor: &Actor) -> Result<Vec<Resident>, AppError> {
        let mut out = Vec::new();
        for r in self.store.all::<Resident>(Some(self.site.id))? {
            let r = match crate::identity::load(&self.store, r.id)? {
                Some(identity) if staff::allowed(actor.role, Guarded::SeeIdNumbers) => r.with_identity(&identity),
                _ => r,
            };
            out.push(shown_to(r, actor));
        }
        Ok(out)
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
