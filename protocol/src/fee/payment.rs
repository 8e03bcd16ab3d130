//! A payment (收款) and its receipt (收据): the receipt number is the site's,
//! gap-free, given at the desk; the money is shared out among bills (see
//! [`super::ledger::allocate`]) and frozen here. Nothing in it is ever
//! edited: a refund or a correction is a new payment of kind 退款 that
//! reverses (红冲), and a void (作废) before the day's close marks it void
//! with who and why, keeping its number.

use automerge::AutoCommit;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::bill::Bill;
use super::{Fen, PayMethod};
use crate::doc::RecordKind;
use crate::ids::{RecordId, SiteId};
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::time;

/// Most bills one payment pays.
pub const MAX_LINES: usize = 240;

labelled_enum!(
    /// What a payment is.
    PayKind, RuleError, |value| RuleError::Unknown { what: "payment kind (收款, 退款, 预存抵扣)", value }, {
        Receipt => ("receipt", "收款"),
        Refund => ("refund", "退款"),
        PrepaidUse => ("prepaid_use", "预存抵扣"),
    }
);

/// What a payment does to one bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The bill.
    pub bill: RecordId,
    /// The fee item's name.
    pub item: String,
    /// The period, as printed.
    pub period: String,
    /// Principal paid.
    pub principal: Fen,
    /// Late fee paid.
    pub late_fee: Fen,
    /// Late fee waived.
    pub late_waived: Fen,
}

impl Line {
    /// A line paying `principal` of `bill`.
    pub fn of(bill: &Bill, principal: Fen) -> Line {
        Line {
            bill: bill.id,
            item: bill.item.clone(),
            period: bill.period.label(),
            principal,
            late_fee: Fen::ZERO,
            late_waived: Fen::ZERO,
        }
    }
}

/// A void: who and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Void {
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
    /// When (stored instant).
    pub at: String,
}

/// What a payment holds besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentBody {
    /// The receipt number (0 for a use of the prepaid balance, which prints no receipt).
    pub receipt: u64,
    /// What it is.
    pub pay_kind: PayKind,
    /// The house's record.
    pub house_id: RecordId,
    /// The house's address.
    pub house: String,
    /// Who paid (or was paid back).
    pub payer: String,
    /// How.
    pub method: PayMethod,
    /// The site day.
    pub paid_on: NaiveDate,
    /// Money taken (or, for a refund, paid back).
    pub received: Fen,
    /// Taken from the prepaid balance.
    pub from_prepaid: Fen,
    /// Added to the prepaid balance.
    pub to_prepaid: Fen,
    /// What went to each bill.
    pub lines: Vec<Line>,
    /// Why late fees were waived, and by which 经理.
    pub waived_by: String,
    /// The reason for the waiver.
    pub waive_reason: String,
    /// The payment a refund reverses.
    pub reverses: Option<RecordId>,
    /// A note (a refund's reason).
    pub note: String,
    /// Voids: the first one counts.
    pub voids: Vec<Void>,
}

crate::body::body_record!(
    /// A payment as lists and receipts show it.
    Payment(PaymentBody), RecordKind::Payment, at, cashier,
    check |b| if b.lines.len() <= MAX_LINES { Ok(()) } else { Err(crate::doc::DocError::invalid("lines", "more bills than one receipt pays")) },
    projection |p| crate::kind::Projection::at(p.at.utc(), if p.is_void() { "void" } else { p.pay_kind.as_str() })
);

impl Payment {
    /// +1, or −1 for a refund.
    pub fn sign(&self) -> i64 {
        if self.pay_kind == PayKind::Refund {
            -1
        } else {
            1
        }
    }

    /// Whether it was voided.
    pub fn is_void(&self) -> bool {
        !self.voids.is_empty()
    }

    /// The receipt number as printed: `00000042`.
    pub fn number(&self) -> String {
        format!("{:08}", self.receipt)
    }

