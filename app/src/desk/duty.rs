//! The desk's operations on the duty roster (值班表).

use super::*;

impl Desk {
    /// Puts a staff member on duty for one shift of a local date.
    pub fn assign_duty(
        &mut self,
        staff_id: &str,
        date: NaiveDate,
        shift: Shift,
        actor: &Actor,
    ) -> Result<DutyShift, AppError> {
        let member = self.staff_member(staff_id)?;
        member.check_active()?;
        let calendar = SiteSettings::load(&self.store)?.calendar(self.site.timezone);
        let period = calendar.periods(date)[if shift == Shift::Am { 0 } else { 1 }];
        let starts_at = calendar.instant(date, period.0);
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = duty_shift::new_duty_shift(
            id,
            site,
            tz,
            now,
            &actor.name,
            date,
            shift,
            starts_at,
            member.staff_id(),
            &member.name,
        )?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Who is on duty in each shift of a local date; an empty list is a gap.
    pub fn duty_check(&self, date: NaiveDate) -> Result<Vec<(Shift, Vec<String>)>, AppError> {
        let day = date.format("%Y-%m-%d").to_string();
        let filter = wuye_node::Filter {
            site: Some(self.site.id),
            fields: vec![("date", day.clone())],
            ..wuye_node::Filter::default()
        };
        let shifts = self.store.page::<DutyShift>(&filter, &wuye_node::Page::all())?.items;
        Ok(Shift::ALL
            .into_iter()
            .map(|s| {
                let mut names: Vec<String> =
                    shifts.iter().filter(|d| d.date == day && d.shift == s).map(|d| d.staff_name.clone()).collect();
                names.sort();
                names.dedup();
                (s, names)
            })
            .collect())
    }
}
