//! The move-in circulation slip (收楼流转单) at the desk: opened for a
//! registered house not yet handed over and its owner, carried through the
//! site's stations, its defects made into repair work orders, its keys
//! handed over from custody, and the house handed over at the last stamp.

use chrono::{DateTime, Utc};
use wuye_node::Records as _;
use wuye_protocol::doc::RecordKind;
use wuye_protocol::fee::MeterKind;
use wuye_protocol::house::{self, House, HouseState};
use wuye_protocol::ids::RecordId;
use wuye_protocol::key::{self, Key, KeyStatus};
use wuye_protocol::money::Fen;
use wuye_protocol::movein::{self, Meter, MoveIn, MoveInState, NewMoveIn, StationKind};
use wuye_protocol::repair::{Category, NewRepair, Repair, Urgency};
use wuye_protocol::rules::{Channel, RuleError};
use wuye_protocol::staff::{may, Guarded};

use super::{Actor, Desk};
use crate::settings::SiteSettings;
use crate::AppError;

/// A slip with what it links to: each defect's work order as it stands.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MoveInView {
    /// The slip.
    #[serde(flatten)]
    pub slip: MoveIn,
    /// For each defect, its work order's state (`已派工`, …), if it has one.
    pub orders: Vec<Option<String>>,
}

