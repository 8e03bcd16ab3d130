//! `resident`: the household register (住户家庭情况登记表).

use std::path::Path;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::resident::{Household, NewResident};

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
        /// Who they are: 业主 (owner), 家庭成员 (family) or 租户 (tenant).
        #[arg(long = "type", default_value = "业主")]
        resident_type: String,
        /// Relation to the owner (本人, 配偶, 子女, 父母, 其他, …).
        #[arg(long, default_value = "")]
        relation: String,
        /// The move-in date, YYYY-MM-DD.
        #[arg(long)]
        moved_in: Option<String>,
        /// Whom to call in an emergency (name and phone).
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        emergency: String,
        /// A car plate (once per car).
        #[arg(long = "plate")]
        plates: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record that a resident moved out.
    MoveOut {
        /// The resident's id (or its first characters).
        id: String,
        /// The day, YYYY-MM-DD (today when absent).
        #[arg(long)]
        on: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove the personal details of residents who moved out longer ago than
    /// `resident-retention-days` (done at every `run` too), recording the removal.
    ForgetMovedOut {
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
        ResidentCommand::Add {
            unit,
            name,
            phone,
            id_card,
            register,
            resident_type,
            relation,
            moved_in,
            emergency,
            plates,
            json,
        } => {
            let household = Household {
                resident_type: resident_type.parse()?,
                relation,
                moved_in: moved_in.map(|d| super::parse_date(&d)).transpose()?,
                emergency_contact: emergency,
                plates,
                ..Household::default()
            };
            let input = NewResident { unit, name, phone, id_card, household_register: register, household };
            let r = desk.add_resident(&input, &actor)?;
            let shown = wuye_app::desk::shown_to(r, &actor);
            if json {
                print_json(&shown)?;
            } else {
                wuye_node::say!("{}", shown.id);
            }
        }
        ResidentCommand::MoveOut { id, on, json } => {
            let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
            let day = on.map(|d| super::parse_date(&d)).transpose()?.unwrap_or(today);
            let r = desk.move_out(&id, day, &actor)?;
            if json {
                print_json(&r)?;
            } else {
                wuye_node::say!("{} {} 迁出 {day}", r.unit, r.name);
            }
        }
        ResidentCommand::ForgetMovedOut { json } => {
            wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
            let done = desk.remove_moved_out_details(&actor)?;
            if json {
                print_json(&done)?;
            } else {
                for r in &done {
                    wuye_node::say!(
                        "{} 迁出 {} · 个人信息已移除",
                        r.unit,
                        r.household.moved_out.map(|d| d.to_string()).unwrap_or_default()
                    );
                }
                wuye_node::say!("{} resident(s)", done.len());
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
