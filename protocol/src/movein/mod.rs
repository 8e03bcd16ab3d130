//! The move-in circulation slip (收楼流转单): one slip per house and owner,
//! carried through six stations of fixed kinds (DOMAIN.md §3): the buyer's
//! documents checked (销售), the inspection with the meter readings and the
//! defects found (交房小组), the documents and agreements (物业), the fees
//! (财务), the keys (物业) and the gift. Each station is stamped (盖章: who,
//! when) or sent back with a reason.
//!
//! The labels, the order and who may stamp each station are the site's
//! (projects differ) and are copied onto the slip when it is opened, so the
//! slip reads the same everywhere. The rules hang on the kinds, not the
//! labels: keys never before the fees, the fees never before the documents
//! check, and a station never before the ones above it; only a 经理 may stamp
//! out of order, with a reason that is recorded. What happened is a list of
//! steps, so stamps made apart merge to the same slip everywhere.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ScalarValue, ROOT};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{get_object, DocError, Fields, Header, RecordKind};
use crate::events;
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::money::Fen;
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::staff::Role;
use crate::time;

/// Most defects one inspection records.
pub const MAX_DEFECTS: usize = 100;
/// Most fee lines or keys on one slip.
pub const MAX_LINES: usize = 30;
/// Longest station label.
pub const MAX_LABEL_CHARS: usize = 30;
/// Where a slip keeps its steps.
const STEPS: &str = "steps";

labelled_enum!(
    /// What a station does; the rules of order hang on these, never on labels.
    StationKind, RuleError, |value| RuleError::Unknown {
        what: "station kind (documents, inspection, papers, fees, keys, gift)",
        value,
    }, {
        Documents => ("documents", "资料核对"),
        Inspection => ("inspection", "验房"),
        Papers => ("papers", "资料与协议"),
        Fees => ("fees", "收费"),
        Keys => ("keys", "钥匙交接"),
        Gift => ("gift", "礼品"),
    }
);

labelled_enum!(
    /// The three meters read at the inspection.
    Meter, RuleError, |value| RuleError::Unknown { what: "meter (水, 电, 气)", value }, {
        Water => ("water", "水"),
        Electricity => ("electricity", "电"),
        Gas => ("gas", "气"),
    }
);

labelled_enum!(
    /// Where a station stands.
    StationState, RuleError, |value| RuleError::Unknown { what: "station state", value }, {
        Waiting => ("waiting", "待办"),
        Stamped => ("stamped", "已盖章"),
        Returned => ("returned", "退回"),
    }
);

labelled_enum!(
    /// Where the slip stands.
    MoveInState, RuleError, |value| RuleError::Unknown { what: "move-in state", value }, {
        InProgress => ("in_progress", "办理中"),
        Delivered => ("delivered", "已交付"),
    }
);

impl StationKind {
    /// What the station ticks off before it stamps (DOMAIN.md §3).
    pub fn ticks(self) -> &'static [&'static str] {
        match self {
            StationKind::Documents => &["购房合同", "全款收据", "身份证", "户口簿", "收楼结算单", "住户家庭情况登记表"],
            StationKind::Inspection => &["房屋验收表", "房屋交付确认书"],
            StationKind::Papers => &["住宅质量保证书", "住宅使用说明书", "业主公约", "物业服务协议", "装修协议"],
            StationKind::Fees => &["物业费", "维修基金收据"],
            StationKind::Keys => &["钥匙领取书"],
            StationKind::Gift => &["礼品签收"],
        }
    }

    /// The kinds stamped before this one, whatever order a site sets: keys
    /// never before the fees, the fees never before the documents check.
    pub fn needs(self) -> &'static [StationKind] {
        match self {
            StationKind::Keys => &[StationKind::Fees],
            StationKind::Fees => &[StationKind::Documents],
            _ => &[],
        }
    }
}

/// A station as a site sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Station {
    /// What it does.
    pub kind: StationKind,
    /// What the slip calls it.
    pub label: String,
    /// Who may stamp it (a 经理 may always, and alone may stamp out of order).
    pub roles: Vec<Role>,
}

