//! The renovation (装修): applied for by the owner with a contractor and the
//! work items, approved or refused, started only once the deposit and fees
//! are paid and passes issued, extended with approval, declared finished,
//! inspected (passed, or failed with items to put right, then inspected
//! again), its deposit refunded less itemised deductions, and closed. Patrols
//! during the work record what was seen and any violation with its deadline
//! and its correction. Everything after the application is appended (steps,
//! passes, patrols, corrections, deductions), so the site and head office
//! merge the same record; where it stands is computed from its steps in
//! document order.

use automerge::AutoCommit;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::RecordKind;
use crate::ids::{RecordId, SiteId};
use crate::money::Fen;
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::time;

labelled_enum!(
    /// A kind of work (装修项目).
    WorkItem, RuleError, |value| RuleError::Unknown {
        what: "work item (水电改造, 拆改非承重墙, 防水, 铺装, 吊顶, 空调安装, 门窗, 油漆, 其他)",
        value,
    }, {
        Wiring => ("wiring", "水电改造"),
        PartitionWall => ("partition_wall", "拆改非承重墙"),
        Waterproofing => ("waterproofing", "防水"),
        Flooring => ("flooring", "铺装"),
        Ceiling => ("ceiling", "吊顶"),
        AirConditioning => ("air_conditioning", "空调安装"),
        DoorsWindows => ("doors_windows", "门窗"),
        Painting => ("painting", "油漆"),
        Other => ("other", "其他"),
    }
);

/// Work never allowed, refused at application with the reason.
pub const FORBIDDEN: &[(&str, &str)] = &[
    ("拆改承重墙", "load-bearing walls are never altered (住宅室内装饰装修管理办法)"),
    ("承重墙", "load-bearing walls are never altered (住宅室内装饰装修管理办法)"),
    ("改变外立面", "the building's outside is not changed"),
    ("外立面", "the building's outside is not changed"),
];

/// Reads a work item, refusing forbidden work with its reason.
pub fn parse_item(text: &str) -> Result<WorkItem, RuleError> {
    let t = text.trim();
    if let Some((_, why)) = FORBIDDEN.iter().find(|(name, _)| t.contains(name)) {
        return Err(RuleError::OutOfRange { field: "the work item", value: t.to_string(), allowed: (*why).into() });
    }
    t.parse()
}

labelled_enum!(
    /// Where a renovation stands.
    RenovationState, RuleError, |value| RuleError::Unknown { what: "renovation state", value }, {
        Applied => ("applied", "申请"),
        Approved => ("approved", "已审核"),
        Refused => ("refused", "不予批准"),
        Working => ("working", "施工中"),
        Finished => ("finished", "完工申报"),
        Rectifying => ("rectifying", "整改中"),
        Passed => ("passed", "验收合格"),
        Refunded => ("refunded", "押金已退"),
        Closed => ("closed", "结案"),
    }
);

labelled_enum!(
    /// A step on a renovation.
    Action, RuleError, |value| RuleError::Unknown { what: "renovation step", value }, {
        Approve => ("approve", "审核通过"),
        Refuse => ("refuse", "不予批准"),
        Start => ("start", "开工"),
        Extend => ("extend", "延期"),
        Finish => ("finish", "完工申报"),
        Pass => ("pass", "验收合格"),
        Fail => ("fail", "验收不合格"),
        Rectified => ("rectified", "整改完成"),
        Refund => ("refund", "押金退还"),
        Close => ("close", "结案"),
    }
);

/// The contractor (装修单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contractor {
    /// Its name.
    pub name: String,
    /// Its licence number.
    pub licence: String,
    /// The person in charge.
    pub manager: String,
    /// Their phone.
    pub phone: String,
}

/// One step: who, when, what, and for an extension the new end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// What.
    pub action: Action,
    /// When (stored instant).
    pub at: String,
    /// Who.
    pub by: String,
    /// Why, or what was found.
    pub text: String,
    /// An extension's new end.
    pub until: Option<NaiveDate>,
}

/// A worker's pass (出入证).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    /// The worker.
    pub worker: String,
    /// The pass number.
    pub number: String,
    /// When issued (stored instant).
    pub issued_at: String,
}

/// A violation found on a patrol (违规).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// What rule was broken.
    pub item: String,
    /// What the photo shows, as a note.
    pub photo_note: String,
    /// The day it must be put right by.
    pub deadline: NaiveDate,
    /// The fine proposed.
    pub fine: Fen,
}

/// A patrol during the work (装修巡查).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patrol {
    /// When (stored instant).
    pub at: String,
    /// Who.
    pub by: String,
    /// What was seen.
    pub seen: String,
    /// A violation, if any.
    pub violation: Option<Violation>,
}

