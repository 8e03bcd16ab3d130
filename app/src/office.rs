//! Head office's operations on the sites' records: a manager's decision on a
//! major complaint, notes on complaints and work orders, and reading one
//! record. Each is one transaction at head office and reaches the site at its
//! next sync. The server's command line (and its dashboard next) call these.

use automerge::AutoCommit;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use wuye_node::records::Records;
use wuye_node::{Store, StoreError};
use wuye_protocol::complaint::{self, Complaint};
use wuye_protocol::doc::RecordKind;
use wuye_protocol::ids::{EventId, SiteId};
use wuye_protocol::kind::Kind;
use wuye_protocol::record::View;
use wuye_protocol::repair::{self, Repair, RepairStep};
use wuye_protocol::rules::RuleError;

use crate::AppError;

/// Every record of `kind` at head office, of one site or of all, as head
/// office may show them (identity numbers masked), in the kind's order.
pub fn records<R: Records<Error = StoreError>>(
    store: &R,
    kind: RecordKind,
    site: Option<SiteId>,
) -> Result<Vec<View>, AppError> {
    let filter = wuye_node::Filter { site, ..wuye_node::Filter::default() };
    let views = store.list_views(kind, &filter, &wuye_node::Page::all())?.items;
    Ok(views.into_iter().map(View::at_head_office).collect())
}

/// Every record of the kind the command lines call `word` (`complaint`,
/// `movein`, …), as head office shows them; a word naming no kind is refused
/// with the words there are.
pub fn records_named<R: Records<Error = StoreError>>(
    store: &R,
    word: &str,
    site: Option<SiteId>,
) -> Result<Vec<View>, AppError> {
    let Some(kind) = RecordKind::from_word(word) else {
        let words: Vec<&str> = RecordKind::ALL.iter().map(|k| k.word()).collect();
        return Err(RuleError::OutOfRange {
            field: "the record kind",
            value: wuye_protocol::text::echo(word),
            allowed: format!("use one of {}", words.join(", ")),
        }
        .into());
    };
    records(store, kind, site)
}

/// Head office acting on its store at one instant, on SQLite or on any
/// other store of records (PostgreSQL).
#[derive(Debug)]
pub struct Office<'a, S = Store> {
    /// Head office's records.
    pub store: &'a mut S,
    /// The time of the action.
    pub now: DateTime<Utc>,
    /// Where event ids come from.
    pub rng: &'a mut StdRng,
}

impl<S: Records<Error = StoreError>> Office<'_, S> {
    /// One head-office step on a record given by id or unique prefix.
    fn act<T: Kind + TryFrom<View, Error = View>>(
        &mut self,
        id: &str,
        step: impl FnOnce(&mut AutoCommit, EventId, DateTime<Utc>) -> Result<(), RuleError>,
    ) -> Result<T, AppError> {
        let id = self.store.resolve(T::KIND, id)?;
        let event = EventId::random(self.rng);
        let now = self.now;
        let mut step = Some(step);
        let view = self.store.edit_with(id, &mut |doc| match step.take() {
            Some(step) => step(doc, event, now),
            None => Ok(()),
        })?;
        Ok(Store::typed(view)?)
    }

    /// The property manager's decision on a major complaint (重大投诉), made by `by`.
    pub fn decide(&mut self, id: &str, text: &str, by: &str) -> Result<Complaint, AppError> {
        self.act(id, |doc, event, now| complaint::decide(doc, event, now, by, text))
    }

    /// A head-office note (跟踪记录) on a complaint.
    pub fn note(&mut self, id: &str, text: &str, by: &str) -> Result<Complaint, AppError> {
        self.act(id, |doc, event, now| complaint::add_note(doc, event, now, by, text))
    }

    /// A head-office note on a repair work order.
    pub fn repair_note(&mut self, id: &str, text: &str, by: &str) -> Result<Repair, AppError> {
        self.act(id, |doc, event, now| repair::step(doc, event, now, by, RepairStep::Note(text)))
    }

    /// One complaint by id or unique prefix.
    pub fn complaint(&self, id: &str) -> Result<Complaint, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        Ok(self.store.view::<Complaint>(id)?)
    }
}
