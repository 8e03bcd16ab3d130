//! The day's close (日结单): a cashier closes the payments taken since their
//! last close; closed payments can no longer be voided. The totals are
//! frozen here, by method, as the cashier hands the money over.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::payment::{PayKind, Payment};
use super::{Fen, PayMethod};
use crate::doc::RecordKind;
use crate::ids::{RecordId, SiteId};
use crate::rules::RuleError;

/// What a close holds besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseBody {
    /// The site day closed.
    pub day: NaiveDate,
    /// The payments closed (voided ones included, counted apart).
    pub payments: Vec<RecordId>,
    /// The receipt numbers, first and last.
    pub receipts: (u64, u64),
    /// Receipts that count.
    pub count: u64,
    /// Receipts voided.
    pub voided: u64,
    /// Money taken, by method's stored name.
    pub taken: BTreeMap<String, Fen>,
    /// Money paid back, by method's stored name.
    pub refunded: BTreeMap<String, Fen>,
    /// Principal in the money taken less refunds.
    pub principal: i64,
    /// Late fees in it.
    pub late_fees: i64,
    /// Added to prepaid balances less taken from them.
    pub prepaid: i64,
}

impl CloseBody {
    /// The totals of `payments` (a cashier's, not yet closed) for `day`.
    pub fn of(day: NaiveDate, payments: &[&Payment]) -> CloseBody {
        let mut body = CloseBody {
            day,
            payments: payments.iter().map(|p| p.id).collect(),
            receipts: (
                payments.iter().map(|p| p.receipt).min().unwrap_or(0),
                payments.iter().map(|p| p.receipt).max().unwrap_or(0),
            ),
            count: 0,
            voided: 0,
            taken: BTreeMap::new(),
            refunded: BTreeMap::new(),
            principal: 0,
            late_fees: 0,
            prepaid: 0,
        };
        for p in payments {
            if p.is_void() {
                body.voided += 1;
                continue;
            }
            body.count += 1;
            let into = if p.pay_kind == PayKind::Refund { &mut body.refunded } else { &mut body.taken };
            into.entry(p.method.as_str().to_string()).or_default().0 += p.received.0;
            let sign = p.sign();
            body.principal += sign * p.principal().0 as i64;
            body.late_fees += sign * p.late_fees().0 as i64;
            body.prepaid += sign * (p.to_prepaid.0 as i64 - p.from_prepaid.0 as i64);
        }
        body
    }

    /// Money taken less refunds.
    pub fn net(&self) -> i64 {
        self.taken.values().map(|f| f.0 as i64).sum::<i64>() - self.refunded.values().map(|f| f.0 as i64).sum::<i64>()
    }

    /// The methods, as labels, with money taken and paid back.
    pub fn by_method(&self) -> Vec<(&'static str, Fen, Fen)> {
        PayMethod::ALL
            .iter()
            .map(|m| {
                let get = |map: &BTreeMap<String, Fen>| map.get(m.as_str()).copied().unwrap_or_default();
                (m.label(), get(&self.taken), get(&self.refunded))
            })
            .filter(|(_, t, r)| t.0 + r.0 > 0)
            .collect()
    }
}

crate::body::body_record!(
    /// A close as lists show it.
    DayClose(CloseBody), RecordKind::DayClose, at, cashier,
    check |b| Ok::<(), crate::doc::DocError>(()),
    projection |c| crate::kind::Projection::at(c.at.utc(), "")
);

/// A new close of `body.payments`, by the cashier `by`.
pub fn close(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    body: &CloseBody,
) -> Result<AutoCommit, RuleError> {
    if body.payments.is_empty() {
        return Err(RuleError::OutOfRange {
            field: "the day's close",
            value: body.day.to_string(),
            allowed: "payments taken since the last close: there are none".into(),
        });
    }
    crate::body::new_doc(RecordKind::DayClose, id, site_id, tz, now, by, &body)
}
