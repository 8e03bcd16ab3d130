//! `repair`: work orders (维修工作单).

use clap::Subcommand;
use wuye_app::desk::DeskRepairStep;
use wuye_node::process::print_json;
use wuye_node::render;
use wuye_protocol::repair::{NewRepair, Repair, RepairStep};

use super::*;
use wuye_app::lists::ListFilter;

#[derive(Subcommand)]
pub(crate) enum RepairCommand {
    /// Report a repair (报修): a home (--unit) or a public area (--area).
    Add {
        /// The unit (楼栋/房号), for a resident's home.
        #[arg(long, conflicts_with = "area", allow_hyphen_values = true)]
        unit: Option<String>,
        /// The public area and location (公共区域).
        #[arg(long, allow_hyphen_values = true)]
        area: Option<String>,
        /// water, electric, doors_windows, pipes, elevator, public_facilities or other (or 水, 电, 门窗, 管道, 电梯, 公共设施, 其他).
        #[arg(long, allow_hyphen_values = true)]
        category: String,
        /// What is wrong.
        #[arg(long, allow_hyphen_values = true)]
        description: String,
        /// emergency (紧急: on site within 30 minutes) or normal (24 duty hours).
        #[arg(long)]
        urgency: String,
        /// phone, visit, letter, fax, wechat or app.
        #[arg(long)]
        channel: String,
        /// An agreed appointment: RFC 3339, or YYYY-MM-DD HH:MM in the site's time zone.
        #[arg(long)]
        appointment: Option<String>,
        /// A paid service (有偿服务).
        #[arg(long)]
        paid: bool,
        /// Who reported it (报修人).
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        reporter: String,
        /// Their phone.
        #[arg(long, default_value = "")]
        phone: String,
        /// The work-log entry it came from.
        #[arg(long)]
        from_log: Option<String>,
        /// Print the whole work order as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Dispatch (or reassign) to a maintenance staff member.
    Dispatch {
        /// The work order's id (or its first characters).
        id: String,
        /// The maintenance staff member's id (`staff list`).
        #[arg(long)]
        to: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Someone arrived on site.
    Arrive {
        /// The work order's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The work is done.
    Complete {
        /// The work order's id (or its first characters).
        id: String,
        /// The work done.
        #[arg(long, allow_hyphen_values = true)]
        work: String,
        /// Materials used.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        materials: String,
        /// The charge in yuan (a paid service only), e.g. 80 or 80.50.
        #[arg(long)]
        charge: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A follow-up visit (回访); satisfaction 1-2 reopens the order.
    Visit {
        /// The work order's id (or its first characters).
        id: String,
        /// 1 to 5.
        #[arg(long)]
        satisfaction: u8,
        /// The resident's words.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        comment: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Close after a satisfied follow-up visit.
    Close {
        /// The work order's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List this site's work orders.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one work order with its history.
    Show {
        /// The work order's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Work orders nobody reached by their response deadline.
    Overdue {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn print_repair(r: &Repair, done: &str, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(r)?;
    } else {
        wuye_node::say!("{done} on work order {}; status {}", r.id, r.status.label());
    }
    Ok(())
}

pub(crate) fn run(data: &std::path::Path, cmd: RepairCommand) -> anyhow::Result<()> {
    let (mut desk, actor) = open_signed_in(data)?;
    let other = |step| DeskRepairStep::Other(step);
    match cmd {
        RepairCommand::Add {
            unit,
            area,
            category,
            description,
            urgency,
            channel,
            appointment,
            paid,
            reporter,
            phone,
            from_log,
            json,
        } => {
            let input = NewRepair {
                unit,
                area,
                category: category.parse()?,
                description,
                channel: channel.parse()?,
                urgency: urgency.parse()?,
                appointment: appointment.map(|a| parse_time(&a, desk.site.timezone)).transpose()?,
                paid,
                reporter,
                reporter_phone: phone,
            };
            let r = desk.made_from_log(from_log.as_deref(), |desk| desk.add_repair(&input, &actor), |r| r.id)?;
            if json {
                print_json(&r)?;
            } else {
                wuye_node::say!("{}", r.id);
            }
        }
        RepairCommand::Dispatch { id, to, json } => {
            let r = desk.repair_step(&id, &DeskRepairStep::Dispatch { staff_id: &to }, &actor)?;
            print_repair(&r, "dispatched", json)?;
        }
        RepairCommand::Arrive { id, json } => {
            let r = desk.repair_step(&id, &other(RepairStep::Arrive), &actor)?;
            print_repair(&r, "arrival recorded", json)?;
        }
        RepairCommand::Complete { id, work, materials, charge, json } => {
            let charge_fen = charge.map(|c| wuye_protocol::money::Fen::parse_yuan(&c)).transpose()?;
            let step = RepairStep::Complete { work: &work, materials: &materials, charge_fen };
            let r = desk.repair_step(&id, &other(step), &actor)?;
            print_repair(&r, "completion recorded", json)?;
        }
        RepairCommand::Visit { id, satisfaction, comment, json } => {
            let r = desk.repair_step(&id, &other(RepairStep::Visit { satisfaction, comment: &comment }), &actor)?;
            print_repair(&r, "follow-up visit recorded", json)?;
        }
        RepairCommand::Close { id, json } => {
            let r = desk.repair_step(&id, &other(RepairStep::Close), &actor)?;
            print_repair(&r, "closed", json)?;
        }
        RepairCommand::List { json } => render::print_repairs(&desk.list_all::<Repair>(&ListFilter::default())?, json)?,
        RepairCommand::Show { id, json } => render::print_repair(&desk.repair(&id)?, json)?,
        RepairCommand::Overdue { json } => render::print_repairs(&desk.overdue_repairs()?, json)?,
    }
    Ok(())
}
