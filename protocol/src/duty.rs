//! The duty rules' records (值班制度): work-log entries (工作日志) and
//! commitments (约定回复).
//!
//! A work-log entry records a call or visit: who, about what, and what was
//! done. An entry that was neither handled nor turned into a record (a
//! complaint, a work order, a commitment) is carried over to the next shift.
//! A commitment is a promised reply with a due time.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::ids::{RecordId, SiteId};
use crate::rules::{Channel, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::time;

/// Most records one work-log entry may link to.
pub const MAX_LINKS: usize = 100;

use crate::events;
use crate::rules::field_text as text;

pub(crate) fn new_doc(
    kind: RecordKind,
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
) -> Result<AutoCommit, RuleError> {
    let mut doc = AutoCommit::new();
    let created_by = text("by", by, MAX_NAME_CHARS, true)?;
    doc::write_header(
        &mut doc,
        &Header { kind, schema: doc::SCHEMA_VERSION, id, site_id, created_at: now, created_by, timezone: tz },
    )?;
    Ok(doc)
}

/// A work-log entry as lists show it (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// When the call or visit came, in the site's time zone.
    pub at: String,
    /// Phone or visit (or another channel).
    pub channel: Channel,
    /// Who called or came.
    pub caller: String,
    /// Their unit, if any.
    pub unit: String,
    /// What was asked.
    pub asked: String,
    /// What was done about it last; empty while open.
    pub done: String,
    /// Every handling recorded, oldest first, each with who and when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handlings: Vec<crate::events::Entry>,
    /// Records it produced (complaints, work orders, commitments).
    pub records: Vec<RecordId>,
    /// Who wrote it.
    pub by: String,
    /// Whether it is still open: nothing done and no record made from it.
    pub open: bool,
}

/// Writes a new work-log entry.
#[allow(clippy::too_many_arguments)]
pub fn new_log_entry(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    channel: Channel,
    caller: &str,
    unit: &str,
    asked: &str,
    done: &str,
) -> Result<AutoCommit, RuleError> {
    let caller = text("caller", caller, MAX_NAME_CHARS, true)?;
    let unit = text("unit", unit, MAX_UNIT_CHARS, false)?;
    let asked = text("text", asked, MAX_TEXT_CHARS, true)?;
    let done = text("done", done, MAX_TEXT_CHARS, false)?;
    let mut doc = new_doc(RecordKind::LogEntry, id, site_id, tz, now, by)?;
    doc.put(ROOT, "channel", channel.as_str())?;
    doc.put(ROOT, "caller", caller)?;
    doc.put(ROOT, "unit", unit)?;
    doc.put(ROOT, "asked", asked)?;
    // Kept for readers of the first layout; handlings are events now.
    doc.put(ROOT, "done", "")?;
    doc.put_object(ROOT, "records", ObjType::List)?;
    events::start(&mut doc, HANDLINGS)?;
    if !done.is_empty() {
        events::append(&mut doc, HANDLINGS, "done", now, by, &done)?;
    }
    Ok(doc)
}

/// Where a work-log entry keeps its handlings.
const HANDLINGS: &str = "handlings";
/// Where a commitment keeps its replies.
const REPLIES: &str = "replies";

/// Records what was done about an entry, by whom and when; a second handling
/// is added beside the first.
pub fn log_done(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, done: &str) -> Result<(), RuleError> {
    read_log_entry(doc)?;
    events::append(doc, HANDLINGS, "done", now, by, done)
}

/// Links a record made from the entry (a complaint, a work order, a commitment).
pub fn log_link(doc: &mut AutoCommit, record: RecordId) -> Result<(), RuleError> {
    let entry = read_log_entry(doc)?;
    if entry.records.contains(&record) {
        return Ok(());
    }
    if entry.records.len() >= MAX_LINKS {
        return Err(RuleError::TooLong { field: "records", len: entry.records.len() + 1, max: MAX_LINKS });
    }
    let list = doc::get_object(doc, &ROOT, "records", "records", ObjType::List)?;
    let len = doc.length(&list);
    doc.insert(&list, len, record.to_string())?;
    Ok(())
}

impl crate::kind::Kind for LogEntry {
    const KIND: RecordKind = RecordKind::LogEntry;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        log_entry_from_root(root, header)
    }
}

