//! The ledger's arithmetic, with no storage and no clock: what a period
//! costs (part months by days over the month's days), the late fee on a
//! bill as of a day, where a house stands (每张账单的本金、滞纳金, the
//! prepaid balance), and how a payment is shared out among bills. The site
//! and head office both call these on the same records, so their figures
//! cannot drift apart.
//!
//! The rules:
//! - a bill's **principal** is its amount less its reductions (减免); a
//!   reduction counts from the bill's first day;
//! - the **late fee** accrues each day after the due date and the grace
//!   days, on the principal still unpaid that day; a payment reduces it from
//!   the day after the payment; it is capped at a share of the principal;
//!   the exact sum is rounded once per bill, half up, to the fen;
//! - principal paid beyond a bill's principal (a reduction granted
//!   elsewhere while the house paid) and late fees paid beyond what is due
//!   go to the house's **prepaid balance** (预存), so nothing is lost and
//!   the ledger always balances: principal = paid + outstanding.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::bill::Bill;
use super::payment::{Line, Payment};
use super::{Basis, Fen, Period, Price, Rate, Share};
use crate::ids::RecordId;
use crate::rules::RuleError;

/// How late fees are charged on a bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LateRule {
    /// Each day's rate on the unpaid principal.
    pub rate: Rate,
    /// Days after the due date before the fee starts.
    pub grace_days: u32,
    /// The most the fee may come to, as a share of the principal.
    pub cap: Share,
}

impl LateRule {
    /// No late fee.
    pub const NONE: LateRule = LateRule { rate: Rate(0), grace_days: 0, cap: Share(0) };
}

/// `num / den` rounded half up.
pub fn round_half_up(num: u128, den: u128) -> u64 {
    if den == 0 {
        return 0;
    }
    u64::try_from((num * 2 + den) / (den * 2)).unwrap_or(u64::MAX)
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// An exact sum of fractions of a fen.
#[derive(Debug, Clone, Copy)]
struct Ratio {
    num: u128,
    den: u128,
}

impl Ratio {
    const ZERO: Ratio = Ratio { num: 0, den: 1 };

    fn add(self, num: u128, den: u128) -> Ratio {
        let (n, d) = (self.num * den + num * self.den, self.den * den);
        let g = gcd(n, d);
        Ratio { num: n / g, den: d / g }
    }

    fn fen(self) -> Fen {
        Fen(round_half_up(self.num, self.den))
    }
}

/// Days in the month that starts on `first`.
pub fn days_in_month(first: NaiveDate) -> u32 {
    let next = first + chrono::Months::new(1);
    (next - first).num_days() as u32
}

/// What a bill for `period` comes to, billed from `from` (the house's
/// handover or the fee's start, when inside the period), with the price in
/// force on each month's first billable day (`price_on`):
/// - 按面积: `quantity` m² (hundredths) × the price a m² a month, each part
///   month by its days over the month's days;
/// - 定额: the price a period, shared equally among its months, part months likewise;
///   a one-off fee is the price;
/// - 按抄表: `quantity` used (hundredths) × the price; never pro rata.
///
/// None when no price is in force for a billable month.
pub fn amount(
    basis: Basis,
    period: Period,
    from: NaiveDate,
    quantity: u64,
    price_on: impl Fn(NaiveDate) -> Option<Price>,
) -> Option<Fen> {
    let from = from.max(period.start);
    if from > period.end() {
        return Some(Fen::ZERO);
    }
    match (basis, period.months) {
        (Basis::Meter, _) => Some(Ratio::ZERO.add(u128::from(quantity) * u128::from(price_on(from)?.0), 10_000).fen()),
        (_, 0) => Some(Ratio::ZERO.add(u128::from(price_on(from)?.0), 100).fen()),
        (_, months) => {
            let mut total = Ratio::ZERO;
            for m in 0..months {
                let first = period.start + chrono::Months::new(m);
                let last = first + chrono::Months::new(1) - chrono::Days::new(1);
                if last < from {
                    continue;
                }
                let billed_from = from.max(first);
                let days = u128::from(last.day() - billed_from.day() + 1);
                let month_days = u128::from(days_in_month(first));
                let price = u128::from(price_on(billed_from)?.0);
                // A month's charge in fen is num/den; this month's share is days/month_days of it.
                let (num, den) = match basis {
                    Basis::Area => (u128::from(quantity) * price, 10_000),
                    _ => (price, 100 * u128::from(months)),
                };
                total = total.add(num * days, den * month_days);
            }
            Some(total.fen())
        }
    }
}

/// The late fee on a principal due on `due`, as of the end of `as_of`:
/// `changes` are principal paid (positive) or given back (negative) on a
/// day, which count from the next day.
pub fn late_fee(
    principal: Fen,
    due: NaiveDate,
    rule: &LateRule,
    changes: &[(NaiveDate, i64)],
    as_of: NaiveDate,
) -> Fen {
    if rule.rate.0 == 0 || principal.0 == 0 {
        return Fen::ZERO;
    }
    let Some(first) = due.checked_add_days(chrono::Days::new(u64::from(rule.grace_days) + 1)) else {
        return Fen::ZERO;
    };
    if as_of < first {
        return Fen::ZERO;
    }
    let mut sorted = changes.to_vec();
    sorted.sort_by_key(|(day, _)| *day);
    let unpaid =
        |paid: i64| u128::try_from((principal.0 as i64).saturating_sub(paid).clamp(0, principal.0 as i64)).unwrap_or(0);
    let mut paid: i64 = 0;
    let mut cursor = first;
    let mut fen_days: u128 = 0;
    for (day, change) in sorted {
        let effective = day.succ_opt().unwrap_or(day);
        if effective > cursor {
            if effective > as_of {
                break;
            }
            fen_days += unpaid(paid) * ((effective - cursor).num_days() as u128);
            cursor = effective;
        }
        paid = paid.saturating_add(change);
    }
    if as_of >= cursor {
        fen_days += unpaid(paid) * ((as_of - cursor).num_days() as u128 + 1);
    }
    let exact = fen_days * u128::from(rule.rate.0);
    let cap = u128::from(principal.0) * u128::from(rule.cap.0) * 100;
    Fen(round_half_up(exact.min(cap), 1_000_000))
}

/// Money moving on one bill: what one payment line did, signed (a refund is negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    /// Which bill.
    pub bill: RecordId,
    /// The day it was paid (site time).
    pub on: NaiveDate,
    /// Principal paid.
    pub principal: i64,
    /// Late fee paid.
    pub late_paid: i64,
    /// Late fee waived.
    pub late_waived: i64,
}

