//! The complaint record (客户投诉登记表): document layout, rules and status.
//!
//! A complaint's workflow is an append-only list of events inside its
//! document. Its status is computed from the events by [`status`], a pure
//! function, so concurrent actions at a site and at head office merge to the
//! same status everywhere.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::ids::{EventId, RecordId, SiteId};
use crate::rules::{
    field_text, Channel, RuleError, MAX_DEPARTMENTS, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS, SATISFIED_FROM,
};
use crate::time;

/// Most events one complaint document may hold before it is refused as absurd.
pub const MAX_EVENTS: usize = 10_000;

/// Where a complaint stands, computed by [`status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    /// 已登记: registered, nothing done yet.
    Registered,
    /// 跟踪中: being tracked (notes recorded).
    InProgress,
    /// 已派单: a work contact slip went to a department.
    Assigned,
    /// 待经理决定: a major complaint waiting for the property manager.
    Escalated,
    /// 经理已决定: the property manager has decided.
    Decided,
    /// 待回访: the result is recorded; a follow-up visit is due.
    Resolved,
    /// 重新处理: the resident was not satisfied at the visit; handled again.
    Reopened,
    /// 已回访: the resident was satisfied; ready to archive.
    Visited,
    /// 已归档: closed.
    Archived,
}

impl ComplaintStatus {
    /// Every state, in the order of the workflow.
    pub const ALL: [ComplaintStatus; 9] = [
        ComplaintStatus::Registered,
        ComplaintStatus::InProgress,
        ComplaintStatus::Assigned,
        ComplaintStatus::Escalated,
        ComplaintStatus::Decided,
        ComplaintStatus::Resolved,
        ComplaintStatus::Reopened,
        ComplaintStatus::Visited,
        ComplaintStatus::Archived,
    ];

    /// The state named as JSON names it (`in_progress`, …).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| status_name(*s) == name.trim())
    }

    /// The state's name as JSON and lists name it (`in_progress`, …).
    pub fn as_str(self) -> &'static str {
        status_name(self)
    }

    /// The label the front desk knows.
    pub fn label(self) -> &'static str {
        match self {
            ComplaintStatus::Registered => "已登记",
            ComplaintStatus::InProgress => "跟踪中",
            ComplaintStatus::Assigned => "已派单",
            ComplaintStatus::Escalated => "待经理决定",
            ComplaintStatus::Decided => "经理已决定",
            ComplaintStatus::Resolved => "待回访",
            ComplaintStatus::Reopened => "重新处理",
            ComplaintStatus::Visited => "已回访",
            ComplaintStatus::Archived => "已归档",
        }
    }
}

/// What kind of step an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The complaint was registered.
    Registered,
    /// A tracking note (跟踪记录).
    Note,
    /// A work contact slip (工作联系单) to a department; the text names it.
    Assigned,
    /// Escalated to the property manager as a major complaint (重大投诉).
    Escalated,
    /// The property manager's decision (经理决定).
    Decision,
    /// The result recorded (处理结果); the text says what was done.
    Resolved,
    /// A follow-up visit (回访) with the resident's satisfaction; 1–2 reopens.
    Visited,
    /// Archived (归档); nothing more happens.
    Archived,
}

impl EventKind {
    const ALL: [EventKind; 8] = [
        EventKind::Registered,
        EventKind::Note,
        EventKind::Assigned,
        EventKind::Escalated,
        EventKind::Decision,
        EventKind::Resolved,
        EventKind::Visited,
        EventKind::Archived,
    ];

