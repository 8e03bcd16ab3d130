//! The shift handover record (交接班记录): from whom to whom, the open items
//! the handover listed when it was written (complaints, work orders, promised
//! replies, keys out, slips issued but not checked), the things handed over
//! with their quantity and condition (对讲机, 钥匙, …), notes, and both
//! people's confirmation: the outgoing person's by writing it, the incoming
//! person's by confirming it, with any shortage found. Oral handovers are not
//! allowed (FORMS.md §8), so the record is what the next shift signs for.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ScalarValue, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::events;
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::time;

/// Most open items one record lists.
pub const MAX_OPEN_ITEMS: usize = 500;
/// Most things handed over.
pub const MAX_THINGS: usize = 50;
/// Where the incoming person's confirmation is kept.
const STEPS: &str = "steps";

labelled_enum!(
    /// What an open item is.
    OpenKind, RuleError, |value| RuleError::Unknown { what: "open item kind", value }, {
        Complaint => ("complaint", "投诉"),
        Repair => ("repair", "维修"),
        Commitment => ("commitment", "约定回复"),
        CarryOver => ("carry_over", "待转记录"),
        Key => ("key", "钥匙借出"),
        Slip => ("slip", "放行条未查验"),
    }
);

labelled_enum!(
    /// Where the record stands.
    HandoverState, RuleError, |value| RuleError::Unknown { what: "handover state", value }, {
        Handed => ("handed", "待接班确认"),
        Received => ("received", "已接班"),
    }
);

/// One open item the handover listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    /// What it is.
    pub kind: OpenKind,
    /// The record.
    pub id: RecordId,
    /// What the list said of it.
    pub text: String,
    /// Whether it was overdue when listed.
    pub overdue: bool,
}

/// A thing handed over (移交物品).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thing {
    /// What.
    pub name: String,
    /// How many.
    pub quantity: u64,
    /// In what condition (完好, 缺1个, …).
    pub condition: String,
}

/// What the outgoing person writes.
#[derive(Debug, Clone)]
pub struct NewHandover {
    /// The shift (早班, 夜班, …).
    pub shift: String,
    /// The incoming person's staff record.
    pub to_id: RecordId,
    /// The incoming person as recorded (`李娜（客服员）`).
    pub to: String,
    /// The open items, listed now.
    pub items: Vec<OpenItem>,
    /// The things handed over.
    pub things: Vec<Thing>,
    /// 本班情况, 遗留问题 and why unfinished.
    pub notes: String,
}

/// A handover record as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftHandover {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The shift.
    pub shift: String,
    /// Who handed over (the writer).
    pub from: String,
    /// The incoming person's staff record.
    pub to_id: RecordId,
    /// Who takes over.
    pub to: String,
    /// The open items listed.
    pub items: Vec<OpenItem>,
    /// The things handed over.
    pub things: Vec<Thing>,
    /// The notes.
    pub notes: String,
    /// Where it stands.
    pub state: HandoverState,
    /// The incoming person's confirmation: who, when, any shortage found.
    pub received: Option<events::Entry>,
    /// When it was written, in the site's time zone.
    pub at: time::SiteTime,
}

/// A new record, written by the outgoing person (their confirmation).
pub fn write(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    new: &NewHandover,
) -> Result<AutoCommit, RuleError> {
    if new.items.len() > MAX_OPEN_ITEMS || new.things.len() > MAX_THINGS {
        return Err(RuleError::OutOfRange {
            field: "the handover",
            value: format!("{} items, {} things", new.items.len(), new.things.len()),
            allowed: format!("at most {MAX_OPEN_ITEMS} open items and {MAX_THINGS} things"),
        });
    }
    if by == new.to {
        return Err(RuleError::OutOfRange {
            field: "who takes over",
            value: new.to.clone(),
            allowed: "someone other than the person handing over".into(),
        });
    }
    let mut doc = new_record(RecordKind::ShiftHandover, id, site_id, tz, now, by)?;
    doc.put(ROOT, "shift", field_text("the shift", &new.shift, 20, false)?)?;
    doc.put(ROOT, "to_id", new.to_id.to_string())?;
    doc.put(ROOT, "to", field_text("who takes over", &new.to, MAX_NAME_CHARS, true)?)?;
    doc.put(ROOT, "notes", field_text("the notes", &new.notes, MAX_TEXT_CHARS, false)?)?;
    let list = doc.put_object(ROOT, "items", ObjType::List)?;
    for (i, item) in new.items.iter().enumerate() {
        let map = doc.insert_object(&list, i, ObjType::Map)?;
        doc.put(&map, "kind", item.kind.as_str())?;
        doc.put(&map, "id", item.id.to_string())?;
        doc.put(&map, "text", field_text("an open item", &item.text, MAX_TEXT_CHARS, false)?)?;
        doc.put(&map, "overdue", item.overdue)?;
    }
    let list = doc.put_object(ROOT, "things", ObjType::List)?;
    for (i, thing) in new.things.iter().enumerate() {
        if !(1..=10_000).contains(&thing.quantity) {
            return Err(RuleError::OutOfRange {
                field: "a quantity",
                value: thing.quantity.to_string(),
                allowed: "1 to 10000".into(),
            });
        }
        let map = doc.insert_object(&list, i, ObjType::Map)?;
        doc.put(&map, "name", field_text("a thing handed over", &thing.name, MAX_NAME_CHARS, true)?)?;
        doc.put(&map, "quantity", ScalarValue::Uint(thing.quantity))?;
        doc.put(&map, "condition", field_text("its condition", &thing.condition, MAX_NAME_CHARS, false)?)?;
    }
    events::start(&mut doc, STEPS)?;
    Ok(doc)
}

