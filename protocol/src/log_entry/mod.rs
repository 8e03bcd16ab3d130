//! The work-log entry (工作日志): a call or visit, who, about what, and
//! what was done. An entry that was neither handled nor turned into a record
//! (a complaint, a work order, a commitment) is carried over to the next shift.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{self, DocError, Fields, Header, RecordKind};
use crate::events;
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::field_text as text;
use crate::rules::{Channel, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_UNIT_CHARS};
use crate::time;

/// Most records one work-log entry may link to.
pub const MAX_LINKS: usize = 100;

/// A work-log entry as lists show it (the JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The record id.
    pub id: RecordId,
    /// The owning site.
    pub site_id: SiteId,
    /// When the call or visit came, in the site's time zone.
    pub at: crate::time::SiteTime,
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
    let mut doc = new_record(RecordKind::LogEntry, id, site_id, tz, now, by)?;
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

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        Projection::at(self.at.utc(), if self.open { "open" } else { "done" })
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

#[cfg(test)]
mod tests;
