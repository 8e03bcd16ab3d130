//! `records`: every site's staff, logs, commitments, rosters, reports and residents.

use std::path::Path;
use std::sync::Arc;

use wuye_node::process::print_json;
use wuye_protocol::commitment::Commitment;
use wuye_protocol::daily_report::DailyReport;
use wuye_protocol::duty_shift::DutyShift;
use wuye_protocol::log_entry::LogEntry;
use wuye_protocol::staff::Staff;
use wuye_protocol::time::SystemClock;
use wuye_server::office::HeadOffice;

/// Runs `wuye-server records …`.
pub(crate) fn records(
    data: &Path,
    clock: Arc<SystemClock>,
    kind: String,
    site: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let hq = HeadOffice::open(data, clock)?;
    let site = site.map(|s| hq.site(&s)).transpose()?;
    fn rows<T: serde::Serialize>(records: Vec<T>) -> anyhow::Result<Vec<serde_json::Value>> {
        Ok(records.iter().map(serde_json::to_value).collect::<Result<_, _>>()?)
    }
    let rows = match kind.as_str() {
        "staff" => rows(hq.store.all::<Staff>(site)?)?,
        "log" => rows(hq.store.all::<LogEntry>(site)?)?,
        "commitment" => rows(hq.store.all::<Commitment>(site)?)?,
        "duty" => rows(hq.store.all::<DutyShift>(site)?)?,
        "report" => rows(hq.store.all::<DailyReport>(site)?)?,
        // Head office never shows identity numbers whole.
        "resident" => {
            rows(hq.store.all::<wuye_protocol::resident::Resident>(site)?.into_iter().map(|r| r.masked()).collect())?
        }
        other => {
            anyhow::bail!(
                "unknown record kind '{}': use staff, log, commitment, duty, report or resident",
                wuye_protocol::text::echo(other)
            )
        }
    };
    if json {
        print_json(&rows)?;
    } else {
        for row in &rows {
            wuye_node::say!("{row}");
        }
        wuye_node::say!("{} record(s)", rows.len());
    }
    Ok(())
}
