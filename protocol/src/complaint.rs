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
    pub at: String,
    /// Who wrote it.
    pub by: String,
    /// The note.
    pub text: String,
}

/// The property manager's decision as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// When, in the site's time zone.
    pub at: String,
    /// Who decided.
    pub by: String,
    /// The decision.
    pub text: String,
}

/// A work contact slip (工作联系单) as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// When, in the site's time zone.
    pub at: String,
    /// Who issued it.
    pub by: String,
    /// The department instructed.
    pub department: String,
}

/// A recorded result (处理结果) as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// When, in the site's time zone.
    pub at: String,
    /// Who recorded it.
    pub by: String,
    /// What was done.
    pub text: String,
}

/// A follow-up visit (回访) as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// When, in the site's time zone.
    pub at: String,
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
    pub at: String,
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
    /// Building and unit (楼栋/房号), or a public area.
    pub unit: String,
    /// How it reached the centre.
    pub channel: Channel,
    /// When it was received, RFC 3339 with the site's offset.
    pub received_at: String,
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
}

/// What the front desk enters to register a complaint.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    /// The customer's name.
    pub customer: String,
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

fn checked_text(field: &'static str, value: &str, max: usize) -> Result<String, RuleError> {
    field_text(field, value, max, true)
}

/// Builds the document of a newly registered complaint.
#[allow(clippy::too_many_arguments)]
pub fn create(
    id: RecordId,
    site_id: SiteId,
    timezone: Tz,
    now: DateTime<Utc>,
    by: &str,
    event_id: EventId,
    input: &NewComplaint,
) -> Result<AutoCommit, RuleError> {
    let customer = checked_text("customer", &input.customer, MAX_NAME_CHARS)?;
    let unit = checked_text("unit", &input.unit, MAX_UNIT_CHARS)?;
    let summary = checked_text("summary", &input.summary, MAX_TEXT_CHARS)?;
    let by = checked_text("by", by, MAX_NAME_CHARS)?;
    if input.departments.len() > MAX_DEPARTMENTS {
        return Err(RuleError::TooManyDepartments(input.departments.len()));
    }
    let departments = input
        .departments
        .iter()
        .map(|d| checked_text("department", d, MAX_UNIT_CHARS))
        .collect::<Result<Vec<_>, _>>()?;

    let mut doc = AutoCommit::new();
    doc::write_header(
        &mut doc,
        &Header {
            kind: RecordKind::Complaint,
            schema: doc::SCHEMA_VERSION,
            id,
            site_id,
            created_at: now,
            created_by: by.clone(),
            timezone,
        },
    )?;
    doc.put(ROOT, "customer", customer)?;
    doc.put(ROOT, "unit", unit)?;
    doc.put(ROOT, "channel", input.channel.as_str())?;
    doc.put(ROOT, "summary", summary)?;
    let category = checked_text("category", &input.category, MAX_UNIT_CHARS)?;
    doc.put(ROOT, "category", category)?;
    doc.put(ROOT, "major", input.major)?;
    let list = doc.put_object(ROOT, "departments", ObjType::List)?;
    for (i, d) in departments.into_iter().enumerate() {
        doc.insert(&list, i, d)?;
    }
    doc.put_object(ROOT, "events", ObjType::List)?;
    append_event(
        &mut doc,
        &Event {
            id: event_id,
            kind: EventKind::Registered,
            at: now,
            by,
            text: String::new(),
            satisfaction: None,
            supersedes: Vec::new(),
        },
    )?;
    Ok(doc)
}

fn append_event(doc: &mut AutoCommit, event: &Event) -> Result<(), RuleError> {
    let events = doc::get_object(doc, &ROOT, "events", "events", ObjType::List)?;
    let len = doc.length(&events);
    let map = doc.insert_object(&events, len, ObjType::Map)?;
    doc.put(&map, "id", event.id.to_string())?;
    doc.put(&map, "type", event.kind.as_str())?;
    doc.put(&map, "at", time::to_stored(event.at))?;
    doc.put(&map, "by", event.by.as_str())?;
    doc.put(&map, "text", event.text.as_str())?;
    if let Some(satisfaction) = event.satisfaction {
        doc.put(&map, "satisfaction", automerge::ScalarValue::Uint(satisfaction.into()))?;
    }
    if !event.supersedes.is_empty() {
        let ids: Vec<String> = event.supersedes.iter().map(EventId::to_string).collect();
        doc.put(&map, "supersedes", ids.join(","))?;
    }
    Ok(())
}

