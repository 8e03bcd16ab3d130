//! The house register (房屋): every home, shop and parking space of a site,
//! with its building, unit, floor, room, type, gross floor area (建筑面积, in
//! hundredths of a square metre, never floating point) and where it stands:
//! 未交付 → 已交付 → 装修中 → 已入住, or 空置. The state is computed from the
//! steps recorded in the document, so a step taken at the site and one at
//! head office merge to the same state everywhere.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ScalarValue, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::events;
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::{field_text, RuleError};
use crate::time;

/// Longest building, unit or room name, in characters.
pub const MAX_PART_CHARS: usize = 20;
/// Largest gross floor area accepted, in hundredths of m² (100,000 m²).
pub const MAX_AREA_CENTI: u64 = 10_000_000;
/// Where a house keeps its steps.
const STEPS: &str = "steps";

labelled_enum!(
    /// What kind of property it is.
    HouseType, RuleError, |value| RuleError::Unknown {
        what: "house type (住宅, 商铺, 车位, 办公, 储藏室, 其他)",
        value,
    }, {
        Home => ("home", "住宅"),
        Shop => ("shop", "商铺"),
        Parking => ("parking", "车位"),
        Office => ("office", "办公"),
        Storage => ("storage", "储藏室"),
        Other => ("other", "其他"),
    }
);

labelled_enum!(
    /// Where a house stands.
    HouseState, RuleError, |value| RuleError::Unknown {
        what: "house state (未交付, 已交付, 装修中, 已入住, 空置)",
        value,
    }, {
        NotHandedOver => ("not_handed_over", "未交付"),
        HandedOver => ("handed_over", "已交付"),
        Renovating => ("renovating", "装修中"),
        Occupied => ("occupied", "已入住"),
        Vacant => ("vacant", "空置"),
    }
);

/// A gross floor area as people write it (`89.5`, `120.25`, `89.50㎡`), in hundredths of m².
pub fn parse_area(text: &str) -> Result<u64, RuleError> {
    let bad = || RuleError::OutOfRange {
        field: "the gross floor area (建筑面积)",
        value: crate::text::echo(text),
        allowed: "square metres above 0 with at most two decimals, e.g. 89.50".into(),
    };
    let t = text.trim().trim_end_matches(['㎡', '平']).trim_end_matches("m²").trim_end_matches("m2").trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let frac: u64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let centi = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)?;
    if centi == 0 || centi > MAX_AREA_CENTI {
        return Err(bad());
    }
    Ok(centi)
}

/// An area in hundredths of m² as people read it: `89.50`.
pub fn area_text(centi: u64) -> String {
    format!("{}.{:02}", centi / 100, centi % 100)
}

/// What the register holds of a new house.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHouse {
    /// 楼栋, e.g. `3栋`.
    pub building: String,
    /// 单元, e.g. `2单元`; empty for a building without units.
    pub unit: String,
    /// 楼层, e.g. `5` or `-1`.
    pub floor: i32,
    /// 房号, e.g. `501`.
    pub room: String,
    /// 类型.
    pub house_type: HouseType,
    /// 建筑面积, hundredths of m².
    pub area_centi: u64,
}

/// A house as lists show it (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct House {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// 楼栋.
    pub building: String,
    /// 单元 (may be empty).
    pub unit: String,
    /// 楼层.
    pub floor: i32,
    /// 房号.
    pub room: String,
    /// 类型.
    pub house_type: HouseType,
    /// 建筑面积, hundredths of m².
    pub area_centi: u64,
    /// Where it stands, from its steps.
    pub state: HouseState,
    /// The handover date (交付日期), once handed over.
    pub handover_date: Option<NaiveDate>,
    /// Every step, oldest first.
    pub steps: Vec<events::Entry>,
    /// When it was registered, in the site's time zone.
    pub created_at: time::SiteTime,
}

impl House {
    /// The address as offices write it: `3栋2单元501`.
    pub fn address(&self) -> String {
        format!("{}{}{}", self.building, self.unit, self.room)
    }
}

/// An address written in free text, reduced to what identifies a house:
/// no spaces or separators, full-width digits as ASCII, `号楼`/`幢`/`座` as `栋`.
pub fn address_key(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '—' | '－' | '/' | '#' | '室'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c.to_ascii_uppercase(),
        })
        .collect();
    for from in ["号楼", "幢", "座"] {
        out = out.replace(from, "栋");
    }
    out
}