    /// The name stored in documents and shown in histories.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Registered => "registered",
            EventKind::Note => "note",
            EventKind::Assigned => "assigned",
            EventKind::Escalated => "escalated",
            EventKind::Decision => "decision",
            EventKind::Resolved => "resolved",
            EventKind::Visited => "visited",
            EventKind::Archived => "archived",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One step in a complaint's workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Breaks ties between events at the same instant.
    pub id: EventId,
    /// What happened.
    pub kind: EventKind,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// The note's, decision's or result's words, the department of a contact
    /// slip, the resident's comment on a visit (empty for registration).
    pub text: String,
    /// The resident's satisfaction, 1 to 5, on a follow-up visit.
    pub satisfaction: Option<u8>,
    /// On a decision: the earlier decisions it replaces (those standing when it
    /// was made). Two decisions that replace the same ones were made apart.
    pub supersedes: Vec<EventId>,
    /// On a contact slip: the instruction, the time it is due and the department's reply.
    pub contact: Contact,
}

/// What a work contact slip (工作联系单) says beyond its department, written on
/// its event after it is issued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// What the department is asked to do (处理要求).
    pub instruction: String,
    /// When it is to be done by.
    pub due: Option<DateTime<Utc>>,
    /// The department's reply (部门回复), who gave it and when.
    pub reply: Option<(String, String, DateTime<Utc>)>,
}

/// The decisions that stand: every decision no later decision replaced, in
/// document order. More than one means managers decided differently while
/// apart, and a new decision must settle which stands.
pub fn standing_decisions(events: &[Event]) -> Vec<&Event> {
    let replaced: std::collections::HashSet<EventId> =
        events.iter().filter(|e| e.kind == EventKind::Decision).flat_map(|e| e.supersedes.iter().copied()).collect();
    events.iter().filter(|e| e.kind == EventKind::Decision && !replaced.contains(&e.id)).collect()
}

/// The status of a complaint with these events, taken in document order. Pure.
///
/// Document order is the order of the Automerge list the events are appended
/// to: every replica holds the same order after a merge, and an event always
/// comes after every event its author had seen, whatever the clocks said. An
/// event that does not fit the state it meets (a second visit that raced the
/// first, say, which only concurrent edits can produce) is kept in the history
/// but moves nothing.
pub fn status(major: bool, events: &[Event]) -> ComplaintStatus {
    use ComplaintStatus as S;
    let mut state = S::Registered;
    let mut major = major;
    let mut decided = false;
    for e in events {
        match e.kind {
            EventKind::Registered => {}
            EventKind::Note if state == S::Registered => state = S::InProgress,
            EventKind::Note => {}
            EventKind::Assigned if matches!(state, S::Registered | S::InProgress) => state = S::Assigned,
            EventKind::Assigned => {}
            EventKind::Escalated => major = true,
            EventKind::Decision => decided = true,
            EventKind::Resolved if state != S::Archived => state = S::Resolved,
            EventKind::Resolved => {}
            EventKind::Visited if state == S::Resolved => {
                state = if e.satisfaction.unwrap_or(0) >= SATISFIED_FROM { S::Visited } else { S::Reopened }
            }
            EventKind::Visited => {}
            EventKind::Archived if state == S::Visited => state = S::Archived,
            EventKind::Archived => {}
        }
    }
    match state {
        S::Registered | S::InProgress | S::Assigned if major && !decided => S::Escalated,
        S::Registered | S::InProgress | S::Assigned if decided => S::Decided,
        other => other,
    }
}

/// A tracking note as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who wrote it.
    pub by: String,
    /// The note.
    pub text: String,
}

/// The property manager's decision as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who decided.
    pub by: String,
    /// The decision.
    pub text: String,
}

/// A work contact slip (工作联系单) as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who issued it.
    pub by: String,
    /// The department instructed.
    pub department: String,
    /// What it is asked to do (处理要求).
    #[serde(default)]
    pub instruction: String,
    /// When it is to be done by.
    #[serde(default)]
    pub due: Option<crate::time::SiteTime>,
    /// The department's reply (部门回复): its words, who, when.
    #[serde(default)]
    pub reply: Option<Resolution>,
}

/// A recorded result (处理结果) as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who recorded it.
    pub by: String,
    /// What was done.
    pub text: String,
}

