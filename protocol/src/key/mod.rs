//! Keys in the office's custody (钥匙管理): each key or bundle with a tag
//! number that does not show the address, its kind, its cabinet slot and what
//! it opens. Deposited, lent (to whom, why, approved by whom, due back when),
//! returned, chased, lost, handed to the owner at move-in. Where a key is follows from its steps, taken in
//! document order, so steps at two desks merge the same everywhere.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::time;

/// Most steps one key keeps.
pub const MAX_STEPS: usize = 2_000;

labelled_enum!(
    /// What a key is.
    KeyKind, RuleError, |value| RuleError::Unknown {
        what: "key kind (业主寄存, 空置房, 公共区域, 设备房, 返修)",
        value,
    }, {
        OwnerDeposit => ("owner_deposit", "业主寄存"),
        Vacant => ("vacant", "空置房"),
        Common => ("common", "公共区域"),
        Plant => ("plant", "设备房"),
        Repair => ("repair", "返修"),
    }
);

labelled_enum!(
    /// Where a key is.
    KeyStatus, RuleError, |value| RuleError::Unknown { what: "key state", value }, {
        InCabinet => ("in_cabinet", "在柜"),
        Lent => ("lent", "借出"),
        Lost => ("lost", "遗失"),
        HandedOver => ("handed_over", "已交业主"),
    }
);

/// One step of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyStep {
    /// `deposited`, `lent`, `returned`, `chased`, `lost`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When, in the site's time zone.
    pub at: time::SiteTime,
    /// Who at the desk.
    pub by: String,
    /// To whom it was lent, or who deposited it.
    pub person: String,
    /// Why; what was done about a loss; the chase.
    pub text: String,
    /// Who approved a loan.
    pub approved_by: String,
    /// When a loan is due back.
    pub due: Option<time::SiteTime>,
    /// The borrower's ID-card number, masked: the whole number stays at the site.
    #[serde(default)]
    pub id_number: String,
}

/// A key as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The tag number (钥匙牌号), which does not show the address.
    pub tag: String,
    /// What it is.
    pub kind: KeyKind,
    /// The cabinet slot (柜位).
    pub slot: String,
    /// The house or place it opens.
    pub opens: String,
    /// Where it is.
    pub status: KeyStatus,
    /// While lent: to whom and when it is due back.
    pub lent_to: Option<String>,
    /// While lent: due back by then.
    pub due_back: Option<time::SiteTime>,
    /// Every step, oldest first.
    pub steps: Vec<KeyStep>,
}

impl Key {
    /// The day it left custody for good (lost, or handed to the owner), site time.
    pub fn closed_on(&self) -> Option<chrono::NaiveDate> {
        match self.status {
            KeyStatus::Lost | KeyStatus::HandedOver => self
                .steps
                .iter()
                .rev()
                .find(|s| s.kind == "lost" || s.kind == "handed_over")
                .map(|s| s.at.local().date_naive()),
            _ => None,
        }
    }

    /// Whether it is lent and not back by its due time, as of `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == KeyStatus::Lent && self.due_back.as_ref().is_some_and(|d| now > d.utc())
    }
}

/// What is recorded of a new key.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The tag number.
    pub tag: String,
    /// What it is.
    pub kind: KeyKind,
    /// The cabinet slot.
    pub slot: String,
    /// The house or place it opens.
    pub opens: String,
    /// Who deposited it (an owner's name, 工程部, …).
    pub deposited_by: String,
}