fn check(new: &NewHouse) -> Result<NewHouse, RuleError> {
    let part = |field, value: &str, required| field_text(field, value, MAX_PART_CHARS, required);
    if !(-10..=200).contains(&new.floor) {
        return Err(RuleError::OutOfRange {
            field: "the floor (楼层)",
            value: new.floor.to_string(),
            allowed: "-10 to 200".into(),
        });
    }
    if new.area_centi == 0 || new.area_centi > MAX_AREA_CENTI {
        return Err(RuleError::OutOfRange {
            field: "the gross floor area (建筑面积)",
            value: area_text(new.area_centi),
            allowed: "above 0 and at most 100000.00 m²".into(),
        });
    }
    Ok(NewHouse {
        building: part("building (楼栋)", &new.building, true)?,
        unit: part("unit (单元)", &new.unit, false)?,
        room: part("room (房号)", &new.room, true)?,
        ..new.clone()
    })
}

/// A new house's document.
pub fn new_house(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    new: &NewHouse,
) -> Result<AutoCommit, RuleError> {
    let new = check(new)?;
    let mut doc = new_record(RecordKind::House, id, site_id, tz, now, by)?;
    doc.put(ROOT, "building", new.building.as_str())?;
    doc.put(ROOT, "unit", new.unit.as_str())?;
    doc.put(ROOT, "floor", ScalarValue::Int(i64::from(new.floor)))?;
    doc.put(ROOT, "room", new.room.as_str())?;
    doc.put(ROOT, "house_type", new.house_type.as_str())?;
    doc.put(ROOT, "area_centi", ScalarValue::Uint(new.area_centi))?;
    events::start(&mut doc, STEPS)?;
    Ok(doc)
}

/// Whether a house in `state` may move to `to`.
fn fits(state: HouseState, to: HouseState) -> bool {
    use HouseState as S;
    match to {
        S::NotHandedOver => false,
        S::HandedOver => state == S::NotHandedOver,
        S::Renovating | S::Occupied | S::Vacant => state != S::NotHandedOver && state != to,
    }
}

/// The state a house reaches through its steps, taken in document order, and
/// its handover date; a step that does not fit the state it meets (two
/// handovers made apart, say) is kept but moves nothing.
fn state_of(steps: &[events::Entry]) -> (HouseState, Option<NaiveDate>) {
    let mut state = HouseState::NotHandedOver;
    let mut handed_over = None;
    for step in steps {
        let name = step.text.split(' ').next().unwrap_or_default();
        let Ok(to) = name.parse::<HouseState>() else { continue };
        if fits(state, to) {
            if to == HouseState::HandedOver {
                handed_over = Some(step.at.local().date_naive());
            }
            state = to;
        }
    }
    (state, handed_over)
}

/// Moves a house to `to` (handed over at the end of the move-in slip,
/// renovating, occupied, left empty), refusing a step that does not fit.
pub fn set_state(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    to: HouseState,
    note: &str,
) -> Result<(), RuleError> {
    let house: House = crate::kind::read(doc)?;
    if !fits(house.state, to) {
        return Err(RuleError::OutOfRange {
            field: "the house's state",
            value: format!("{} → {}", house.state.label(), to.label()),
            allowed: "未交付 → 已交付, then 装修中, 已入住 or 空置".into(),
        });
    }
    let text = match note.trim() {
        "" => to.as_str().to_string(),
        note => format!("{} {note}", to.as_str()),
    };
    events::append(doc, STEPS, "note", now, by, &text)
}

/// A text sorted as people count: every run of digits padded, so 2栋 comes before 10栋.
fn natural(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            out.push_str(&format!("{digits:0>8}"));
            digits.clear();
        }
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

impl crate::kind::Kind for House {
    const KIND: RecordKind = RecordKind::House;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        let steps = events::read(root, STEPS, header.timezone)?;
        let (state, handover_date) = state_of(&steps);
        let floor = match root.i64("floor")? {
            n if (-10..=200).contains(&n) => n as i32,
            n => return Err(DocError::invalid("floor", format!("{n} is not a floor from -10 to 200"))),
        };
        let area_centi = root.u64("area_centi")?;
        if area_centi == 0 || area_centi > MAX_AREA_CENTI {
            return Err(DocError::invalid("area_centi", format!("{area_centi} is not an area")));
        }
        Ok(House {
            id: header.id,
            site_id: header.site_id,
            building: root.str_up_to("building", MAX_PART_CHARS)?,
            unit: root.str_up_to("unit", MAX_PART_CHARS)?,
            floor,
            room: root.str_up_to("room", MAX_PART_CHARS)?,
            house_type: root
                .str("house_type")?
                .parse()
                .map_err(|e: RuleError| DocError::invalid("house_type", e.to_string()))?,
            area_centi,
            state,
            handover_date,
            steps,
            created_at: time::to_site(header.created_at, header.timezone),
        })
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        // Listed by address: building, unit, floor, room.
        crate::kind::Projection {
            sort: format!(
                "{}|{}|{:04}|{}",
                natural(&self.building),
                natural(&self.unit),
                self.floor + 100,
                natural(&self.room)
            ),
            status: self.state.as_str(),
        }
    }
}

#[cfg(test)]
mod tests;