/// A follow-up visit (回访) as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who visited.
    pub by: String,
    /// The resident's satisfaction, 1 to 5.
    pub satisfaction: u8,
    /// The resident's words.
    pub comment: String,
}

/// One line of a complaint's history (`complaint history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// What happened (`registered`, `assigned`, `note`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Who did it.
    pub by: String,
    /// The words that went with it.
    pub text: String,
    /// The resident's satisfaction, on a visit.
    pub satisfaction: Option<u8>,
}

/// A complaint as lists, `show` and exports present it (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The resident or customer who complained.
    pub customer: String,
    /// How to reach them (联系电话); empty when not given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    /// Building and unit (楼栋/房号), or a public area.
    pub unit: String,
    /// How it reached the centre.
    pub channel: Channel,
    /// When it was received, RFC 3339 with the site's offset.
    pub received_at: crate::time::SiteTime,
    /// Departments involved (维修部, 保洁, ...).
    pub departments: Vec<String>,
    /// What the complaint is about.
    pub summary: String,
    /// The site's category (卫生, 噪音, ...).
    pub category: String,
    /// A major complaint (重大投诉) goes to the property manager.
    pub major: bool,
    /// Computed from the events.
    pub status: ComplaintStatus,
    /// Tracking notes, oldest first.
    pub notes: Vec<Note>,
    /// The manager's decision, if any: when decisions conflict, the last in document order.
    pub decision: Option<Decision>,
    /// Decisions made apart that both stand (决定冲突), oldest first; empty
    /// unless a manager must settle which stands with a new decision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicting_decisions: Vec<Decision>,
    /// Work contact slips, oldest first.
    pub assignments: Vec<Assignment>,
    /// The latest recorded result, if any.
    pub result: Option<Resolution>,
    /// Follow-up visits, oldest first.
    pub visits: Vec<Visit>,
    /// Who registered it.
    pub created_by: String,
    /// The site's time zone the times are shown in.
    pub timezone: String,
    /// A first reply is due by then (fixed when it was registered, in duty
    /// hours); none for a complaint registered before time limits existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_due: Option<crate::time::SiteTime>,
    /// The result is due by then (a major complaint's sooner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_due: Option<crate::time::SiteTime>,
}

impl Complaint {
    /// Whether nothing has been done yet although the reply was due, as of `now`.
    pub fn reply_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == ComplaintStatus::Registered && self.reply_due.as_ref().is_some_and(|due| now > due.utc())
    }

    /// Whether the result is still awaited although it was due, as of `now`
    /// (a reopened complaint awaits a new one).
    pub fn result_overdue(&self, now: DateTime<Utc>) -> bool {
        use ComplaintStatus as S;
        let awaited = matches!(
            self.status,
            S::Registered | S::InProgress | S::Assigned | S::Escalated | S::Decided | S::Reopened
        );
        awaited && self.result_due.as_ref().is_some_and(|due| now > due.utc())
    }

    /// Whether either time limit has passed, as of `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.reply_overdue(now) || self.result_overdue(now)
    }
}

/// What the front desk enters to register a complaint.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// The customer's name.
    pub customer: String,
    /// Their phone number (联系电话); may be empty.
    pub phone: String,
    /// Building and unit.
    pub unit: String,
    /// How it came in.
    pub channel: Channel,
    /// What it is about.
    pub summary: String,
    /// The site's category for it (卫生, 噪音, 服务态度, ...).
    pub category: String,
    /// Departments involved.
    pub departments: Vec<String>,
    /// Whether it is a major complaint.
    pub major: bool,
}

/// The categories a site starts with; each site may change its list.
pub const DEFAULT_CATEGORIES: [&str; 7] = ["卫生", "噪音", "服务态度", "设施", "安全", "收费", "其他"];
/// The category of a complaint recorded without one.
pub const UNCATEGORISED: &str = "其他";

