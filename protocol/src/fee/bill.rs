//! The bill (账单): one fee item for one house for one period. Its id comes
//! from (site, house, item, period), so issuing a period twice, at the desk
//! or after a restore, creates nothing twice. What it asks is fixed when
//! issued (price, quantity, late-fee rule, due date): a later price never
//! rewrites it. Reductions (减免) are appended, with who approved and why,
//! at the site or at head office; both merge.

use automerge::AutoCommit;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ledger::LateRule;
use super::{Basis, FeeKind, Fen, Period, Price};
use crate::doc::RecordKind;
use crate::ids::{RecordId, SiteId};
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::time;

/// A reduction of a bill's amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reduction {
    /// How much.
    pub amount: Fen,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub by: String,
    /// When (stored instant).
    pub at: String,
}

/// What a bill holds besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillBody {
    /// The house's record.
    pub house_id: RecordId,
    /// The house's address, as printed.
    pub house: String,
    /// The fee item's record.
    pub item_id: RecordId,
    /// The fee item's name.
    pub item: String,
    /// What kind of fee.
    pub fee_kind: FeeKind,
    /// How it was computed.
    pub basis: Basis,
    /// The period billed.
    pub period: Period,
    /// The first day billed (the handover day in a part month).
    pub from: NaiveDate,
    /// The area or the quantity used, in hundredths.
    pub quantity: u64,
    /// Meter readings (hundredths), from and to, for a metered fee.
    pub readings: Option<(u64, u64)>,
    /// The unit price used.
    pub price: Price,
    /// The price approval document (物价批复文号).
    pub approval: String,
    /// The amount asked.
    pub amount: Fen,
    /// The day it falls due.
    pub due: NaiveDate,
    /// Late fees on it.
    pub late: LateRule,
    /// Reductions granted.
    pub reductions: Vec<Reduction>,
}

crate::body::body_record!(
    /// A bill as lists show it.
    Bill(BillBody), RecordKind::Bill, issued_at, issued_by,
    check |b| if b.period.is_valid() { Ok(()) } else { Err(crate::doc::DocError::invalid("period", "not a period of a fee")) },
    projection |v| crate::kind::Projection { sort: format!("{} {} {}", v.due, v.house, v.item), status: "" }
);

impl Bill {
    /// The reductions granted, never more than the amount.
    pub fn reduced(&self) -> Fen {
        Fen(self.reductions.iter().map(|r| r.amount.0).sum::<u64>().min(self.amount.0))
    }

    /// The amount less reductions.
    pub fn principal(&self) -> Fen {
        Fen(self.amount.0 - self.reduced().0)
    }

    /// The site day it was issued.
    pub fn issued_on(&self) -> NaiveDate {
        self.issued_at.local().date_naive()
    }
}

/// The id of the bill for `house`, `item` and `period` at `site`: the same wherever it is computed.
pub fn bill_id(site: SiteId, house: RecordId, item: RecordId, period: &Period) -> RecordId {
    RecordId::derived(&[b"bill", site.as_bytes(), house.as_bytes(), item.as_bytes(), period.key().as_bytes()])
}

fn check(body: &BillBody) -> Result<BillBody, RuleError> {
    if !body.period.is_valid() || !(body.period.covers(body.from) || body.period.months == 0) {
        return Err(RuleError::OutOfRange {
            field: "the period",
            value: body.period.label(),
            allowed: "a month's first day and 1, 3, 6 or 12 months, with the first day billed inside it".into(),
        });
    }
    if body.amount.0 == 0 {
        return Err(RuleError::OutOfRange {
            field: "the amount",
            value: body.amount.to_string(),
            allowed: "more than ¥0: a period with nothing to pay is not billed".into(),
        });
    }
    Ok(BillBody {
        house: field_text("house", &body.house, MAX_UNIT_CHARS, true)?,
        item: field_text("fee item", &body.item, MAX_NAME_CHARS, true)?,
        approval: field_text("approval number", &body.approval, MAX_NAME_CHARS, false)?,
        reductions: Vec::new(),
        ..body.clone()
    })
}

/// A new bill, issued now by `by`; its id comes from its site, house, item and period.
pub fn issue(site_id: SiteId, tz: Tz, now: DateTime<Utc>, by: &str, body: &BillBody) -> Result<AutoCommit, RuleError> {
    let body = check(body)?;
    let id = bill_id(site_id, body.house_id, body.item_id, &body.period);
    crate::body::new_doc(RecordKind::Bill, id, site_id, tz, now, by, &body)
}

/// Grants a reduction of `amount` for `reason`, approved by `by`; never
/// more than the principal still standing on this copy of the bill.
pub fn reduce(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, amount: Fen, reason: &str) -> Result<(), RuleError> {
    let bill: Bill = crate::kind::read(doc)?;
    if amount.0 == 0 || amount > bill.principal() {
        return Err(RuleError::OutOfRange {
            field: "the reduction",
            value: amount.to_string(),
            allowed: format!("more than ¥0 and at most the bill's {} still standing", bill.principal()),
        });
    }
    let reduction = Reduction {
        amount,
        reason: field_text("the reason", reason, MAX_TEXT_CHARS, true)?,
        by: field_text("by", by, MAX_NAME_CHARS, true)?,
        at: time::to_stored(now),
    };
    crate::body::append(doc, "reductions", &reduction)
}
