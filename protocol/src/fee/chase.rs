//! A reminder of arrears (催缴记录): which house, at which level, how it was
//! given, what came of it, a promised day to pay, and the complaint the
//! owner gave as the reason for refusing, if any.

use automerge::AutoCommit;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{ChaseWay, Fen};
use crate::doc::RecordKind;
use crate::ids::{RecordId, SiteId};
use crate::rules::{field_text, RuleError, MAX_TEXT_CHARS, MAX_UNIT_CHARS};

/// The levels of chasing (1: first reminder, 2: second, 3: last, the 经理's).
pub const LEVELS: u8 = 3;

/// What a reminder holds besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaseBody {
    /// The house's record.
    pub house_id: RecordId,
    /// The house's address.
    pub house: String,
    /// The level (1 to 3).
    pub level: u8,
    /// How.
    pub way: ChaseWay,
    /// What came of it.
    pub result: String,
    /// The day the owner promised to pay.
    pub promised: Option<NaiveDate>,
    /// The complaint given as the reason for not paying.
    pub complaint: Option<RecordId>,
    /// Principal owed when reminded.
    pub owed: Fen,
    /// Days the oldest bill was overdue.
    pub overdue_days: u32,
}

crate::body::body_record!(
    /// A reminder as lists show it.
    Chase(ChaseBody), RecordKind::Chase, at, by,
    check |b| Ok::<(), crate::doc::DocError>(()),
    projection |c| crate::kind::Projection::at(c.at.utc(), "")
);

/// A new reminder, given now by `by`.
pub fn record(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    body: &ChaseBody,
) -> Result<AutoCommit, RuleError> {
    if !(1..=LEVELS).contains(&body.level) {
        return Err(RuleError::OutOfRange {
            field: "the level",
            value: body.level.to_string(),
            allowed: "1, 2 or 3".into(),
        });
    }
    let today = now.with_timezone(&tz).date_naive();
    if let Some(day) = body.promised.filter(|d| *d < today || (*d - today).num_days() > 366) {
        return Err(RuleError::OutOfRange {
            field: "the promised day",
            value: day.to_string(),
            allowed: "today to a year ahead".into(),
        });
    }
    let body = ChaseBody {
        house: field_text("house", &body.house, MAX_UNIT_CHARS, true)?,
        result: field_text("the result", &body.result, MAX_TEXT_CHARS, true)?,
        ..body.clone()
    };
    crate::body::new_doc(RecordKind::Chase, id, site_id, tz, now, by, &body)
}
