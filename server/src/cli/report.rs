//! `report`: one site's figures computed at head office, with the same code
//! the site uses (`wuye_app::reports`), so both arrive at the same numbers.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::time::{Clock, SystemClock};
use wuye_server::office::HeadOffice;

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// A site's daily figures (每日重大投诉、报修信息上报) for a local date, from what head office holds.
    Daily {
        /// The site's id.
        #[arg(long)]
        site: String,
        /// The local date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A site's recurring problems (对反复出现的问题): the same place and category again.
    Recurring {
        /// The site's id.
        #[arg(long)]
        site: String,
        /// How many days back.
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `wuye-server report …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: ReportCommand) -> anyhow::Result<()> {
    let hq = HeadOffice::open(data, clock.clone())?;
    match cmd {
        ReportCommand::Daily { site, date, json } => {
            let site = hq.site(&site)?;
            let date = wuye_app::lists::parse_date(&date)?;
            let figures = wuye_app::reports::daily_figures(&hq.store, site, date, clock.now())?;
            if json {
                print_json(&figures)?;
            } else {
                wuye_node::say!("每日上报 daily figures of site {site} for {date}, computed at head office");
                wuye_node::say!("{}", serde_json::to_string_pretty(&figures)?);
            }
        }
        ReportCommand::Recurring { site, days, json } => {
            if !(1..=3_650).contains(&days) {
                anyhow::bail!("--days takes 1 to 3650, not {days}");
            }
            let site = hq.site(&site)?;
            let groups = wuye_app::reports::recurring(&hq.store, site, clock.now(), days)?;
            if json {
                print_json(&groups)?;
            } else {
                for g in &groups {
                    wuye_node::say!("{} × {} {} ({})", g.count, g.place, g.category, g.scope);
                }
                wuye_node::say!("{} recurring problem(s) at site {site} in the last {days} days", groups.len());
            }
        }
    }
    Ok(())
}