/// The name of a status as JSON shows it.
pub fn status_name(status: ComplaintStatus) -> &'static str {
    match status {
        ComplaintStatus::Registered => "registered",
        ComplaintStatus::InProgress => "in_progress",
        ComplaintStatus::Assigned => "assigned",
        ComplaintStatus::Escalated => "escalated",
        ComplaintStatus::Decided => "decided",
        ComplaintStatus::Resolved => "resolved",
        ComplaintStatus::Reopened => "reopened",
        ComplaintStatus::Visited => "visited",
        ComplaintStatus::Archived => "archived",
    }
}

fn wrong_step(c: &Complaint, why: &'static str) -> RuleError {
    RuleError::WrongStep { id: c.id, status: status_name(c.status), label: c.status.label(), why }
}

const ARCHIVED: &str = "an archived complaint takes no further steps";

/// Checks the current record, then appends one event.
fn act(
    doc: &mut AutoCommit,
    kind: EventKind,
    id: EventId,
    now: DateTime<Utc>,
    by: &str,
    text: String,
    satisfaction: Option<u8>,
) -> Result<(), RuleError> {
    let by = checked_text("by", by, MAX_NAME_CHARS)?;
    append_event(doc, &Event { id, kind, at: now, by, text, satisfaction, supersedes: Vec::new() })
}

/// Adds a tracking note (跟踪记录); refused once archived.
pub fn add_note(doc: &mut AutoCommit, id: EventId, now: DateTime<Utc>, by: &str, text: &str) -> Result<(), RuleError> {
    let current = read(doc)?;
    let text = checked_text("note", text, MAX_TEXT_CHARS)?;
    if current.status == ComplaintStatus::Archived {
        return Err(wrong_step(&current, ARCHIVED));
    }
    act(doc, EventKind::Note, id, now, by, text, None)
}

/// Issues a work contact slip (工作联系单) to a department.
pub fn assign(
    doc: &mut AutoCommit,
    id: EventId,
    now: DateTime<Utc>,
    by: &str,
    department: &str,
) -> Result<(), RuleError> {
    let current = read(doc)?;
    let department = checked_text("department", department, MAX_UNIT_CHARS)?;
    match current.status {
        ComplaintStatus::Archived => Err(wrong_step(&current, ARCHIVED)),
        ComplaintStatus::Resolved | ComplaintStatus::Visited => {
            Err(wrong_step(&current, "its result is recorded; an unsatisfied follow-up visit reopens it"))
        }
        _ => act(doc, EventKind::Assigned, id, now, by, department, None),
    }
}

/// Escalates to the property manager as a major complaint (重大投诉).
pub fn escalate(doc: &mut AutoCommit, id: EventId, now: DateTime<Utc>, by: &str) -> Result<(), RuleError> {
    let current = read(doc)?;
    if current.status == ComplaintStatus::Archived {
        return Err(wrong_step(&current, ARCHIVED));
    }
    if current.major {
        return Err(wrong_step(&current, "it is already a major complaint for the property manager"));
    }
    act(doc, EventKind::Escalated, id, now, by, String::new(), None)
}