/// Every movement of the payments that count (not voided), up to `as_of`.
pub fn movements(payments: &[Payment], as_of: NaiveDate) -> Vec<Movement> {
    let mut out = Vec::new();
    for p in payments.iter().filter(|p| !p.is_void() && p.paid_on <= as_of) {
        let sign = p.sign();
        for line in &p.lines {
            out.push(Movement {
                bill: line.bill,
                on: p.paid_on,
                principal: sign * line.principal.0 as i64,
                late_paid: sign * line.late_fee.0 as i64,
                late_waived: sign * line.late_waived.0 as i64,
            });
        }
    }
    out
}

/// Where one bill stands as of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BillState {
    /// The amount less reductions.
    pub principal: Fen,
    /// Principal paid (never more than the principal).
    pub paid: Fen,
    /// Principal still owed.
    pub outstanding: Fen,
    /// Paid beyond what the bill asks (principal or late fee): in the prepaid balance.
    pub overpaid: Fen,
    /// Late fee accrued to the day.
    pub late_accrued: Fen,
    /// Late fee paid (never more than accrued less waived).
    pub late_paid: Fen,
    /// Late fee waived.
    pub late_waived: Fen,
    /// Late fee still owed.
    pub late_owed: Fen,
    /// Days past the due date with principal owed (0 when none is).
    pub overdue_days: u32,
}

/// Where `bill` stands at the end of `as_of`, given the movements on it.
pub fn bill_state(bill: &Bill, moves: &[Movement], as_of: NaiveDate) -> BillState {
    let principal = bill.principal();
    let mine: Vec<&Movement> = moves.iter().filter(|m| m.bill == bill.id && m.on <= as_of).collect();
    let raw_paid: i64 = mine.iter().map(|m| m.principal).sum::<i64>().max(0);
    let paid = Fen((raw_paid as u64).min(principal.0));
    let changes: Vec<(NaiveDate, i64)> = mine.iter().map(|m| (m.on, m.principal)).collect();
    let late_accrued = late_fee(principal, bill.due, &bill.late, &changes, as_of);
    let late_waived = Fen((mine.iter().map(|m| m.late_waived).sum::<i64>().max(0) as u64).min(late_accrued.0));
    let raw_late_paid = mine.iter().map(|m| m.late_paid).sum::<i64>().max(0) as u64;
    let late_paid = Fen(raw_late_paid.min(late_accrued.0 - late_waived.0));
    let outstanding = Fen(principal.0 - paid.0);
    BillState {
        principal,
        paid,
        outstanding,
        overpaid: Fen(raw_paid as u64 - paid.0 + raw_late_paid - late_paid.0),
        late_accrued,
        late_paid,
        late_waived,
        late_owed: Fen(late_accrued.0 - late_waived.0 - late_paid.0),
        overdue_days: if outstanding.0 > 0 && as_of > bill.due { (as_of - bill.due).num_days() as u32 } else { 0 },
    }
}

