//! Renovations over stored records, the same code at the site and at head
//! office: what needs looking at today (work ending within the week,
//! inspections overdue, violations past their deadline) and a site's
//! figures (in progress, finished but not inspected, violations open and
//! overdue, deposits held). Deposits held are read from the fee ledger —
//! principal paid on the deposit bills of renovations whose deposit has not
//! been refunded — so the figure is the ledger's, at the site and at head
//! office alike (`docs/KPI.md`).

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use wuye_protocol::bill::Bill;
use wuye_protocol::ids::RecordId;
use wuye_protocol::money::Fen;
use wuye_protocol::renovation::{Action, Renovation, RenovationState, Violation};
use wuye_protocol::time;

use crate::fees::Books;

/// Days after 完工申报 within which the office inspects; later is overdue.
pub const INSPECT_WITHIN_DAYS: i64 = 3;
/// How far ahead "ending this week" looks, in days from today.
pub const ENDING_WITHIN_DAYS: i64 = 7;

/// What a renovation's deposit bill is named.
pub const DEPOSIT: &str = "装修押金";
/// What its rubbish-removal bill is named.
pub const RUBBISH: &str = "装修垃圾清运费";
/// What each pass's bill is named (with the pass number after it).
pub const PASS: &str = "出入证工本费";

/// The id a renovation's charge bills under, in place of a fee item's.
pub fn charge_id(r: &Renovation, key: &str) -> RecordId {
    RecordId::derived(&[b"renovation-charge", r.id.as_bytes(), key.as_bytes()])
}

/// The key of a pass's charge.
pub fn pass_key(number: &str) -> String {
    format!("{PASS} {}", number.trim())
}

/// Whether `bill` is one of the renovation's charges.
pub fn is_charge_of(r: &Renovation, bill: &Bill) -> bool {
    [charge_id(r, DEPOSIT), charge_id(r, RUBBISH)].contains(&bill.item_id)
        || r.passes.iter().any(|p| bill.item_id == charge_id(r, &pass_key(&p.number)))
}

/// Whether the deposit is still with the office (paid, not yet refunded).
pub fn holds_deposit(r: &Renovation) -> bool {
    !matches!(r.state(), RenovationState::Refunded | RenovationState::Closed | RenovationState::Refused)
}

/// The day the work was last declared finished, in the site's time.
pub fn finished_on(r: &Renovation) -> Option<NaiveDate> {
    let offset = *r.applied_at.local().offset();
    let step = r.steps.iter().rev().find(|s| s.action == Action::Finish)?;
    Some(time::from_stored(&step.at)?.with_timezone(&offset).date_naive())
}

/// Whether the inspection is overdue: declared finished more than
/// [`INSPECT_WITHIN_DAYS`] days ago and not yet inspected.
pub fn inspection_overdue(r: &Renovation, today: NaiveDate) -> bool {
    r.state() == RenovationState::Finished
        && finished_on(r).is_some_and(|d| today - d > Duration::days(INSPECT_WITHIN_DAYS))
}

/// The states the day's board looks at: work going on, finished, being put
/// right, or passed and waiting for the refund (open violations).
pub const WATCHED: [RenovationState; 4] =
    [RenovationState::Working, RenovationState::Finished, RenovationState::Rectifying, RenovationState::Passed];

/// Reads deductions written `AMOUNT:REASON` (one each; `200:周末噪音作业罚款`),
/// as the command line and the web form take them.
pub fn parse_deductions<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Vec<(Fen, String)>, crate::AppError> {
    let mut out = Vec::new();
    for line in lines.into_iter().map(str::trim).filter(|l| !l.is_empty()) {
        let (amount, reason) = line.split_once([':', '：']).ok_or_else(|| {
            crate::AppError::Rule(wuye_protocol::rules::RuleError::OutOfRange {
                field: "the deduction",
                value: line.to_string(),
                allowed: "amount then reason: 200:周末噪音作业罚款".into(),
            })
        })?;
        out.push((Fen::parse_yuan(amount)?, reason.trim().to_string()));
    }
    Ok(out)
}

/// A violation not put right, with the patrol it was found on (from 1).
#[derive(Debug, Clone, Serialize)]
pub struct OpenViolation {
    /// The renovation.
    pub id: RecordId,
    /// Its house.
    pub house: String,
    /// The patrol's number, from 1.
    pub patrol: usize,
    /// The violation.
    pub violation: Violation,
    /// Whether its deadline has passed.
    pub overdue: bool,
}

/// What the day's board shows of renovations.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Watch {
    /// Work going on whose end is within [`ENDING_WITHIN_DAYS`] days or has passed, soonest first.
    pub ending: Vec<Renovation>,
    /// Declared finished and not inspected within [`INSPECT_WITHIN_DAYS`] days.
    pub inspections_overdue: Vec<Renovation>,
    /// Violations past their deadline, not put right.
    pub violations_overdue: Vec<OpenViolation>,
}

