//! `movein`: the move-in circulation slip (收楼流转单), station by station.

use std::path::Path;

use clap::Subcommand;
use wuye_app::desk::{MoveInStep, MoveInView};
use wuye_node::process::print_json;
use wuye_protocol::money::Fen;
use wuye_protocol::movein::{Meter, StationKind};

use super::{open_desk, open_signed_in};

/// `movein` with what to do and whether to print JSON.
#[derive(clap::Args)]
pub(crate) struct MoveInArgs {
    #[command(subcommand)]
    cmd: MoveInCommand,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
pub(crate) enum MoveInCommand {
    /// Open a slip for a registered house not yet handed over and its owner.
    Open {
        /// The house, as the register writes it (3栋2单元501).
        #[arg(long, allow_hyphen_values = true)]
        house: String,
        /// The owner (业主).
        #[arg(long, allow_hyphen_values = true)]
        owner: String,
        /// The owner's phone.
        #[arg(long, default_value = "")]
        phone: String,
    },
    /// List the site's slips, newest first.
    List,
    /// Show a slip: its stations, boxes, readings, defects, fees and keys.
    Show {
        /// The slip's id (or its first characters).
        id: String,
    },
    /// Tick boxes of a station (购房合同, 身份证, 房屋验收表, …), or all of them.
    Tick {
        /// The slip's id (or its first characters).
        id: String,
        /// The station: documents, inspection, papers, fees, keys or gift (or its Chinese name).
        #[arg(long)]
        station: String,
        /// The boxes, as the slip names them.
        items: Vec<String>,
        /// Every box of the station.
        #[arg(long)]
        all: bool,
        /// Untick instead.
        #[arg(long)]
        undo: bool,
    },
    /// Record the meter readings at the inspection.
    Read {
        /// The slip's id (or its first characters).
        id: String,
        /// The water meter (水).
        #[arg(long)]
        water: Option<String>,
        /// The electricity meter (电).
        #[arg(long)]
        electricity: Option<String>,
        /// The gas meter (气).
        #[arg(long)]
        gas: Option<String>,
    },
    /// Record a defect found at the inspection; with --order it becomes a repair work order.
    Defect {
        /// The slip's id (or its first characters).
        id: String,
        /// Where in the home (客厅, 主卧, 卫生间, …).
        #[arg(long, allow_hyphen_values = true)]
        room: String,
        /// What is wrong.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Make a work order of this category (水, 电, 门窗, 管道, 其他, …).
        #[arg(long)]
        order: Option<String>,
    },
    /// Record a fee collected at finance.
    Fee {
        /// The slip's id (or its first characters).
        id: String,
        /// What (物业费6个月, 维修基金, …).
        #[arg(long, allow_hyphen_values = true)]
        item: String,
        /// How much, in yuan (1234.56).
        #[arg(long)]
        amount: String,
    },
    /// Put a key in custody on the slip, to be handed over at the keys station.
    Key {
        /// The slip's id (or its first characters).
        id: String,
        /// The key's tag (or its id).
        tag: String,
    },
    /// Stamp a station (盖章); a 经理 may stamp out of order with --override.
    Stamp {
        /// The slip's id (or its first characters).
        id: String,
        /// The station.
        #[arg(long)]
        station: String,
        /// Why it is stamped out of order (a 经理 only).
        #[arg(long = "override", allow_hyphen_values = true)]
        reason: Option<String>,
    },
    /// Send a station back (退回), saying why.
    Return {
        /// The slip's id (or its first characters).
        id: String,
        /// The station.
        #[arg(long)]
        station: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
    },
}

fn show(view: &MoveInView) {
    let s = &view.slip;
    wuye_node::say!("收楼流转单  {}  业主 {} {}  {}  {}", s.house, s.owner, s.phone, s.state.label(), s.id);
    for (i, st) in s.stations.iter().enumerate() {
        let when = st.at.as_ref().map(|a| a.local().format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
        let ticks: Vec<String> =
            st.ticks.iter().map(|(t, done)| format!("{}{t}", if *done { "☑" } else { "☐" })).collect();
        wuye_node::say!("  {}. {}  {}  {} {}  {}", i + 1, st.station.label, st.state.label(), st.by, when, st.reason);
        wuye_node::say!("     {}", ticks.join(" "));
    }
    let readings: Vec<String> = s.readings.iter().map(|(m, r)| format!("{}表 {}", m.label(), r)).collect();
    wuye_node::say!("  读数: {}", readings.join("  "));
    for (d, order) in s.defects.iter().zip(&view.orders) {
        let order = match (&d.work_order, order) {
            (Some(id), Some(state)) => format!("维修工作单 {id} {state}"),
            _ => String::new(),
        };
        wuye_node::say!("  问题: {} {}  {}", d.room, d.text, order);
    }
    for f in &s.fees {
        wuye_node::say!("  收费: {} ¥{}", f.item, f.amount);
    }
    let keys: Vec<&str> = s.keys.iter().map(|k| k.tag.as_str()).collect();
    if !keys.is_empty() {
        wuye_node::say!("  钥匙: {}", keys.join("、"));
    }
}

/// Runs `wuye-agent movein …`.
pub(crate) fn run(data: &Path, args: MoveInArgs) -> anyhow::Result<()> {
    let json = args.json;
    let print = |view: &MoveInView| -> anyhow::Result<()> {
        if json {
            print_json(view)?;
        } else {
            show(view);
        }
        Ok(())
    };
    let step = |id: &str, step: MoveInStep<'_>| -> anyhow::Result<()> {
        let (mut desk, actor) = open_signed_in(data)?;
        print(&desk.movein_step(id, step, &actor)?)
    };
    match args.cmd {
        MoveInCommand::Open { house, owner, phone } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let slip = desk.open_movein(&house, &owner, &phone, &actor)?;
            print(&desk.movein(&slip.id.to_string())?)?;
        }
        MoveInCommand::List => {
            let desk = open_desk(data)?;
            let slips = desk.moveins()?;
            if json {
                print_json(&slips)?;
            } else {
                for s in &slips {
                    let stamped = s.stations.iter().filter(|st| st.at.is_some()).count();
                    wuye_node::say!(
                        "{}  {}  {}  {}/{}  {}",
                        s.house,
                        s.owner,
                        s.state.label(),
                        stamped,
                        s.stations.len(),
                        s.id
                    );
                }
                wuye_node::say!("{} slip(s)", slips.len());
            }
        }
        MoveInCommand::Show { id } => {
            print(&open_desk(data)?.movein(&id)?)?;
        }
        MoveInCommand::Tick { id, station, items, all, undo } => {
            let kind: StationKind = station.parse()?;
            let items: Vec<String> = if all { kind.ticks().iter().map(|t| t.to_string()).collect() } else { items };
            if items.is_empty() {
                anyhow::bail!("name the boxes to tick ({}), or give --all", kind.ticks().join("、"));
            }
            let (mut desk, actor) = open_signed_in(data)?;
            let mut view = None;
            for item in &items {
                view = Some(desk.movein_step(&id, MoveInStep::Tick(kind, item, !undo), &actor)?);
            }
            if let Some(view) = view {
                print(&view)?;
            }
        }
        MoveInCommand::Read { id, water, electricity, gas } => {
            let readings: Vec<(Meter, String)> =
                [(Meter::Water, water), (Meter::Electricity, electricity), (Meter::Gas, gas)]
                    .into_iter()
                    .filter_map(|(m, r)| r.map(|r| (m, r)))
                    .collect();
            if readings.is_empty() {
                anyhow::bail!("give a reading: --water, --electricity or --gas");
            }
            let (mut desk, actor) = open_signed_in(data)?;
            let mut view = None;
            for (meter, reading) in &readings {
                view = Some(desk.movein_step(&id, MoveInStep::Reading(*meter, reading), &actor)?);
            }
            if let Some(view) = view {
                print(&view)?;
            }
        }
        MoveInCommand::Defect { id, room, text, order } => {
            let order = order.map(|c| c.parse()).transpose()?;
            step(&id, MoveInStep::Defect { room: &room, text: &text, order })?;
        }
        MoveInCommand::Fee { id, item, amount } => step(&id, MoveInStep::Fee(&item, Fen::parse_yuan(&amount)?))?,
        MoveInCommand::Key { id, tag } => step(&id, MoveInStep::Key(&tag))?,
        MoveInCommand::Stamp { id, station, reason } => {
            step(&id, MoveInStep::Stamp(station.parse()?, reason.as_deref()))?
        }
        MoveInCommand::Return { id, station, reason } => step(&id, MoveInStep::Return(station.parse()?, &reason))?,
    }
    Ok(())
}
