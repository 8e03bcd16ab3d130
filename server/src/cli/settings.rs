//! `settings`: the company-wide settings (公司统一设置) head office publishes
//! to every site: complaint categories and time limits, and which of them a
//! site may set for itself.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::company_settings::Rules;
use wuye_protocol::time::SystemClock;
use wuye_server::company::{self, Changes};
use wuye_server::office::{HeadOffice, OfficeStore};
use wuye_server::people::Actor;

#[derive(Subcommand)]
// Parsed once per run: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum SettingsCommand {
    /// Show the company-wide settings in force (or the defaults, before any are published).
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish company-wide settings to every site (each value given replaces the one in
    /// force); they reach each site at its next sync.
    Publish {
        /// Complaint categories, separated by commas (卫生,噪音,其他).
        #[arg(long)]
        categories: Option<String>,
        /// A complaint's first reply within this many duty hours.
        #[arg(long)]
        complaint_reply_duty_hours: Option<String>,
        /// A complaint's result within this many duty hours.
        #[arg(long)]
        complaint_result_duty_hours: Option<String>,
        /// A major complaint's result within this many duty hours.
        #[arg(long)]
        major_result_duty_hours: Option<String>,
        /// Emergency repairs on site within this many minutes.
        #[arg(long)]
        emergency_minutes: Option<String>,
        /// Normal repairs within this many duty hours.
        #[arg(long)]
        normal_duty_hours: Option<String>,
        /// A moved-out resident's personal details are removed this many days after (30 to 3650).
        #[arg(long)]
        resident_retention_days: Option<String>,
        /// The settings a site may set for itself, separated by commas (e.g. categories);
        /// give an empty value to let sites set none.
        #[arg(long)]
        site_may_set: Option<String>,
        /// Who publishes; recorded as NAME（总部命令行）.
        #[arg(long, default_value = "总部", allow_hyphen_values = true)]
        by: String,
    },
}

fn show(rules: &Rules, published: bool) {
    let status = if published { "in force" } else { "defaults: nothing published yet" };
    wuye_node::say!("company-wide settings ({status})");
    wuye_node::say!("categories                   {}", rules.categories.join("、"));
    wuye_node::say!("complaint-reply-duty-hours   {}", rules.complaint_reply_duty_hours);
    wuye_node::say!("complaint-result-duty-hours  {}", rules.complaint_result_duty_hours);
    wuye_node::say!("major-result-duty-hours      {}", rules.major_result_duty_hours);
    wuye_node::say!("emergency-minutes            {}", rules.emergency_minutes);
    wuye_node::say!("normal-duty-hours            {}", rules.normal_duty_hours);
    wuye_node::say!("resident-retention-days      {}", rules.resident_retention_days);
    let own = if rules.site_may_set.is_empty() { "none".to_string() } else { rules.site_may_set.join(", ") };
    wuye_node::say!("sites may set their own      {own}");
}

/// Runs `wuye-server settings …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: SettingsCommand) -> anyhow::Result<()> {
    on_either!(data, clock, |hq| on(&mut hq, cmd))
}

fn on<S: OfficeStore>(hq: &mut HeadOffice<S>, cmd: SettingsCommand) -> anyhow::Result<()> {
    match cmd {
        SettingsCommand::Show { json } => {
            let published = hq.company_rules()?;
            let rules = published.clone().unwrap_or_else(company::default_rules);
            if json {
                print_json(&rules)?;
            } else {
                show(&rules, published.is_some());
            }
        }
        SettingsCommand::Publish {
            categories,
            complaint_reply_duty_hours,
            complaint_result_duty_hours,
            major_result_duty_hours,
            emergency_minutes,
            normal_duty_hours,
            resident_retention_days,
            site_may_set,
            by,
        } => {
            let limits = [
                ("complaint-reply-duty-hours", complaint_reply_duty_hours),
                ("complaint-result-duty-hours", complaint_result_duty_hours),
                ("major-result-duty-hours", major_result_duty_hours),
                ("emergency-minutes", emergency_minutes),
                ("normal-duty-hours", normal_duty_hours),
                ("resident-retention-days", resident_retention_days),
            ]
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect();
            let changes = Changes { categories, limits, site_may_set };
            let rules = hq.publish_rules(&Actor::CommandLine(by), &changes)?;
            show(&rules, true);
            wuye_node::say!("published to {} site(s); each has them after its next sync", hq.site_ids()?.len());
        }
    }
    Ok(())
}