fn log_entry_from_root(root: &Fields<'_>, header: &Header) -> Result<LogEntry, DocError> {
    let handlings = events::read(root, HANDLINGS, header.timezone)?;
    let channel = root.str("channel")?.parse().map_err(|e: RuleError| DocError::invalid("channel", e.to_string()))?;
    let records = root
        .list("records", MAX_LINKS)?
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            doc::item_str(v, || format!("records[{i}]"))?
                .parse()
                .map_err(|e: crate::ids::IdParseError| DocError::invalid(format!("records[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<RecordId>, _>>()?;
    // An entry written before handlings were events keeps its one in `done`.
    let done = match handlings.last() {
        Some(last) => last.text.clone(),
        None => root.text("done")?,
    };
    Ok(LogEntry {
        id: header.id,
        site_id: header.site_id,
        at: time::to_site(header.created_at, header.timezone),
        channel,
        caller: root.str("caller")?,
        unit: root.str("unit")?,
        asked: root.text("asked")?,
        open: done.is_empty() && records.is_empty(),
        done,
        handlings,
        records,
        by: header.created_by.clone(),
    })
}

/// Reads and checks a work-log entry document.
pub fn read_log_entry(doc: &impl ReadDoc) -> Result<LogEntry, DocError> {
    crate::kind::read(doc)
}

/// A commitment (约定回复) as lists show it (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The question written down and what was promised.
    pub text: String,
    /// Who is owed the reply.
    pub caller: String,
    /// The promised reply time, in the site's time zone.
    pub due: String,
    /// The last reply given, if any.
    pub reply: Option<String>,
    /// Every reply given, oldest first, each with who and when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replies: Vec<crate::events::Entry>,
    /// When it was written down, in the site's time zone.
    pub created_at: String,
    /// Who wrote it down.
    pub by: String,
}

impl Commitment {
    /// Whether it is unanswered and due by `at`.
    pub fn is_due_by(&self, at: DateTime<Utc>) -> bool {
        self.reply.is_none() && time::from_stored(&self.due).is_some_and(|due| due <= at)
    }
}

/// Writes a new commitment.
#[allow(clippy::too_many_arguments)]
pub fn new_commitment(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    words: &str,
    caller: &str,
    due: DateTime<Utc>,
) -> Result<AutoCommit, RuleError> {
    let words = text("text", words, MAX_TEXT_CHARS, true)?;
    let caller = text("caller", caller, MAX_NAME_CHARS, false)?;
    crate::rules::check_upcoming("the reply's due time", due, now, tz)?;
    let mut doc = new_doc(RecordKind::Commitment, id, site_id, tz, now, by)?;
    doc.put(ROOT, "text", words)?;
    doc.put(ROOT, "caller", caller)?;
    doc.put(ROOT, "due", time::to_stored(due))?;
    // Kept for readers of the first layout; replies are events now.
    doc.put(ROOT, "reply", "")?;
    events::start(&mut doc, REPLIES)?;
    Ok(doc)
}

/// Records a reply given, by whom and when; a second reply is added beside the first.
pub fn commitment_reply(doc: &mut AutoCommit, now: DateTime<Utc>, by: &str, reply: &str) -> Result<(), RuleError> {
    read_commitment(doc)?;
    events::append(doc, REPLIES, "reply", now, by, reply)
}

impl crate::kind::Kind for Commitment {
    const KIND: RecordKind = RecordKind::Commitment;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        commitment_from_root(root, header)
    }
}

fn commitment_from_root(root: &Fields<'_>, header: &Header) -> Result<Commitment, DocError> {
    let replies = events::read(root, REPLIES, header.timezone)?;
    // A commitment written before replies were events keeps its one in `reply`.
    let reply = match replies.last() {
        Some(last) => last.text.clone(),
        None => root.text("reply")?,
    };
    Ok(Commitment {
        id: header.id,
        site_id: header.site_id,
        text: root.text("text")?,
        caller: root.str("caller")?,
        due: time::to_site(root.instant("due")?, header.timezone),
        reply: (!reply.is_empty()).then_some(reply),
        replies,
        created_at: time::to_site(header.created_at, header.timezone),
        by: header.created_by.clone(),
    })
}

/// Reads and checks a commitment document.
pub fn read_commitment(doc: &impl ReadDoc) -> Result<Commitment, DocError> {
    crate::kind::read(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn an_entry_is_open_until_handled_or_turned_into_a_record() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let site = SiteId::random(&mut rng);
        let mut doc = new_log_entry(
            RecordId::random(&mut rng),
            site,
            tz,
            now,
            "李娜",
            Channel::Phone,
            "张伟",
            "3栋501",
            "询问停水时间",
            "",
        )
        .unwrap();
        assert!(read_log_entry(&doc).unwrap().open);
        let complaint = RecordId::random(&mut rng);
        log_link(&mut doc, complaint).unwrap();
        log_link(&mut doc, complaint).unwrap();
        let entry = read_log_entry(&doc).unwrap();
        assert_eq!((entry.open, entry.records.len()), (false, 1));
        let mut answered = new_log_entry(
            RecordId::random(&mut rng),
            site,
            tz,
            now,
            "李娜",
            Channel::Visit,
            "王芳",
            "",
            "问路",
            "已告知",
        )
        .unwrap();
        assert!(!read_log_entry(&answered).unwrap().open);
        assert_eq!(log_done(&mut answered, now, "李娜", " "), Err(RuleError::Empty("done")));
    }

    #[test]
    fn a_second_handling_or_reply_stands_beside_the_first_with_who_and_when() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        let site = SiteId::random(&mut rng);
        let mut entry =
            new_log_entry(RecordId::random(&mut rng), site, tz, now, "李娜", Channel::Phone, "刘洋", "", "停水", "")
                .unwrap();
        let later = now + chrono::Duration::minutes(5);
        log_done(&mut entry, later, "李娜", "已告知明天恢复").unwrap();
        let mut other = entry.fork();
        log_done(&mut entry, later, "周站长", "已再次电话确认").unwrap();
        log_done(&mut other, later, "王芳", "住户来访，已解释").unwrap();
        entry.merge(&mut other).unwrap();
        let read = read_log_entry(&entry).unwrap();
        let by: Vec<&str> = read.handlings.iter().map(|h| h.by.as_str()).collect();
        assert_eq!(by.len(), 3, "{by:?}");
        assert_eq!(by[0], "李娜");
        assert_eq!(read.done, read.handlings[2].text);
        assert_eq!(read.handlings[0].at, "2026-11-27T10:05:00+08:00");

        let due = now + chrono::Duration::hours(2);
        let mut c = new_commitment(RecordId::random(&mut rng), site, tz, now, "李娜", "外墙渗水", "张伟", due).unwrap();
        commitment_reply(&mut c, later, "李娜", "工程部下周检修").unwrap();
        commitment_reply(&mut c, later, "周站长", "改为本周五检修").unwrap();
        let read = read_commitment(&c).unwrap();
        assert_eq!(read.replies.len(), 2);
        assert_eq!(read.reply.as_deref(), Some("改为本周五检修"));
        assert_eq!(read.replies[0].text, "工程部下周检修");
    }

    #[test]
    fn a_commitment_is_due_until_answered() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(4);
        let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
        let due = now + chrono::Duration::hours(2);
        let mut doc = new_commitment(
            RecordId::random(&mut rng),
            SiteId::random(&mut rng),
            chrono_tz::Asia::Shanghai,
            now,
            "李娜",
            "咨询工程部外墙渗水原因",
            "张伟",
            due,
        )
        .unwrap();
        let c = read_commitment(&doc).unwrap();
        assert!(!c.is_due_by(now));
        assert!(c.is_due_by(due));
        commitment_reply(&mut doc, now, "李娜", "工程部答复：下周检修").unwrap();
        assert!(!read_commitment(&doc).unwrap().is_due_by(due));
    }
}