/// The six stations in the order of the source procedures.
pub fn default_stations() -> Vec<Station> {
    use Role::*;
    let s = |kind, label: &str, roles: &[Role]| Station { kind, label: label.into(), roles: roles.to_vec() };
    vec![
        s(StationKind::Documents, "销售部：资料核对", &[Sales, Supervisor, Manager]),
        s(StationKind::Inspection, "交房小组：验房", &[Engineering, FrontDesk, Supervisor, Manager]),
        s(StationKind::Papers, "物业公司：资料与协议", &[FrontDesk, Supervisor, Manager]),
        s(StationKind::Fees, "财务部：收费", &[Finance, Manager]),
        s(StationKind::Keys, "物业公司：钥匙交接", &[FrontDesk, Supervisor, Manager]),
        s(StationKind::Gift, "物业公司：礼品", &[FrontDesk, Supervisor, Manager]),
    ]
}

/// Checks a site's stations: every kind once, the rules of order kept,
/// a label and at least one role each.
pub fn check_stations(stations: &[Station]) -> Result<(), RuleError> {
    let wrong =
        |value: String, allowed: String| RuleError::OutOfRange { field: "the move-in stations", value, allowed };
    for kind in StationKind::ALL {
        let n = stations.iter().filter(|s| s.kind == *kind).count();
        if n != 1 {
            return Err(wrong(
                format!("{} × {n}", kind.as_str()),
                "each of documents, inspection, papers, fees, keys, gift exactly once".into(),
            ));
        }
    }
    let at = |kind: StationKind| stations.iter().position(|s| s.kind == kind).unwrap_or(usize::MAX);
    for station in stations {
        for need in station.kind.needs() {
            if at(*need) > at(station.kind) {
                return Err(wrong(
                    format!("{} before {}", station.kind.as_str(), need.as_str()),
                    "keys come after the fees, the fees after the documents check".into(),
                ));
            }
        }
        field_text("a station's label", &station.label, MAX_LABEL_CHARS, true)?;
        if station.label.contains([';', ':']) {
            return Err(wrong(station.label.clone(), "a label without ';' or ':'".into()));
        }
        if station.roles.is_empty() {
            return Err(wrong(station.label.clone(), "at least one role may stamp each station".into()));
        }
    }
    Ok(())
}

