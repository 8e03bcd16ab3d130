//! The commitment (约定回复): a promised reply with a due time, and the
//! replies given, each with who and when.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc, ROOT};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::doc::{DocError, Fields, Header, RecordKind};
use crate::events;
use crate::ids::{RecordId, SiteId};
use crate::kind::new_record;
use crate::rules::field_text as text;
use crate::rules::{RuleError, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use crate::time;

/// Where a commitment keeps its replies.
const REPLIES: &str = "replies";

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
    pub due: crate::time::SiteTime,
    /// The last reply given, if any.
    pub reply: Option<String>,
    /// Every reply given, oldest first, each with who and when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replies: Vec<crate::events::Entry>,
    /// When it was written down, in the site's time zone.
    pub created_at: crate::time::SiteTime,
    /// Who wrote it down.
    pub by: String,
}

impl Commitment {
    /// Whether it is unanswered and due by `at`.
    pub fn is_due_by(&self, at: DateTime<Utc>) -> bool {
        self.reply.is_none() && self.due.utc() <= at
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
    let mut doc = new_record(RecordKind::Commitment, id, site_id, tz, now, by)?;
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

    crate::kind::ids!();

    fn projection(&self) -> crate::kind::Projection {
        use crate::kind::Projection;
        Projection::at(self.due.utc(), if self.reply.is_some() { "replied" } else { "open" })
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
