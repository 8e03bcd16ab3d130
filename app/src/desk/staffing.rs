//! The desk's operations on staff (员工): adding, signing in, sessions, disabling, passwords.

use super::*;

impl Desk {
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

    fn active_actor(&self, id: StaffId) -> Result<Actor, AppError> {
        let member = self.store.get::<Staff>(id.record()).map_err(|_| AppError::StaffGone)?;
        if !member.is_active() {
            // Their sessions end the moment they are disabled, here or at another desk.
            signin::end_sessions_of(&self.store, &id, self.clock.now())?;
            return Err(AppError::Disabled { name: member.name });
        }
        Ok(Actor::of(&member))
    }

    /// Checks a person's password (typed at `client`, a browser's address);
    /// someone disabled is refused after the check.
    fn check_sign_in(&self, login: &str, password: &str, client: Option<&str>) -> Result<Staff, AppError> {
        let id: StaffId = signin::sign_in_from(&self.store, login, password, client, self.clock.now())?;
        let member = self.store.get::<Staff>(id.record())?;
        if !member.is_active() {
            return Err(AppError::SignInDisabled { name: member.name });
        }
        Ok(member)
    }

    /// Signs a person in at the command line for this shift.
    pub fn sign_in(&self, login: &str, password: &str) -> Result<Staff, AppError> {
        let member = self.check_sign_in(login, password, None)?;
        signin::start_session(&self.store, member.staff_id(), self.clock.now())?;
        Ok(member)
    }

    /// Signs a person in at a desk of their own (a browser at the address
    /// `client`): a new session, beside any others open at this site.
    pub fn open_session(
        &self,
        login: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<(Staff, signin::SessionToken), AppError> {
        let member = self.check_sign_in(login, password, client)?;
        let token = signin::open_session(&self.store, &member.staff_id(), self.clock.now())?;
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
        if actor.staff_id == Some(StaffId::of(id)) {
            return Err(AppError::CannotDisableSelf);
        }
        let now = self.clock.now();
        let view = self.store.edit(id, |doc| staff::disable(doc, now, &actor.name))?;
        signin::end_sessions_of(&self.store, &StaffId::of(id), now)?;
        Ok(Store::typed(view)?)
    }

    /// At `init`: the site's first customer-service supervisor (客服主管), with
    /// a sign-in name and password, signed in.
    pub fn first_supervisor(&mut self, name: &str, login: &str, password: &str) -> Result<Staff, AppError> {
        let member = self.add_staff(name, Role::Supervisor, "系统初始化 setup")?;
        signin::set_password(&self.store, login, member.staff_id(), password, self.clock.now())?;
        signin::start_session(&self.store, member.staff_id(), self.clock.now())?;
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
            if signin::owner_of::<StaffId>(&self.store, login)?.is_some() {
                return Err(AppError::LoginTaken(login.trim().to_string()));
            }
        }
        let member = self.add_staff(name, role, &actor.name)?;
        if let Some((login, password)) = sign_in {
            signin::set_password(&self.store, login, member.staff_id(), password, self.clock.now())?;
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
}