/// A violation put right: which patrol's, when and by whom it was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The patrol's place in the list.
    pub patrol: usize,
    /// When checked (stored instant).
    pub at: String,
    /// Who checked.
    pub by: String,
    /// What was done.
    pub note: String,
}

/// A deduction from the deposit, with its reason and the 经理 who approved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deduction {
    /// How much.
    pub amount: Fen,
    /// Why.
    pub reason: String,
    /// The approving 经理.
    pub approved_by: String,
}

/// A note on the renovation, at the site or at head office (跟踪记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// When (stored instant).
    pub at: String,
    /// Who.
    pub by: String,
    /// What.
    pub text: String,
}

/// What a renovation holds besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenovationBody {
    /// The house's record.
    pub house_id: RecordId,
    /// Its address.
    pub house: String,
    /// The owner.
    pub owner: String,
    /// The owner's phone.
    pub phone: String,
    /// The contractor.
    pub contractor: Contractor,
    /// The work items.
    pub items: Vec<WorkItem>,
    /// Planned first day.
    pub planned_start: NaiveDate,
    /// Planned last day.
    pub planned_end: NaiveDate,
    /// The working hours allowed, as the site set them when applied for.
    pub hours: String,
    /// The deposit (装修押金).
    pub deposit: Fen,
    /// Rubbish removal (垃圾清运费).
    pub rubbish_fee: Fen,
    /// Each pass's fee (出入证工本费).
    pub pass_fee: Fen,
    /// Steps, in document order.
    pub steps: Vec<Step>,
    /// Passes issued.
    pub passes: Vec<Pass>,
    /// Passes returned, by number.
    pub returned: Vec<String>,
    /// Patrols.
    pub patrols: Vec<Patrol>,
    /// Violations put right.
    pub corrections: Vec<Correction>,
    /// Deductions from the deposit (written with the refund).
    pub deductions: Vec<Deduction>,
    /// Notes, at the site or at head office.
    #[serde(default)]
    pub notes: Vec<Note>,
}

crate::body::body_record!(
    /// A renovation as lists show it.
    Renovation(RenovationBody), RecordKind::Renovation, applied_at, applied_by,
    check |b| if b.planned_start <= b.planned_end { Ok(()) } else { Err(crate::doc::DocError::invalid("planned_end", "before the start")) },
    projection |r| crate::kind::Projection::at(r.applied_at.utc(), r.state().as_str())
);

impl RenovationBody {
    /// Where it stands: its steps replayed in document order, each taken only where it fits.
    pub fn state(&self) -> RenovationState {
        use RenovationState as S;
        let mut state = S::Applied;
        for step in &self.steps {
            state = match (state, step.action) {
                (S::Applied, Action::Approve) => S::Approved,
                (S::Applied, Action::Refuse) => S::Refused,
                (S::Approved, Action::Start) => S::Working,
                (S::Working, Action::Finish) => S::Finished,
                (S::Finished, Action::Pass) => S::Passed,
                (S::Finished, Action::Fail) => S::Rectifying,
                (S::Rectifying, Action::Rectified) => S::Finished,
                (S::Passed, Action::Refund) => S::Refunded,
                (S::Refunded | S::Refused, Action::Close) => S::Closed,
                (s, _) => s,
            };
        }
        state
    }

    /// The last day of the work: the planned end, or the latest extension.
    pub fn ends(&self) -> NaiveDate {
        self.steps.iter().rev().filter(|s| s.action == Action::Extend).find_map(|s| s.until).unwrap_or(self.planned_end)
    }

    /// The patrols whose violation has not been put right, with their places.
    pub fn open_violations(&self) -> Vec<(usize, &Violation)> {
        self.patrols
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.violation.as_ref().map(|v| (i, v)))
            .filter(|(i, _)| !self.corrections.iter().any(|c| c.patrol == *i))
            .collect()
    }

    /// Whether the pass `number` was taken back.
    pub fn pass_returned(&self, number: &str) -> bool {
        self.returned.iter().any(|n| n == number)
    }

    /// Whether it still holds the house (one active renovation a house).
    pub fn is_active(&self) -> bool {
        !matches!(self.state(), RenovationState::Refused | RenovationState::Closed)
    }

    /// The deposit less deductions: what is paid back.
    pub fn refundable(&self) -> Fen {
        Fen(self.deposit.0.saturating_sub(self.deductions.iter().map(|d| d.amount.0).sum()))
    }
}