/// A half-day of duty (am 08:00–12:00, pm afternoon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Shift {
    /// The morning period.
    Am,
    /// The afternoon period.
    Pm,
}

impl Shift {
    /// Both shifts of a day.
    pub const ALL: [Shift; 2] = [Shift::Am, Shift::Pm];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Shift::Am => "am",
            Shift::Pm => "pm",
        }
    }
}

impl std::str::FromStr for Shift {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "am" | "上午" => Ok(Shift::Am),
            "pm" | "下午" => Ok(Shift::Pm),
            other => Err(RuleError::Unknown { what: "shift (am or pm)", value: other.chars().take(16).collect() }),
        }
    }
}

/// One staff member on duty for one shift of one day (值班表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyShift {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The local date, YYYY-MM-DD.
    pub date: String,
    /// Which half of the day.
    pub shift: Shift,
    /// The staff member's id.
    pub staff_id: RecordId,
    /// The staff member's name.
    pub staff_name: String,
    /// When the shift starts, in the site's time zone (for ordering).
    pub starts_at: String,
}

/// Writes a duty assignment.
#[allow(clippy::too_many_arguments)]
pub fn new_duty_shift(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
    date: chrono::NaiveDate,
    shift: Shift,
    starts_at: DateTime<Utc>,
    staff_id: RecordId,
    staff_name: &str,
) -> Result<AutoCommit, RuleError> {
    let mut doc = new_doc(RecordKind::DutyShift, id, site_id, tz, now, by)?;
    doc.put(ROOT, "date", date.format("%Y-%m-%d").to_string())?;
    doc.put(ROOT, "shift", shift.as_str())?;
    doc.put(ROOT, "starts_at", time::to_stored(starts_at))?;
    doc.put(ROOT, "staff_id", staff_id.to_string())?;
    doc.put(ROOT, "staff_name", text("staff", staff_name, MAX_NAME_CHARS, true)?)?;
    Ok(doc)
}

