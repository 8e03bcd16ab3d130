//! The desk's operations on complaints (客户投诉): registering and the workflow's steps.

use super::*;

impl Desk {
    /// Registers a complaint; once this returns it is committed to disk.
    pub fn add_complaint(&mut self, input: &NewComplaint, by: &str) -> Result<Complaint, AppError> {
        let settings = SiteSettings::load(&self.store)?;
        if !settings.categories.iter().any(|c| c == input.category.trim()) {
            return Err(AppError::UnknownCategory(input.category.clone()));
        }
        let id = RecordId::random(&mut self.rng);
        let event = EventId::random(&mut self.rng);
        let now = self.clock.now();
        let mut doc = complaint::create(id, self.site.id, self.site.timezone, now, by, event, input)?;
        // Its time limits, in duty hours, fixed now (投诉处理及回访制度).
        let calendar = settings.calendar(self.site.timezone);
        let result_hours =
            if input.major { settings.major_result_duty_hours } else { settings.complaint_result_duty_hours };
        let reply_due = calendar.add_duty_time(now, chrono::Duration::hours(settings.complaint_reply_duty_hours));
        let result_due = calendar.add_duty_time(now, chrono::Duration::hours(result_hours));
        complaint::set_time_limits(&mut doc, reply_due, result_due)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Applies one workflow step to a complaint given by id or unique prefix,
    /// in one transaction; a refused step writes nothing.
    pub fn step(&mut self, id: &str, step: &Step<'_>, actor: &Actor) -> Result<Complaint, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        step.check_role(actor)?;
        let event = EventId::random(&mut self.rng);
        let now = self.clock.now();
        let view = self.store.edit(id, |doc| step.apply(doc, event, now, &actor.name))?;
        Ok(Store::typed(view)?)
    }

    /// Every step of the workflow, each with the reason `actor` may not take
    /// it on this complaint now (its role, or where the complaint stands), by
    /// trying it on a copy of the document: the rules are the steps' own.
    pub fn complaint_offers(&self, id: &str, actor: &Actor) -> Result<super::Offers, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        let doc = self.store.load(id)?;
        let trial = "—";
        let steps = [
            Step::Note(trial),
            Step::Assign(trial),
            Step::Escalate,
            Step::Decide(trial),
            Step::Resolve(trial),
            Step::Visit { satisfaction: 5, comment: trial },
            Step::Archive,
        ];
        Ok(steps
            .into_iter()
            .map(|step| {
                let refused = step.check_role(actor).err().map(AppError::Rule).or_else(|| {
                    let mut copy = doc.clone();
                    step.apply(&mut copy, EventId::random(&mut rand::thread_rng()), self.clock.now(), &actor.name)
                        .err()
                        .map(AppError::Rule)
                });
                (step.name(), refused)
            })
            .collect())
    }

    /// Adds a tracking note (跟踪记录) to a complaint given by id or unique prefix.
    pub fn add_note(&mut self, id: &str, text: &str, by: &str) -> Result<Complaint, AppError> {
        self.step(id, &Step::Note(text), &Actor::named(by))
    }

    /// Writes what the `n`-th work contact slip (工作联系单, from 1) asks and by when.
    pub fn contact_details(
        &mut self,
        id: &str,
        n: usize,
        instruction: &str,
        due: Option<DateTime<Utc>>,
    ) -> Result<Complaint, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        let now = self.now();
        let view = self.store.edit(id, |doc| complaint::contact_details(doc, n, instruction, due, now))?;
        Ok(Store::typed(view)?)
    }

    /// Records the department's reply (部门回复) on the `n`-th work contact slip.
    pub fn contact_reply(&mut self, id: &str, n: usize, reply: &str, actor: &Actor) -> Result<Complaint, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        let now = self.now();
        let view = self.store.edit(id, |doc| complaint::contact_reply(doc, n, now, &actor.name, reply))?;
        Ok(Store::typed(view)?)
    }

    /// Every step of a complaint, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<complaint::HistoryEntry>, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        let doc = self.store.load(id)?;
        Ok(complaint::history(&doc).map_err(|e| StoreError::Corrupt { id: id.to_string(), reason: e.to_string() })?)
    }

    /// One complaint by id or unique prefix.
    pub fn complaint(&self, id: &str) -> Result<Complaint, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        Ok(self.store.get::<Complaint>(id)?)
    }
}

