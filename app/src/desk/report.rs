//! The desk's operations on the daily report upward (每日上报).

use super::*;

impl Desk {
    /// Makes (or remakes) the daily report of a local date; it syncs to head office.
    pub fn daily_report(&mut self, date: NaiveDate, actor: &Actor) -> Result<DailyReport, AppError> {
        daily_report::check_report_date(date, self.clock.now().with_timezone(&self.site.timezone).date_naive())?;
        let figures = crate::reports::daily_figures(&self.store, self.site.id, date, self.clock.now())?;
        let day = date.format("%Y-%m-%d").to_string();
        let existing = self.store.all::<DailyReport>(Some(self.site.id))?.into_iter().find(|r| r.date == day);
        let view = match existing {
            Some(report) => self.store.edit(report.id, |doc| daily_report::write_daily_report(doc, &figures))?,
            None => {
                let id = RecordId::random(&mut self.rng);
                let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
                let mut doc = daily_report::new_daily_report(id, site, tz, now, &actor.name)?;
                daily_report::write_daily_report(&mut doc, &figures)?;
                self.store.insert_new(&mut doc)?
            }
        };
        Ok(Store::typed(view)?)
    }
}