impl crate::kind::Kind for DutyShift {
    const KIND: RecordKind = RecordKind::DutyShift;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        duty_shift_from_root(root, header)
    }
}

fn duty_shift_from_root(root: &Fields<'_>, header: &Header) -> Result<DutyShift, DocError> {
    let date = root.str("date")?;
    chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").map_err(|_| DocError::invalid("date", "not YYYY-MM-DD"))?;
    Ok(DutyShift {
        id: header.id,
        site_id: header.site_id,
        date,
        shift: root.str("shift")?.parse().map_err(|e: RuleError| DocError::invalid("shift", e.to_string()))?,
        staff_id: root
            .str("staff_id")?
            .parse()
            .map_err(|e: crate::ids::IdParseError| DocError::invalid("staff_id", e.to_string()))?,
        staff_name: root.str("staff_name")?,
        starts_at: time::to_site(root.instant("starts_at")?, header.timezone),
    })
}

/// A day's report upward (每日重大投诉、报修信息上报), as computed at the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReport {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// The local date reported on, YYYY-MM-DD.
    pub date: String,
    /// When it was made, in the site's time zone.
    pub made_at: String,
    /// Who made it.
    pub by: String,
    /// The figures, as made (JSON).
    pub content: String,
}

/// Writes a daily report, or rewrites one for the same date.
/// How far back a daily report may be made.
pub const MAX_REPORT_DAYS_BACK: i64 = 366;

/// Checks a daily report's date: not after `today` and not more than a year
/// back, both in site time.
pub fn check_report_date(date: chrono::NaiveDate, today: chrono::NaiveDate) -> Result<(), RuleError> {
    let earliest = today - chrono::Duration::days(MAX_REPORT_DAYS_BACK);
    if date > today || date < earliest {
        return Err(RuleError::OutOfRange {
            field: "the report date",
            value: date.format("%Y-%m-%d").to_string(),
            allowed: format!(
                "a day report covers a day that has begun: give a date from {earliest} to today ({today})"
            ),
        });
    }
    Ok(())
}

pub fn write_daily_report(doc: &mut AutoCommit, date: chrono::NaiveDate, content: &str) -> Result<(), RuleError> {
    if content.len() > crate::wire::MAX_DOC_BYTES / 2 {
        return Err(RuleError::TooLong { field: "report", len: content.len(), max: crate::wire::MAX_DOC_BYTES / 2 });
    }
    doc.put(ROOT, "date", date.format("%Y-%m-%d").to_string())?;
    doc.put(ROOT, "content", content)?;
    Ok(())
}

/// A new, empty daily report document.
pub fn new_daily_report(
    id: RecordId,
    site_id: SiteId,
    tz: Tz,
    now: DateTime<Utc>,
    by: &str,
) -> Result<AutoCommit, RuleError> {
    new_doc(RecordKind::DailyReport, id, site_id, tz, now, by)
}

impl crate::kind::Kind for DailyReport {
    const KIND: RecordKind = RecordKind::DailyReport;

    fn from_root(root: &Fields<'_>, header: &Header) -> Result<Self, DocError> {
        daily_report_from_root(root, header)
    }
}

fn daily_report_from_root(root: &Fields<'_>, header: &Header) -> Result<DailyReport, DocError> {
    Ok(DailyReport {
        id: header.id,
        site_id: header.site_id,
        date: root.str("date")?,
        made_at: time::to_site(header.created_at, header.timezone),
        by: header.created_by.clone(),
        content: root.str_up_to("content", crate::wire::MAX_DOC_BYTES / 2)?,
    })
}
