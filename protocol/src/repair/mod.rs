//! The repair work order (维修工作单): layout, rules, status and deadline.
//!
//! Flow: reported → dispatched to a maintenance staff member → on site →
//! completed → follow-up visit → closed; an unsatisfied visit (1–2) reopens
//! it. Dispatching again reassigns and keeps the history. The response
//! deadline is fixed when the order is reported and stored in the document,
//! so every replica reports the same overdue orders after any sync.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValue, ROOT};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::DutyCalendar;
use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::ids::{EventId, RecordId, SiteId};
use crate::money::Fen;
use crate::rules::{Channel, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS, SATISFIED_FROM};
use crate::time;

/// Most events one work order may hold.
pub const MAX_EVENTS: usize = 10_000;
/// Largest charge accepted (¥1,000,000).
pub const MAX_CHARGE: Fen = Fen::yuan(1_000_000);
/// Emergency response: on site within this many minutes, counted on the wall clock.
pub const EMERGENCY_RESPONSE_MINUTES: i64 = 30;
/// Normal response: within this many duty hours.
pub const NORMAL_RESPONSE_DUTY_HOURS: i64 = 24;

labelled_enum!(
    /// What needs repairing.
    Category, RuleError, |value| RuleError::Unknown {
        what: "repair category (water, electric, doors_windows, pipes, elevator, public_facilities, other)",
        value,
    }, {
        Water => ("water", "水"),
        Electric => ("electric", "电"),
        DoorsWindows => ("doors_windows", "门窗"),
        Pipes => ("pipes", "管道"),
        Elevator => ("elevator", "电梯"),
        PublicFacilities => ("public_facilities", "公共设施"),
        Other => ("other", "其他"),
    }
);

labelled_enum!(
    /// How fast it must be answered.
    Urgency, RuleError, |value| RuleError::Unknown { what: "urgency (emergency or normal)", value }, {
        Emergency => ("emergency", "紧急"),
        Normal => ("normal", "一般"),
    }
);

labelled_enum!(
    /// Where a work order stands.
    RepairStatus, RuleError, |value| RuleError::Unknown { what: "repair status", value }, {
        Reported => ("reported", "已报修"),
        Dispatched => ("dispatched", "已派工"),
        OnSite => ("on_site", "已到场"),
        Completed => ("completed", "已完工"),
        Reopened => ("reopened", "重新维修"),
        Visited => ("visited", "已回访"),
        Closed => ("closed", "已关闭"),
    }
);

/// What the front desk enters to report a repair (报修).
#[derive(Debug, Clone)]
pub struct NewRepair {
    /// The unit (楼栋/房号), for a resident's home.
    pub unit: Option<String>,
    /// The public area and location (公共区域), when not a home.
    pub area: Option<String>,
    /// What needs repairing.
    pub category: Category,
    /// What is wrong.
    pub description: String,
    /// How it was reported.
    pub channel: Channel,
    /// How fast it must be answered.
    pub urgency: Urgency,
    /// An agreed appointment, if any.
    pub appointment: Option<DateTime<Utc>>,
    /// Whether it is a paid service (有偿服务).
    pub paid: bool,
    /// Who reported it (报修人), if a person did.
    pub reporter: String,
    /// Their phone.
    pub reporter_phone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Reported,
    Dispatched,
    Arrived,
    Completed,
    Visited,
    Closed,
    Note,
}

impl Kind {
    const ALL: [Kind; 7] =
        [Kind::Reported, Kind::Dispatched, Kind::Arrived, Kind::Completed, Kind::Visited, Kind::Closed, Kind::Note];

    fn as_str(self) -> &'static str {
        match self {
            Kind::Reported => "reported",
            Kind::Dispatched => "dispatched",
            Kind::Arrived => "arrived",
            Kind::Completed => "completed",
            Kind::Visited => "visited",
            Kind::Closed => "closed",
            Kind::Note => "note",
        }
    }
}

/// One step of a work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairEvent {
    /// What happened (`reported`, `dispatched`, `arrived`, `completed`, `visited`, `closed`, `note`).
    #[serde(rename = "type")]
    pub kind: String,
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who.
    pub by: String,
    /// The words: whom it was dispatched to, the work done, the resident's comment, a note.
    pub text: String,
    /// Materials used, on completion.
    pub materials: String,
    /// The charge, on completion (serialized in fen).
    pub charge_fen: Option<Fen>,
    /// Satisfaction 1–5, on a visit.
    pub satisfaction: Option<u8>,
}

