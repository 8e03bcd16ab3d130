//! The desk's operations on the daily report upward (每日上报).

use super::*;

impl Desk {
    /// The daily report of a local date, once made (found by its date, not by reading every report).
    pub fn daily_report_of(&self, date: NaiveDate) -> Result<Option<DailyReport>, AppError> {
        let filter = wuye_node::Filter {
            site: Some(self.site.id),
            fields: vec![("date", date.format("%Y-%m-%d").to_string())],
            ..wuye_node::Filter::default()
        };
        Ok(self.store.page::<DailyReport>(&filter, &wuye_node::Page::all())?.items.pop())
    }

    /// Makes (or remakes) the daily report of a local date; it syncs to head office.
    pub fn daily_report(&mut self, date: NaiveDate, actor: &Actor) -> Result<DailyReport, AppError> {
        daily_report::check_report_date(date, self.clock.now().with_timezone(&self.site.timezone).date_naive())?;
        let figures = crate::reports::daily_figures(&self.store, self.site.id, date, self.clock.now())?;
        let view = match self.daily_report_of(date)? {
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
