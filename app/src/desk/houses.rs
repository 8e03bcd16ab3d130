//! The house register at the desk: importing it from a sheet (checked whole
//! before anything is written), listing and searching it, and the records
//! whose free-text unit names no house.

use std::collections::HashSet;
use wuye_node::Records as _;

use wuye_protocol::complaint::Complaint;
use wuye_protocol::house::{self, House, HouseType, NewHouse};
use wuye_protocol::ids::RecordId;
use wuye_protocol::repair::Repair;
use wuye_protocol::resident::Resident;
use wuye_protocol::rules::RuleError;

use super::{Actor, Desk};
use crate::AppError;

/// The columns a register sheet has, by their header.
pub const COLUMNS: [&str; 6] = ["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"];

/// Most rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 20_000;

/// A wrong cell: its row (as the sheet numbers it, the header being row 1), its column, why.
fn problem(row: usize, column: &str, why: impl std::fmt::Display) -> String {
    format!("row {row}, {column}: {why}")
}

/// Checks a whole sheet (a header row, then one house a row) and returns the
/// houses, or every problem found, each by row and column.
pub fn check_sheet(sheet: &[Vec<String>]) -> Result<Vec<NewHouse>, AppError> {
    let refused = |problems: Vec<String>| AppError::ImportRefused { problems };
    let Some((header, rows)) = sheet.split_first() else {
        return Err(refused(vec![
            "the sheet is empty: its first row names the columns 楼栋, 单元, 楼层, 房号, 类型, 建筑面积".into(),
        ]));
    };
    let mut at = [0usize; 6];
    let mut missing = Vec::new();
    for (k, name) in COLUMNS.iter().enumerate() {
        match header.iter().position(|h| h.trim() == *name) {
            Some(i) => at[k] = i,
            None => missing.push(format!("the header row has no column {name}")),
        }
    }
    if !missing.is_empty() {
        return Err(refused(missing));
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(refused(vec![format!("{} rows: import at most {MAX_IMPORT_ROWS} at a time", rows.len())]));
    }
    let mut problems = Vec::new();
    let mut houses = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let n = i + 2;
        let cell = |k: usize| row.get(at[k]).map(|c| c.trim().to_string()).unwrap_or_default();
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let floor = match cell(2).parse::<i32>() {
            Ok(f) => Some(f),
            Err(_) => {
                problems.push(problem(
                    n,
                    "楼层",
                    format!("'{}' is not a whole number (e.g. 5, or -1 below ground)", cell(2)),
                ));
                None
            }
        };
        let house_type = match cell(4).parse::<HouseType>() {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(problem(n, "类型", e));
                None
            }
        };
        let area = match house::parse_area(&cell(5)) {
            Ok(a) => Some(a),
            Err(e) => {
                problems.push(problem(n, "建筑面积", e));
                None
            }
        };
        for (k, column) in [(0, "楼栋"), (3, "房号")] {
            if cell(k).is_empty() {
                problems.push(problem(n, column, "empty: every house needs it"));
            }
        }
        let address = format!("{}{}{}", cell(0), cell(1), cell(3));
        if !seen.insert(house::address_key(&address)) {
            problems.push(problem(n, "房号", format!("{address} is on an earlier row too")));
        }
        let (Some(floor), Some(house_type), Some(area_centi)) = (floor, house_type, area) else { continue };
        houses.push(NewHouse { building: cell(0), unit: cell(1), floor, room: cell(3), house_type, area_centi });
    }
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    Ok(houses)
}

/// A record whose unit names no house in the register.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unmatched {
    /// Which kind of record (`complaint`, `repair`, `resident`).
    pub kind: &'static str,
    /// The record.
    pub id: RecordId,
    /// The unit as it was written.
    pub unit: String,
}