/// A work order as lists and `show` present it (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The unit, for a home.
    pub unit: Option<String>,
    /// The public area, otherwise.
    pub area: Option<String>,
    /// What needs repairing.
    pub category: Category,
    /// What is wrong.
    pub description: String,
    /// How it was reported.
    pub channel: Channel,
    /// How fast it must be answered.
    pub urgency: Urgency,
    /// When it was reported, in the site's time zone.
    pub reported_at: crate::time::SiteTime,
    /// Someone must be on site by then, in the site's time zone.
    pub response_deadline: crate::time::SiteTime,
    /// The agreed appointment, if any.
    pub appointment: Option<crate::time::SiteTime>,
    /// Whether it is a paid service.
    pub paid: bool,
    /// Who reported it (报修人); empty when not recorded.
    #[serde(default)]
    pub reporter: String,
    /// Their phone.
    #[serde(default)]
    pub reporter_phone: String,
    /// Where it stands.
    pub status: RepairStatus,
    /// Who it is dispatched to now.
    pub assigned_to: Option<String>,
    /// When someone arrived on site first.
    pub arrived_at: Option<crate::time::SiteTime>,
    /// Every step, in document order.
    pub events: Vec<RepairEvent>,
    /// The site's time zone.
    pub timezone: String,
}

impl Repair {
    /// Whether nobody was on site by the deadline, as of `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        let deadline = self.response_deadline.utc();
        match self.arrived_at {
            Some(arrived) => arrived.utc() > deadline,
            None => now > deadline && self.status != RepairStatus::Closed,
        }
    }
}

/// A site's response deadlines for each urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseRules {
    /// Emergency: on site within this many minutes, on the wall clock.
    pub emergency_minutes: i64,
    /// Normal: within this many duty hours.
    pub normal_duty_hours: i64,
}

impl Default for ResponseRules {
    fn default() -> Self {
        Self { emergency_minutes: EMERGENCY_RESPONSE_MINUTES, normal_duty_hours: NORMAL_RESPONSE_DUTY_HOURS }
    }
}

/// The response deadline of an order reported at `at`.
pub fn response_deadline(
    at: DateTime<Utc>,
    urgency: Urgency,
    calendar: &DutyCalendar,
    rules: &ResponseRules,
) -> DateTime<Utc> {
    match urgency {
        Urgency::Emergency => at + Duration::minutes(rules.emergency_minutes),
        Urgency::Normal => calendar.add_duty_time(at, Duration::hours(rules.normal_duty_hours)),
    }
}

use crate::rules::field_text as text;

/// Builds the document of a newly reported work order.
#[allow(clippy::too_many_arguments)]
pub fn create(
    id: RecordId,
    site_id: SiteId,
    calendar: &DutyCalendar,
    rules: &ResponseRules,
    now: DateTime<Utc>,
    by: &str,
    event_id: EventId,
    input: &NewRepair,
) -> Result<AutoCommit, RuleError> {
    let (place_kind, place) = match (&input.unit, &input.area) {
        (Some(u), None) => ("unit", text("unit", u, MAX_UNIT_CHARS, true)?),
        (None, Some(a)) => ("area", text("area", a, MAX_UNIT_CHARS, true)?),
        _ => return Err(RuleError::Place),
    };
    let description = text("description", &input.description, MAX_TEXT_CHARS, true)?;
    let by = text("by", by, MAX_NAME_CHARS, true)?;
    if let Some(at) = input.appointment {
        crate::rules::check_upcoming("the appointment", at, now, calendar.timezone)?;
    }
    let deadline = response_deadline(now, input.urgency, calendar, rules);
    let mut doc = AutoCommit::new();
    doc::write_header(
        &mut doc,
        &Header {
            kind: RecordKind::Repair,
            schema: doc::SCHEMA_VERSION,
            id,
            site_id,
            created_at: now,
            created_by: by.clone(),
            timezone: calendar.timezone,
        },
    )?;
    doc.put(ROOT, "place_kind", place_kind)?;
    doc.put(ROOT, "place", place)?;
    doc.put(ROOT, "category", input.category.as_str())?;
    doc.put(ROOT, "description", description)?;
    doc.put(ROOT, "channel", input.channel.as_str())?;
    doc.put(ROOT, "urgency", input.urgency.as_str())?;
    doc.put(ROOT, "response_deadline", time::to_stored(deadline))?;
    doc.put(ROOT, "appointment", input.appointment.map(time::to_stored).unwrap_or_default())?;
    doc.put(ROOT, "paid", input.paid)?;
    doc.put(ROOT, "reporter", text("reporter", &input.reporter, MAX_NAME_CHARS, false)?)?;
    doc.put(ROOT, "reporter_phone", crate::resident::check_phone(&input.reporter_phone)?)?;
    doc.put_object(ROOT, "events", ObjType::List)?;
    append(&mut doc, Kind::Reported, event_id, now, &by, "", "", None, None)?;
    Ok(doc)
}

