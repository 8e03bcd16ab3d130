//! The steps a complaint takes: registering it, then notes, work contact
//! slips, escalation, decisions, results, visits and archiving, each an
//! event appended to its document.

use super::*;

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
    let phone = field_text("phone", &input.phone, crate::resident::MAX_PHONE_CHARS, false)?;
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
    if !phone.is_empty() {
        doc.put(ROOT, "phone", phone)?;
    }
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
            contact: Contact::default(),
        },
    )?;
    Ok(doc)
}

/// Fixes a newly registered complaint's time limits: a first reply due by
/// `reply_due`, the result by `result_due`. Set once, when it is registered.
pub fn set_time_limits(
    doc: &mut AutoCommit,
    reply_due: DateTime<Utc>,
    result_due: DateTime<Utc>,
) -> Result<(), RuleError> {
    doc.put(ROOT, "reply_due", time::to_stored(reply_due))?;
    doc.put(ROOT, "result_due", time::to_stored(result_due))?;
    Ok(())
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
    append_event(
        doc,
        &Event { id, kind, at: now, by, text, satisfaction, supersedes: Vec::new(), contact: Contact::default() },
    )
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

/// The map of the `n`-th (from 1) work contact slip's event.
fn contact_map(doc: &AutoCommit, n: usize) -> Result<automerge::ObjId, RuleError> {
    let events = doc::get_object(doc, &ROOT, "events", "events", ObjType::List)?;
    let mut seen = 0;
    for i in 0..doc.length(&events) {
        let Some((automerge::Value::Object(ObjType::Map), map)) = doc.get(&events, i)? else { continue };
        let is_slip =
            matches!(doc.get(&map, "type")?, Some((v, _)) if v.as_str() == Some(EventKind::Assigned.as_str()));
        if is_slip {
            seen += 1;
            if seen == n {
                return Ok(map);
            }
        }
    }
    Err(RuleError::OutOfRange {
        field: "the work contact slip",
        value: n.to_string(),
        allowed: format!("1 to {seen} (the slips issued, in order)"),
    })
}

/// Checks a contact slip's instruction and the time it is due (after now);
/// the instruction as it is written.
pub fn check_contact(instruction: &str, due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<String, RuleError> {
    if let Some(due) = due.filter(|d| *d <= now) {
        return Err(RuleError::OutOfRange {
            field: "the time it is due",
            value: time::to_stored(due),
            allowed: "after now".into(),
        });
    }
    field_text("instruction", instruction, MAX_TEXT_CHARS, false)
}

/// Writes the `n`-th work contact slip's instruction and the time it is due.
pub fn contact_details(
    doc: &mut AutoCommit,
    n: usize,
    instruction: &str,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), RuleError> {
    let instruction = check_contact(instruction, due, now)?;
    let map = contact_map(doc, n)?;
    doc.put(&map, "instruction", instruction)?;
    doc.put(&map, "due", due.map(time::to_stored).unwrap_or_default())?;
    Ok(())
}

/// Records the department's reply (部门回复) on the `n`-th work contact slip.
pub fn contact_reply(
    doc: &mut AutoCommit,
    n: usize,
    now: DateTime<Utc>,
    by: &str,
    reply: &str,
) -> Result<(), RuleError> {
    let reply = checked_text("reply", reply, MAX_TEXT_CHARS)?;
    let by = checked_text("by", by, MAX_NAME_CHARS)?;
    let map = contact_map(doc, n)?;
    doc.put(&map, "reply", reply)?;
    doc.put(&map, "reply_by", by)?;
    doc.put(&map, "reply_at", time::to_stored(now))?;
    Ok(())
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
        return Err(RuleError::AlreadyDecided { id: current.id, by: d.by.clone(), at: d.at.to_string() });
    }
    if current.status == ComplaintStatus::Archived && !settling {
        return Err(wrong_step(&current, ARCHIVED));
    }
    let text = checked_text("decision", text, MAX_TEXT_CHARS)?;
    let by = checked_text("by", by, MAX_NAME_CHARS)?;
    let events = events(doc)?;
    let supersedes = standing_decisions(&events).iter().map(|e| e.id).collect();
    let contact = Contact::default();
    append_event(
        doc,
        &Event { id, kind: EventKind::Decision, at: now, by, text, satisfaction: None, supersedes, contact },
    )
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
