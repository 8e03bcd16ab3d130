//! The front desk's operations on complaints, each one local transaction.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use wuye_node::{Store, StoreError};
use wuye_protocol::commitment::{self, Commitment};
use wuye_protocol::complaint::{self, Complaint, NewComplaint};
use wuye_protocol::daily_report::{self, DailyReport};
use wuye_protocol::doc::RecordKind;
use wuye_protocol::duty_shift::{self, DutyShift, Shift};
use wuye_protocol::ids::{EventId, RecordId};
use wuye_protocol::log_entry::{self, LogEntry};
use wuye_protocol::repair::{self, NewRepair, Repair, RepairStep};
use wuye_protocol::resident::{self, NewResident, Resident};
use wuye_protocol::rules::Channel;
use wuye_protocol::rules::RuleError;
use wuye_protocol::staff::{self, Guarded, Role, Staff};
use wuye_protocol::time::Clock;

use crate::settings::SiteSettings;
use crate::signin;
use crate::{AppError, Site};

/// Who acts when no name is given.
pub const DEFAULT_ACTOR: &str = "客服中心";

/// The front desk of one site: its store, the site, a clock and randomness.
pub struct Desk {
    /// The site's records.
    pub store: Store,
    /// Which site, in which time zone.
    pub site: Site,
    clock: Arc<dyn Clock>,
    rng: StdRng,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("site", &self.site).finish_non_exhaustive()
    }
}

impl Desk {
    /// A desk over an opened store, with the world injected.
    pub fn new(store: Store, site: Site, clock: Arc<dyn Clock>, rng: StdRng) -> Self {
        Self { store, site, clock, rng }
    }

    /// A desk with fresh randomness from the operating system.
    pub fn with_os_rng(store: Store, site: Site, clock: Arc<dyn Clock>) -> Self {
        Self::new(store, site, clock, StdRng::from_entropy())
    }