#[allow(clippy::too_many_arguments)]
fn append(
    doc: &mut AutoCommit,
    kind: Kind,
    id: EventId,
    at: DateTime<Utc>,
    by: &str,
    words: &str,
    materials: &str,
    charge_fen: Option<Fen>,
    satisfaction: Option<u8>,
) -> Result<(), RuleError> {
    let by = text("by", by, MAX_NAME_CHARS, true)?;
    let events = doc::get_object(doc, &ROOT, "events", "events", ObjType::List)?;
    let len = doc.length(&events);
    let map = doc.insert_object(&events, len, ObjType::Map)?;
    doc.put(&map, "id", id.to_string())?;
    doc.put(&map, "type", kind.as_str())?;
    doc.put(&map, "at", time::to_stored(at))?;
    doc.put(&map, "by", by)?;
    doc.put(&map, "text", words)?;
    doc.put(&map, "materials", materials)?;
    if let Some(fen) = charge_fen {
        doc.put(&map, "charge_fen", ScalarValue::Uint(fen.0))?;
    }
    if let Some(s) = satisfaction {
        doc.put(&map, "satisfaction", ScalarValue::Uint(s.into()))?;
    }
    Ok(())
}

/// A step taken on a work order.
#[derive(Debug, Clone, Copy)]
pub enum RepairStep<'a> {
    /// Dispatch (or reassign) to a maintenance staff member.
    Dispatch(&'a str),
    /// Someone arrived on site.
    Arrive,
    /// The work is done.
    Complete {
        /// The work done.
        work: &'a str,
        /// Materials used.
        materials: &'a str,
        /// The charge, for a paid service.
        charge_fen: Option<Fen>,
    },
    /// A follow-up visit; 1–2 reopens.
    Visit {
        /// 1 to 5.
        satisfaction: u8,
        /// The resident's words.
        comment: &'a str,
    },
    /// Close the order after a satisfied visit.
    Close,
    /// A tracking note.
    Note(&'a str),
}

fn wrong(r: &Repair, why: &'static str) -> RuleError {
    RuleError::WrongRepairStep { id: r.id, status: r.status.as_str(), label: r.status.label(), why }
}

/// Applies one step, refusing those that do not fit where the order stands.
pub fn step(
    doc: &mut AutoCommit,
    id: EventId,
    now: DateTime<Utc>,
    by: &str,
    step: RepairStep<'_>,
) -> Result<(), RuleError> {
    use RepairStatus as S;
    let current = read(doc)?;
    if current.status == S::Closed {
        return Err(wrong(&current, "a closed work order takes no further steps"));
    }
    match step {
        RepairStep::Dispatch(to) => {
            let to = text("to", to, MAX_NAME_CHARS, true)?;
            if matches!(current.status, S::Completed | S::Visited) {
                return Err(wrong(&current, "the work is done; an unsatisfied follow-up visit reopens it"));
            }
            append(doc, Kind::Dispatched, id, now, by, &to, "", None, None)
        }
        RepairStep::Arrive => match current.status {
            S::Dispatched => append(doc, Kind::Arrived, id, now, by, "", "", None, None),
            _ => Err(wrong(&current, "arrival comes after dispatching to a maintenance staff member")),
        },
        RepairStep::Complete { work, materials, charge_fen } => {
            let work = text("work", work, MAX_TEXT_CHARS, true)?;
            let materials = text("materials", materials, MAX_TEXT_CHARS, false)?;
            if let Some(fen) = charge_fen.filter(|f| *f > MAX_CHARGE) {
                return Err(RuleError::OutOfRange {
                    field: "the charge",
                    value: fen.to_string(),
                    allowed: format!("a repair charge is at most {MAX_CHARGE}"),
                });
            }
            if charge_fen.is_some_and(|f| f > Fen::ZERO) && !current.paid {
                return Err(wrong(&current, "a charge applies only to a paid service (有偿服务)"));
            }
            match current.status {
                S::OnSite => append(doc, Kind::Completed, id, now, by, &work, &materials, charge_fen, None),
                _ => Err(wrong(&current, "completion comes after someone is on site (arrive)")),
            }
        }
        RepairStep::Visit { satisfaction, comment } => {
            if !(1..=5).contains(&satisfaction) {
                return Err(RuleError::Satisfaction(satisfaction));
            }
            let comment = text("comment", comment, MAX_TEXT_CHARS, false)?;
            match current.status {
                S::Completed => append(doc, Kind::Visited, id, now, by, &comment, "", None, Some(satisfaction)),
                _ => Err(wrong(&current, "a follow-up visit comes after the work is completed")),
            }
        }
        RepairStep::Close => match current.status {
            S::Visited => append(doc, Kind::Closed, id, now, by, "", "", None, None),
            _ => Err(wrong(&current, "close only after a satisfied follow-up visit (回访)")),
        },
        RepairStep::Note(words) => {
            let words = text("note", words, MAX_TEXT_CHARS, true)?;
            append(doc, Kind::Note, id, now, by, &words, "", None, None)
        }
    }
}

/// Reads and checks a work order document.
pub fn read(doc: &impl ReadDoc) -> Result<Repair, DocError> {
    crate::kind::read(doc)
}

impl crate::kind::Kind for Repair {
    const KIND: RecordKind = RecordKind::Repair;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        from_root(root, header)
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        Projection::at(self.reported_at.utc(), self.status.as_str())
    }

    fn facts(&self) -> Vec<crate::kpi::Fact> {
        use crate::kpi::{metric as m, satisfied, Fact};
        let mut facts = vec![Fact::one(m::REPAIRS, &self.reported_at)];
        let (due, on_time) = match self.urgency {
            Urgency::Emergency => (m::REPAIRS_DUE_EMERGENCY, m::REPAIRS_ON_TIME_EMERGENCY),
            Urgency::Normal => (m::REPAIRS_DUE_NORMAL, m::REPAIRS_ON_TIME_NORMAL),
        };
        facts.push(Fact::one(due, &self.response_deadline));
        if self.arrived_at.is_some_and(|a| a.utc() <= self.response_deadline.utc()) {
            facts.push(Fact::one(on_time, &self.response_deadline));
        }
        let visit = |e: &&RepairEvent| e.kind == Kind::Visited.as_str();
        let completed = self.events.iter().rev().find(|e| e.kind == Kind::Completed.as_str());
        if let Some(done) = completed {
            facts.push(Fact::one(m::REPAIRS_COMPLETED, &done.at));
            if self.events.iter().filter(visit).any(|v| v.at.utc() >= done.at.utc()) {
                facts.push(Fact::one(m::REPAIRS_COMPLETED_VISITED, &done.at));
            }
        }
        for e in &self.events {
            if e.kind == Kind::Completed.as_str() && self.paid {
                if let Some(charge) = e.charge_fen.filter(|c| c.0 > 0) {
                    let n = i64::try_from(charge.0).unwrap_or(i64::MAX);
                    facts.push(Fact { n, ..Fact::one(m::PAID_INCOME_FEN, &e.at) });
                }
            }
        }
        for v in self.events.iter().filter(visit) {
            facts.push(Fact::one(m::VISITS, &v.at));
            if v.satisfaction.is_some_and(satisfied) {
                facts.push(Fact::one(m::VISITS_SATISFIED, &v.at));
            }
        }
        if self.status == RepairStatus::Closed {
            if let Some(closed) = self.events.iter().rev().find(|e| e.kind == Kind::Closed.as_str()) {
                facts.push(Fact::one(m::REPAIRS_CLOSED, &closed.at));
                if self.events.iter().filter(visit).any(|v| !v.satisfaction.is_some_and(satisfied)) {
                    facts.push(Fact::one(m::REPAIRS_CLOSED_REOPENED, &closed.at));
                }
            }
        }
        facts
    }
}

