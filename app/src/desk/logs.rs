//! The desk's operations on the work log (工作日志), and records made from its entries.

use super::*;

impl Desk {
    /// Writes a work-log entry (工作日志) for a call or visit.
    pub fn add_log(&mut self, entry: &NewLogEntry<'_>, actor: &Actor) -> Result<LogEntry, AppError> {
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = log_entry::new_log_entry(
            id,
            site,
            tz,
            now,
            &actor.name,
            entry.channel,
            entry.caller,
            entry.unit,
            entry.asked,
            entry.done,
        )?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// A work-log entry by id or unique prefix.
    pub fn log_entry(&self, id: &str) -> Result<LogEntry, AppError> {
        let id = self.store.resolve(RecordKind::LogEntry, id)?;
        Ok(self.store.get::<LogEntry>(id)?)
    }

    /// Records what was done about a work-log entry.
    pub fn log_done(&mut self, id: &str, done: &str, actor: &Actor) -> Result<(), AppError> {
        let id = self.store.resolve(RecordKind::LogEntry, id)?;
        let now = self.clock.now();
        Ok(self.store.edit(id, |doc| log_entry::log_done(doc, now, &actor.name, done)).map(drop)?)
    }

    /// Makes a record with `make` and, when it came from the work-log entry
    /// `from_log` (a call or visit), links the entry to it. The entry is looked
    /// up first, so a wrong id makes nothing.
    pub fn made_from_log<T>(
        &mut self,
        from_log: Option<&str>,
        make: impl FnOnce(&mut Desk) -> Result<T, AppError>,
        id_of: impl Fn(&T) -> RecordId,
    ) -> Result<T, AppError> {
        let log = from_log.map(|log| self.store.resolve(RecordKind::LogEntry, log)).transpose()?;
        let made = make(self)?;
        if let Some(log) = log {
            let record = id_of(&made);
            self.store.edit(log, |doc| log_entry::log_link(doc, record))?;
        }
        Ok(made)
    }
}

/// A call or visit to write into the work log.
#[derive(Debug, Clone, Copy)]
pub struct NewLogEntry<'a> {
    /// Phone or visit.
    pub channel: Channel,
    /// Who called or came.
    pub caller: &'a str,
    /// Their unit, if any.
    pub unit: &'a str,
    /// What was asked.
    pub asked: &'a str,
    /// What was done, if it was handled at once.
    pub done: &'a str,
}