/// Records the property manager's decision on a major complaint. When
/// decisions made apart conflict, a new decision settles them: it replaces
/// every decision that stands, and its words say which stands.
pub fn decide(doc: &mut AutoCommit, id: EventId, now: DateTime<Utc>, by: &str, text: &str) -> Result<(), RuleError> {
    let current = read(doc)?;
    if !current.major {
        return Err(RuleError::NotMajor(current.id));
    }
    let settling = !current.conflicting_decisions.is_empty();
    if let (Some(d), false) = (&current.decision, settling) {
        return Err(RuleError::AlreadyDecided { id: current.id, by: d.by.clone(), at: d.at.clone() });
    }
    if current.status == ComplaintStatus::Archived && !settling {
        return Err(wrong_step(&current, ARCHIVED));
    }
    let text = checked_text("decision", text, MAX_TEXT_CHARS)?;
    let by = checked_text("by", by, MAX_NAME_CHARS)?;
    let events = events(doc)?;
    let supersedes = standing_decisions(&events).iter().map(|e| e.id).collect();
    append_event(doc, &Event { id, kind: EventKind::Decision, at: now, by, text, satisfaction: None, supersedes })
}

/// Records the result (处理结果); the follow-up visit comes next.
pub fn resolve(doc: &mut AutoCommit, id: EventId, now: DateTime<Utc>, by: &str, result: &str) -> Result<(), RuleError> {
    let current = read(doc)?;
    let result = checked_text("result", result, MAX_TEXT_CHARS)?;
    match current.status {
        ComplaintStatus::Archived => Err(wrong_step(&current, ARCHIVED)),
        ComplaintStatus::Escalated => {
            Err(wrong_step(&current, "a major complaint needs the property manager's decision before its result"))
        }
        ComplaintStatus::Resolved | ComplaintStatus::Visited => {
            Err(wrong_step(&current, "its result is already recorded; an unsatisfied follow-up visit reopens it"))
        }
        _ => act(doc, EventKind::Resolved, id, now, by, result, None),
    }
}

/// Records a follow-up visit (回访): satisfaction 1–5 and the resident's words.
/// 1 or 2 reopens the complaint.
pub fn visit(
    doc: &mut AutoCommit,
    id: EventId,
    now: DateTime<Utc>,
    by: &str,
    satisfaction: u8,
    comment: &str,
) -> Result<(), RuleError> {
    let current = read(doc)?;
    if !(1..=5).contains(&satisfaction) {
        return Err(RuleError::Satisfaction(satisfaction));
    }
    let comment = field_text("comment", comment, MAX_TEXT_CHARS, false)?;
    if current.status != ComplaintStatus::Resolved {
        return Err(wrong_step(&current, "a follow-up visit comes after the result is recorded (resolve)"));
    }
    act(doc, EventKind::Visited, id, now, by, comment, Some(satisfaction))
}