/// The longest list of work items or passes.
pub const MAX_ITEMS: usize = 30;
/// The longest a renovation may be planned for, in days.
pub const MAX_PLANNED_DAYS: i64 = 366;

fn wrong(field: &'static str, value: impl Into<String>, allowed: impl Into<String>) -> RuleError {
    RuleError::OutOfRange { field, value: value.into(), allowed: allowed.into() }
}

/// A new application, made at the desk now.
pub fn apply(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    body: &RenovationBody,
) -> Result<AutoCommit, RuleError> {
    if body.items.is_empty() || body.items.len() > MAX_ITEMS {
        return Err(wrong("the work items", body.items.len().to_string(), "1 to 30 kinds of work"));
    }
    let today = now.with_timezone(&tz).date_naive();
    let days = (body.planned_end - body.planned_start).num_days();
    if body.planned_start < today || !(0..=MAX_PLANNED_DAYS).contains(&days) {
        return Err(wrong(
            "the planned days",
            format!("{} to {}", body.planned_start, body.planned_end),
            "from today on, the end on or after the start, at most a year",
        ));
    }
    let c = &body.contractor;
    let body = RenovationBody {
        house: field_text("house", &body.house, MAX_UNIT_CHARS, true)?,
        owner: field_text("owner", &body.owner, MAX_NAME_CHARS, true)?,
        phone: field_text("phone", &body.phone, crate::resident::MAX_PHONE_CHARS, false)?,
        contractor: Contractor {
            name: field_text("the contractor", &c.name, MAX_NAME_CHARS, true)?,
            licence: field_text("the contractor's licence", &c.licence, MAX_NAME_CHARS, true)?,
            manager: field_text("the person in charge", &c.manager, MAX_NAME_CHARS, true)?,
            phone: field_text("the person in charge's phone", &c.phone, crate::resident::MAX_PHONE_CHARS, true)?,
        },
        hours: field_text("the working hours", &body.hours, MAX_TEXT_CHARS, false)?,
        steps: Vec::new(),
        passes: Vec::new(),
        returned: Vec::new(),
        patrols: Vec::new(),
        corrections: Vec::new(),
        deductions: Vec::new(),
        notes: Vec::new(),
        ..body.clone()
    };
    crate::body::new_doc(RecordKind::Renovation, id, site_id, tz, now, by, &body)
}

/// What the desk knows that the record does not: whether the deposit and
/// fees are paid (the fee ledger's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Paid(pub bool);

/// Takes a step; refused where it does not fit, with what is needed.
/// `Start` needs the deposit and fees paid and a pass issued; `Refund`
/// needs the inspection passed and no violation open; `Extend` a later end.
pub fn step(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    action: Action,
    text: &str,
    until: Option<NaiveDate>,
    paid: Paid,
) -> Result<(), RuleError> {
    let r: Renovation = crate::kind::read(doc)?;
    let state = r.state();
    let refuse = |why: &str| Err(wrong("the step", format!("{} ({})", action.label(), state.label()), why));
    use RenovationState as S;
    let fits = matches!(
        (state, action),
        (S::Applied, Action::Approve | Action::Refuse)
            | (S::Approved, Action::Start)
            | (S::Working, Action::Extend | Action::Finish)
            | (S::Finished, Action::Pass | Action::Fail)
            | (S::Rectifying, Action::Rectified)
            | (S::Passed, Action::Refund)
            | (S::Refunded | S::Refused, Action::Close)
    );
    if !fits {
        return refuse(
            "a step that follows where the renovation stands: 申请 → 审核 → 施工中 → 完工申报 → 验收 → 押金退还 → 结案",
        );
    }
    match action {
        Action::Start if !paid.0 => return refuse("the deposit and fees paid first (收款)"),
        Action::Start if r.passes.is_empty() => return refuse("at least one worker's pass (出入证) issued first"),
        Action::Extend if until.is_none_or(|u| u <= r.ends()) => return refuse("a new end later than the current one"),
        Action::Refund if !r.open_violations().is_empty() => {
            return refuse("every violation put right first (违规未整改不能退押金)")
        }
        Action::Refuse | Action::Fail | Action::Extend if text.trim().is_empty() => {
            return Err(RuleError::Empty("the reason"))
        }
        _ => {}
    }
    let step = Step {
        action,
        at: time::to_stored(now),
        by: field_text("by", by, MAX_NAME_CHARS, true)?,
        text: field_text("the note", text, MAX_TEXT_CHARS, false)?,
        until: if action == Action::Extend { until } else { None },
    };
    crate::body::append(doc, "steps", &step)
}