/// The stations as a setting's text: `kind:label:role,role;…`.
pub fn stations_text(stations: &[Station]) -> String {
    stations
        .iter()
        .map(|s| {
            let roles: Vec<&str> = s.roles.iter().map(|r| r.as_str()).collect();
            format!("{}:{}:{}", s.kind.as_str(), s.label, roles.join(","))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Reads a setting's text (`kind:label:role,role;…` with ASCII `:` and `;`,
/// since labels may hold a full-width `：`; roles by either name, separated
/// by `,`, `，`, `、` or `/`) and checks it.
pub fn parse_stations(text: &str) -> Result<Vec<Station>, RuleError> {
    let mut stations = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let mut fields = part.splitn(3, ':');
        let (Some(kind), Some(label), Some(roles)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(RuleError::OutOfRange {
                field: "a move-in station",
                value: crate::text::echo(part),
                allowed: "kind:label:roles, e.g. fees:财务部收费:finance,manager".into(),
            });
        };
        let roles = roles
            .split([',', '，', '、', '/'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.parse::<Role>()
                    .map_err(|e| RuleError::Unknown { what: "role", value: e.0.chars().take(32).collect() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        stations.push(Station { kind: kind.parse()?, label: label.trim().to_string(), roles });
    }
    check_stations(&stations)?;
    Ok(stations)
}

/// One station of a slip as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationView {
    /// What it does, what it is called, who may stamp it.
    #[serde(flatten)]
    pub station: Station,
    /// Where it stands.
    pub state: StationState,
    /// Who stamped or sent it back.
    pub by: String,
    /// When.
    pub at: Option<time::SiteTime>,
    /// Why it was sent back, or why a 经理 stamped it out of order.
    pub reason: String,
    /// Each thing it ticks off, and whether it is ticked.
    pub ticks: Vec<(String, bool)>,
}

impl StationView {
    /// Checks that `role` may work this station (a 经理 always may): `action` names what was asked.
    pub fn may(&self, role: Role, action: &'static str) -> Result<(), RuleError> {
        if role == Role::Manager || self.station.roles.contains(&role) {
            return Ok(());
        }
        let allowed: Vec<&str> = self.station.roles.iter().map(|r| r.label()).collect();
        Err(RuleError::Role { action, allowed: allowed.join(" or "), role: role.label() })
    }
}

/// A defect found at the inspection (房屋验收表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defect {
    /// Where in the home (客厅, 主卧, 卫生间, …).
    pub room: String,
    /// What is wrong.
    pub text: String,
    /// The repair work order made of it, if any.
    pub work_order: Option<RecordId>,
}

/// A fee collected at the finance station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    /// What (物业费 6个月, 维修基金, …).
    pub item: String,
    /// How much.
    pub amount: Fen,
}

/// A key handed over at the keys station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandedKey {
    /// The key record.
    pub key_id: RecordId,
    /// Its tag.
    pub tag: String,
}

/// What the desk writes when it opens a slip.
#[derive(Debug, Clone)]
pub struct NewMoveIn {
    /// The house record.
    pub house_id: RecordId,
    /// Its address as the house register gives it.
    pub house: String,
    /// The owner (业主).
    pub owner: String,
    /// The owner's phone.
    pub phone: String,
}

/// A slip as lists and print pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveIn {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The house record.
    pub house_id: RecordId,
    /// The house's address.
    pub house: String,
    /// The owner.
    pub owner: String,
    /// The owner's phone.
    pub phone: String,
    /// The stations in the slip's order.
    pub stations: Vec<StationView>,
    /// The meter readings (水/电/气), as read.
    pub readings: Vec<(Meter, String)>,
    /// The defects found at the inspection.
    pub defects: Vec<Defect>,
    /// The fees collected.
    pub fees: Vec<FeeLine>,
    /// The keys handed over.
    pub keys: Vec<HandedKey>,
    /// Where it stands.
    pub state: MoveInState,
    /// The day the last station was stamped.
    pub delivered_on: Option<NaiveDate>,
    /// Every stamp and return, oldest first.
    pub steps: Vec<events::Entry>,
    /// When it was opened, in the site's time zone.
    pub opened_at: time::SiteTime,
    /// Who opened it.
    pub opened_by: String,
}

impl MoveIn {
    /// The station of `kind`.
    pub fn station(&self, kind: StationKind) -> Option<&StationView> {
        self.stations.iter().find(|s| s.station.kind == kind)
    }

    /// The reading of `meter`, empty until read.
    pub fn reading(&self, meter: Meter) -> &str {
        self.readings.iter().find(|(m, _)| *m == meter).map_or("", |(_, r)| r.as_str())
    }

    /// What stands before stamping `kind`: stations above it in the slip's
    /// order and the kinds it needs that are not stamped.
    pub fn waiting_for(&self, kind: StationKind) -> Vec<&StationView> {
        let at = self.stations.iter().position(|s| s.station.kind == kind).unwrap_or(0);
        self.stations
            .iter()
            .enumerate()
            .filter(|(i, s)| (*i < at || kind.needs().contains(&s.station.kind)) && s.state != StationState::Stamped)
            .map(|(_, s)| s)
            .collect()
    }
}

/// A new slip for a house and its owner, with the site's stations.
pub fn open(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    new: &NewMoveIn,
    stations: &[Station],
) -> Result<AutoCommit, RuleError> {
    check_stations(stations)?;
    let mut doc = new_record(RecordKind::MoveIn, id, site_id, tz, now, by)?;
    doc.put(ROOT, "house_id", new.house_id.to_string())?;
    doc.put(ROOT, "house", field_text("house", &new.house, MAX_UNIT_CHARS, true)?)?;
    doc.put(ROOT, "owner", field_text("owner", &new.owner, MAX_NAME_CHARS, true)?)?;
    doc.put(ROOT, "phone", field_text("phone", &new.phone, crate::resident::MAX_PHONE_CHARS, false)?)?;
    let list = doc.put_object(ROOT, "stations", ObjType::List)?;
    for (i, s) in stations.iter().enumerate() {
        let map = doc.insert_object(&list, i, ObjType::Map)?;
        doc.put(&map, "kind", s.kind.as_str())?;
        doc.put(&map, "label", s.label.as_str())?;
        let roles: Vec<&str> = s.roles.iter().map(|r| r.as_str()).collect();
        doc.put(&map, "roles", roles.join(","))?;
    }
    // Every box and reading made now, so that two desks never make one apart.
    let ticks = doc.put_object(ROOT, "ticks", ObjType::Map)?;
    for kind in StationKind::ALL {
        for item in kind.ticks() {
            doc.put(&ticks, format!("{}/{item}", kind.as_str()), false)?;
        }
    }
    let readings = doc.put_object(ROOT, "readings", ObjType::Map)?;
    for meter in Meter::ALL {
        doc.put(&readings, meter.as_str(), "")?;
    }
    for key in ["defects", "fees", "keys"] {
        doc.put_object(ROOT, key, ObjType::List)?;
    }
    events::start(&mut doc, STEPS)?;
    Ok(doc)
}

fn not_stamped(slip: &MoveIn, kind: StationKind) -> Result<&StationView, RuleError> {
    let station = slip.station(kind).ok_or(RuleError::Unknown { what: "station", value: kind.as_str().into() })?;
    if station.state == StationState::Stamped {
        return Err(RuleError::OutOfRange {
            field: "the station",
            value: station.station.label.clone(),
            allowed: format!("stamped already by {}: send it back first to change it", station.by),
        });
    }
    Ok(station)
}

/// Ticks (or unticks) one thing a station checks off, before it is stamped.
pub fn tick(doc: &mut AutoCommit, kind: StationKind, item: &str, done: bool) -> Result<(), RuleError> {
    let slip = read(doc)?;
    not_stamped(&slip, kind)?;
    let item = item.trim();
    if !kind.ticks().contains(&item) {
        return Err(RuleError::OutOfRange {
            field: "the item",
            value: crate::text::echo(item),
            allowed: format!("one of {}", kind.ticks().join("、")),
        });
    }
    let ticks = get_object(doc, &ROOT, "ticks", "ticks", ObjType::Map)?;
    doc.put(&ticks, format!("{}/{item}", kind.as_str()), done)?;
    Ok(())
}

/// Records a meter reading at the inspection: a number with up to two decimals.
pub fn read_meter(doc: &mut AutoCommit, meter: Meter, reading: &str) -> Result<(), RuleError> {
    let slip = read(doc)?;
    not_stamped(&slip, StationKind::Inspection)?;
    let reading = reading.trim();
    let (whole, part) = reading.split_once('.').unwrap_or((reading, ""));
    if whole.is_empty()
        || whole.len() > 9
        || part.len() > 2
        || !whole.chars().chain(part.chars()).all(|c| c.is_ascii_digit())
    {
        return Err(RuleError::OutOfRange {
            field: "the meter reading",
            value: crate::text::echo(reading),
            allowed: "a number with up to two decimals, e.g. 12.50".into(),
        });
    }
    let readings = get_object(doc, &ROOT, "readings", "readings", ObjType::Map)?;
    doc.put(&readings, meter.as_str(), reading)?;
    Ok(())
}

fn push(
    doc: &mut AutoCommit,
    key: &'static str,
    max: usize,
    fields: &[(&str, ScalarValue)],
) -> Result<usize, RuleError> {
    let list = get_object(doc, &ROOT, key, key, ObjType::List)?;
    let len = doc.length(&list);
    if len >= max {
        return Err(RuleError::TooLong { field: key, len: len + 1, max });
    }
    let map = doc.insert_object(&list, len, ObjType::Map)?;
    for (name, value) in fields {
        doc.put(&map, *name, value.clone())?;
    }
    Ok(len)
}

/// Records a defect found at the inspection; its place in the list.
pub fn add_defect(doc: &mut AutoCommit, room: &str, text: &str) -> Result<usize, RuleError> {
    let slip = read(doc)?;
    not_stamped(&slip, StationKind::Inspection)?;
    let room = field_text("the room", room, MAX_UNIT_CHARS, true)?;
    let text = field_text("the defect", text, MAX_TEXT_CHARS, true)?;
    push(doc, "defects", MAX_DEFECTS, &[("room", room.into()), ("text", text.into()), ("work_order", "".into())])
}

/// Links a defect to the repair work order made of it.
pub fn link_order(doc: &mut AutoCommit, defect: usize, order: RecordId) -> Result<(), RuleError> {
    let list = get_object(doc, &ROOT, "defects", "defects", ObjType::List)?;
    let map = match doc.get(&list, defect)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        _ => {
            return Err(RuleError::OutOfRange {
                field: "the defect",
                value: (defect + 1).to_string(),
                allowed: format!("1 to {}", doc.length(&list)),
            })
        }
    };
    doc.put(&map, "work_order", order.to_string())?;
    Ok(())
}

