//! `settings`: the site's own settings.

use std::path::Path;

use clap::Subcommand;
use wuye_app::settings::SiteSettings;
use wuye_node::process::print_json;

use super::*;

#[derive(Subcommand)]
pub(crate) enum SettingsCommand {
    /// Show every setting.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set one: categories A,B,C | emergency-minutes N | normal-duty-hours N | summer MM-DD..MM-DD.
    Set {
        /// The setting.
        key: String,
        /// Its value.
        value: String,
    },
}

/// Runs `wuye-agent settings …`.
pub(crate) fn run(data: &Path, args: SettingsCommand) -> anyhow::Result<()> {
    let cmd = args;
    let (mut desk, actor) = open_signed_in(data)?;
    let settings = match cmd {
        SettingsCommand::Show { json: true } => {
            print_json(&SiteSettings::load(&desk.store)?)?;
            return Ok(());
        }
        SettingsCommand::Show { json: false } => SiteSettings::load(&desk.store)?,
        SettingsCommand::Set { key, value } => match desk.set_setting(&actor, &key, &value) {
            Ok(settings) => settings,
            // The refusal itself, so that it is told in the catalogue's words.
            Err(wuye_app::settings::SettingsError::Refused(rule)) => return Err(rule.into()),
            Err(other) => return Err(other.into()),
        },
    };
    wuye_node::say!("categories         {}", settings.categories.join("、"));
    wuye_node::say!("emergency-minutes  {}", settings.emergency_minutes);
    wuye_node::say!("normal-duty-hours  {}", settings.normal_duty_hours);
    wuye_node::say!("complaint-reply-duty-hours   {}", settings.complaint_reply_duty_hours);
    wuye_node::say!("complaint-result-duty-hours  {}", settings.complaint_result_duty_hours);
    wuye_node::say!("major-result-duty-hours      {}", settings.major_result_duty_hours);
    wuye_node::say!("summer             {}..{}", settings.summer_from, settings.summer_to);
    wuye_node::say!("web-port           {}", settings.web_port);
    wuye_node::say!(
        "households         {}",
        settings.households.map_or_else(|| "(not set: `settings set households N`)".to_string(), |n| n.to_string())
    );
    wuye_node::say!("visit-within-days  {}", settings.visit_within_days);
    wuye_node::say!("slip-retention-days      {}", settings.slip_retention_days);
    wuye_node::say!("key-retention-days       {}", settings.key_retention_days);
    wuye_node::say!("resident-retention-days  {}", settings.resident_retention_days);
    wuye_node::say!("movein-stations    (收楼流转单, in order)");
    for (i, s) in settings.movein_stations.iter().enumerate() {
        let roles: Vec<&str> = s.roles.iter().map(|r| r.label()).collect();
        wuye_node::say!("  {}. {}  [{}]  stamped by {}", i + 1, s.label, s.kind.as_str(), roles.join("、"));
    }
    if !settings.set_by_company.is_empty() {
        wuye_node::say!("set by head office for every site (公司统一设置): {}", settings.set_by_company.join(", "));
    }
    Ok(())
}
