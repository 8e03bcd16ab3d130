//! Steps kept as events: who, when and what, appended to a list in the
//! record's document and never overwritten, so that a second reply or a
//! second handling stands beside the first and both sides of a merge keep
//! theirs.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields};
use crate::rules::{field_text, RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::time;

/// Most entries one list may hold before the document is refused as absurd.
pub const MAX_ENTRIES: usize = 1_000;

/// One recorded step: who, when, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When, in the site's time zone.
    pub at: crate::time::SiteTime,
    /// Who.
    pub by: String,
    /// What was said or done.
    pub text: String,
}

/// Appends a step to the list `key` (made on first use), checking its words
/// as the long text `field`.
pub fn append(
    doc: &mut AutoCommit,
    key: &'static str,
    field: &'static str,
    now: DateTime<Utc>,
    by: &str,
    text: &str,
) -> Result<(), RuleError> {
    let text = field_text(field, text, MAX_TEXT_CHARS, true)?;
    let by = field_text("by", by, MAX_NAME_CHARS, true)?;
    let list = match doc.get(ROOT, key) {
        Ok(Some((automerge::Value::Object(ObjType::List), id))) => id,
        _ => doc.put_object(ROOT, key, ObjType::List)?,
    };
    let len = doc.length(&list);
    if len >= MAX_ENTRIES {
        return Err(RuleError::TooLong { field: key, len: len + 1, max: MAX_ENTRIES });
    }
    let map = doc.insert_object(&list, len, ObjType::Map)?;
    doc.put(&map, "at", time::to_stored(now))?;
    doc.put(&map, "by", by)?;
    doc.put(&map, "text", text)?;
    Ok(())
}

/// The steps in the list `key`, oldest first; none when the list is absent
/// (a record written before steps were kept this way).
pub fn read(root: &Fields<'_>, key: &str, tz: Tz) -> Result<Vec<Entry>, DocError> {
    let items = match root.list(key, MAX_ENTRIES) {
        Err(DocError::Missing(_)) => return Ok(Vec::new()),
        other => other?,
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{key}[{i}]");
            let map = Fields::item(item, &path)?;
            Ok(Entry { at: time::to_site(map.instant("at")?, tz), by: map.str("by")?, text: map.text("text")? })
        })
        .collect()
}

/// Makes the list `key` in a new document, so that two replicas never make it apart.
pub fn start(doc: &mut AutoCommit, key: &str) -> Result<(), RuleError> {
    doc.put_object(ROOT, key, ObjType::List)?;
    Ok(())
}
