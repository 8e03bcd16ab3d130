//! `resident`: the household register (住户家庭情况登记表).

use std::path::Path;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::resident::NewResident;

use super::*;

#[derive(Subcommand)]
pub(crate) enum ResidentCommand {
    /// Register a resident.
    Add {
        /// Building and unit (楼栋/房号).
        #[arg(long, allow_hyphen_values = true)]
        unit: String,
        /// The resident's name.
        #[arg(long, allow_hyphen_values = true)]
        name: String,
        /// A phone number.
        #[arg(long, default_value = "")]
        phone: String,
        /// The 18-character resident ID-card number (居民身份证号).
        #[arg(long, default_value = "")]
        id_card: String,
        /// The household-register (户口簿) number.
        #[arg(long, default_value = "")]
        register: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List residents, of one unit or all.
    List {
        /// Only this unit.
        #[arg(long, allow_hyphen_values = true)]
        unit: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `wuye-agent resident …`.
pub(crate) fn run(data: &Path, args: ResidentCommand) -> anyhow::Result<()> {
    let cmd = args;
    let (mut desk, actor) = open_signed_in(data)?;
    match cmd {
        ResidentCommand::Add { unit, name, phone, id_card, register, json } => {
            let input = NewResident { unit, name, phone, id_card, household_register: register };
            let r = desk.add_resident(&input, &actor)?;
            let shown = wuye_app::desk::shown_to(r, &actor);
            if json {
                print_json(&shown)?;
            } else {
                wuye_node::say!("{}", shown.id);
            }
        }
        ResidentCommand::List { unit, json } => {
            let mut list = desk.residents_for(&actor)?;
            if let Some(unit) = unit {
                list.retain(|r| r.unit == unit.trim());
            }
            if json {
                print_json(&list)?;
            } else {
                for r in &list {
                    wuye_node::say!(
                        "{}  {}  {}  {}  身份证 {}  户口簿 {}",
                        &r.id.to_string()[..8],
                        r.unit,
                        r.name,
                        r.phone,
                        r.id_card,
                        r.household_register
                    );
                }
                wuye_node::say!("{} resident(s)", list.len());
            }
        }
    }
    Ok(())
}