/// Archives (归档) a complaint after a satisfied follow-up visit.
pub fn archive(doc: &mut AutoCommit, id: EventId, now: DateTime<Utc>, by: &str) -> Result<(), RuleError> {
    let current = read(doc)?;
    if current.status != ComplaintStatus::Visited {
        return Err(wrong_step(&current, "archive only after a satisfied follow-up visit (回访)"));
    }
    act(doc, EventKind::Archived, id, now, by, String::new(), None)
}

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
        .map(|e| Assignment { at: at(e), by: e.by.clone(), department: e.text.clone() })
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
    };
    Ok(complaint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_stored;
    use rand::SeedableRng;

    struct Fixture {
        rng: rand::rngs::StdRng,
        now: DateTime<Utc>,
    }

    impl Fixture {
        fn new() -> Self {
            Self { rng: rand::rngs::StdRng::seed_from_u64(7), now: from_stored("2026-11-27T01:00:00Z").unwrap() }
        }

        fn complaint(&mut self, major: bool) -> AutoCommit {
            create(
                RecordId::random(&mut self.rng),
                SiteId::random(&mut self.rng),
                chrono_tz::Asia::Shanghai,
                self.now,
                "客服员 王芳",
                EventId::random(&mut self.rng),
                &NewComplaint {
                    customer: "张伟".into(),
                    unit: "3栋2单元501".into(),
                    channel: Channel::Phone,
                    summary: "楼上漏水，天花板发霉".into(),
                    category: "设施".into(),
                    departments: vec!["维修部".into()],
                    major,
                },
            )
            .unwrap()
        }

        fn event(&mut self) -> EventId {
            EventId::random(&mut self.rng)
        }
    }

    #[test]
    fn a_new_complaint_reads_back_with_site_time() {
        let mut f = Fixture::new();
        let doc = f.complaint(false);
        let c = read(&doc).unwrap();
        assert_eq!(c.customer, "张伟");
        assert_eq!(c.received_at, "2026-11-27T09:00:00+08:00");
        assert_eq!(c.status, ComplaintStatus::Registered);
        assert_eq!(c.departments, vec!["维修部".to_string()]);
        assert_eq!(c.decision, None);
    }

    #[test]
    fn status_follows_the_events() {
        fn check(major: bool, kinds: &[EventKind], expected: ComplaintStatus) {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1);
            let at = from_stored("2026-01-01T00:00:00Z").unwrap();
            let events: Vec<Event> = kinds
                .iter()
                .map(|&kind| Event {
                    id: EventId::random(&mut rng),
                    kind,
                    at,
                    by: "x".into(),
                    text: String::new(),
                    satisfaction: None,
                    supersedes: Vec::new(),
                })
                .collect();
            assert_eq!(status(major, &events), expected, "major={major} {kinds:?}");
        }
        use EventKind::*;
        check(false, &[Registered], ComplaintStatus::Registered);
        check(false, &[Registered, Note], ComplaintStatus::InProgress);
        check(true, &[Registered], ComplaintStatus::Escalated);
        check(true, &[Registered, Note], ComplaintStatus::Escalated);
        check(true, &[Registered, Decision], ComplaintStatus::Decided);
        check(true, &[Registered, Note, Decision, Note], ComplaintStatus::Decided);
    }

    #[test]
    fn only_a_major_complaint_is_decided_and_only_once() {
        let mut f = Fixture::new();
        let mut minor = f.complaint(false);
        let e = f.event();
        assert!(matches!(decide(&mut minor, e, f.now, "经理", "同意"), Err(RuleError::NotMajor(_))));

        let mut major = f.complaint(true);
        let e = f.event();
        decide(&mut major, e, f.now, "物业公司经理", "由维修部三日内修复，费用公司承担").unwrap();
        let c = read(&major).unwrap();
        assert_eq!(c.status, ComplaintStatus::Decided);
        assert_eq!(c.decision.as_ref().unwrap().by, "物业公司经理");
        let e = f.event();
        let err = decide(&mut major, e, f.now, "经理", "再次决定").unwrap_err();
        assert!(err.to_string().contains("already decided"), "{err}");
    }

    #[test]
    fn concurrent_note_and_decision_both_survive_a_merge() {
        let mut f = Fixture::new();
        let mut site = f.complaint(true);
        let mut office = site.fork();
        let (e1, e2) = (f.event(), f.event());
        add_note(&mut site, e1, f.now, "客服员", "已联系楼上住户").unwrap();
        decide(&mut office, e2, f.now, "物业公司经理", "公司承担维修费").unwrap();
        site.merge(&mut office).unwrap();
        office.merge(&mut site).unwrap();
        let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.notes.len(), 1);
        assert_eq!(a.status, ComplaintStatus::Decided);
    }

    #[test]
    fn two_decisions_made_apart_both_stand_until_a_manager_settles_them() {
        let mut f = Fixture::new();
        let mut site = f.complaint(true);
        let mut office = site.fork();
        let (e1, e2, e3, e4) = (f.event(), f.event(), f.event(), f.event());
        decide(&mut site, e1, f.now, "经理 李强", "维修部承担费用").unwrap();
        resolve(&mut site, e2, f.now, "经理 李强", "已修复").unwrap();
        decide(&mut office, e3, f.now, "物业公司经理", "业主承担费用").unwrap();
        site.merge(&mut office).unwrap();
        office.merge(&mut site).unwrap();
        let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
        assert_eq!(a, b, "both replicas show the same thing");
        let texts: Vec<&str> = a.conflicting_decisions.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts.contains(&"维修部承担费用") && texts.contains(&"业主承担费用"));
        // A plain second decision is refused without a conflict, taken as a settlement with one.
        decide(&mut site, e4, f.now, "物业公司经理", "以总部决定为准：业主承担费用").unwrap();
        let settled = read(&site).unwrap();
        assert!(settled.conflicting_decisions.is_empty());
        assert_eq!(settled.decision.unwrap().text, "以总部决定为准：业主承担费用");
        let again = f.event();
        assert!(matches!(decide(&mut site, again, f.now, "经理", "再改"), Err(RuleError::AlreadyDecided { .. })));
    }

    #[test]
    fn bad_input_is_refused_with_the_field_named() {
        let mut f = Fixture::new();
        let mut doc = f.complaint(false);
        let e = f.event();
        assert_eq!(add_note(&mut doc, e, f.now, "客服员", "   "), Err(RuleError::Empty("note")));
        let long = "很".repeat(MAX_TEXT_CHARS + 1);
        let err = add_note(&mut doc, e, f.now, "客服员", &long).unwrap_err();
        assert!(err.to_string().contains("note is too long"), "{err}");
        assert_eq!(read(&doc).unwrap().notes.len(), 0, "a refused note leaves no trace");
        assert!("telegram".parse::<Channel>().is_err());
        assert_eq!("微信".parse::<Channel>().unwrap(), Channel::Wechat);
    }

    #[test]
    fn a_document_of_the_wrong_shape_names_the_field() {
        let mut f = Fixture::new();
        let mut doc = f.complaint(false);
        doc.put(ROOT, "major", "yes").unwrap();
        assert_eq!(read(&doc).unwrap_err(), DocError::WrongType { field: "major".into(), expected: "true or false" });
        let mut doc = f.complaint(false);
        doc.delete(ROOT, "customer").unwrap();
        assert_eq!(read(&doc).unwrap_err(), DocError::Missing("customer".into()));
        let mut doc = f.complaint(false);
        doc.put(ROOT, "kind", "spaceship").unwrap();
        assert!(read(&doc).unwrap_err().to_string().contains("unknown record kind"));
    }

    /// Runs steps in order on a fresh complaint; each step is an action and whether it must succeed.
    fn walk(major: bool, steps: &[(&str, bool)]) -> (Complaint, Vec<String>) {
        let mut f = Fixture::new();
        let mut doc = f.complaint(major);
        let mut refusals = Vec::new();
        for (step, ok) in steps {
            f.now += chrono::Duration::minutes(5);
            let e = f.event();
            let now = f.now;
            let result = match *step {
                "note" => add_note(&mut doc, e, now, "客服员", "跟踪"),
                "assign" => assign(&mut doc, e, now, "客服员", "维修部"),
                "escalate" => escalate(&mut doc, e, now, "客服主管"),
                "decide" => decide(&mut doc, e, now, "物业公司经理", "同意"),
                "resolve" => resolve(&mut doc, e, now, "客服员", "已修复"),
                "visit5" => visit(&mut doc, e, now, "客服员", 5, "满意"),
                "visit1" => visit(&mut doc, e, now, "客服员", 1, "仍然漏水"),
                "archive" => archive(&mut doc, e, now, "客服主管"),
                other => panic!("unknown step {other}"),
            };
            assert_eq!(result.is_ok(), *ok, "step {step}: {result:?}");
            if let Err(err) = result {
                refusals.push(err.to_string());
            }
        }
        (read(&doc).unwrap(), refusals)
    }

    #[test]
    fn the_whole_way_registered_to_archived() {
        fn check(major: bool, steps: &[(&str, bool)], expected: ComplaintStatus) {
            let (c, _) = walk(major, steps);
            assert_eq!(c.status, expected, "{steps:?}");
        }
        use ComplaintStatus as S;
        check(false, &[("assign", true)], S::Assigned);
        check(false, &[("assign", true), ("note", true)], S::Assigned);
        check(false, &[("assign", true), ("resolve", true)], S::Resolved);
        check(false, &[("resolve", true), ("visit5", true)], S::Visited);
        check(false, &[("resolve", true), ("visit5", true), ("archive", true)], S::Archived);
        check(false, &[("resolve", true), ("visit1", true)], S::Reopened);
        check(
            false,
            &[("resolve", true), ("visit1", true), ("assign", true), ("resolve", true), ("visit5", true)],
            S::Visited,
        );
        check(false, &[("escalate", true)], S::Escalated);
        check(false, &[("escalate", true), ("decide", true), ("resolve", true)], S::Resolved);
        check(true, &[("assign", true), ("decide", true)], S::Decided);
    }

    #[test]
    fn impossible_steps_are_refused_with_what_to_do() {
        let (_, r) = walk(false, &[("archive", false)]);
        assert!(r[0].contains("archive only after a satisfied follow-up visit"), "{r:?}");
        let (_, r) = walk(false, &[("visit5", false)]);
        assert!(r[0].contains("after the result is recorded"), "{r:?}");
        let (_, r) = walk(true, &[("resolve", false)]);
        assert!(r[0].contains("needs the property manager's decision"), "{r:?}");
        let (_, r) = walk(false, &[("resolve", true), ("resolve", false), ("visit1", true), ("resolve", true)]);
        assert!(r[0].contains("already recorded"), "{r:?}");
        let (c, r) =
            walk(false, &[("resolve", true), ("visit5", true), ("archive", true), ("note", false), ("assign", false)]);
        assert_eq!(c.status, ComplaintStatus::Archived);
        assert!(r.iter().all(|m| m.contains("archived")), "{r:?}");
        let (_, r) = walk(true, &[("escalate", false)]);
        assert!(r[0].contains("already a major complaint"), "{r:?}");
        let mut f = Fixture::new();
        let mut doc = f.complaint(false);
        let e = f.event();
        resolve(&mut doc, e, f.now, "客服员", "已处理").unwrap();
        assert_eq!(visit(&mut doc, e, f.now, "客服员", 6, ""), Err(RuleError::Satisfaction(6)));
    }

    #[test]
    fn the_record_shows_slips_results_and_visits() {
        let (c, _) =
            walk(false, &[("assign", true), ("resolve", true), ("visit1", true), ("resolve", true), ("visit5", true)]);
        assert_eq!(c.assignments[0].department, "维修部");
        assert_eq!(c.visits.iter().map(|v| v.satisfaction).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(c.result.unwrap().text, "已修复");
    }

    #[test]
    fn concurrent_archive_at_the_site_and_a_note_at_head_office_merge_to_one_status() {
        let mut f = Fixture::new();
        let mut site = f.complaint(false);
        for step in 0..2 {
            f.now += chrono::Duration::minutes(1);
            let e = f.event();
            if step == 0 {
                resolve(&mut site, e, f.now, "客服员", "已修复").unwrap();
            } else {
                visit(&mut site, e, f.now, "客服员", 4, "").unwrap();
            }
        }
        let mut office = site.fork();
        f.now += chrono::Duration::minutes(1);
        let (e1, e2) = (f.event(), f.event());
        archive(&mut site, e1, f.now, "客服主管").unwrap();
        add_note(&mut office, e2, f.now, "总部", "总部督办").unwrap();
        site.merge(&mut office).unwrap();
        office.merge(&mut site).unwrap();
        let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.status, ComplaintStatus::Archived);
        assert_eq!(a.notes.len(), 1, "the concurrent note survives in the record");
    }

    #[test]
    fn concurrent_unsatisfied_and_satisfied_visits_resolve_the_same_way_everywhere() {
        let mut f = Fixture::new();
        let mut site = f.complaint(false);
        let e = f.event();
        resolve(&mut site, e, f.now, "客服员", "已修复").unwrap();
        let mut office = site.fork();
        f.now += chrono::Duration::minutes(1);
        let (e1, e2) = (f.event(), f.event());
        visit(&mut site, e1, f.now, "客服员", 2, "不满意").unwrap();
        visit(&mut office, e2, f.now, "总部", 5, "满意").unwrap();
        site.merge(&mut office).unwrap();
        office.merge(&mut site).unwrap();
        let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
        assert_eq!(a.status, b.status, "one status on every replica");
        assert_eq!(a.visits.len(), 2, "both visits are kept");
    }
}