    /// Principal on all lines.
    pub fn principal(&self) -> Fen {
        Fen(self.lines.iter().map(|l| l.principal.0).sum())
    }

    /// Late fees paid on all lines.
    pub fn late_fees(&self) -> Fen {
        Fen(self.lines.iter().map(|l| l.late_fee.0).sum())
    }

    /// Late fees waived on all lines.
    pub fn late_waived(&self) -> Fen {
        Fen(self.lines.iter().map(|l| l.late_waived.0).sum())
    }
}

fn check(body: &PaymentBody) -> Result<PaymentBody, RuleError> {
    let wrong = |field: &'static str, value: String, allowed: &str| {
        Err(RuleError::OutOfRange { field, value, allowed: allowed.to_string() })
    };
    if body.lines.len() > MAX_LINES {
        return wrong("the bills paid", body.lines.len().to_string(), "at most 240 on one receipt");
    }
    let lines: u64 = body.lines.iter().map(|l| l.principal.0 + l.late_fee.0).sum();
    if body.received.0 + body.from_prepaid.0 != lines + body.to_prepaid.0 {
        return wrong(
            "the payment",
            format!("{} + {} from the prepaid balance", body.received, body.from_prepaid),
            "the money must equal what goes to bills and to the prepaid balance",
        );
    }
    match body.pay_kind {
        PayKind::PrepaidUse if body.received.0 != 0 || body.receipt != 0 || body.method != PayMethod::Prepaid => {
            return wrong("the use of the prepaid balance", body.received.to_string(), "no money and no receipt");
        }
        PayKind::Receipt | PayKind::Refund if body.receipt == 0 || body.method == PayMethod::Prepaid => {
            return wrong("the receipt", body.number_text(), "a receipt number and how the money was paid");
        }
        PayKind::Refund if body.note.trim().is_empty() => {
            return Err(RuleError::Empty("the refund's reason"));
        }
        _ => {}
    }
    if body.lines.iter().any(|l| l.late_waived.0 > 0) {
        field_text("who waived the late fee", &body.waived_by, MAX_NAME_CHARS, true)?;
        field_text("the reason for waiving the late fee", &body.waive_reason, MAX_TEXT_CHARS, true)?;
    }
    if body.received.0 + body.from_prepaid.0 == 0 && body.lines.iter().all(|l| l.late_waived.0 == 0) {
        return wrong("the payment", body.received.to_string(), "some money, or a late fee waived");
    }
    Ok(PaymentBody {
        house: field_text("house", &body.house, MAX_UNIT_CHARS, true)?,
        payer: field_text("payer", &body.payer, MAX_NAME_CHARS, body.pay_kind != PayKind::PrepaidUse)?,
        note: field_text("note", &body.note, MAX_TEXT_CHARS, false)?,
        voids: Vec::new(),
        ..body.clone()
    })
}

impl PaymentBody {
    fn number_text(&self) -> String {
        format!("{:08}", self.receipt)
    }
}

/// A new payment, taken now by the cashier `by`.
pub fn take(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    body: &PaymentBody,
) -> Result<AutoCommit, RuleError> {
    let body = check(body)?;
    crate::body::new_doc(RecordKind::Payment, id, site_id, tz, now, by, &body)
}

/// Voids a payment (作废): it keeps its number and counts for nothing.
pub fn void(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, reason: &str) -> Result<(), RuleError> {
    let payment: Payment = crate::kind::read(doc)?;
    if payment.is_void() {
        return Err(RuleError::OutOfRange {
            field: "the receipt",
            value: payment.number(),
            allowed: "a receipt not yet voided".into(),
        });
    }
    let void = Void {
        reason: field_text("the reason", reason, MAX_TEXT_CHARS, true)?,
        by: field_text("by", by, MAX_NAME_CHARS, true)?,
        at: time::to_stored(now),
    };
    crate::body::append(doc, "voids", &void)
}