/// One house's bills and balance as of a day.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HouseLedger {
    /// Its bills, oldest first (by due date, then period, then item), each with where it stands.
    pub bills: Vec<(Bill, BillState)>,
    /// The prepaid balance (预存).
    pub prepaid: Fen,
    /// Principal owed on all bills.
    pub outstanding: Fen,
    /// Late fees owed on all bills.
    pub late_owed: Fen,
}

impl HouseLedger {
    /// The bills with principal or a late fee still owed.
    pub fn open(&self) -> impl Iterator<Item = &(Bill, BillState)> {
        self.bills.iter().filter(|(_, s)| s.outstanding.0 > 0 || s.late_owed.0 > 0)
    }

    /// Principal owed on bills past their due date.
    pub fn overdue(&self) -> Fen {
        Fen(self.bills.iter().filter(|(_, s)| s.overdue_days > 0).map(|(_, s)| s.outstanding.0).sum())
    }

    /// Days the oldest unpaid principal is past due.
    pub fn overdue_days(&self) -> u32 {
        self.bills.iter().map(|(_, s)| s.overdue_days).max().unwrap_or(0)
    }
}

/// One house's ledger: `bills` and `payments` are the house's own.
pub fn house_ledger(mut bills: Vec<Bill>, payments: &[Payment], as_of: NaiveDate) -> HouseLedger {
    bills.sort_by(|a, b| (a.due, a.period.start, &a.item, a.id).cmp(&(b.due, b.period.start, &b.item, b.id)));
    let moves = movements(payments, as_of);
    let mut ledger = HouseLedger::default();
    let mut prepaid: i64 = 0;
    for p in payments.iter().filter(|p| !p.is_void() && p.paid_on <= as_of) {
        prepaid += p.sign() * (p.to_prepaid.0 as i64 - p.from_prepaid.0 as i64);
    }
    for bill in bills {
        if bill.issued_on() > as_of {
            continue;
        }
        let state = bill_state(&bill, &moves, as_of);
        prepaid += state.overpaid.0 as i64;
        ledger.outstanding.0 += state.outstanding.0;
        ledger.late_owed.0 += state.late_owed.0;
        ledger.bills.push((bill, state));
    }
    ledger.prepaid = Fen(prepaid.max(0) as u64);
    ledger
}

/// How a payment is shared out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allocation {
    /// What goes to each bill.
    pub lines: Vec<Line>,
    /// Taken from the prepaid balance.
    pub from_prepaid: Fen,
    /// Left over, added to the prepaid balance.
    pub to_prepaid: Fen,
}

/// What is asked of the payer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Principal, then late fees (which may be waived).
    All {
        /// Late fees waived (by a 经理, with a reason) rather than asked for.
        waive: bool,
    },
    /// Principal only (the prepaid balance paying later bills).
    PrincipalOnly,
}

/// Shares `received` (and the prepaid balance) among the house's open bills:
/// principal first, oldest bills first, or the `named` bills in the order
/// named; then their late fees, unless waived or principal only; what is
/// left goes to the prepaid balance.
pub fn allocate(ledger: &HouseLedger, received: Fen, named: &[RecordId], share: Ask) -> Result<Allocation, RuleError> {
    let chosen: Vec<&(Bill, BillState)> = if named.is_empty() {
        ledger.open().collect()
    } else {
        let mut chosen = Vec::new();
        for id in named {
            let found = ledger.bills.iter().find(|(b, _)| b.id == *id).ok_or_else(|| RuleError::OutOfRange {
                field: "the bill",
                value: id.to_string(),
                allowed: "one of the house's bills".into(),
            })?;
            chosen.push(found);
        }
        chosen
    };
    let mut funds = received.0 + ledger.prepaid.0;
    let mut lines: Vec<Line> = chosen
        .iter()
        .map(|(bill, state)| {
            let principal = state.outstanding.0.min(funds);
            funds -= principal;
            Line::of(bill, Fen(principal))
        })
        .collect();
    if let Ask::All { waive } = share {
        for (line, (_, state)) in lines.iter_mut().zip(&chosen) {
            if waive {
                line.late_waived = state.late_owed;
            } else {
                line.late_fee = Fen(state.late_owed.0.min(funds));
                funds -= line.late_fee.0;
            }
        }
    }
    lines.retain(|l| l.principal.0 + l.late_fee.0 + l.late_waived.0 > 0);
    let used: u64 = lines.iter().map(|l| l.principal.0 + l.late_fee.0).sum();
    let from_prepaid = used.min(ledger.prepaid.0);
    Ok(Allocation { lines, from_prepaid: Fen(from_prepaid), to_prepaid: Fen(received.0 - (used - from_prepaid)) })
}

#[cfg(test)]
mod tests;
