//! The figures' sums (`kpi_day`, `kpi_month`): what every record counts
//! towards (its facts, [`wuye_protocol::kpi`]), added up by site, day and
//! month as records are written, so that a month's figures for every site
//! are read from a few thousand rows. A [`Tally`] gathers the changes of one
//! transaction and writes each sum it touched once, when the transaction
//! ends: a batch of 10,000 records of one site touches a few thousand sums,
//! not tens of thousands.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::params;
use wuye_protocol::kpi::{self, Fact};

/// The sums' tables (store step 9).
pub(super) const KPI_TABLES: &str = "
CREATE TABLE IF NOT EXISTS kpi_day (
    day TEXT NOT NULL,
    site_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, site_id, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kpi_month (
    month TEXT NOT NULL,
    site_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (month, site_id, metric)
) WITHOUT ROWID;
";

/// Changes to the sums, gathered over one transaction (by either store:
/// the PostgreSQL store keeps the same sums in the same tables).
#[derive(Debug, Default)]
pub struct Tally(HashMap<(String, NaiveDate, String), i64>);

/// One changed sum: day (`YYYY-MM-DD`) or month (`YYYY-MM`), site, metric, change.
pub type SumChange = (String, String, String, i64);

impl Tally {
    /// Counts a record's new facts.
    pub fn add(&mut self, site: &str, facts: &[Fact]) {
        for f in facts {
            *self.0.entry((site.to_string(), f.day, f.metric.to_string())).or_default() += f.n;
        }
    }

    /// Counts a record's facts as they were stored ([`kpi::encode`]'s form).
    pub fn add_stored(&mut self, site: &str, stored: &str) {
        for (metric, day, n) in kpi::decode(stored) {
            *self.0.entry((site.to_string(), day, metric)).or_default() += n;
        }
    }

    /// Takes back a record's facts as they were stored ([`kpi::encode`]'s form).
    pub fn take_back(&mut self, site: &str, stored: &str) {
        for (metric, day, n) in kpi::decode(stored) {
            *self.0.entry((site.to_string(), day, metric)).or_default() -= n;
        }
    }

    /// The changes to make: to the daily sums and to the monthly ones, none zero.
    pub fn changes(self) -> (Vec<SumChange>, Vec<SumChange>) {
        let mut days = Vec::new();
        let mut by_month: HashMap<(String, String, String), i64> = HashMap::new();
        for ((site, d, metric), n) in self.0 {
            if n == 0 {
                continue;
            }
            *by_month.entry((d.format("%Y-%m").to_string(), site.clone(), metric.clone())).or_default() += n;
            days.push((d.to_string(), site, metric, n));
        }
        let months = by_month.into_iter().filter(|(_, n)| *n != 0).map(|((m, s, k), n)| (m, s, k, n)).collect();
        (days, months)
    }

    /// Writes the changed sums, in the transaction the records were written in.
    pub(super) fn flush(self, tx: &rusqlite::Transaction<'_>) -> Result<(), rusqlite::Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut day = tx.prepare_cached(
            "INSERT INTO kpi_day (day, site_id, metric, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (day, site_id, metric) DO UPDATE SET n = n + excluded.n",
        )?;
        let mut month = tx.prepare_cached(
            "INSERT INTO kpi_month (month, site_id, metric, n) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (month, site_id, metric) DO UPDATE SET n = n + excluded.n",
        )?;
        let (days, months) = self.changes();
        for (d, site, metric, n) in days {
            day.execute(params![d, site, metric, n])?;
        }
        for (m, site, metric, n) in months {
            month.execute(params![m, site, metric, n])?;
        }
        tx.execute_batch("DELETE FROM kpi_day WHERE n = 0; DELETE FROM kpi_month WHERE n = 0;")?;
        Ok(())
    }
}
