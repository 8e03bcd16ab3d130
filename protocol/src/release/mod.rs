//! The item-release slip (物品放行条): issued at the desk for items leaving
//! the estate, checked at the gate by a 门岗: released, or refused with a
//! reason; or cancelled at the desk. A slip is good for the day it was issued
//! for (site time) and expires at its end. What happened is a list of steps
//! in the document, so a step at the gate and one at the desk merge to the
//! same state everywhere: the first of them in document order decides.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValue, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::events;
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::time;

/// Most item lines on one slip.
pub const MAX_ITEMS: usize = 30;
/// Largest quantity of one line.
pub const MAX_QUANTITY: u64 = 10_000;
/// Where a slip keeps its steps.
const STEPS: &str = "steps";

labelled_enum!(
    /// Who asks for the slip.
    Applicant, RuleError, |value| RuleError::Unknown { what: "applicant (业主, 租户, 装修, 其他)", value }, {
        Owner => ("owner", "业主"),
        Tenant => ("tenant", "租户"),
        Renovation => ("renovation", "装修"),
        Other => ("other", "其他"),
    }
);

labelled_enum!(
    /// How the owner authorised the items' leaving.
    Authorisation, RuleError, |value| RuleError::Unknown {
        what: "authorisation (本人, 委托书, 电话确认)",
        value,
    }, {
        InPerson => ("in_person", "本人"),
        Letter => ("letter", "委托书"),
        Phone => ("phone", "电话确认"),
    }
);

labelled_enum!(
    /// Where a slip stands.
    SlipStatus, RuleError, |value| RuleError::Unknown { what: "slip state", value }, {
        Issued => ("issued", "已开具"),
        Released => ("released", "已放行"),
        Refused => ("refused", "拒绝放行"),
        Cancelled => ("cancelled", "已作废"),
    }
);

/// One line of items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// What.
    pub name: String,
    /// How many.
    pub quantity: u64,
}

/// What the desk writes on a slip.
#[derive(Debug, Clone)]
pub struct NewSlip {
    /// The slip's number, as printed for the gate.
    pub number: String,
    /// The applicant's name.
    pub applicant: String,
    /// Who they are.
    pub applicant_kind: Applicant,
    /// The house (楼栋/房号).
    pub house: String,
    /// A phone number.
    pub phone: String,
    /// The car's plate, if the items go by car.
    pub car_plate: String,
    /// The items.
    pub items: Vec<Item>,
    /// Why they leave (搬家, 维修, …).
    pub reason: String,
    /// How the owner authorised it.
    pub authorisation: Authorisation,
    /// For a telephone confirmation: who confirmed (the owner's name) at what time, in words.
    pub confirmed_by: String,
    /// The day it is good for (site time).
    pub valid_on: NaiveDate,
}

/// A slip as lists and the gate show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseSlip {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The slip's number.
    pub number: String,
    /// The applicant.
    pub applicant: String,
    /// Who they are.
    pub applicant_kind: Applicant,
    /// The house.
    pub house: String,
    /// A phone number.
    pub phone: String,
    /// The car's plate.
    pub car_plate: String,
    /// The items.
    pub items: Vec<Item>,
    /// Why.
    pub reason: String,
    /// How the owner authorised it.
    pub authorisation: Authorisation,
    /// Who confirmed by telephone.
    pub confirmed_by: String,
    /// The day it is good for.
    pub valid_on: NaiveDate,
    /// Where it stands.
    pub status: SlipStatus,
    /// Every step after issue: released, refused, cancelled.
    pub steps: Vec<events::Entry>,
    /// When issued, in the site's time zone.
    pub issued_at: time::SiteTime,
    /// Who issued it.
    pub issued_by: String,
    /// The site's time zone.
    pub timezone: String,
}