/// A step on a key.
#[derive(Debug, Clone)]
pub enum Step<'a> {
    /// Lent out.
    Lend {
        /// To whom.
        to: &'a str,
        /// Why.
        reason: &'a str,
        /// Who approved (a 客服主管 for an owner's key), with the note that the owner was contacted.
        approved_by: &'a str,
        /// When it is due back.
        due: DateTime<Utc>,
        /// The borrower's ID-card number (whole: only its masked form is written).
        id_number: &'a str,
    },
    /// Brought back.
    Return,
    /// The borrower was chased (催还), in words.
    Chase(&'a str),
    /// Lost, with what was done (换锁, …).
    Lose(&'a str),
    /// Handed to the owner for good at the move-in slip's keys station.
    HandOver(&'a str),
}

#[allow(clippy::too_many_arguments)]
fn append(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    kind: &str,
    person: &str,
    text: &str,
    approved: &str,
    due: Option<DateTime<Utc>>,
) -> Result<(), RuleError> {
    let list = match doc.get(ROOT, "steps")? {
        Some((automerge::Value::Object(ObjType::List), id)) => id,
        _ => doc.put_object(ROOT, "steps", ObjType::List)?,
    };
    let len = doc.length(&list);
    if len >= MAX_STEPS {
        return Err(RuleError::TooLong { field: "steps", len: len + 1, max: MAX_STEPS });
    }
    let map = doc.insert_object(&list, len, ObjType::Map)?;
    doc.put(&map, "type", kind)?;
    doc.put(&map, "at", time::to_stored(now))?;
    doc.put(&map, "by", field_text("by", by, MAX_NAME_CHARS, true)?)?;
    doc.put(&map, "person", field_text("to whom", person, MAX_NAME_CHARS, false)?)?;
    doc.put(&map, "text", field_text("the words", text, MAX_TEXT_CHARS, false)?)?;
    doc.put(&map, "approved_by", field_text("approved by", approved, MAX_TEXT_CHARS, false)?)?;
    doc.put(&map, "due", due.map(time::to_stored).unwrap_or_default())?;
    Ok(())
}

/// A key taken into custody.
pub fn new_key(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    new: &NewKey,
) -> Result<AutoCommit, RuleError> {
    let mut doc = new_record(RecordKind::Key, id, site_id, tz, now, by)?;
    doc.put(ROOT, "tag", field_text("tag", &new.tag, 30, true)?)?;
    doc.put(ROOT, "key_kind", new.kind.as_str())?;
    doc.put(ROOT, "slot", field_text("slot", &new.slot, 30, false)?)?;
    doc.put(ROOT, "opens", field_text("what it opens", &new.opens, MAX_UNIT_CHARS, true)?)?;
    doc.put_object(ROOT, "steps", ObjType::List)?;
    append(&mut doc, now, by, "deposited", &new.deposited_by, "", "", None)?;
    Ok(doc)
}

/// Takes a step on a key, refusing one that does not fit where it is; lending
/// an owner's key needs who approved it and that the owner was contacted.
pub fn step(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, step: Step<'_>) -> Result<(), RuleError> {
    let key: Key = crate::kind::read(doc)?;
    let wrong = |allowed: &str| RuleError::OutOfRange {
        field: "the key",
        value: format!("{} ({})", key.tag, key.status.label()),
        allowed: allowed.into(),
    };
    match step {
        Step::Lend { to, reason, approved_by, due, id_number } => {
            if key.status != KeyStatus::InCabinet {
                return Err(wrong("only a key in the cabinet is lent"));
            }
            if due <= now {
                return Err(RuleError::OutOfRange {
                    field: "the due time",
                    value: time::to_stored(due),
                    allowed: "after now".into(),
                });
            }
            if key.kind == KeyKind::OwnerDeposit && approved_by.trim().is_empty() {
                return Err(wrong(
                    "an owner's key is lent only with a 客服主管's approval and a note that the owner was contacted",
                ));
            }
            field_text("to whom", to, MAX_NAME_CHARS, true)?;
            field_text("the reason", reason, MAX_TEXT_CHARS, true)?;
            append(doc, now, by, "lent", to, reason, approved_by, Some(due))?;
            if !id_number.trim().is_empty() {
                let list = crate::doc::get_object(doc, &ROOT, "steps", "steps", ObjType::List)?;
                let last = doc.length(&list) - 1;
                if let Some((automerge::Value::Object(ObjType::Map), map)) = doc.get(&list, last)? {
                    doc.put(&map, "id_number", crate::resident::mask(id_number.trim()))?;
                }
            }
            Ok(())
        }
        Step::Return if key.status == KeyStatus::Lent => append(doc, now, by, "returned", "", "", "", None),
        Step::Return => Err(wrong("only a lent key is returned")),
        Step::Chase(words) if key.status == KeyStatus::Lent => append(doc, now, by, "chased", "", words, "", None),
        Step::Chase(_) => Err(wrong("only a lent key is chased")),
        Step::Lose(what) if key.status != KeyStatus::Lost => {
            field_text("what was done", what, MAX_TEXT_CHARS, true)?;
            append(doc, now, by, "lost", "", what, "", None)
        }
        Step::Lose(_) => Err(wrong("it is lost already")),
        Step::HandOver(owner) if key.status == KeyStatus::InCabinet => {
            field_text("the owner", owner, MAX_NAME_CHARS, true)?;
            append(doc, now, by, "handed_over", owner, "", "", None)
        }
        Step::HandOver(_) => Err(wrong("only a key in the cabinet is handed to the owner")),
    }
}

impl crate::kind::Kind for Key {
    const KIND: RecordKind = RecordKind::Key;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        let tz = header.timezone;
        let mut steps = Vec::new();
        for (i, value) in root.list("steps", MAX_STEPS)?.into_iter().enumerate() {
            let path = format!("steps[{i}]");
            let m = Fields::item(value, &path)?;
            let due = m.str_or_empty("due")?;
            steps.push(KeyStep {
                kind: m.str_up_to("type", 20)?,
                at: time::to_site(m.instant("at")?, tz),
                by: m.str("by")?,
                person: m.str_or_empty("person")?,
                text: m.str_or_empty("text")?,
                approved_by: m.str_or_empty("approved_by")?,
                due: time::from_stored(&due).map(|d| time::to_site(d, tz)),
                id_number: m.str_or_empty("id_number")?,
            });
        }
        // Where it is, step by step: a step that does not fit (two loans made apart) moves nothing.
        let (mut status, mut lent_to, mut due_back) = (KeyStatus::InCabinet, None, None);
        for s in &steps {
            match (s.kind.as_str(), status) {
                ("lent", KeyStatus::InCabinet) => {
                    status = KeyStatus::Lent;
                    lent_to = Some(s.person.clone());
                    due_back = s.due;
                }
                ("returned", KeyStatus::Lent) => {
                    status = KeyStatus::InCabinet;
                    lent_to = None;
                    due_back = None;
                }
                ("handed_over", KeyStatus::InCabinet) => status = KeyStatus::HandedOver,
                ("lost", _) => {
                    status = KeyStatus::Lost;
                    lent_to = None;
                    due_back = None;
                }
                _ => {}
            }
        }
        Ok(Key {
            id: header.id,
            site_id: header.site_id,
            tag: root.str_up_to("tag", 30)?,
            kind: root.str("key_kind")?.parse().map_err(|e: RuleError| DocError::invalid("key_kind", e.to_string()))?,
            slot: root.str_up_to("slot", 30)?,
            opens: root.str_up_to("opens", MAX_UNIT_CHARS)?,
            status,
            lent_to,
            due_back,
            steps,
        })
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        crate::kind::Projection { sort: self.tag.clone(), status: self.status.as_str() }
    }
}

#[cfg(test)]
mod tests;