impl Step<'_> {
    /// The step's name, as forms and offers call it.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Note(_) => "note",
            Step::Assign(_) => "assign",
            Step::Escalate => "escalate",
            Step::Resolve(_) => "resolve",
            Step::Visit { .. } => "visit",
            Step::Archive => "archive",
            Step::Decide(_) => "decide",
        }
    }

    /// Refuses a step the actor's role may not take.
    fn check_role(&self, actor: &Actor) -> Result<(), RuleError> {
        match self {
            Step::Archive => staff::may(actor.role, Guarded::Archive),
            Step::Decide(_) => staff::may(actor.role, Guarded::Decide),
            _ => Ok(()),
        }
    }

    fn apply(
        &self,
        doc: &mut automerge::AutoCommit,
        event: EventId,
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<(), RuleError> {
        match *self {
            Step::Note(text) => complaint::add_note(doc, event, now, by, text),
            Step::Assign(department) => complaint::assign(doc, event, now, by, department),
            Step::Escalate => complaint::escalate(doc, event, now, by),
            Step::Resolve(result) => complaint::resolve(doc, event, now, by, result),
            Step::Visit { satisfaction, comment } => complaint::visit(doc, event, now, by, satisfaction, comment),
            Step::Archive => complaint::archive(doc, event, now, by),
            Step::Decide(text) => complaint::decide(doc, event, now, by, text),
        }
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
    /// The property manager's decision on a major complaint, taken at the site.
    Decide(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuye_protocol::rules::Channel;
    use wuye_protocol::time::{self, ManualClock};

    fn complaint(major: bool) -> NewComplaint {
        NewComplaint {
            customer: "张伟".into(),
            phone: "13900001111".into(),
            unit: "3栋501".into(),
            channel: Channel::Phone,
            summary: "楼上漏水".into(),
            category: "设施".into(),
            departments: vec![],
            major,
        }
    }

    #[test]
    fn time_limits_are_fixed_in_duty_hours_at_registration_and_tell_what_is_overdue() {
        // Friday 27 November 2026, 10:00 in Shanghai.
        let clock = ManualClock::new(time::from_stored("2026-11-27T02:00:00Z").unwrap());
        let mut rng = StdRng::seed_from_u64(8);
        let site =
            crate::Site { id: wuye_protocol::ids::SiteId::random(&mut rng), timezone: chrono_tz::Asia::Shanghai };
        let mut store = Store::open_in_memory().unwrap();
        crate::open_site_tables(&mut store).unwrap();
        let mut desk = Desk::new(store, site, Arc::new(clock.clone()), rng);
        let normal = desk.add_complaint(&complaint(false), "李娜").unwrap();
        let major = desk.add_complaint(&complaint(true), "李娜").unwrap();
        let at = |t: &Option<time::SiteTime>| t.as_ref().unwrap().to_string();
        // The office works every day: one duty day (8 h) from Friday 10:00 is
        // Saturday 10:00, three are Monday 10:00.
        assert_eq!(at(&normal.reply_due), "2026-11-28T10:00:00+08:00");
        assert_eq!(at(&normal.result_due), "2026-11-30T10:00:00+08:00");
        assert_eq!(
            at(&major.result_due),
            "2026-11-28T10:00:00+08:00",
            "a major complaint's result within one duty day"
        );
        let now = clock.now();
        assert!(!normal.is_overdue(now));

        clock.advance(chrono::Duration::days(1) + chrono::Duration::hours(1));
        let later = clock.now();
        assert!(normal.reply_overdue(later) && !normal.result_overdue(later));
        assert!(major.result_overdue(later));
        // A note is a reply: the reply is no longer overdue, the result still awaited.
        let noted = desk.step(&normal.id.to_string(), &Step::Note("已联系"), &Actor::named("李娜")).unwrap();
        assert!(!noted.reply_overdue(later));
        clock.advance(chrono::Duration::days(3));
        assert!(noted.result_overdue(clock.now()));
        let resolved = desk.step(&normal.id.to_string(), &Step::Resolve("已修好"), &Actor::named("李娜")).unwrap();
        assert!(!resolved.is_overdue(clock.now()), "a result recorded, late or not, is no longer awaited");
    }
}
