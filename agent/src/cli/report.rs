//! `report`: reports upward.

use std::path::Path;

use clap::Subcommand;
use wuye_node::process::print_json;

use super::*;

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// The day's report upward (每日重大投诉、报修信息上报); it syncs to head office.
    Daily {
        /// The local date, YYYY-MM-DD (today if not given).
        #[arg(long)]
        date: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `wuye-agent report …`.
pub(crate) fn run(data: &Path, args: ReportCommand) -> anyhow::Result<()> {
    let ReportCommand::Daily { date, json } = args;
    let (mut desk, actor) = open_signed_in(data)?;
    let date = match date {
        Some(d) => parse_date(&d)?,
        None => desk.now().with_timezone(&desk.site.timezone).date_naive(),
    };
    let report = desk.daily_report(date, &actor)?;
    let figures = &report.figures;
    if json {
        print_json(
            &serde_json::json!({"id": report.id, "site_id": report.site_id, "date": report.date, "made_at": report.made_at, "figures": figures}),
        )?;
    } else {
        wuye_node::say!("每日上报 daily report {} (saved; it reaches head office at the next sync)", report.date);
        wuye_node::say!("{}", serde_json::to_string_pretty(figures)?);
    }
    Ok(())
}