impl Watch {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.ending.is_empty() && self.inspections_overdue.is_empty() && self.violations_overdue.is_empty()
    }
}

/// The violations not put right, the oldest deadline first.
pub fn open_violations(all: &[Renovation], today: NaiveDate) -> Vec<OpenViolation> {
    let mut out: Vec<OpenViolation> = all
        .iter()
        .filter(|r| r.is_active())
        .flat_map(|r| {
            r.open_violations().into_iter().map(|(i, v)| OpenViolation {
                id: r.id,
                house: r.house.clone(),
                patrol: i + 1,
                violation: v.clone(),
                overdue: v.deadline < today,
            })
        })
        .collect();
    out.sort_by_key(|v| v.violation.deadline);
    out
}

/// What needs looking at `today`.
pub fn watch(all: &[Renovation], today: NaiveDate) -> Watch {
    let mut ending: Vec<Renovation> = all
        .iter()
        .filter(|r| r.state() == RenovationState::Working && r.ends() - today < Duration::days(ENDING_WITHIN_DAYS))
        .cloned()
        .collect();
    ending.sort_by_key(|r| r.ends());
    Watch {
        ending,
        inspections_overdue: all.iter().filter(|r| inspection_overdue(r, today)).cloned().collect(),
        violations_overdue: open_violations(all, today).into_iter().filter(|v| v.overdue).collect(),
    }
}

/// A site's renovation figures now (`docs/KPI.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Works {
    /// Applied for, not yet approved or refused.
    pub applied: i64,
    /// Approved and not yet refunded: approved, working, finished, rectifying or passed.
    pub in_progress: i64,
    /// … of them, working past their end.
    pub past_end: i64,
    /// Declared finished and not yet inspected.
    pub not_inspected: i64,
    /// … of them, past [`INSPECT_WITHIN_DAYS`].
    pub inspections_overdue: i64,
    /// Violations not put right.
    pub violations_open: i64,
    /// … of them, past their deadline.
    pub violations_overdue: i64,
    /// Deposits held: principal paid on the deposit bills of renovations not yet refunded.
    pub deposits_held: Fen,
}

impl Works {
    /// Several sites together.
    pub fn total(all: &[Works]) -> Works {
        let mut t = Works::default();
        for w in all {
            t.applied += w.applied;
            t.in_progress += w.in_progress;
            t.past_end += w.past_end;
            t.not_inspected += w.not_inspected;
            t.inspections_overdue += w.inspections_overdue;
            t.violations_open += w.violations_open;
            t.violations_overdue += w.violations_overdue;
            t.deposits_held.0 += w.deposits_held.0;
        }
        t
    }
}

/// The deposits held by the renovations `all`, from the ledger of `books` as of `today`.
pub fn deposits_held(all: &[Renovation], books: &Books, today: NaiveDate) -> Fen {
    let holding: std::collections::HashSet<RecordId> =
        all.iter().filter(|r| holds_deposit(r)).map(|r| charge_id(r, DEPOSIT)).collect();
    if holding.is_empty() {
        return Fen::ZERO;
    }
    // Each such house's whole ledger: payments are allocated over all its bills.
    let houses: std::collections::HashSet<RecordId> =
        books.bills.iter().filter(|b| holding.contains(&b.item_id)).map(|b| b.house_id).collect();
    let only = Books {
        bills: books.bills.iter().filter(|b| houses.contains(&b.house_id)).cloned().collect(),
        payments: books.payments.iter().filter(|p| houses.contains(&p.house_id)).cloned().collect(),
    };
    Fen(only
        .ledgers(today)
        .values()
        .flat_map(|l| l.bills.iter())
        .filter(|(b, _)| holding.contains(&b.item_id))
        .map(|(_, s)| s.paid.0)
        .sum())
}

/// One site's renovation figures as of `today`.
pub fn works(all: &[Renovation], books: &Books, today: NaiveDate) -> Works {
    use RenovationState as S;
    let mut w = Works::default();
    for r in all {
        match r.state() {
            S::Applied => w.applied += 1,
            S::Approved | S::Working | S::Finished | S::Rectifying | S::Passed => w.in_progress += 1,
            _ => {}
        }
        w.past_end += i64::from(r.state() == S::Working && r.ends() < today);
        w.not_inspected += i64::from(r.state() == S::Finished);
        w.inspections_overdue += i64::from(inspection_overdue(r, today));
    }
    for v in open_violations(all, today) {
        w.violations_open += 1;
        w.violations_overdue += i64::from(v.overdue);
    }
    w.deposits_held = deposits_held(all, books, today);
    w
}