/// The incoming person confirms (接班确认), noting any shortage found; only
/// once, and only by the person it was handed to (`staff_id`).
pub fn confirm(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    staff_id: RecordId,
    found: &str,
) -> Result<(), RuleError> {
    let record: ShiftHandover = crate::kind::read(doc)?;
    if record.to_id != staff_id {
        return Err(RuleError::OutOfRange {
            field: "who confirms",
            value: by.to_string(),
            allowed: format!("only {}, to whom it was handed", record.to),
        });
    }
    if let Some(r) = &record.received {
        return Err(RuleError::OutOfRange {
            field: "the handover",
            value: record.to.clone(),
            allowed: format!("confirmed already at {}", r.at),
        });
    }
    let found = field_text("what was found", found, MAX_TEXT_CHARS, false)?;
    let text = if found.is_empty() { "received".to_string() } else { format!("received {found}") };
    events::append(doc, STEPS, "found", now, by, &text)
}

impl crate::kind::Kind for ShiftHandover {
    const KIND: RecordKind = RecordKind::ShiftHandover;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        let id =
            |key: &str, text: &str| text.parse::<RecordId>().map_err(|_| DocError::invalid(key, "not a record id"));
        let mut items = Vec::new();
        for (i, value) in root.list("items", MAX_OPEN_ITEMS)?.into_iter().enumerate() {
            let path = format!("items[{i}]");
            let m = Fields::item(value, &path)?;
            items.push(OpenItem {
                kind: m.str("kind")?.parse().map_err(|e: RuleError| DocError::invalid("kind", e.to_string()))?,
                id: id("id", &m.str("id")?)?,
                text: m.text("text")?,
                overdue: m.bool("overdue")?,
            });
        }
        let mut things = Vec::new();
        for (i, value) in root.list("things", MAX_THINGS)?.into_iter().enumerate() {
            let path = format!("things[{i}]");
            let m = Fields::item(value, &path)?;
            things.push(Thing {
                name: m.str_up_to("name", MAX_NAME_CHARS)?,
                quantity: m.u64("quantity")?,
                condition: m.str_up_to("condition", MAX_NAME_CHARS)?,
            });
        }
        // The first confirmation in document order stands (two made apart: one person, one confirmation).
        let received = events::read(root, STEPS, header.timezone)?
            .into_iter()
            .find(|e| e.text == "received" || e.text.starts_with("received "))
            .map(|e| events::Entry { text: e.text.trim_start_matches("received").trim().to_string(), ..e });
        Ok(ShiftHandover {
            id: header.id,
            site_id: header.site_id,
            shift: root.str_up_to("shift", 20)?,
            from: header.created_by.clone(),
            to_id: id("to_id", &root.str("to_id")?)?,
            to: root.str_up_to("to", MAX_NAME_CHARS)?,
            items,
            things,
            notes: root.text("notes")?,
            state: if received.is_some() { HandoverState::Received } else { HandoverState::Handed },
            received,
            at: time::to_site(header.created_at, header.timezone),
        })
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        crate::kind::Projection::at(self.at.utc(), self.state.as_str())
    }
}

#[cfg(test)]
mod tests;