impl Desk {
    /// Imports a register sheet: every row checked first, nothing written
    /// when any is wrong or names a house already registered; returns how many.
    pub fn import_houses(&mut self, sheet: &[Vec<String>], actor: &Actor) -> Result<usize, AppError> {
        wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
        let houses = check_sheet(sheet)?;
        let known: HashSet<String> =
            self.houses(None, None)?.iter().map(|h| house::address_key(&h.address())).collect();
        let already: Vec<String> = houses
            .iter()
            .filter(|h| known.contains(&house::address_key(&format!("{}{}{}", h.building, h.unit, h.room))))
            .map(|h| format!("{}{}{} is already registered", h.building, h.unit, h.room))
            .collect();
        if !already.is_empty() {
            return Err(AppError::ImportRefused { problems: already });
        }
        let now = self.now();
        let mut docs = houses
            .iter()
            .map(|h| {
                house::new_house(RecordId::random(&mut self.rng), self.site.id, self.site.timezone, now, &actor.name, h)
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.store.insert_batch(&mut docs)?;
        Ok(docs.len())
    }

    /// The registered house at an address as people write it (`3栋2单元501`, `3-2-501`).
    pub fn house_at(&self, address: &str) -> Result<House, AppError> {
        let key = house::address_key(address);
        self.houses(None, None)?.into_iter().find(|h| house::address_key(&h.address()) == key).ok_or_else(|| {
            RuleError::OutOfRange {
                field: "the house",
                value: wuye_protocol::text::echo(address),
                allowed: "a house in the register (`unit list`; import it with `unit import`)".into(),
            }
            .into()
        })
    }

    /// The register, in address order; only a building's, or rooms whose number holds `room`.
    pub fn houses(&self, building: Option<&str>, room: Option<&str>) -> Result<Vec<House>, AppError> {
        let mut all = self.store.all::<House>(Some(self.site.id))?;
        if let Some(b) = building.map(str::trim).filter(|b| !b.is_empty()) {
            let b = house::address_key(b);
            all.retain(|h| house::address_key(&h.building) == b);
        }
        if let Some(r) = room.map(str::trim).filter(|r| !r.is_empty()) {
            all.retain(|h| h.room.contains(r));
        }
        Ok(all)
    }

    /// Complaints, work orders and residents whose unit names no registered
    /// house: for a person to correct, never guessed. Empty while the register is.
    pub fn unmatched_units(&self) -> Result<Vec<Unmatched>, AppError> {
        let known: HashSet<String> =
            self.houses(None, None)?.iter().map(|h| house::address_key(&h.address())).collect();
        if known.is_empty() {
            return Ok(Vec::new());
        }
        let site = Some(self.site.id);
        let mut out = Vec::new();
        let mut check = |kind, id, unit: &str| {
            if !known.contains(&house::address_key(unit)) {
                out.push(Unmatched { kind, id, unit: unit.to_string() });
            }
        };
        for c in self.store.all::<Complaint>(site)? {
            check("complaint", c.id, &c.unit);
        }
        for r in self.store.all::<Repair>(site)? {
            if let Some(unit) = &r.unit {
                check("repair", r.id, unit);
            }
        }
        for r in self.store.all::<Resident>(site)? {
            check("resident", r.id, &r.unit);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    }

    #[test]
    fn a_sheet_is_taken_whole_or_refused_with_every_problem_by_row_and_column() {
        let good = sheet(&[
            &["房号", "楼栋", "单元", "楼层", "类型", "建筑面积"],
            &["501", "3栋", "2单元", "5", "住宅", "89.50"],
            &["B1-08", "地下车库", "", "-1", "车位", "12.5"],
        ]);
        let houses = check_sheet(&good).unwrap();
        assert_eq!(houses.len(), 2);
        assert_eq!((houses[1].floor, houses[1].area_centi), (-1, 1_250));
        let bad = sheet(&[
            &["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"],
            &["3栋", "2单元", "五", "501", "住宅", "89.5"],
            &["3栋", "2单元", "5", "502", "别墅", "0"],
            &["3 栋", "2单元", "5", "501", "住宅", "89.5"],
        ]);
        let Err(AppError::ImportRefused { problems }) = check_sheet(&bad) else { panic!("refused") };
        assert!(problems[0].starts_with("row 2, 楼层"), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("row 3, 类型")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("row 3, 建筑面积")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("row 4, 房号") && p.contains("earlier row")), "{problems:?}");
        let Err(AppError::ImportRefused { problems }) = check_sheet(&sheet(&[&["楼栋", "房号"]])) else { panic!() };
        assert!(problems.iter().any(|p| p.contains("建筑面积")));
    }
}