/// Every step of a complaint, oldest first, in the site's time zone.
pub fn history(doc: &impl ReadDoc) -> Result<Vec<HistoryEntry>, DocError> {
    let header = doc::read_header(doc)?;
    Ok(events(doc)?
        .into_iter()
        .map(|e| HistoryEntry {
            at: time::to_site(e.at, header.timezone),
            kind: e.kind.as_str().to_string(),
            by: e.by,
            text: e.text,
            satisfaction: e.satisfaction,
        })
        .collect())
}

/// The events of a complaint document, in document order (the same on every replica).
pub fn events(doc: &impl ReadDoc) -> Result<Vec<Event>, DocError> {
    let root = doc::hydrate_root(doc)?;
    events_from(&Fields::root(&root)?)
}

fn events_from(root: &Fields<'_>) -> Result<Vec<Event>, DocError> {
    let items = root.list("events", MAX_EVENTS)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let path = format!("events[{i}]");
        let map = Fields::item(item, &path)?;
        let kind_name = map.str("type")?;
        let kind = EventKind::parse(&kind_name)
            .ok_or_else(|| DocError::invalid(format!("{path}.type"), format!("unknown event type '{kind_name}'")))?;
        let id = map
            .str("id")?
            .parse()
            .map_err(|e: crate::ids::IdParseError| DocError::invalid(format!("{path}.id"), e.to_string()))?;
        let satisfaction = if kind == EventKind::Visited {
            let n = map.u64("satisfaction")?;
            match u8::try_from(n) {
                Ok(n @ 1..=5) => Some(n),
                _ => return Err(DocError::invalid(format!("{path}.satisfaction"), format!("{n} is not 1 to 5"))),
            }
        } else {
            None
        };
        let supersedes = match map.str("supersedes") {
            Err(DocError::Missing(_)) => Vec::new(),
            Ok(list) if list.is_empty() => Vec::new(),
            Ok(list) => list
                .split(',')
                .take(MAX_EVENTS)
                .map(|id| id.parse())
                .collect::<Result<Vec<EventId>, _>>()
                .map_err(|e| DocError::invalid(format!("{path}.supersedes"), e.to_string()))?,
            Err(e) => return Err(e),
        };
        out.push(Event {
            id,
            kind,
            at: map.instant("at")?,
            by: map.str("by")?,
            text: map.text("text")?,
            satisfaction,
            supersedes,
            contact: Contact {
                instruction: map.str_or_empty("instruction")?,
                due: match map.str_or_empty("due")?.as_str() {
                    "" => None,
                    t => Some(
                        time::from_stored(t).ok_or_else(|| DocError::invalid(format!("{path}.due"), "not a time"))?,
                    ),
                },
                reply: match map.str_or_empty("reply")?.as_str() {
                    "" => None,
                    words => Some((words.to_string(), map.str_or_empty("reply_by")?, map.instant("reply_at")?)),
                },
            },
        });
    }
    Ok(out)
}

/// Reads and checks a complaint document: every field the layout requires, with its type.
pub fn read(doc: &impl ReadDoc) -> Result<Complaint, DocError> {
    crate::kind::read(doc)
}

impl crate::kind::Kind for Complaint {
    const KIND: RecordKind = RecordKind::Complaint;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        from_root(root, header)
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        Projection::at(self.received_at.utc(), status_name(self.status))
    }

    fn facts(&self) -> Vec<crate::kpi::Fact> {
        use crate::kpi::{metric as m, satisfied, Fact};
        let mut facts = vec![Fact::one(m::COMPLAINTS, &self.received_at)];
        if self.major {
            facts.push(Fact::one(m::COMPLAINTS_MAJOR, &self.received_at));
        }
        if let Some(due) = &self.result_due {
            facts.push(Fact::one(m::COMPLAINT_RESULTS_DUE, due));
            if self.result.as_ref().is_some_and(|r| r.at.utc() <= due.utc()) {
                facts.push(Fact::one(m::COMPLAINT_RESULTS_ON_TIME, due));
            }
        }
        if let Some(result) = &self.result {
            facts.push(Fact::one(m::COMPLAINTS_RESOLVED, &result.at));
            if self.visits.iter().any(|v| v.at.utc() >= result.at.utc()) {
                facts.push(Fact::one(m::COMPLAINTS_RESOLVED_VISITED, &result.at));
            }
        }
        for visit in &self.visits {
            facts.push(Fact::one(m::VISITS, &visit.at));
            if satisfied(visit.satisfaction) {
                facts.push(Fact::one(m::VISITS_SATISFIED, &visit.at));
            }
        }
        facts
    }
}

