//! `release`: item-release slips (物品放行条): issued at the desk, checked at
//! the gate, cancelled at the desk.

use std::path::Path;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::release::{Item, NewSlip, ReleaseSlip, SlipStep};

use super::{open_desk, open_signed_in};

#[derive(Subcommand)]
pub(crate) enum ReleaseCommand {
    /// Issue a slip; prints its number for the gate.
    Issue {
        /// The applicant's name.
        #[arg(long, allow_hyphen_values = true)]
        applicant: String,
        /// Who they are: 业主 (owner), 租户 (tenant), 装修 (renovation) or 其他 (other).
        #[arg(long)]
        kind: String,
        /// The house (楼栋/房号).
        #[arg(long, allow_hyphen_values = true)]
        house: String,
        /// A phone number.
        #[arg(long, default_value = "")]
        phone: String,
        /// The car's plate.
        #[arg(long, default_value = "")]
        plate: String,
        /// An item and its quantity, `冰箱x1` (once per line; no quantity means one).
        #[arg(long = "item", required = true, allow_hyphen_values = true)]
        items: Vec<String>,
        /// Why the items leave.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
        /// The owner's authorisation: 本人 (in person), 委托书 (letter) or 电话确认 (phone).
        #[arg(long)]
        auth: String,
        /// For a telephone confirmation: who confirmed, and when.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        confirmed_by: String,
        /// The day it is good for, YYYY-MM-DD (today when absent).
        #[arg(long = "for")]
        valid_on: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a slip at the gate: release the items, or refuse with a reason.
    Check {
        /// The slip's id (or its first characters).
        id: String,
        /// Refuse, saying why (otherwise the items are released).
        #[arg(long, allow_hyphen_values = true)]
        refuse: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a slip at the desk.
    Cancel {
        /// The slip's id (or its first characters).
        id: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
    /// List the site's slips, newest first.
    List {
        /// The archived slips instead (closed longer ago than `slip-retention-days`).
        #[arg(long)]
        archived: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn show(s: &ReleaseSlip) {
    let items: Vec<String> = s.items.iter().map(|i| format!("{}×{}", i.name, i.quantity)).collect();
    wuye_node::say!(
        "{}  {}  {} {}（{}）  {}  {}  {}",
        s.number,
        s.valid_on,
        s.house,
        s.applicant,
        s.applicant_kind.label(),
        items.join("、"),
        s.status.label(),
        s.id
    );
}

/// Runs `wuye-agent release …`.
pub(crate) fn run(data: &Path, cmd: ReleaseCommand) -> anyhow::Result<()> {
    match cmd {
        ReleaseCommand::Issue {
            applicant,
            kind,
            house,
            phone,
            plate,
            items,
            reason,
            auth,
            confirmed_by,
            valid_on,
            json,
        } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
            let new = NewSlip {
                number: String::new(),
                applicant,
                applicant_kind: kind.parse()?,
                house,
                phone,
                car_plate: plate,
                items: items
                    .iter()
                    .map(|i| wuye_app::lists::counted(i).map(|(name, quantity)| Item { name, quantity }))
                    .collect::<Result<_, _>>()?,
                reason,
                authorisation: auth.parse()?,
                confirmed_by,
                valid_on: valid_on.map(|d| super::parse_date(&d)).transpose()?.unwrap_or(today),
            };
            let slip = desk.issue_slip(&new, &actor)?;
            if let Some(owed) = desk.arrears_at(&slip.house)?.filter(|_| !json) {
                wuye_node::say!("注意 note: {} owes {} past due (欠费)", slip.house, owed);
            }
            if json {
                print_json(&slip)?;
            } else {
                show(&slip);
            }
        }
        ReleaseCommand::Check { id, refuse, json } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let step = match &refuse {
                Some(why) => SlipStep::Refuse(why),
                None => SlipStep::Release,
            };
            let slip = desk.slip_step(&id, step, &actor)?;
            if json {
                print_json(&slip)?;
            } else {
                show(&slip);
            }
        }
        ReleaseCommand::Cancel { id, reason } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.slip_step(&id, SlipStep::Cancel(&reason), &actor)?);
        }
        ReleaseCommand::List { archived, json } => {
            let desk = open_desk(data)?;
            let slips = if archived { desk.archived_slips()? } else { desk.slips()? };
            if json {
                print_json(&slips)?;
            } else {
                let now = desk.now();
                for s in &slips {
                    show(s);
                    if s.is_expired(now) {
                        wuye_node::say!("    已过期 expired: its day is over");
                    }
                }
                wuye_node::say!("{} slip(s)", slips.len());
            }
        }
    }
    Ok(())
}
