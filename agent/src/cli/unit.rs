//! `unit`: the house register (房屋): imported from a sheet, listed and
//! searched, and the records whose unit names no house.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::house::area_text;

use super::{open_desk, open_signed_in};

#[derive(Subcommand)]
pub(crate) enum UnitCommand {
    /// Import the register from an xlsx or CSV sheet: a header row naming 楼栋, 单元, 楼层, 房号,
    /// 类型, 建筑面积, then a house a row; nothing is imported when any row is wrong.
    Import {
        /// The sheet (.xlsx, or .csv in UTF-8).
        file: PathBuf,
    },
    /// List the register, in address order.
    List {
        /// Only this building (楼栋).
        #[arg(long)]
        building: Option<String>,
        /// Only rooms whose number holds this.
        #[arg(long)]
        room: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Complaints, work orders and residents whose unit names no registered house, to correct.
    Unmatched {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The rows of a sheet as text: the first worksheet of an xlsx file, or a CSV file.
pub(crate) fn read_sheet(file: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    let cannot = |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot read {}: {e}", file.display());
    match ext.as_str() {
        "xlsx" | "xlsm" => {
            use calamine::Reader;
            let mut book: calamine::Xlsx<_> = calamine::open_workbook(file).map_err(|e| cannot(&e))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| cannot(&"the workbook has no sheet"))?
                .map_err(|e| cannot(&e))?;
            Ok(range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e12 => format!("{}", *f as i64),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect())
        }
        "csv" => {
            let bytes = std::fs::read(file).map_err(|e| cannot(&e))?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| anyhow::anyhow!("{} is not UTF-8: save it from Excel as CSV UTF-8", file.display()))?;
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
            reader
                .records()
                .map(|r| r.map(|r| r.iter().map(str::to_string).collect()).map_err(|e| cannot(&e)))
                .collect()
        }
        _ => anyhow::bail!("{} is not a sheet this takes: give an .xlsx or a .csv file", file.display()),
    }
}

/// Runs `wuye-agent unit …`.
pub(crate) fn run(data: &Path, cmd: UnitCommand) -> anyhow::Result<()> {
    match cmd {
        UnitCommand::Import { file } => {
            let sheet = read_sheet(&file)?;
            let (mut desk, actor) = open_signed_in(data)?;
            let n = desk.import_houses(&sheet, &actor)?;
            wuye_node::say!("{n} house(s) imported into the register");
            let unmatched = desk.unmatched_units()?;
            if !unmatched.is_empty() {
                wuye_node::say!(
                    "{} record(s) name a unit that is not in the register: see `wuye-agent unit unmatched`",
                    unmatched.len()
                );
            }
        }
        UnitCommand::List { building, room, json } => {
            let desk = open_desk(data)?;
            let houses = desk.houses(building.as_deref(), room.as_deref())?;
            if json {
                print_json(&houses)?;
            } else {
                for h in &houses {
                    wuye_node::say!(
                        "{}  {}层  {}  {} m²  {}{}",
                        h.address(),
                        h.floor,
                        h.house_type.label(),
                        area_text(h.area_centi),
                        h.state.label(),
                        h.handover_date.map_or(String::new(), |d| format!("  交付 {d}"))
                    );
                }
                wuye_node::say!("{} house(s)", houses.len());
            }
        }
        UnitCommand::Unmatched { json } => {
            let desk = open_desk(data)?;
            let unmatched = desk.unmatched_units()?;
            if json {
                print_json(&unmatched)?;
            } else {
                for u in &unmatched {
                    wuye_node::say!("{} {}  '{}'", u.kind, u.id, u.unit);
                }
                wuye_node::say!("{} record(s) name no registered house", unmatched.len());
            }
        }
    }
    Ok(())
}
