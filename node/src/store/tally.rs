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

/// Changes to the sums, gathered over one transaction.
#[derive(Debug, Default)]
pub(crate) struct Tally(HashMap<(String, NaiveDate, String), i64>);

impl Tally {
    /// Counts a record's new facts.
    pub(super) fn add(&mut self, site: &str, facts: &[Fact]) {
        for f in facts {
            *self.0.entry((site.to_string(), f.day, f.metric.to_string())).or_default() += f.n;
        }
    }

    /// Takes back a record's facts as they were stored ([`kpi::encode`]'s form).
    pub(super) fn take_back(&mut self, site: &str, stored: &str) {
        for (metric, day, n) in kpi::decode(stored) {
            *self.0.entry((site.to_string(), day, metric)).or_default() -= n;
        }
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
        let mut by_month: HashMap<(String, String, String), i64> = HashMap::new();
        for ((site, d, metric), n) in self.0 {
            if n == 0 {
                continue;
            }
            day.execute(params![d.to_string(), site, metric, n])?;
            *by_month.entry((d.format("%Y-%m").to_string(), site, metric)).or_default() += n;
        }
        for ((m, site, metric), n) in by_month {
            if n != 0 {
                month.execute(params![m, site, metric, n])?;
            }
        }
        tx.execute_batch("DELETE FROM kpi_day WHERE n = 0; DELETE FROM kpi_month WHERE n = 0;")?;
        Ok(())
    }
}