/// Records a fee collected at the finance station.
pub fn add_fee(doc: &mut AutoCommit, item: &str, amount: Fen) -> Result<(), RuleError> {
    let slip = read(doc)?;
    not_stamped(&slip, StationKind::Fees)?;
    if amount == Fen::ZERO {
        return Err(RuleError::OutOfRange { field: "the amount", value: "0".into(), allowed: "above 0".into() });
    }
    let item = field_text("the fee", item, MAX_NAME_CHARS, true)?;
    push(doc, "fees", MAX_LINES, &[("item", item.into()), ("fen", ScalarValue::Uint(amount.0))]).map(|_| ())
}

/// Records a key handed over at the keys station.
pub fn add_key(doc: &mut AutoCommit, key_id: RecordId, tag: &str) -> Result<(), RuleError> {
    let slip = read(doc)?;
    not_stamped(&slip, StationKind::Keys)?;
    if slip.keys.iter().any(|k| k.key_id == key_id) {
        return Err(RuleError::OutOfRange {
            field: "the key",
            value: tag.to_string(),
            allowed: "a key not yet on the slip".into(),
        });
    }
    let tag = field_text("the key's tag", tag, 30, true)?;
    push(doc, "keys", MAX_LINES, &[("key_id", key_id.to_string().into()), ("tag", tag.into())]).map(|_| ())
}