/// Reads a complaint from a hydrated root whose header is already read.
fn from_root(root: &Fields<'_>, header: &Header) -> Result<Complaint, DocError> {
    let channel = root.str("channel")?.parse().map_err(|e: RuleError| DocError::invalid("channel", e.to_string()))?;
    let departments = root
        .list("departments", MAX_DEPARTMENTS)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| doc::item_str(v, || format!("departments[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let events = events_from(root)?;
    let major = root.bool("major")? || events.iter().any(|e| e.kind == EventKind::Escalated);
    let registered = events
        .iter()
        .find(|e| e.kind == EventKind::Registered)
        .ok_or_else(|| DocError::invalid("events", "no registration event"))?;
    let tz = header.timezone;
    let notes = events
        .iter()
        .filter(|e| e.kind == EventKind::Note)
        .map(|e| Note { at: time::to_site(e.at, tz), by: e.by.clone(), text: e.text.clone() })
        .collect();
    // Decisions made apart both survive in the event list; both are shown until one settles them.
    let as_decision = |e: &Event| Decision { at: time::to_site(e.at, tz), by: e.by.clone(), text: e.text.clone() };
    let standing = standing_decisions(&events);
    let decision = standing.last().map(|e| as_decision(e));
    let conflicting_decisions =
        if standing.len() > 1 { standing.iter().map(|e| as_decision(e)).collect() } else { Vec::new() };
    let at = |e: &Event| time::to_site(e.at, tz);
    let assignments = events
        .iter()
        .filter(|e| e.kind == EventKind::Assigned)
        .map(|e| Assignment {
            at: at(e),
            by: e.by.clone(),
            department: e.text.clone(),
            instruction: e.contact.instruction.clone(),
            due: e.contact.due.map(|d| time::to_site(d, tz)),
            reply: e.contact.reply.as_ref().map(|(text, by, when)| Resolution {
                at: time::to_site(*when, tz),
                by: by.clone(),
                text: text.clone(),
            }),
        })
        .collect();
    let result = events.iter().rfind(|e| e.kind == EventKind::Resolved).map(|e| Resolution {
        at: at(e),
        by: e.by.clone(),
        text: e.text.clone(),
    });
    let visits = events
        .iter()
        .filter(|e| e.kind == EventKind::Visited)
        .map(|e| Visit {
            at: at(e),
            by: e.by.clone(),
            satisfaction: e.satisfaction.unwrap_or(0),
            comment: e.text.clone(),
        })
        .collect();
    let complaint = Complaint {
        id: header.id,
        site_id: header.site_id,
        customer: root.str("customer")?,
        phone: root.str_or_empty("phone")?,
        unit: root.str("unit")?,
        channel,
        received_at: time::to_site(registered.at, tz),
        departments,
        summary: root.text("summary")?,
        category: match root.str("category") {
            Err(DocError::Missing(_)) => UNCATEGORISED.to_string(),
            other => other?,
        },
        major,
        status: status(major, &events),
        notes,
        decision,
        conflicting_decisions,
        assignments,
        result,
        visits,
        created_by: header.created_by.clone(),
        timezone: tz.name().to_string(),
        reply_due: root.instant_or_none("reply_due")?.map(|t| time::to_site(t, tz)),
        result_due: root.instant_or_none("result_due")?.map(|t| time::to_site(t, tz)),
    };
    Ok(complaint)
}

mod steps;
pub use steps::*;

#[cfg(test)]
mod tests;