impl ReleaseSlip {
    /// Whether the day it was good for is over (site time), as of `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.status == SlipStatus::Issued && now.with_timezone(&self.tz()).date_naive() > self.valid_on
    }

    /// The day it closed (site time): released, refused or cancelled, or the
    /// day it was for once that is over; none while it can still be checked.
    pub fn closed_on(&self, now: DateTime<Utc>) -> Option<NaiveDate> {
        match self.status {
            SlipStatus::Issued if self.is_expired(now) => Some(self.valid_on),
            SlipStatus::Issued => None,
            _ => self.steps.first().map(|s| s.at.local().date_naive()),
        }
    }

    fn tz(&self) -> Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }
}

fn check(new: &NewSlip, today: NaiveDate) -> Result<NewSlip, RuleError> {
    if new.items.is_empty() || new.items.len() > MAX_ITEMS {
        return Err(RuleError::OutOfRange {
            field: "the items",
            value: new.items.len().to_string(),
            allowed: format!("1 to {MAX_ITEMS} lines"),
        });
    }
    let mut items = Vec::with_capacity(new.items.len());
    for item in &new.items {
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(RuleError::OutOfRange {
                field: "a quantity",
                value: item.quantity.to_string(),
                allowed: format!("1 to {MAX_QUANTITY}"),
            });
        }
        items.push(Item { name: field_text("an item", &item.name, MAX_NAME_CHARS, true)?, quantity: item.quantity });
    }
    if new.valid_on < today || (new.valid_on - today).num_days() > 30 {
        return Err(RuleError::OutOfRange {
            field: "the day the slip is for",
            value: new.valid_on.to_string(),
            allowed: "today to 30 days ahead".into(),
        });
    }
    // A tenant takes things out only with the owner's say-so (委托书 or a confirmed call).
    if new.applicant_kind == Applicant::Tenant && new.authorisation == Authorisation::InPerson {
        return Err(RuleError::OutOfRange {
            field: "the owner's authorisation",
            value: Authorisation::InPerson.label().into(),
            allowed: "委托书 or 电话确认: a tenant needs the owner's authorisation".into(),
        });
    }
    let confirmed_by =
        field_text("who confirmed", &new.confirmed_by, MAX_NAME_CHARS, new.authorisation == Authorisation::Phone)?;
    Ok(NewSlip {
        number: field_text("number", &new.number, 40, true)?,
        applicant: field_text("applicant", &new.applicant, MAX_NAME_CHARS, true)?,
        house: field_text("house", &new.house, MAX_UNIT_CHARS, true)?,
        phone: field_text("phone", &new.phone, crate::resident::MAX_PHONE_CHARS, false)?,
        car_plate: field_text("car plate", &new.car_plate, 20, false)?,
        reason: field_text("reason", &new.reason, MAX_TEXT_CHARS, true)?,
        items,
        confirmed_by,
        ..new.clone()
    })
}

/// A new slip, issued at the desk now.
pub fn issue(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    new: &NewSlip,
) -> Result<AutoCommit, RuleError> {
    let new = check(new, now.with_timezone(&tz).date_naive())?;
    let mut doc = new_record(RecordKind::ReleaseSlip, id, site_id, tz, now, by)?;
    for (key, value) in [
        ("number", new.number.as_str()),
        ("applicant", new.applicant.as_str()),
        ("applicant_kind", new.applicant_kind.as_str()),
        ("house", new.house.as_str()),
        ("phone", new.phone.as_str()),
        ("car_plate", new.car_plate.as_str()),
        ("reason", new.reason.as_str()),
        ("authorisation", new.authorisation.as_str()),
        ("confirmed_by", new.confirmed_by.as_str()),
    ] {
        doc.put(ROOT, key, value)?;
    }
    doc.put(ROOT, "valid_on", new.valid_on.to_string())?;
    let list = doc.put_object(ROOT, "items", ObjType::List)?;
    for (i, item) in new.items.iter().enumerate() {
        let map = doc.insert_object(&list, i, ObjType::Map)?;
        doc.put(&map, "name", item.name.as_str())?;
        doc.put(&map, "quantity", ScalarValue::Uint(item.quantity))?;
    }
    events::start(&mut doc, STEPS)?;
    Ok(doc)
}