    /// Registers a complaint; once this returns it is committed to disk.
    pub fn add_complaint(&mut self, input: &NewComplaint, by: &str) -> Result<Complaint, AppError> {
        let categories = SiteSettings::load(&self.store)?.categories;
        if !categories.iter().any(|c| c == input.category.trim()) {
            return Err(AppError::UnknownCategory(input.category.clone()));
        }
        let id = RecordId::random(&mut self.rng);
        let event = EventId::random(&mut self.rng);
        let mut doc = complaint::create(id, self.site.id, self.site.timezone, self.clock.now(), by, event, input)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Adds a staff member (员工) with a role.
    pub fn add_staff(&mut self, name: &str, role: Role, by: &str) -> Result<Staff, AppError> {
        let id = RecordId::random(&mut self.rng);
        let mut doc = staff::create(id, self.site.id, self.site.timezone, self.clock.now(), by, name, role)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// A staff member by id or unique prefix.
    pub fn staff_member(&self, id: &str) -> Result<Staff, AppError> {
        let id = self.store.resolve(RecordKind::Staff, id)?;
        Ok(self.store.get::<Staff>(id)?)
    }

    /// The person signed in at the command line, as they act: their name and role.
    pub fn signed_in(&self) -> Result<Actor, AppError> {
        let id = signin::current(&self.store, self.clock.now())?;
        self.active_actor(id)
    }

    /// The person holding a session token (a browser's), as they act.
    pub fn acting(&self, token: &signin::SessionToken) -> Result<Actor, AppError> {
        let id = signin::session_staff(&self.store, token, self.clock.now())?;
        self.active_actor(id)
    }

    fn active_actor(&self, id: RecordId) -> Result<Actor, AppError> {
        let member = self.store.get::<Staff>(id).map_err(|_| AppError::StaffGone)?;
        if !member.is_active() {
            // Their sessions end the moment they are disabled, here or at another desk.
            signin::end_sessions_of(&self.store, id, self.clock.now())?;
            return Err(AppError::Disabled { name: member.name });
        }
        Ok(Actor::of(&member))
    }

    /// Checks a person's password; someone disabled is refused after the check.
    fn check_sign_in(&self, login: &str, password: &str) -> Result<Staff, AppError> {
        let id = signin::sign_in(&self.store, login, password, self.clock.now())?;
        let member = self.store.get::<Staff>(id)?;
        if !member.is_active() {
            return Err(AppError::SignInDisabled { name: member.name });
        }
        Ok(member)
    }

    /// Signs a person in at the command line for this shift.
    pub fn sign_in(&self, login: &str, password: &str) -> Result<Staff, AppError> {
        let member = self.check_sign_in(login, password)?;
        signin::start_session(&self.store, member.id, self.clock.now())?;
        Ok(member)
    }

    /// Signs a person in at a desk of their own (a browser): a new session,
    /// beside any others open at this site.
    pub fn open_session(&self, login: &str, password: &str) -> Result<(Staff, signin::SessionToken), AppError> {
        let member = self.check_sign_in(login, password)?;
        let token = signin::open_session(&self.store, member.id, self.clock.now())?;
        Ok((member, token))
    }

    /// Ends the command line's session.
    pub fn sign_out(&self) -> Result<(), AppError> {
        signin::sign_out(&self.store, self.clock.now())
    }

    /// Disables a staff member who has left (客服主管 or 经理): their sign-in is
    /// refused from now on and any open session ends; their history stays.
    pub fn disable_staff(&mut self, id: &str, actor: &Actor) -> Result<Staff, AppError> {
        staff::may(actor.role, Guarded::ManageStaff)?;
        let id = self.store.resolve(RecordKind::Staff, id)?;
        if actor.staff_id == Some(id) {
            return Err(AppError::CannotDisableSelf);
        }
        let now = self.clock.now();
        let view = self.store.edit(id, |doc| staff::disable(doc, now, &actor.name))?;
        signin::end_sessions_of(&self.store, id, now)?;
        Ok(Store::typed(view)?)
    }

    /// At `init`: the site's first customer-service supervisor (客服主管), with
    /// a sign-in name and password, signed in.
    pub fn first_supervisor(&mut self, name: &str, login: &str, password: &str) -> Result<Staff, AppError> {
        let member = self.add_staff(name, Role::Supervisor, "系统初始化 setup")?;
        signin::set_password(&self.store, login, member.id, password, self.clock.now())?;
        signin::start_session(&self.store, member.id, self.clock.now())?;
        Ok(member)
    }

    /// Adds a staff member, with a sign-in name and first password for those
    /// who use the system. Only 客服主管 and 经理 add staff.
    pub fn add_staff_member(
        &mut self,
        name: &str,
        role: Role,
        sign_in: Option<(&str, &str)>,
        actor: &Actor,
    ) -> Result<Staff, AppError> {
        staff::may(actor.role, Guarded::ManageStaff)?;
        if let Some((login, password)) = sign_in {
            signin::check_login(login)?;
            signin::check_password(password)?;
            if signin::owner_of(&self.store, login)?.is_some() {
                return Err(AppError::LoginTaken(login.trim().to_string()));
            }
        }
        let member = self.add_staff(name, role, &actor.name)?;
        if let Some((login, password)) = sign_in {
            signin::set_password(&self.store, login, member.id, password, self.clock.now())?;
        }
        Ok(member)
    }

    /// Sets the password of `login`: one's own, or anyone's for 客服主管 and 经理.
    pub fn change_password(&mut self, login: &str, password: &str, actor: &Actor) -> Result<(), AppError> {
        let owner = signin::owner_of(&self.store, login)?;
        if owner != actor.staff_id {
            staff::may(actor.role, Guarded::ManageStaff)?;
        }
        let owner = owner.ok_or_else(|| AppError::UnknownLogin(login.trim().to_string()))?;
        signin::set_password(&self.store, login, owner, password, self.clock.now())
    }

    /// Applies one workflow step to a complaint given by id or unique prefix,
    /// in one transaction; a refused step writes nothing.
    pub fn step(&mut self, id: &str, step: &Step<'_>, actor: &Actor) -> Result<Complaint, AppError> {
        let id = self.store.resolve(RecordKind::Complaint, id)?;
        match step {
            Step::Archive => staff::may(actor.role, Guarded::Archive)?,
            Step::Decide(_) => staff::may(actor.role, Guarded::Decide)?,
            _ => {}
        }
        let event = EventId::random(&mut self.rng);
        let now = self.clock.now();
        let by = actor.name.as_str();
        let view = self.store.edit(id, |doc| match *step {
            Step::Note(text) => complaint::add_note(doc, event, now, by, text),
            Step::Assign(department) => complaint::assign(doc, event, now, by, department),
            Step::Escalate => complaint::escalate(doc, event, now, by),
            Step::Resolve(result) => complaint::resolve(doc, event, now, by, result),
            Step::Visit { satisfaction, comment } => complaint::visit(doc, event, now, by, satisfaction, comment),
            Step::Archive => complaint::archive(doc, event, now, by),
            Step::Decide(text) => complaint::decide(doc, event, now, by, text),
        })?;
        Ok(Store::typed(view)?)
    }

    /// Adds a tracking note (跟踪记录) to a complaint given by id or unique prefix.
    pub fn add_note(&mut self, id: &str, text: &str, by: &str) -> Result<Complaint, AppError> {
        self.step(id, &Step::Note(text), &Actor::named(by))
    }

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

    /// Registers a resident in the household register (住户家庭情况登记表).
    pub fn add_resident(&mut self, input: &NewResident, actor: &Actor) -> Result<Resident, AppError> {
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = resident::create(id, site, tz, now, &actor.name, input)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// The household register as `actor` may see it (see [`shown_to`]).
    pub fn residents_for(&self, actor: &Actor) -> Result<Vec<Resident>, AppError> {
        Ok(self.store.all::<wuye_protocol::resident::Resident>(None)?.into_iter().map(|r| shown_to(r, actor)).collect())
    }

    /// Writes a work-log entry (工作日志) for a call or visit.
    pub fn add_log(&mut self, entry: &NewLogEntry<'_>, actor: &Actor) -> Result<LogEntry, AppError> {
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = log_entry::new_log_entry(
            id,
            site,
            tz,
            now,
            &actor.name,
            entry.channel,
            entry.caller,
            entry.unit,
            entry.asked,
            entry.done,
        )?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Records what was done about a work-log entry.
    pub fn log_done(&mut self, id: &str, done: &str, actor: &Actor) -> Result<(), AppError> {
        let id = self.store.resolve(RecordKind::LogEntry, id)?;
        let now = self.clock.now();
        Ok(self.store.edit(id, |doc| log_entry::log_done(doc, now, &actor.name, done)).map(drop)?)
    }

    /// Makes a record with `make` and, when it came from the work-log entry
    /// `from_log` (a call or visit), links the entry to it. The entry is looked
    /// up first, so a wrong id makes nothing.
    pub fn made_from_log<T>(
        &mut self,
        from_log: Option<&str>,
        make: impl FnOnce(&mut Desk) -> Result<T, AppError>,
        id_of: impl Fn(&T) -> RecordId,
    ) -> Result<T, AppError> {
        let log = from_log.map(|log| self.store.resolve(RecordKind::LogEntry, log)).transpose()?;
        let made = make(self)?;
        if let Some(log) = log {
            let record = id_of(&made);
            self.store.edit(log, |doc| log_entry::log_link(doc, record))?;
        }
        Ok(made)
    }

    /// Writes down a commitment (约定回复) due at `due`.
    pub fn add_commitment(
        &mut self,
        words: &str,
        caller: &str,
        due: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Commitment, AppError> {
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = commitment::new_commitment(id, site, tz, now, &actor.name, words, caller, due)?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Records the reply given on a commitment.
    pub fn commitment_reply(&mut self, id: &str, reply: &str, actor: &Actor) -> Result<(), AppError> {
        let id = self.store.resolve(RecordKind::Commitment, id)?;
        let now = self.clock.now();
        Ok(self.store.edit(id, |doc| commitment::commitment_reply(doc, now, &actor.name, reply)).map(drop)?)
    }

    /// Puts a staff member on duty for one shift of a local date.
    pub fn assign_duty(
        &mut self,
        staff_id: &str,
        date: NaiveDate,
        shift: Shift,
        actor: &Actor,
    ) -> Result<DutyShift, AppError> {
        let member = self.staff_member(staff_id)?;
        member.check_active()?;
        let calendar = SiteSettings::load(&self.store)?.calendar(self.site.timezone);
        let period = calendar.periods(date)[if shift == Shift::Am { 0 } else { 1 }];
        let starts_at = calendar.instant(date, period.0);
        let id = RecordId::random(&mut self.rng);
        let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
        let mut doc = duty_shift::new_duty_shift(
            id,
            site,
            tz,
            now,
            &actor.name,
            date,
            shift,
            starts_at,
            member.id,
            &member.name,
        )?;
        Ok(Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// Who is on duty in each shift of a local date; an empty list is a gap.
    pub fn duty_check(&self, date: NaiveDate) -> Result<Vec<(Shift, Vec<String>)>, AppError> {
        let day = date.format("%Y-%m-%d").to_string();
        let shifts = self.store.all::<DutyShift>(Some(self.site.id))?;
        Ok(Shift::ALL
            .into_iter()
            .map(|s| {
                let mut names: Vec<String> =
                    shifts.iter().filter(|d| d.date == day && d.shift == s).map(|d| d.staff_name.clone()).collect();
                names.sort();
                names.dedup();
                (s, names)
            })
            .collect())
    }

    /// Makes (or remakes) the daily report of a local date; it syncs to head office.
    pub fn daily_report(&mut self, date: NaiveDate, actor: &Actor) -> Result<DailyReport, AppError> {
        daily_report::check_report_date(date, self.clock.now().with_timezone(&self.site.timezone).date_naive())?;
        let figures = crate::reports::daily_figures(&self.store, date, self.clock.now(), self.site.timezone)?;
        let content = serde_json::to_string(&figures).expect("figures serialize");
        let day = date.format("%Y-%m-%d").to_string();
        let existing = self.store.all::<DailyReport>(Some(self.site.id))?.into_iter().find(|r| r.date == day);
        let view = match existing {
            Some(report) => self.store.edit(report.id, |doc| daily_report::write_daily_report(doc, date, &content))?,
            None => {
                let id = RecordId::random(&mut self.rng);
                let (site, tz, now) = (self.site.id, self.site.timezone, self.clock.now());
                let mut doc = daily_report::new_daily_report(id, site, tz, now, &actor.name)?;
                daily_report::write_daily_report(&mut doc, date, &content)?;
                self.store.insert_new(&mut doc)?
            }
        };
        Ok(Store::typed(view)?)
    }

    /// The time now, from the desk's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
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

/// A call or visit to write into the work log.
#[derive(Debug, Clone, Copy)]
pub struct NewLogEntry<'a> {
    /// Phone or visit.
    pub channel: Channel,
    /// Who called or came.
    pub caller: &'a str,
    /// Their unit, if any.
    pub unit: &'a str,
    /// What was asked.
    pub asked: &'a str,
    /// What was done, if it was handled at once.
    pub done: &'a str,
}

/// The setting that names the staff member who acts by default.
/// A resident as `actor` may see them: identity numbers whole for 客服主管
/// and 经理, masked for everyone else.
pub fn shown_to(resident: Resident, actor: &Actor) -> Resident {
    if staff::allowed(actor.role, Guarded::SeeIdNumbers) {
        resident
    } else {
        resident.masked()
    }
}

/// Who takes a step: the name recorded with it, and the role that permits it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The name recorded in the record's history.
    pub name: String,
    /// The staff member's role, when a staff member acts.
    pub role: Option<Role>,
    /// The staff member, when one acts.
    pub staff_id: Option<RecordId>,
}

impl Actor {
    /// A staff member acting: recorded as "name（role）".
    pub fn of(member: &Staff) -> Self {
        Actor {
            name: format!("{}（{}）", member.name, member.role.label()),
            role: Some(member.role),
            staff_id: Some(member.id),
        }
    }

    /// A name with no staff record or role (head office, tests, imports).
    pub fn named(name: &str) -> Self {
        Actor { name: name.to_string(), role: None, staff_id: None }
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
