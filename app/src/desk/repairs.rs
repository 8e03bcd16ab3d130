//! The desk's operations on repair work orders (维修工作单).

use super::*;

impl Desk {
    /// Reports a repair (报修): a work order with its response deadline fixed now.
    pub fn add_repair(&mut self, input: &NewRepair, actor: &Actor) -> Result<Repair, AppError> {
        let id = RecordId::random(&mut self.rng);
        let event = EventId::random(&mut self.rng);
        let settings = SiteSettings::load(&self.store)?;
        let calendar = settings.calendar(self.site.timezone);
        let rules = settings.response_rules();
        let mut doc = repair::create(id, self.site.id, &calendar, &rules, self.clock.now(), &actor.name, event, input)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Applies one step to a work order given by id or unique prefix. Dispatching
    /// takes a staff id, and only a maintenance staff member (维修) may be sent.
    pub fn repair_step(&mut self, id: &str, step: &DeskRepairStep<'_>, actor: &Actor) -> Result<Repair, AppError> {
        let id = self.store.resolve(RecordKind::Repair, id)?;
        let dispatched_to;
        let step = match *step {
            DeskRepairStep::Dispatch { staff_id } => {
                let member = self.staff_member(staff_id)?;
                member.check_active()?;
                if member.role != Role::Maintenance {
                    return Err(AppError::Rule(RuleError::NotMaintenance {
                        name: member.name,
                        role: member.role.label(),
                    }));
                }
                dispatched_to = member.name;
                RepairStep::Dispatch(&dispatched_to)
            }
            DeskRepairStep::Other(step) => step,
        };
        let event = EventId::random(&mut self.rng);
        let now = self.clock.now();
        let view = self.store.edit(id, |doc| repair::step(doc, event, now, &actor.name, step))?;
        Ok(Store::typed(view)?)
    }

    /// Every step on a work order, each with the reason it may not be taken
    /// now, by trying it on a copy of the document (dispatch is tried with a
    /// name; whom to send is checked when the step is taken).
    pub fn repair_offers(&self, id: &str) -> Result<super::Offers, AppError> {
        let id = self.store.resolve(RecordKind::Repair, id)?;
        let doc = self.store.load(id)?;
        let trial = "—";
        let steps = [
            ("dispatch", RepairStep::Dispatch(trial)),
            ("arrive", RepairStep::Arrive),
            ("complete", RepairStep::Complete { work: trial, materials: "", charge_fen: None }),
            ("visit", RepairStep::Visit { satisfaction: 5, comment: trial }),
            ("close", RepairStep::Close),
            ("note", RepairStep::Note(trial)),
        ];
        let event = EventId::random(&mut rand::thread_rng());
        Ok(steps
            .into_iter()
            .map(|(name, step)| {
                let mut copy = doc.clone();
                (name, repair::step(&mut copy, event, self.clock.now(), "—", step).err().map(AppError::Rule))
            })
            .collect())
    }

    /// A work order by id or unique prefix.
    pub fn repair(&self, id: &str) -> Result<Repair, AppError> {
        let id = self.store.resolve(RecordKind::Repair, id)?;
        Ok(self.store.get::<Repair>(id)?)
    }

    /// Work orders nobody reached by their response deadline, as of now.
    pub fn overdue_repairs(&self) -> Result<Vec<Repair>, AppError> {
        let now = self.clock.now();
        Ok(self.store.all::<Repair>(None)?.into_iter().filter(|r| r.is_overdue(now)).collect())
    }
}

/// A step on a work order as the desk takes it: dispatching names a staff member.
#[derive(Debug, Clone, Copy)]
pub enum DeskRepairStep<'a> {
    /// Dispatch (or reassign) to the staff member with this id.
    Dispatch {
        /// The maintenance staff member's id (or its first characters).
        staff_id: &'a str,
    },
    /// Any other step.
    Other(RepairStep<'a>),
}
