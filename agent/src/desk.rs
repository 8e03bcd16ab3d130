//! The front desk's operations on complaints, each one local transaction.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;
use wuye_node::{Store, StoreError};
use wuye_protocol::complaint::{self, Complaint, NewComplaint};
use wuye_protocol::doc::RecordKind;
use wuye_protocol::ids::{EventId, RecordId};
use wuye_protocol::time::Clock;

use crate::config::AgentConfig;

/// Who acts when no name is given.
pub const DEFAULT_ACTOR: &str = "客服中心";

/// The front desk of one site: its store, configuration, clock and randomness.
pub struct Desk {
    /// The site's records.
    pub store: Store,
    /// How to reach head office.
    pub config: AgentConfig,
    clock: Arc<dyn Clock>,
    rng: StdRng,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Desk {
    /// A desk over an opened store, with the world injected.
    pub fn new(store: Store, config: AgentConfig, clock: Arc<dyn Clock>, rng: StdRng) -> Self {
        Self { store, config, clock, rng }
    }

    /// A desk with fresh randomness from the operating system.
    pub fn with_os_rng(store: Store, config: AgentConfig, clock: Arc<dyn Clock>) -> Self {
        Self::new(store, config, clock, StdRng::from_entropy())
    }

    /// Registers a complaint; once this returns it is committed to disk.
    pub fn add_complaint(&mut self, input: &NewComplaint, by: &str) -> Result<Complaint, StoreError> {
        let id = RecordId::random(&mut self.rng);
        let event = EventId::random(&mut self.rng);
        let mut doc =
            complaint::create(id, self.config.site_id, self.config.timezone, self.clock.now(), by, event, input)?;
        self.store.insert_new(&mut doc)
    }

    /// Applies one workflow step to a complaint given by id or unique prefix,
    /// in one transaction; a refused step writes nothing.
    pub fn step(&mut self, id: &str, step: &Step<'_>, by: &str) -> Result<Complaint, StoreError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        let event = EventId::random(&mut self.rng);
        let now = self.clock.now();
        self.store.edit(id, |doc| match *step {
            Step::Note(text) => complaint::add_note(doc, event, now, by, text),
            Step::Assign(department) => complaint::assign(doc, event, now, by, department),
            Step::Escalate => complaint::escalate(doc, event, now, by),
            Step::Resolve(result) => complaint::resolve(doc, event, now, by, result),
            Step::Visit { satisfaction, comment } => complaint::visit(doc, event, now, by, satisfaction, comment),
            Step::Archive => complaint::archive(doc, event, now, by),
        })
    }

    /// Adds a tracking note (跟踪记录) to a complaint given by id or unique prefix.
    pub fn add_note(&mut self, id: &str, text: &str, by: &str) -> Result<Complaint, StoreError> {
        self.step(id, &Step::Note(text), by)
    }

    /// Every step of a complaint, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<complaint::HistoryEntry>, StoreError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        let doc = self.store.load(id)?;
        complaint::history(&doc).map_err(|e| StoreError::Corrupt { id: id.to_string(), reason: e.to_string() })
    }

    /// One complaint by id or unique prefix.
    pub fn complaint(&self, id: &str) -> Result<Complaint, StoreError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        self.store.complaint(id)
    }
}

/// One step of the complaint workflow (投诉处理及回访制度) taken at the front desk.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// A tracking note.
    Note(&'a str),
    /// A work contact slip to a department.
    Assign(&'a str),
    /// Escalation to the property manager.
    Escalate,
    /// The result.
    Resolve(&'a str),
    /// A follow-up visit.
    Visit {
        /// 1 to 5.
        satisfaction: u8,
        /// The resident's words.
        comment: &'a str,
    },
    /// Archiving.
    Archive,
}