/// Stamps a station (盖章). Whoever stamps must hold one of its roles (a
/// 经理 always may); its boxes must be ticked (the inspection's water and
/// electricity read, the keys station's keys listed); the stations above it
/// and the kinds it needs must be stamped, unless a 经理 stamps out of order
/// giving `override_reason`, which is recorded.
pub fn stamp(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    role: Role,
    kind: StationKind,
    override_reason: Option<&str>,
) -> Result<(), RuleError> {
    let slip = read(doc)?;
    let station = not_stamped(&slip, kind)?;
    station.may(role, "stamp this station")?;
    let mut missing: Vec<String> = station.ticks.iter().filter(|(_, done)| !done).map(|(t, _)| t.clone()).collect();
    match kind {
        StationKind::Inspection => {
            for meter in [Meter::Water, Meter::Electricity] {
                if slip.reading(meter).is_empty() {
                    missing.push(format!("{}表读数", meter.label()));
                }
            }
        }
        StationKind::Keys if slip.keys.is_empty() => missing.push("交付的钥匙".into()),
        _ => {}
    }
    if !missing.is_empty() {
        return Err(RuleError::OutOfRange {
            field: "the station",
            value: station.station.label.clone(),
            allowed: format!("stamped once these are done: {}", missing.join("、")),
        });
    }
    let waiting: Vec<&str> = slip.waiting_for(kind).iter().map(|s| s.station.label.as_str()).collect();
    let text = match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
        _ if waiting.is_empty() => format!("stamp {}", kind.as_str()),
        Some(reason) if role == Role::Manager => format!("override {} {reason}", kind.as_str()),
        _ => {
            return Err(RuleError::OutOfRange {
                field: "the station",
                value: station.station.label.clone(),
                allowed: format!(
                    "stamped after {}; only a 经理 may stamp out of order, giving the reason",
                    waiting.join("、")
                ),
            })
        }
    };
    events::append(doc, STEPS, "reason", now, by, &text)
}

/// Sends a station back (退回) with the reason; it is stamped again later.
pub fn send_back(
    doc: &mut AutoCommit,
    now: DateTime<Utc>,
    by: &str,
    role: Role,
    kind: StationKind,
    reason: &str,
) -> Result<(), RuleError> {
    let slip = read(doc)?;
    let station = slip.station(kind).ok_or(RuleError::Unknown { what: "station", value: kind.as_str().into() })?;
    station.may(role, "send this station back")?;
    if slip.state == MoveInState::Delivered {
        return Err(RuleError::OutOfRange {
            field: "the slip",
            value: slip.house.clone(),
            allowed: "delivered already: nothing is sent back".into(),
        });
    }
    let reason = field_text("the reason", reason, MAX_TEXT_CHARS, true)?;
    events::append(doc, STEPS, "reason", now, by, &format!("return {} {reason}", kind.as_str()))
}

/// Each station's state from the steps in document order, and the day the
/// slip was delivered (the step that left every station stamped).
fn replay(stations: &mut [StationView], steps: &[events::Entry]) -> Option<NaiveDate> {
    for step in steps {
        let mut words = step.text.splitn(3, ' ');
        let (verb, kind, reason) = (words.next(), words.next(), words.next().unwrap_or_default());
        let Some(station) = kind
            .and_then(|k| k.parse::<StationKind>().ok())
            .and_then(|k| stations.iter_mut().find(|s| s.station.kind == k))
        else {
            continue;
        };
        let state = match verb {
            Some("stamp" | "override") if station.state != StationState::Stamped => StationState::Stamped,
            Some("return") => StationState::Returned,
            _ => continue,
        };
        *station = StationView {
            state,
            by: step.by.clone(),
            at: Some(step.at),
            reason: reason.to_string(),
            ..station.clone()
        };
        if stations.iter().all(|s| s.state == StationState::Stamped) {
            return Some(step.at.local().date_naive());
        }
    }
    None
}