/// What the desk does on a slip, station by station.
#[derive(Debug, Clone)]
pub enum MoveInStep<'a> {
    /// Tick (or untick) a box of a station.
    Tick(StationKind, &'a str, bool),
    /// A meter reading at the inspection.
    Reading(Meter, &'a str),
    /// A defect found at the inspection, made into a repair work order when a category is given.
    Defect { room: &'a str, text: &'a str, order: Option<Category> },
    /// A fee collected at finance.
    Fee(&'a str, Fen),
    /// A key in custody, by tag or id, handed over at the keys station.
    Key(&'a str),
    /// A stamp, with a 经理's reason when out of order.
    Stamp(StationKind, Option<&'a str>),
    /// Sent back, with the reason.
    Return(StationKind, &'a str),
}

impl Desk {
    /// Opens a slip for a registered house not yet handed over (by its
    /// address as people write it) and its owner; one open slip a house.
    pub fn open_movein(&mut self, house: &str, owner: &str, phone: &str, actor: &Actor) -> Result<MoveIn, AppError> {
        may(actor.role, Guarded::OpenMoveIn)?;
        let found = self.house_at(house)?;
        if found.state != HouseState::NotHandedOver {
            return Err(RuleError::OutOfRange {
                field: "the house",
                value: format!("{} ({})", found.address(), found.state.label()),
                allowed: "a house not yet handed over (未交付)".into(),
            }
            .into());
        }
        if let Some(open) = self.moveins()?.into_iter().find(|m| m.house_id == found.id) {
            return Err(RuleError::OutOfRange {
                field: "the house",
                value: found.address(),
                allowed: format!("one slip a house: {} is already open for {}", open.id, open.owner),
            }
            .into());
        }
        let stations = SiteSettings::load(&self.store)?.movein_stations;
        let new = NewMoveIn { house_id: found.id, house: found.address(), owner: owner.into(), phone: phone.into() };
        let id = RecordId::random(&mut self.rng);
        let mut doc = movein::open(id, self.site.id, self.site.timezone, self.now(), &actor.name, &new, &stations)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// The site's slips, newest first.
    pub fn moveins(&self) -> Result<Vec<MoveIn>, AppError> {
        let mut all = self.store.all::<MoveIn>(Some(self.site.id))?;
        all.reverse();
        Ok(all)
    }

    /// One slip with its defects' work orders.
    pub fn movein(&self, id: &str) -> Result<MoveInView, AppError> {
        let slip: MoveIn = self.store.get(self.store.resolve(RecordKind::MoveIn, id)?)?;
        let orders = slip
            .defects
            .iter()
            .map(|d| {
                d.work_order.and_then(|id| self.store.get::<Repair>(id).ok()).map(|r| r.status.label().to_string())
            })
            .collect();
        Ok(MoveInView { slip, orders })
    }

    /// One step on a slip. Boxes, readings, defects, fees and keys are
    /// written by whoever may stamp their station; a stamp of the keys
    /// station hands each key over from custody, and the last stamp hands
    /// the house over.
    pub fn movein_step(&mut self, id: &str, step: MoveInStep<'_>, actor: &Actor) -> Result<MoveInView, AppError> {
        let rid = self.store.resolve(RecordKind::MoveIn, id)?;
        let slip: MoveIn = self.store.get(rid)?;
        let Some(role) = actor.role else {
            return Err(RuleError::Role {
                action: "stamp this station",
                allowed: "a staff member of the station".into(),
                role: "no staff member (sign in with `wuye-agent login NAME`)",
            }
            .into());
        };
        let station = match &step {
            MoveInStep::Tick(kind, ..) | MoveInStep::Stamp(kind, _) | MoveInStep::Return(kind, _) => *kind,
            MoveInStep::Reading(..) | MoveInStep::Defect { .. } => StationKind::Inspection,
            MoveInStep::Fee(..) => StationKind::Fees,
            MoveInStep::Key(_) => StationKind::Keys,
        };
        if let Some(s) = slip.station(station) {
            s.may(role, "stamp this station")?;
        }
        let now = self.now();
        let by = actor.name.clone();
        match step {
            MoveInStep::Tick(kind, item, done) => self.edit_slip(rid, |doc| movein::tick(doc, kind, item, done))?,
            MoveInStep::Reading(meter, value) => {
                self.edit_slip(rid, |doc| movein::read_meter(doc, meter, value))?;
                // The slip's readings are the house's first, which metered fees start from.
                let kind = match meter {
                    Meter::Water => MeterKind::Water,
                    Meter::Electricity => MeterKind::Electricity,
                    Meter::Gas => MeterKind::Gas,
                };
                let reading = wuye_protocol::fee::parse_quantity("the meter reading", value)?;
                self.first_reading(slip.house_id, kind, reading, rid, actor)?;
            }
            MoveInStep::Fee(item, amount) => self.edit_slip(rid, |doc| movein::add_fee(doc, item, amount))?,
            MoveInStep::Defect { room, text, order } => {
                let mut at = 0;
                self.edit_slip(rid, |doc| movein::add_defect(doc, room, text).map(|i| at = i))?;
                if let Some(category) = order {
                    let repair = self.add_repair(&defect_order(&slip, room, text, category), actor)?;
                    self.edit_slip(rid, |doc| movein::link_order(doc, at, repair.id))?;
                }
            }
            MoveInStep::Key(tag) => {
                let key = self.key_by_tag(tag)?;
                if key.status != KeyStatus::InCabinet {
                    return Err(RuleError::OutOfRange {
                        field: "the key",
                        value: format!("{} ({})", key.tag, key.status.label()),
                        allowed: "a key in the cabinet".into(),
                    }
                    .into());
                }
                self.edit_slip(rid, |doc| movein::add_key(doc, key.id, &key.tag))?;
            }
            MoveInStep::Return(kind, reason) => {
                self.edit_slip(rid, |doc| movein::send_back(doc, now, &by, role, kind, reason))?
            }
            MoveInStep::Stamp(kind, reason) => {
                if kind == StationKind::Fees {
                    self.first_bills_paid(slip.house_id)?;
                }
                self.edit_slip(rid, |doc| movein::stamp(doc, now, &by, role, kind, reason))?;
                self.after_stamp(rid, kind, now, actor)?;
            }
        }
        self.movein(&rid.to_string())
    }

    fn edit_slip(
        &mut self,
        id: RecordId,
        change: impl FnOnce(&mut automerge::AutoCommit) -> Result<(), RuleError>,
    ) -> Result<(), AppError> {
        self.store.edit(id, change)?;
        Ok(())
    }

    /// A key by its tag (or its id).
    fn key_by_tag(&self, tag: &str) -> Result<Key, AppError> {
        if let Some(key) = self.keys(false)?.into_iter().find(|k| k.tag == tag.trim()) {
            return Ok(key);
        }
        Ok(self.store.get(self.store.resolve(RecordKind::Key, tag)?)?)
    }

    /// What a stamp sets going: the keys leave custody; the last stamp hands the house over.
    fn after_stamp(
        &mut self,
        id: RecordId,
        kind: StationKind,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let slip: MoveIn = self.store.get(id)?;
        if kind == StationKind::Keys {
            for handed in &slip.keys {
                let key: Key = self.store.get(handed.key_id)?;
                if key.status == KeyStatus::InCabinet {
                    let owner = slip.owner.clone();
                    self.store
                        .edit(handed.key_id, |doc| key::step(doc, now, &actor.name, key::Step::HandOver(&owner)))?;
                }
            }
        }
        if slip.state == MoveInState::Delivered {
            let house: House = self.store.get(slip.house_id)?;
            if house.state == HouseState::NotHandedOver {
                let note = format!("收楼流转单 {}", slip.owner);
                self.store.edit(slip.house_id, |doc| {
                    house::set_state(doc, now, &actor.name, HouseState::HandedOver, &note)
                })?;
            }
        }
        Ok(())
    }
}

/// The work order a defect becomes: the house's, reported at the handover.
fn defect_order(slip: &MoveIn, room: &str, text: &str, category: Category) -> NewRepair {
    NewRepair {
        unit: Some(slip.house.clone()),
        area: None,
        category,
        description: format!("收楼验房 {room}：{text}"),
        channel: Channel::Visit,
        urgency: Urgency::Normal,
        appointment: None,
        paid: false,
        reporter: slip.owner.clone(),
        reporter_phone: slip.phone.clone(),
    }
}