fn from_root(root: &Fields<'_>, header: &Header) -> Result<Repair, DocError> {
    use RepairStatus as S;
    let tz: Tz = header.timezone;
    let place_kind = root.str("place_kind")?;
    let place = root.str("place")?;
    let (unit, area) = match place_kind.as_str() {
        "unit" => (Some(place), None),
        "area" => (None, Some(place)),
        other => return Err(DocError::invalid("place_kind", format!("'{other}' is neither unit nor area"))),
    };
    let category =
        root.str("category")?.parse().map_err(|e: RuleError| DocError::invalid("category", e.to_string()))?;
    let urgency = root.str("urgency")?.parse().map_err(|e: RuleError| DocError::invalid("urgency", e.to_string()))?;
    let channel = root.str("channel")?.parse().map_err(|e: RuleError| DocError::invalid("channel", e.to_string()))?;
    let deadline = root.instant("response_deadline")?;
    let appointment = match root.str("appointment")?.as_str() {
        "" => None,
        t => Some(time::to_site(
            time::from_stored(t).ok_or_else(|| DocError::invalid("appointment", "not an RFC 3339 time"))?,
            tz,
        )),
    };
    let mut status = S::Reported;
    let mut assigned_to = None;
    let mut arrived_at = None;
    let mut reported_at = None;
    let mut events = Vec::new();
    for (i, item) in root.list("events", MAX_EVENTS)?.into_iter().enumerate() {
        let path = format!("events[{i}]");
        let map = Fields::item(item, &path)?;
        let kind_name = map.str("type")?;
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind_name)
            .ok_or_else(|| DocError::invalid(format!("{path}.type"), format!("unknown event type '{kind_name}'")))?;
        let at = map.instant("at")?;
        let words = map.text("text")?;
        let satisfaction = match kind {
            Kind::Visited => match u8::try_from(map.u64("satisfaction")?) {
                Ok(n @ 1..=5) => Some(n),
                _ => return Err(DocError::invalid(format!("{path}.satisfaction"), "not 1 to 5")),
            },
            _ => None,
        };
        let charge_fen = if kind == Kind::Completed { map.u64("charge_fen").ok().map(Fen) } else { None };
        // The status folds the events in document order; a step that does not fit
        // (only concurrent edits produce one) stays in the history but moves nothing.
        match (kind, status) {
            (Kind::Reported, _) => reported_at = Some(at),
            (Kind::Dispatched, S::Reported | S::Dispatched | S::OnSite | S::Reopened) => {
                status = S::Dispatched;
                assigned_to = Some(words.clone());
            }
            (Kind::Arrived, S::Dispatched) => {
                status = S::OnSite;
                arrived_at.get_or_insert(at);
            }
            (Kind::Completed, S::OnSite) => status = S::Completed,
            (Kind::Visited, S::Completed) => {
                status = if satisfaction.unwrap_or(0) >= SATISFIED_FROM { S::Visited } else { S::Reopened }
            }
            (Kind::Closed, S::Visited) => status = S::Closed,
            _ => {}
        }
        events.push(RepairEvent {
            kind: kind_name,
            at: time::to_site(at, tz),
            by: map.str("by")?,
            text: words,
            materials: map.text("materials")?,
            charge_fen,
            satisfaction,
        });
    }
    let reported_at = reported_at.ok_or_else(|| DocError::invalid("events", "no report event"))?;
    Ok(Repair {
        id: header.id,
        site_id: header.site_id,
        unit,
        area,
        category,
        description: root.text("description")?,
        channel,
        urgency,
        reported_at: time::to_site(reported_at, tz),
        response_deadline: time::to_site(deadline, tz),
        appointment,
        paid: root.bool("paid")?,
        reporter: root.str_or_empty("reporter")?,
        reporter_phone: root.str_or_empty("reporter_phone")?,
        status,
        assigned_to,
        arrived_at: arrived_at.map(|a| time::to_site(a, tz)),
        events,
        timezone: tz.name().to_string(),
    })
}

#[cfg(test)]
mod tests;