/// A step on a slip.
#[derive(Debug, Clone, Copy)]
pub enum SlipStep<'a> {
    /// Checked at the gate and let through.
    Release,
    /// Checked at the gate and refused, with the reason.
    Refuse(&'a str),
    /// Cancelled at the desk, with the reason.
    Cancel(&'a str),
}

/// Takes a step on an issued slip; refused once it was released, refused or
/// cancelled, and at the gate once its day is over (site time).
pub fn step(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, step: SlipStep<'_>) -> Result<(), RuleError> {
    let slip: ReleaseSlip = crate::kind::read(doc)?;
    let wrong = |why: &'static str| RuleError::OutOfRange {
        field: "the slip",
        value: format!("{} ({})", slip.number, slip.status.label()),
        allowed: why.into(),
    };
    if slip.status != SlipStatus::Issued {
        return Err(wrong("only a slip still issued is checked or cancelled"));
    }
    let (name, words) = match step {
        SlipStep::Release if slip.is_expired(now) => {
            return Err(wrong("a slip is good only for the day it was issued for: issue a new one"))
        }
        SlipStep::Release => (SlipStatus::Released, ""),
        SlipStep::Refuse(why) => (SlipStatus::Refused, why),
        SlipStep::Cancel(why) => (SlipStatus::Cancelled, why),
    };
    if name != SlipStatus::Released && words.trim().is_empty() {
        return Err(RuleError::OutOfRange { field: "the reason", value: String::new(), allowed: "say why".into() });
    }
    let text =
        if words.trim().is_empty() { name.as_str().to_string() } else { format!("{} {}", name.as_str(), words.trim()) };
    events::append(doc, STEPS, "reason", now, by, &text)
}

fn status_of(steps: &[events::Entry]) -> SlipStatus {
    steps
        .iter()
        .find_map(|s| {
            s.text.split(' ').next().and_then(|n| n.parse::<SlipStatus>().ok()).filter(|s| *s != SlipStatus::Issued)
        })
        .unwrap_or(SlipStatus::Issued)
}

impl crate::kind::Kind for ReleaseSlip {
    const KIND: RecordKind = RecordKind::ReleaseSlip;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        let parse = |key: &str, e: RuleError| DocError::invalid(key, e.to_string());
        let mut items = Vec::new();
        for (i, value) in root.list("items", MAX_ITEMS)?.into_iter().enumerate() {
            let path = format!("items[{i}]");
            let map = Fields::item(value, &path)?;
            items.push(Item { name: map.str_up_to("name", MAX_NAME_CHARS)?, quantity: map.u64("quantity")? });
        }
        let steps = events::read(root, STEPS, header.timezone)?;
        Ok(ReleaseSlip {
            id: header.id,
            site_id: header.site_id,
            number: root.str_up_to("number", 40)?,
            applicant: root.str_up_to("applicant", MAX_NAME_CHARS)?,
            applicant_kind: root.str("applicant_kind")?.parse().map_err(|e| parse("applicant_kind", e))?,
            house: root.str_up_to("house", MAX_UNIT_CHARS)?,
            phone: root.str_up_to("phone", crate::resident::MAX_PHONE_CHARS)?,
            car_plate: root.str_up_to("car_plate", 20)?,
            items,
            reason: root.text("reason")?,
            authorisation: root.str("authorisation")?.parse().map_err(|e| parse("authorisation", e))?,
            confirmed_by: root.str_up_to("confirmed_by", MAX_NAME_CHARS)?,
            valid_on: root.str("valid_on")?.parse().map_err(|_| DocError::invalid("valid_on", "not a date"))?,
            status: status_of(&steps),
            steps,
            issued_at: time::to_site(header.created_at, header.timezone),
            issued_by: header.created_by.clone(),
            timezone: header.timezone.name().to_string(),
        })
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        crate::kind::Projection::at(self.issued_at.utc(), self.status.as_str())
    }
}

/// Reads a slip document.
pub fn read(doc: &impl ReadDoc) -> Result<ReleaseSlip, DocError> {
    crate::kind::read(doc)
}

#[cfg(test)]
mod tests;
