//! The fee item (收费项目): what is charged, how it is computed, how often,
//! and its prices over time. A new price is a new version that applies from
//! a date; bills already issued keep the price they were issued with.

use automerge::AutoCommit;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ledger::LateRule;
use super::{Basis, Cycle, FeeKind, MeterKind, Price, MAX_RATE_PPM};
use crate::doc::RecordKind;
use crate::house::HouseType;
use crate::ids::{RecordId, SiteId};
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS};

/// Longest a bill may wait for payment after its period starts, and the longest grace.
pub const MAX_DAYS: u32 = 366;

/// One price, from a day on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The first day it applies.
    pub from: NaiveDate,
    /// The unit price (a m² a month, a period, or a unit used).
    pub price: Price,
    /// The price approval document (物价批复文号).
    pub approval: String,
    /// Late fees.
    pub late: LateRule,
    /// Who set it.
    pub by: String,
    /// When (stored instant).
    pub at: String,
}

/// What a fee item holds besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemBody {
    /// Its name, as bills and receipts print it.
    pub name: String,
    /// What kind of fee.
    pub fee_kind: FeeKind,
    /// How a bill is computed.
    pub basis: Basis,
    /// The meter read, for a metered fee.
    pub meter: Option<MeterKind>,
    /// How often it is billed.
    pub cycle: Cycle,
    /// The day of a period's first month by which its bill is paid (1 to 31;
    /// past the month's end, its last day); a one-off fee is due the day billed.
    pub due_day: u32,
    /// The house types it applies to (all when empty).
    pub applies_to: Vec<HouseType>,
    /// Its prices, in the order set.
    pub versions: Vec<Version>,
}

crate::body::body_record!(
    /// A fee item as lists show it.
    FeeItem(ItemBody), RecordKind::FeeItem, created_at, created_by,
    check |b| Ok::<(), crate::doc::DocError>(()),
    projection |i| crate::kind::Projection { sort: i.name.clone(), status: "" }
);

impl FeeItem {
    /// The day a bill of `period`, billed from `from`, falls due.
    pub fn due_on(&self, period: &super::Period, from: NaiveDate) -> NaiveDate {
        if period.months == 0 {
            return from;
        }
        let last = period.start + chrono::Months::new(1) - chrono::Days::new(1);
        let day = self.due_day.min(last.day());
        period.start.with_day(day).unwrap_or(last).max(from)
    }

    /// The version in force on `day`: the latest-starting one from that day or
    /// before (of two from the same day, the one set later).
    pub fn version_on(&self, day: NaiveDate) -> Option<&Version> {
        self.versions
            .iter()
            .enumerate()
            .filter(|(_, v)| v.from <= day)
            .max_by_key(|(i, v)| (v.from, *i))
            .map(|(_, v)| v)
    }

    /// The first day it is billed.
    pub fn starts(&self) -> Option<NaiveDate> {
        self.versions.iter().map(|v| v.from).min()
    }

    /// Whether it applies to a house of `kind`.
    pub fn applies(&self, kind: HouseType) -> bool {
        self.applies_to.is_empty() || self.applies_to.contains(&kind)
    }
}

fn check_version(kind: FeeKind, version: &Version) -> Result<Version, RuleError> {
    let late = version.late;
    if late.rate.0 > 0 && !kind.late_fee_allowed() {
        return Err(RuleError::OutOfRange {
            field: "the late fee",
            value: late.rate.to_string(),
            allowed: format!("none: {} is collected on someone else's behalf or held for the owner", kind.label()),
        });
    }
    if late.rate.0 > MAX_RATE_PPM || late.grace_days > MAX_DAYS || late.cap.0 > 10_000 {
        return Err(RuleError::OutOfRange {
            field: "the late-fee rule",
            value: format!("{} a day, {} days' grace, cap {}", late.rate, late.grace_days, late.cap),
            allowed: "at most 1% a day, 366 days' grace, a cap of 100%".into(),
        });
    }
    if version.price.0 == 0 || version.price.0 > super::MAX_PRICE {
        return Err(RuleError::OutOfRange {
            field: "the price",
            value: version.price.to_string(),
            allowed: "more than ¥0 and at most ¥1,000,000".into(),
        });
    }
    Ok(Version {
        approval: field_text("the price approval number", &version.approval, MAX_NAME_CHARS, false)?,
        by: field_text("by", &version.by, MAX_NAME_CHARS, true)?,
        ..version.clone()
    })
}

fn check(body: &ItemBody) -> Result<ItemBody, RuleError> {
    let wrong = |field: &'static str, value: String, allowed: &str| RuleError::OutOfRange {
        field,
        value,
        allowed: allowed.to_string(),
    };
    match (body.basis, body.meter, body.cycle) {
        (Basis::Meter, None, _) => return Err(wrong("the meter", String::new(), "a metered fee names its meter")),
        (Basis::Meter, Some(_), c) if c != Cycle::Monthly => {
            return Err(wrong("the billing period", c.label().into(), "a metered fee is billed monthly"))
        }
        (b, Some(m), _) if b != Basis::Meter => {
            return Err(wrong("the meter", m.label().into(), "only a metered fee (按抄表) names a meter"))
        }
        (Basis::Area, _, Cycle::Once) => {
            return Err(wrong("the billing period", Cycle::Once.label().into(), "a fee by area is billed by period"))
        }
        _ => {}
    }
    if !(1..=31).contains(&body.due_day) {
        return Err(wrong("the day to pay by", body.due_day.to_string(), "a day of the month, 1 to 31"));
    }
    if body.versions.len() != 1 {
        return Err(wrong("the prices", body.versions.len().to_string(), "a new fee item starts with one price"));
    }
    Ok(ItemBody {
        name: field_text("the fee item's name", &body.name, MAX_NAME_CHARS, true)?,
        versions: vec![check_version(body.fee_kind, &body.versions[0])?],
        ..body.clone()
    })
}

/// A new fee item.
pub fn create(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    body: &ItemBody,
) -> Result<AutoCommit, RuleError> {
    let body = check(body)?;
    crate::body::new_doc(RecordKind::FeeItem, id, site_id, tz, now, by, &body)
}

/// A new price from a day on.
pub fn add_version(doc: &mut AutoCommit, version: &Version) -> Result<(), RuleError> {
    let item: FeeItem = crate::kind::read(doc)?;
    let version = check_version(item.fee_kind, version)?;
    crate::body::append(doc, "versions", &version)
}
