//! The shift handover record (交接班记录) at the desk: written by the
//! outgoing person with the open items listed now, confirmed by the incoming
//! person as themselves.

use wuye_node::Records as _;
use wuye_protocol::handover::{self, NewHandover, ShiftHandover, Thing};
use wuye_protocol::ids::RecordId;
use wuye_protocol::rules::RuleError;
use wuye_protocol::staff::Staff;

use super::{Actor, Desk};
use crate::AppError;

/// What the outgoing person writes besides the open items.
#[derive(Debug, Clone, Default)]
pub struct HandoverNote {
    /// The shift (早班, 夜班, …).
    pub shift: String,
    /// Who takes over: a staff member's name or id.
    pub to: String,
    /// Things handed over.
    pub things: Vec<Thing>,
    /// 本班情况, 遗留问题.
    pub notes: String,
}

impl Desk {
    /// Writes the handover record: the open items as the handover lists them now.
    pub fn write_handover(&mut self, note: &HandoverNote, actor: &Actor) -> Result<ShiftHandover, AppError> {
        let Some(_) = actor.staff_id else {
            return Err(RuleError::OutOfRange {
                field: "who hands over",
                value: actor.name.clone(),
                allowed: "a staff member signed in (`wuye-agent login NAME`)".into(),
            }
            .into());
        };
        let to = self.incoming(&note.to)?;
        let now = self.now();
        let items = crate::shift::handover(&self.store, now)?.open_items(now);
        let new = NewHandover {
            shift: note.shift.clone(),
            to_id: to.id,
            to: Actor::of(&to).name,
            items,
            things: note.things.clone(),
            notes: note.notes.clone(),
        };
        let id = RecordId::random(&mut self.rng);
        let mut doc = handover::write(id, self.site.id, self.site.timezone, now, &actor.name, &new)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// The incoming person confirms a record handed to them, noting any shortage.
    pub fn confirm_handover(&mut self, id: &str, found: &str, actor: &Actor) -> Result<ShiftHandover, AppError> {
        let rid = self.store.resolve(wuye_protocol::doc::RecordKind::ShiftHandover, id)?;
        let me = actor.staff_id.map(|s| s.record()).ok_or_else(|| RuleError::OutOfRange {
            field: "who confirms",
            value: actor.name.clone(),
            allowed: "the incoming staff member, signed in as themselves".into(),
        })?;
        let now = self.now();
        let view = self.store.edit(rid, |doc| handover::confirm(doc, now, &actor.name, me, found))?;
        Ok(wuye_node::Store::typed(view)?)
    }

    /// The site's handover records, newest first.
    pub fn handovers(&self) -> Result<Vec<ShiftHandover>, AppError> {
        let mut all = self.store.all::<ShiftHandover>(Some(self.site.id))?;
        all.reverse();
        Ok(all)
    }

    /// An active staff member by name (one of that name) or id.
    fn incoming(&self, who: &str) -> Result<Staff, AppError> {
        let who = who.trim();
        let named: Vec<Staff> = self
            .store
            .all::<Staff>(Some(self.site.id))?
            .into_iter()
            .filter(|s| s.disabled.is_none() && s.name == who)
            .collect();
        let member = match named.len() {
            1 => named.into_iter().next().expect("one"),
            0 => self.staff_member(who)?,
            _ => {
                return Err(RuleError::OutOfRange {
                    field: "who takes over",
                    value: who.to_string(),
                    allowed: "one staff member: several have this name, give the id (`staff list`)".into(),
                }
                .into())
            }
        };
        member.check_active()?;
        Ok(member)
    }
}