/// Issues a worker's pass.
pub fn issue_pass(doc: &mut AutoCommit, now: DateTime<Utc>, worker: &str, number: &str) -> Result<(), RuleError> {
    let r: Renovation = crate::kind::read(doc)?;
    if !matches!(r.state(), RenovationState::Approved | RenovationState::Working) {
        return Err(wrong("the pass", number, "issued once approved and while the work goes on"));
    }
    if r.passes.iter().any(|p| p.number == number.trim()) || r.passes.len() >= MAX_ITEMS {
        return Err(wrong("the pass", number, "a number not yet issued on this renovation, at most 30 passes"));
    }
    let pass = Pass {
        worker: field_text("the worker", worker, MAX_NAME_CHARS, true)?,
        number: field_text("the pass number", number, MAX_NAME_CHARS, true)?,
        issued_at: time::to_stored(now),
    };
    crate::body::append(doc, "passes", &pass)
}

/// Takes a pass back.
pub fn return_pass(doc: &mut AutoCommit, number: &str) -> Result<(), RuleError> {
    let r: Renovation = crate::kind::read(doc)?;
    if !r.passes.iter().any(|p| p.number == number.trim()) || r.pass_returned(number.trim()) {
        return Err(wrong("the pass", number, "a pass of this renovation not yet returned"));
    }
    crate::body::append(doc, "returned", &number.trim().to_string())
}

/// Records a patrol, with a violation if one was found.
pub fn patrol(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    seen: &str,
    violation: Option<&Violation>,
) -> Result<(), RuleError> {
    let r: Renovation = crate::kind::read(doc)?;
    if r.state() != RenovationState::Working {
        return Err(wrong("the patrol", r.state().label(), "while the work goes on (施工中)"));
    }
    let today = now.with_timezone(r.applied_at.local().offset()).date_naive();
    let violation = match violation {
        Some(v) if v.deadline < today => return Err(wrong("the deadline", v.deadline.to_string(), "today or later")),
        Some(v) => Some(Violation {
            item: field_text("the violation", &v.item, MAX_NAME_CHARS, true)?,
            photo_note: field_text("the photo note", &v.photo_note, MAX_TEXT_CHARS, false)?,
            ..v.clone()
        }),
        None => None,
    };
    let patrol = Patrol {
        at: time::to_stored(now),
        by: field_text("by", by, MAX_NAME_CHARS, true)?,
        seen: field_text("what was seen", seen, MAX_TEXT_CHARS, true)?,
        violation,
    };
    crate::body::append(doc, "patrols", &patrol)
}

/// Records that the violation of patrol `at` was put right.
pub fn correct(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, at: usize, note: &str) -> Result<(), RuleError> {
    let r: Renovation = crate::kind::read(doc)?;
    if !r.open_violations().iter().any(|(i, _)| *i == at) {
        return Err(wrong("the violation", (at + 1).to_string(), "an open violation of this renovation"));
    }
    let c = Correction {
        patrol: at,
        at: time::to_stored(now),
        by: field_text("by", by, MAX_NAME_CHARS, true)?,
        note: field_text("what was done", note, MAX_TEXT_CHARS, true)?,
    };
    crate::body::append(doc, "corrections", &c)
}

/// A note (跟踪记录), at any stage: head office's word to the site, or the site's own.
pub fn note(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, text: &str) -> Result<(), RuleError> {
    let note = Note {
        at: time::to_stored(now),
        by: field_text("by", by, MAX_NAME_CHARS, true)?,
        text: field_text("the note", text, MAX_TEXT_CHARS, true)?,
    };
    crate::body::append(doc, "notes", &note)
}

/// Records the deductions and the refund of the rest (the desk posts the
/// refund in the ledger); each deduction needs a reason and its approver.
pub fn refund(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    deductions: &[Deduction],
    how: &str,
) -> Result<(), RuleError> {
    let r: Renovation = crate::kind::read(doc)?;
    let total: u64 = deductions.iter().map(|d| d.amount.0).sum();
    if total > r.deposit.0 {
        return Err(wrong("the deductions", Fen(total).to_string(), format!("at most the deposit {}", r.deposit)));
    }
    let mut checked = Vec::new();
    for d in deductions {
        checked.push(Deduction {
            amount: d.amount,
            reason: field_text("the deduction's reason", &d.reason, MAX_TEXT_CHARS, true)?,
            approved_by: field_text("who approved the deduction", &d.approved_by, MAX_NAME_CHARS, true)?,
        });
    }
    step(doc, now, by, Action::Refund, how, None, Paid(true))?;
    for d in &checked {
        crate::body::append(doc, "deductions", d)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