impl crate::kind::Kind for MoveIn {
    const KIND: RecordKind = RecordKind::MoveIn;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        let id =
            |key: &str, text: &str| text.parse::<RecordId>().map_err(|_| DocError::invalid(key, "not a record id"));
        let ticks = root.map("ticks")?;
        let mut stations = Vec::new();
        for (i, value) in root.list("stations", StationKind::ALL.len())?.into_iter().enumerate() {
            let path = format!("stations[{i}]");
            let map = Fields::item(value, &path)?;
            let kind: StationKind =
                map.str("kind")?.parse().map_err(|e: RuleError| DocError::invalid("kind", e.to_string()))?;
            let roles = map
                .str("roles")?
                .split(',')
                .filter(|r| !r.is_empty())
                .map(|r| r.parse::<Role>().map_err(|e| DocError::invalid("roles", e.0)))
                .collect::<Result<Vec<_>, _>>()?;
            let ticked = kind
                .ticks()
                .iter()
                .map(|t| Ok((t.to_string(), ticks.bool(&format!("{}/{t}", kind.as_str()))?)))
                .collect::<Result<Vec<_>, DocError>>()?;
            stations.push(StationView {
                station: Station { kind, label: map.str_up_to("label", MAX_LABEL_CHARS)?, roles },
                state: StationState::Waiting,
                by: String::new(),
                at: None,
                reason: String::new(),
                ticks: ticked,
            });
        }
        let readings_map = root.map("readings")?;
        let readings = Meter::ALL
            .iter()
            .map(|m| Ok((*m, readings_map.str_up_to(m.as_str(), 20)?)))
            .collect::<Result<Vec<_>, DocError>>()?;
        let mut defects = Vec::new();
        for (i, value) in root.list("defects", MAX_DEFECTS)?.into_iter().enumerate() {
            let path = format!("defects[{i}]");
            let map = Fields::item(value, &path)?;
            let order = map.str_or_empty("work_order")?;
            defects.push(Defect {
                room: map.str_up_to("room", MAX_UNIT_CHARS)?,
                text: map.text("text")?,
                work_order: if order.is_empty() { None } else { Some(id("work_order", &order)?) },
            });
        }
        let mut fees = Vec::new();
        for (i, value) in root.list("fees", MAX_LINES)?.into_iter().enumerate() {
            let path = format!("fees[{i}]");
            let map = Fields::item(value, &path)?;
            fees.push(FeeLine { item: map.str_up_to("item", MAX_NAME_CHARS)?, amount: Fen(map.u64("fen")?) });
        }
        let mut keys = Vec::new();
        for (i, value) in root.list("keys", MAX_LINES)?.into_iter().enumerate() {
            let path = format!("keys[{i}]");
            let map = Fields::item(value, &path)?;
            keys.push(HandedKey { key_id: id("key_id", &map.str("key_id")?)?, tag: map.str_up_to("tag", 30)? });
        }
        let steps = events::read(root, STEPS, header.timezone)?;
        let delivered_on = replay(&mut stations, &steps);
        Ok(MoveIn {
            id: header.id,
            site_id: header.site_id,
            house_id: id("house_id", &root.str("house_id")?)?,
            house: root.str_up_to("house", MAX_UNIT_CHARS)?,
            owner: root.str_up_to("owner", MAX_NAME_CHARS)?,
            phone: root.str_up_to("phone", crate::resident::MAX_PHONE_CHARS)?,
            stations,
            readings,
            defects,
            fees,
            keys,
            state: if delivered_on.is_some() { MoveInState::Delivered } else { MoveInState::InProgress },
            delivered_on,
            steps,
            opened_at: time::to_site(header.created_at, header.timezone),
            opened_by: header.created_by.clone(),
        })
    }

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        crate::kind::Projection::at(self.opened_at.utc(), self.state.as_str())
    }
}

/// Reads a slip document.
pub fn read(doc: &impl ReadDoc) -> Result<MoveIn, DocError> {
    crate::kind::read(doc)
}

#[cfg(test)]
mod tests;
